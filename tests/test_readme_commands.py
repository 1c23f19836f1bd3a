"""Every command a generated README tells the user to run is real, and pinned.

The table below is what nixbtw knows to exist: each program and the flags
(or subcommands) the READMEs may use with it, read from the tools' sources at
the versions nixpkgs 26.05 ships (nixos-anywhere 1.13.0, sops 3.13.2, disko
1.13.0, age 1.3.1, ssh-to-age 1.3.0; agenix's CLI from its flake). A README
that grows a command or a flag outside it fails here until someone checks it.
"""

from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import all_files, example_names, render_example

KNOWN: dict[str, set[str]] = {
    # The repository's tools (from its dev shell)
    "nixos-anywhere": {"--flake", "--generate-hardware-config", "--extra-files",
                       "--disk-encryption-keys", "--phases", "-p", "--target-host"},
    "disko": {"--mode"},
    "sops": {"updatekeys", "-y"},
    "ssh-to-age": set(),
    "age-keygen": {"-o", "-y"},
    "agenix": {"-e", "-r", "-d", "-i"},
    "mkpasswd": {"-m"},
    "deploy": {"--skip-checks", "--targets", "--magic-rollback", "-s", "--ssh-opts", "--hostname"},
    # Nix, NixOS and the installer
    "nix": {"develop", "flake", "lock", "check", "build", "run", "fmt", "-c", "--",
            "--extra-experimental-features"},
    "nixos-generate-config": {"--root", "--show-hardware-config", "--no-filesystems"},
    "nixos-install": {"--no-root-passwd", "--flake"},
    "nixos-enter": {"--root", "-c"},
    "nixos-rebuild": {"boot", "switch", "--flake"},
    "nix-channel": {"--add", "--update"},
    "zpool": {"export", "-a"},
    "wsl": {"-d", "-t", "--user", "--install", "--from-file", "--"},
    # Everyday shell
    "git": {"add", "commit", "-A", "-m"},
    "ssh-keygen": {"-t", "-N", "-C", "-f", "-A"},
    "install": {"-d", "-m", "-D", "-o", "-g"},
    "passwd": set(), "ssh": {"-t"}, "reboot": set(), "chsh": {"-s"},
    "cp": {"-a"}, "mkdir": {"-p", "-m"}, "umount": {"-R"}, "swapoff": {"-a"}, "rm": {"-rf"}, "grep": {"-F"},
    "./result/activate": set(),
    "cat": set(), "cd": set(), "echo": set(), "printf": set(), "umask": set(), "read": {"-rs"},
}
FLOATING = re.compile(r"nix (?:run|shell|profile install) (?:nixpkgs#|github:)|github:[\w-]+/[\w-]+(?!\S*\.git)")
SPLIT = re.compile(r"&&|\|\||[|;()]")


def shell_blocks(markdown: str) -> list[str]:
    """The ```sh blocks of a README, continuation lines joined."""
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```", markdown, re.S | re.M)
    return [block.replace("\\\n", " ") for block in blocks]


def commands(block: str) -> list[list[str]]:
    """Each simple command as argv: sudo, `nix develop [DIR] -c`, redirections and `x=$(...)` unwrapped."""
    out = []
    for line in block.splitlines():
        line = line.split(" # ")[0].strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"\$\((.*?)\)", r"; \1 ;", line)  # a command substitution is a command
        for part in SPLIT.split(line):
            argv = shlex.split(re.sub(r"\s[<>]\s*\S+", " ", part))
            while argv and (argv[0] == "sudo" or re.fullmatch(r"\w+=", argv[0])):
                argv = argv[1:]
            if argv[:2] == ["nix", "develop"] and "-c" in argv:
                argv = argv[argv.index("-c") + 1:]
            if argv and argv[0] == "ssh":  # ssh [-t] TARGET COMMAND...: the command is checked too
                i = 1
                while i < len(argv) and argv[i].startswith("-"):
                    i += 1
                out.append(argv[:i])
                argv = argv[i + 1:]
            if argv:
                out.append(argv)
    return out


def readmes() -> list[tuple[str, str]]:
    return [(f"{name}/{rel}", text) for name in example_names()
            for rel, text in all_files(render_example(name)).items() if rel.endswith("README.md")]


@pytest.mark.parametrize(("where", "text"), readmes(), ids=lambda v: v if "/" in v else "")
def test_every_command_and_flag_in_a_readme_is_one_nixbtw_knows(where: str, text: str) -> None:
    unknown = []
    for block in shell_blocks(text):
        for argv in commands(block):
            program, words = argv[0], argv[1:]
            if "--" in words and program in ("nix", "wsl"):  # what follows is another program's
                words = words[:words.index("--")]
            if program not in KNOWN:
                unknown.append(shlex.join(argv))
                continue
            allowed = KNOWN[program]
            bad = [w for w in words if w.startswith("-") and w.split("=")[0] not in allowed]
            # A subcommand, unless the first word is a file (`sops secrets/x.yaml` edits it).
            bad += [w for w in words[:1] if program in ("git", "sops", "zpool", "nix")
                    and w not in allowed and "/" not in w]
            unknown += [f"{program} {w}" for w in bad]
    assert unknown == []


@pytest.mark.parametrize(("where", "text"), readmes(), ids=lambda v: v if "/" in v else "")
def test_no_readme_runs_a_tool_outside_the_lock(where: str, text: str) -> None:
    assert FLOATING.findall(text) == []


def test_the_command_reader_sees_through_wrappers_and_pipes() -> None:
    block = ('key=$(nix develop -c ssh-to-age < /tmp/k.pub) && grep -F "recipient: $key" s.yaml\n'
             "nix develop .. -c mkpasswd -m yescrypt | nix develop .. -c agenix -e x.age\n"
             "sudo nix develop -c disko --mode destroy,format,mount d.nix \\\n  # comment\n")
    assert commands(shell_blocks(f"```sh\n{block}```\n")[0]) == [
        ["ssh-to-age"], ["grep", "-F", "recipient: $key", "s.yaml"],
        ["mkpasswd", "-m", "yescrypt"], ["agenix", "-e", "x.age"],
        ["disko", "--mode", "destroy,format,mount", "d.nix"]]
    assert FLOATING.findall("nix run nixpkgs#ssh-to-age and nix run github:ryantm/agenix")
