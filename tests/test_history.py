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


def test_rendering_from_the_cached_copy_records_what_copier_records(tmp_path: Path) -> None:
    import warnings

    from copier import run_copy

    from scaffold.history import template_source
    from scaffold.render import ANSWERS, answers_data, copier_render
    from tests.conftest import example_spec

    data = {**answers_data(example_spec("laptop")), "nixbtw_template": "flake/host"}
    ours = copier_render("flake/host", answers_data(example_spec("laptop")))
    src, ref = template_source()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_copy(src, str(tmp_path), data=data, vcs_ref=ref, defaults=True, quiet=True,
                 unsafe=True, answers_file=ANSWERS, overwrite=True)
    theirs = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in tmp_path.rglob("*")
              if p.is_file()}
    assert ours == theirs
