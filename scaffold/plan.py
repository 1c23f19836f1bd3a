"""Facts derived from a spec, computed once so templates stay plain Nix.

Everything here is pure: same spec and date in, same plan out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from scaffold import releases
from scaffold.access import AccessPlan, access_plan, immutable_users
from scaffold.bootplan import BootPlan, boot_plan
from scaffold.deployplan import DeployNode, deploy_node
from scaffold.machine import Everyday, everyday
from scaffold.secretsplan import PasswordSecret, SecretsPlan, secrets_plan
from scaffold.secretsplan import host_key as secretsplan_host_key
from scaffold.spec import HostSpec, User
from scaffold.vmtest import TEST_PASSWORD, VmAdmin, has_vm_test, vm_admins

GC_RETENTION = "30d"
BOOT_ENTRIES = 20


@dataclass(frozen=True, slots=True)
class UnfreeEntry:
    name: str
    why: str
    # Driver packages are built by NixOS modules; home-manager never sees them.
    system_only: bool = False
    # Only completes another package (steam-unwrapped inside steam): admitted with
    # it, never installed on its own.
    completes: str | None = None


@dataclass(frozen=True, slots=True)
class DiskPlan:
    """What disko.nix and the rollback unit need; names shared between them."""

    layout: str
    device: str
    encrypt: bool
    swap_size: str | None
    impermanence: bool
    luks_name: str = "crypted"
    pool: str = "zroot"
    # Read by disko only while formatting (nixos-anywhere --disk-encryption-keys).
    key_file: str = "/tmp/secret.key"
    esp_size: str = "1G"

    @property
    def root_partition_label(self) -> str:
        # disko labels partitions disk-<disk>-<partition>.
        return "disk-main-root"

    @property
    def btrfs_device(self) -> str:
        if self.encrypt:
            return f"/dev/mapper/{self.luks_name}"
        return f"/dev/disk/by-partlabel/{self.root_partition_label}"

    @property
    def rollback_after(self) -> str:
        """The unit that makes the root filesystem's device available in the initrd."""
        if self.layout == "zfs":
            return f"zfs-import-{self.pool}.service"
        if self.encrypt:
            return f"systemd-cryptsetup@{self.luks_name}.service"
        return systemd_escape_device(self.btrfs_device)


def systemd_escape_device(path: str) -> str:
    """systemd's unit name for a device path (systemd-escape --path --suffix=device)."""
    out = []
    for ch in path.strip("/"):
        if ch == "/":
            out.append("-")
        elif ch.isalnum() or ch in ":_.":
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}")
    return "".join(out) + ".device"


@dataclass(frozen=True, slots=True)
class Plan:
    spec: HostSpec
    release: releases.Release
    host_dir: str
    modules: tuple[str, ...]
    unfree: tuple[UnfreeEntry, ...]
    unfree_all: bool
    insecure: tuple[str, ...]
    system_packages: tuple[str, ...]
    kernel: str | None
    host_id: str | None
    nix_package: str | None
    shells: tuple[str, ...]
    warnings: tuple[str, ...]
    eol: bool
    host_key: str
    disk: DiskPlan | None = None
    password_secrets: tuple[PasswordSecret, ...] = ()
    persist_directories: tuple[str, ...] = ()
    persist_files: tuple[str, ...] = ()
    video_drivers: tuple[str, ...] = ()
    secrets: SecretsPlan | None = None
    boot: BootPlan | None = None
    access: AccessPlan | None = None
    everyday: Everyday | None = None
    deploy: DeployNode | None = None
    gc_retention: str = GC_RETENTION
    boot_entries: int = BOOT_ENTRIES
    notes: tuple[str, ...] = field(default=())
    # The part of `warnings` that depends on the date (releases.release_warnings):
    # on screen and in READMEs, never in a .nix header that would go stale.
    dated_warnings: tuple[str, ...] = ()

    @property
    def header_warnings(self) -> tuple[str, ...]:
        return tuple(w for w in self.warnings if w not in self.dated_warnings)

    def groups(self, user: User) -> list[str]:
        groups = []
        if user.admin:
            groups.append("wheel")
        if user.admin and self.spec.networkmanager:
            groups.append("networkmanager")
        return groups

    def home_users(self) -> list[User]:
        return list(self.spec.users) if self.spec.hm_mode != "none" else []

    def path(self, name: str) -> str:
        """A file of this host, relative to the repository root."""
        return f"{self.host_dir}/{name}" if self.host_dir else name

    def home_directory(self, user: User) -> str:
        return ("/Users/" if self.spec.lane == "darwin" else "/home/") + user.name

    def home_configuration_name(self, user: User) -> str:
        return f"{user.name}@{self.spec.hostname}"

    @property
    def immutable_users(self) -> bool:
        return immutable_users(self.spec)

    @property
    def home_unfree(self) -> tuple[UnfreeEntry, ...]:
        return tuple(e for e in self.unfree if not e.system_only)

    @property
    def vm_test(self) -> bool:
        return has_vm_test(self.spec)

    @property
    def vm_admins(self) -> tuple[VmAdmin, ...]:
        return vm_admins(self.access)

    @property
    def vm_test_password(self) -> str:
        return TEST_PASSWORD

    @property
    def unfree_installed(self) -> tuple[str, ...]:
        """Unfree names this host installs (a package list, programs.steam, a driver)."""
        idle = set(unfree_not_installed(self.spec))
        return tuple(e.name for e in self.unfree if e.completes is None and e.name not in idle)

    @property
    def unfree_completing(self) -> tuple[UnfreeEntry, ...]:
        """Unfree names admitted only because another package needs them."""
        return tuple(e for e in self.unfree if e.completes is not None)

    def unfree_lines(self) -> list[str]:
        """The unfree names, said plainly: what is installed, what only completes another."""
        out = []
        if self.unfree_installed:
            out.append("unfree, installed: " + ", ".join(self.unfree_installed))
        if self.unfree_completing:
            out.append("unfree, admitted only to complete another package: " + ", ".join(
                f"{e.name} (for {e.completes})" for e in self.unfree_completing))
        if self.unfree_idle:
            out.append("unfree, admitted but installed nowhere: " + ", ".join(self.unfree_idle))
        return out

    @property
    def unfree_idle(self) -> tuple[str, ...]:
        return tuple(unfree_not_installed(self.spec))

    @property
    def trusted_users(self) -> tuple[str, ...]:
        """Who the Nix daemon trusts on a Mac: root and the admins, as on NixOS."""
        return ("root", *(u.name for u in self.spec.admins))

    @property
    def primary_user(self) -> str:
        admins = self.spec.admins or list(self.spec.users)
        return admins[0].name


def keys_only_sentence(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return f"{names[0]} logs in with SSH keys only and has no password"
    return f"{', '.join(names)} log in with SSH keys only and have no password"


def host_id(hostname: str) -> str:
    """A stable 8-hex-digit networking.hostId (ZFS refuses to import without one)."""
    return hashlib.sha256(hostname.encode()).hexdigest()[:8]


def _modules(spec: HostSpec) -> list[str]:
    mods: list[str] = []
    if spec.lane == "nixos-wsl":
        mods.append("inputs.nixos-wsl.nixosModules.default")
    if spec.hardware.profile:
        mods.append(f"inputs.nixos-hardware.nixosModules.{spec.hardware.profile}")
    if spec.disk.layout != "none":
        mods.append("inputs.disko.nixosModules.disko")
    if spec.disk.impermanence:
        mods.append("inputs.impermanence.nixosModules.impermanence")
    if spec.secrets.tool == "sops-nix":
        mods.append("inputs.sops-nix.nixosModules.sops")
    if spec.secrets.tool == "agenix":
        mods.append("inputs.agenix.nixosModules.default")
    if spec.nix == "determinate":
        mods.append("inputs.determinate.nixosModules.default")
    if spec.hm_mode == "nixos-module" and spec.lane != "nixos-channels":
        mods.append("inputs.home-manager.nixosModules.home-manager")
    if spec.lane == "darwin":
        # The darwin lane imports darwin modules only.
        mods = []
        if spec.nix == "determinate":
            mods.append("inputs.determinate.darwinModules.default")
        if spec.secrets.tool == "sops-nix":
            mods.append("inputs.sops-nix.darwinModules.sops")
        if spec.secrets.tool == "agenix":
            mods.append("inputs.agenix.darwinModules.default")
        if spec.hm_mode == "darwin-module":
            mods.append("inputs.home-manager.darwinModules.home-manager")
    return mods


# nvidia-settings is installed by default (hardware.nvidia.nvidiaSettings);
# nvidia-persistenced only when enabled, which nixbtw does not do.
NVIDIA_UNFREE = ("nvidia-x11", "nvidia-settings")

# What programs.steam installs that is unfree: the FHS wrapper and the client it runs.
STEAM_UNFREE = ("steam", "steam-unwrapped")

# Unfree names that only complete another package: admitting the package
# without them fails evaluation, so they are admitted with it.
UNFREE_COMPANIONS: dict[str, tuple[str, ...]] = {
    "steam": ("steam-unwrapped",),
}


def _unfree(spec: HostSpec) -> list[UnfreeEntry]:
    out: list[UnfreeEntry] = []
    if isinstance(spec.packages.unfree, list):
        for name in spec.packages.unfree:
            out.append(UnfreeEntry(name, "asked for in the answers"))
            out += [UnfreeEntry(c, f"needed by {name}", completes=name)
                    for c in UNFREE_COMPANIONS.get(name, ())]
    plan = everyday(spec)
    if plan is not None and plan.gaming:
        out += [UnfreeEntry("steam", "programs.steam (gaming: true)", system_only=True),
                *(UnfreeEntry(c, "needed by steam (gaming: true)", system_only=True,
                              completes="steam") for c in UNFREE_COMPANIONS["steam"])]
    if "nvidia" in spec.hardware.gpu and spec.is_nixos:
        out += [UnfreeEntry(n, "the NVIDIA driver (hardware.gpu has nvidia)", system_only=True)
                for n in NVIDIA_UNFREE]
    seen: set[str] = set()
    return [e for e in out if not (e.name in seen or seen.add(e.name))]  # type: ignore[func-returns-value]


def unfree_not_installed(spec: HostSpec) -> list[str]:
    """Unfree names admitted by the answers that no package list installs."""
    if not isinstance(spec.packages.unfree, list):
        return []
    installed = {name.rsplit(".", 1)[-1] for name in spec.packages.system}
    plan = everyday(spec)
    if plan is not None and plan.gaming:
        installed |= set(STEAM_UNFREE)
    companions = {c for n in spec.packages.unfree for c in UNFREE_COMPANIONS.get(n, ())}
    return [n for n in spec.packages.unfree if n not in installed and n not in companions]


def _kernel(spec: HostSpec) -> str | None:
    k = spec.hardware.kernel
    if k == "default":
        return None
    if k == "latest":
        return "pkgs.linuxPackages_latest"
    return "pkgs.linuxPackages_" + k.replace(".", "_")


def _warnings(spec: HostSpec, rel: releases.Release, on: dt.date) -> list[str]:
    out = releases.release_warnings(rel, on)
    if spec.hardware.kernel == "latest" and ("nvidia" in spec.hardware.gpu):
        out.append("kernel: latest with the NVIDIA driver: the out-of-tree module can lag the "
                   "newest kernel and fail to build; kernel: default is the safe choice.")
    dev = spec.disk.device or ""
    if dev and not dev.startswith(("/dev/disk/by-id/", "/dev/disk/by-path/")):
        out.append(f"disk.device {dev} is not a stable name: it can point at another disk after "
                   "a reboot or a new drive; prefer /dev/disk/by-id/...")
    if spec.openssh and not any(u.ssh_keys for u in spec.users):
        out.append("services.openssh is on but no user has ssh_keys: password login is off, "
                   "so nobody can log in over SSH.")
    if spec.is_nixos and not spec.openssh and spec.lane != "nixos-wsl":
        keyed = [u.name for u in spec.users if u.ssh_keys]
        if keyed:
            out.append(f"services.openssh is off, so the SSH keys of {', '.join(keyed)} let nobody "
                       "in until you turn it on.")
    if spec.disk.impermanence and any(u.password == "none" for u in spec.users):
        names = ", ".join(u.name for u in spec.users if u.password == "none")
        out.append(f"impermanence wipes /etc/shadow at every boot: {names} can log in with SSH "
                   "keys only; give them password: secret for a password that survives.")
    access = access_plan(spec)
    if access is not None:
        for name in access.console_password:
            when = ("right after the first switch, from the account you switched with"
                    if access.channels else "from the installer before the first boot")
            out.append(f"{name} has no password secret and no SSH key with sshd on: set a password "
                       f"{when} ({access.console_command(name)}, see README.md), or nobody can log in.")
        if access.keys_only:
            out.append(f"{keys_only_sentence(access.keys_only)}, so sudo does not ask for one.")
    if spec.is_nixos and spec.lane != "nixos-wsl":
        for u in spec.users:
            if u.admin or u.password == "secret" or (u.ssh_keys and spec.openssh):
                continue
            if immutable_users(spec):
                out.append(f"{u.name} can never log in: no password secret, no SSH key with sshd on, "
                           "and passwords set with passwd do not last here; add one of them.")
            else:
                out.append(f"{u.name} has no password and no SSH key with sshd on: an admin sets one "
                           f"with `sudo passwd {u.name}` after the first boot.")
    for name in unfree_not_installed(spec):
        out.append(f"packages.unfree admits {name} but no package list installs it: add it to "
                   "packages.system (or install it yourself), or remove it.")
    if spec.packages.unfree == "all":
        out.append("packages.unfree: all admits every unfree package; naming them keeps "
                   "surprises out.")
    return out


def disk_plan(spec: HostSpec) -> DiskPlan | None:
    d = spec.disk
    if d.layout == "none" or d.device is None:
        return None
    return DiskPlan(layout=d.layout, device=d.device, encrypt=d.encrypt, swap_size=d.swap_size,
                    impermanence=d.impermanence)


def _persistence(spec: HostSpec) -> tuple[list[str], list[str]]:
    if not spec.disk.impermanence:
        return [], []
    dirs = ["/var/lib/nixos", "/var/lib/systemd", "/var/log"]
    if spec.networkmanager:
        dirs.append("/etc/NetworkManager/system-connections")
    if spec.nix == "lix":
        dirs.append("/var/cache/nix")
    # The SSH host key (and so the secrets tool's identity) lives under
    # /persist directly: services.openssh.hostKeys points there.
    return dirs, ["/etc/machine-id"]


def _video_drivers(spec: HostSpec) -> list[str]:
    gpus = spec.hardware.gpu
    drivers = []
    if "nvidia" in gpus:
        drivers.append("nvidia")
    if "amd" in gpus and "nvidia" in gpus:
        drivers.append("amdgpu")
    if "intel" in gpus and "nvidia" in gpus:
        drivers.append("modesetting")
    return drivers


def make_plan(spec: HostSpec, *, on: dt.date) -> Plan:
    """Derive everything the templates need from a resolved spec."""
    assert spec.release is not None, "plan needs a resolved spec"
    rel = releases.get(spec.release)
    shells = sorted({u.shell for u in spec.users} - {"bash"})
    nix_package = "pkgs.lixPackageSets.stable.lix" if spec.nix == "lix" else None
    secrets = secrets_plan(spec)
    return Plan(
        spec=spec,
        release=rel,
        # Channels: one host per /etc/nixos, so its files sit at the root.
        host_dir="" if spec.lane == "nixos-channels" else f"hosts/{spec.hostname}",
        modules=tuple(_modules(spec)),
        unfree=tuple(_unfree(spec)),
        unfree_all=spec.packages.unfree == "all",
        insecure=tuple(spec.packages.insecure),
        system_packages=tuple(spec.packages.system),
        kernel=_kernel(spec),
        host_id=host_id(spec.hostname) if spec.disk.layout == "zfs" else None,
        nix_package=nix_package,
        shells=tuple(shells),
        warnings=tuple(_warnings(spec, rel, on)),
        dated_warnings=tuple(releases.release_warnings(rel, on)),
        eol=rel.is_end_of_life(on),
        host_key=secretsplan_host_key(spec),
        disk=disk_plan(spec),
        password_secrets=secrets.passwords if secrets else (),
        secrets=secrets,
        persist_directories=tuple(_persistence(spec)[0]),
        persist_files=tuple(_persistence(spec)[1]),
        video_drivers=tuple(_video_drivers(spec)),
        boot=boot_plan(spec),
        access=access_plan(spec),
        everyday=everyday(spec),
        deploy=deploy_node(spec),
    )
