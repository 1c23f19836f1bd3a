"""Every host nixbtw accepts evaluates, boots, and lets each admin in and up to root.

Answer sets are drawn across the whole space (lanes, platforms, Nix
implementations, disks, secrets tools, home-manager modes, users with and
without keys and passwords, sshd on and off, firmware and loaders). Each is
either refused with a fix, or rendered, parsed by real Nix, and its files
evaluated (tests/hostprobe.py) to check the guarantees against what the Nix
itself says. `scripts/first_boot_fuzz.py` runs the same check for longer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scaffold.answers import build_spec
from scaffold.errors import InputError
from scaffold.render import render_new
from scaffold.spec import HostSpec, macos_timezones
from tests.conftest import TODAY, all_files, example_specs, nix_parse, render_example, write_tree
from tests.hostprobe import merged, one
from tests.test_verified_options import unverified_in

KEYS = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW alice@laptop",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9AY+GrFUm57eOxLOZrxFxOu0RcAvuaECgbMrxY9ytg bob@desk",
]
AGE = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
SYSTEMS = {
    "nixos-flake": ["x86_64-linux", "aarch64-linux"],
    "nixos-channels": ["x86_64-linux", "aarch64-linux"],
    "nixos-wsl": ["x86_64-linux", "aarch64-linux"],
    "darwin": ["aarch64-darwin", "x86_64-darwin"],
    "home-manager": ["x86_64-linux", "aarch64-linux"],
}
HM_MODES = {
    "nixos-flake": [None, "none", "nixos-module", "standalone"],
    "nixos-channels": [None, "none", "nixos-module"],
    "nixos-wsl": [None, "nixos-module", "standalone"],
    "darwin": [None, "darwin-module", "standalone"],
    "home-manager": [None, "standalone"],
}


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    lane = draw(st.sampled_from(sorted(SYSTEMS)))
    nixos = lane in ("nixos-flake", "nixos-channels", "nixos-wsl")
    answers: dict[str, Any] = {
        "hostname": draw(st.sampled_from(["atlas", "1host", "in", "web-01"])),
        "lane": lane,
        "system": draw(st.sampled_from(SYSTEMS[lane])),
        "nix": draw(st.sampled_from(["nix", "lix", "determinate"] if lane != "nixos-channels"
                                    else ["nix", "lix"])),
        "home_manager": {"mode": draw(st.sampled_from(HM_MODES[lane]))},
        "packages": {"system": ["git", "htop"], "unfree": draw(st.sampled_from([[], ["htop"]]))},
    }
    if lane != "home-manager" and draw(st.booleans()):
        answers["timezone"] = draw(st.sampled_from(["Europe/Berlin", "America/New_York"]))
    secrets = "none"
    if lane in ("nixos-flake", "nixos-wsl", "darwin"):
        secrets = draw(st.sampled_from(["none", "sops-nix", "agenix"]))
        if secrets != "none":
            answers["secrets"] = {"tool": secrets, "admin_keys": [AGE]}
        if secrets != "none" and lane == "darwin" and draw(st.booleans()):
            answers["secrets"]["age_key_file"] = "/Users/alice/Library/Application Support/age.txt"
    if nixos:
        # Left out, sshd follows the machine kind (on for servers, VMs and boards).
        openssh = draw(st.sampled_from([None, True, False]))
        if openssh is not None:
            answers["services"] = {"openssh": openssh}
    if lane in ("nixos-flake", "nixos-channels") or draw(st.integers(0, 9)) == 0:
        # Now and then on a lane without machine kinds, which must refuse them.
        answers.update(everyday_answers(draw))
    users = []
    for i, name in enumerate(draw(st.lists(st.sampled_from(["alice", "bob", "carol", "rec"]),
                                           min_size=1, max_size=3, unique=True))):
        user: dict[str, Any] = {"name": name, "admin": i == 0 or draw(st.booleans())}
        if lane not in ("darwin", "home-manager"):
            user["ssh_keys"] = draw(st.sampled_from([[], [KEYS[i % 2]]]))
        if nixos and secrets != "none" and draw(st.booleans()):
            user["password"] = "secret"
        users.append(user)
    answers["users"] = users
    if lane in ("nixos-flake", "nixos-channels"):
        boot: dict[str, Any] = {}
        arm = answers["system"] == "aarch64-linux"
        firmware = draw(st.sampled_from([None, "uefi"] if arm else [None, "uefi", "bios"]))
        if firmware:
            boot["firmware"] = firmware
        loaders = [None, "grub"] + (["extlinux"] if arm else []) + ([] if firmware == "bios" else ["systemd-boot"])
        loader = draw(st.sampled_from(loaders))
        if loader:
            boot["loader"] = loader
        answers["boot"] = boot
    if lane == "nixos-flake":
        layout = draw(st.sampled_from(["none", "ext4", "btrfs", "zfs"]))
        disk: dict[str, Any] = {"layout": layout}
        if layout != "none" or answers["boot"].get("firmware") == "bios" or draw(st.booleans()):
            disk["device"] = "/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S7KHNJ0X123456"
        if layout != "none":
            disk["encrypt"] = draw(st.booleans())
            disk["impermanence"] = layout in ("btrfs", "zfs") and draw(st.booleans())
            disk["swap_size"] = draw(st.sampled_from([None, "8G"]))
        if layout == "zfs":
            disk["snapshots"] = draw(st.booleans())
        answers["disk"] = disk
    return answers


def everyday_answers(draw: st.DrawFn) -> dict[str, Any]:
    """A machine kind and everyday answers, each left to the kind or given."""
    out: dict[str, Any] = {}
    choices: dict[str, list[Any]] = {
        "machine": [None, "laptop", "desktop", "server", "vm", "sbc"],
        "desktop": [None, "none", "gnome", "plasma", "hyprland", "sway", "cosmic"],
        "audio": [None, True, False], "bluetooth": [None, True, False],
        "printing": [None, True, False], "gaming": [None, False, True],
    }
    for name, values in choices.items():
        # Mostly left to the kind, so most drawn hosts are accepted and rendered.
        value = draw(st.sampled_from(values if name == "machine" else [None, None, *values]))
        if value is not None:
            out[name] = value
    return out


def _refusal_is_clean(err: InputError) -> None:
    assert err.problems
    for problem in err.problems:
        assert problem.field and problem.fix, problem


def check_guarantees(spec: HostSpec, root: Path, nix_env: dict[str, str]) -> None:
    """The first-boot guarantees, read from the rendered Nix."""
    host_dir = "" if spec.lane == "nixos-channels" else f"hosts/{spec.hostname}/"
    for rel in sorted(p.relative_to(root).as_posix() for p in root.rglob("*.nix")):
        if host_dir and rel.startswith("hosts/") and not rel.startswith(host_dir):
            continue  # another host of the repository, of its own lane
        proc = nix_parse(root / rel, nix_env)
        assert proc.returncode == 0, f"{rel} does not parse:\n{proc.stderr}"
        # Every option it sets is on the verified list, in every combination, not only the examples'.
        assert unverified_in(rel, (root / rel).read_text(), spec.lane) == []
    if spec.lane == "home-manager":
        home = merged(root, host_dir + "home-manager.nix", spec, nix_env)
        packages = one(home, "homePackages")
        assert packages is not None and len(packages) == len(spec.packages.system), \
            "packages.system is dropped on the home-manager lane"
        return
    host = merged(root, host_dir + "configuration.nix", spec, nix_env)
    flake = (root / "flake.nix").read_text() if (root / "flake.nix").exists() else ""
    for rel, data in host["files"].items():
        allowed = {"config", "lib", "pkgs", "modulesPath", "options"}
        if flake and "specialArgs = { inherit inputs; }" in flake:
            allowed.add("inputs")
        required = {name for name, has_default in data["formals"].items() if not has_default}
        assert required <= allowed, f"{rel} takes {required - allowed}, which nothing passes"
    if spec.lane == "darwin":
        zone = one(host, "timeZone")
        assert zone is None or zone in macos_timezones(), f"macOS does not list {zone}"
        assert one(host, "primaryUser") in {u.name for u in spec.users}
        _check_mac_secrets(spec, host)
        return
    # Evaluates: the platform is stated.
    assert one(host, "hostPlatform") == spec.system
    _check_boot(spec, root, host, host_dir)
    _check_admins(spec, root, host, host_dir)
    _check_secrets(spec, host)


def _check_boot(spec: HostSpec, root: Path, host: dict[str, Any], host_dir: str) -> None:
    if spec.lane == "nixos-wsl":
        assert one(host, "wsl") is True
        return
    firmware = spec.boot.firmware or "uefi"
    grub = one(host, "grub") or {}
    loaders = [one(host, "systemdBoot") is True, grub.get("enable") is True, one(host, "extlinux") is True]
    assert sum(loaders) == 1, f"exactly one boot loader must be on, got {loaders}"
    if one(host, "systemdBoot"):
        assert firmware == "uefi", "systemd-boot on a BIOS machine"
    if grub.get("enable"):
        if firmware == "bios":
            partitions = one(host, "disk") or {}
            assert grub.get("device", "nodev") != "nodev" or any(
                p.get("type") == "EF02" for p in partitions.values()), "GRUB on BIOS has no disk"
            assert not grub.get("efiSupport")
        else:
            assert grub.get("efiSupport") is True and grub.get("device") == "nodev"
    if one(host, "extlinux"):
        assert spec.system == "aarch64-linux" and grub.get("enable") is False
    if spec.system == "aarch64-linux":
        assert one(host, "efiVariables") is not True, "boards cannot be trusted to store EFI variables"


def _check_admins(spec: HostSpec, root: Path, host: dict[str, Any], host_dir: str) -> None:
    readme = (root / host_dir / "README.md").read_text() if (root / host_dir / "README.md").exists() else ""
    sshd = one(host, "sshd") is True
    mutable = one(host, "mutableUsers") is not False
    rules = one(host, "sudoRules") or []
    nopasswd = {u for r in rules for u in r.get("users", [])
                if any(isinstance(c, dict) and "NOPASSWD" in c.get("options", []) for c in r["commands"])}
    for admin in spec.admins:
        user = host["users"][admin.name]
        assert "wheel" in user["groups"], f"admin {admin.name} is not in wheel"
        if spec.lane == "nixos-wsl":
            assert one(host, "wheelNeedsPassword") is not True  # NixOS-WSL's default is false
            continue
        password = user["hashedPasswordFile"]
        command = (f"sudo passwd {admin.name}" if spec.lane == "nixos-channels"
                   else f"sudo nixos-enter --root /mnt -c 'passwd {admin.name}'")
        # The README's own steps, not its list of warnings, must carry the command.
        steps = readme.split("## Warnings", 1)[0] + readme.split("## First steps", 1)[-1]
        console = mutable and "\n   " + command in steps
        keys = bool(user["keys"]) and sshd
        assert password or keys or console, f"admin {admin.name} has no way in"
        if not (password or console):
            assert one(host, "wheelNeedsPassword") is False or admin.name in nopasswd, \
                f"keys-only admin {admin.name} has no password for sudo"


def _check_secrets(spec: HostSpec, host: dict[str, Any]) -> None:
    if spec.secrets.tool == "none":
        return
    identities = one(host, "sopsKeys" if spec.secrets.tool == "sops-nix" else "ageIdentities") or []
    host_keys = [k["path"] for k in one(host, "hostKeys") or []] or ["/etc/ssh/ssh_host_ed25519_key"]
    assert identities and set(identities) <= set(host_keys), \
        f"the secrets tool reads {identities}, but the host key is at {host_keys}"


def _check_mac_secrets(spec: HostSpec, host: dict[str, Any]) -> None:
    """A Mac decrypts with the key file it was given, or else its SSH host key, and nothing else."""
    if spec.secrets.tool == "none":
        return
    identity = spec.secrets.age_key_file or "/etc/ssh/ssh_host_ed25519_key"
    if spec.secrets.tool == "sops-nix":
        keys = one(host, "sopsKeys")
        key_file = one(host, "sopsKeyFile")
        assert (keys, key_file) == (([], identity) if spec.secrets.age_key_file else ([identity], None))
    else:
        assert one(host, "ageIdentities") == [identity]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=answer_sets())
def test_every_accepted_host_keeps_the_first_boot_guarantees(
        answers: dict[str, Any], nix_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    try:
        spec = build_spec(answers, on=TODAY)
    except InputError as err:
        _refusal_is_clean(err)
        event(f"refused: {err.problems[0].field}")
        return
    event(f"rendered: {spec.lane}")
    root = write_tree(all_files(render_new(spec, on=TODAY)), tmp_path_factory.mktemp("host"))
    check_guarantees(spec, root, nix_env)


@pytest.mark.parametrize("hostname", [s.hostname for s in example_specs("mixed")])
def test_every_host_of_a_mixed_repository_keeps_the_first_boot_guarantees(
        hostname: str, nix_env: dict[str, str], tmp_path: Path) -> None:
    # Each host's modules are evaluated with the inputs of the flake they share.
    spec = next(s for s in example_specs("mixed") if s.hostname == hostname)
    check_guarantees(spec, write_tree(all_files(render_example("mixed")), tmp_path), nix_env)


def test_the_probe_catches_a_keys_only_admin_without_sudo(
        nix_env: dict[str, str], tmp_path: Path) -> None:
    answers = {"hostname": "web", "services": {"openssh": True},
               "users": [{"name": "ops", "admin": True, "ssh_keys": [KEYS[0]]}]}
    spec = build_spec(answers, on=TODAY)
    files = all_files(render_new(spec, on=TODAY))
    config = "hosts/web/configuration.nix"
    files[config] = files[config].replace("security.sudo.wheelNeedsPassword = false;", "")
    with pytest.raises(AssertionError, match="no password for sudo"):
        check_guarantees(spec, write_tree(files, tmp_path), nix_env)


def test_the_probe_catches_a_missing_platform(nix_env: dict[str, str], tmp_path: Path) -> None:
    spec = build_spec({"hostname": "win", "lane": "nixos-wsl", "users": [{"name": "ivan", "admin": True}]},
                      on=TODAY)
    files = all_files(render_new(spec, on=TODAY))
    config = "hosts/win/configuration.nix"
    files[config] = files[config].replace('nixpkgs.hostPlatform = "x86_64-linux";', "")
    with pytest.raises(AssertionError):
        check_guarantees(spec, write_tree(files, tmp_path), nix_env)


@pytest.mark.parametrize("tool", ["sops-nix", "agenix"])
def test_the_probe_catches_a_mac_that_ignores_its_age_key_file(
        tool: str, nix_env: dict[str, str], tmp_path: Path) -> None:
    key_file = "/Users/ada/.config/age/keys.txt"
    spec = build_spec({"hostname": "mac", "lane": "darwin", "system": "aarch64-darwin",
                       "users": [{"name": "ada", "admin": True}],
                       "secrets": {"tool": tool, "admin_keys": [AGE], "age_key_file": key_file}},
                      on=TODAY)
    files = all_files(render_new(spec, on=TODAY))
    check_guarantees(spec, write_tree(files, tmp_path / "as-rendered"), nix_env)
    secrets = "hosts/mac/secrets.nix"
    assert key_file in files[secrets]
    files[secrets] = files[secrets].replace(key_file, "/etc/ssh/ssh_host_ed25519_key")
    with pytest.raises(AssertionError):
        check_guarantees(spec, write_tree(files, tmp_path / "edited"), nix_env)
