"""Updating generated repositories with copier, safely.

copier's update is a three-way merge, but it exits successfully even when it
leaves conflict markers, and it needs the template version the host was made
with. nixbtw supplies the history (scaffold.history), refuses dirty trees,
detects conflicts, and keeps machine-owned files out of reach.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold import process
from scaffold.answers import apply_set, build_spec
from scaffold.errors import InputError, NixbtwError, UsageError
from scaffold.history import template_source
from scaffold.render import ANSWERS, answers_data
from scaffold.repo import RepoSpec, repo_spec
from scaffold.spec import HostSpec

CONFLICT = re.compile(r"^<<<<<<< ", re.M)


class UpdateConflict(NixbtwError):
    """copier left conflict markers: the user must resolve them."""

    exit_code = 1

    def __init__(self, files: list[str]) -> None:
        self.files = files
        listing = ", ".join(files)
        super().__init__(
            f"update: your edits and the new templates collide in {listing}; resolve the "
            "<<<<<<< / >>>>>>> blocks in each file, then `git add` them and commit "
            "(or `git checkout -- .` to drop the update)")


@dataclass(slots=True)
class UpdateResult:
    changed: list[str] = field(default_factory=list)
    diff: str = ""
    conflicts: list[str] = field(default_factory=list)


def read_answers(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise InputError(str(path), f"cannot read the recorded answers ({err})",
                         "restore the file from git") from None
    if not isinstance(data, dict):
        raise InputError(str(path), "is not an answers file", "restore the file from git")
    return data


def is_repo(root: Path) -> bool:
    answers = root / ANSWERS
    return answers.is_file() and str(read_answers(answers).get("nixbtw_template", "")).endswith("/repo")


def host_dirs(root: Path) -> dict[str, Path]:
    hosts = root / "hosts"
    if not hosts.is_dir():
        return {}
    return {d.name: d for d in sorted(hosts.iterdir()) if (d / ANSWERS).is_file()}


def host_spec(directory: Path, *, on: dt.date, sets: list[str] | None = None) -> HostSpec:
    """A host's recorded answers (plus --set changes), validated again."""
    answers = {k: v for k, v in read_answers(directory / ANSWERS).items() if not k.startswith("_")}
    answers.pop("nixbtw_template", None)
    for assignment in sets or []:
        apply_set(answers, assignment)
    try:
        return build_spec(answers, on=on)
    except InputError as err:
        where = directory / ANSWERS
        raise InputError(problems=[type(p)(f"{where}: {p.field}", p.problem, p.fix)
                                   for p in err.problems]) from None


def _git(root: Path, *args: str, check: bool = True) -> str:
    return process.run(["git", "-C", str(root), *args], check=check).stdout


def require_clean_git(root: Path) -> None:
    probe = process.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], check=False)
    if probe.returncode != 0:
        raise UsageError(str(root), "is not in a git repository, and updates merge through git",
                         "run `git init && git add -A && git commit -m init` first")
    dirty = _git(root, "status", "--porcelain", "--untracked-files=normal").strip()
    if dirty:
        first = dirty.splitlines()[0][3:]
        raise UsageError(str(root), f"has uncommitted changes (e.g. {first})",
                         "commit or stash them first, so the update can be reviewed and undone")


def _copier_update(dst: Path, data: dict[str, Any]) -> None:
    from copier import run_update

    _src, ref = template_source()  # installs the history where the answers point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_update(str(dst), data=data, answers_file=ANSWERS, vcs_ref=ref, defaults=True,
                   overwrite=True, unsafe=True, quiet=True, conflict="inline", skip_answered=True)


def conflicted_files(root: Path) -> list[str]:
    unmerged = _git(root, "diff", "--name-only", "--diff-filter=U").split()
    marked = []
    for rel in _git(root, "diff", "--name-only").split() + _git(
            root, "ls-files", "--others", "--exclude-standard").split():
        path = root / rel
        if path.is_file() and rel.endswith((".rej",)):
            marked.append(rel)
        elif path.is_file():
            try:
                if CONFLICT.search(path.read_text(encoding="utf-8")):
                    marked.append(rel)
            except UnicodeDecodeError:
                continue
    return sorted(set(unmerged) | set(marked))


def _hosts_of(root: Path) -> dict[str, Path]:
    if (root / ANSWERS).is_file() and read_answers(root / ANSWERS).get("nixbtw_template") == "channels":
        return {str(read_answers(root / ANSWERS).get("hostname", root.name)): root}
    return host_dirs(root)


def update_repo(root: Path, hosts: list[str] | None = None, *, sets: list[str] | None = None,
                on: dt.date, dry_run: bool = False) -> UpdateResult:
    """Re-render hosts (all by default) and the repository from the current templates."""
    require_clean_git(root)
    if dry_run:
        return _dry_run(root, hosts, sets=sets, on=on)
    known = _hosts_of(root)
    chosen = hosts or list(known)
    for name in chosen:
        if name not in known:
            raise InputError("HOST", f"{name!r} is not a host in {root}",
                             f"use one of {', '.join(known) or '(none)'}")
    if sets and len(chosen) != 1:
        raise UsageError("--set", "answers can be changed for one host at a time",
                         "name the host: nixbtw update HOST --set KEY=VALUE")
    specs = {name: host_spec(known[name], on=on, sets=sets if name in chosen else None)
             for name in known}
    # The repository first: copier checks that the part it updates is clean,
    # and the root part contains every host's folder.
    if is_repo(root):
        _copier_update(root, {"repo": repo_spec(specs.values()).model_dump(mode="json"),
                              "nixbtw_template": read_answers(root / ANSWERS)["nixbtw_template"]})
    for name in chosen:
        _copier_update(known[name], {**answers_data(specs[name]), "nixbtw_template":
                                     read_answers(known[name] / ANSWERS)["nixbtw_template"]})
    result = UpdateResult(changed=_changed(root))
    result.conflicts = conflicted_files(root)
    if result.conflicts:
        raise UpdateConflict(result.conflicts)
    return result


def update_repo_part(root: Path, repo: RepoSpec) -> list[str]:
    """Bring flake.nix and the shared files in line with the hosts (merging edits)."""
    require_clean_git(root)
    _copier_update(root, {"repo": repo.model_dump(mode="json"),
                          "nixbtw_template": read_answers(root / ANSWERS)["nixbtw_template"]})
    conflicts = conflicted_files(root)
    if conflicts:
        raise UpdateConflict(conflicts)
    return _changed(root)


def _changed(root: Path) -> list[str]:
    return sorted(set(_git(root, "diff", "--name-only").split())
                  | set(_git(root, "ls-files", "--others", "--exclude-standard").split()))


def _dry_run(root: Path, hosts: list[str] | None, *, sets: list[str] | None,
             on: dt.date) -> UpdateResult:
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    rel = root.resolve().relative_to(top.resolve())
    with tempfile.TemporaryDirectory(prefix="nixbtw-dry-run-") as tmp:
        clone = Path(tmp) / "repo"
        _git(top, "clone", "-q", "--no-hardlinks", str(top), str(clone))
        try:
            result = update_repo(clone / rel, hosts, sets=sets, on=on)
        except UpdateConflict as err:
            result = UpdateResult(conflicts=err.files)
        _git(clone, "add", "-A")
        result.diff = _git(clone, "diff", "--cached")
        result.changed = _git(clone, "diff", "--cached", "--name-only").split()
        shutil.rmtree(clone, ignore_errors=True)
    return result
