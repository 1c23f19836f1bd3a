"""How a NixOS host boots: the firmware, the loader, and what installing it may touch.

The boot plan is the one place that decides these; the templates only render
it, and `problems()` refuses combinations that would leave a machine that does
not boot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scaffold.errors import Problem

if TYPE_CHECKING:
    from scaffold.spec import HostSpec

__all__ = ["BootPlan", "boot_plan", "boot_problems"]


@dataclass(frozen=True, slots=True)
class BootPlan:
    firmware: str              # uefi | bios
    loader: str                # systemd-boot | grub | extlinux
    # Writing EFI variables registers the loader in the firmware's boot menu.
    # Boards whose firmware cannot store them boot the removable-media path.
    can_touch_efi_variables: bool
    # GRUB on BIOS writes its first stage into a disk's boot sector; disko fills
    # boot.loader.grub.devices itself from its BIOS boot partition.
    grub_device: str | None
    grub_removable: bool
    disko_bios_partition: bool
    note: str | None

    @property
    def efi(self) -> bool:
        return self.firmware == "uefi" and self.loader != "extlinux"


def _firmware(spec: HostSpec) -> str:
    return spec.boot.firmware or "uefi"


def _loader(spec: HostSpec) -> str:
    from scaffold.machine import kind_of

    if spec.boot.loader is not None:
        return spec.boot.loader
    board_loader = kind_of(spec).arm_loader
    if board_loader and spec.system == "aarch64-linux":
        return board_loader
    return "grub" if _firmware(spec) == "bios" else "systemd-boot"


def boot_plan(spec: HostSpec) -> BootPlan | None:
    """The boot plan of a NixOS host that boots itself (not WSL, not macOS)."""
    if spec.lane not in ("nixos-flake", "nixos-channels"):
        return None
    firmware, loader = _firmware(spec), _loader(spec)
    arm = spec.system == "aarch64-linux"
    note = None
    if arm and loader != "extlinux":
        note = ("aarch64: the loader is installed at the removable-media path and EFI variables are "
                "not written, since many boards' firmware cannot store them. A board that boots "
                "through U-Boot without UEFI needs boot.loader: extlinux.")
    elif loader == "extlinux":
        note = ("extlinux: U-Boot (or the board's firmware) reads /boot/extlinux/extlinux.conf; "
                "the board must boot from the disk that holds /boot.")
    disko = spec.disk.layout != "none"
    bios_grub = firmware == "bios" and loader == "grub"
    return BootPlan(
        firmware=firmware,
        loader=loader,
        can_touch_efi_variables=firmware == "uefi" and loader != "extlinux" and not arm,
        grub_device=None if loader != "grub" else (
            "nodev" if firmware == "uefi" else (None if disko else spec.disk.device)),
        grub_removable=loader == "grub" and firmware == "uefi" and arm,
        disko_bios_partition=disko and bios_grub,
        note=note,
    )


def boot_problems(spec: HostSpec) -> list[Problem]:
    """Firmware and loader answers that would leave a machine that does not boot."""
    out: list[Problem] = []
    if spec.lane not in ("nixos-flake", "nixos-channels"):
        if spec.boot.firmware is not None:
            out.append(Problem("boot.firmware", f"lane {spec.lane} does not install a boot loader",
                               "remove it"))
        return out
    firmware, loader = _firmware(spec), _loader(spec)
    if firmware == "bios" and spec.system == "aarch64-linux":
        out.append(Problem("boot.firmware", "aarch64 machines have no BIOS",
                           "use firmware: uefi, or loader: extlinux for U-Boot boards"))
    elif firmware == "bios" and loader == "systemd-boot":
        out.append(Problem("boot.loader", "systemd-boot starts only from UEFI firmware",
                           "use loader: grub on a BIOS machine"))
    if loader == "extlinux" and spec.system != "aarch64-linux":
        out.append(Problem("boot.loader", "extlinux is for U-Boot boards, and nothing on a PC reads it",
                           "use systemd-boot (UEFI) or grub (BIOS)"))
    if firmware == "bios" and loader == "grub" and spec.disk.layout == "none" and not spec.disk.device:
        out.append(Problem("disk.device", "GRUB on BIOS installs into the boot sector of a disk, "
                           "and none is named", "set disk.device to /dev/disk/by-id/... of the boot disk"))
    return out
