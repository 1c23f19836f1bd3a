"""The kind of machine sets explicit defaults, and refuses what it would not use."""

from __future__ import annotations

from typing import Any

import pytest

from scaffold.answers import build_spec
from scaffold.errors import InputError
from scaffold.machine import KINDS, everyday
from scaffold.plan import make_plan
from scaffold.render import render_new
from tests.conftest import TODAY, all_files

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW a@b"


def answers(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"hostname": "h", "users": [{"name": "alice", "ssh_keys": [KEY]}]}
    base.update(extra)
    return base


def refused(**extra: Any) -> list[str]:
    with pytest.raises(InputError) as err:
        build_spec(answers(**extra), on=TODAY)
    return err.value.lines()


def config(**extra: Any) -> str:
    spec = build_spec(answers(**extra), on=TODAY)
    files = all_files(render_new(spec, on=TODAY))
    return next(text for rel, text in files.items() if rel.endswith("configuration.nix"))


# ---- defaults ------------------------------------------------------------------

def test_a_laptop_gets_a_desktop_sound_bluetooth_power_and_firmware_updates() -> None:
    text = config(machine="laptop")
    for line in ("services.desktopManager.gnome.enable = true;",
                 "services.displayManager.gdm.enable = true;",
                 "services.pipewire = {", "security.rtkit.enable = true;",
                 "hardware.bluetooth.enable = true;", "networking.networkmanager.enable = true;",
                 "services.power-profiles-daemon.enable = true;", "services.fwupd.enable = true;",
                 "services.fstrim.enable = true;"):
        assert line in text, line
    assert "services.openssh = {" not in text
    assert "hardware.pulseaudio" not in text and "services.pulseaudio" not in text


def test_a_server_runs_sshd_with_keys_only_and_no_desktop() -> None:
    spec = build_spec(answers(machine="server"), on=TODAY)
    assert spec.openssh and not spec.networkmanager
    plan = make_plan(spec, on=TODAY)
    assert plan.access is not None and plan.access.keys_only == ("alice",)
    text = config(machine="server")
    assert "PasswordAuthentication = false;" in text
    assert "security.sudo.wheelNeedsPassword = false;" in text
    assert "displayManager" not in text and "pipewire" not in text


def test_a_vm_gets_the_qemu_guest_agent_and_says_how_other_hypervisors_differ() -> None:
    text = config(machine="vm")
    assert "services.qemuGuest.enable = true;" in text
    assert "virtualisation.vmware.guest.enable" in text   # named in a comment
    assert "services.fwupd" not in text


def test_an_aarch64_board_boots_extlinux_unless_told_otherwise() -> None:
    text = config(machine="sbc", system="aarch64-linux")
    assert "boot.loader.generic-extlinux-compatible.enable = true;" in text
    assert build_spec(answers(machine="sbc", system="x86_64-linux"), on=TODAY).loader == "systemd-boot"
    chosen = build_spec(answers(machine="sbc", system="aarch64-linux", boot={"loader": "grub"}),
                        on=TODAY)
    assert chosen.loader == "grub"


def test_an_answer_overrides_the_kind() -> None:
    spec = build_spec(answers(machine="laptop", desktop="plasma", bluetooth=False,
                              services={"networkmanager": False}), on=TODAY)
    plan = everyday(spec)
    assert plan is not None
    assert (plan.desktop, plan.bluetooth, spec.networkmanager) == ("plasma", False, False)


def test_a_gnome_laptop_without_bluetooth_says_so_since_gnome_would_turn_it_on() -> None:
    assert "hardware.bluetooth.enable = false;" in config(machine="laptop", bluetooth=False)


@pytest.mark.parametrize("desktop", ["hyprland", "sway"])
def test_a_compositor_gets_a_login_screen_that_starts_its_session(desktop: str) -> None:
    text = config(machine="desktop", desktop=desktop)
    assert f"programs.{desktop}.enable = true;" in text
    assert "services.displayManager.sddm.enable = true;" in text
    assert "services.displayManager.sddm.wayland.enable = true;" in text
    assert "fonts.packages" in text


def test_bluetooth_under_a_compositor_gets_blueman_and_under_gnome_does_not() -> None:
    assert "services.blueman.enable = true;" in config(machine="laptop", desktop="sway")
    assert "blueman" not in config(machine="laptop")


def test_printing_brings_avahi_only_when_asked() -> None:
    assert "avahi" not in config(machine="laptop")
    text = config(machine="laptop", printing=True)
    assert "services.printing.enable = true;" in text and "nssmdns4 = true;" in text


def test_gaming_installs_steam_and_admits_its_unfree_names() -> None:
    spec = build_spec(answers(machine="desktop", gaming=True), on=TODAY)
    plan = make_plan(spec, on=TODAY)
    assert [e.name for e in plan.unfree] == ["steam", "steam-unwrapped"]
    text = config(machine="desktop", gaming=True)
    assert "programs.steam.enable = true;" in text
    assert "hardware.graphics.enable32Bit = true;" in text


def test_steam_admitted_by_hand_and_installed_by_gaming_does_not_warn() -> None:
    spec = build_spec(answers(machine="desktop", gaming=True, packages={"unfree": ["steam"]}),
                      on=TODAY)
    assert not any("admits steam" in w for w in make_plan(spec, on=TODAY).warnings)


def test_every_kind_names_each_default() -> None:
    # Explicit rows: a kind cannot silently inherit a default from elsewhere.
    for name, kind in KINDS.items():
        assert kind.desktop in ("none", "gnome"), name
        assert kind.unused <= {"desktop", "audio", "bluetooth", "printing", "gaming"}, name


# ---- upkeep ----------------------------------------------------------------------

DISK = "/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S7KHNJ0X123456"


def test_zfs_scrubs_and_trims_and_snapshots_home_when_asked() -> None:
    text = config(machine="server", disk={"layout": "zfs", "device": DISK, "snapshots": True})
    assert "services.zfs.autoScrub.enable = true;" in text
    assert "services.zfs.trim.enable = true;" in text
    assert 'datasets."zroot/home"' in text
    assert "services.fstrim" not in text


def test_btrfs_scrubs_its_filesystem() -> None:
    text = config(disk={"layout": "btrfs", "device": DISK})
    assert 'fileSystems = [ "/" ];' in text


def test_zram_only_without_a_swap_answer() -> None:
    assert "zramSwap.enable = true;" in config()
    assert "zramSwap" not in config(disk={"layout": "ext4", "device": DISK, "swap_size": "8G"})


def test_admins_are_trusted_nix_users() -> None:
    assert 'nix.settings.trusted-users = [\n    "root"\n    "alice"\n  ];' in config()


# ---- refusals: an answer the kind does not use ------------------------------------

@pytest.mark.parametrize(("kind", "field", "value"), [
    ("server", "desktop", "gnome"), ("server", "audio", True), ("server", "bluetooth", True),
    ("server", "gaming", True), ("vm", "bluetooth", True), ("vm", "gaming", True),
    ("sbc", "gaming", True),
])
def test_an_answer_the_kind_does_not_use_is_refused(kind: str, field: str, value: Any) -> None:
    lines = refused(machine=kind, **{field: value})
    assert any(line.startswith(f"{field}: machine {kind} does not use it") for line in lines), lines


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_off_value_of_an_unused_answer_is_accepted(kind: str) -> None:
    off = {name: ("none" if name == "desktop" else False) for name in KINDS[kind].unused}
    build_spec(answers(machine=kind, **off), on=TODAY)


def test_machine_answers_on_a_lane_that_installs_no_machine_are_refused() -> None:
    lines = refused(lane="nixos-wsl", machine="laptop", audio=True)
    assert "machine: lane nixos-wsl does not install a whole machine, so nixbtw would not use " \
           "it; remove it, or use lane nixos-flake or nixos-channels" in lines
    assert any(line.startswith("audio: lane nixos-wsl") for line in lines)


def test_gaming_needs_a_desktop_and_an_x86_64_pc() -> None:
    assert any(line.startswith("gaming: Steam needs a desktop") for line in refused(gaming=True))
    lines = refused(machine="laptop", gaming=True, system="aarch64-linux")
    assert any("x86_64-linux only" in line for line in lines)


def test_snapshots_need_zfs() -> None:
    lines = refused(disk={"layout": "ext4", "device": DISK, "snapshots": True})
    assert lines == ["disk.snapshots: automatic snapshots are set up for ZFS, not layout ext4; "
                     "use disk.layout: zfs, or remove disk.snapshots"]


# ---- unfree names, said plainly -----------------------------------------------------

def test_the_readme_and_the_summary_say_which_unfree_names_are_installed() -> None:
    spec = build_spec(answers(machine="desktop", gaming=True,
                              packages={"system": ["git", "spotify"], "unfree": ["spotify", "slack"]}),
                      on=TODAY)
    rendered = render_new(spec, on=TODAY)
    assert rendered.plan.unfree_lines() == [
        "unfree, installed: spotify, steam",
        "unfree, admitted only to complete another package: steam-unwrapped (for steam)",
        "unfree, admitted but installed nowhere: slack",
    ]
    readme = all_files(rendered)["hosts/h/README.md"]
    assert "- Installed, unfree: `spotify`, `steam`." in readme
    assert "`steam-unwrapped` (for `steam`)" in readme
    assert "installed nowhere (add it to a package list, or remove it): `slack`" in readme
    assert any("admits slack but no package list installs it" in w for w in rendered.plan.warnings)


# ---- macOS -------------------------------------------------------------------------

MAC: dict[str, Any] = {"hostname": "mac", "lane": "darwin", "system": "aarch64-darwin"}


def test_a_fish_user_on_a_mac_gets_fish_enabled_listed_and_a_chsh_line() -> None:
    spec = build_spec({**MAC, "users": [{"name": "frank", "shell": "fish"}]}, on=TODAY)
    text = all_files(render_new(spec, on=TODAY))["hosts/mac/configuration.nix"]
    assert "programs.fish.enable = true;" in text
    assert "environment.shells = [ pkgs.fish ];" in text
    assert "chsh -s /run/current-system/sw/bin/fish" in text
    assert "knownUsers = " not in text   # said why in a comment, never set


def test_mac_app_store_apps_render_by_id_beside_the_cleanup_mode() -> None:
    spec = build_spec({**MAC, "users": [{"name": "frank"}], "darwin": {"homebrew": {
        "enable": True, "mas_apps": {"Xcode": 497799835}, "cleanup": "zap"}}}, on=TODAY)
    text = all_files(render_new(spec, on=TODAY))["hosts/mac/configuration.nix"]
    assert "Xcode = 497799835;" in text and 'onActivation.cleanup = "zap";' in text


@pytest.mark.parametrize("apps", [{"Xcode": 0}, {"": 5}, {"a\nb": 5}])
def test_a_bad_app_store_entry_is_refused(apps: dict[str, int]) -> None:
    with pytest.raises(InputError) as err:
        build_spec({**MAC, "users": [{"name": "frank"}],
                    "darwin": {"homebrew": {"enable": True, "mas_apps": apps}}}, on=TODAY)
    assert err.value.lines()[0].startswith("darwin.homebrew.mas_apps")
