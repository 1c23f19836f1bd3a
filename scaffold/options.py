"""The project's list of verified option paths (data/options.tsv) and matching.

Every option a template emits must be listed with the project, release and
source file that declares it; tests check generated files against this list,
and `nixbtw check` uses it for removed and renamed options.
"""

from __future__ import annotations

import csv
import functools
import io
import re
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
    return all(_wild(p) or p == q for p, q in zip(pattern, path, strict=True))


def _wild(component: str) -> bool:
    # <name>, <path>, ...: any one attribute name.
    return component.startswith("<") and component.endswith(">")


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


def package_verified(expr: str) -> bool:
    """Is `pkgs.<attr>` or `inputs.<flake>.packages.${system}.<attr>` on the verified list?"""
    overlay = re.fullmatch(r"\(pkgs\.extend inputs\.([\w-]+)\.overlays\.default\)\.[\w.-]+", expr)
    if overlay:
        wanted = ("flake", f"flake:{overlay.group(1)}.overlays.default")
        return any((entry.scope, entry.option) == wanted for entry in table())
    if expr.startswith("pkgs."):
        wanted = ("package", "pkg:" + expr.removeprefix("pkgs."))
    else:
        wanted = ("flake", "flake:" + expr.removeprefix("inputs.").replace("${system}", "<system>"))
    return any((entry.scope, entry.option) == wanted for entry in table())


# disko content trees nest by `type`: which schema applies to a key depends on
# the value of the `type` next to it, so they are checked by walking the tree.
_DISKO_CHILDREN = {
    ("gpt", "partitions"): "partition",
    ("btrfs", "subvolumes"): "subvolume",
    ("subvolume", "swap"): "swapfile",
}


def _disko_keys(kind: str) -> list[tuple[str, ...]]:
    return [entry.parts[1:] for entry in table()
            if entry.scope == "disko" and entry.parts[0] == f"<{kind}>"]


def disko_unverified(values: dict[tuple[str, ...], str]) -> list[tuple[str, ...]]:
    """Leaf paths under disko.devices that the verified disko schema does not have.

    `values` maps each leaf path of a module to its source text (for `type`).
    """
    bad = []
    for path in values:
        if path[:2] != ("disko", "devices"):
            continue
        if len(path) < 5 or path[2] not in ("disk", "zpool"):
            bad.append(path)
            continue
        if not _disko_path_ok(path, 4, path[2], values):
            bad.append(path)
    return bad


def _type_at(prefix: tuple[str, ...], values: dict[tuple[str, ...], str]) -> str:
    return values.get((*prefix, "type"), "").strip('"')


def _disko_path_ok(path: tuple[str, ...], i: int, kind: str,
                   values: dict[tuple[str, ...], str]) -> bool:
    while i < len(path):
        key = path[i]
        if key == "content" and i + 1 < len(path) and any(k == ("content",) for k in _disko_keys(kind)):
            kind = _type_at(path[: i + 1], values)
            i += 1
            continue
        child = _DISKO_CHILDREN.get((kind, key))
        if kind == "zpool" and key == "datasets":
            child = _type_at(path[: i + 2], values)
        if child and i + 2 < len(path) and (key,) in _disko_keys(kind):
            kind, i = child, i + 2
            continue
        rest = path[i:]
        return any(_matches(pattern, rest, pattern[-1] == "*") for pattern in _disko_keys(kind))
    return False
