"""Benchmark `nixbtw check` on a large synthetic repository.

    .venv/bin/python scripts/bench_check.py [--hosts 500] [--runs 3]

Builds hosts/<n>/{configuration,hardware-configuration,home}.nix plus docs and
scripts (several thousand files), then reports files per second for a full check
(median of the runs, wall clock). Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scaffold.check import check
from scaffold.check.context import list_files

HOST = """{{ config, lib, pkgs, ... }}:
{{
  imports = [ ./hardware-configuration.nix ./home.nix ];
  networking.hostName = "host{n}";
  boot.loader.systemd-boot.enable = true;
  services.openssh = {{ enable = true; settings.PasswordAuthentication = false; }};
  users.users.u{n} = {{ isNormalUser = true; extraGroups = [ "wheel" ]; }};
  environment.systemPackages = with pkgs; [ git vim htop ];
  nix.gc = {{ automatic = true; options = "--delete-older-than 30d"; }};
  system.stateVersion = "26.05";
}}
"""
HW = """{{ lib, ... }}:
{{
  fileSystems."/" = {{ device = "/dev/disk/by-uuid/0b8e1d6a-7c3e-4f0a-9d2b-{n:012x}"; fsType = "ext4"; }};
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
}}
"""
HOME = """{{ pkgs, ... }}: {{ home.packages = [ pkgs.ripgrep ]; home.stateVersion = "26.05"; }}
"""


def build(root: Path, hosts: int) -> None:
    (root / "flake.nix").write_text('{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05"; '
                                    "outputs = _: { }; }\n")
    for n in range(hosts):
        d = root / "hosts" / f"host{n}"
        d.mkdir(parents=True)
        (d / "configuration.nix").write_text(HOST.format(n=n))
        (d / "hardware-configuration.nix").write_text(HW.format(n=n))
        (d / "home.nix").write_text(HOME.format(n=n))
        (d / "README.md").write_text(f"# host{n}\n\n```sh\nsudo nixos-rebuild switch --flake .#host{n}\n```\n")
        (d / "deploy.sh").write_text(f"#!/bin/sh\nnixos-rebuild switch --flake .#host{n}\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, args.hosts)
        listed = list_files(root)
        files, nix = len(listed), sum(rel.endswith(".nix") for rel in listed)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            findings = check(root)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"{files} files ({nix} Nix), {len(findings)} findings: "
              f"median {median:.2f} s, {files / median:.0f} files/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
