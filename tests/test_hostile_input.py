"""Hostile strings in every free-text answer: refused clearly, or escaped exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.answers import build_spec
from scaffold.cli import main
from scaffold.errors import InputError
from scaffold.render import render_host
from tests.conftest import TODAY, nix_eval_json, write_tree

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW"
hostile = st.text(alphabet=st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=30)


def _user_as_nix_reads(description: str, comment: str, tmp: Path,
                       nix_env: dict[str, str]) -> tuple[str, list[str]] | None:
    answers = {"hostname": "h", "users": [{"name": "alice", "admin": True,
                                           "description": description,
                                           "ssh_keys": [f"{KEY} {comment}"]}]}
    try:
        spec = build_spec(answers, on=TODAY)
    except InputError:
        return None
    root = write_tree(render_host(spec, on=TODAY).files, tmp)
    cfg = root / "hosts" / "h" / "configuration.nix"
    expr = (f"let u = (import {cfg} {{ config = {{}}; lib = {{}}; pkgs = {{}}; inputs = {{}}; }})"
            ".users.users.alice; in [ (u.description or \"\") u.openssh.authorizedKeys.keys ]")
    proc = nix_eval_json(expr, nix_env)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    return got[0], got[1]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=hostile, comment=hostile)
def test_free_text_is_refused_or_reads_back_exactly(
    description: str, comment: str, nix_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    got = _user_as_nix_reads(description, comment, tmp_path_factory.mktemp("h"), nix_env)
    if got is None:
        return
    assert got[0] == description
    assert got[1] == [f"{KEY} {comment}".strip()]


def test_interpolation_in_a_description_stays_text(nix_env: dict[str, str], tmp_path: Path) -> None:
    text = 'Eve ${builtins.readFile /etc/passwd} "quoted" \\ back'
    got = _user_as_nix_reads(text, "${pwn}", tmp_path, nix_env)
    assert got == (text, [f"{KEY} ${{pwn}}"])


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("hostname", "../etc", "hostname"),
        ("hostname", "a${b}", "hostname"),
        ("hostname", "x" * 64, "hostname"),
        ("users.0.name", 'a"; pwn', "users.0.name"),
        ("users.0.description", "a:b", "users.0.description"),
        ("users.0.description", "two\nlines", "users.0.description"),
        ("timezone", "Europe/${x}", "timezone"),
        ("locale", "en_US.UTF-8\"", "locale"),
        ("packages.system", "[\"git; rm -rf /\"]", "packages.system"),
        ("packages.unfree", "[\"a b\"]", "packages.unfree"),
        ("disk.device", "/dev/../etc/passwd", "disk.device"),
        ("hardware.profile", "${x}", "hardware.profile"),
    ],
)
def test_hostile_answers_are_refused_with_the_field_named(
    key: str, value: str, field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    answers = {"hostname": "h", "users.0.name": "alice", "users.0.admin": "true", "disk.layout": "ext4",
               "disk.device": "/dev/disk/by-id/nvme-x", key: value}  # a --set key is given once
    sets = [arg for k, v in answers.items() for arg in ("--set", f"{k}={v}")]
    code = main(["new", "host", "--non-interactive", "--out", str(out), *sets])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: {field}:" in err
    assert "Traceback" not in err
    assert not out.exists()
