"""The three-way merge behind `nixbtw update`, one copier part at a time.

copier's own update clones the template history twice, renders three times
and builds two scratch git repositories for every host: about 3.5 s a host
even when nothing changed. The merge it computes is simple to state: the
part as rendered by the version (and answers) it was made with is the base,
the files on disk are the user's side, the part rendered by the current
version is the template's side. This module does exactly that from two
renders in this process (scaffold.render), with `git merge-file` for the
files both sides changed, and copier's rules for the files copier treats
specially (skip-if-exists, files the user deleted). It writes the answers
file as copier would, so a plain `copier update` keeps working afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scaffold import process
from scaffold.errors import ToolError

LABELS = ["-L", "before updating", "-L", "last update", "-L", "after updating"]


@dataclass(slots=True)
class Merged:
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None
    except UnicodeDecodeError:
        return "\0binary"  # not ours to merge: it never equals a render


def _merge_file(ours: str, base: str, theirs: str) -> tuple[str, bool]:
    """git merge-file on three texts: (result, whether it left conflict markers)."""
    with tempfile.TemporaryDirectory(prefix="nixbtw-merge-") as tmp:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        proc = process.run(["git", "merge-file", "-p", *LABELS, *paths], check=False)
    if proc.returncode < 0 or proc.returncode > 127:
        raise ToolError(["git", "merge-file"], proc.returncode, proc.stderr)
    return proc.stdout, proc.returncode > 0


def merge_part(dst: Path, base: dict[str, str], theirs: dict[str, str], *,
               keep_if_exists: Callable[[str], bool], answers: str) -> Merged:
    """Carry the change from `base` to `theirs` (both renders of this part) into `dst`.

    Paths are relative to `dst`. The answers file is the template's side
    outright: it records the version and the answers the part now has.
    """
    done = Merged()

    def write(rel: str, text: str) -> None:
        path = dst / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        done.written.append(rel)

    for rel in sorted(set(base) | set(theirs)):
        old, new, mine = base.get(rel), theirs.get(rel), _read(dst / rel)
        if rel == answers:
            if new is not None and new != mine:
                write(rel, new)
            continue
        if keep_if_exists(rel):
            # The machine's or the user's once it exists (copier recreates it if deleted).
            if mine is None and new is not None:
                write(rel, new)
            continue
        if old == new or mine == new:
            continue  # the template did not change it, or the user already has the result
        if new is None:
            if mine is not None and mine == old:
                (dst / rel).unlink()
                done.deleted.append(rel)
            continue  # the template dropped a file the user edited: it is theirs now
        if mine is None:
            if old is None:
                write(rel, new)  # new in this version
            continue  # the user deleted it: copier does not bring it back
        if mine == old:
            write(rel, new)
            continue
        text, conflicted = _merge_file(mine, old or "", new)
        write(rel, text)
        if conflicted:
            done.conflicts.append(rel)
    return done
