"""What a host decrypts, with which identity, from which files.

The host template, `nixbtw bootstrap` and the README all read this one plan, so
the key the host decrypts with is the key bootstrap installs and checks for.
"""

from __future__ import annotations

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
    identity: str                        # the host's SSH key on the target
    # sshd off: the key is still generated (services.openssh.generateHostKeys),
    # but only at boot, after the first activation: bootstrap must install it.
    generate_host_key: bool
    passwords: tuple[PasswordSecret, ...]
    files: tuple[str, ...]               # encrypted files the host reads, relative to the repo


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
    passwords = tuple(_passwords(spec))
    files = ((f"secrets/{spec.hostname}.yaml",) if spec.secrets.tool == "sops-nix"
             else tuple(p.file for p in passwords))
    return SecretsPlan(tool=spec.secrets.tool, identity=host_key(spec),
                       generate_host_key=not spec.openssh, passwords=passwords, files=files)
