"""Shared fixtures: a fixed date, real Nix, rendered examples, per-file snapshots."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from scaffold.answers import build_spec, load_file
from scaffold.copier_ext import rendering_on
from scaffold.render import Rendered, render_host, render_new, render_repo
from scaffold.repo import repo_spec
from scaffold.spec import HostSpec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TODAY = dt.date(2026, 11, 25)
_HOME = Path(tempfile.mkdtemp(prefix="nixbtw-home-"))
# Some tests render examples while pytest collects them (parametrize), before
# any fixture runs: they must see the same date as the tests themselves.
os.environ.setdefault("NIXBTW_TODAY", TODAY.isoformat())


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    # The default release depends on the date; the story these tests tell is
    # the one of 2026-11-25 (26.05 stable, 26.11 not yet out).
    monkeypatch.setenv("NIXBTW_TODAY", TODAY.isoformat())
    # nixbtw installs its template history under ~/.local/share: keep it in the sandbox.
    monkeypatch.setenv("HOME", str(_HOME))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var, value in {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
                       "GIT_COMMITTER_NAME": "Test",
                       "GIT_COMMITTER_EMAIL": "test@example.invalid"}.items():
        monkeypatch.setenv(var, value)


def require_tool(name: str) -> str:
    """A test that needs a tool fails without it: CI must install it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; .ci/run installs it (Debian: apt-get install nix-bin)")
    return path


@pytest.fixture(scope="session")
def nix_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for nix-instantiate with a private, throwaway state."""
    require_tool("nix-instantiate")
    base = tmp_path_factory.mktemp("nix")
    env = dict(os.environ)
    env.update(NIX_STATE_DIR=str(base / "state"), NIX_CONF_DIR=str(base / "conf"),
               NIX_LOG_DIR=str(base / "log"), XDG_CACHE_HOME=str(base / "cache"),
               NIX_REMOTE="", HOME=str(base))
    (base / "conf").mkdir()
    (base / "conf" / "nix.conf").write_text("experimental-features = nix-command\n")
    return env


def nix_parse(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nix-instantiate", "--parse", str(path)], env=env,
                          capture_output=True, text=True, check=False)


def nix_eval_json(expr: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nix-instantiate", "--eval", "--strict", "--json", "--expr", expr],
                          env=env, capture_output=True, text=True, check=False)


def example_names() -> list[str]:
    """Every example: one host (examples/<name>.yaml) or a repository of several
    (examples/<name>/, one answers file per host)."""
    return sorted([*host_example_names(), *(p.name for p in EXAMPLES.iterdir() if p.is_dir())])


def host_example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def example_spec(name: str) -> HostSpec:
    return build_spec(load_file(str(EXAMPLES / f"{name}.yaml")), on=TODAY)


def example_specs(name: str) -> list[HostSpec]:
    """The hosts of an example, in the order `nixbtw new host` adds them (file names)."""
    if (EXAMPLES / name).is_dir():
        return [build_spec(load_file(str(p)), on=TODAY) for p in sorted((EXAMPLES / name).glob("*.yaml"))]
    return [example_spec(name)]


_RENDERED: dict[tuple[str, str], Rendered] = {}


def render_example(name: str) -> Rendered:
    # Keyed by the pinned date too: a render made under another date is another render.
    key = (name, os.environ.get("NIXBTW_TODAY", ""))
    if key not in _RENDERED:
        specs = example_specs(name)
        if len(specs) == 1:
            _RENDERED[key] = render_new(specs[0], on=TODAY)
        else:
            _RENDERED[key] = _render_repository(specs)
    return _RENDERED[key]


def _render_repository(specs: list[HostSpec]) -> Rendered:
    """Every host of a repository and the files around them; `plan` is the first host's."""
    hosts = [render_host(s, on=TODAY) for s in specs]
    repo = repo_spec(specs)
    with rendering_on(TODAY):
        files = render_repo(repo)
    for host in hosts:
        files = {**files, **host.files}
    seeds = {rel: text for host in hosts for rel, text in host.seeds.items()}
    return Rendered(plan=hosts[0].plan, files=files, seeds=seeds, repo=repo)


def lane_of(rendered: Rendered, rel: str) -> str:
    """The lane of the host a rendered file belongs to (the first host's for shared files)."""
    parts = rel.split("/")
    if rendered.repo is not None and len(parts) > 2 and parts[0] == "hosts":
        return next((h.lane for h in rendered.repo.hosts if h.name == parts[1]), rendered.plan.spec.lane)
    return rendered.plan.spec.lane


def all_files(rendered: Rendered) -> dict[str, str]:
    return {**rendered.files, **rendered.seeds}


def write_tree(files: dict[str, str], root: Path) -> Path:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


class NixSnapshot(SingleFileSnapshotExtension):
    file_extension = "nix"
    _write_mode = WriteMode.TEXT


class TextSnapshot(SingleFileSnapshotExtension):
    file_extension = "txt"
    _write_mode = WriteMode.TEXT
