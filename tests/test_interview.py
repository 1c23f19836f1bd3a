"""The interview, driven in-process through prompt_toolkit's pipe input."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from scaffold.errors import Aborted
from scaffold.interview import interview
from scaffold.spec import HostSpec
from tests.conftest import TODAY

ENTER, DOWN, CLEAR = "\r", "\x1b[B", "\x15"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW me@x"


# Every question of a nixos-flake host answered, so a test only types what it is about.
FLAKE_ANSWERS: dict[str, Any] = {
    "hostname": "h", "lane": "nixos-flake", "system": "x86_64-linux", "nix": "nix",
    "release": "26.05", "timezone": "UTC", "locale": "en_US.UTF-8",
    "boot": {"loader": "systemd-boot"},
    "hardware": {"profile": None, "cpu": "amd", "gpu": [], "kernel": "default"},
    "users": [{"name": "ops", "admin": True}], "home_manager": {"mode": "none"},
    "packages": {"system": ["git"], "unfree": [], "insecure": []},
    "services": {"openssh": False, "networkmanager": True}, "secrets": {"tool": "none"},
}
WSL_ANSWERS: dict[str, Any] = {
    **{k: v for k, v in FLAKE_ANSWERS.items() if k not in ("boot", "hardware", "services")},
    "lane": "nixos-wsl", "hardware": {"cpu": "intel"},
    "services": {"openssh": True, "networkmanager": False},
}


def answered(base: dict[str, Any], *, drop: tuple[str, ...] = (), **changes: Any) -> dict[str, Any]:
    given = {k: copy.deepcopy(v) for k, v in base.items() if k not in drop}
    given.update(changes)
    return given


@contextmanager
def keys(*typed: str) -> Iterator[None]:
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("".join(typed))
        yield


def run(given: dict[str, Any], *typed: str) -> HostSpec:
    with keys(*typed):
        return interview(given, on=TODAY, out=Path("out"))


def test_the_default_path_needs_only_a_name_and_a_user() -> None:
    spec = run(
        {},
        "atlas", ENTER,            # host name
        ENTER, ENTER, ENTER,       # lane, platform, nix
        ENTER,                     # release (newest stable)
        CLEAR, "UTC", ENTER,       # time zone
        ENTER,                     # locale
        ENTER,                     # boot loader
        ENTER,                     # nixos-hardware profile: none
        ENTER,                     # cpu
        ENTER,                     # gpus: none
        ENTER,                     # kernel
        ENTER,                     # disk layout: none, so no device question
        ENTER, ENTER,              # networkmanager, openssh
        ENTER,                     # secrets: none, so no key question
        "alice", ENTER,            # user name (the only user: an admin, nothing to ask)
        ENTER, ENTER,              # shell, full name
        ENTER,                     # no SSH key
        ENTER,                     # users: done
        ENTER,                     # home-manager: none
        ENTER, ENTER, ENTER,       # packages
        ENTER,                     # write it
    )
    assert spec.hostname == "atlas"
    assert spec.release == "26.05"
    assert spec.loader == "systemd-boot"
    assert spec.users[0].name == "alice" and spec.users[0].admin
    assert spec.disk.layout == "none"


def test_given_answers_are_not_asked_again() -> None:
    given = answered(WSL_ANSWERS, hostname="relay", nix="lix")
    spec = run(given, ENTER)   # only the confirmation is left to answer
    assert spec.lane == "nixos-wsl"
    assert spec.nix == "lix"


def test_a_disk_layout_asks_for_the_device_and_refuses_a_bad_one() -> None:
    given = answered(FLAKE_ANSWERS)
    spec = run(
        given,
        DOWN, DOWN, ENTER,                              # layout: btrfs
        CLEAR, "sda", ENTER,                            # refused: not a device path
        CLEAR, "/dev/disk/by-id/nvme-SAMSUNG_1", ENTER,  # accepted
        ENTER,                                          # encrypt: yes
        "16G", ENTER,                                   # swap
        ENTER,                                          # impermanence: no
        ENTER,                                          # write it
    )
    assert spec.disk.layout == "btrfs"
    assert spec.disk.device == "/dev/disk/by-id/nvme-SAMSUNG_1"
    assert spec.disk.encrypt and spec.disk.swap_size == "16G"


def test_secrets_ask_for_keys_and_users_for_a_password_secret() -> None:
    given = answered(FLAKE_ANSWERS, drop=("users", "secrets"), disk={"layout": "none"},
                     services={"openssh": True, "networkmanager": True})
    age = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    spec = run(
        given,
        DOWN, ENTER,                       # secrets: sops-nix
        "not-a-key", ENTER,                # refused
        CLEAR, age, ENTER, ENTER,          # one admin key, then finish
        "alice", ENTER, ENTER, ENTER,      # name, shell, full name
        KEY, ENTER, ENTER,                 # one SSH key, then finish
        ENTER,                             # password: secret
        ENTER,                             # users: done
        ENTER,                             # write it
    )
    assert spec.secrets.tool == "sops-nix"
    assert spec.secrets.admin_keys == [age]
    assert spec.users[0].password == "secret"
    assert spec.users[0].ssh_keys == [KEY]


def test_ctrl_c_writes_nothing(tmp_path: Path) -> None:
    with keys("atl", "\x03"), pytest.raises(Aborted):
        interview({}, on=TODAY, out=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_declining_the_summary_aborts() -> None:
    given = answered(WSL_ANSWERS)
    with keys("n", ENTER), pytest.raises(Aborted):
        interview(given, on=TODAY, out=Path("o"))


def test_a_facter_report_turns_the_disk_question_into_a_choice() -> None:
    given = answered(FLAKE_ANSWERS, disk={"layout": "ext4", "encrypt": False, "swap_size": None})
    disks = ["/dev/disk/by-id/nvme-A", "/dev/disk/by-id/ata-B"]
    with keys(DOWN, ENTER, ENTER):        # the second disk, then write it
        spec = interview(given, on=TODAY, out=Path("out"), disks=disks)
    assert spec.disk.device == "/dev/disk/by-id/ata-B"
