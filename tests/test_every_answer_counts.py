"""Every answer changes what is generated, or is refused: nothing is silently dropped.

Each field of the answers file has one case below: a host where the field
applies, and another value for it. The rendered tree (recorded answers aside)
must differ. A field added to the spec without a case fails the first test.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import BaseModel

from scaffold.answers import build_spec
from scaffold.render import render_new
from scaffold.spec import HostSpec
from scaffold.sshage import age_recipient
from tests.conftest import TODAY, all_files

KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW alice@laptop"
KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9AY+GrFUm57eOxLOZrxFxOu0RcAvuaECgbMrxY9ytg bob@desk"
AGE_A = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
DISK = "/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S7KHNJ0X123456"

NIXOS: dict[str, Any] = {
    "hostname": "atlas",
    "services": {"openssh": True},
    "users": [{"name": "alice", "admin": True, "ssh_keys": [KEY_A]}, {"name": "bob"}],
}
DARWIN: dict[str, Any] = {"hostname": "mac", "lane": "darwin", "system": "aarch64-darwin",
                          "users": [{"name": "alice", "admin": True}]}
WITH_DISK = {"disk": {"layout": "ext4", "device": DISK}}
WITH_SOPS = {"secrets": {"tool": "sops-nix", "admin_keys": [AGE_A]}}
WITH_BREW = {"darwin": {"homebrew": {"enable": True}}}
WITH_DEPLOY = {"deploy": {"target": "alice@atlas.lan"}}
WITH_NVIDIA = {"hardware": {"gpu": ["nvidia"], "nvidia_open": True}}

# field (users.* for every user) -> (base answers, extra answers on the base, path, other value)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str, Any]] = {
    "hostname": (NIXOS, {}, "hostname", "zeus"),
    "lane": (NIXOS, {}, "lane", "nixos-channels"),
    "nix": (NIXOS, {}, "nix", "lix"),
    "system": (NIXOS, {}, "system", "aarch64-linux"),
    "release": (NIXOS, {}, "release", "25.11"),
    "state_version": (NIXOS, {}, "state_version", "25.05"),
    "darwin_state_version": (DARWIN, {}, "darwin_state_version", 6),
    "timezone": (NIXOS, {}, "timezone", "Europe/Berlin"),
    "locale": (NIXOS, {}, "locale", "de_DE.UTF-8"),
    "hardware.profile": (NIXOS, {}, "hardware.profile", "framework-13-7040-amd"),
    "hardware.cpu": (NIXOS, {}, "hardware.cpu", "amd"),
    "hardware.gpu": (NIXOS, {}, "hardware.gpu", ["amd"]),
    "hardware.nvidia_open": (NIXOS, WITH_NVIDIA, "hardware.nvidia_open", False),
    "hardware.kernel": (NIXOS, {}, "hardware.kernel", "6.12"),
    "boot.firmware": (NIXOS, WITH_DISK, "boot.firmware", "bios"),
    "boot.loader": (NIXOS, {}, "boot.loader", "grub"),
    "disk.layout": (NIXOS, WITH_DISK, "disk.layout", "btrfs"),
    "disk.device": (NIXOS, WITH_DISK, "disk.device", DISK + "-other"),
    "disk.encrypt": (NIXOS, WITH_DISK, "disk.encrypt", True),
    "disk.swap_size": (NIXOS, WITH_DISK, "disk.swap_size", "8G"),
    "disk.impermanence": (NIXOS, {"disk": {"layout": "btrfs", "device": DISK}}, "disk.impermanence", True),
    "secrets.tool": (NIXOS, WITH_SOPS, "secrets.tool", "agenix"),
    "secrets.admin_keys": (NIXOS, WITH_SOPS, "secrets.admin_keys", [age_recipient(KEY_B)]),
    "secrets.age_key_file": (DARWIN, WITH_SOPS, "secrets.age_key_file", "/Users/alice/.config/age/keys.txt"),
    "users": (NIXOS, {}, "users", [*NIXOS["users"], {"name": "carol"}]),
    "users.*.name": (NIXOS, {}, "users.1.name", "carol"),
    "users.*.admin": (NIXOS, {}, "users.1.admin", True),
    "users.*.shell": (NIXOS, {}, "users.0.shell", "zsh"),
    "users.*.description": (NIXOS, {}, "users.0.description", "Alice Liddell"),
    "users.*.ssh_keys": (NIXOS, {}, "users.0.ssh_keys", [KEY_B]),
    "users.*.password": (NIXOS, WITH_SOPS, "users.0.password", "secret"),
    "home_manager.mode": (NIXOS, {}, "home_manager.mode", "nixos-module"),
    "packages.system": (NIXOS, {}, "packages.system", ["git", "vim"]),
    "packages.unfree": (NIXOS, {}, "packages.unfree", ["git"]),
    "packages.insecure": (NIXOS, {}, "packages.insecure", ["olm-3.2.16"]),
    "services.openssh": (NIXOS, {}, "services.openssh", False),
    "services.networkmanager": (NIXOS, {}, "services.networkmanager", False),
    "machine": (NIXOS, {}, "machine", "laptop"),
    "desktop": (NIXOS, {}, "desktop", "sway"),
    "audio": (NIXOS, {}, "audio", True),
    "bluetooth": (NIXOS, {}, "bluetooth", True),
    "printing": (NIXOS, {}, "printing", True),
    "gaming": (NIXOS, {"desktop": "gnome"}, "gaming", True),
    "disk.snapshots": (NIXOS, {"disk": {"layout": "zfs", "device": DISK}}, "disk.snapshots", True),
    "darwin.touch_id_sudo": (DARWIN, {}, "darwin.touch_id_sudo", True),
    "darwin.homebrew.enable": (DARWIN, {}, "darwin.homebrew.enable", True),
    "darwin.homebrew.casks": (DARWIN, WITH_BREW, "darwin.homebrew.casks", ["firefox"]),
    "darwin.homebrew.brews": (DARWIN, WITH_BREW, "darwin.homebrew.brews", ["wget"]),
    "darwin.homebrew.cleanup": (DARWIN, WITH_BREW, "darwin.homebrew.cleanup", "zap"),
    "darwin.homebrew.mas_apps": (DARWIN, WITH_BREW, "darwin.homebrew.mas_apps", {"Xcode": 497799835}),
    "deploy.target": (NIXOS, {}, "deploy.target", "alice@atlas.lan"),
    "deploy.ssh_port": (NIXOS, WITH_DEPLOY, "deploy.ssh_port", 2222),
    "deploy.tags": (NIXOS, WITH_DEPLOY, "deploy.tags", ["web"]),
    "deploy.remote_build": (NIXOS, WITH_DEPLOY, "deploy.remote_build", True),
}


def leaf_fields(model: type[BaseModel] = HostSpec, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, info in model.model_fields.items():
        ann = info.annotation
        args = getattr(ann, "__args__", ())
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out |= leaf_fields(ann, prefix + name + ".")
        elif args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            out.add(prefix + name)
            out |= leaf_fields(args[0], prefix + name + ".*.")
        else:
            out.add(prefix + name)
    return out


def test_every_field_of_the_answers_file_has_a_case() -> None:
    assert set(CASES) == leaf_fields()


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) \
            else copy.deepcopy(value)
    return out


def _set(answers: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(answers)
    node: Any = out
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def _tree(answers: dict[str, Any]) -> dict[str, str]:
    files = all_files(render_new(build_spec(answers, on=TODAY), on=TODAY))
    # The recorded answers always change; what matters is everything else.
    return {rel: text for rel, text in files.items() if not rel.endswith(".copier-answers.yml")}


@pytest.mark.parametrize("field", sorted(CASES))
def test_the_answer_changes_the_generated_files(field: str) -> None:
    base, extra, path, value = CASES[field]
    before = _merge(base, extra)
    after = _set(before, path, value)
    assert _tree(before) != _tree(after), f"{field} is accepted but changes nothing"
