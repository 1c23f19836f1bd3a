"""Unusual but valid host and user names (1host, in, rec, null, or) render correctly in every
file a lane writes: every .nix file parses, and the names read back under real Nix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.answers import build_spec
from scaffold.errors import InputError
from scaffold.nixlit import KEYWORDS
from scaffold.render import render_new
from tests.conftest import TODAY, nix_eval_json, nix_parse, write_tree

SSH = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9AY+GrFUm57eOxLOZrxFxOu0RcAvuaECgbMrxY9ytg bob@desk"
AGE = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
ODD = [*sorted(KEYWORDS), "1host", "0", "9-9", "a-", "x'"]
hostnames = st.one_of(st.sampled_from(ODD), st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True))
usernames = st.one_of(st.sampled_from(ODD), st.from_regex(r"[a-z_][a-z0-9_-]{0,8}", fullmatch=True))

LANES: dict[str, dict[str, Any]] = {
    "agenix-standalone": {"secrets": {"tool": "agenix", "admin_keys": [SSH]},
                          "home_manager": {"mode": "standalone"}, "password": "secret"},
    "sops-module": {"secrets": {"tool": "sops-nix", "admin_keys": [AGE]},
                    "home_manager": {"mode": "nixos-module"}, "password": "secret"},
    "darwin": {"lane": "darwin", "system": "aarch64-darwin", "home_manager": {"mode": "standalone"}},
    "home-manager": {"lane": "home-manager"},
    "channels": {"lane": "nixos-channels", "home_manager": {"mode": "nixos-module"}},
    "wsl": {"lane": "nixos-wsl"},
}


def _answers(host: str, user: str, lane: str) -> dict[str, Any]:
    extra = dict(LANES[lane])
    password = extra.pop("password", "none")
    return {"hostname": host, "users": [{"name": user, "admin": True, "password": password}], **extra}


def _eval(expr: str, env: dict[str, str]) -> Any:
    proc = nix_eval_json(expr, env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _check_tree(root: Path, files: dict[str, str], host: str, user: str, lane: str,
                nix_env: dict[str, str]) -> None:
    for rel in files:
        if rel.endswith(".nix"):
            parsed = nix_parse(root / rel, nix_env)
            assert parsed.returncode == 0, f"{rel}: {parsed.stderr}"
    stub = "{ config = { }; lib = { }; pkgs = { }; inputs = { }; modulesPath = \"\"; }"
    config = next((r for r in files if r.endswith("configuration.nix")), None)
    if config and lane not in ("darwin", "home-manager"):
        got = _eval(f"let c = import {root / config} {stub}; in [ c.networking.hostName "
                    f"(builtins.attrNames c.users.users) ]", nix_env)
        assert got == [host, [user]]
    if "secrets/secrets.nix" in files:
        got = _eval(f"let s = import {root / 'secrets/secrets.nix'}; in builtins.mapAttrs "
                    "(n: v: v.publicKeys) s", nix_env)
        assert got == {f"{host}-{user}-password.age": [SSH]}
    if ".sops.yaml" in files:
        sops = yaml.safe_load(files[".sops.yaml"])
        assert [r["path_regex"] for r in sops["creation_rules"]] == [f"^secrets/{host}\\.yaml$"]
    if "flake.nix" in files and LANES[lane].get("home_manager", {}).get("mode") in ("standalone", None) \
            and lane not in ("wsl",):
        flake = root / "flake.nix"
        got = _eval(f"let f = import {flake}; o = f.outputs {{ self = o; nixpkgs = {{ lib = {{ }}; "
                    "legacyPackages = { }; }; home-manager.lib.homeManagerConfiguration = a: a; }; in "
                    "builtins.mapAttrs (n: h: map toString (builtins.filter builtins.isPath h.modules)) "
                    "o.homeConfigurations", nix_env)
        assert list(got) == [f"{user}@{host}"]
        paths = got[f"{user}@{host}"]
        assert paths == [str(root / f"hosts/{host}/home-manager.nix"),
                         str(root / f"hosts/{host}/home/{user}.nix")]


@settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=hostnames, user=usernames, lane=st.sampled_from(sorted(LANES)))
def test_unusual_names_render_and_read_back_in_every_file(
        host: str, user: str, lane: str, nix_env: dict[str, str],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    try:
        spec = build_spec(_answers(host, user, lane), on=TODAY)
    except InputError:
        return  # a reserved or invalid name: refused, which test_hostile_input covers
    rendered = render_new(spec, on=TODAY)
    files = {**rendered.files, **rendered.seeds}
    root = write_tree(files, tmp_path_factory.mktemp("names"))
    _check_tree(root, files, host, user, lane, nix_env)


@pytest.mark.parametrize("host", ["1host", "in", "rec", "null", "let", "or"])
def test_agenix_rules_for_a_keyword_or_digit_host_evaluate(
        host: str, nix_env: dict[str, str], tmp_path: Path) -> None:
    spec = build_spec(_answers(host, "alice", "agenix-standalone"), on=TODAY)
    files = {**render_new(spec, on=TODAY).files}
    root = write_tree(files, tmp_path)
    _check_tree(root, files, host, "alice", "agenix-standalone", nix_env)
