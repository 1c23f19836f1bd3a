"""The template history that makes updates work offline and after upgrades.

copier computes an update as a three-way merge: the host as rendered by the
template version it was made with, the host as the user edited it, and the
host rendered by the new version. So the old template version must exist on
the user's machine, even one that never ran the old nixbtw.

The package therefore ships every released template version as a git bundle
(data/templates.bundle: one commit per version, tagged with the nixbtw version).
At run time it is copied to a fixed path in the user's home, which is what the
answers files record as `_src_path`: `copier update` run by hand finds it too.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from scaffold import __version__, process
from scaffold.errors import InputError

# Recorded in every answers file, so it must not depend on the machine.
SOURCE = "~/.local/share/nixbtw/templates.bundle"


def packaged_bundle() -> Path:
    return Path(str(resources.files("scaffold.data").joinpath("templates.bundle")))


def bundle_tags(bundle: Path) -> set[str]:
    proc = process.run(["git", "bundle", "list-heads", str(bundle)], check=False)
    if proc.returncode != 0:
        return set()
    return {line.split()[1].removeprefix("refs/tags/") for line in proc.stdout.splitlines()
            if len(line.split()) == 2 and line.split()[1].startswith("refs/tags/")}


@functools.cache
def _installed(home: str) -> str:
    target = Path(SOURCE).expanduser()
    packaged = packaged_bundle()
    if target.is_file() and target.read_bytes() == packaged.read_bytes():
        return SOURCE
    # Never replace a bundle with one that knows fewer versions (a downgrade).
    if not target.is_file() or bundle_tags(packaged) >= bundle_tags(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(packaged, tmp)
        tmp.replace(target)
    return SOURCE


def template_source() -> tuple[str, str]:
    """(src_path, vcs_ref) for copier: the installed history at this version."""
    return _installed(str(Path.home())), __version__


def checkout(version: str) -> Path:
    """A plain copy of the templates at `version`, cached: rendering a new host
    from it is much cheaper than letting copier clone the history every time."""
    src = Path(template_source()[0]).expanduser()
    stat = src.stat()
    if version not in _versions(src, stat.st_mtime_ns, stat.st_size):
        # A teammate's newer nixbtw wrote the repository (or the answers were edited):
        # say so instead of git clone's "Could not find remote branch".
        raise InputError("_commit", f"the repository records template version {version!r}, which "
                         f"nixbtw {__version__} does not have (it knows "
                         f"{', '.join(sorted(_versions(src, stat.st_mtime_ns, stat.st_size)))})",
                         "upgrade nixbtw to the version that wrote it, then run this again")
    return _checkout(version, src, stat.st_mtime_ns, stat.st_size)


@functools.cache
def _versions(src: Path, _mtime: int, _size: int) -> frozenset[str]:
    return frozenset(bundle_tags(src))


@functools.cache
def _checkout(version: str, src: Path, _mtime: int, _size: int) -> Path:
    # Keyed by the history file's identity too: a newer nixbtw installs another.
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:12]
    target = Path("~/.cache/nixbtw").expanduser() / f"templates-{version}-{digest}"
    if (target / "copier.yml").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".templates-", dir=target.parent))
    try:
        process.run(["git", "clone", "-q", "--depth", "1", "--branch", version, str(src),
                     str(tmp / "t")], check=True)
        shutil.rmtree(tmp / "t" / ".git")
        # If another process won the race, its copy is as good as ours.
        with contextlib.suppress(OSError):
            (tmp / "t").rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
