"""Rules about hosts: hardware configuration, ZFS, NVIDIA, stateVersion."""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold import nixparse, process
from scaffold.check.collect import FileContext
from scaffold.check.context import Host, Repo, string_value
from scaffold.check.facts import FileFacts
from scaffold.check.model import Finding, file_rule, finding, rule
from scaffold.check.nixfile import NixFile

UUID = re.compile(r"/dev/disk/by-uuid/([^\"'\s]+)")
GENERATED_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
                            r"[0-9A-F]{4}-[0-9A-F]{4}|[0-9a-fA-F]{16}")  # 16 hex: NTFS serials


def host_files(repo: Repo, host: Host) -> list[FileFacts]:
    return [f for rel in host.files if (f := repo.by_rel.get(rel)) is not None]


def _sets(files: list[FileFacts], *path: str) -> bool:
    return any(f.sets(*path) for f in files)


def uses_zfs(files: list[FileFacts]) -> tuple[FileFacts, int] | None:
    """Where ZFS is turned on: a setting, never a word in a comment."""
    for f in files:
        if f.zfs_line is not None:
            return f, f.zfs_line
    return None


def _no_hardware_needed(files: list[FileFacts]) -> bool:
    """Containers, WSL, VMs, installers and facter reports need no hardware file."""
    for path in (("boot", "isContainer"), ("wsl", "enable"), ("hardware", "facter"), ("fileSystems",),
                 ("disko", "devices"), ("virtualisation",), ("boot", "loader", "grub", "devices"),
                 ("nixpkgs", "hostPlatform")):
        if _sets(files, *path) and path != ("nixpkgs", "hostPlatform"):
            return True
    return any("modulesPath" in i.text or "hardware" in i.text or "facter" in i.text
               for f in files for i in f.imports)


@rule("NBT008", "hardware-configuration", "hardware-configuration.nix missing, unused or hand-edited")
def hardware_configuration(repo: Repo) -> Iterator[Finding]:
    for host in repo.hosts:
        files = host_files(repo, host)
        if host.kind != "nixos" or not host.closed or not files or _no_hardware_needed(files):
            continue
        yield finding("NBT008", host.root, 1, 1, f"host {host.name} imports no hardware configuration",
                      "without it the kernel modules and filesystems of the machine are unknown",
                      "run nixos-generate-config --show-hardware-config > hardware-configuration.nix "
                      f"and import it from {host.root}")
    targets = {i.target for f in repo.nix_files for i in f.imports if i.target}
    dynamic = any(i.target is None and "hardware" in i.text for f in repo.nix_files for i in f.imports)
    clan = any(fl.uses("clan-core") for fl in repo.flakes)
    for f in repo.nix_files:
        name = f.rel.rsplit("/", 1)[-1]
        if name != "hardware-configuration.nix" or dynamic or clan:
            continue
        folder = f.rel.rsplit("/", 1)[0] if "/" in f.rel else ""
        if f.rel not in targets and folder not in targets:
            yield finding("NBT008", f.rel, 1, 1, f"{f.rel} is not imported by any file",
                          "its filesystems and kernel modules never reach the system",
                          "add ./hardware-configuration.nix to the host's imports")


@file_rule("NBT008")
def edited_uuids(_ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    if not f.rel.endswith("hardware-configuration.nix"):
        return
    for node in f.nodes("string"):
        value = string_value(node) or ""
        match = UUID.search(value)
        if match and not GENERATED_UUID.fullmatch(match.group(1)):
            yield finding("NBT008", f.rel, node.start_point[0] + 1,
                          1, f"{match.group(1)} does not look like a UUID nixos-generate-config writes",
                          "a typed or invented UUID mounts nothing, and the machine boots into "
                          "an emergency shell",
                          "regenerate the file on the machine (nixos-generate-config), or use "
                          "/dev/disk/by-label/...")


@rule("NBT009", "zfs-without-hostid", "ZFS without networking.hostId", "error")
def zfs_hostid(repo: Repo) -> Iterator[Finding]:
    for host in repo.hosts:
        files = host_files(repo, host)
        zfs = uses_zfs(files)
        if zfs is not None and host.closed and host.kind == "nixos" and not _sets(files, "networking", "hostId"):
            f, line = zfs
            yield finding("NBT009", f.rel, line, 1,
                          f"host {host.name} uses ZFS but sets no networking.hostId",
                          "NixOS asserts it: ZFS refuses to import pools without a stable host id",
                          f'set networking.hostId = "<8 hex digits>" in {host.root} '
                          "(head -c4 /dev/urandom | od -A none -t x4)")


@rule("NBT010", "zfs-latest-kernel", "ZFS with linuxPackages_latest", "error")
def zfs_latest(repo: Repo) -> Iterator[Finding]:
    groups = [host_files(repo, h) for h in repo.hosts] + [[f] for f in repo.nix_files]
    for files in groups:
        if uses_zfs(files) is None:
            continue
        for f in files:
            for s in f.settings:
                value = s.text
                if s.path == ("boot", "kernelPackages") and "linuxPackages_latest" in value and \
                        "zfs" not in value.lower():
                    yield finding("NBT010", f.rel, s.line, 1, "ZFS with the newest kernel",
                                  "the ZFS module lags new kernels; when it is marked broken the "
                                  "system stops building",
                                  "keep the release's default kernel (remove the line) or pin an LTS "
                                  "like pkgs.linuxPackages_6_12")


VIDEO_DRIVERS = ("services", "xserver", "videoDrivers")


@rule("NBT011", "nvidia-open-unset", "NVIDIA driver without hardware.nvidia.open", "error")
def nvidia_open(repo: Repo) -> Iterator[Finding]:
    # (files, where to report): a host's files, or in a module library each module that picks
    # the driver together with what it imports (nixos-hardware's laptop modules import the
    # GPU-generation module that sets open).
    groups: list[tuple[list[FileFacts], str | None]] = [
        (host_files(repo, h), None) for h in repo.hosts if h.closed]
    if not repo.hosts:
        for f in repo.nix_files:
            if f.sets(*VIDEO_DRIVERS) and (module := repo.closure(f.rel)).closed:
                groups.append((host_files(repo, module), f.rel))
    for files, where in groups:
        if _sets(files, "hardware", "nvidia", "open"):
            continue
        for f in files:
            for s in f.settings if where in (None, f.rel) else ():
                value = s.literal
                if s.path == VIDEO_DRIVERS and isinstance(value, list) and "nvidia" in value:
                    yield finding("NBT011", f.rel, s.line, 1, "hardware.nvidia.open is not set",
                                  "drivers 560 and newer refuse to build until you choose",
                                  "set hardware.nvidia.open = true for Turing (GTX 16xx, RTX) and "
                                  "newer, false for older cards")


@rule("NBT016", "state-version", "system.stateVersion missing or changed in history", "error")
def state_version(repo: Repo) -> Iterator[Finding]:
    for host in repo.hosts:
        files = host_files(repo, host)
        option = ("home", "stateVersion") if host.kind == "home" else ("system", "stateVersion")
        if host.closed and files and not _sets(files, *option) and host.kind != "home":
            yield finding("NBT016", host.root, 1, 1, f"host {host.name} sets no {'.'.join(option)}",
                          "NixOS then assumes the newest data formats and may migrate state that "
                          "was written by an older release",
                          f'set {".".join(option)} in {host.root} to the release of the first install')
    for f in repo.nix_files:
        for s in f.settings:
            if s.path != ("system", "stateVersion"):
                continue
            current = s.literal
            history = _history_values(repo, f.rel)
            older = sorted({v for v in history if v != current})
            if isinstance(current, str) and older:
                yield finding("NBT016", f.rel, s.line,
                              1, f"system.stateVersion was {', '.join(older)} before and is {current} now",
                              "stateVersion records how stateful services laid out their data; "
                              "changing it does not upgrade anything and can break them",
                              f"put back the value of the first install ({older[0]}); upgrade by "
                              "moving nixpkgs to a newer release instead")


def _history_values(repo: Repo, rel: str, limit: int = 50) -> set[str]:
    if not repo.in_git:
        return set()
    try:
        log = process.run(["git", "-C", str(repo.root), "log", f"-{limit}", "--format=%H", "--", rel],
                          check=False)
    except Exception:
        return set()
    values = set()
    for commit in log.stdout.split():
        shown = process.run(["git", "-C", str(repo.root), "show", f"{commit}:./{rel}"], check=False)
        if shown.returncode != 0:
            continue
        for s in nixparse.module_settings(shown.stdout.encode()):
            if s.path == ("system", "stateVersion"):
                value = s.literal
                if isinstance(value, str):
                    values.add(value)
    return values
