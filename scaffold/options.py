"""The project's list of verified option paths (data/options.tsv) and matching.

Every option a template emits must be listed with the project, release and
source file that declares it; tests check generated files against this list,
and `nixbtw check` uses it for removed and renamed options.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

ANY_NAME = "<name>"


@dataclass(frozen=True, slots=True)
class VerifiedOption:
    option: str
    scope: str
    project: str
    release: str
    ref: str
    source_file: str
    note: str

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.option.split("."))

    @property
    def freeform(self) -> bool:
        return self.option.endswith(".*")

    @property
    def removed(self) -> bool:
        return self.note.upper().startswith(("REMOVED", "RENAMED"))


@functools.cache
def table() -> tuple[VerifiedOption, ...]:
    text = resources.files("scaffold.data").joinpath("options.tsv").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t")
    return tuple(VerifiedOption(r["option"], r["scope"], r["project"], r["release"], r["ref"],
                                r["source_file"], r["note"]) for r in reader)


def _matches(pattern: tuple[str, ...], path: tuple[str, ...], freeform: bool) -> bool:
    if freeform:
        pattern = pattern[:-1]
        if len(path) < len(pattern):
            return False
        path = path[: len(pattern)]
    if len(pattern) != len(path):
        return False
    return all(p == ANY_NAME or p == q for p, q in zip(pattern, path, strict=True))


def lookup(path: tuple[str, ...], scope: str) -> VerifiedOption | None:
    """The verified entry that declares `path` in `scope`, if any."""
    for entry in table():
        if entry.scope not in (scope, "any") or entry.removed:
            continue
        if _matches(entry.parts, path, entry.freeform):
            return entry
    return None


def module_name_verified(input_name: str, kind: str, attr: str) -> bool:
    """Is `inputs.<input_name>.<kind>.<attr>` a module the input's flake exports?"""
    if input_name == "nixos-hardware" and kind == "nixosModules":
        from scaffold import profiles

        return attr in profiles.names()
    wanted = ("flake", input_name, kind, attr)
    for entry in table():
        if entry.scope != "flake":
            continue
        name = entry.option.removeprefix("flake:")
        if tuple(["flake", *name.split(".")]) == wanted:
            return True
    return False
