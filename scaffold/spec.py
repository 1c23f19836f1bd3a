"""The answers a host is generated from: one pydantic model, every rule in it.

Field shapes and per-field rules are pydantic validators; rules that relate
fields to each other live in `HostSpec.problems()`, which returns every problem
at once so a user fixes an answers file in one pass.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import difflib
import functools
import re
import zoneinfo
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scaffold import releases
from scaffold.errors import Problem

Add = Callable[[str, str, str], None]
Lane = Literal["nixos-flake", "nixos-channels", "darwin", "home-manager", "nixos-wsl"]
NixImpl = Literal["nix", "lix", "determinate"]
System = Literal["x86_64-linux", "aarch64-linux", "aarch64-darwin", "x86_64-darwin"]
Cpu = Literal["intel", "amd", "other"]
Gpu = Literal["intel", "amd", "nvidia"]
Loader = Literal["systemd-boot", "grub", "extlinux"]
Firmware = Literal["uefi", "bios"]
Layout = Literal["none", "ext4", "btrfs", "zfs"]
SecretsTool = Literal["none", "sops-nix", "agenix"]
HomeManagerMode = Literal["none", "nixos-module", "standalone", "darwin-module"]
Shell = Literal["bash", "zsh", "fish"]
PasswordMode = Literal["none", "secret"]
BrewCleanup = Literal["none", "check", "uninstall", "zap"]
Machine = Literal["laptop", "desktop", "server", "vm", "sbc"]
Desktop = Literal["none", "gnome", "plasma", "hyprland", "sway", "cosmic"]

NIXOS_LANES: tuple[str, ...] = ("nixos-flake", "nixos-channels", "nixos-wsl")
LINUX_SYSTEMS: tuple[str, ...] = ("x86_64-linux", "aarch64-linux")
DARWIN_SYSTEMS: tuple[str, ...] = ("aarch64-darwin", "x86_64-darwin")

_HOSTNAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_USERNAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_RESERVED_USERS = frozenset(
    {"root", "nobody", "daemon", "bin", "sys", "messagebus", "sshd", "polkituser",
     "nixbld", "systemd-network", "systemd-resolve", "systemd-timesync", "systemd-oom",
     "systemd-coredump", "dhcpcd", "avahi", "nscd", "wheel", "users", "admin"}
)
_AGE_RECIPIENT = re.compile(r"age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}")
_SSH_KEY_TYPES = (
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
)
_PKG_ATTR = re.compile(r"[A-Za-z_][A-Za-z0-9_'-]*(?:\.[A-Za-z_][A-Za-z0-9_'-]*)*")
_PNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]*")
_INSECURE = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]*-[0-9][A-Za-z0-9+._-]*")
_SIZE = re.compile(r"([1-9][0-9]{0,5}(?:\.[0-9]{1,3})?)([KMGT])")
# Swap between 64 MiB and 64 TiB: below is no swap, above is a typo.
_SIZE_BOUNDS = (64 * 2**20, 64 * 2**40)
_DEVICE = re.compile(r"/dev/[A-Za-z0-9/_.:+@=-]+")
_UNSTABLE_DEVICE = re.compile(r"/dev/(?:sd[a-z]+|vd[a-z]+|hd[a-z]+|nvme[0-9]+n[0-9]+|mmcblk[0-9]+)")
_PARTITION = re.compile(r"-part[0-9]+$|^/dev/(?:sd[a-z]+|vd[a-z]+|hd[a-z]+)[0-9]+$|"
                        r"^/dev/(?:nvme[0-9]+n[0-9]+|mmcblk[0-9]+)p[0-9]+$")
# Absolute, no control characters, not a directory.
_KEY_FILE = re.compile(r"/[^\x00-\x1f\x7f]*[^/\x00-\x1f\x7f]")
_KERNEL = re.compile(r"default|latest|[0-9]{1,2}\.[0-9]{1,3}")
_STATE_VERSION = re.compile(r"[0-9][0-9]\.[0-9][0-9]")
# Sizes a configuration can use (a GECOS field, an RSA-16384 key line, a fleet's users);
# anything longer is a paste gone wrong and is refused before any pattern runs.
NAME_MAX, TEXT_MAX, KEY_MAX, LIST_MAX, PACKAGES_MAX = 128, 256, 4096, 64, 1000


class _Model(BaseModel):
    # Unknown keys are errors: a typo must never be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _problem(problem: str, fix: str) -> ValueError:
    return ValueError(f"{problem}; {fix}")


@functools.cache
def timezones() -> frozenset[str]:
    return frozenset(
        z for z in zoneinfo.available_timezones()
        if not z.startswith(("posix/", "right/")) and z not in {"localtime", "Factory"}
    ) | {"UTC"}


@functools.cache
def macos_timezones() -> frozenset[str]:
    """The names `systemsetup -listtimezones` offers: the region/city zones of zone.tab.

    macOS lists neither UTC nor the Etc/ and legacy aliases, and nix-darwin's
    activation fails on a name the list lacks.
    """
    from importlib.resources import files

    text = files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    return frozenset(line.split("\t")[2] for line in text.splitlines()
                     if line and not line.startswith("#"))


def _is_timezone(name: str) -> bool:
    # Loading one zone is much cheaper than listing them all; the full list is
    # only needed for a did-you-mean.
    if name == "UTC":
        return True
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}", name) or \
            name.startswith(("posix/", "right/")) or name in {"localtime", "Factory"}:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def timezone_hint(word: str) -> str:
    """A did-you-mean for a zone: `berlin` is the city part of Europe/Berlin."""
    key = word.strip().lower().replace(" ", "_")
    by_city = sorted(z for z in timezones() if z.rsplit("/", 1)[-1].lower() == key
                     or z.lower() == key)
    if by_city:
        return f" (did you mean {by_city[0]!r}?)"
    return did_you_mean(word, timezones())


def did_you_mean(word: str, options: list[str] | frozenset[str]) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_ssh_public_key(key: str) -> str:
    key = key.strip()
    parts = key.split(None, 2)
    if len(parts) < 2 or parts[0] not in _SSH_KEY_TYPES:
        raise _problem(
            f"{_clip(key)!r} is not an SSH public key",
            "paste one line of a .pub file, e.g. 'ssh-ed25519 AAAA... you@laptop'",
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        raise _problem(f"the key data of {_clip(key)!r} is not base64",
                       "paste the .pub line unchanged") from None
    # The blob repeats the key type and holds the key's fields; a truncated or
    # mixed-up paste fails here instead of locking the user out later.
    fields = _ssh_fields(blob)
    expected = {"ssh-ed25519": 2, "ssh-rsa": 3, "sk-ssh-ed25519@openssh.com": 3,
                "sk-ecdsa-sha2-nistp256@openssh.com": 4}.get(parts[0], 3)
    if (fields is None or len(fields) != expected or fields[0] != parts[0].encode()
            or (parts[0] == "ssh-ed25519" and len(fields[1]) != 32)):
        raise _problem(f"the key data of {_clip(key)!r} is damaged or not a {parts[0]} key",
                       "paste the .pub line unchanged")
    if any(ord(c) < 32 for c in key):
        raise _problem("an SSH key must be a single line", "remove line breaks and tabs")
    return key.strip()


def _ssh_fields(blob: bytes) -> list[bytes] | None:
    fields, i = [], 0
    while i < len(blob):
        if i + 4 > len(blob):
            return None
        size = int.from_bytes(blob[i:i + 4], "big")
        if i + 4 + size > len(blob):
            return None
        fields.append(blob[i + 4:i + 4 + size])
        i += 4 + size
    return fields


def check_age_recipient(key: str) -> str:
    if not _AGE_RECIPIENT.fullmatch(key.strip()):
        raise _problem(
            f"{_clip(key)!r} is not an age recipient",
            "give an 'age1...' public key (age-keygen -y, or ssh-to-age < ~/.ssh/id_ed25519.pub)",
        )
    return key.strip()


def _each_short(items: list[str], limit: int, what: str) -> list[str]:
    for item in items:
        if len(item) > limit:
            raise _problem(f"{_clip(item)!r} is {len(item)} characters, longer than {what} can be",
                           f"check the paste; at most {limit}")
    return items


@functools.cache
def locales() -> frozenset[str]:
    """UTF-8 locale names glibc supports (data/glibc-locales.txt names its source)."""
    from importlib import resources

    text = resources.files("scaffold.data").joinpath("glibc-locales.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


# Characters that move the cursor, recolour a terminal, reorder what is shown
# (bidi overrides and isolates) or break a line, in text meant for one line.
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _char_name(c: str) -> str:
    if c in "\n\r\x85\u2028\u2029":
        return f"a line break (U+{ord(c):04X})"
    if c == "\x1b":
        return "an escape character (U+001B, terminal colours)"
    if "\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069" or c in "\u061c\u200e\u200f":
        return f"a bidirectional text control (U+{ord(c):04X})"
    return f"a control character (U+{ord(c):04X})"


def single_line(v: str) -> None:
    """Refuse characters that do not belong in one line of plain text, naming the first."""
    bad = _NOT_ONE_LINE.search(v)
    if bad:
        raise _problem(f"holds {_char_name(bad.group())} at position {bad.start() + 1}",
                       "type the text on one line, without control or formatting characters")


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class Hardware(_Model):
    profile: str | None = Field(
        None, max_length=NAME_MAX, description="nixos-hardware module name (e.g. framework-13-7040-amd), or null")
    cpu: Cpu = Field("other", description="CPU vendor, for microcode updates")
    gpu: list[Gpu] = Field(default_factory=list, max_length=6, description="GPUs in the machine")
    nvidia_open: bool | None = Field(
        None, description="NVIDIA: open kernel module (true for Turing/RTX and newer)")
    kernel: str = Field(
        "default", max_length=16, description="default (the release's LTS), latest, or an LTS like 6.12")

    @field_validator("profile")
    @classmethod
    def _profile(cls, v: str | None) -> str | None:
        from scaffold import profiles

        if v is not None and v not in profiles.names():
            raise _problem(f"{_clip(v)!r} is not a nixos-hardware profile"
                           f"{did_you_mean(v, profiles.names())}",
                           "use a name from nixos-hardware's flake.nix (e.g. framework-13-7040-amd), "
                           "or null")
        return v

    @field_validator("kernel")
    @classmethod
    def _kernel(cls, v: str) -> str:
        if not _KERNEL.fullmatch(v):
            raise _problem(f"unknown kernel {v!r}", "use default, latest, or an LTS series like 6.12")
        return v

    @field_validator("gpu")
    @classmethod
    def _unique_gpus(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))


class Boot(_Model):
    firmware: Firmware | None = Field(
        None, description="uefi or bios (legacy/CSM boot); default uefi. A facter report fills it in")
    loader: Loader | None = Field(
        None, description="systemd-boot, grub, or extlinux (U-Boot boards); default systemd-boot "
                          "on UEFI, grub on BIOS")


def _device_path_shape(v: str) -> None:
    """Paths that name no device, like the interview's pre-filled prefix with a
    second path typed after it (/dev/disk/by-id//dev/sda)."""
    for folder in ("/dev/disk/by-id/", "/dev/disk/by-path/", "/dev/disk/by-uuid/"):
        rest = v.removeprefix(folder)
        if rest != v and "/" in rest.strip("/"):
            inner = "/" + rest.lstrip("/")
            raise _problem(f"{_clip(v)!r} puts the path {_clip(inner)!r} inside {folder}",
                           f"type either {inner} alone or a name from {folder} (ls -l {folder} on the "
                           "target), not both")
    parts = v.removeprefix("/dev/").split("/")
    if not v.startswith("/dev/"):
        return
    if "" in parts:
        raise _problem(f"{_clip(v)!r} has an empty path component (// or a trailing /)",
                       "give the disk's path with single slashes, like /dev/disk/by-id/nvme-...")
    if "." in parts or ".." in parts:
        raise _problem(f"{_clip(v)!r} has a '.' or '..' component",
                       "give the disk's own path, like /dev/disk/by-id/nvme-...")


class Disk(_Model):
    layout: Layout = Field("none", description="disko layout; none keeps your own partitions")
    device: str | None = Field(None, max_length=TEXT_MAX, description="whole disk, preferably /dev/disk/by-id/...")
    encrypt: bool = Field(False, description="LUKS (ext4, btrfs) or native ZFS encryption")
    swap_size: str | None = Field(None, max_length=16, description="swap size like 16G, or null for none")
    impermanence: bool = Field(False, description="wipe / at every boot (btrfs or zfs)")
    snapshots: bool = Field(
        False, description="ZFS: hourly, daily and monthly snapshots of /home (sanoid), pruned by age")

    @field_validator("device")
    @classmethod
    def _device(cls, v: str | None) -> str | None:
        if v is None:
            return v
        _device_path_shape(v)
        if not _DEVICE.fullmatch(v) or v in ("/dev/disk/by-id", "/dev/disk/by-path"):
            raise _problem(f"{_clip(v)!r} is not a block device path",
                           "use /dev/disk/by-id/... (ls -l /dev/disk/by-id on the target)")
        if _PARTITION.search(v):
            raise _problem(f"{_clip(v)!r} is a partition, and disko formats whole disks",
                           "give the disk itself (without -partN / the trailing partition number)")
        return v

    @field_validator("swap_size")
    @classmethod
    def _swap(cls, v: str | None) -> str | None:
        if v is None:
            return v
        match = _SIZE.fullmatch(v)
        if not match:
            raise _problem(f"{_clip(v)!r} is not a size", "write it like 8G or 512M, or null for no swap")
        size = float(match.group(1)) * 1024 ** ("KMGT".index(match.group(2)) + 1)
        low, high = _SIZE_BOUNDS
        if not low <= size <= high:
            raise _problem(f"{v} of swap is {'too small to use' if size < low else 'more than any disk'}",
                           "use a size between 64M and 64T, or null for no swap")
        return v


class Secrets(_Model):
    tool: SecretsTool = Field("none", description="secrets tool")
    admin_keys: list[str] = Field(
        default_factory=list, max_length=LIST_MAX,
        description="admins' public keys that can decrypt (age1... for sops-nix; age or SSH for agenix)",
    )
    age_key_file: str | None = Field(
        None, max_length=TEXT_MAX,
        description="lane darwin: an age key file on the Mac to decrypt with instead of its SSH host key",
    )

    @field_validator("admin_keys", mode="before")
    @classmethod
    def _trimmed(cls, v: object) -> object:
        # A key pasted with a trailing newline or spaces is the same key; written
        # raw it would break .sops.yaml and secrets.nix.
        return [k.strip() if isinstance(k, str) else k for k in v] if isinstance(v, list) else v

    @field_validator("admin_keys")
    @classmethod
    def _key_lengths(cls, v: list[str]) -> list[str]:
        return _each_short(v, KEY_MAX, "a key")

    @field_validator("age_key_file")
    @classmethod
    def _key_file(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not _KEY_FILE.fullmatch(v):
            raise _problem(f"{_clip(v)!r} is not an absolute file path",
                           "write the whole path, like /Users/alice/.config/sops/age/keys.txt")
        if v.startswith("/nix/store/"):
            # Anything in the store is world-readable: the key would be public.
            raise _problem(f"{_clip(v)!r} is in the Nix store, which every user can read",
                           "keep the key outside /nix/store, readable by root only")
        return v


class User(_Model):
    name: str = Field(max_length=NAME_MAX, description="login name (POSIX)")
    admin: bool | None = Field(
        None, description="member of wheel (sudo); default: true for the first user only")
    shell: Shell = Field("bash", description="login shell")
    description: str = Field("", max_length=TEXT_MAX, description="full name (GECOS)")
    ssh_keys: list[str] = Field(default_factory=list, max_length=LIST_MAX, description="SSH public keys for login")
    password: PasswordMode = Field(
        "none", description="none (set it with passwd) or secret (hashed, from the secrets tool)")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _USERNAME.fullmatch(v):
            raise _problem(f"{_clip(v)!r} is not a valid user name",
                           "use at most 32 lowercase letters, digits, - and _, starting with a letter")
        if v in _RESERVED_USERS or v.startswith(("nixbld", "systemd-")):
            raise _problem(f"{v!r} is a system account",
                           "pick a personal name; admins get sudo through admin: true")
        return v

    @field_validator("description")
    @classmethod
    def _gecos(cls, v: str) -> str:
        single_line(v)
        # A colon would add a field to /etc/passwd.
        if ":" in v:
            raise _problem("the description cannot contain ':'", "write the full name without ':'")
        return v

    @field_validator("ssh_keys")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        return [check_ssh_public_key(k) for k in _each_short(v, KEY_MAX, "an SSH key")]


class HomeManager(_Model):
    mode: HomeManagerMode | None = Field(
        None, description="none, nixos-module, darwin-module or standalone; default fits the lane")


class Packages(_Model):
    system: list[str] = Field(default_factory=lambda: ["git"], max_length=PACKAGES_MAX,
                              description="attribute names in pkgs")
    unfree: list[str] | Literal["all"] = Field(
        default_factory=list, description="unfree package names allowed, or all")
    insecure: list[str] = Field(
        default_factory=list, max_length=LIST_MAX, description="insecure packages allowed, as name-version")

    @field_validator("system")
    @classmethod
    def _attrs(cls, v: list[str]) -> list[str]:
        for name in _each_short(v, NAME_MAX, "a package attribute"):
            if not _PKG_ATTR.fullmatch(name):
                raise _problem(f"{_clip(name)!r} is not a package attribute",
                               "use the attribute name from search.nixos.org, "
                               "e.g. git or python3Packages.black")
        return list(dict.fromkeys(v))

    @field_validator("unfree")
    @classmethod
    def _pnames(cls, v: list[str] | str) -> list[str] | str:
        if isinstance(v, str):
            return v
        if len(v) > PACKAGES_MAX:
            raise _problem(f"{len(v)} names are more than a configuration can use",
                           f"list at most {PACKAGES_MAX}, or use all")
        for name in _each_short(v, NAME_MAX, "a package name"):
            if not _PNAME.fullmatch(name):
                raise _problem(f"{_clip(name)!r} is not a package name",
                               "give the name lib.getName reports, e.g. spotify or steam-unwrapped")
        return list(dict.fromkeys(v))

    @field_validator("insecure")
    @classmethod
    def _insecure(cls, v: list[str]) -> list[str]:
        for name in _each_short(v, NAME_MAX, "a package name"):
            if not _INSECURE.fullmatch(name):
                raise _problem(f"{_clip(name)!r} has no version",
                               "insecure packages are allowed by exact name-version, e.g. olm-3.2.16")
        return list(dict.fromkeys(v))


class Services(_Model):
    openssh: bool | None = Field(
        None, description="run sshd (keys only, no root or password login); default on for "
                          "servers, VMs and boards; on a Mac, true turns Remote Login on and false "
                          "leaves it to macOS")
    networkmanager: bool | None = Field(
        None, description="NetworkManager; default on for laptops, desktops and hosts without a "
                          "machine kind (not WSL)")


class Homebrew(_Model):
    enable: bool = Field(False, description="let nix-darwin manage Homebrew")
    casks: list[str] = Field(default_factory=list, max_length=PACKAGES_MAX, description="casks, listed declaratively")
    brews: list[str] = Field(default_factory=list, max_length=PACKAGES_MAX, description="formulae")
    mas_apps: dict[str, int] = Field(
        default_factory=dict, max_length=PACKAGES_MAX,
        description="Mac App Store apps as name: id (the number in the app's App Store link; "
                    "`mas search` shows it)")
    cleanup: BrewCleanup = Field(
        "none", description="what activation does with unlisted brew packages")

    @field_validator("casks", "brews")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for name in _each_short(v, NAME_MAX, "a Homebrew name"):
            if not re.fullmatch(r"[a-z0-9][a-z0-9@+._/-]*", name):
                raise _problem(f"{_clip(name)!r} is not a Homebrew name",
                               "use the name brew search shows, e.g. firefox or homebrew/cask/iterm2")
        return v


    @field_validator("mas_apps")
    @classmethod
    def _mas(cls, v: dict[str, int]) -> dict[str, int]:
        for name, app_id in v.items():
            if not name.strip() or len(name) > NAME_MAX or any(ord(c) < 32 for c in name):
                raise _problem(f"{_clip(name)!r} is not an app name",
                               "use the name the App Store shows, on one line")
            if isinstance(app_id, bool) or not 0 < app_id < 10**12:
                raise _problem(f"{app_id!r} is not an App Store id for {_clip(name)!r}",
                               "use the number after /id in the app's link, e.g. 497799835 for Xcode")
        return v


class Darwin(_Model):
    touch_id_sudo: bool = Field(False, description="Touch ID for sudo")
    homebrew: Homebrew = Field(default_factory=Homebrew, description="Homebrew, managed by nix-darwin")


_TAG = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")


class Deploy(_Model):
    target: str | None = Field(
        None, max_length=NAME_MAX * 2,
        description="where deploy-rs connects, as ADMIN@ADDRESS, e.g. admin@web1.example.org; "
                    "unset: `nixbtw deploy` leaves the host alone")
    ssh_port: int | None = Field(None, strict=True, description="the host's SSH port (default 22)")
    tags: list[str] = Field(default_factory=list, max_length=LIST_MAX,
                            description="group names: `nixbtw deploy --tag web` deploys every host tagged web")
    remote_build: bool = Field(
        False, description="build on the host instead of copying from the deploying machine "
                           "(e.g. a Mac deployed from Linux)")

    @field_validator("target")
    @classmethod
    def _target(cls, v: str | None) -> str | None:
        from scaffold.target import TARGET

        if v is not None and not TARGET.fullmatch(v):
            raise _problem(f"{_clip(v)!r} is not USER@ADDRESS (no spaces, ports or shell characters)",
                           "write the admin's login and the host's address, e.g. admin@web1.example.org "
                           "(a port goes in deploy.ssh_port)")
        if v is not None and re.fullmatch(r"[^@]+@[^:]+:[0-9]+", v):
            raise _problem(f"{_clip(v)!r} has a port after the address",
                           "write USER@ADDRESS, and the port in deploy.ssh_port")
        if v is not None and ":" in v:
            raise _problem(f"{_clip(v)!r} has an IPv6 address, which deploy-rs cannot put in its ssh "
                           "and nix copy URLs", "use a host name that resolves to it (DNS or /etc/hosts)")
        return v

    @field_validator("ssh_port")
    @classmethod
    def _port(cls, v: int | None) -> int | None:
        if v is not None and not 0 < v < 65536:
            raise _problem(f"{v} is not a TCP port", "give a number from 1 to 65535")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        for tag in _each_short(v, 63, "a tag"):
            if not _TAG.fullmatch(tag):
                raise _problem(f"{_clip(tag)!r} is not a tag",
                               "use lowercase letters, digits, - and _, e.g. web or eu-west")
        return list(dict.fromkeys(v))


class HostSpec(_Model):
    hostname: str = Field(max_length=NAME_MAX, description="host name (RFC 1123 label)")
    lane: Lane = Field("nixos-flake", description="what kind of system this is")
    nix: NixImpl = Field("nix", description="Nix implementation")
    system: System = Field("x86_64-linux", description="platform")
    release: str | None = Field(
        None, max_length=16, description="NixOS release, or unstable; default: newest stable today")
    state_version: str | None = Field(
        None, max_length=16, description="stateVersion of the first install; defaults to the release, never bumped")
    # Strict: `true` is not a number, though Python thinks it is.
    darwin_state_version: int | None = Field(
        None, strict=True, description="nix-darwin's integer stateVersion; defaults to the release's newest")
    machine: Machine | None = Field(
        None, description="laptop, desktop, server, vm or sbc (NixOS lanes): sets the defaults "
                          "below; none keeps a bare host")
    desktop: Desktop | None = Field(
        None, description="none, gnome, plasma, hyprland, sway or cosmic; default gnome on laptops "
                          "and desktops, none elsewhere")
    audio: bool | None = Field(
        None, description="PipeWire with ALSA and PulseAudio compatibility; default on for laptops "
                          "and desktops")
    bluetooth: bool | None = Field(None, description="Bluetooth; default on for laptops")
    printing: bool | None = Field(
        None, description="CUPS, with Avahi to find network printers; default off")
    gaming: bool | None = Field(
        None, description="Steam (its unfree names admitted) and 32-bit graphics; default off")
    timezone: str | None = Field(
        None, max_length=NAME_MAX,
        description="IANA time zone, e.g. Europe/Berlin; default UTC on NixOS, macOS's own on darwin")
    locale: str = Field("en_US.UTF-8", max_length=NAME_MAX, description="default locale")
    hardware: Hardware = Field(default_factory=Hardware, description="the machine (NixOS lanes)")
    boot: Boot = Field(default_factory=Boot, description="boot loader (NixOS lanes)")
    disk: Disk = Field(default_factory=Disk, description="disko disk layout (lane nixos-flake)")
    secrets: Secrets = Field(default_factory=Secrets, description="secrets tool and who can decrypt")
    users: list[User] = Field(min_length=1, max_length=LIST_MAX, description="people who log in")
    home_manager: HomeManager = Field(default_factory=HomeManager, description="home-manager")
    packages: Packages = Field(default_factory=Packages, description="packages and the unfree/insecure gates")
    services: Services = Field(default_factory=Services, description="services")
    darwin: Darwin = Field(default_factory=Darwin, description="macOS settings (lane darwin)")
    deploy: Deploy = Field(default_factory=Deploy, description="where `nixbtw deploy` (deploy-rs) reaches the host")

    @field_validator("hostname")
    @classmethod
    def _hostname(cls, v: str) -> str:
        if _HOSTNAME.fullmatch(v):
            return v
        if _HOSTNAME.fullmatch(v.lower()):
            raise _problem(f"{_clip(v)!r} has capital letters", f"use {v.lower()!r}")
        raise _problem(f"{_clip(v)!r} is not a valid host name",
                       "use 1-63 lowercase letters, digits and inner hyphens (RFC 1123)")

    @field_validator("users")
    @classmethod
    def _first_user_is_admin(cls, v: list[User]) -> list[User]:
        # The interview's default, so an answers file means the same thing:
        # the first user runs the machine unless told otherwise.
        return [u if u.admin is not None else u.model_copy(update={"admin": i == 0})
                for i, u in enumerate(v)]

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str | None) -> str | None:
        if v is not None and not _is_timezone(v):
            raise _problem(f"{_clip(v)!r} is not an IANA time zone{timezone_hint(v)}",
                           "use a name like Europe/Berlin or America/New_York")
        return v

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        # glibc reads "utf8" and "UTF-8" alike; the list spells it UTF-8.
        canonical = re.sub(r"\.(?:utf8|utf-8|UTF8)(?=@|$)", ".UTF-8", v)
        if canonical not in locales():
            raise _problem(f"{_clip(v)!r} is not a UTF-8 locale glibc supports"
                           f"{did_you_mean(canonical, locales())}",
                           "use a name like en_US.UTF-8 or de_DE.UTF-8")
        return v

    @field_validator("release", "state_version", mode="before")
    @classmethod
    def _yaml_number(cls, v: object) -> object:
        # `release: 26.05` unquoted is a float in YAML; read it as the user meant.
        if isinstance(v, float):
            return f"{v:.2f}"
        return v

    @field_validator("release")
    @classmethod
    def _release(cls, v: str | None) -> str | None:
        if v is not None and v not in releases.known_versions():
            raise _problem(f"unknown release {_clip(v)!r}",
                           f"use one of {', '.join(releases.known_versions())}")
        return v

    @field_validator("state_version")
    @classmethod
    def _state_version(cls, v: str | None) -> str | None:
        if v is not None and not _STATE_VERSION.fullmatch(v):
            raise _problem(f"{_clip(v)!r} is not a stateVersion",
                           "write it as YY.MM, the release of the first install, e.g. \"26.05\"")
        return v

    # ---- derived views -------------------------------------------------

    @property
    def is_nixos(self) -> bool:
        return self.lane in NIXOS_LANES

    @property
    def hm_mode(self) -> str:
        if self.home_manager.mode is not None:
            return self.home_manager.mode
        return "standalone" if self.lane == "home-manager" else "none"

    @property
    def loader(self) -> str | None:
        from scaffold.bootplan import boot_plan

        plan = boot_plan(self)
        return plan.loader if plan else None

    @property
    def networkmanager(self) -> bool:
        from scaffold.machine import MACHINE_LANES, kind_of

        if self.services.networkmanager is not None:
            return self.services.networkmanager
        return self.lane in MACHINE_LANES and kind_of(self).networkmanager

    @property
    def openssh(self) -> bool:
        from scaffold.machine import kind_of

        if self.services.openssh is not None:
            return self.services.openssh
        return kind_of(self).openssh

    @property
    def admins(self) -> list[User]:
        return [u for u in self.users if u.admin]

    # ---- resolution ----------------------------------------------------

    def resolved(self, today: dt.date) -> HostSpec:
        """The spec with every date-dependent default written down.

        These values are saved with the host so a later re-render never moves
        the release or the state version under the user.
        """
        release = releases.get(self.release) if self.release else releases.newest_stable(today)
        update: dict[str, Any] = {"release": release.version}
        if self.state_version is None:
            update["state_version"] = release.state_version
        if self.lane == "darwin" and self.darwin_state_version is None:
            update["darwin_state_version"] = release.darwin_state_version
        return self.model_copy(update=update)

    # ---- cross-field rules ---------------------------------------------

    def problems(self) -> list[Problem]:
        """Combinations that cannot work, each with the fix."""
        out: list[Problem] = []

        def add(field: str, problem: str, fix: str) -> None:
            out.append(Problem(field, problem, fix))

        lane = self.lane

        if lane == "darwin" and self.system not in DARWIN_SYSTEMS:
            add("system", f"{self.system} is not a macOS platform for lane darwin",
                "use aarch64-darwin (Apple silicon) or x86_64-darwin (Intel)")
        if lane != "darwin" and self.system in DARWIN_SYSTEMS:
            add("system", f"{self.system} needs lane darwin, not {lane}",
                "set lane: darwin, or pick x86_64-linux / aarch64-linux")
        if self.release and self.system == "x86_64-darwin":
            rel = releases.get(self.release)
            newest = rel.state_version
            if releases.version_key(newest) > releases.version_key("26.05"):
                add("system", f"nixpkgs {rel.version} no longer builds for x86_64-darwin",
                    "use release: \"26.05\" on an Intel Mac, or aarch64-darwin")

        if self.state_version and self.release:
            rel = releases.get(self.release)
            if releases.version_key(self.state_version) > releases.version_key(rel.state_version):
                add("state_version", f"{self.state_version} is newer than release {rel.version}",
                    f"use the release of the first install, at most \"{rel.state_version}\"")
            if releases.version_key(self.state_version) < (18, 9) and self.hm_mode != "none":
                add("state_version", "home-manager accepts stateVersions from 18.09",
                    "use \"18.09\" or newer")
        if self.darwin_state_version is not None:
            if lane != "darwin":
                add("darwin_state_version", f"only lane darwin has it, not {lane}", "remove it")
            elif self.release:
                top = releases.get(self.release).darwin_state_version
                if not 1 <= self.darwin_state_version <= top:
                    add("darwin_state_version",
                        f"nix-darwin {self.release} accepts 1 to {top}",
                        f"use {top} for a new Mac, or keep the value the Mac was installed with")

        from scaffold.access import access_problems
        from scaffold.bootplan import boot_problems
        from scaffold.machine import machine_problems

        self._hardware_problems(add)
        self._lane_problems(add)
        out.extend(boot_problems(self))
        out.extend(machine_problems(self))
        self._user_problems(add)
        self._disk_problems(add)
        self._secret_problems(add)
        from scaffold.deployplan import deploy_problems

        out.extend(deploy_problems(self))
        if not any(p.field.startswith("users") for p in out):
            out.extend(access_problems(self))
        return out

    def _lane_problems(self, add: Add) -> None:
        lane, mode = self.lane, self.hm_mode
        allowed_modes = {
            "nixos-flake": ("none", "nixos-module", "standalone"),
            "nixos-channels": ("none", "nixos-module"),
            "nixos-wsl": ("none", "nixos-module", "standalone"),
            "darwin": ("none", "darwin-module", "standalone"),
            "home-manager": ("standalone",),
        }[lane]
        if mode not in allowed_modes:
            add("home_manager.mode", f"{mode} does not work on lane {lane}",
                f"use one of {', '.join(allowed_modes)}")
        if lane == "nixos-wsl" and self.system != "x86_64-linux" and self.system != "aarch64-linux":
            add("system", f"NixOS-WSL runs on x86_64-linux or aarch64-linux, not {self.system}",
                "set system: x86_64-linux")
        if lane == "nixos-channels" and self.hardware.profile:
            add("hardware.profile", "nixos-hardware profiles are imported from its flake, "
                "and lane nixos-channels has no flake",
                "use lane nixos-flake, or import <nixos-hardware/...> from a channel yourself")
        if lane == "nixos-channels" and self.nix == "determinate":
            add("nix", "Determinate Nix is installed through its flake module, and lane "
                "nixos-channels has no flake", "use lane: nixos-flake, or nix: nix / lix")
        if not self.is_nixos:
            nixos_only = {
                "boot.loader": self.boot.loader is not None,
                "disk.layout": self.disk.layout != "none",
                "hardware.profile": self.hardware.profile is not None,
                "hardware.gpu": bool(self.hardware.gpu),
                "hardware.kernel": self.hardware.kernel != "default",
                "hardware.cpu": self.hardware.cpu != "other",
                "services.openssh": bool(self.services.openssh) and lane == "home-manager",
                "services.networkmanager": bool(self.services.networkmanager),
            }
            for field, asked in nixos_only.items():
                if asked:
                    add(field, f"lane {lane} is not NixOS and has no {field}",
                        "remove it, or use a NixOS lane (nixos-flake, nixos-channels)")
        if lane == "nixos-wsl":
            for field, asked in {"boot.loader": self.boot.loader is not None,
                                 "disk.layout": self.disk.layout != "none",
                                 "hardware.profile": self.hardware.profile is not None}.items():
                if asked:
                    add(field, "NixOS-WSL boots from Windows and has no " + field,
                        "remove it, or use lane nixos-flake")
        if lane in ("darwin", "home-manager"):
            # Answers these lanes would silently drop are refused instead.
            # nix-darwin turns Remote Login on or off and serves the users' keys to
            # Apple's sshd; on another Linux both belong to the distribution.
            unused = {"locale": self.locale != "en_US.UTF-8",
                      "services.openssh": bool(self.services.openssh) and lane == "home-manager"}
            if lane == "home-manager":
                # "UTC" was the recorded default before the time zone became optional.
                unused["timezone"] = self.timezone not in (None, "UTC")
            for i, u in enumerate(self.users):
                # darwin enables the shell's program (the login shell stays macOS's: see plan).
                unused[f"users.{i}.shell"] = u.shell != "bash" and lane == "home-manager"
                unused[f"users.{i}.ssh_keys"] = bool(u.ssh_keys) and lane == "home-manager"
                unused[f"users.{i}.description"] = bool(u.description)
            for field, asked in unused.items():
                if asked:
                    owner = "macOS" if lane == "darwin" else "the distribution"
                    add(field, f"lane {lane} leaves it to {owner}; nixbtw would not use it",
                        "remove it (or set it in home/<user>.nix yourself)")
        if lane == "darwin" and self.timezone is not None and self.timezone not in macos_timezones():
            add("timezone", f"macOS does not know {self.timezone!r}, and nix-darwin's activation "
                f"stops on a name it does not list{did_you_mean(self.timezone, macos_timezones())}",
                "use a name from `sudo systemsetup -listtimezones`, e.g. Europe/London, or remove it "
                "to keep the Mac's own setting")
        if lane != "darwin" and self.darwin != Darwin():
            add("darwin", f"macOS settings do not apply to lane {lane}", "remove the darwin section")

    def _hardware_problems(self, add: Add) -> None:
        hw = self.hardware
        if "nvidia" in hw.gpu and hw.nvidia_open is None and self.is_nixos and self.lane != "nixos-wsl":
            add("hardware.nvidia_open", "NVIDIA drivers 560 and newer refuse to build until you "
                "choose the kernel module",
                "set true for Turing (GTX 16xx, RTX) and newer, false for older cards")
        if hw.nvidia_open is not None and "nvidia" not in hw.gpu:
            add("hardware.nvidia_open", "it only applies to NVIDIA cards",
                "add nvidia to hardware.gpu, or remove nvidia_open")
        if self.release and hw.kernel not in ("default", "latest"):
            rel = releases.get(self.release)
            if hw.kernel not in rel.kernels:
                add("hardware.kernel", f"NixOS {rel.version} has no LTS kernel {hw.kernel}",
                    f"use default ({rel.default_kernel}), latest, or one of {', '.join(rel.kernels)}")
            elif self.disk.layout == "zfs" and releases.version_key(hw.kernel) > \
                    releases.version_key(rel.zfs_kernel_max):
                add("hardware.kernel", f"ZFS in NixOS {rel.version} supports kernels up to "
                    f"{rel.zfs_kernel_max}, not {hw.kernel}", "use kernel: default")
        if self.lane == "nixos-wsl" and (hw.gpu or hw.kernel != "default"):
            add("hardware.gpu" if hw.gpu else "hardware.kernel",
                "NixOS-WSL uses the Windows kernel and GPU drivers", "remove it")

    def _user_problems(self, add: Add) -> None:
        seen: set[str] = set()
        for i, user in enumerate(self.users):
            if user.name in seen:
                add(f"users.{i}.name", f"{user.name!r} is listed twice", "keep one entry per user")
            seen.add(user.name)
            if user.password == "secret" and self.secrets.tool == "none":
                add(f"users.{i}.password", "password: secret needs a secrets tool",
                    "set secrets.tool to sops-nix or agenix, or use password: none")
            if user.password == "secret" and not self.is_nixos:
                # nix-darwin's users.users has no password option at all.
                add(f"users.{i}.password", f"lane {self.lane} does not manage passwords",
                    "use password: none")
        if self.is_nixos and not self.admins:
            add("users", "no user is an admin, so nobody could run sudo or nixos-rebuild",
                "set admin: true on one user")

    def _disk_problems(self, add: Add) -> None:
        disk = self.disk
        if disk.layout == "none":
            # A BIOS machine's GRUB needs the boot disk even without disko.
            bios = (self.boot.firmware or "uefi") == "bios"
            for field, asked in {"disk.device": disk.device is not None and not bios,
                                 "disk.encrypt": disk.encrypt,
                                 "disk.swap_size": disk.swap_size is not None,
                                 "disk.impermanence": disk.impermanence}.items():
                if asked:
                    add(field, "it needs a disko layout", "set disk.layout to ext4, btrfs or zfs")
            return
        if disk.device is None:
            add("disk.device", f"layout {disk.layout} needs the disk to format",
                "set disk.device to /dev/disk/by-id/... of the target")
        if disk.impermanence and disk.layout not in ("btrfs", "zfs"):
            add("disk.impermanence", f"layout {disk.layout} cannot roll back / at boot",
                "use layout btrfs or zfs for impermanence")
        if disk.layout == "zfs" and self.hardware.kernel == "latest":
            add("hardware.kernel", "ZFS does not support the newest kernel in time; "
                "linuxPackages_latest breaks the zfs module",
                "use kernel: default (the release's LTS) or a named LTS like 6.12")
        if self.lane == "nixos-channels":
            add("disk.layout", "disko layouts are generated for flake lanes only",
                "use lane nixos-flake, or layout none and partition by hand")


    def _secret_problems(self, add: Add) -> None:
        secrets = self.secrets
        if secrets.age_key_file is not None and self.lane != "darwin":
            add("secrets.age_key_file", f"lane {self.lane} decrypts with the host's SSH key, "
                "which nixbtw bootstrap installs", "remove secrets.age_key_file")
        elif secrets.age_key_file is not None and secrets.tool == "none":
            add("secrets.age_key_file", "a key file is set but secrets.tool is none",
                "set secrets.tool, or remove secrets.age_key_file")
        if secrets.tool == "none":
            if secrets.admin_keys:
                add("secrets.admin_keys", "keys are listed but secrets.tool is none",
                    "set secrets.tool, or remove the keys")
            return
        if not secrets.admin_keys:
            add("secrets.admin_keys", f"{secrets.tool} needs at least one admin key to encrypt for",
                "add your age public key (age-keygen -y ~/.config/sops/age/keys.txt)")
        for i, key in enumerate(secrets.admin_keys):
            try:
                if secrets.tool == "sops-nix" or key.startswith("age1"):
                    check_age_recipient(key)
                else:
                    check_ssh_public_key(key)
            except ValueError as err:
                problem, _, fix = str(err).partition("; ")
                add(f"secrets.admin_keys.{i}", problem, fix)
        if self.lane in ("home-manager", "nixos-channels"):
            add("secrets.tool", f"secrets are generated for flake lanes, not {self.lane}",
                "use lane nixos-flake, nixos-wsl or darwin, or secrets.tool: none")


def field_paths() -> list[str]:
    """Every answers-file key, dotted; used for did-you-mean on typos."""
    out: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = prefix + name
            out.append(path)
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, path + ".")

    walk(HostSpec, "")
    return out
