"""Renders reuse work (compiled templates, the repository's last render) without changing a byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold import history, render
from scaffold.answers import build_spec, load_file
from scaffold.render import render_host, render_repo
from scaffold.repo import repo_spec
from tests.conftest import EXAMPLES, TODAY


def test_a_second_render_in_one_process_is_the_first_one_again() -> None:
    # Compiled templates are shared between renders: nothing of one may leak into the next.
    spec = build_spec(load_file(str(EXAMPLES / "minimal.yaml")), on=TODAY)
    other = build_spec({**load_file(str(EXAMPLES / "minimal.yaml")), "hostname": "other",
                        "timezone": "Asia/Tokyo"}, on=TODAY)
    first = render_host(spec, on=TODAY)
    render_host(other, on=TODAY)
    again = render_host(spec, on=TODAY)
    assert (again.files, again.seeds) == (first.files, first.seeds)
    assert {"hosts/atlas/hardware-configuration.nix", "hosts/atlas/README.md"} <= {*first.seeds, *first.files}


def test_the_repository_render_is_remembered_and_equal(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    history._installed.cache_clear()
    spec = build_spec({**load_file(str(EXAMPLES / "minimal.yaml")), "hostname": "r1"}, on=TODAY)
    repo = repo_spec([spec])
    fresh = render_repo(repo)
    calls = []
    real = render.copier_render

    def counted(*args: object, **kwargs: object) -> dict[str, str]:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "copier_render", counted)
    assert render_repo(repo) == fresh
    assert calls == []
    other = repo_spec([spec, build_spec({**load_file(str(EXAMPLES / "minimal.yaml")), "hostname": "r2"},
                                        on=TODAY)])
    assert render_repo(other) != fresh and len(calls) == 1
