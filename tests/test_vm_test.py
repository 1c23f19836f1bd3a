"""Every flake NixOS host carries a VM test that holds the booted machine to its answers.

Real nixpkgs is not available here, but the test module's name and test
script need none: they are evaluated with real Nix, and the script is parsed
as the Python the NixOS test driver runs.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from scaffold.vmtest import TEST_PASSWORD
from tests.conftest import (
    all_files,
    example_names,
    example_spec,
    example_specs,
    host_example_names,
    nix_eval_json,
    render_example,
    write_tree,
)

FLAKE_HOSTS = [n for n in host_example_names() if example_spec(n).lane == "nixos-flake"]
EXPECTED = re.compile(r"^expected = json\.loads\((.*)\)$", re.M)


def _script(example: str, tmp_path: Path, nix_env: dict[str, str]) -> str:
    rendered = render_example(example)
    root = write_tree(all_files(rendered), tmp_path)
    test = root / f"hosts/{rendered.plan.spec.hostname}/vm-test.nix"
    proc = nix_eval_json(f"(import {test}).testScript", nix_env)
    assert proc.returncode == 0, proc.stderr
    script = json.loads(proc.stdout)
    assert isinstance(script, str)
    return script


def test_every_flake_nixos_example_is_covered() -> None:
    assert {"minimal", "impermanent", "zfs-server", "lix-server"} <= set(FLAKE_HOSTS)


@pytest.mark.parametrize("example", example_names())
def test_only_hosts_that_boot_in_qemu_get_a_vm_test(example: str) -> None:
    rendered = render_example(example)
    tests = [rel for rel in all_files(rendered) if rel.endswith("/vm-test.nix")]
    expected = [f"hosts/{s.hostname}/vm-test.nix" for s in example_specs(example) if s.lane == "nixos-flake"]
    assert sorted(tests) == expected


def _expected(script: str) -> dict[str, object]:
    found = EXPECTED.search(script)
    assert found is not None
    expected = json.loads(ast.literal_eval(found.group(1)))
    assert isinstance(expected, dict)
    return expected


@pytest.mark.parametrize("example", FLAKE_HOSTS)
def test_the_test_script_is_python_that_checks_the_answers(example: str, tmp_path: Path,
                                                           nix_env: dict[str, str]) -> None:
    script = _script(example, tmp_path, nix_env)
    ast.parse(script)
    expected = _expected(script)
    admins = expected["admins"]
    assert isinstance(admins, list)
    plan = render_example(example).plan
    assert expected["hostName"] == plan.spec.hostname
    assert expected["timeZone"] == (plan.spec.timezone or "UTC")
    assert expected["impermanence"] == plan.spec.disk.impermanence
    assert plan.access is not None
    assert [a["user"] for a in admins] == [a.user for a in plan.access.admins]
    for admin, access in zip(admins, plan.access.admins, strict=True):
        assert admin["ssh"] == ("ssh-key" in access.ways_in)
        assert admin["sudo"] == ("nopasswd" if access.way_to_root == "sudo-nopasswd" else "password")
    assert f'password = "{TEST_PASSWORD}"' in script


@pytest.mark.parametrize("example", FLAKE_HOSTS)
def test_the_vm_test_keeps_no_key_material(example: str) -> None:
    text = all_files(render_example(example))[
        f"hosts/{render_example(example).plan.spec.hostname}/vm-test.nix"]
    assert "PRIVATE KEY" not in text and "AGE-SECRET-KEY" not in text
    # The placeholder hardware file is left out for the VM only, never edited.
    assert "disabledModules = [ ./hardware-configuration.nix ];" in text


def test_a_keys_only_admin_is_tested_with_sudo_without_a_password(tmp_path: Path,
                                                                  nix_env: dict[str, str]) -> None:
    keys_only = [n for n in FLAKE_HOSTS
                 if (a := render_example(n).plan.access) is not None and a.keys_only]
    assert keys_only, "no bundled example has a keys-only admin"
    script = _script(keys_only[0], tmp_path, nix_env)
    admins = _expected(script)["admins"]
    assert isinstance(admins, list)
    assert {"nopasswd"} <= {a["sudo"] for a in admins}


def test_impermanence_reboots_and_checks_what_survives() -> None:
    text = all_files(render_example("impermanent"))["hosts/phoenix/vm-test.nix"]
    assert "impermanence = true;" in text
    assert "virtualisation.diskImage = null;" in text
    assert 'virtualisation.fileSystems."/persist"' in text
    minimal = all_files(render_example("minimal"))["hosts/atlas/vm-test.nix"]
    assert "impermanence = false;" in minimal
    assert "virtualisation.diskImage" not in minimal


@pytest.mark.parametrize("example", FLAKE_HOSTS)
def test_the_flake_runs_the_vm_test_as_a_check(example: str) -> None:
    flake = all_files(render_example(example))["flake.nix"]
    assert "lib.nixos.runTest" in flake
    assert '"vm-${name}" = mkVmTest name host;' in flake
