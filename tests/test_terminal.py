"""The interview in a real terminal (tmux), end to end: keys in, a repository out."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
            if key in ("Enter", "Down", "Space", "C-u", "C-c"):
                self.run("send-keys", "-t", "t", key)
            else:
                self.run("send-keys", "-t", "t", "-l", key)
            time.sleep(0.05)


@pytest.mark.tmux
def test_the_interview_in_a_real_terminal_writes_a_repository(tmp_path: Path) -> None:
    require_tool("tmux")
    out, home = tmp_path / "repo", tmp_path / "home"
    env = f"HOME={shlex.quote(str(home))} NIXBTW_TODAY=2026-11-25 GIT_CONFIG_GLOBAL=/dev/null"
    command = (f"{env} {shlex.quote(sys.executable)} -m scaffold.cli new host --out {shlex.quote(str(out))}"
               f" --set lane=nixos-wsl --set timezone=UTC --set locale=en_US.UTF-8; echo EXIT=$?; sleep 30")
    tmux = Tmux(tmp_path)
    tmux.run("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", command)
    try:
        tmux.wait_for("Host name")
        tmux.keys("wsl-box", "Enter")
        tmux.wait_for("Platform")
        tmux.keys("Enter")                  # x86_64-linux
        tmux.wait_for("Nix implementation")
        tmux.keys("Enter")                  # nix
        tmux.wait_for("Release")
        tmux.keys("Enter")                  # newest stable
        tmux.wait_for("CPU vendor")
        tmux.keys("Enter")
        tmux.wait_for("SSH server")
        tmux.keys("Enter")                  # no
        tmux.wait_for("Secrets")
        tmux.keys("Enter")                  # none
        tmux.wait_for("login name")
        tmux.keys("ada", "Enter")
        tmux.wait_for("Admin")
        tmux.keys("Enter")                  # yes
        tmux.wait_for("Login shell")
        tmux.keys("Enter")
        tmux.wait_for("Full name")
        tmux.keys("Ada Lovelace", "Enter")
        tmux.wait_for("SSH public key")
        tmux.keys("Enter")
        tmux.wait_for("Add another user")
        tmux.keys("Enter")
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
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True, check=False)
    config = (out / "hosts/wsl-box/configuration.nix").read_text()
    assert 'wsl.defaultUser = "ada";' in config
    assert 'description = "Ada Lovelace";' in config
