"""What a host decrypts, with which identity, from which files.

The host template, `nixbtw bootstrap` and the README all read this one plan, so
the key the host decrypts with is the key bootstrap installs and checks for.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scaffold.spec import HostSpec

__all__ = ["HOST_KEY", "PERSIST", "PasswordSecret", "SecretsPlan", "host_key", "secrets_plan"]

HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"
PERSIST = "/persist"


@dataclass(frozen=True, slots=True)
class PasswordSecret:
    user: str
    name: str      # the secret's name in the secrets tool
    file: str      # agenix: the encrypted file, relative to the repo


@dataclass(frozen=True, slots=True)
class SecretsPlan:
    tool: str                            # sops-nix | agenix
    identity: str                        # the host's SSH key on the target, or an age key file
    # sshd off: the key is still generated (services.openssh.generateHostKeys),
    # but only at boot, after the first activation: bootstrap must install it.
    generate_host_key: bool
    passwords: tuple[PasswordSecret, ...]
    files: tuple[str, ...]               # encrypted files the host reads, relative to the repo
    # The identity is an age key file (darwin's secrets.age_key_file), not an SSH key.
    key_file: bool = False
    # A commented secret the host file shows and its README walks through: on
    # darwin no password secret shows the way.
    example: str = ""

    @property
    def identity_sh(self) -> str:
        """The identity's path as one shell word, for the README's commands."""
        return shlex.quote(self.identity)

    @property
    def identity_dir_sh(self) -> str:
        """The folder of the identity, as one shell word (age-keygen -o does not create it)."""
        return shlex.quote(self.identity.rsplit("/", 1)[0] or "/")

    @property
    def identity_in_home(self) -> bool:
        """Under a home folder: the user makes it; elsewhere it takes sudo."""
        return self.identity.startswith(("/Users/", "/home/"))


def host_key(spec: HostSpec) -> str:
    """The SSH host key on the target: under /persist with impermanence, which wipes /etc."""
    return (PERSIST if spec.disk.impermanence else "") + HOST_KEY


def _passwords(spec: HostSpec) -> list[PasswordSecret]:
    out = []
    for u in spec.users:
        if u.password != "secret":
            continue
        if spec.secrets.tool == "sops-nix":
            out.append(PasswordSecret(u.name, f"users/{u.name}/hashed-password", ""))
        else:
            name = f"{spec.hostname}-{u.name}-password"
            out.append(PasswordSecret(u.name, name, f"secrets/{name}.age"))
    return out


def secrets_plan(spec: HostSpec) -> SecretsPlan | None:
    if spec.secrets.tool == "none":
        return None
    if spec.lane == "darwin":
        return _darwin_plan(spec)
    passwords = tuple(_passwords(spec))
    files = ((f"secrets/{spec.hostname}.yaml",) if spec.secrets.tool == "sops-nix"
             else tuple(p.file for p in passwords))
    return SecretsPlan(tool=spec.secrets.tool, identity=host_key(spec),
                       generate_host_key=not spec.openssh, passwords=passwords, files=files)


def _darwin_plan(spec: HostSpec) -> SecretsPlan:
    """A Mac: files and services only, since nix-darwin cannot set a macOS password.

    macOS keeps its SSH host key where both tools' darwin modules look by
    default; it exists once Remote Login has run or `ssh-keygen -A` made it.
    """
    key_file = spec.secrets.age_key_file
    if spec.secrets.tool == "sops-nix":
        files: tuple[str, ...] = (f"secrets/{spec.hostname}.yaml",)
        example = "example"
    else:
        files = ()
        example = f"{spec.hostname}-example"
    return SecretsPlan(tool=spec.secrets.tool, identity=key_file or HOST_KEY,
                       generate_host_key=False, passwords=(), files=files,
                       key_file=key_file is not None, example=example)
