"""Every example renders on every day the release table changes its mind, and today.

The default release and the end-of-life warnings depend on the date. These
tests do not freeze it to one story: they walk each boundary of the release
table (each release's day out and last day of support, the day before and the
day after), plus the real today, and check what the table says should happen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold import releases
from scaffold.answers import build_spec, load_file, today
from scaffold.plan import make_plan
from scaffold.render import Rendered, render_new
from scaffold.spec import HostSpec
from tests.conftest import EXAMPLES, all_files, host_example_names, write_tree

ONE_DAY = dt.timedelta(days=1)


def boundary_days() -> list[dt.date]:
    days: set[dt.date] = set()
    for release in releases.table():
        for edge in (release.released, release.end_of_support):
            if edge is not None:
                days.update({edge - ONE_DAY, edge, edge + ONE_DAY})
    return sorted(days)


# What the table says, read plainly: the newest verified release that is out
# and supported; if none is supported, the newest verified one that is out.
def expected_default(day: dt.date) -> releases.Release:
    verified = [r for r in releases.table() if r.verified and not r.is_unstable]
    out = [r for r in verified if r.released is not None and r.released <= day]
    supported = [r for r in out if r.end_of_support is not None and day <= r.end_of_support]
    pool = supported or out or verified[:1]
    return max(pool, key=lambda r: releases.version_key(r.version))


def newer_unverified_out(release: releases.Release, day: dt.date) -> list[str]:
    return [r.version for r in releases.table()
            if not r.verified and not r.is_unstable and r.released is not None and r.released <= day
            and releases.version_key(r.version) > releases.version_key(release.version)]


def spec_on(name: str, day: dt.date, **changes: object) -> HostSpec:
    answers = {**load_file(str(EXAMPLES / f"{name}.yaml")), **changes}
    return build_spec(answers, on=day)


_PARSED: set[str] = set()


def assert_nix_parses(rendered: list[Rendered], tmp: Path, nix_env: dict[str, str]) -> None:
    """Every .nix file parses; a file already parsed (same text) is not parsed again."""
    fresh: dict[str, str] = {}
    for i, r in enumerate(rendered):
        for rel, text in all_files(r).items():
            digest = hashlib.sha256(text.encode()).hexdigest()
            if rel.endswith(".nix") and digest not in _PARSED:
                fresh[f"{i}/{rel}"] = text
                _PARSED.add(digest)
    if not fresh:
        return
    write_tree(fresh, tmp)
    result = subprocess.run(["nix-instantiate", "--parse", *(str(tmp / rel) for rel in fresh)],
                            env=nix_env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def assert_dated_warnings_stay_out_of_nix_files(r: Rendered, day: dt.date) -> None:
    readme = r.files[r.plan.path("README.md")]
    for warning in r.plan.dated_warnings:
        assert warning in readme
        assert f"(as of {day.isoformat()})" in warning
    for rel, text in all_files(r).items():
        if rel.endswith(".nix"):
            assert "(as of " not in text, rel
            assert "end of life" not in text, rel


# Rendering depends on the date only through the plan (its release and dated
# warnings). Each example is rendered once per outcome the calendar gives it;
# every other day is checked on the plan, which is where the date is used.
_OUTCOMES: set[tuple[str, str | None, tuple[str, ...]]] = set()


def check_day(day: dt.date, tmp: Path, nix_env: dict[str, str]) -> None:
    default = expected_default(day)
    rendered = []
    cases: list[tuple[str, dict[str, str]]] = [(name, {}) for name in host_example_names()]
    cases.append(("minimal", {"release": "unstable"}))
    for name, changes in cases:
        spec = spec_on(name, day, **changes)
        plan = make_plan(spec, on=day)
        pinned = changes.get("release") or load_file(str(EXAMPLES / f"{name}.yaml")).get("release")
        target = releases.get(str(pinned)) if pinned else default
        assert spec.release == target.version, name
        assert_dated_warnings_are_what_the_table_says(plan.dated_warnings, target, day)
        outcome = (name, spec.release, tuple(w.replace(day.isoformat(), "") for w in plan.dated_warnings))
        if outcome not in _OUTCOMES:
            _OUTCOMES.add(outcome)
            r = render_new(spec, on=day)
            assert r.plan.dated_warnings == plan.dated_warnings
            assert_dated_warnings_stay_out_of_nix_files(r, day)
            rendered.append(r)
    spec = spec_on("minimal", day, release="unstable")
    newest = max((x for x in releases.table() if not x.is_unstable),
                 key=lambda x: releases.version_key(x.version))
    assert spec.state_version == newest.version
    assert_nix_parses(rendered, tmp, nix_env)


def assert_dated_warnings_are_what_the_table_says(warnings: tuple[str, ...], target: releases.Release,
                                                  day: dt.date) -> None:
    if target.is_unstable:
        assert warnings == ()
        return
    newer = newer_unverified_out(target, day)
    eol = target.end_of_support is not None and day > target.end_of_support
    early = target.released is not None and day < target.released
    # Past end of life: one warning says so, and names the unverified release
    # that is out when it is the reason there is nothing newer to move to.
    assert any(f"reached end of life on {target.end_of_support}" in w for w in warnings) == eol
    assert any("is not released yet" in w for w in warnings) == early
    for version in newer:
        assert any(f"NixOS {version} is out" in w for w in warnings), warnings
    assert len(warnings) == eol + early + (0 if eol and newer else len(newer)), warnings


@pytest.mark.parametrize("day", boundary_days(), ids=str)
def test_every_example_renders_on_every_boundary_of_the_release_table(
        day: dt.date, tmp_path: Path, nix_env: dict[str, str]) -> None:
    check_day(day, tmp_path, nix_env)


def test_every_example_renders_today(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     nix_env: dict[str, str]) -> None:
    monkeypatch.delenv("NIXBTW_TODAY")
    assert today() == dt.date.today()
    check_day(today(), tmp_path, nix_env)


def test_the_boundaries_cover_each_release_and_support_end() -> None:
    days = boundary_days()
    assert dt.date(2026, 12, 31) in days and dt.date(2027, 1, 1) in days
    assert dt.date(2026, 11, 29) in days and dt.date(2026, 11, 30) in days


def test_past_end_of_life_with_the_next_release_unverified_the_default_stays_and_says_why() -> None:
    day = dt.date(2027, 1, 1)   # 26.05 ended on 2026-12-31; 26.11 is out but not verified
    assert not releases.get("26.11").verified, "26.11 got verified: pick the next such pair"
    spec = build_spec({"hostname": "h", "users": [{"name": "ada"}]}, on=day)
    assert spec.release == "26.05"
    (warning,) = releases.release_warnings(releases.get("26.05"), day)
    assert "26.05 reached end of life on 2026-12-31" in warning
    assert "26.11 is out but not yet verified by nixbtw" in warning
    assert "(as of 2027-01-01)" in warning


def test_release_unstable_works_from_the_command_line_on_the_real_date(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NIXBTW_TODAY"}
    result = subprocess.run(
        [sys.executable, "-m", "scaffold.cli", "new", "host", "roll", "--non-interactive",
         "--set", "release=unstable", "--set", "users.0.name=ada", "--out", str(tmp_path / "r")],
        env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert '"github:NixOS/nixpkgs/nixos-unstable"' in (tmp_path / "r/flake.nix").read_text()


@pytest.mark.parametrize(("example", "branches"), [
    ("darwin", ['"github:NixOS/nixpkgs/nixpkgs-unstable"', '"github:nix-darwin/nix-darwin/master"']),
    ("home-manager", ['"github:NixOS/nixpkgs/nixos-unstable"',
                      '"github:nix-community/home-manager/master"']),
    ("wsl", ['"github:NixOS/nixpkgs/nixos-unstable"', '"github:nix-community/NixOS-WSL/main"']),
])
def test_unstable_takes_each_companion_from_its_development_branch(example: str,
                                                                  branches: list[str]) -> None:
    flake = render_new(spec_on(example, today(), release="unstable"), on=today()).files["flake.nix"]
    for branch in branches:
        assert branch in flake
