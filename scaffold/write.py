"""The disk edge: refuse to clobber, write all-or-nothing, git add."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from scaffold import process
from scaffold.errors import FileExistsConflict, InputError


@dataclass(slots=True)
class WriteResult:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    git_added: bool = False
    in_git: bool = False
    stage_error: str = ""


def _safe_target(out: Path, rel: str) -> Path:
    # Lexical: a symlink the user made inside --out is theirs to follow.
    target = Path(os.path.normpath(out.absolute() / rel))
    if Path(os.path.normpath(out.absolute())) not in target.parents:
        raise InputError("--out", f"{rel} would land outside {out}", "report this as a bug")
    return target


def write_files(out: Path, files: dict[str, str], *, force: bool,
                seeds: dict[str, str] | None = None,
                overwrite: set[str] | None = None) -> WriteResult:
    """Write every file or none. Seeds are written only where nothing exists.

    `overwrite` names files the caller has already proven safe to replace.
    """
    seeds = seeds or {}
    overwrite = overwrite or set()
    if out.exists() and not out.is_dir():
        raise InputError("--out", f"{out} exists and is not a directory", "pick a directory")
    nearest = next(p for p in (out.absolute(), *out.absolute().parents) if p.exists())
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise InputError("--out", f"{nearest} is not writable", "choose a directory you can write to")
    existing = [rel for rel in files if (out / rel).exists() and rel not in overwrite]
    if existing and not force:
        shown = ", ".join(existing[:4]) + (f" and {len(existing) - 4} more" if len(existing) > 4 else "")
        verb = "exists" if len(existing) == 1 else "exist"
        raise FileExistsConflict("--out", f"{shown} already {verb} in {out}",
                                 "pass --force to overwrite them, or choose another --out")
    result = WriteResult()
    todo = dict(files)
    for rel, text in seeds.items():
        if (out / rel).exists():
            result.skipped.append(rel)
        else:
            todo[rel] = text
    backups: dict[Path, bytes | None] = {}
    new_dirs: list[Path] = []
    tmp: str | None = None
    try:
        for rel, text in todo.items():
            target = _safe_target(out, rel)
            new_dirs += _make_dirs(target.parent)
            if target.exists() and target.read_text(encoding="utf-8") == text:
                continue  # unchanged: leave it (and its timestamp) alone
            backups[target] = target.read_bytes() if target.exists() else None
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".nixbtw-")
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            # os.* rather than Path methods: one rename, atomic on the same filesystem.
            os.chmod(tmp, 0o644)  # noqa: PTH101
            os.replace(tmp, target)  # noqa: PTH105
            tmp = None
            result.written.append(rel)
    except BaseException:
        # All or nothing: put back what was there and remove what was new.
        with contextlib.suppress(OSError):
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        for target, old in backups.items():
            with contextlib.suppress(OSError):
                if old is None:
                    target.unlink(missing_ok=True)
                else:
                    target.write_bytes(old)
        for directory in reversed(new_dirs):
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    return result


def _make_dirs(path: Path) -> list[Path]:
    """mkdir -p that reports the directories it created, outermost first."""
    missing: list[Path] = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    missing.reverse()
    for directory in missing:
        directory.mkdir()
    return missing


def git_add(out: Path, paths: list[str], result: WriteResult) -> None:
    """Stage new files: a flake does not see files git does not track."""
    try:
        probe = process.run(["git", "rev-parse", "--is-inside-work-tree"], check=False, cwd=out)
    except Exception:  # git missing: nothing to stage
        return
    if probe.returncode != 0 or probe.stdout.strip() != "true":
        return
    result.in_git = True
    if paths:
        staged = process.run(["git", "add", "--", *paths], check=False, cwd=out)
        if staged.returncode == 0:
            result.git_added = True
        else:
            # The files are written; staging is a convenience (an ignored
            # directory, for one, cannot be staged).
            result.stage_error = (staged.stderr.strip().splitlines() or ["git add failed"])[0]
