"""Each lane renders what its users expect, and nothing that belongs to another lane."""

from __future__ import annotations

import pytest

from scaffold.nixparse import module_settings
from tests.conftest import all_files, render_example


def settings_of(text: str) -> dict[str, str]:
    return {".".join(s.path): (s.node.text or b"").decode() for s in module_settings(text.encode())}


def test_channels_lane_is_a_classic_etc_nixos_without_flake_inputs() -> None:
    files = all_files(render_example("channels"))
    assert sorted(files) == [".copier-answers.yml", "README.md", "configuration.nix",
                             "hardware-configuration.nix", "home/erin.nix"]
    config = files["configuration.nix"]
    assert "inputs" not in config
    assert "<home-manager/nixos>" in config
    readme = files["README.md"]
    assert "sudo nix-channel --add https://nixos.org/channels/nixos-26.05 nixos" in readme
    assert ("sudo nix-channel --add https://github.com/nix-community/home-manager/archive/"
            "release-26.05.tar.gz home-manager") in readme
    assert "must always point at the same release" in readme


def test_darwin_lane_matches_nix_darwin_to_nixpkgs_and_has_no_nixos_options() -> None:
    files = all_files(render_example("darwin"))
    flake = files["flake.nix"]
    assert '"github:NixOS/nixpkgs/nixpkgs-26.05-darwin"' in flake
    assert '"github:nix-darwin/nix-darwin/nix-darwin-26.05"' in flake
    config = settings_of(files["hosts/macbook/configuration.nix"])
    assert config["system.stateVersion"] == "7"
    assert config["system.primaryUser"] == '"frank"'
    assert config["nixpkgs.hostPlatform"] == '"aarch64-darwin"'
    assert config["security.pam.services.sudo_local.touchIdAuth"] == "true"
    assert config["homebrew.onActivation.cleanup"] == '"check"'
    assert not any(k.startswith(("boot.", "disko.", "fileSystems.", "hardware.")) for k in config)
    assert "hosts/macbook/hardware-configuration.nix" not in files


def test_determinate_on_darwin_hands_nix_to_its_module() -> None:
    files = all_files(render_example("darwin-determinate"))
    config = settings_of(files["hosts/studio/configuration.nix"])
    assert config["determinateNix.enable"] == "true"
    assert config["nix.enable"] == "false"
    assert not any(k.startswith("nix.") and k != "nix.enable" for k in config)
    assert "inputs.determinate.darwinModules.default" in files["hosts/studio/configuration.nix"]
    assert "https://flakehub.com/f/DeterminateSystems/determinate/3" in files["flake.nix"]


def test_determinate_on_nixos_does_not_set_nix_package() -> None:
    files = all_files(render_example("determinate-standalone"))
    config = settings_of(files["hosts/kestrel/configuration.nix"])
    assert "nix.package" not in config
    assert "inputs.determinate.nixosModules.default" in files["hosts/kestrel/configuration.nix"]


def test_lix_comes_from_nixpkgs() -> None:
    config = settings_of(all_files(render_example("lix-server"))["hosts/relay-01/configuration.nix"])
    assert config["nix.package"] == "pkgs.lixPackageSets.stable.lix"


def test_plain_nix_leaves_the_release_default() -> None:
    config = settings_of(all_files(render_example("workstation"))["hosts/forge/configuration.nix"])
    assert "nix.package" not in config


def test_wsl_lane_has_no_boot_loader_disk_or_hardware_file() -> None:
    files = all_files(render_example("wsl"))
    config = settings_of(files["hosts/winbox/configuration.nix"])
    assert config["wsl.enable"] == "true"
    assert config["wsl.defaultUser"] == '"ivan"'
    assert not any(k.startswith(("boot.", "disko.")) for k in config)
    assert "hosts/winbox/hardware-configuration.nix" not in files
    assert '"github:nix-community/NixOS-WSL/release-26.05"' in files["flake.nix"]


def test_home_manager_lane_is_standalone_on_another_linux() -> None:
    files = all_files(render_example("home-manager"))
    flake = files["flake.nix"]
    assert '"hugo@devbox" = mkHome "x86_64-linux" "hugo"' in flake
    assert "nixosConfigurations" not in flake
    shared = settings_of(files["hosts/devbox/home-manager.nix"])
    assert shared["targets.genericLinux.enable"] == "true"
    assert shared["programs.home-manager.enable"] == "true"
    assert settings_of(files["hosts/devbox/home/hugo.nix"])["home.stateVersion"] == '"26.05"'
    assert "nix-env -i" in files["README.md"]


def _unfree(text: str) -> str | None:
    return settings_of(text).get("nixpkgs.config.allowUnfreePackages")


@pytest.mark.parametrize(
    ("example", "system_file", "mode"),
    [
        ("workstation", "hosts/forge/configuration.nix", "nixos-module"),
        ("darwin", "hosts/macbook/configuration.nix", "darwin-module"),
        ("determinate-standalone", "hosts/kestrel/configuration.nix", "standalone"),
        ("darwin-determinate", "hosts/studio/configuration.nix", "standalone"),
        ("home-manager", None, "standalone"),
    ],
)
def test_one_unfree_gate_reaches_home_packages_in_every_mode(
    example: str, system_file: str | None, mode: str
) -> None:
    rendered = render_example(example)
    files = all_files(rendered)
    spec = rendered.plan.spec
    assert isinstance(spec.packages.unfree, list) and spec.packages.unfree
    if system_file is not None:
        system = settings_of(files[system_file])
        assert _unfree(files[system_file]) is not None
        assert all(f'"{n}"' in system["nixpkgs.config.allowUnfreePackages"] for n in spec.packages.unfree)
    if mode in ("nixos-module", "darwin-module"):
        # With useGlobalPkgs the system's nixpkgs (and so its gate) serves every user.
        system = settings_of(files[system_file or ""])
        assert system["home-manager.useGlobalPkgs"] == "true"
        assert not any("nixpkgs" in text for rel, text in files.items() if "/home/" in rel)
    else:
        shared = next(text for rel, text in files.items() if rel.endswith("home-manager.nix"))
        gate = _unfree(shared)
        assert gate is not None
        assert all(f'"{n}"' in gate for n in spec.packages.unfree)
        if system_file is not None:
            # Standalone builds its own nixpkgs: the very same list, insecure ones too.
            assert gate == _unfree(files[system_file])
            insecure = "nixpkgs.config.permittedInsecurePackages"
            assert settings_of(shared).get(insecure) == settings_of(files[system_file]).get(insecure)
