"""Updating generated repositories with copier, safely.

copier's update is a three-way merge, but it exits successfully even when it
leaves conflict markers, and it needs the template version the host was made
with. nixbtw supplies the history (scaffold.history), refuses dirty trees,
detects conflicts, and keeps machine-owned files out of reach.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold import process
from scaffold.answers import apply_set, build_spec
from scaffold.errors import InputError, NixbtwError, UsageError
from scaffold.history import template_source
from scaffold.render import ANSWERS, REPO_TEMPLATE, answers_data
from scaffold.repo import RepoSpec, repo_spec
from scaffold.spec import HostSpec

# libyaml when present: a fleet's update reads every host's answers.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CONFLICT = re.compile(r"^<<<<<<< ", re.M)
log = logging.getLogger("nixbtw")


class UpdateConflict(NixbtwError):
    """copier left conflict markers: the user must resolve them."""

    exit_code = 1

    def __init__(self, files: list[str], pending: list[str] | None = None) -> None:
        self.files = files
        pending = pending or []
        self.pending = pending
        listing = ", ".join(files)
        later = f"; then run `nixbtw update {' '.join(pending)}` for the hosts not yet updated" if pending else ""
        super().__init__(
            f"update: your edits and the new templates collide in {listing}; resolve the "
            "<<<<<<< / >>>>>>> blocks in each file, then `git add` them and commit "
            f"(or `git reset --hard HEAD` to drop the update){later}")


@dataclass(slots=True)
class UpdateResult:
    changed: list[str] = field(default_factory=list)
    diff: str = ""
    conflicts: list[str] = field(default_factory=list)
    # Changed .nix files that nix-instantiate --parse rejects after the merge.
    invalid: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def read_answers(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise InputError(str(path), f"cannot read the recorded answers ({first})",
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
        where = f"{directory / ANSWERS}" + (" with --set" if sets else "")
        raise InputError(problems=[type(p)(f"{where}: {p.field}", p.problem, p.fix)
                                   for p in err.problems]) from None


def _git(root: Path, *args: str, check: bool = True) -> str:
    return process.run(["git", "-C", str(root), *args], check=check).stdout


def require_clean_git(root: Path) -> None:
    probe = process.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], check=False)
    if probe.returncode != 0:
        raise UsageError(str(root), "is not in a git repository, and updates merge through git",
                         "run `git init && git add -A && git commit -m init` first")
    dirty = [line for line in _git(root, "status", "--porcelain", "--untracked-files=normal").splitlines()
             if line.strip()]
    if dirty:
        first = dirty[0][3:]
        raise UsageError(str(root), f"has uncommitted changes (e.g. {first})",
                         "commit or stash them first, so the change can be reviewed and undone")


class UpdateFailed(NixbtwError):
    exit_code = 1


def _recorded(part: Path) -> dict[str, Any]:
    return {k: v for k, v in read_answers(part / ANSWERS).items() if not k.startswith("_")}


def _update_part(dst: Path, data: dict[str, Any], *, on: dt.date, same: bool) -> list[str]:
    """Bring one copier part (a host, or the repository) to this version and `data`.

    Returns the conflicted files. A part already at this version whose
    answers are the `same` (as validated: YAML reads an unquoted 26.05 as a
    number) is left alone, as a re-render would change nothing.
    """
    from scaffold.copier_ext import rendering_on
    from scaffold.render import copier_render, keep_if_exists
    from scaffold.threeway import merge_part

    _src, ref = template_source()  # installs the history where the answers point
    check_source(dst)
    recorded = read_answers(dst / ANSWERS)
    before = {k: v for k, v in recorded.items() if not k.startswith("_")}
    if same and recorded.get("_commit") == ref:
        return []
    template = str(data["nixbtw_template"])
    try:
        with rendering_on(on):
            base = copier_render(str(before.get("nixbtw_template", template)), before,
                                 version=str(recorded.get("_commit", "")))
            theirs = copier_render(template, data)
        merged = merge_part(dst, base, theirs, keep_if_exists=keep_if_exists(ref), answers=ANSWERS)
    except NixbtwError:
        raise
    except Exception as err:  # copier and git failures, in one line
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise UpdateFailed(f"update of {dst.name or dst}: {first}; nothing was committed: "
                           "`git reset --hard HEAD` returns to where you were") from None
    return [(dst.resolve() / rel).relative_to(_top(dst)).as_posix() for rel in merged.conflicts]


def _top(path: Path) -> Path:
    return Path(_git(path, "rev-parse", "--show-toplevel").strip()).resolve()


def check_source(dst: Path) -> None:
    """Refuse answers that point copier at anything but nixbtw's own history.

    The templates run with copier's trust (nixbtw's jinja extension), so a
    committed answers file must never choose what gets rendered or run.
    """
    src, _ref = template_source()
    recorded = read_answers(dst / ANSWERS).get("_src_path")
    if recorded != src:
        raise InputError(str(dst / ANSWERS), f"_src_path is {recorded!r}, not nixbtw's template "
                         f"history ({src})", f"restore `_src_path: {src}` (git log -p shows the change)")


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
    recorded = {name: host_spec(known[name], on=on) for name in known}
    specs = {name: host_spec(known[name], on=on, sets=sets) if sets and name in chosen else recorded[name]
             for name in known}
    for name in chosen:
        _refuse_unsafe_changes(recorded[name], specs[name])
        if sets and specs[name].release != recorded[name].release:
            from scaffold import releases

            for warning in releases.release_warnings(releases.get(specs[name].release or ""), on):
                log.warning("warning: %s", warning)
    for directory in [known[name] for name in chosen] + ([root] if is_repo(root) else []):
        check_source(directory)
    # The repository first: its flake.nix must offer the inputs the hosts'
    # new answers need, and a conflict there stops before any host changes.
    if is_repo(root):
        repo = repo_spec(specs.values())
        data = {"repo": repo.model_dump(mode="json"), "nixbtw_template": REPO_TEMPLATE}
        if _update_part(root, data, on=on, same=_recorded(root) == data):
            raise UpdateConflict(conflicted_files(root), chosen)
    for i, name in enumerate(chosen):
        # A conflict must be resolved (and committed) before the next host's
        # merge, which `git reset --hard` must be able to undo alone: stop
        # here and say which hosts remain.
        if _update_part(known[name], {**answers_data(specs[name]), "nixbtw_template":
                                      read_answers(known[name] / ANSWERS)["nixbtw_template"]},
                        on=on, same=specs[name] == recorded[name]):
            raise UpdateConflict(conflicted_files(root), chosen[i + 1:])
    result = UpdateResult(changed=_changed(root))
    result.deleted = sorted(set(_git(root, "ls-files", "--deleted").split()))
    created = _git(root, "ls-files", "--others", "--exclude-standard").split()
    if created:
        # Intent to add: the flake sees them, and `git commit -a` includes them.
        _git(root, "add", "--intent-to-add", "--", *created)
    result.invalid = invalid_nix(root, result.changed)
    return result


def _refuse_unsafe_changes(before: HostSpec, spec: HostSpec) -> None:
    """Answers an update must not change: they are not re-renderable facts."""
    if spec.hostname != before.hostname:
        raise InputError("hostname", f"renaming {before.hostname} is not an update (its folder, "
                         "secrets and references keep the old name)",
                         f"create the new host with nixbtw new host {spec.hostname}, then remove "
                         f"hosts/{before.hostname}")
    if spec.lane != before.lane:
        raise InputError("lane", f"moving {before.hostname} from {before.lane} to {spec.lane} is not "
                         "an update (its machine-owned files belong to the old lane)",
                         f"create a new host with lane {spec.lane}")
    if spec.state_version != before.state_version:
        raise InputError("state_version", f"changing it from {before.state_version} does not "
                         "upgrade anything and can break stateful services",
                         "keep the value of the first install; move to a new release with --set release=...")
    if spec.darwin_state_version != before.darwin_state_version:
        raise InputError("darwin_state_version", "nix-darwin's stateVersion is set once, at install",
                         "keep the value of the first install")
    if (spec.disk != before.disk) and before.disk.layout != "none":
        log.warning("warning: the disk answers changed: disko.nix will describe another layout, "
                    "which only applies by reformatting the disk (nixos-anywhere or disko --mode "
                    "destroy,format,mount)")


def invalid_nix(root: Path, changed: list[str]) -> list[str]:
    """Changed .nix files that no longer parse (a merge can leave duplicate attributes)."""
    if shutil.which("nix-instantiate") is None:
        return []
    bad = []
    for rel in changed:
        if rel.endswith(".nix") and (root / rel).is_file():
            proc = process.run(["nix-instantiate", "--parse", str(root / rel)], check=False)
            if proc.returncode != 0:
                first = next((line for line in proc.stderr.splitlines() if line.strip()), "")
                bad.append(f"{rel}: {first.strip()}")
    return bad


def merge_repo_part(root: Path, repo: RepoSpec, *, on: dt.date) -> tuple[dict[str, str], list[str]]:
    """flake.nix and the shared files brought in line with the hosts, merged with the
    user's edits: (the merged files, those left with conflict markers).

    The merge runs in a scratch clone, so nothing in `root` changes here: the
    caller writes the result together with the rest of its run, all or nothing.
    """
    require_clean_git(root)
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    rel = root.resolve().relative_to(top.resolve())
    with tempfile.TemporaryDirectory(prefix="nixbtw-merge-") as tmp:
        clone = Path(tmp) / "repo"
        _git(top, "clone", "-q", "--no-hardlinks", str(top), str(clone))
        here = clone / rel
        data = {"repo": repo.model_dump(mode="json"), "nixbtw_template": REPO_TEMPLATE}
        _update_part(here, data, on=on, same=_recorded(here) == data)
        _git(here, "add", "-A", ".")
        changed = _git(here, "diff", "--cached", "--name-only", "--relative", "--diff-filter=d").split()
        merged = {name: (here / name).read_text(encoding="utf-8") for name in changed}
    conflicts = sorted(name for name, text in merged.items()
                       if name.endswith(".rej") or CONFLICT.search(text))
    return merged, conflicts


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
        except InputError as err:
            # Name the user's repository, not the scratch clone.
            raise InputError(problems=[type(p)(p.field.replace(str(clone / rel), str(root)),
                                              p.problem, p.fix) for p in err.problems]) from None
        _git(clone, "add", "-A")
        result.invalid = [line.replace(str(clone / rel), str(root)) for line in result.invalid]
        result.diff = _git(clone, "diff", "--cached")
        result.changed = _git(clone, "diff", "--cached", "--name-only").split()
        shutil.rmtree(clone, ignore_errors=True)
    return result
