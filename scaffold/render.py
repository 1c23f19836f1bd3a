"""Rendering: specs in, files out as data. copier does the templating.

A repository is several copier subprojects: one per host (hosts/<name>/) and
one for the repository around them (flake.nix, README.md, ...). The channels
lane is a single /etc/nixos. Every function here returns repo-relative paths
and contents; nothing touches the destination.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.copier_ext import rendering_on
from scaffold.history import checkout, template_source
from scaffold.plan import Plan, make_plan
from scaffold.repo import RepoSpec, kind_of, repo_spec
from scaffold.spec import HostSpec

ANSWERS = ".copier-answers.yml"


@dataclass(frozen=True, slots=True)
class Rendered:
    """Files as data: repo-relative paths to contents."""

    plan: Plan
    files: dict[str, str]
    # Files the user owns once they exist: written only when absent.
    seeds: dict[str, str] = field(default_factory=dict)
    repo: RepoSpec | None = None


def answers_data(spec: HostSpec) -> dict[str, Any]:
    # Every answer is recorded explicitly, defaults included, so a newer
    # nixbtw with other defaults never changes an existing host behind its back.
    return spec.model_dump(mode="json")


def host_template(spec: HostSpec) -> str:
    if spec.lane == "nixos-channels":
        return "channels"
    return f"{kind_of(spec) if kind_of(spec) == 'darwin' else 'flake'}/host"


# One template for every repository (NixOS hosts, Macs or both): a repository
# of Macs made by nixbtw 0.2.0 (darwin/repo) updates into it.
REPO_TEMPLATE = "flake/repo"


def copier_render(template: str, data: dict[str, Any], *, version: str | None = None) -> dict[str, str]:
    """Run copier for one part into a scratch directory and return its files.

    At this nixbtw's template version, or at `version` (an update's base).
    """
    from copier import run_copy  # heavy: imported only when rendering

    src, ref = template_source()
    ref = version or ref
    with tempfile.TemporaryDirectory(prefix="nixbtw-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_copy(str(checkout(ref)), tmp, data={"nixbtw_template": template, **data},
                 defaults=True, quiet=True, unsafe=True, answers_file=ANSWERS, overwrite=True,
                 skip_tasks=True)
        files = {p.relative_to(tmp).as_posix(): p.read_text(encoding="utf-8")
                 for p in sorted(Path(tmp).rglob("*")) if p.is_file()}
    # Rendered from a plain copy of the version, so record what copier records
    # when it renders from the history itself: the version and the history.
    files[ANSWERS] = _record_source(files[ANSWERS], src, ref)
    return files


def keep_if_exists(version: str) -> Callable[[str], bool]:
    """copier's `_skip_if_exists` at `version`, as a matcher of part-relative paths."""
    return _skip_matcher(checkout(version))


@functools.cache
def _skip_matcher(templates: Path) -> Callable[[str], bool]:
    import pathspec
    import yaml

    config = yaml.safe_load((templates / "copier.yml").read_text(encoding="utf-8"))
    # copier's choice of pattern style, so both read the list alike.
    style = "gitwildmatch" if pathspec.__version__.startswith("0.") else "gitignore"
    spec = pathspec.PathSpec.from_lines(style, config.get("_skip_if_exists") or [])
    return spec.match_file


def _record_source(answers: str, src: str, ref: str) -> str:
    lines = [line for line in answers.splitlines() if not line.startswith(("_src_path:", "_commit:"))]
    head = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")]
    return "\n".join([*head, f"_commit: {ref}", f"_src_path: {src}", *body]) + "\n"


# Files the machine or the user owns once they exist: written only where
# nothing is, even with --force (a generated hardware-configuration.nix must
# never be replaced by the placeholder).
SEEDS = ("hardware-configuration.nix", "facter.json")


def _is_seed(rel: str) -> bool:
    parts = rel.split("/")
    return (len(parts) == 2 and parts[0] == "home") or rel in SEEDS


def render_host(spec: HostSpec, *, on: dt.date) -> Rendered:
    """One host's own files (under hosts/<name>/, or all of /etc/nixos for channels)."""
    plan = make_plan(spec, on=on)
    with rendering_on(on):
        files = copier_render(host_template(spec), answers_data(spec))
    prefix = f"{plan.host_dir}/" if plan.host_dir else ""
    seeds = {prefix + rel: files.pop(rel) for rel in list(files) if _is_seed(rel)}
    return Rendered(plan=plan, files={prefix + rel: text for rel, text in files.items()}, seeds=seeds)


def render_repo(repo: RepoSpec) -> dict[str, str]:
    """The files around the hosts: flake.nix, README.md, .gitignore, secrets rules.

    Remembered on disk for a while: adding a host compares the repository's
    files with their render before the host, which the previous `new host`
    usually made, so a fleet grows at the cost of its first host.
    """
    from scaffold.copier_ext import render_day

    data = {"repo": repo.model_dump(mode="json")}
    key = json.dumps([str(checkout(template_source()[1])), REPO_TEMPLATE, data,
                      render_day().isoformat()], sort_keys=True)
    cache = checkout(template_source()[1]).parent / "renders"
    path = cache / f"repo-{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
    with contextlib.suppress(OSError, ValueError):
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached, dict) and all(isinstance(v, str) for v in cached.values()):
            os.utime(path)
            return cached
    files = copier_render(REPO_TEMPLATE, data)
    with contextlib.suppress(OSError):
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(files), encoding="utf-8")
        tmp.replace(path)
        for old in sorted(cache.glob("repo-*.json"), key=lambda p: p.stat().st_mtime)[:-_KEEP_RENDERS]:
            old.unlink(missing_ok=True)
    return files


# Renders of the repository part kept (a fleet's last few states).
_KEEP_RENDERS = 16


def render_new(spec: HostSpec, *, on: dt.date, others: list[HostSpec] | None = None) -> Rendered:
    """A host together with the repository around it."""
    host = render_host(spec, on=on)
    if spec.lane == "nixos-channels":
        return host
    repo = repo_spec([*(others or []), spec])
    with rendering_on(on):
        repo_files = render_repo(repo)
    return Rendered(plan=host.plan, files={**repo_files, **host.files}, seeds=host.seeds, repo=repo)
