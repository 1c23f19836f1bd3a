"""The kind of machine: the one place its defaults are decided, and what it refuses.

`machine` (laptop, desktop, server, vm, sbc) stands for a set of answers a
user would otherwise give one by one. Each kind's row in KINDS names every
default it sets and every answer it has no use for; the spec's views read the
row, the interview asks only what still applies, and `machine_problems()`
refuses an answer the kind would not use instead of dropping it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scaffold.errors import Problem

if TYPE_CHECKING:
    from scaffold.spec import HostSpec

__all__ = ["KINDS", "Everyday", "Kind", "everyday", "kind_of", "machine_problems"]

# The lanes that install a whole machine; WSL, macOS and home-manager leave the
# hardware and the desktop to another system.
MACHINE_LANES = ("nixos-flake", "nixos-channels")
EVERYDAY = ("desktop", "audio", "bluetooth", "printing", "gaming")


@dataclass(frozen=True, slots=True)
class Kind:
    """A machine kind's defaults, and the answers it has no use for."""

    desktop: str
    audio: bool
    bluetooth: bool
    printing: bool
    gaming: bool
    openssh: bool
    networkmanager: bool
    # power-profiles-daemon and upower: battery state and power profiles.
    power: bool
    # Firmware updates from LVFS reach laptops and desktops; servers and boards
    # are mostly not on it, and a VM has no firmware of its own.
    fwupd: bool
    # A periodic TRIM of SSDs (fstrim skips disks that do not support it).
    trim: bool
    # The hypervisor's guest agent (QEMU/KVM, the common case for NixOS guests).
    guest_agent: bool
    # The loader boards boot when nothing is answered (aarch64 only).
    arm_loader: str | None
    # Answers this kind has no use for: anything but their "off" value is refused.
    unused: frozenset[str]
    why_unused: str


KINDS: dict[str, Kind] = {
    "laptop": Kind(desktop="gnome", audio=True, bluetooth=True, printing=False, gaming=False,
                   openssh=False, networkmanager=True, power=True, fwupd=True, trim=True,
                   guest_agent=False, arm_loader=None, unused=frozenset(), why_unused=""),
    "desktop": Kind(desktop="gnome", audio=True, bluetooth=False, printing=False, gaming=False,
                    openssh=False, networkmanager=True, power=False, fwupd=True, trim=True,
                    guest_agent=False, arm_loader=None, unused=frozenset(), why_unused=""),
    "server": Kind(desktop="none", audio=False, bluetooth=False, printing=False, gaming=False,
                   openssh=True, networkmanager=False, power=False, fwupd=False, trim=True,
                   guest_agent=False, arm_loader=None,
                   unused=frozenset({"desktop", "audio", "bluetooth", "gaming"}),
                   why_unused="a server runs headless"),
    "vm": Kind(desktop="none", audio=False, bluetooth=False, printing=False, gaming=False,
               openssh=True, networkmanager=False, power=False, fwupd=False, trim=False,
               guest_agent=True, arm_loader=None, unused=frozenset({"bluetooth", "gaming"}),
               why_unused="a virtual machine has no Bluetooth radio and no GPU of its own"),
    "sbc": Kind(desktop="none", audio=False, bluetooth=False, printing=False, gaming=False,
                openssh=True, networkmanager=False, power=False, fwupd=False, trim=False,
                guest_agent=False, arm_loader="extlinux", unused=frozenset({"gaming"}),
                why_unused="Steam runs on x86_64 PCs only"),
}
# No kind answered: a bare host, as nixbtw generated before kinds existed.
BARE = Kind(desktop="none", audio=False, bluetooth=False, printing=False, gaming=False,
            openssh=False, networkmanager=True, power=False, fwupd=False, trim=False,
            guest_agent=False, arm_loader=None, unused=frozenset(), why_unused="")

# Desktops that bring their own Bluetooth applet; the compositors do not.
DESKTOPS_WITH_BLUETOOTH_UI = frozenset({"gnome", "plasma", "cosmic"})
# Desktop modules that turn Bluetooth on by themselves (mkDefault), so an
# answer of false must be written down to hold.
DESKTOPS_ENABLING_BLUETOOTH = frozenset({"gnome", "cosmic"})
DISPLAY_MANAGERS = {"gnome": "gdm", "plasma": "sddm", "cosmic": "cosmic-greeter",
                    # SDDM lists the session files the compositor modules register, so
                    # the login screen starts them the way their packages say.
                    "hyprland": "sddm", "sway": "sddm"}
STEAM_SYSTEMS = ("x86_64-linux",)


def kind_of(spec: HostSpec) -> Kind:
    if spec.machine is None or spec.lane not in MACHINE_LANES:
        return BARE
    return KINDS[spec.machine]


@dataclass(frozen=True, slots=True)
class Everyday:
    """What a NixOS host that boots itself gets from its kind and its answers."""

    machine: str | None
    desktop: str
    display_manager: str | None
    audio: bool
    bluetooth: bool
    # Written as `false` because the desktop would otherwise turn it on.
    bluetooth_off_explicitly: bool
    blueman: bool
    printing: bool
    gaming: bool
    power: bool
    fwupd: bool
    fstrim: bool
    zram: bool
    guest_agent: bool
    zfs_upkeep: bool
    zfs_snapshots: bool
    btrfs_scrub: tuple[str, ...]
    trusted_users: tuple[str, ...]

    @property
    def wayland_compositor(self) -> bool:
        return self.desktop in ("hyprland", "sway")

    @property
    def graphical(self) -> bool:
        return self.desktop != "none"


def _answer(spec: HostSpec, name: str, kind: Kind) -> object:
    value = getattr(spec, name)
    return getattr(kind, name) if value is None else value


def everyday(spec: HostSpec) -> Everyday | None:
    """The everyday plan of a NixOS host that boots itself (not WSL, not macOS)."""
    if spec.lane not in MACHINE_LANES:
        return None
    kind = kind_of(spec)
    desktop = str(_answer(spec, "desktop", kind))
    bluetooth = bool(_answer(spec, "bluetooth", kind))
    layout = spec.disk.layout
    return Everyday(
        machine=spec.machine,
        desktop=desktop,
        display_manager=DISPLAY_MANAGERS.get(desktop),
        audio=bool(_answer(spec, "audio", kind)),
        bluetooth=bluetooth,
        bluetooth_off_explicitly=not bluetooth and desktop in DESKTOPS_ENABLING_BLUETOOTH,
        blueman=bluetooth and desktop not in DESKTOPS_WITH_BLUETOOTH_UI and desktop != "none",
        printing=bool(_answer(spec, "printing", kind)),
        gaming=bool(_answer(spec, "gaming", kind)),
        power=kind.power,
        fwupd=kind.fwupd,
        # ZFS trims itself (services.zfs.trim); fstrim is for ext4 and btrfs.
        fstrim=layout != "zfs" and (kind.trim or layout == "ext4"),
        zram=spec.disk.swap_size is None,
        guest_agent=kind.guest_agent,
        zfs_upkeep=layout == "zfs",
        zfs_snapshots=layout == "zfs" and spec.disk.snapshots,
        # One mount point per btrfs filesystem: a scrub checks the whole device.
        btrfs_scrub=("/",) if layout == "btrfs" else (),
        trusted_users=("root", *(u.name for u in spec.admins)),
    )


def machine_problems(spec: HostSpec) -> list[Problem]:
    """Answers the kind (or the lane) has no use for, refused with the fix."""
    out: list[Problem] = []
    if spec.disk.snapshots and spec.disk.layout != "zfs":
        out.append(Problem("disk.snapshots", "automatic snapshots are set up for ZFS, "
                           f"not layout {spec.disk.layout}",
                           "use disk.layout: zfs, or remove disk.snapshots"))
    asked = {name: getattr(spec, name) for name in ("machine", *EVERYDAY)}
    if spec.lane not in MACHINE_LANES:
        for name, value in asked.items():
            if value is not None:
                out.append(Problem(name, f"lane {spec.lane} does not install a whole machine, "
                                   "so nixbtw would not use it",
                                   "remove it, or use lane nixos-flake or nixos-channels"))
        return out
    kind = kind_of(spec)
    for name in sorted(kind.unused):
        value = asked[name]
        if value not in (None, False, "none"):
            out.append(Problem(name, f"machine {spec.machine} does not use it ({kind.why_unused})",
                               f"remove {name}, or pick the machine kind that has it "
                               "(laptop or desktop)"))
    plan = everyday(spec)
    assert plan is not None
    if spec.gaming and "gaming" not in kind.unused:
        if plan.desktop == "none":
            out.append(Problem("gaming", "Steam needs a desktop to run in",
                               "choose a desktop (e.g. desktop: gnome), or remove gaming"))
        if spec.system not in STEAM_SYSTEMS:
            out.append(Problem("gaming", f"Steam is built for x86_64-linux only, not {spec.system}",
                               "remove gaming on this machine"))
    return out
