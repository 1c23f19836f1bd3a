"""nixos-facter reports: what the installer saw of the machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold import bounds
from scaffold.errors import InputError
from scaffold.spec import HostSpec

__all__ = ["FacterDisk", "FacterFacts", "facter_warnings", "read_facter"]


@dataclass(frozen=True, slots=True)
class FacterDisk:
    names: tuple[str, ...]  # every /dev path the report lists for the disk
    model: str

    @property
    def by_id(self) -> str:
        ids = [n for n in self.names if n.startswith("/dev/disk/by-id/")]
        readable = [n for n in ids if not n.startswith(("/dev/disk/by-id/wwn-", "/dev/disk/by-id/nvme-eui."))]
        return (readable or ids or list(self.names) or ["?"])[0]


@dataclass(frozen=True, slots=True)
class FacterFacts:
    system: str | None
    cpu: str  # intel | amd | other
    gpus: tuple[str, ...]
    disks: tuple[FacterDisk, ...]
    firmware: str | None = None  # uefi | bios; None in reports older than the uefi field


_CPU_VENDORS = {"GenuineIntel": "intel", "AuthenticAMD": "amd"}
_GPU_VENDORS = {"8086": "intel", "1002": "amd", "10de": "nvidia"}


def read_facter(path: Path) -> FacterFacts:
    """CPU vendor, GPUs and disks from a nixos-facter JSON report."""
    fix = "generate it on the machine: sudo nix run nixpkgs#nixos-facter -- -o facter.json"
    try:
        with path.open("rb") as fh:
            raw = fh.read(bounds.REPORT_MAX_BYTES + 1)
        report = bounds.load_report(raw, field="--facter", source=str(path))
    except (OSError, ValueError) as err:
        detail = str(err) if len(str(err)) <= 200 else str(err)[:200] + "..."
        raise InputError("--facter", f"cannot read {path} ({detail})", fix) from None
    hardware = report.get("hardware") if isinstance(report, dict) else None
    if not isinstance(hardware, dict):
        raise InputError("--facter", f"{path} is not a nixos-facter report (no hardware)", fix)

    def entries(kind: str) -> list[dict[str, Any]]:
        return [e for e in hardware.get(kind) or [] if isinstance(e, dict)]

    cpus = {_CPU_VENDORS.get(str(c.get("vendor_name")), "other") for c in entries("cpu")}
    gpus = set()
    for card in entries("graphics_card"):
        vendor = card.get("vendor")
        gpu = _GPU_VENDORS.get(str(vendor.get("hex", "")).lower()) if isinstance(vendor, dict) else None
        if gpu:
            gpus.add(gpu)
    disks = []
    for disk in entries("disk"):
        names = disk.get("unix_device_names") or [disk.get("unix_device_name")]
        disks.append(FacterDisk(names=tuple(str(n) for n in names if n), model=str(disk.get("model", ""))))
    system = report.get("system")
    uefi = report.get("uefi")
    supported = uefi.get("supported") if isinstance(uefi, dict) else None
    return FacterFacts(system=system if isinstance(system, str) else None,
                       cpu=cpus.pop() if len(cpus) == 1 else "other", gpus=tuple(sorted(gpus)),
                       disks=tuple(disks),
                       firmware={True: "uefi", False: "bios"}.get(supported) if isinstance(supported, bool)
                       else None)


def facter_warnings(spec: HostSpec, facts: FacterFacts) -> list[str]:
    """Where the answers disagree with what the report saw."""
    host, out = spec.hostname, []
    fix = f"nixbtw update {host} --set"
    if facts.system and facts.system != spec.system:
        out.append(f"system is {spec.system} but the report is from {facts.system}: "
                   f"{fix} system={facts.system}")
    if facts.cpu != "other" and facts.cpu != spec.hardware.cpu:
        out.append(f"hardware.cpu is {spec.hardware.cpu} but the report saw an {facts.cpu} CPU, "
                   f"so its microcode updates are off: {fix} hardware.cpu={facts.cpu}")
    if set(facts.gpus) != set(spec.hardware.gpu):
        seen = ", ".join(facts.gpus) or "none"
        out.append(f"hardware.gpu is [{', '.join(spec.hardware.gpu)}] but the report saw {seen}: "
                   f"{fix} 'hardware.gpu=[{', '.join(facts.gpus)}]'")
    firmware = spec.boot.firmware or "uefi"
    if facts.firmware and spec.is_nixos and spec.lane != "nixos-wsl" and facts.firmware != firmware:
        out.append(f"boot.firmware is {firmware} but the machine booted the installer with "
                   f"{facts.firmware}: {fix} boot.firmware={facts.firmware}")
    device = spec.disk.device
    if device and spec.disk.layout != "none" and not any(device in d.names for d in facts.disks):
        seen = "; ".join(f"{d.by_id} ({d.model})" if d.model else d.by_id for d in facts.disks)
        pick = f": {fix} disk.device={facts.disks[0].by_id}" if facts.disks else ""
        out.append(f"disk.device {device} is not a disk the report saw ({seen or 'none'}); disko "
                   f"would not find it{pick}")
    return out
