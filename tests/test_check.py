"""nixbtw check: each rule fires on its fixture and stays quiet on a near miss.

Fixtures are small repositories written inline: `bad` must produce the rule,
`good` (the closest correct version) must not. False positives matter more
than misses, so every `good` is as close to its `bad` as possible.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from scaffold.check import RULES, check
from scaffold.check.formats import as_text
from scaffold.cli import main
from tests.conftest import all_files, example_names, render_example, require_tool, write_tree

NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
RECENT = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())
OLD = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())

HOST_OK = """{ config, pkgs, ... }:
{
  imports = [ ./hardware-configuration.nix ];
  boot.loader.systemd-boot.enable = true;
  system.stateVersion = "25.11";
}
"""
HW_OK = """{ ... }:
{
  fileSystems."/" = { device = "/dev/disk/by-uuid/0b8e1d6a-7c3e-4f0a-9d2b-5e6f7a8b9c0d"; fsType = "ext4"; };
  fileSystems."/boot" = { device = "/dev/disk/by-uuid/12CE-A600"; fsType = "vfat"; };
}
"""


def lock(nodes: dict[str, object], root_inputs: dict[str, str]) -> str:
    return json.dumps({"nodes": {**nodes, "root": {"inputs": root_inputs}}, "root": "root",
                       "version": 7})


def gh(repo: str, modified: int = RECENT, owner: str = "NixOS") -> dict[str, object]:
    return {"locked": {"type": "github", "owner": owner, "repo": repo, "lastModified": modified,
                       "rev": "0" * 40, "narHash": "sha256-x"},
            "original": {"type": "github", "owner": owner, "repo": repo}}


FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
  inputs.home-manager = { url = "github:nix-community/home-manager/%s"; inputs.nixpkgs.follows = "nixpkgs"; };
  outputs = { ... }: { };
}
"""

MIXED_FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/%s";
  inputs.nixpkgs-darwin.url = "github:NixOS/nixpkgs/%s";
  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-26.05";
  inputs.nix-darwin.inputs.nixpkgs.follows = "nixpkgs-darwin";
  outputs = { ... }: { };
}
"""


def flake_hosts(*hosts: str) -> str:
    """A flake.nix exporting one nixosConfiguration per host folder."""
    systems = "".join(f"    nixosConfigurations.{h} = nixpkgs.lib.nixosSystem "
                      f"{{ modules = [ ./hosts/{h}/configuration.nix ]; }};\n" for h in hosts)
    return ('{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";\n'
            f"  outputs = {{ nixpkgs, ... }}: {{\n{systems}  }};\n}}\n")


ZFS_HOST = """{ config, lib, ... }:
{
  imports = [ ./hardware-configuration.nix ];
  # zfs would need a hostId, but this comment is not a setting
  config = lib.mkIf true {
    boot.supportedFilesystems = [ "zfs" ];
    system.stateVersion = "25.11";
  };
}
"""

CASES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "NBT001": (
        {"install.sh": "#!/bin/sh\nnix-env -iA nixpkgs.hello\n",
         "docs/setup.md": "Install it:\n\n```sh\nnix-env -i firefox\n```\n"},
        {"install.sh": "#!/bin/sh\n# never run nix-env -i here\nnix profile list\n",
         "docs/setup.md": "Do not use `nix-env -i`: declare packages instead.\n"},
    ),
    "NBT002": (
        {".envrc": "export NIXPKGS_ALLOW_UNFREE=1\n",
         "host.nix": '{ environment.variables.NIXPKGS_ALLOW_UNFREE = "1"; }\n'},
        {".envrc": "use flake\n",
         "host.nix": '{ environment.variables.EDITOR = "vim"; }\n'},
    ),
    "NBT003": (
        {"host.nix": "{ nixpkgs.config.allowUnfree = true; }\n",
         "forced.nix": "{ lib, ... }: { nixpkgs.config.allowUnfree = lib.mkForce true; }\n",
         "pred.nix": "{ lib, ... }: { nixpkgs.config.allowUnfreePredicate = lib.mkDefault (_: true); }\n",
         # saying so first still admits everything
         "warn.nix": '{ lib, ... }: { nixpkgs.config.allowUnfreePredicate = pkg: lib.warn "allowing" true; }\n'},
        {"host.nix": '{ nixpkgs.config.allowUnfreePackages = [ "steam" ]; '
                     "nixpkgs.config.allowUnfree = false; }\n",
         "pred.nix": "{ lib, ... }: { nixpkgs.config.allowUnfreePredicate = pkg: "
                     'builtins.elem (lib.getName pkg) [ "steam" ]; }\n',
         "warn.nix": '{ lib, ... }: { nixpkgs.config.allowUnfreePredicate = pkg: lib.warn "allowing" '
                     '(builtins.elem (lib.getName pkg) [ "steam" ]); }\n'},
    ),
    "NBT004": (
        {"flake.nix": '{ inputs.nixos-hardware.url = "github:NixOS/nixos-hardware"; outputs = _: { }; }\n',
         "host.nix": "{ imports = [ <nixpkgs/nixos/modules/profiles/minimal.nix> ]; }\n",
         # old instructions for a channel the flake now pins are a leftover, not intent
         "laptop.nix": "{ imports = [ <nixos-hardware/lenovo/thinkpad> ]; }\n",
         "README.md": "```sh\nnix-channel --add https://github.com/NixOS/nixos-hardware/archive/master.tar.gz "
                      "nixos-hardware\nnix-channel --update nixos-hardware\n```\n"},
        # A fallback for nix-shell users is intent, and without a flake channels are the way.
        {"flake.nix": "{ outputs = { ... }: { }; }\n",
         "lib/pkgs.nix": "{ pkgs ? import <nixpkgs> { } }: pkgs.hello\n",
         "old/default.nix": "{ imports = [ <nixpkgs/nixos/modules/profiles/minimal.nix> ]; }\n",
         # A project whose docs teach the channel install supports channels on purpose.
         "tests/module.nix": "{ imports = [ <nixos-wsl/modules> ]; }\n",
         "docs/install.md": "Without flakes:\n\n```sh\nsudo nix-channel --add https://example.org/x.tar.gz x\n```\n"}
    ),
    "NBT005": (
        {"flake.nix": FLAKE % "release-26.05",
         "flake.lock": lock({"nixpkgs": gh("nixpkgs"), "nixpkgs_2": gh("nixpkgs"),
                             "sops-nix": {**gh("sops-nix", owner="Mic92"), "inputs": {"nixpkgs": "nixpkgs_2"}}},
                            {"nixpkgs": "nixpkgs", "sops-nix": "sops-nix"})},
        # A second nixpkgs the user asked for (nixpkgs-unstable) is deliberate.
        {"flake.nix": FLAKE % "release-26.05",
         "flake.lock": lock({"nixpkgs": gh("nixpkgs"), "nixpkgs_2": gh("nixpkgs"),
                             "sops-nix": {**gh("sops-nix", owner="Mic92"), "inputs": {"nixpkgs": ["nixpkgs"]}},
                             "stylix": {**gh("stylix", owner="x"), "inputs": {"nixpkgs": "nixpkgs_2"}},
                             # sops-nix's own second nixpkgs, pinned by sops-nix for its tests
                             "nixpkgs_3": gh("nixpkgs"),
                             "sops-nix_2": {**gh("sops-nix", owner="Mic92"),
                                            "inputs": {"nixpkgs": ["nixpkgs"], "nixpkgs-stable": "nixpkgs_3"}}},
                            {"nixpkgs": "nixpkgs", "nixpkgs-unstable": "nixpkgs_2",
                             "sops-nix": "sops-nix", "sops-nix-pinned": "sops-nix_2"})},
    ),
    "NBT006": (
        {"flake.nix": FLAKE % "release-25.11"},
        {"flake.nix": FLAKE % "release-26.05"},
    ),
    "NBT008": (
        {"flake.nix": flake_hosts("a", "b", "c"),
         "hosts/a/configuration.nix": HOST_OK.replace("  imports = [ ./hardware-configuration.nix ];\n", ""),
         "hosts/b/configuration.nix": HOST_OK.replace("  imports = [ ./hardware-configuration.nix ];\n", ""),
         "hosts/b/hardware-configuration.nix": HW_OK,
         "hosts/c/configuration.nix": HOST_OK,
         "hosts/c/hardware-configuration.nix": HW_OK.replace("0b8e1d6a-7c3e-4f0a-9d2b-5e6f7a8b9c0d",
                                                              "my-root-disk")},
        {"flake.nix": flake_hosts("c", "wsl"),
         "modules/server.nix": "{ lib, ... }: { options.x = lib.mkOption { }; "
                               "config.boot.loader.grub.enable = true; }\n",
         "hosts/c/configuration.nix": HOST_OK,
         # an NTFS volume's serial is 16 hex digits, upper case
         "hosts/c/hardware-configuration.nix": HW_OK.rstrip().removesuffix("}")
         + '  fileSystems."/mnt/c" = {\n    device = "/dev/disk/by-uuid/8C60FBA460FB92E6";\n'
           '    fsType = "ntfs";\n  };\n}\n',
         "hosts/wsl/configuration.nix": '{ wsl.enable = true; system.stateVersion = "25.11"; }\n'},
    ),
    "NBT009": (
        {"flake.nix": flake_hosts("a"), "hosts/a/configuration.nix": ZFS_HOST,
         "hosts/a/hardware-configuration.nix": HW_OK},
        # The hostId comes from a module the host imports; a ZFS module library is no host.
        {"flake.nix": flake_hosts("a"),
         "hosts/a/configuration.nix": ZFS_HOST.replace("./hardware-configuration.nix",
                                                       "./hardware-configuration.nix ../../modules/id.nix"),
         "hosts/a/hardware-configuration.nix": HW_OK,
         "modules/id.nix": '{ networking.hostId = "8425e349"; }\n',
         "modules/zfs.nix": "{ lib, ... }: { options.zfs-lib = lib.mkOption { }; "
                            'config.boot.supportedFilesystems = [ "zfs" ]; }\n'},
    ),
    "NBT010": (
        {"host.nix": '{ pkgs, ... }: { boot.supportedFilesystems = [ "zfs" ]; networking.hostId = "8425e349";'
                     " boot.kernelPackages = pkgs.linuxPackages_latest; }\n"},
        {"host.nix": "{ pkgs, ... }: { boot.kernelPackages = pkgs.linuxPackages_latest; }\n"},
    ),
    "NBT011": (
        {"gpu.nix": '{ services.xserver.videoDrivers = [ "nvidia" ]; }\n'},
        {"gpu.nix": '{ services.xserver.videoDrivers = [ "nvidia" ]; hardware.nvidia.open = true; }\n',
         # a module library's laptop module imports the GPU-generation module that chooses
         "laptop.nix": '{ imports = [ ./gpu/ampere.nix ]; services.xserver.videoDrivers = [ "nvidia" ]; }\n',
         "gpu/ampere.nix": "{ lib, ... }: { hardware.nvidia.open = lib.mkOverride 990 true; }\n"},
    ),
    "NBT012": (
        {"host.nix": '{ sops.age.keyFile = ./keys.txt; environment.etc."x".text = '
                     "builtins.readFile ../secrets/wifi.age; }\n"},
        {"host.nix": '{ sops.age.keyFile = "/var/lib/sops-nix/keys.txt"; '
                     "age.secrets.wifi.file = ../secrets/wifi.age; }\n",
         # a program named after secrets is code, not a secret
         "tool.nix": '{ pkgs }: pkgs.writeShellApplication {\n'
                     '  name = "x";\n  text = builtins.readFile ./easy-secret.sh;\n}\n'},
    ),
    "NBT013": (
        {"users.nix": '{ users.users.alice.initialPassword = "hunter2"; '
                      'users.users.root.hashedPassword = "$6$abc$def"; }\n',
         "root.nix": '{ users.users.root.initialHashedPassword = ""; }\n',
         # a variables file whose hash users.users inherits elsewhere
         "vars.nix": '{ username = "alice"; initialHashedPassword = "$y$j9T$salt$hash"; }\n',
         # a service's users in a list of listeners (mosquitto)
         "mqtt.nix": "{ services.mosquitto.listeners = [\n"
                     '  { users.tasmota.hashedPassword = "$7$101$salt$hash"; }\n];\n}\n'},
        {"users.nix": "{ config, ... }: { users.users.alice.hashedPasswordFile = "
                      "config.sops.secrets.pw.path; users.users.alice.description = \"password: none\"; }\n",
         "root.nix": '{ users.users.root.hashedPassword = "!"; }\n',
         # values only evaluation knows: another user's option, a private flake input's file
         "copy.nix": "{ config, inputs, lib, ... }: let hash = import (inputs.secrets + /pw.nix); in {\n"
                     "  users.users.root.hashedPassword = config.users.users.alice.hashedPassword;\n"
                     "  users.users.bob.hashedPassword = lib.mkForce hash;\n"
                     "  users.users.admin = { inherit (config.users.users.root) initialPassword; };\n}\n",
         "vars.nix": '{ username = "alice"; initialHashedPassword = "!"; }\n',
         # the throwaway login of `nixos-rebuild build-vm`
         "vm.nix": '{ virtualisation.vmVariant.users.users.alice.hashedPassword = "$y$j9T$salt$hash"; }\n',
         "flake.nix": '{ outputs = _: { vmConfigurations = f { initialHashedPassword = "$y$j9T$s$h"; }; }; }\n',
         # a template's placeholder, to be replaced by whoever uses it
         "templates/host/vars.nix": '{ initialHashedPassword = "$y$j9T$salt$hash"; }\n'},
    ),
    "NBT014": (
        {"gc.nix": '{ nix.gc.automatic = true; nix.gc.options = "-d"; }\n',
         "clean.sh": "#!/bin/sh\nsudo nix-collect-garbage -d\n",
         "bin/tidy": "#!/usr/bin/env bash\nnix-collect-garbage -d\n",
         "justfile": "clean:\n    sudo nix-collect-garbage -d\n"},
        {"gc.nix": '{ nix.gc.automatic = true; nix.gc.options = "--delete-older-than 30d"; }\n',
         "clean.sh": "#!/bin/sh\nsudo nix-collect-garbage --delete-older-than 30d\n",
         "bin/tidy": "#!/usr/bin/env bash\nnix-collect-garbage -d --dry-run\n",
         "justfile": "clean:\n    sudo nix-collect-garbage --delete-older-than 7d\n"},
    ),
    "NBT015": (
        {"flake.nix": '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05"; outputs = _: { }; }\n',
         "gpu.nix": "{ hardware.opengl.enable = true; sound.enable = true; system.rebuild.enableNg = true; }\n"},
        {"flake.nix": '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05"; outputs = _: { }; }\n',
         "gpu.nix": "{ hardware.opengl.enable = true; hardware.graphics.enable = true; }\n"},
    ),
    "NBT018": (
        {"host.nix": '{ lib, ... }: { nixpkgs.config.permittedInsecurePackages = [ "olm" ];\n'
                     "  nixpkgs.config.allowInsecurePredicate = pkg: builtins.elem (lib.getName pkg) "
                     '[ "olm" ]; }\n',
         "shell.nix": 'import <nixpkgs> { config.allowInsecurePredicate = _: true; }\n'},
        {"host.nix": '{ lib, ... }: { nixpkgs.config.permittedInsecurePackages = [ "olm-3.2.16" ];\n'
                     '  nixpkgs.config.allowInsecurePredicate = pkg: builtins.elem pkg.name [ "olm-3.2.16" ]; }\n',
         "shell.nix": 'import <nixpkgs> { config.allowInsecurePredicate = pkg: pkg.name == "olm-3.2.16"; }\n'},
    ),
    # One long chain as generated files write them: too deep for the checker's parser to
    # read in time (tree-sitter), so it is named instead of slowing the whole check down.
    "NBT019": (
        {"generated.nix": "let a = 1; in " + " + ".join(["a"] * 30_010) + "\n"},
        {"generated.nix": "let a = 1; in " + " + ".join(["a"] * 29_000) + "\n"},
    ),
    "NBT017": (
        {"broken.nix": "{ a = ; }\n", "flake.lock": '{"nodes": 5}'},
        {"fine.nix": "{ a = 1; }\n", "flake.lock": lock({"nixpkgs": gh("nixpkgs")}, {"nixpkgs": "nixpkgs"})},
    ),
    "NBT016": (
        {"flake.nix": flake_hosts("a"),
         "hosts/a/configuration.nix": "{ boot.loader.systemd-boot.enable = true; "
                                      "imports = [ ./hardware-configuration.nix ]; }\n",
         "hosts/a/hardware-configuration.nix": HW_OK},
        {"flake.nix": flake_hosts("a"),
         "hosts/a/configuration.nix": HOST_OK.replace('system.stateVersion = "25.11";',
                                                      "imports = [ ./state.nix ];"),
         "hosts/a/state.nix": "{ lib, ... }: { config = lib.mkMerge [ "
                              '{ system.stateVersion = lib.mkDefault "25.11"; } ]; }\n',
         "hosts/a/hardware-configuration.nix": HW_OK},
    ),
}


def run_rule(rule_id: str, files: dict[str, str], root: Path) -> list[str]:
    write_tree(files, root)
    return [as_text([f]) for f in check(root, select=[rule_id], now=NOW)]


def test_every_rule_has_fixtures() -> None:
    # NBT007 reads git history: its fixtures are commits (test_lock_age_is_...).
    assert set(CASES) | {"NBT007"} == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_on_its_fixture(rule_id: str, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    found = run_rule(rule_id, CASES[rule_id][0], tmp_path)
    assert found, f"{rule_id} did not fire"
    assert "".join(found) == snapshot


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_stays_quiet_on_the_near_miss(rule_id: str, tmp_path: Path) -> None:
    assert run_rule(rule_id, CASES[rule_id][1], tmp_path) == []


def test_state_version_changed_in_git_history(tmp_path: Path) -> None:
    write_tree({"hosts/a/configuration.nix": HOST_OK.replace("25.11", "23.11"),
                "hosts/a/hardware-configuration.nix": HW_OK}, tmp_path)
    git = ["git", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "first install"], check=True)
    (tmp_path / "hosts/a/configuration.nix").write_text(HOST_OK)
    subprocess.run([*git, "commit", "-qam", "bump"], check=True)
    found = check(tmp_path, select=["NBT016"], now=NOW)
    assert [f.message for f in found] == ["system.stateVersion was 23.11 before and is 25.11 now"]


def commit_at(root: Path, when: dt.datetime, message: str) -> None:
    stamp = when.isoformat()
    env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", message], check=True, env=env)


def test_lock_age_is_when_the_lock_was_last_committed(tmp_path: Path) -> None:
    # Locked long ago: stale, even though upstream moved recently.
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write_tree({"flake.nix": FLAKE % "release-26.05",
                "flake.lock": lock({"nixpkgs": gh("nixpkgs", RECENT)}, {"nixpkgs": "nixpkgs"})}, tmp_path)
    commit_at(tmp_path, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "lock")
    assert [f.message for f in check(tmp_path, select=["NBT007"], now=NOW)] == [
        "flake.lock was last updated 328 days ago"]
    # Locked yesterday to an input that is quiet upstream: nix flake update would change nothing.
    write_tree({"flake.lock": lock({"nixpkgs": gh("nixpkgs", OLD)}, {"nixpkgs": "nixpkgs"})}, tmp_path)
    commit_at(tmp_path, dt.datetime(2026, 11, 24, tzinfo=dt.UTC), "update")
    assert check(tmp_path, select=["NBT007"], now=NOW) == []


def test_a_lock_without_history_has_no_known_age(tmp_path: Path) -> None:
    write_tree({"flake.nix": FLAKE % "release-26.05",
                "flake.lock": lock({"nixpkgs": gh("nixpkgs", OLD)}, {"nixpkgs": "nixpkgs"})}, tmp_path)
    assert check(tmp_path, select=["NBT007"], now=NOW) == []


def test_suppression_comments_and_selection(tmp_path: Path) -> None:
    write_tree({
        "a.nix": "{\n  # nixbtw: ignore[NBT003] the kiosk needs it\n  nixpkgs.config.allowUnfree = true;\n}\n",
        "b.nix": "# nixbtw: ignore-file[NBT003]\n{ nixpkgs.config.allowUnfree = true; }\n",
        "c.nix": "{ nixpkgs.config.allowUnfree = true; }\n",
    }, tmp_path)
    assert [f.path for f in check(tmp_path, now=NOW)] == ["c.nix"]
    assert check(tmp_path, ignore=["NBT003"], now=NOW) == []
    assert check(tmp_path, select=["NBT001"], now=NOW) == []


def test_comments_and_strings_do_not_fool_the_parser(tmp_path: Path) -> None:
    write_tree({"a.nix": '{\n  # nixpkgs.config.allowUnfree = true;\n  description = '
                         '"nixpkgs.config.allowUnfree = true; hardware.opengl.enable = true";\n}\n'}, tmp_path)
    assert check(tmp_path, now=NOW) == []


@pytest.mark.parametrize("example", example_names())
def test_a_generated_repository_passes_its_own_check(example: str, tmp_path: Path) -> None:
    root = write_tree(all_files(render_example(example)), tmp_path)
    assert [as_text([f]) for f in check(root, now=NOW)] == []


def test_cli_formats_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(CASES["NBT003"][0], tmp_path)
    assert main(["check", str(tmp_path)]) == 1
    assert "host.nix:1:1: NBT003 warning" in capsys.readouterr().out
    assert main(["check", str(tmp_path), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["rule"] == "NBT003"
    assert main(["check", str(tmp_path), "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"][0]["ruleId"] == "NBT003"
    assert main(["check", str(tmp_path), "--ignore", "NBT003"]) == 0
    assert main(["check", str(tmp_path), "--select", "NBT999"]) == 2
    assert "unknown rule NBT999" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize("lock_text", ['{"nodes": 5}', '{"nodes": {"root": 5}, "root": "root"}',
                                       '{"nodes": {"root": {"inputs": {"n": "n"}}, "n": {"locked": 5}}}',
                                       '{"nodes": {"root": {"inputs": {"n": "n"}}, "n": '
                                       '{"locked": {"lastModified": -99999999999999}}}}'])
def test_malformed_locks_do_not_crash_the_check(lock_text: str, tmp_path: Path) -> None:
    write_tree({"flake.lock": lock_text}, tmp_path)
    assert all(f.rule == "NBT017" for f in check(tmp_path, now=NOW))


def test_absurd_nesting_does_not_crash_the_check(tmp_path: Path) -> None:
    write_tree({"deep.nix": "{ a = " * 5000 + "1" + "; }" * 5000 + "\n"}, tmp_path)
    assert isinstance(check(tmp_path, now=NOW), list)


def test_a_clean_run_says_so_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scaffold.cli import main

    (tmp_path / "default.nix").write_text("{ }\n")
    assert main(["check", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"nixbtw check: {tmp_path}: no findings\n"


def test_a_file_that_does_not_parse_reports_nix_own_position_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scaffold.cli import main

    require_tool("nix-instantiate")
    (tmp_path / "configuration.nix").write_text(
        "{ pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.git\n  nix-env -i foo;\n")
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    findings = [line for line in out.splitlines() if not line.startswith("  ")]
    assert findings == ["configuration.nix:4:11: NBT017 error: configuration.nix does not parse as Nix: "
                        "syntax error, unexpected '-'"]


ZFS_NODE = '{ boot.supportedFilesystems = [ "zfs" ]; fileSystems."/".device = "tank/root"; }\n'


def colmena_hive(defaults: str) -> str:
    return ("{\n  outputs = { self, ... }: {\n    colmena = {\n      meta.nixpkgs = null;\n"
            f"      defaults = {defaults};\n"
            "      web = { name, ... }: { imports = [ ./hosts/web.nix ]; };\n    };\n  };\n}\n")


def test_colmena_nodes_are_hosts(tmp_path: Path) -> None:
    write_tree({"flake.nix": colmena_hive("{ }"), "hosts/web.nix": ZFS_NODE}, tmp_path / "bad")
    found = check(tmp_path / "bad", select=["NBT009"], now=NOW)
    assert [(f.path, f.message) for f in found] == [
        ("hosts/web.nix", "host web uses ZFS but sets no networking.hostId")]
    # The hive's defaults reach every node: the hostId set there counts.
    write_tree({"flake.nix": colmena_hive("./common.nix"), "hosts/web.nix": ZFS_NODE,
                "common.nix": '{ networking.hostId = "8425e349"; }\n'}, tmp_path / "good")
    assert check(tmp_path / "good", select=["NBT009"], now=NOW) == []


def self_module_flake(module: str) -> str:
    return ("{\n  outputs = { self, nixpkgs, ... }: {\n"
            f"    nixosModules.zfs-id = {module};\n"
            "    nixosConfigurations.a = nixpkgs.lib.nixosSystem {\n"
            "      modules = [ ./hosts/a/configuration.nix self.nixosModules.zfs-id ];\n    };\n  };\n}\n")


def test_a_host_reads_the_flake_own_modules_through_self(tmp_path: Path) -> None:
    host = {"hosts/a/configuration.nix": ZFS_HOST, "hosts/a/hardware-configuration.nix": HW_OK}
    write_tree({**host, "flake.nix": self_module_flake("./modules/id.nix"),
                "modules/id.nix": '{ networking.hostId = "8425e349"; }\n'}, tmp_path / "good")
    assert check(tmp_path / "good", select=["NBT009"], now=NOW) == []
    write_tree({**host, "flake.nix": self_module_flake("./modules/id.nix"),
                "modules/id.nix": "{ networking.hostName = \"a\"; }\n"}, tmp_path / "bad")
    assert [f.rule for f in check(tmp_path / "bad", select=["NBT009"], now=NOW)] == ["NBT009"]


def test_home_manager_users_given_as_a_path_belong_to_the_host(tmp_path: Path) -> None:
    from scaffold.check.context import Repo, list_files

    write_tree({"flake.nix": flake_hosts("a"), "hosts/a/hardware-configuration.nix": HW_OK,
                "hosts/a/configuration.nix": HOST_OK.replace(
                    "  boot.loader", "  home-manager.users.alice = ./home.nix;\n"
                    "  home-manager.sharedModules = [ ./shared.nix ] ++ lib.optionals true [ ./extra.nix ];\n"
                    "  boot.loader"),
                "hosts/a/home.nix": '{ home.stateVersion = "25.11"; }\n',
                "hosts/a/shared.nix": "{ }\n", "hosts/a/extra.nix": "{ }\n"}, tmp_path)
    repo = Repo(root=tmp_path, now=NOW, files=list_files(tmp_path))
    [host] = repo.hosts
    assert {"hosts/a/home.nix", "hosts/a/shared.nix", "hosts/a/extra.nix"} <= set(host.files)
    assert host.closed


def test_a_hardware_file_imported_by_a_host_helper_is_imported(tmp_path: Path) -> None:
    helper = ('{ nixpkgs, ... }:\nlet\n  mkHost = name: nixpkgs.lib.nixosSystem {\n    modules = [\n'
              '      "${./hosts}/${name}/configuration.nix"\n'
              '    ] ++ [ "${./hosts}/${name}/hardware-configuration.nix" ];\n'
              '  };\nin { nixosConfigurations.a = mkHost "a"; }\n')
    write_tree({"flake.nix": "{ outputs = inputs: import ./lib/hosts.nix inputs; }\n", "lib/hosts.nix": helper,
                "hosts/a/configuration.nix": HOST_OK.replace("  imports = [ ./hardware-configuration.nix ];\n", ""),
                "hosts/a/hardware-configuration.nix": HW_OK}, tmp_path)
    assert check(tmp_path, select=["NBT008"], now=NOW) == []
    # Without the helper's line, nothing imports it.
    unused = helper.replace(' ++ [ "${./hosts}/${name}/hardware-configuration.nix" ]', "")
    (tmp_path / "lib/hosts.nix").write_text(unused)
    assert [f.path for f in check(tmp_path, select=["NBT008"], now=NOW)] == ["hosts/a/hardware-configuration.nix"]


def test_pipe_operators_parse_and_their_files_are_read(tmp_path: Path) -> None:
    require_tool("nix-instantiate")
    # `|>` and `<|` (Nix's pipe-operators feature) are valid Nix: no NBT017, and the rules see
    # the settings of such a file; a real syntax error next to a pipe is still reported.
    write_tree({"pipes.nix": "{ lib, ... }:\n{\n  networking.hostName = [ \"a\" ] |> lib.head;\n"
                             "  nixpkgs.config.allowUnfree = true;\n}\n",
                "broken.nix": "{ lib, ... }:\n{\n  x = [ 1 ] |> lib.head;\n  y = ;\n}\n"}, tmp_path)
    found = [(f.path, f.line, f.rule) for f in check(tmp_path, now=NOW)]
    assert found == [("broken.nix", 4, "NBT017"), ("pipes.nix", 4, "NBT003")]


def test_names_bound_by_let_are_read_through(tmp_path: Path) -> None:
    # The value a let binds is what the setting gets, at a module's top or inside a value.
    write_tree({"users.nix": '{ lib, ... }: let pw = "hunter2"; in {\n'
                             "  users.users.alice.initialPassword = pw;\n"
                             '  users.users.bob = lib.mkIf true\n'
                             '    (let hash = "$6$salt$hash"; in { hashedPassword = hash; });\n'
                             "}\n"}, tmp_path / "bad")
    assert [(f.line, f.message) for f in check(tmp_path / "bad", select=["NBT013"], now=NOW)] == [
        (2, "users.users.alice.initialPassword is written in the repository"),
        (4, "users.users.bob.hashedPassword is written in the repository")]
    # A let-bound name whose value only evaluation knows is not a literal.
    write_tree({"users.nix": "{ config, ... }: let pw = config.sops.secrets.pw.path; in {\n"
                             "  users.users.alice.hashedPassword = pw;\n}\n"}, tmp_path / "good")
    assert check(tmp_path / "good", select=["NBT013"], now=NOW) == []


def test_a_colmena_hive_in_its_own_file_has_hosts(tmp_path: Path) -> None:
    flake = "{\n  outputs = inputs: { colmena = import ./hive.nix inputs; };\n}\n"
    hive = ("{ nixpkgs, ... }:\n{\n  meta.nixpkgs = import nixpkgs { system = \"x86_64-linux\"; };\n"
            "  web = { name, ... }: { imports = [ ./hosts/web.nix ]; };\n}\n")
    write_tree({"flake.nix": flake, "hive.nix": hive, "hosts/web.nix": ZFS_NODE}, tmp_path / "bad")
    assert [f.message for f in check(tmp_path / "bad", select=["NBT009"], now=NOW)] == [
        "host web uses ZFS but sets no networking.hostId"]
    # A file whose meta is a package's (description, license) is no hive.
    write_tree({"flake.nix": flake, "hive.nix": hive.replace("meta.nixpkgs = import nixpkgs { system = "
                                                             '"x86_64-linux"; };', 'meta.description = "x";'),
                "hosts/web.nix": ZFS_NODE}, tmp_path / "good")
    assert check(tmp_path / "good", select=["NBT009"], now=NOW) == []


def test_a_parked_file_nothing_uses_is_not_said_to_break_evaluation(tmp_path: Path) -> None:
    # In a repository that builds hosts, a module no import, path or string refers to is
    # parked: its removed options and parse errors break nothing.
    old = "{ hardware.opengl.enable = true; }\n"
    host = HOST_OK.replace("./hardware-configuration.nix ]", "./hardware-configuration.nix ./gpu.nix ]")
    tree = {"flake.nix": flake_hosts("a"), "hosts/a/hardware-configuration.nix": HW_OK,
            "hosts/a/configuration.nix": host, "hosts/a/gpu.nix": old}
    write_tree(tree, tmp_path / "used")
    assert [f.path for f in check(tmp_path / "used", select=["NBT015"], now=NOW)] == ["hosts/a/gpu.nix"]
    write_tree({**tree, "hosts/a/configuration.nix": HOST_OK, "hosts/a/broken.nix": "{ a = ; }\n"},
               tmp_path / "parked")
    assert check(tmp_path / "parked", select=["NBT015", "NBT017"], now=NOW) == []


def test_a_file_of_comments_only_is_parked_unless_imported(tmp_path: Path) -> None:
    require_tool("nix-instantiate")
    parked = "# { programs.direnv.enable = true; }\n"
    write_tree({"programs/default.nix": "{ imports = [ ./git.nix ]; }\n", "programs/git.nix": "{ }\n",
                "programs/direnv.nix": parked}, tmp_path / "parked")
    assert check(tmp_path / "parked", select=["NBT017"], now=NOW) == []
    write_tree({"programs/default.nix": "{ imports = [ ./git.nix ./direnv.nix ]; }\n",
                "programs/git.nix": "{ }\n", "programs/direnv.nix": parked}, tmp_path / "imported")
    assert [f.path for f in check(tmp_path / "imported", select=["NBT017"], now=NOW)] == ["programs/direnv.nix"]


def test_a_folder_read_by_a_function_keeps_its_files_in_use(tmp_path: Path) -> None:
    # `imports = validFiles ./.;` (readDir underneath) uses every file of the folder, even
    # though the folder itself is imported elsewhere as ./modules.
    loader = "{ lib, ... }: let files = dir: builtins.attrNames (builtins.readDir dir); in\n" \
             "{ imports = map (f: ./. + \"/${f}\") (builtins.filter (f: f != \"default.nix\") (files ./.)); }\n"
    host = HOST_OK.replace("./hardware-configuration.nix ]", "./hardware-configuration.nix ../../modules ]")
    write_tree({"flake.nix": flake_hosts("a"), "hosts/a/hardware-configuration.nix": HW_OK,
                "hosts/a/configuration.nix": host, "modules/default.nix": loader,
                "modules/gpu.nix": "{ hardware.opengl.enable = true; }\n"}, tmp_path)
    assert [f.path for f in check(tmp_path, select=["NBT015"], now=NOW)] == ["modules/gpu.nix"]


def test_a_module_input_on_its_default_branch_is_not_told_to_follow_a_release(tmp_path: Path) -> None:
    flake = ('{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";\n'
             '  inputs.sops-nix.url = "github:Mic92/sops-nix%s";\n  outputs = _: { };\n}\n')
    lock_text = lock({"nixpkgs": gh("nixpkgs"), "nixpkgs_2": gh("nixpkgs"),
                      "sops-nix": {**gh("sops-nix", owner="Mic92"), "inputs": {"nixpkgs": "nixpkgs_2"}}},
                     {"nixpkgs": "nixpkgs", "sops-nix": "sops-nix"})
    # Its default branch tracks unstable: following nixos-26.05 would break it.
    write_tree({"flake.nix": flake % "", "flake.lock": lock_text}, tmp_path / "default")
    assert check(tmp_path / "default", select=["NBT005"], now=NOW) == []
    write_tree({"flake.nix": flake % "/release-26.05", "flake.lock": lock_text}, tmp_path / "release")
    assert [f.rule for f in check(tmp_path / "release", select=["NBT005"], now=NOW)] == ["NBT005"]


def test_a_pool_of_processes_finds_what_one_process_finds(tmp_path: Path) -> None:
    # Per-file results cross process boundaries as plain data; nothing may be lost on the way.
    tree = {**CASES["NBT003"][0], **CASES["NBT013"][0], **CASES["NBT015"][0],
            "flake.nix": flake_hosts("a"), "hosts/a/configuration.nix": ZFS_HOST,
            "hosts/a/hardware-configuration.nix": HW_OK}
    write_tree(tree, tmp_path)
    alone = check(tmp_path, now=NOW, jobs=1)
    assert {f.rule for f in alone} >= {"NBT003", "NBT009", "NBT013"}
    assert check(tmp_path, now=NOW, jobs=2) == alone


def test_hostile_files_are_reported_or_skipped_never_a_crash_or_a_hang(tmp_path: Path) -> None:
    """Binary data, nesting deeper than Nix's parser takes, a FIFO, a symlink loop and a link out
    of the repository: `check` finishes, and reports what Nix itself refuses."""
    require_tool("nix-instantiate")
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "binary.nix").write_bytes(bytes(range(128, 256)) * 20)
    (repo / "lists.nix").write_text("[" * 5000 + "]" * 5000)
    (repo / "parens.nix").write_text("(" * 50000 + "1" + ")" * 50000)
    (repo / "ok.nix").write_text("{ }\n")
    os.mkfifo(repo / "fifo.nix")
    (repo / "loop1.nix").symlink_to("loop2.nix")
    (repo / "loop2.nix").symlink_to("loop1.nix")
    (repo / "shadow.nix").symlink_to("/etc/passwd")
    # A subprocess, so a blocking read of the FIFO fails the test instead of hanging the suite.
    proc = subprocess.run([sys.executable, "-m", "scaffold.cli", "check", str(repo)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stderr
    reported = sorted(line.split(":")[0] for line in proc.stdout.splitlines() if "NBT017" in line)
    assert reported == ["binary.nix", "lists.nix", "parens.nix"]
    assert "internal error" not in proc.stderr and "shadow" not in proc.stdout + proc.stderr


# Shapes found by reading real configurations (scripts/corpus-labels.tsv, "found by reading").
READ_CASES: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "nix-darwin-options-removed-before-the-pin": (
        "NBT015",
        {"darwin.nix": "{ services.nix-daemon.enable = true; nix.useDaemon = true;\n"
                       '  homebrew.cleanup = "zap"; system.stateVersion = 5; }\n'},
        {"darwin.nix": '{ nix.enable = true; homebrew.onActivation.cleanup = "zap";\n'
                       "  system.stateVersion = 5; }\n"},
    ),
    # A mixed flake: nix-darwin must match the nixpkgs it follows (nixpkgs-darwin), not `nixpkgs`.
    "nix-darwin-against-the-nixpkgs-it-follows": (
        "NBT006",
        {"flake.nix": MIXED_FLAKE % ("nixos-26.05", "nixpkgs-25.11-darwin")},
        {"flake.nix": MIXED_FLAKE % ("nixos-unstable", "nixpkgs-26.05-darwin")},
    ),
    "renamed-options-of-older-releases": (
        "NBT015",
        {"host.nix": '{ pkgs, ... }: { fonts.fonts = [ pkgs.dejavu_fonts ]; nix.binaryCaches = [ "https://x" ];\n'
                     "  services.openssh.passwordAuthentication = false;\n"
                     "  services.xserver.displayManager.gdm.enable = true; }\n"},
        {"host.nix": '{ pkgs, ... }: { fonts.packages = [ pkgs.dejavu_fonts ];\n'
                     '  nix.settings.substituters = [ "https://x" ];\n'
                     "  services.openssh.settings.PasswordAuthentication = false;\n"
                     "  services.displayManager.gdm.enable = true;\n"
                     # a build machine's maxJobs is no nix.maxJobs
                     '  nix.buildMachines = [ { hostName = "b"; maxJobs = 8; } ]; }\n'},
    ),
    "a-module-nothing-enables-is-parked": (
        "NBT015",
        {"flake.nix": flake_hosts("a"), "hosts/a/configuration.nix": HOST_OK.replace(
            "./hardware-configuration.nix", "./hardware-configuration.nix ../../x.nix").replace(
            "system.stateVersion", "mine.x.enable = true; system.stateVersion"),
         "hosts/a/hardware-configuration.nix": HW_OK,
         "x.nix": "{ config, lib, ... }: let cfg = config.mine.x; in {\n"
                  "  options.mine.x.enable = lib.mkEnableOption \"x\";\n"
                  "  config = lib.mkIf cfg.enable { nix.maxJobs = 4; };\n}\n"},
        {"flake.nix": flake_hosts("a"), "hosts/a/configuration.nix": HOST_OK.replace(
            "./hardware-configuration.nix", "./hardware-configuration.nix ../../x.nix").replace(
            "system.stateVersion", "mine.x.enable = false; system.stateVersion"),
         "hosts/a/hardware-configuration.nix": HW_OK,
         "x.nix": "{ config, lib, ... }: let cfg = config.mine.x; in {\n"
                  "  options.mine.x.enable = lib.mkEnableOption \"x\";\n"
                  "  config = lib.mkIf cfg.enable { nix.maxJobs = 4; };\n}\n"},
    ),
    "unfree-written-into-the-user-nixpkgs-config": (
        "NBT003",
        {"home.nix": '{ xdg.configFile."nixpkgs/config.nix".text = \'\'\n  { allowUnfree = true; }\n\'\'; }\n'},
        {"home.nix": '{ xdg.configFile."nixpkgs/config.nix".text = \'\'\n  { allowUnfree = false; }\n\'\';\n'
                     '  xdg.configFile."notes.txt".text = "remember: allowUnfree = true; is blanket"; }\n'},
    ),
    "yadm-alternates-are-nix-files": (
        "NBT003",
        {"configuration.nix##hostname.a": "{ nixpkgs.config.allowUnfree = true; }\n"},
        {"configuration.nix##hostname.a": '{ nixpkgs.config.allowUnfreePackages = [ "steam" ]; }\n'},
    ),
    "password-files-read-into-the-store": (
        "NBT012",
        {"host.nix": "{ lib, ... }: { services.radicale.settings.auth.htpasswd = "
                     "lib.readFile ./passwords/radicale-passwords; }\n"},
        {"host.nix": '{ services.radicale.settings.auth.htpasswd_filename = "/run/secrets/radicale"; }\n',
         "tool.nix": "{ pkgs }: pkgs.writeShellScript \"x\" (builtins.readFile ./passwd-helper.sh)\n"},
    ),
    "nix-env-steps-kept-in-a-comment": (
        "NBT001",
        {"host.nix": "# Install:\n#   nix-env -iA nixos.git\n#   nixos-install --flake .#x\n{ }\n"},
        {"host.nix": "# Never use nix-env -i here: declare packages instead.\n{ }\n"},
    ),
    "renamed-options-inside-the-vm-variant": (
        "NBT015",
        {"vm.nix": "{ virtualisation.vmVariant = {\n"
                   "  services.xserver.displayManager.autoLogin.enable = true;\n"
                   "  virtualisation.memorySize = 4096; }; }\n"},
        {"vm.nix": "{ virtualisation.vmVariant = {\n"
                   "  services.displayManager.autoLogin.enable = true;\n"
                   "  virtualisation.memorySize = 4096; }; }\n"},
    ),
    "renamed-options-inside-a-specialisation": (
        "NBT015",
        {"host.nix": '{ specialisation.work.configuration = { services.xserver.xkbOptions = "x"; }; }\n'},
        # a specialisation's own name is free: "configuration" is what NixOS evaluates
        {"host.nix": '{ specialisation.work.configuration = { services.xserver.xkb.options = "x"; };\n'
                     "  specialisation.work.inheritParentConfig = true; }\n"},
    ),
    "renamed-x11-keyboard-and-dnsmasq-options": (
        "NBT015",
        {"host.nix": '{ services.xserver.xkbOptions = "ctrl:nocaps";\n'
                     '  services.dnsmasq.extraConfig = "bind-interfaces";\n'
                     "  boot.loader.grub.version = 2; }\n"},
        {"host.nix": '{ services.xserver.xkb.options = "ctrl:nocaps";\n'
                     '  services.dnsmasq.settings.bind-interfaces = true;\n'
                     '  boot.loader.grub.device = "/dev/vda"; }\n'},
    ),
    "modules-imported-from-the-flake-root": (
        "NBT015",
        {"flake.nix": flake_hosts("a"), "hosts/a/configuration.nix": HOST_OK.replace(
            "./hardware-configuration.nix", './hardware-configuration.nix (self + /modules/legacy.nix)\n'
            '    "${inputs.self}/modules/older.nix"'),
         "hosts/a/hardware-configuration.nix": HW_OK,
         "modules/legacy.nix": "{ nix.maxJobs = 4; }\n", "modules/older.nix": "{ nix.buildCores = 4; }\n"},
        # nothing refers to them: parked files nothing evaluates
        {"flake.nix": flake_hosts("a"), "hosts/a/configuration.nix": HOST_OK,
         "hosts/a/hardware-configuration.nix": HW_OK,
         "modules/legacy.nix": "{ nix.maxJobs = 4; }\n", "modules/older.nix": "{ nix.buildCores = 4; }\n"},
    ),
    "key-files-and-own-names-do-not-make-a-module-used": (
        "NBT015",
        {"flake.nix": flake_hosts("a"), "hosts/a/configuration.nix": HOST_OK.replace(
            "./hardware-configuration.nix", "./hardware-configuration.nix ../common/nextcloud.nix"),
         "hosts/a/hardware-configuration.nix": HW_OK,
         "hosts/common/nextcloud.nix": '{ services.dnsmasq.extraConfig = "x"; '
                                       'services.nginx.virtualHosts."nextcloud".root = "/srv"; }\n'},
        # no host imports it: a key file under every host folder and its own name are no reference
        {"flake.nix": flake_hosts("a"), "hosts/a/configuration.nix": HOST_OK.replace(
            "system.stateVersion", 'programs.ssh.knownHosts = lib.genAttrs [ "a" ] (h: '
            "{ publicKeyFile = ../${h}/ssh_host_ed25519_key.pub; }); system.stateVersion"),
         "hosts/a/hardware-configuration.nix": HW_OK,
         "hosts/common/nextcloud.nix": '{ services.dnsmasq.extraConfig = "x"; '
                                       'services.nginx.virtualHosts."nextcloud".root = "/srv"; }\n'},
    ),
    "profile-history-wiped-without-a-window": (
        "NBT014",
        {"justfile": "clean:\n  sudo nix profile wipe-history --profile /nix/var/nix/profiles/system\n",
         "README.md": "Deleting old configurations:\n\n```shell\n$ nix profile wipe-history\n```\n"},
        {"justfile": "clean:\n  sudo nix profile wipe-history --profile /nix/var/nix/profiles/system "
                     "--older-than 7d\n",
         "README.md": "Deleting old configurations:\n\n```shell\n$ nix profile wipe-history --older-than 30d\n```\n"},
    ),
}


@pytest.mark.parametrize("case", sorted(READ_CASES))
def test_shapes_found_by_reading_fire(case: str, tmp_path: Path) -> None:
    rule_id, bad, _good = READ_CASES[case]
    assert run_rule(rule_id, bad, tmp_path), f"{case}: {rule_id} did not fire"


@pytest.mark.parametrize("case", sorted(READ_CASES))
def test_shapes_found_by_reading_have_quiet_near_misses(case: str, tmp_path: Path) -> None:
    rule_id, _bad, good = READ_CASES[case]
    assert run_rule(rule_id, good, tmp_path) == []


def test_a_folder_without_nix_files_is_named_not_passed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scaffold.cli import main

    (tmp_path / "notes.md").write_text("# not a configuration\n")
    assert main(["check", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"error: PATH: {tmp_path} holds no .nix files, so there is nothing to "
                                       "check; point nixbtw check at a configuration repository\n")
