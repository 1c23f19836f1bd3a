"""Where deploy-rs reaches a host, and whether it can get to root there.

deploy-rs connects as `deploy.target`'s user, copies the closure, and
activates as root through sudo, waiting for a second connection to confirm
the new generation (magic rollback): a generation that cuts SSH rolls itself
back. So the user must be an admin who can log in with a key, and Nix on the
host must trust them to import unsigned paths (`trusted-users`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scaffold.access import access_plan
from scaffold.errors import Problem
from scaffold.target import split_target

if TYPE_CHECKING:
    from scaffold.spec import HostSpec

__all__ = ["DeployNode", "deploy_node", "deploy_problems"]

# Lanes whose systems deploy-rs activates (lib.activate.nixos / .darwin).
DEPLOYABLE = ("nixos-flake", "nixos-wsl", "darwin")


@dataclass(frozen=True, slots=True)
class DeployNode:
    name: str
    kind: str  # "nixos" or "darwin": deploy.nix's activation wrapper (lib.activate.<kind>)
    system: str
    hostname: str
    ssh_user: str
    ssh_port: int | None
    # sudo asks for a password: deploy-rs must prompt for it (interactiveSudo).
    interactive_sudo: bool
    remote_build: bool
    tags: tuple[str, ...]
    # deploy-rs waits 240 s for activation; Homebrew bundles can take longer.
    activation_timeout: int | None = None


def _sudo_asks(spec: HostSpec, user: str) -> bool:
    if spec.lane == "darwin":
        # macOS's sudo asks for the account password (Touch ID does not reach SSH).
        return True
    plan = access_plan(spec)
    admin = next((a for a in plan.admins if a.user == user), None) if plan else None
    return admin is None or admin.way_to_root == "sudo-password"


def deploy_node(spec: HostSpec) -> DeployNode | None:
    """The host's deploy-rs node, or None when it has no deploy target."""
    target = spec.deploy.target
    if target is None or spec.lane not in DEPLOYABLE:
        return None
    user, address = split_target(target)
    return DeployNode(
        name=spec.hostname, kind="darwin" if spec.lane == "darwin" else "nixos", system=spec.system,
        hostname=address, ssh_user=user, ssh_port=spec.deploy.ssh_port,
        interactive_sudo=_sudo_asks(spec, user), remote_build=spec.deploy.remote_build,
        tags=tuple(spec.deploy.tags),
        activation_timeout=900 if spec.lane == "darwin" and spec.darwin.homebrew.enable else None)


def deploy_problems(spec: HostSpec) -> list[Problem]:
    d = spec.deploy
    out: list[Problem] = []
    if d.target is None:
        for field, given in {"deploy.ssh_port": d.ssh_port is not None, "deploy.tags": bool(d.tags),
                             "deploy.remote_build": d.remote_build}.items():
            if given:
                out.append(Problem(field, "it needs deploy.target", "set deploy.target: admin@<address>, "
                                   "or remove it"))
        return out
    if spec.lane == "nixos-channels":
        return [Problem("deploy.target", "a channels host is not a flake output, and deploy-rs deploys "
                        "flakes", "use lane nixos-flake, or remove the deploy section")]
    if spec.lane == "home-manager":
        return [Problem("deploy.target", "nixbtw deploys systems; a home-manager host is switched by "
                        "its user on the machine (home-manager switch --flake)",
                        "remove the deploy section")]
    user, _ = split_target(d.target)
    names = [u.name for u in spec.users]
    admins = [u.name for u in spec.admins] or names
    example = f"{admins[0]}@{split_target(d.target)[1]}"
    if user == "root":
        why = ("nixbtw's sshd refuses root logins (PermitRootLogin no)" if spec.lane != "darwin"
               else "macOS refuses root logins over SSH")
        return [Problem("deploy.target", f"{why}; deploy-rs logs in as an admin and uses sudo",
                        f"deploy as an admin, e.g. deploy.target: {example}")]
    if user not in names:
        return [Problem("deploy.target", f"{user} is not a user of {spec.hostname}",
                        f"use one of its admins, e.g. deploy.target: {example}")]
    if user not in [u.name for u in spec.admins]:
        return [Problem("deploy.target", f"{user} is not an admin, so deploy-rs could not activate "
                        "as root", f"make {user} an admin, or use deploy.target: {example}")]
    if spec.lane == "darwin" and d.ssh_port not in (None, 22):
        out.append(Problem("deploy.ssh_port", "macOS's Remote Login listens on 22, and nix-darwin has "
                           "no option to move it", "remove deploy.ssh_port (or set it to 22)"))
    if spec.is_nixos:
        i = names.index(user)
        if not spec.openssh:
            out.append(Problem("services.openssh", "deploy-rs connects over SSH, and sshd is off",
                               "set services.openssh: true"))
        elif not spec.users[i].ssh_keys:
            out.append(Problem(f"users.{i}.ssh_keys", f"sshd takes keys only, and {user} has none, "
                               "so deploy-rs could not log in", f"add {user}'s SSH public key"))
    return out
