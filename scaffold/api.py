"""The library behind the command line: keyword-only functions a pipeline can import."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scaffold import nixlit
from scaffold.errors import FileExistsConflict, InputError, NixbtwError, UsageError
from scaffold.render import ANSWERS, Rendered, render_host, render_new, render_repo
from scaffold.repo import RepoSpec, repo_spec
from scaffold.spec import HostSpec
from scaffold.update import (
    UpdateResult,
    host_dirs,
    host_spec,
    is_repo,
    merge_repo_part,
    read_answers,
    update_repo,
)

if TYPE_CHECKING:
    from scaffold.deploy import DeployResult
from scaffold.write import WriteResult, check_access, check_ground, git_add, locked, write_files

__all__ = ["NewHost", "NewHostConflict", "UpdateResult", "deploy", "new_host", "update"]


@dataclass(frozen=True, slots=True)
class NewHost:
    rendered: Rendered
    written: WriteResult
    out: Path
    repo_updated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.rendered.plan.warnings

    def to_json(self) -> dict[str, object]:
        spec = self.rendered.plan.spec
        return {
            "hostname": spec.hostname,
            "lane": spec.lane,
            "release": spec.release,
            "out": str(self.out),
            "written": self.written.written,
            "kept": self.written.skipped,
            "repo_updated": self.repo_updated,
            "git_added": self.written.git_added,
            "warnings": list(self.warnings),
        }


def new_host(spec: HostSpec, out: Path, *, on: dt.date, force: bool = False,
             stage: bool = True, keep: Path | None = None) -> NewHost:
    """Render a host and write it into `out`, all or nothing.

    In a repository nixbtw made before, only the new host's folder is written;
    when the host needs flake inputs the repository lacks, flake.nix is
    updated through copier's merge, keeping the user's edits. `keep` names a
    file the caller writes afterwards (--save-answers): it may not be one of the
    run's own files.
    """
    check_access(out)
    out = enclosing_repo(out) or out
    check_ground(out, force=force)
    with locked(out):
        return _new_host(spec, out, on=on, force=force, stage=stage, keep=keep)


def _new_host(spec: HostSpec, out: Path, *, on: dt.date, force: bool, stage: bool,
              keep: Path | None) -> NewHost:
    repo_updated: list[str] = []
    conflicts: list[str] = []
    _refuse_mixing(spec, out)
    if spec.lane != "nixos-channels" and is_repo(out):
        host, repo = _render_into_fleet(spec, out, on=on, force=force)
        try:
            repo_files, repo_updated = _repo_changes(out, repo, on=on)
        except _RepoConflict as conflict:
            repo_files, repo_updated, conflicts = conflict.files, sorted(conflict.files), conflict.conflicts
        rendered = Rendered(plan=host.plan, files={**repo_files, **host.files}, seeds=host.seeds,
                            repo=repo)
        # Host files follow --force; the repository's files are either unedited
        # (safe to re-render) or were merged by copier above.
        force_paths = set(repo_files)
    else:
        rendered = render_new(spec, on=on)
        force_paths = set()
    files = dict(rendered.files)
    sops = _sops_rule(out, spec, files)
    if sops is not None:
        files[".sops.yaml"] = sops
        force_paths.add(".sops.yaml")
    if keep is not None:
        _refuse_own_file(keep, out, [*files, *rendered.seeds])
    # Every change this run makes goes through this one write, so a run
    # killed at any point is undone as a whole by the next one.
    result = write_files(out, files, force=force, seeds=rendered.seeds, overwrite=force_paths)
    notes = _secret_notes(out, spec, result)
    if stage:
        git_add(out, result.written, result)
    if conflicts:
        raise NewHostConflict(spec.hostname, conflicts)
    return NewHost(rendered=rendered, written=result, out=out, repo_updated=repo_updated, notes=notes)


def _refuse_own_file(keep: Path, out: Path, rels: list[str]) -> None:
    where = os.path.realpath(keep)
    for rel in rels:
        if os.path.realpath(out / rel) == where:
            raise UsageError("--save-answers", f"{keep} is {rel}, a file this run writes",
                             "save the answers outside the generated files, e.g. --save-answers answers.yaml")


def _sops_rule(out: Path, spec: HostSpec, files: dict[str, str]) -> str | None:
    """.sops.yaml with this host's rule, when the repository's file is the user's.

    .sops.yaml is written once and then belongs to the user (host keys get
    filled in), so a later host's rule is added by editing it.
    """
    path = out / ".sops.yaml"
    if spec.secrets.tool != "sops-nix" or ".sops.yaml" in files or not path.is_file():
        return None
    from scaffold.recipients import add_sops_rule

    before = path.read_text(encoding="utf-8")
    after = add_sops_rule(before, spec.hostname, spec.secrets.admin_keys)
    return after if after != before else None


def _secret_notes(out: Path, spec: HostSpec, result: WriteResult) -> list[str]:
    """What to add by hand to an agenix rules file that is the user's."""
    if spec.secrets.tool == "agenix" and "secrets/secrets.nix" not in result.written:
        path = out / "secrets" / "secrets.nix"
        name = nixlit.attr(spec.hostname)
        if path.is_file() and not re.search(rf"^[ \t]*{re.escape(name)}[ \t]*=", path.read_text(), re.M):
            keys = " ".join(nixlit.string(k) for k in spec.secrets.admin_keys)
            return [f"add {spec.hostname} to secrets/secrets.nix by hand: `admins.{nixlit.string(spec.hostname)} "
                    f"= [ {keys} ];`, `hosts.{name} = [ ];` (its host key), and one "
                    "`\"<file>.age\".publicKeys` line per secret (see hosts/"
                    f"{spec.hostname}/README.md)"]
    return []


def enclosing_repo(path: Path) -> Path | None:
    """The nixbtw repository `path` names: the repository itself, or its hosts/ folder or a
    folder below it (`nixbtw new host x` run from hosts/atlas). Any other folder, and anything
    behind another git repository's boundary, is a place of its own, never a parent repository
    written from afar."""
    here = path.absolute()
    if is_repo(here):
        return here
    if (here / ".git").exists():
        return None
    for candidate in here.parents:
        inside = here.relative_to(candidate).parts
        if is_repo(candidate):
            return candidate if inside[0] == "hosts" else None
        # A separate git repository (or a nixbtw repository of its own) ends the search.
        if (candidate / ".git").exists():
            return None
    return None


def _refuse_mixing(spec: HostSpec, out: Path) -> None:
    answers = out / ANSWERS
    if not answers.is_file():
        return
    recorded = str(read_answers(answers).get("nixbtw_template", ""))
    if spec.lane == "nixos-channels" and recorded:
        raise InputError("lane", f"{out} already holds a repository nixbtw made, and lane "
                         "nixos-channels is a whole /etc/nixos of its own",
                         "give --out a directory of its own for this host")
    if recorded == "channels" and spec.lane != "nixos-channels":
        raise InputError("lane", f"{out} holds a channels /etc/nixos, which has no room for "
                         f"a {spec.lane} host", "give --out a directory of its own for this host")


def _render_into_fleet(spec: HostSpec, out: Path, *, on: dt.date,
                       force: bool) -> tuple[Rendered, RepoSpec]:
    hosts = host_dirs(out)
    if spec.hostname in hosts and not force:
        raise FileExistsConflict("hostname", f"host {spec.hostname} already exists in {out}",
                                 "pick another name, regenerate it with --force, or run nixbtw update")
    others = [host_spec(d, on=on) for name, d in hosts.items() if name != spec.hostname]
    try:
        repo = repo_spec([*others, spec])
    except InputError as err:
        raise InputError(problems=[type(p)(p.field, p.problem + f" (the repository in {out})", p.fix)
                                   for p in err.problems]) from None
    return render_host(spec, on=on), repo


def _repo_changes(out: Path, repo: RepoSpec, *, on: dt.date) -> tuple[dict[str, str], list[str]]:
    """The repository's files after adding a host: (files to write, those merged with edits)."""
    recorded = read_answers(out / ANSWERS).get("repo")
    if recorded == repo.model_dump(mode="json"):
        return {}, []
    before = render_repo(RepoSpec.model_validate(recorded))
    unedited = all((out / rel).is_file() and (out / rel).read_text(encoding="utf-8") == text
                   for rel, text in before.items())
    if unedited:
        return render_repo(repo), []
    # The user edited flake.nix or another shared file: merge, which needs git.
    merged, conflicts = merge_repo_part(out, repo, on=on)
    if conflicts:
        # Written with the host in the run's one write, so the repository never lists a
        # host it lacks; the markers are the user's to resolve.
        raise _RepoConflict(merged, conflicts)
    return merged, sorted(merged)


class _RepoConflict(Exception):
    def __init__(self, files: dict[str, str], conflicts: list[str]) -> None:
        self.files, self.conflicts = files, conflicts


class NewHostConflict(NixbtwError):
    """The host is written; the repository's files it changed hold conflict markers."""

    exit_code = 1

    def __init__(self, host: str, files: list[str]) -> None:
        self.files = files
        super().__init__(
            f"new host: hosts/{host} is written, but your edits collide with what it needs in "
            f"{', '.join(files)}; resolve the <<<<<<< / >>>>>>> markers there, then git add and commit "
            "(nothing else is needed: the host is in place)")


def update(root: Path, hosts: list[str] | None = None, *, on: dt.date,
           sets: list[str] | None = None, dry_run: bool = False) -> UpdateResult:
    """Carry template improvements (and changed answers) into a generated repository."""
    if not (root / ANSWERS).is_file():
        raise InputError(str(root), "holds no repository made by nixbtw (no .copier-answers.yml)",
                         "run nixbtw update inside the repository, or pass --repo DIR")
    if dry_run:
        return update_repo(root, hosts, sets=sets, on=on, dry_run=True)
    # A run of new host killed mid-write is undone first, under the same lock.
    with locked(root, signals=False):
        return update_repo(root, hosts, sets=sets, on=on)


def deploy(repo: Path, hosts: list[str], tags: list[str], *, on: dt.date, dry_run: bool = False,
           say: Callable[[str], None] = lambda _line: None) -> DeployResult:
    """Deploy hosts (by name or tag; default every host with a target) with deploy-rs."""
    from scaffold.deploy import deploy as run_deploy

    if not (repo / ANSWERS).is_file():
        raise InputError(str(repo), "holds no repository made by nixbtw (no .copier-answers.yml)",
                         "run nixbtw deploy inside the repository, or pass --repo DIR")
    return run_deploy(repo, hosts, tags, on=on, dry_run=dry_run, say=say)
