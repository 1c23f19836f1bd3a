"""The interview in a real terminal (tmux), end to end: keys in, a repository out."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_tool


class Tmux:
    def __init__(self, tmp: Path) -> None:
        self.socket = f"nixbtw-{os.getpid()}-{id(self)}"

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=True).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-J", "-t", "t")

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        pytest.fail(f"never saw {text!r}; the screen was:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        for key in keys:
            if key in ("Enter", "Down", "Space", "C-u", "C-c", "Escape", "Tab"):
                self.run("send-keys", "-t", "t", key)
            else:
                self.run("send-keys", "-t", "t", "-l", key)
            time.sleep(0.05)


def start(tmp_path: Path, out: Path, *args: str) -> Tmux:
    require_tool("tmux")
    home = tmp_path / "home"
    env = f"HOME={shlex.quote(str(home))} NIXBTW_TODAY=2026-11-25 GIT_CONFIG_GLOBAL=/dev/null"
    command = (f"{env} {shlex.quote(sys.executable)} -m scaffold.cli new host --out {shlex.quote(str(out))} "
               f"{shlex.join(args)}; echo EXIT=$?; sleep 30")
    tmux = Tmux(tmp_path)
    tmux.run("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", command)
    return tmux


def stop(tmux: Tmux) -> None:
    subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True, check=False)


@pytest.mark.tmux
def test_the_interview_in_a_real_terminal_writes_a_repository(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    tmux = start(tmp_path, out, "--set", "lane=nixos-wsl", "--set", "timezone=UTC",
                 "--set", "locale=en_US.UTF-8")
    try:
        assert "Esc goes back" in tmux.wait_for("Host name")
        tmux.keys("wsl-box", "Enter")
        tmux.wait_for("Platform")
        tmux.keys("Enter")                  # x86_64-linux
        tmux.wait_for("Nix implementation")
        tmux.keys("Enter")                  # nix
        tmux.wait_for("Release")
        tmux.keys("Enter")                  # newest stable
        tmux.wait_for("CPU vendor")
        tmux.keys("Enter")
        assert "(y/N)" in tmux.wait_for("NetworkManager?")   # off on WSL, and it says so
        tmux.keys("Enter")
        tmux.wait_for("SSH server")
        tmux.keys("Enter")                  # no
        tmux.wait_for("Secrets")
        tmux.keys("Enter")                  # none
        tmux.wait_for("login name")
        tmux.keys("ada", "Enter")
        tmux.wait_for("Login shell")
        tmux.keys("Escape")                 # back to the name, which is kept
        tmux.wait_for("(login shell)\n? User 1 login name:  (login name (POSIX)) ada")
        tmux.keys("Enter")
        tmux.wait_for("Login shell")
        tmux.keys("Enter")
        tmux.wait_for("Full name")
        tmux.keys("Ada Lovelace", "Enter")
        tmux.wait_for("SSH public key")
        tmux.keys("Enter")
        tmux.wait_for("Users: ada (admin)")
        tmux.keys("Enter")                  # done
        tmux.wait_for("home-manager")
        tmux.keys("Enter")
        tmux.wait_for("System packages")
        tmux.keys("Enter")
        tmux.wait_for("Unfree")
        tmux.keys("Enter")
        tmux.wait_for("Insecure")
        tmux.keys("Enter")
        screen = tmux.wait_for("Write it?")
        assert "hostname: wsl-box" in screen
        assert not out.exists()            # nothing before the confirmation
        tmux.keys("Enter")
        tmux.wait_for("EXIT=0")
    finally:
        stop(tmux)
    config = (out / "hosts/wsl-box/configuration.nix").read_text()
    assert 'wsl.defaultUser = "ada";' in config
    assert 'description = "Ada Lovelace";' in config


@pytest.mark.tmux
def test_a_refused_summary_is_fixed_in_place_by_removing_the_duplicate_user(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "hostname: relay\nlane: nixos-wsl\nsystem: x86_64-linux\nnix: nix\nrelease: '26.05'\n"
        "timezone: UTC\nlocale: en_US.UTF-8\nhardware: {cpu: intel}\n"
        "services: {openssh: false, networkmanager: false}\nsecrets: {tool: none}\n"
        "home_manager: {mode: none}\npackages: {system: [git], unfree: [], insecure: []}\n"
        "users: [{name: ops, admin: true}, {name: ops}]\n")
    out = tmp_path / "repo"
    tmux = start(tmp_path, out, "--answers", str(answers))
    try:
        screen = tmux.wait_for("Fix them?")
        assert "users.1.name: 'ops' is listed twice" in screen
        tmux.keys("Enter")
        tmux.wait_for("remove user 2 (ops)")
        tmux.keys("Down", "Down", "Down", "Enter")   # remove user 2
        tmux.wait_for("Users: ops (admin) (Use arrow keys)")
        tmux.keys("Enter")                           # done
        screen = tmux.wait_for("Write it?")
        assert "hostname: relay" in screen
        tmux.keys("Enter")
        tmux.wait_for("EXIT=0")
    finally:
        stop(tmux)
    recorded = yaml.safe_load((out / "hosts/relay/.copier-answers.yml").read_text())
    assert [u["name"] for u in recorded["users"]] == ["ops"]


KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW me@x"
# The questions of a NixOS flake host up to the desktop, each taken at its default.
BEFORE_THE_DESKTOP = ["What are you setting up?", "Platform", "What kind of machine", "Nix implementation",
                      "Release", "Time zone", "Default locale", "Firmware", "Boot loader",
                      "nixos-hardware profile", "CPU vendor", "GPUs", "Kernel", "Disk layout"]


def answer(tmux: Tmux, steps: list[tuple[str, tuple[str, ...]]]) -> None:
    for prompt, keys in steps:
        tmux.wait_for(prompt)
        tmux.keys(*(keys or ("Enter",)))


@pytest.mark.tmux
def test_a_gnome_laptop_from_the_defaults_with_only_a_name_and_a_user(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    tmux = start(tmp_path, out)
    try:
        answer(tmux, [("Host name", ("lap", "Enter")), *((p, ()) for p in BEFORE_THE_DESKTOP),
                      ("Desktop:", ()), ("Sound (PipeWire)?", ()), ("Bluetooth?", ()),
                      ("Printing", ()), ("Gaming (Steam)?", ()), ("NetworkManager?", ()),
                      ("SSH server", ()), ("Secrets", ()),
                      ("login name", ("ada", "Enter")), ("Login shell", ()), ("Full name", ()),
                      ("SSH public key", ()), ("Users: ada (admin)", ()), ("home-manager", ()),
                      ("System packages", ()), ("Unfree", ()), ("Insecure", ())])
        screen = tmux.wait_for("Write it?")
        assert "machine: laptop" in screen and "desktop: gnome" in screen
        tmux.keys("Enter")
        tmux.wait_for("EXIT=0")
    finally:
        stop(tmux)
    config = (out / "hosts/lap/configuration.nix").read_text()
    for line in ("services.desktopManager.gnome.enable = true;", "services.pipewire = {",
                 "hardware.bluetooth.enable = true;", "services.fwupd.enable = true;",
                 "services.power-profiles-daemon.enable = true;"):
        assert line in config


@pytest.mark.tmux
def test_a_keys_only_server_from_the_defaults_with_only_a_name_and_a_user(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    tmux = start(tmp_path, out)
    steps: list[tuple[str, tuple[str, ...]]] = [(p, ()) for p in BEFORE_THE_DESKTOP]
    steps[2] = ("What kind of machine", ("Down", "Down", "Enter"))    # laptop, desktop, server
    try:
        # No desktop, sound, Bluetooth or gaming question: a server has no use for them.
        answer(tmux, [("Host name", ("vault", "Enter")), *steps,
                      ("Printing", ()), ("NetworkManager?", ()), ("SSH server", ()),
                      ("Secrets", ()), ("login name", ("ada", "Enter")), ("Login shell", ()),
                      ("Full name", ()), ("SSH public key", (KEY, "Enter")),
                      ("SSH public key", ("Enter",)), ("Users: ada (admin)", ()),
                      ("home-manager", ()), ("System packages", ()), ("Unfree", ()), ("Insecure", ())])
        screen = tmux.wait_for("Write it?")
        assert "machine: server" in screen and "Desktop:" not in screen
        tmux.keys("Enter")
        tmux.wait_for("EXIT=0")
    finally:
        stop(tmux)
    config = (out / "hosts/vault/configuration.nix").read_text()
    assert "PasswordAuthentication = false;" in config
    assert "security.sudo.wheelNeedsPassword = false;" in config
    assert "displayManager" not in config


WIPED_ROOT_HOST = ["--set", "lane=nixos-flake", "--set", "system=x86_64-linux", "--set", "machine=server",
                   "--set", "printing=false", "--set", "disk.snapshots=false", "--set", "nix=nix",
                   "--set", "release=26.05", "--set", "timezone=UTC", "--set", "locale=en_US.UTF-8",
                   "--set", "boot.firmware=uefi", "--set", "boot.loader=systemd-boot",
                   "--set", "hardware.profile=null", "--set", "hardware.cpu=amd", "--set", "hardware.gpu=[]",
                   "--set", "hardware.kernel=default", "--set", "services.networkmanager=true",
                   "--set", "home_manager.mode=none", "--set", "packages.system=[git]",
                   "--set", "packages.unfree=[]", "--set", "packages.insecure=[]",
                   "--set", "disk.encrypt=false", "--set", "disk.swap_size=null"]


@pytest.mark.tmux
def test_a_keys_only_admin_on_a_wiped_root_gets_to_the_key_question(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    tmux = start(tmp_path, out, "vault", *WIPED_ROOT_HOST, "--set", "disk.layout=btrfs",
                 "--set", "disk.device=/dev/disk/by-id/nvme-X")
    try:
        tmux.wait_for("impermanence")
        tmux.keys("y")
        tmux.wait_for("SSH server")
        tmux.keys("y")
        tmux.wait_for("Secrets")
        tmux.keys("Enter")                  # none
        tmux.wait_for("login name")
        tmux.keys("ops", "Enter")           # taken: the key question can still fix it
        tmux.wait_for("Login shell")
        tmux.keys("Enter")
        tmux.wait_for("Full name")
        tmux.keys("Enter")
        tmux.wait_for("SSH public key")
        tmux.keys("Enter")                  # no key: refused here, with the fix
        screen = tmux.wait_for("users.0.ssh_keys: admin ops would have no way to log in")
        assert "add an SSH key" in " ".join(screen.replace("\n!", " ").split())   # however it wraps
        tmux.keys(KEY, "Enter")
        tmux.wait_for("me@x\n? SSH public key")
        tmux.keys("Enter")                  # one key is enough
        tmux.wait_for("Users: ops (admin)")
        tmux.keys("Enter")
        tmux.wait_for("Write it?")
        tmux.keys("Enter")
        tmux.wait_for("EXIT=0")
    finally:
        stop(tmux)
    recorded = yaml.safe_load((out / "hosts/vault/.copier-answers.yml").read_text())
    assert recorded["users"][0]["ssh_keys"] == [KEY]


@pytest.mark.tmux
def test_the_disk_question_shows_the_by_id_prefix_and_tab_types_it(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    tmux = start(tmp_path, out, "vault", *WIPED_ROOT_HOST, "--set", "disk.layout=ext4",
                 "--set", "disk.impermanence=false", "--set", "services.openssh=false",
                 "--set", "secrets.tool=none", "--set", "users.0.name=ops")
    try:
        screen = tmux.wait_for("Disk to format")
        assert "Tab types /dev/disk/by-id/) /dev/disk/by-id/" in screen   # shown, in grey, not typed
        tmux.keys("Tab", "nvme-A", "Enter")   # without the Tab, nvme-A alone is no device path
        tmux.wait_for("Write it?")
        tmux.keys("Enter")
        tmux.wait_for("EXIT=0")
    finally:
        stop(tmux)
    recorded = yaml.safe_load((out / "hosts/vault/.copier-answers.yml").read_text())
    assert recorded["disk"]["device"] == "/dev/disk/by-id/nvme-A"
