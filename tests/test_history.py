"""The shipped template history matches the templates and the package version."""

from __future__ import annotations

import subprocess
from pathlib import Path

from scaffold import __version__
from scaffold.history import bundle_tags, packaged_bundle
from tests.conftest import ROOT

FIX = ("templates/ and scaffold/data/templates.bundle differ: run "
       "`.venv/bin/python scripts/template_history.py --amend` (unreleased version) or bump "
       "the version and run it without --amend")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts and "__pycache__" not in p.parts}


def test_history_ends_with_this_version_and_these_templates(tmp_path: Path) -> None:
    assert __version__ in bundle_tags(packaged_bundle()), FIX
    clone = tmp_path / "history"
    subprocess.run(["git", "clone", "-q", "--branch", __version__, str(packaged_bundle()), str(clone)],
                   check=True, capture_output=True)
    assert _tree(clone) == _tree(ROOT / "templates"), FIX
