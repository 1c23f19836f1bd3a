"""scripts/eval-examples evaluates every bundled example with real Nix and nixpkgs.

Real nixpkgs cannot be fetched here, so the evaluation itself runs only under
the `eval` marker (deselected by default; `NIXBTW_EVAL=1 pytest -m eval`),
where a missing or old Nix fails the test. What runs everywhere: the script
finds every host and home of every example, and each expression it would
hand to Nix parses.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import (
    all_files,
    example_names,
    example_specs,
    render_example,
    require_tool,
    write_tree,
)

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "eval-examples"


def _script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("eval_examples", str(SCRIPT))
    spec = importlib.util.spec_from_loader("eval_examples", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up while the class is made.
    sys.modules["eval_examples"] = module
    loader.exec_module(module)
    return module


@pytest.mark.parametrize("example", example_names())
def test_the_script_finds_every_host_and_home_and_its_expressions_parse(
        example: str, tmp_path: Path, nix_env: dict[str, str]) -> None:
    rendered = render_example(example)
    out = write_tree(all_files(rendered), tmp_path / example)
    found = _script().targets(example, out)
    wanted = []
    for spec in example_specs(example):
        homes = [f"{u.name}@{spec.hostname}" for u in spec.users] if spec.hm_mode == "standalone" else []
        kind = {"darwin": "darwin", "home-manager": None, "nixos-channels": "channels"}.get(spec.lane, "nixos")
        wanted += ([(spec.hostname, kind)] if kind else []) + [(h, "home") for h in homes]
    assert sorted((t.name, t.kind) for t in found) == sorted(wanted)
    lanes = {s.hostname: s.lane for s in example_specs(example)}
    for target in found:
        assert (target.vm is not None) == (target.kind == "nixos" and lanes.get(target.name) == "nixos-flake")
        proc = subprocess.run(["nix-instantiate", "--parse", "-E", target.expr], env=nix_env,
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, f"{target.name}: {proc.stderr}"


def test_without_nix_the_script_says_what_it_needs(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "minimal"], env={"PATH": str(tmp_path)},
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "needs Nix >= 2.18 with network (no nix on PATH)" in proc.stderr


def test_the_script_is_executable() -> None:
    assert os.access(SCRIPT, os.X_OK)


@pytest.mark.eval
def test_every_example_evaluates_against_the_pinned_release() -> None:
    if os.environ.get("NIXBTW_EVAL") != "1":
        pytest.fail("the eval tests need real Nix >= 2.18 and network: run NIXBTW_EVAL=1 pytest -m eval")
    require_tool("nix")
    args = ["--vm"] if os.environ.get("NIXBTW_EVAL_VM") == "1" else []
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
