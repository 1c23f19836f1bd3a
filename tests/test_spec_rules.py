"""Combinations that cannot work are refused, each naming the field and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from scaffold.answers import build_spec
from scaffold.errors import InputError
from tests.conftest import TODAY

AGE = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
SSH = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW a@b"


def refused(**answers: Any) -> list[str]:
    base: dict[str, Any] = {"hostname": "h", "users": [{"name": "alice", "admin": True}]}
    base.update(answers)
    with pytest.raises(InputError) as err:
        build_spec(base, on=TODAY)
    return err.value.lines()


def test_darwin_module_on_nixos() -> None:
    assert refused(home_manager={"mode": "darwin-module"}) == [
        "home_manager.mode: darwin-module does not work on lane nixos-flake; "
        "use one of none, nixos-module, standalone"]


def test_darwin_platform_on_wsl() -> None:
    lines = refused(lane="nixos-wsl", system="x86_64-darwin")
    assert "system: x86_64-darwin needs lane darwin, not nixos-wsl" in lines[0]


def test_x86_64_darwin_after_26_05() -> None:
    lines = refused(lane="darwin", system="x86_64-darwin", release="unstable")
    assert any("no longer builds for x86_64-darwin" in line for line in lines)


def test_disko_and_boot_on_darwin() -> None:
    lines = refused(lane="darwin", system="aarch64-darwin", boot={"loader": "grub"},
                    disk={"layout": "ext4", "device": "/dev/disk/by-id/x"})
    assert any(line.startswith("boot.loader: lane darwin is not NixOS") for line in lines)
    assert any(line.startswith("disk.layout: lane darwin is not NixOS") for line in lines)


def test_password_secret_without_a_secrets_tool() -> None:
    lines = refused(users=[{"name": "alice", "admin": True, "password": "secret"}])
    assert lines == ["users.0.password: password: secret needs a secrets tool; "
                     "set secrets.tool to sops-nix or agenix, or use password: none"]


def test_sops_needs_age_recipients() -> None:
    lines = refused(secrets={"tool": "sops-nix", "admin_keys": [SSH]})
    assert lines[0].startswith("secrets.admin_keys.0:")
    assert "is not an age recipient" in lines[0]


def test_agenix_takes_ssh_keys() -> None:
    spec = build_spec({"hostname": "h", "users": [{"name": "a", "admin": True}],
                       "secrets": {"tool": "agenix", "admin_keys": [SSH, AGE]}}, on=TODAY)
    assert spec.secrets.admin_keys == [SSH, AGE]


def test_impermanence_needs_a_layout_that_can_roll_back() -> None:
    lines = refused(disk={"layout": "ext4", "device": "/dev/disk/by-id/x", "impermanence": True},
                    services={"openssh": True}, users=[{"name": "alice", "admin": True, "ssh_keys": [SSH]}])
    assert lines == ["disk.impermanence: layout ext4 cannot roll back / at boot; "
                     "use layout btrfs or zfs for impermanence"]


def test_zfs_with_the_latest_kernel() -> None:
    lines = refused(disk={"layout": "zfs", "device": "/dev/disk/by-id/x"},
                    hardware={"kernel": "latest"})
    assert lines[0].startswith("hardware.kernel: ZFS does not support the newest kernel")


def test_a_disk_layout_needs_a_device() -> None:
    assert refused(disk={"layout": "btrfs"})[0].startswith("disk.device: layout btrfs needs")


def test_nobody_is_admin() -> None:
    lines = refused(users=[{"name": "alice", "admin": False}])
    assert lines[0].startswith("users: no user is an admin")


def test_duplicate_users() -> None:
    lines = refused(users=[{"name": "a", "admin": True}, {"name": "a"}])
    assert lines == ["users.1.name: 'a' is listed twice; keep one entry per user"]


def test_determinate_on_channels() -> None:
    lines = refused(lane="nixos-channels", nix="determinate")
    assert lines[0].startswith("nix: Determinate Nix is installed through its flake module")


def test_unknown_release() -> None:
    lines = refused(release="24.05")
    assert lines[0].startswith("release: unknown release '24.05'; use one of 25.05")


@pytest.mark.parametrize("name", ["root", "nixbld1", "Alice", "1abc", "a" * 33, "systemd-foo"])
def test_bad_user_names(name: str) -> None:
    assert refused(users=[{"name": name, "admin": True}])[0].startswith("users.0.name:")


def test_corrupted_ssh_key_is_refused() -> None:
    broken = SSH.replace("AAAAIIz", "AAAAIIq")
    lines = refused(users=[{"name": "a", "admin": True, "ssh_keys": [SSH[:40]]}])
    assert "users.0.ssh_keys" in lines[0]
    mangled = broken.replace("ed25519 AAAAC3", "ed25519 BAAAC3")
    lines = refused(users=[{"name": "a", "admin": True, "ssh_keys": [mangled]}])
    assert "users.0.ssh_keys" in lines[0]


def test_a_mistyped_hardware_profile_gets_a_suggestion() -> None:
    lines = refused(hardware={"profile": "framwork-13-7040-amd"})
    assert lines[0].startswith("hardware.profile: 'framwork-13-7040-amd' is not a nixos-hardware "
                               "profile (did you mean 'framework-13-7040-amd'?)")


def test_nvidia_needs_the_open_module_choice() -> None:
    lines = refused(hardware={"gpu": ["nvidia"]})
    assert lines == ["hardware.nvidia_open: NVIDIA drivers 560 and newer refuse to build until you "
                     "choose the kernel module; set true for Turing (GTX 16xx, RTX) and newer, "
                     "false for older cards"]


def test_an_lts_kernel_the_release_does_not_have() -> None:
    lines = refused(hardware={"kernel": "5.4"})
    assert lines[0].startswith("hardware.kernel: NixOS 26.05 has no LTS kernel 5.4; use default (6.18)")


def test_channels_lane_refuses_flake_only_answers() -> None:
    lines = refused(lane="nixos-channels", hardware={"profile": "framework-13-7040-amd"},
                    disk={"layout": "ext4", "device": "/dev/disk/by-id/x"},
                    secrets={"tool": "sops-nix", "admin_keys": [AGE]})
    assert any(line.startswith("hardware.profile: nixos-hardware profiles are imported") for line in lines)
    assert any(line.startswith("disk.layout: disko layouts are generated for flake lanes only") for line in lines)
    assert any(line.startswith("secrets.tool: secrets are generated for flake lanes, not nixos-channels")
               for line in lines)


MAC: dict[str, Any] = {"lane": "darwin", "system": "aarch64-darwin"}


def test_a_mac_takes_secrets_for_files_but_not_a_password_secret() -> None:
    spec = build_spec({"hostname": "m", **MAC, "users": [{"name": "alice"}],
                       "secrets": {"tool": "sops-nix", "admin_keys": [AGE]}}, on=TODAY)
    assert spec.secrets.tool == "sops-nix"
    lines = refused(**MAC, users=[{"name": "alice", "password": "secret"}],
                    secrets={"tool": "agenix", "admin_keys": [SSH]})
    assert lines == ["users.0.password: lane darwin does not manage passwords; use password: none"]


def test_an_age_key_file_is_for_macs_with_a_secrets_tool() -> None:
    key = "/Users/alice/.config/age/keys.txt"
    assert refused(secrets={"tool": "sops-nix", "admin_keys": [AGE], "age_key_file": key}) == [
        "secrets.age_key_file: lane nixos-flake decrypts with the host's SSH key, which nixbtw "
        "bootstrap installs; remove secrets.age_key_file"]
    assert refused(**MAC, secrets={"age_key_file": key}) == [
        "secrets.age_key_file: a key file is set but secrets.tool is none; set secrets.tool, "
        "or remove secrets.age_key_file"]


@pytest.mark.parametrize("path", ["keys.txt", "~/keys.txt", "/Users/alice/age/", "/a/b\nc",
                                  "/nix/store/abc-keys.txt"])
def test_an_age_key_file_is_an_absolute_private_file_path(path: str) -> None:
    lines = refused(**MAC, secrets={"tool": "sops-nix", "admin_keys": [AGE],
                                    "age_key_file": path})
    assert len(lines) == 1 and lines[0].startswith("secrets.age_key_file: ")


def test_wsl_refuses_boot_and_disks() -> None:
    lines = refused(lane="nixos-wsl", boot={"loader": "grub"})
    assert lines == ["boot.loader: NixOS-WSL boots from Windows and has no boot.loader; "
                     "remove it, or use lane nixos-flake"]


def test_an_unstable_device_name_is_accepted_with_a_warning() -> None:
    from scaffold.plan import make_plan

    spec = build_spec({"hostname": "h", "users": [{"name": "a", "admin": True}],
                       "disk": {"layout": "ext4", "device": "/dev/sda"}}, on=TODAY)
    assert any("/dev/sda is not a stable name" in w for w in make_plan(spec, on=TODAY).warnings)


def test_nvidia_with_the_latest_kernel_warns() -> None:
    from scaffold.plan import make_plan

    spec = build_spec({"hostname": "h", "users": [{"name": "a", "admin": True}],
                       "hardware": {"gpu": ["nvidia"], "nvidia_open": True, "kernel": "latest"}}, on=TODAY)
    assert any("kernel: latest with the NVIDIA driver" in w for w in make_plan(spec, on=TODAY).warnings)


@pytest.mark.parametrize("device", ["/dev/disk/by-id/nvme-X-part1", "/dev/sda1", "/dev/nvme0n1p2",
                                    "/dev/disk/by-id/"])
def test_partitions_and_directories_are_not_disks(device: str) -> None:
    lines = refused(disk={"layout": "ext4", "device": device})
    assert lines[0].startswith("disk.device:")


@pytest.mark.parametrize(("device", "says"), [
    ("/dev/disk/by-id//dev/sda", "type either /dev/sda alone or a name from /dev/disk/by-id/"),
    ("/dev/disk/by-id/dev/nvme0n1", "type either /dev/nvme0n1 alone"),
    ("/dev/disk/by-path//dev/vda", "type either /dev/vda alone"),
    ("/dev//sda", "has an empty path component"),
    ("/dev/disk/by-id/ata-X/", "has an empty path component"),
    ("/dev/./sda", "has a '.' or '..' component"),
    ("/dev/disk/../sda", "has a '.' or '..' component"),
])
def test_a_device_path_with_a_path_inside_it_is_refused_with_what_to_type(device: str, says: str) -> None:
    lines = refused(disk={"layout": "ext4", "device": device})
    assert len(lines) == 1 and lines[0].startswith("disk.device:") and says in lines[0], lines


def test_etc_time_zones_are_iana_names() -> None:
    spec = build_spec({"hostname": "h", "users": [{"name": "a", "admin": True}], "timezone": "Etc/UTC"},
                      on=TODAY)
    assert spec.timezone == "Etc/UTC"


def test_cpu_on_darwin_is_refused_not_dropped() -> None:
    lines = refused(lane="darwin", system="aarch64-darwin", hardware={"cpu": "amd"})
    assert lines[0].startswith("hardware.cpu: lane darwin is not NixOS")


def test_systemd_boot_on_a_bios_machine_is_refused() -> None:
    lines = refused(boot={"firmware": "bios", "loader": "systemd-boot"},
                    disk={"layout": "ext4", "device": "/dev/disk/by-id/ata-X"})
    assert lines == ["boot.loader: systemd-boot starts only from UEFI firmware; use loader: grub on a BIOS machine"]


def test_grub_on_bios_without_disko_needs_the_boot_disk() -> None:
    assert refused(boot={"firmware": "bios"}) == [
        "disk.device: GRUB on BIOS installs into the boot sector of a disk, and none is named; "
        "set disk.device to /dev/disk/by-id/... of the boot disk"]


def test_grub_on_bios_without_disko_takes_the_boot_disk() -> None:
    spec = build_spec({"hostname": "h", "users": [{"name": "alice", "admin": True}],
                       "boot": {"firmware": "bios"}, "disk": {"device": "/dev/disk/by-id/ata-X"}}, on=TODAY)
    assert spec.disk.device == "/dev/disk/by-id/ata-X"


def test_extlinux_is_for_boards_only() -> None:
    assert refused(boot={"loader": "extlinux"})[0].startswith(
        "boot.loader: extlinux is for U-Boot boards, and nothing on a PC reads it")
    assert refused(system="aarch64-linux", boot={"firmware": "bios"})[0].startswith(
        "boot.firmware: aarch64 machines have no BIOS")


def test_darwin_refuses_a_time_zone_macos_does_not_list() -> None:
    lines = refused(lane="darwin", system="aarch64-darwin", timezone="UTC")
    assert lines[0].startswith("timezone: macOS does not know 'UTC'")
    build_spec({"hostname": "m", "lane": "darwin", "system": "aarch64-darwin",
                "users": [{"name": "alice", "admin": True}], "timezone": "Europe/London"}, on=TODAY)


def test_an_admin_with_no_way_in_is_refused() -> None:
    # Impermanence forgets a password set with passwd, and there is no key.
    lines = refused(disk={"layout": "btrfs", "device": "/dev/disk/by-id/ata-X", "impermanence": True})
    assert lines == ["secrets.tool: admin alice would have no way to log in (impermanence wipes a password "
                     "set with passwd); add an SSH key and set services.openssh: true, or set secrets.tool "
                     "and give them password: secret"]


def test_an_admin_with_no_way_in_is_refused_at_the_last_question_that_can_fix_it() -> None:
    wiped = {"layout": "btrfs", "device": "/dev/disk/by-id/ata-X", "impermanence": True}
    with_sshd = refused(disk=wiped, services={"openssh": True})
    assert [line.split(":")[0] for line in with_sshd] == ["users.0.ssh_keys"]   # a key would do
    assert with_sshd[0].endswith("add an SSH key (with services.openssh: true) or password: secret")
    with_sops = refused(disk=wiped, services={"openssh": True}, secrets={"tool": "sops-nix", "admin_keys": [AGE]})
    assert [line.split(":")[0] for line in with_sops] == ["users.0.password"]   # asked after the keys


def test_keys_without_sshd_are_no_way_in() -> None:
    lines = refused(disk={"layout": "btrfs", "device": "/dev/disk/by-id/ata-X", "impermanence": True},
                    users=[{"name": "alice", "admin": True, "ssh_keys": [SSH]}])
    assert lines[0].startswith("services.openssh: admin alice would have no way to log in")
    assert lines[0].endswith("set services.openssh: true, or give them password: secret")
