"""Rules about hosts: hardware configuration, ZFS, NVIDIA, stateVersion."""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold import nixparse, process
from scaffold.check.context import NixFile, Repo, string_value
from scaffold.check.model import Finding, finding, rule

UUID = re.compile(r"/dev/disk/by-uuid/([^\"'\s]+)")
GENERATED_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
                            r"[0-9A-F]{4}-[0-9A-F]{4}|[0-9a-f]{16}")






def _text(node: object) -> str:
    return (getattr(node, "text", b"") or b"").decode("utf-8", "replace")


def is_nixos_host(files: list[NixFile]) -> bool:
    """A directory holding a NixOS host: system.stateVersion as a string, or boot loaders."""
    for f in files:
        for s in f.settings:
            if s.path == ("system", "stateVersion") and string_value(s.node) is not None:
                return True
            if s.path[:2] == ("boot", "loader"):
                return True
    return False


def _sets(files: list[NixFile], *path: str) -> bool:
    return any(s.path[: len(path)] == path for f in files for s in f.settings)


def uses_zfs(files: list[NixFile]) -> NixFile | None:
    for f in files:
        for s in f.settings:
            value = _text(s.node)
            if s.path[:2] == ("boot", "supportedFilesystems") and ("zfs" in s.path or '"zfs"' in value):
                return f
            if s.path[:1] == ("fileSystems",) and s.path[-1] == "fsType" and string_value(s.node) == "zfs":
                return f
            if s.path[:3] == ("disko", "devices", "zpool"):
                return f
    return None


@rule("NBT008", "hardware-configuration", "hardware-configuration.nix missing, unused or hand-edited")
def hardware_configuration(repo: Repo) -> Iterator[Finding]:
    imported = set()
    for f in repo.nix_files:
        for node in f.nodes("path_expression"):
            if _text(node).endswith("hardware-configuration.nix"):
                imported.add(f.rel.rsplit("/", 1)[0] if "/" in f.rel else "")
    for directory, files in repo.by_directory.items():
        names = {f.rel.rsplit("/", 1)[-1] for f in files}
        wsl = _sets(files, "wsl", "enable")
        if is_nixos_host(files) and not wsl and "hardware-configuration.nix" not in names and \
                not _sets(files, "hardware", "facter"):
            where = next(f for f in files if any(s.path == ("system", "stateVersion") for s in f.settings)
                         ) if any(_sets([f], "system", "stateVersion") for f in files) else files[0]
            yield finding("NBT008", where.rel, 1, 1, f"no hardware-configuration.nix next to {where.rel}",
                       "without it the kernel modules and filesystems of the machine are unknown",
                       "run nixos-generate-config --show-hardware-config > hardware-configuration.nix")
        if "hardware-configuration.nix" in names and directory not in imported:
            yield finding("NBT008", f"{directory}/hardware-configuration.nix".lstrip("/"), 1,
                       1, "hardware-configuration.nix is not imported",
                       "its filesystems and kernel modules never reach the system",
                       "add ./hardware-configuration.nix to the host's imports")
    for f in repo.nix_files:
        if not f.rel.endswith("hardware-configuration.nix"):
            continue
        for node in f.nodes("string_expression"):
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
    for files in repo.by_directory.values():
        zfs = uses_zfs(files)
        if zfs is not None and not _sets(files, "networking", "hostId"):
            yield finding("NBT009", zfs.rel, 1, 1, "ZFS is used but networking.hostId is not set",
                       "NixOS asserts it: ZFS refuses to import pools without a stable host id",
                       'set networking.hostId = "<8 hex digits>" (head -c4 /dev/urandom | od -A none -t x4)')


@rule("NBT010", "zfs-latest-kernel", "ZFS with linuxPackages_latest", "error")
def zfs_latest(repo: Repo) -> Iterator[Finding]:
    for files in repo.by_directory.values():
        if uses_zfs(files) is None:
            continue
        for f in files:
            for s in f.settings:
                if s.path == ("boot", "kernelPackages") and "linuxPackages_latest" in _text(s.node):
                    yield finding("NBT010", f.rel, s.line, 1, "ZFS with the newest kernel",
                               "the ZFS module lags new kernels; when it is marked broken the "
                               "system stops building",
                               "keep the release's default kernel (remove the line) or pin an LTS "
                               "like pkgs.linuxPackages_6_12")


@rule("NBT011", "nvidia-open-unset", "NVIDIA driver without hardware.nvidia.open", "error")
def nvidia_open(repo: Repo) -> Iterator[Finding]:
    for files in repo.by_directory.values():
        for f in files:
            for s in f.settings:
                if (s.path == ("services", "xserver", "videoDrivers") and '"nvidia"' in _text(s.node)
                        and not _sets(files, "hardware", "nvidia", "open")):
                    yield finding("NBT011", f.rel, s.line, 1, "hardware.nvidia.open is not set",
                               "drivers 560 and newer refuse to build until you choose",
                               "set hardware.nvidia.open = true for Turing (GTX 16xx, RTX) and "
                               "newer, false for older cards")


@rule("NBT016", "state-version", "system.stateVersion missing or changed in history", "error")
def state_version(repo: Repo) -> Iterator[Finding]:
    for files in repo.by_directory.values():
        if not is_nixos_host(files):
            continue
        settings = [(f, s) for f in files for s in f.settings if s.path == ("system", "stateVersion")]
        if not settings:
            yield finding("NBT016", files[0].rel, 1, 1, "system.stateVersion is not set",
                       "NixOS then assumes the newest data formats and may migrate state that "
                       "was written by an older release",
                       'set system.stateVersion to the release of the first install, e.g. "25.11"')
            continue
        for f, s in settings:
            current = string_value(s.node)
            history = _history_values(repo, f.rel)
            older = sorted({v for v in history if v != current})
            if current and older:
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
                value = string_value(s.node)
                if value:
                    values.add(value)
    return values
