"""Every option and module name a template emits is on the verified list."""

from __future__ import annotations

import re

import pytest

from scaffold import options
from scaffold.nixparse import module_settings
from tests.conftest import all_files, example_names, lane_of, render_example

MODULE_REF = re.compile(r"inputs\.([A-Za-z0-9_-]+)\.(nixosModules|darwinModules|homeManagerModules)"
                        r"\.([A-Za-z0-9_-]+)")


def scope_of(rel: str, lane: str) -> str | None:
    """Which option set a generated file is a module of."""
    # flake.nix and agenix's secrets/secrets.nix are not modules; module names
    # in them are checked below.
    if not rel.endswith(".nix") or rel == "flake.nix" or rel.startswith("secrets/"):
        return None
    if rel == "deploy.nix":  # deploy-rs's `deploy` output, checked against its schema
        return "deploy-rs"
    if rel.startswith("home/") or "/home/" in rel or rel.endswith("/home-manager.nix"):
        return "home"
    return "darwin" if lane == "darwin" else "nixos"


def _test_scope(path: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """A VM test module: its nodes are NixOS modules, the rest are test options."""
    if path[:1] == ("nodes",) and len(path) > 2:
        return path[2:], "nixos"
    return path, "nixos-test"


def unverified_in(rel: str, text: str, lane: str) -> list[str]:
    scope = scope_of(rel, lane)
    if scope is None:
        return []
    found = module_settings(text.encode())
    if rel.endswith("/vm-test.nix"):
        out = []
        for setting in found:
            path, where = _test_scope(setting.path)
            if options.lookup(path, where) is None:
                out.append(f"{rel}:{setting.line}: {'.'.join(setting.path)} ({where})")
        return out
    values = {s.path: (s.node.text or b"").decode() for s in found}
    disko_bad = set(options.disko_unverified(values))
    out = []
    for setting in found:
        if setting.path[:2] == ("disko", "devices"):
            ok = setting.path not in disko_bad
        else:
            ok = options.lookup(setting.path, scope) is not None
        if not ok:
            out.append(f"{rel}:{setting.line}: {'.'.join(setting.path)} ({scope})")
    return out


@pytest.mark.parametrize("example", example_names())
def test_generated_options_are_all_verified(example: str) -> None:
    unverified = []
    rendered = render_example(example)
    for rel, text in all_files(rendered).items():
        unverified += unverified_in(rel, text, lane_of(rendered, rel))
    assert unverified == []


def test_a_vm_test_module_is_checked_as_test_options_and_node_options() -> None:
    module = """{ name = "t"; nodes.machine = { lib, ... }: { imports = [ ./c.nix ];
      virtualisation.memorySize = 2048; virtualisation.memorySizeTypo = 1; };
      testScript = ""; nodez.machine = { }; }"""
    assert unverified_in("hosts/h/vm-test.nix", module, "nixos-flake") == [
        "hosts/h/vm-test.nix:2: nodes.machine.virtualisation.memorySizeTypo (nixos)",
        "hosts/h/vm-test.nix:3: nodez.machine (nixos-test)",
    ]


def test_the_disko_walker_rejects_keys_disko_does_not_have() -> None:
    module = b"""{ disko.devices.disk.main = { type = "disk"; device = "/dev/x"; content = {
      type = "gpt"; partitions.root = { size = "100%"; content = {
        type = "luks"; name = "c"; keyFile = "/k"; content = {
          type = "btrfs"; subvolumes."/root" = { mountpoint = "/"; compress = true; }; }; }; }; }; }; }"""
    values = {s.path: (s.node.text or b"").decode() for s in module_settings(module)}
    bad = {".".join(p) for p in options.disko_unverified(values)}
    assert bad == {
        "disko.devices.disk.main.content.partitions.root.content.keyFile",
        "disko.devices.disk.main.content.partitions.root.content.content.subvolumes./root.compress",
    }


@pytest.mark.parametrize("example", example_names())
def test_imported_modules_exist_in_their_flakes(example: str) -> None:
    refs = set()
    for rel, text in all_files(render_example(example)).items():
        if rel.endswith(".nix"):
            refs |= set(MODULE_REF.findall(text))
    missing = [r for r in refs if not options.module_name_verified(*r)]
    assert missing == []


DEV_SHELL = re.compile(r"devShells = .*?^      \);", re.S | re.M)
PACKAGE = re.compile(r"^\s*(\(pkgs\.extend inputs\.[\w-]+\.overlays\.default\)\.[\w.-]+|"
                     r"(?:pkgs|inputs)\.[A-Za-z0-9_.${}-]+) #", re.M)


@pytest.mark.parametrize("example", example_names())
def test_every_dev_shell_tool_is_a_verified_package(example: str) -> None:
    flake = all_files(render_example(example)).get("flake.nix", "")
    shell = DEV_SHELL.search(flake)
    packages = PACKAGE.findall(shell.group(0)) if shell else []
    assert [p for p in packages if not options.package_verified(p)] == []
    repo = render_example(example).repo
    assert bool(packages) == bool(repo is not None and repo.tools)


def test_the_package_check_knows_what_is_not_verified() -> None:
    assert options.package_verified("pkgs.sops")
    assert options.package_verified("inputs.agenix.packages.${system}.agenix")
    assert not options.package_verified("pkgs.sops-unverified")
    assert not options.package_verified("inputs.agenix.packages.${system}.doc")
    assert options.package_verified("(pkgs.extend inputs.deploy-rs.overlays.default).deploy-rs.deploy-rs")
    assert not options.package_verified("(pkgs.extend inputs.agenix.overlays.default).agenix")


def test_the_checker_catches_a_renamed_option() -> None:
    assert options.lookup(("hardware", "opengl", "enable"), "nixos") is None
    assert options.lookup(("sound", "enable"), "nixos") is None
    assert options.lookup(("hardware", "graphics", "enable"), "nixos") is not None
    assert options.lookup(("users", "users", "anyone", "isNormalUser"), "nixos") is not None
    assert not options.module_name_verified("nixos-hardware", "nixosModules", "lenovo-thinkpad-x1-carbon")


def test_every_entry_names_its_source() -> None:
    for entry in options.table():
        assert entry.project and entry.ref and entry.source_file, entry
