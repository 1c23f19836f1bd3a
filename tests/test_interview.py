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
    "boot": {"firmware": "uefi", "loader": "systemd-boot"}, "disk": {"layout": "none"},
    "hardware": {"profile": None, "cpu": "amd", "gpu": [], "kernel": "default"},
    "users": [{"name": "ops", "admin": True}], "home_manager": {"mode": "none"},
    "packages": {"system": ["git"], "unfree": [], "insecure": []},
    "services": {"openssh": False, "networkmanager": True}, "secrets": {"tool": "none"},
    "machine": "laptop", "desktop": "gnome", "audio": True, "bluetooth": True,
    "printing": False, "gaming": False,
}
EVERYDAY = ("machine", "desktop", "audio", "bluetooth", "printing", "gaming")
WSL_ANSWERS: dict[str, Any] = {
    **{k: v for k, v in FLAKE_ANSWERS.items()
       if k not in ("boot", "hardware", "services", *EVERYDAY)},
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
        # Out of keys means end of input (Aborted), never a test that waits forever.
        pipe.close()
        yield


def run(given: dict[str, Any], *typed: str) -> HostSpec:
    with keys(*typed):
        return interview(given, on=TODAY, out=Path("out"))


def test_the_default_path_needs_only_a_name_and_a_user() -> None:
    spec = run(
        {},
        "atlas", ENTER,            # host name
        ENTER, ENTER,              # lane, platform
        ENTER,                     # machine: laptop
        ENTER,                     # nix
        ENTER,                     # release (newest stable)
        CLEAR, "UTC", ENTER,       # time zone
        ENTER,                     # locale
        ENTER,                     # firmware: uefi
        ENTER,                     # boot loader
        ENTER,                     # nixos-hardware profile: none
        ENTER,                     # cpu
        ENTER,                     # gpus: none
        ENTER,                     # kernel
        ENTER,                     # disk layout: none, so no device question
        ENTER,                     # desktop: the laptop's gnome
        ENTER, ENTER, ENTER, ENTER,  # sound, bluetooth, printing, gaming
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
    assert (spec.machine, spec.desktop, spec.audio, spec.bluetooth) == ("laptop", "gnome", True, True)


def test_given_answers_are_not_asked_again() -> None:
    given = answered(WSL_ANSWERS, hostname="relay", nix="lix")
    spec = run(given, ENTER)   # only the confirmation is left to answer
    assert spec.lane == "nixos-wsl"
    assert spec.nix == "lix"


def test_a_disk_layout_asks_for_the_device_and_refuses_a_bad_one() -> None:
    given = answered(FLAKE_ANSWERS, drop=("disk",))
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


def test_quitting_at_the_summary_aborts() -> None:
    given = answered(WSL_ANSWERS)
    with keys(DOWN, DOWN, ENTER), pytest.raises(Aborted):   # quit without writing
        interview(given, on=TODAY, out=Path("o"))


def test_an_answer_can_be_changed_at_the_summary_and_asks_what_it_opens() -> None:
    given = answered(FLAKE_ANSWERS, drop=("hostname", "disk"))
    spec = run(
        given,
        "atlas", ENTER,                   # host name
        ENTER,                            # disk layout: none
        DOWN, ENTER,                      # at the summary: change an answer
        ESC,                              # ...or not: back to the summary
        DOWN, ENTER,                      # change an answer after all
        DOWN, DOWN, ENTER,                # the disk layout (after 'back' and the host name)
        DOWN, DOWN, ENTER,                # btrfs
        CLEAR, "/dev/disk/by-id/nvme-X", ENTER,   # the device question it opens
        ENTER, ENTER, ENTER,              # encrypt, no swap, no impermanence
        ENTER,                            # write it
    )
    assert (spec.hostname, spec.disk.layout, spec.disk.device) == ("atlas", "btrfs", "/dev/disk/by-id/nvme-X")


def test_a_facter_report_turns_the_disk_question_into_a_choice() -> None:
    given = answered(FLAKE_ANSWERS, disk={"layout": "ext4", "encrypt": False, "swap_size": None})
    disks = ["/dev/disk/by-id/nvme-A", "/dev/disk/by-id/ata-B"]
    with keys(DOWN, ENTER, ENTER):        # the second disk, then write it
        spec = interview(given, on=TODAY, out=Path("out"), disks=disks)
    assert spec.disk.device == "/dev/disk/by-id/ata-B"


ESC, SPACE = "\x1b", " "
ZFS_DISK = {"layout": "zfs", "device": "/dev/disk/by-id/nvme-X", "encrypt": False, "swap_size": None,
            "impermanence": False, "snapshots": False}


def test_esc_goes_back_to_the_previous_question_with_its_answer_kept() -> None:
    given = answered(FLAKE_ANSWERS, drop=("lane", "system", "nix"))
    spec = run(
        given,
        DOWN, ENTER,      # lane: nixos-channels
        ESC,              # at the platform question: back to the lane...
        ENTER,            # ...where nixos-channels is still the choice
        ENTER, ENTER,     # platform, nix
        ENTER,            # write it
    )
    assert spec.lane == "nixos-channels"


def test_going_back_keeps_the_ticked_checkbox_choices() -> None:
    given = answered(FLAKE_ANSWERS, hardware={"profile": None, "cpu": "amd", "kernel": "default"})
    spec = run(
        given,
        DOWN, DOWN, SPACE, ENTER,   # GPUs: nvidia
        ESC,                        # at the NVIDIA question: back to the GPUs, nvidia still ticked
        ENTER,                      # keep them
        ENTER,                      # open kernel module (Y/n): yes
        ENTER,                      # write it
    )
    assert spec.hardware.gpu == ["nvidia"]
    assert spec.hardware.nvidia_open is True


def test_a_refused_summary_asks_only_what_the_errors_name_and_a_duplicate_user_can_be_removed() -> None:
    given = answered(FLAKE_ANSWERS, users=[{"name": "ops", "admin": True}, {"name": "ops"}])
    spec = run(
        given,
        ENTER,                    # 'users.1.name: listed twice'. Fix them? yes
        DOWN, DOWN, DOWN, ENTER,  # users: remove user 2 (ops)
        ENTER,                    # users: done, and nothing else is named by the errors
        ENTER,                    # write it
    )
    assert [u.name for u in spec.users] == ["ops"]
    assert spec.users[0].admin
    assert spec.hostname == "h" and spec.hardware.cpu == "amd"   # nothing else was asked again


def test_fixing_a_given_answer_offers_only_what_the_spec_accepts() -> None:
    given = answered(FLAKE_ANSWERS, disk=ZFS_DISK,
                     hardware={"profile": None, "cpu": "amd", "gpu": [], "kernel": "latest"})
    spec = run(
        given,
        ENTER,       # 'hardware.kernel: ZFS does not support the newest kernel'. Fix them? yes
        ENTER,       # kernel: latest is not offered with ZFS, so default comes first
        ENTER,       # write it
    )
    assert spec.hardware.kernel == "default"
    assert spec.disk.layout == "zfs"


def test_zfs_with_a_kernel_it_cannot_build_is_reported_at_the_kernel_question() -> None:
    given = answered(FLAKE_ANSWERS, drop=("hardware", "disk"))
    given["hardware"] = {"profile": None, "cpu": "amd", "gpu": []}
    spec = run(
        given,
        DOWN, ENTER,                      # kernel: latest
        DOWN, DOWN, DOWN, ENTER,          # layout: zfs -> refused at the kernel question
        ENTER,                            # kernel: default (latest is no longer offered)
        ENTER,                            # layout: zfs, kept
        CLEAR, "/dev/disk/by-id/nvme-X", ENTER,
        ENTER, ENTER, ENTER,              # encrypt, no swap, no impermanence
        ENTER,                            # no snapshots
        ENTER,                            # write it
    )
    assert (spec.hardware.kernel, spec.disk.layout) == ("default", "zfs")


def test_nvidia_settings_without_an_nvidia_card_are_refused_at_the_gpu_question() -> None:
    given = answered(FLAKE_ANSWERS, hardware={"profile": None, "cpu": "amd", "kernel": "default",
                                              "nvidia_open": True})
    spec = run(
        given,
        ENTER,                      # GPUs: none -> refused, nvidia_open needs an NVIDIA card
        DOWN, DOWN, SPACE, ENTER,   # GPUs: nvidia
        ENTER,                      # write it
    )
    assert spec.hardware.gpu == ["nvidia"]


def test_a_bad_package_name_is_refused_at_its_question() -> None:
    given = answered(FLAKE_ANSWERS, drop=("packages",))
    spec = run(
        given,
        CLEAR, "git bad!name", ENTER,   # refused in place
        CLEAR, "git htop", ENTER,
        ENTER, ENTER,                   # unfree, insecure
        ENTER,                          # write it
    )
    assert spec.packages.system == ["git", "htop"]


def test_a_second_user_is_added_from_the_users_menu_and_asked_if_admin() -> None:
    given = answered(FLAKE_ANSWERS, drop=("users",))
    spec = run(
        given,
        "ada", ENTER, ENTER, ENTER, ENTER,   # name, shell, full name, no SSH key
        DOWN, ENTER,                        # users: add another user
        "bob", ENTER,
        ENTER,                              # admin (y/N): no
        ENTER, ENTER, ENTER,                # shell, full name, no SSH key
        ENTER,                              # users: done
        ENTER,                              # write it
    )
    assert [(u.name, u.admin) for u in spec.users] == [("ada", True), ("bob", False)]


def test_the_kernel_question_offers_the_lts_versions_of_the_release() -> None:
    from scaffold import releases
    from scaffold.interview import Interview

    session = Interview(answered(FLAKE_ANSWERS), on=TODAY)
    assert session.options("hardware.kernel") == ["default", "latest", *releases.get("26.05").kernels]


def test_a_city_gets_its_time_zone_suggested_in_a_message_that_fits_the_terminal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scaffold.interview import Interview

    monkeypatch.setenv("COLUMNS", "60")
    check = Interview(answered(FLAKE_ANSWERS), on=TODAY)._validator("timezone")
    message = check("berlin")
    assert isinstance(message, str) and "Europe/Berlin" in message
    assert len(message) <= 60


def test_every_answer_of_the_spec_has_a_place_in_the_interview() -> None:
    from scaffold.questions import NOT_ASKED, leaf_paths, question_order

    order = question_order()
    assert set(order) == set(leaf_paths()) - NOT_ASKED
    # A field the ordering does not list comes right after its section.
    assert order.index("darwin.homebrew.brews") == order.index("darwin.homebrew.cleanup") + 1


def test_without_an_admin_key_the_first_user_is_the_admin_everywhere() -> None:
    from scaffold.answers import build_spec

    spec = build_spec({"hostname": "h", "users": [{"name": "ada"}, {"name": "bob"}]}, on=TODAY)
    assert [(u.name, u.admin) for u in spec.users] == [("ada", True), ("bob", False)]


def test_a_host_name_argument_that_differs_from_the_answers_file_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scaffold.cli import main

    answers = tmp_path / "a.yaml"
    answers.write_text("hostname: atlas\nusers: [{name: ada}]\n")
    code = main(["new", "host", "zeus", "--answers", str(answers), "--non-interactive",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "'zeus' as the argument but 'atlas'" in err
    assert not (tmp_path / "out").exists()


def test_a_host_name_argument_may_agree_with_a_set_that_overrides_the_file(tmp_path: Path) -> None:
    from scaffold.cli import main

    answers = tmp_path / "a.yaml"
    answers.write_text("hostname: atlas\nusers: [{name: ada}]\n")
    assert main(["new", "host", "vault", "--answers", str(answers), "--set", "hostname=vault",
                 "--non-interactive", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out/hosts/vault/configuration.nix").is_file()


WIPED_ROOT = (DOWN, DOWN, ENTER,                            # layout: btrfs
              CLEAR, "/dev/disk/by-id/nvme-X", ENTER,       # device
              ENTER, ENTER, "y")                            # encrypt, no swap, impermanence: yes


def test_a_keys_only_admin_on_a_wiped_root_is_asked_for_a_key_not_refused_a_name() -> None:
    given = answered(FLAKE_ANSWERS, drop=("disk", "services", "secrets", "users"))
    spec = run(
        given, *WIPED_ROOT,
        "y", "y",                 # networkmanager, SSH server: yes
        ENTER,                    # secrets: none
        "ops", ENTER,             # the name is taken: the key question can still fix it
        ENTER, ENTER,             # shell, full name
        ENTER,                    # no key: refused here, with the fix
        KEY, ENTER, ENTER,        # one key, then finish
        ENTER,                    # users: done
        ENTER,                    # write it
    )
    assert spec.users[0].name == "ops" and spec.users[0].ssh_keys == [KEY]
    assert spec.disk.impermanence and spec.services.openssh


def test_an_admin_without_a_key_on_a_wiped_root_is_offered_a_password_secret() -> None:
    given = answered(FLAKE_ANSWERS, drop=("disk", "services", "secrets", "users"))
    age = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    spec = run(
        given, *WIPED_ROOT,
        "y", "y",                        # networkmanager, SSH server: yes
        DOWN, ENTER, age, ENTER, ENTER,  # secrets: sops-nix, one admin key
        "ops", ENTER, ENTER, ENTER,      # name, shell, full name
        ENTER,                           # no key: the password question comes next
        ENTER,                           # password: secret, the one way left
        ENTER,                           # users: done
        ENTER,                           # write it
    )
    assert spec.users[0].password == "secret" and spec.users[0].ssh_keys == []


# What only the machine or the user can say is given (the kind of machine too, since the
# interview offers one where the spec's own default is a bare host); every other question
# is left to Enter.
LANE_GIVEN: dict[str, dict[str, Any]] = {
    "nixos-flake": {"timezone": "UTC", "machine": "laptop"},
    "nixos-channels": {"timezone": "UTC", "machine": "server"},
    "nixos-wsl": {"timezone": "UTC"},
    "darwin": {"system": "aarch64-darwin", "timezone": "Europe/London",
               "darwin": {"touch_id_sudo": False}},   # the interview suggests Touch ID on purpose
    "home-manager": {},
}


@pytest.mark.parametrize("lane", LANE_GIVEN)
def test_enter_at_every_question_gives_the_host_the_specs_own_defaults_give(
        lane: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from scaffold.answers import build_spec
    from scaffold.interview import Interview, Step
    from scaffold.render import render_host

    given = {"hostname": "h", "lane": lane, **LANE_GIVEN[lane]}
    shown: dict[str, Any] = {}

    def enter(self: Interview, step: Step) -> Any:
        shown[step.path] = self.preset(step.path)
        return "ada" if step.path == "users.0.name" else shown[step.path]

    monkeypatch.setattr(Interview, "ask", enter)
    walked = run(given, ENTER)   # and write it
    own = build_spec({**given, "users": [{"name": "ada"}]}, on=TODAY)

    def host(spec: HostSpec) -> dict[str, str]:
        # The answers file records every answer, so it is the one file allowed to differ.
        return {k: v for k, v in render_host(spec, on=TODAY).files.items()
                if not k.endswith(".copier-answers.yml")}

    assert host(walked) == host(own), f"the questions offered {shown}"
    if lane in ("nixos-flake", "nixos-channels"):
        # What the kind says, offered as such (a laptop roams, a server is wired).
        assert shown["services.networkmanager"] is (lane == "nixos-flake") is own.networkmanager


def test_removing_the_admin_never_makes_a_user_who_said_no_an_admin() -> None:
    given = answered(FLAKE_ANSWERS, drop=("users",))
    spec = run(
        given,
        "joerg", ENTER, ENTER, ENTER, ENTER,   # name, shell, full name, no SSH key
        DOWN, ENTER,                          # users: add another user
        "guest", ENTER,
        "n",                                  # admin: no
        ENTER, ENTER, ENTER,                  # shell, full name, no SSH key
        DOWN, DOWN, ENTER,                    # users: remove user 1 (joerg)
        "n",                                  # guest is asked again, and No is refused...
        "y",                                  # ...until someone is the admin
        ENTER,                                # back at the users menu: done
        ENTER,                                # write it
    )
    assert [(u.name, u.admin) for u in spec.users] == [("guest", True)]


def test_removing_the_first_of_given_users_does_not_promote_the_next_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scaffold.interview import Interview, Step

    asked: list[str] = []
    ask = Interview.ask

    def recorded(self: Interview, step: Step) -> Any:
        asked.append(step.path)
        return ask(self, step)

    monkeypatch.setattr(Interview, "ask", recorded)
    # From an answers file, only the first user is an admin (by position).
    given = answered(FLAKE_ANSWERS, users=[{"name": "ops"}, {"name": "bob"}, {"name": "bob"}])
    spec = run(
        given,
        ENTER,                          # 'users.2.name: listed twice'. Fix them? yes
        DOWN, DOWN, ENTER,              # users: remove user 1 (ops), the admin
        "y",                            # bob was no admin: asked, not promoted behind his back
        DOWN, DOWN, DOWN, ENTER,        # users: remove user 2 (bob), the duplicate
        ENTER,                          # users: done
        ENTER,                          # write it
    )
    assert [(u.name, u.admin) for u in spec.users] == [("bob", True)]
    assert asked == ["users", "users.0.admin", "users", "users"]


def test_the_disk_question_types_nothing_for_the_user() -> None:
    # The by-id prefix is a placeholder (and Tab types it: tests/test_terminal.py), never content.
    given = answered(FLAKE_ANSWERS, disk={"layout": "ext4", "encrypt": False, "swap_size": None})
    assert run(given, "/dev/disk/by-id/nvme-A", ENTER, ENTER).disk.device == "/dev/disk/by-id/nvme-A"
