"""The disk edge: refuse to clobber, one writer at a time, write all-or-nothing, git add."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold import process
from scaffold.errors import Busy, FileExistsConflict, InputError, Stopped


@dataclass(slots=True)
class WriteResult:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # The written files that existed before (the rest are new).
    modified: list[str] = field(default_factory=list)
    git_added: bool = False
    in_git: bool = False
    stage_error: str = ""


STAGE_PREFIX = ".nixbtw-stage-"
JOURNAL = "journal.json"
_DONE, _UNDONE = ".done", ".undone"
LOCK = "nixbtw.lock"
log = logging.getLogger("nixbtw")

# Never scaffolded into without --force: the root, the user's home itself, and
# directories the system owns (a folder inside /etc or /var, like /etc/nixos, is fine).
_SYSTEM_ROOTS = ("/bin", "/boot", "/dev", "/lib", "/lib32", "/lib64", "/nix", "/proc", "/run",
                 "/sbin", "/sys", "/usr")
_SYSTEM_DIRS = ("/", "/etc", "/var", "/opt", "/srv", "/home", "/root", "/tmp", "/mnt", "/media")


def check_ground(out: Path, *, force: bool) -> None:
    """Refuse an --out that is not a place for a configuration, unless forced."""
    where = Path(os.path.realpath(out.expanduser()))
    home = Path(os.path.realpath(Path.home()))
    text = where.as_posix()
    system = text in _SYSTEM_DIRS or any(text == r or text.startswith(r + "/") for r in _SYSTEM_ROOTS)
    if (system or where == home) and not force:
        what = "your home directory itself" if where == home else "a system directory"
        raise InputError("--out", f"{where} is {what}, not a folder for a configuration",
                         "give a folder of its own (e.g. ~/nixos), or pass --force if you mean it")


def _lock_path(out: Path) -> Path:
    # Inside .git when there is one: a file in the work tree would make the
    # tree dirty for the merges a new host can trigger.
    git = out / ".git"
    return git / LOCK if git.is_dir() else out / f".{LOCK}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _acquire(lock: Path, out: Path) -> None:
    for _attempt in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or "0")
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _alive(pid):
                raise Busy(f"another nixbtw (pid {pid}) is writing into {out}; wait for it to finish "
                           f"and run again (if no nixbtw is running, remove {lock})") from None
            # The holder is gone: take the lock over, atomically, then make sure we won.
            fd_tmp, tmp = tempfile.mkstemp(dir=lock.parent, prefix=".nixbtw-lock-")
            with os.fdopen(fd_tmp, "w") as fh:
                fh.write(f"{os.getpid()}\n")
            os.replace(tmp, lock)  # noqa: PTH105
            if lock.read_text().strip() == str(os.getpid()):
                log.warning("nixbtw: took over the lock of a nixbtw that is gone (pid %s)", pid or "?")
                return
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{os.getpid()}\n")
        return
    raise Busy(f"another nixbtw is writing into {out}; wait for it to finish and run again")


_STATE = {"published": False}


def _stop(signum: int, _frame: object) -> None:
    name = signal.Signals(signum).name
    if _STATE["published"]:
        raise Stopped(signum, f"stopped by {name} after the files were written; check `git status`")
    raise Stopped(signum, f"stopped by {name}: nothing was written")


def _stop_update(signum: int, _frame: object) -> None:
    name = signal.Signals(signum).name
    raise Stopped(signum, f"stopped by {name} during the update; `git status` shows what it changed "
                  "and `git reset --hard HEAD` returns to where you were")


@contextlib.contextmanager
def locked(out: Path, *, signals: bool = True) -> Iterator[None]:
    """Hold the repository's lock (creating --out if needed); on SIGTERM, SIGINT or
    SIGHUP, undo and stop (a signal during the publish lets it finish first). An
    interrupted earlier run is cleaned up first. `signals=False` (update: copier writes
    in place, and git undoes it) stops with a line that says so, and still frees the lock."""
    created = _make_out(out)
    try:
        lock = _lock_path(out)
        _acquire(lock, out)
        try:
            with _signals_raise(_stop if signals else _stop_update):
                _STATE["published"] = False
                recover(out)
                yield
        finally:
            with contextlib.suppress(OSError):
                if lock.read_text().strip() == str(os.getpid()):
                    lock.unlink()
    finally:
        for directory in reversed(created):
            with contextlib.suppress(OSError):
                directory.rmdir()  # only if nothing was written into it


@contextlib.contextmanager
def _signals_raise(handler: Callable[[int, object], None] = _stop) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # a library caller in a thread keeps its own signal handling
        return
    wanted = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    before = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    finally:
        for s, previous in before.items():
            signal.signal(s, previous)


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    blocked = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _checkpoint(name: str) -> None:
    """Tests stop a real run here (NIXBTW_PAUSE_AT=name) to signal it mid-write."""
    if os.environ.get("NIXBTW_PAUSE_AT") != name:
        return
    sys.stderr.write(f"nixbtw: paused at {name} (pid {os.getpid()})\n")
    sys.stderr.flush()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.05)


def recover(out: Path) -> list[str]:
    """Undo what an interrupted run left, and say what that was.

    A stage without a journal never touched --out; with a journal, the renames
    it lists are reversed (each one is undone by the opposite rename, so a
    recovery that is itself killed is finished by the next run); a stage
    marked done or undone only needs deleting.
    """
    said = []
    for stage in sorted(out.glob(STAGE_PREFIX + "*")):
        if stage.is_symlink() or not stage.is_dir():
            stage.unlink(missing_ok=True)
            continue
        pid = stage.name.removeprefix(STAGE_PREFIX).split("-", 1)[0]
        if stage.name.endswith(_DONE):
            what = (f"a run (pid {pid}) was stopped after it had written all its files; "
                    "removed its staging folder, the new files are in place")
        elif stage.name.endswith(_UNDONE):
            what = f"removed the staging folder of a run (pid {pid}) that had undone its writes"
        elif not (stage / JOURNAL).is_file():
            what = (f"removed the staged files of a run (pid {pid}) that was stopped before "
                    f"it wrote anything into {out}")
        else:
            with _signals_blocked():
                restored, removed = _rollback(out, stage)
            undone = [f"restored {', '.join(sorted(restored))}"] if restored else []
            undone += [f"removed {', '.join(sorted(removed))}"] if removed else []
            what = (f"undid the half-finished write of a run (pid {pid}) that was stopped: "
                    + ("; ".join(undone) or "it had not moved anything yet"))
            stage = _mark(stage, _UNDONE)
        shutil.rmtree(stage, ignore_errors=True)
        said.append(what)
        log.warning("nixbtw: %s", what)
    return said


def _mark(stage: Path, suffix: str) -> Path:
    marked = stage.with_name(stage.name + suffix)
    os.replace(stage, marked)  # noqa: PTH105
    return marked


def _rollback(out: Path, stage: Path) -> tuple[list[str], list[str]]:
    """Reverse the journal's renames that happened; return (restored, removed)."""
    restored: list[str] = []
    removed: list[str] = []
    for move in reversed(json.loads((stage / JOURNAL).read_text(encoding="utf-8"))):
        rel = move["rel"]
        staged, target = stage / "new" / rel, out / rel
        if staged.exists() or staged.is_symlink():
            continue  # this rename never happened
        if move["new"]:
            if target.exists() or target.is_symlink():
                staged.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, staged)  # noqa: PTH105
                removed.append(rel)
        else:
            old = stage / "old" / rel
            if old.exists():
                os.replace(old, target)  # noqa: PTH105
                restored.append(rel)
    return restored, removed


def _refuse_links(out: Path, rels: list[str]) -> None:
    """No write may follow a symbolic link inside --out to somewhere else."""
    root = out.absolute()
    for rel in rels:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise InputError("--out", f"{rel} would land outside {out}", "report this as a bug")
        here = root
        for part in Path(rel).parts:
            here = here / part
            if here.is_symlink():
                raise InputError("--out", f"{here.relative_to(root)} in {out} is a symbolic link "
                                 f"(to {here.readlink()}), and nixbtw writes only inside --out",
                                 "replace the link with a real folder, or give --out the folder it points to")


def write_files(out: Path, files: dict[str, str], *, force: bool,
                seeds: dict[str, str] | None = None,
                overwrite: set[str] | None = None) -> WriteResult:
    """Write every file or none, even when stopped by a signal.

    Everything is staged in a folder inside --out first; then, with SIGTERM,
    SIGINT and SIGHUP held back, each new top folder or file is moved into
    place with one rename. A journal in the stage lets the next run undo a
    publish that SIGKILL or a power cut interrupted.
    `overwrite` names files the caller has already proven safe to replace.
    """
    seeds = seeds or {}
    overwrite = overwrite or set()
    if out.exists() and not out.is_dir():
        raise InputError("--out", f"{out} exists and is not a directory", "pick a directory")
    _check_writable(out)
    _refuse_links(out, [*files, *seeds])
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
    todo = {rel: text for rel, text in todo.items()
            if not ((out / rel).is_file() and (out / rel).read_text(encoding="utf-8") == text)}
    if not todo:
        return result
    modified = [rel for rel in todo if (out / rel).exists()]
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=out))
    try:
        # Git ignores the whole stage, so a leftover never reaches `git add -A`.
        (stage / ".gitignore").write_text("*\n", encoding="utf-8")
        moves = _stage(out, stage, todo)
        _checkpoint("staged")
        _write_durably(stage / JOURNAL, json.dumps(moves))
        with _signals_blocked():
            _checkpoint("rename-0")
            for i, move in enumerate(moves, start=1):
                os.replace(stage / "new" / move["rel"], out / move["rel"])  # noqa: PTH105
                if i == 1:
                    _checkpoint("publishing")
                _checkpoint(f"rename-{i}")
            # One rename turns "half published" into "published": the journal
            # is never read again, and recovery only deletes the folder.
            stage = _mark(stage, _DONE)
            _STATE["published"] = True
            _checkpoint("published")
    except BaseException:
        _STATE["published"] = False
        if not stage.name.endswith(_DONE) and (stage / JOURNAL).is_file():
            with _signals_blocked():
                _rollback(out, stage)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    result.written.extend(todo)
    result.modified.extend(modified)
    return result


def _stage(out: Path, stage: Path, todo: dict[str, str]) -> list[dict[str, Any]]:
    """Write the new files under stage/new and copies of replaced ones under stage/old;
    return the renames that publish them: whole new folders at once."""
    moves: dict[str, bool] = {}
    for rel, text in todo.items():
        target = stage / "new" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        target.chmod(0o644)
        parts = Path(rel).parts
        # The outermost part that does not exist yet moves as one; else the file itself.
        top = next((i for i in range(1, len(parts)) if not (out.joinpath(*parts[:i])).exists()), None)
        if top is not None:
            moves["/".join(parts[:top])] = True
        else:
            new = not (out / rel).exists()
            if not new:
                old = stage / "old" / rel
                old.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(out / rel, old)
            moves[rel] = new
    return [{"rel": rel, "new": new} for rel, new in moves.items()]


def _write_durably(path: Path, text: str) -> None:
    """Write, flush to disk, then rename: the journal exists whole or not at all."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)  # noqa: PTH105


def check_access(out: Path) -> None:
    """Refuse an --out this user cannot reach, read or write, before anything else
    looks inside it (a stat below an unreadable folder fails with EACCES)."""
    for here in (out.absolute(), *out.absolute().parents):
        try:
            exists = here.exists()
        except PermissionError:
            raise InputError("--out", f"{here} cannot be reached: a folder above it is not open to you",
                             "choose a directory you can read and write") from None
        if exists:
            break
    if not here.is_dir():
        raise InputError("--out", f"{here} is not a directory", "pick a directory")
    if not os.access(here, os.R_OK | os.W_OK | os.X_OK):
        raise InputError("--out", f"{here} is not readable and writable by you",
                         "choose a directory you can read and write")


def _check_writable(out: Path) -> None:
    check_access(out)


def _make_out(path: Path) -> list[Path]:
    """mkdir -p that reports the directories it created, outermost first."""
    if path.exists() and not path.is_dir():
        raise InputError("--out", f"{path} exists and is not a directory", "pick a directory")
    _check_writable(path)
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
