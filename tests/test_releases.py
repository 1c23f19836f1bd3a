"""Releases are data: the default follows the calendar, end of life warns."""

from __future__ import annotations

import datetime as dt

import pytest

from scaffold import releases
from scaffold.answers import build_spec
from scaffold.plan import make_plan
from scaffold.render import render_new

USER = [{"name": "alice", "admin": True}]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2025, 7, 1), "25.05"),
        (dt.date(2026, 1, 10), "25.11"),
        (dt.date(2026, 6, 15), "26.05"),   # 25.11 still supported, 26.05 newer
        (dt.date(2026, 11, 25), "26.05"),  # 25.11 is end of life, 26.11 not out
        (dt.date(2026, 12, 5), "26.05"),   # 26.11 out but not verified by nixbtw yet
    ],
)
def test_default_release_is_the_newest_stable_on_the_day(day: dt.date, expected: str) -> None:
    assert releases.newest_stable(day).version == expected
    assert build_spec({"hostname": "h", "users": USER}, on=day).release == expected


def test_branches_come_from_the_table() -> None:
    rel = releases.get("26.05")
    assert (rel.codename, rel.nixpkgs, rel.home_manager, rel.nix_darwin, rel.nixos_wsl) == (
        "Yarara", "nixos-26.05", "release-26.05", "nix-darwin-26.05", "release-26.05")
    assert rel.darwin_state_version == 7
    assert releases.get("25.11").end_of_support == dt.date(2026, 6, 30)


def test_state_version_defaults_to_the_release_and_is_kept() -> None:
    day = dt.date(2026, 11, 25)
    assert build_spec({"hostname": "h", "users": USER}, on=day).state_version == "26.05"
    old = build_spec({"hostname": "h", "users": USER, "state_version": "23.11"}, on=day)
    assert old.state_version == "23.11"
    unstable = build_spec({"hostname": "h", "users": USER, "release": "unstable"}, on=day)
    assert unstable.state_version == "26.11"


def test_an_end_of_life_release_works_but_warns_on_screen_and_in_the_readme() -> None:
    day = dt.date(2026, 11, 25)
    spec = build_spec({"hostname": "h", "users": USER, "release": "25.11"}, on=day)
    plan = make_plan(spec, on=day)
    assert plan.eol
    assert any("25.11 reached end of life on 2026-06-30" in w for w in plan.warnings)
    files = render_new(spec, on=day).files
    assert "reached end of life" in files["README.md"]
    assert '"github:NixOS/nixpkgs/nixos-25.11"' in files["flake.nix"]
    # 25.11 predates allowUnfreePackages: the gate falls back to a predicate.
    spec = build_spec({"hostname": "h", "users": USER, "release": "25.11",
                       "packages": {"unfree": ["steam"]}}, on=day)
    config = render_new(spec, on=day).files["hosts/h/configuration.nix"]
    assert "allowUnfreePredicate" in config and "allowUnfreePackages" not in config


def test_state_version_newer_than_the_release_is_refused() -> None:
    from scaffold.errors import InputError

    with pytest.raises(InputError, match=r"state_version: 26.11 is newer than release 26.05"):
        build_spec({"hostname": "h", "users": USER, "release": "26.05",
                    "state_version": "26.11"}, on=dt.date(2026, 11, 25))


def test_unquoted_yaml_versions_are_read_as_written() -> None:
    spec = build_spec({"hostname": "h", "users": USER, "release": 26.05,
                       "state_version": 25.11}, on=dt.date(2026, 11, 25))
    assert (spec.release, spec.state_version) == ("26.05", "25.11")
