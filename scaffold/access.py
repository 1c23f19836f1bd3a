"""How each admin gets into a NixOS host and up to root.

Root has no password after `nixos-install --no-root-passwd` or nixos-anywhere,
so the admins are the only way to rebuild the machine. Every admin needs a way
in and a way to root; where there is none, `access_problems()` refuses the
answers, and where the only way is passwordless sudo, the plan chooses it and
says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scaffold.errors import Problem

if TYPE_CHECKING:
    from scaffold.spec import HostSpec, User

__all__ = ["AccessPlan", "AdminAccess", "access_plan", "access_problems", "immutable_users"]

# Ways in, each a fact the rendered configuration shows:
#   password-secret  hashedPasswordFile from the secrets tool (console and SSH-less sudo)
#   ssh-key          authorized keys and sshd on
#   console-password a password set with `passwd` from the installer (README step)
#   wsl              wsl.exe starts a shell as the user, no password needed
# Ways to root:
#   sudo-password    sudo asks for the password the way in provides
#   sudo-nopasswd    keys only: no password exists, so sudo must not ask for one
#   wsl-sudo         NixOS-WSL makes wheel's sudo passwordless by default


@dataclass(frozen=True, slots=True)
class AdminAccess:
    user: str
    ways_in: tuple[str, ...]
    way_to_root: str


@dataclass(frozen=True, slots=True)
class AccessPlan:
    admins: tuple[AdminAccess, ...]
    lane: str = "nixos-flake"

    @property
    def keys_only(self) -> tuple[str, ...]:
        return tuple(a.user for a in self.admins if a.way_to_root == "sudo-nopasswd")

    @property
    def wheel_needs_password(self) -> bool:
        """False only when no admin has a password to give sudo."""
        return not (self.admins and all(a.way_to_root == "sudo-nopasswd" for a in self.admins))

    @property
    def nopasswd_rules(self) -> tuple[str, ...]:
        """Keys-only admins beside admins with passwords get a rule of their own."""
        return self.keys_only if self.wheel_needs_password else ()

    @property
    def channels(self) -> bool:
        return self.lane == "nixos-channels"

    def console_command(self, name: str) -> str:
        """How the admin's password is set: the channels lane switches a running NixOS,
        whose own admin can still use sudo; the others install from an installer."""
        if self.channels:
            return f"sudo passwd {name}"
        # As root: run as the installer's user, nixos-enter cannot write /mnt/etc/shadow.
        return f"sudo nixos-enter --root /mnt -c 'passwd {name}'"

    @property
    def console_password(self) -> tuple[str, ...]:
        """Admins who must set a password from the installer before the first boot."""
        return tuple(a.user for a in self.admins if a.ways_in == ("console-password",))


def _ssh(spec: HostSpec, user: User) -> bool:
    # Keys without sshd let nobody in.
    return bool(user.ssh_keys) and spec.openssh


def immutable_users(spec: HostSpec) -> bool:
    """users.mutableUsers = false: passwords come only from the configuration.

    Impermanence wipes /etc/shadow anyway; and when every password is a
    secret, the hash must be re-applied at every activation, not only when
    the account is first created. A password set with passwd does not last
    on such a host.
    """
    secrets = spec.secrets.tool != "none"
    return spec.disk.impermanence or (
        secrets and spec.is_nixos and all(u.password == "secret" for u in spec.users))


def _ways_in(spec: HostSpec, user: User) -> tuple[str, ...]:
    if spec.lane == "nixos-wsl":
        return ("wsl",)
    ways = []
    if user.password == "secret" and spec.secrets.tool != "none":
        ways.append("password-secret")
    if _ssh(spec, user):
        ways.append("ssh-key")
    if not ways and not immutable_users(spec):
        ways.append("console-password")
    return tuple(ways)


def access_plan(spec: HostSpec) -> AccessPlan | None:
    if not spec.is_nixos:
        return None
    admins = []
    for user in spec.admins:
        ways = _ways_in(spec, user)
        if spec.lane == "nixos-wsl":
            root = "wsl-sudo"
        elif "password-secret" in ways or "console-password" in ways:
            root = "sudo-password"
        else:
            root = "sudo-nopasswd"
        admins.append(AdminAccess(user.name, ways, root))
    return AccessPlan(tuple(admins), spec.lane)


def access_problems(spec: HostSpec) -> list[Problem]:
    plan = access_plan(spec)
    if plan is None:
        return []
    out = []
    for i, user in enumerate(spec.users):
        if not user.admin:
            continue
        ways = next(a.ways_in for a in plan.admins if a.user == user.name)
        if ways:
            continue
        # Named after the last question that can still fix it (a user's password
        # comes after their keys), so the interview asks it before refusing anything.
        secrets = spec.secrets.tool != "none"
        if user.ssh_keys and not spec.openssh:
            fix = "set services.openssh: true, or give them password: secret"
        elif spec.openssh or secrets:
            fix = "add an SSH key (with services.openssh: true) or password: secret"
        else:
            fix = ("add an SSH key and set services.openssh: true, "
                   "or set secrets.tool and give them password: secret")
        field = (f"users.{i}.password" if secrets else "services.openssh" if user.ssh_keys
                 else f"users.{i}.ssh_keys" if spec.openssh else "secrets.tool")
        why = ("impermanence wipes a password set with passwd" if spec.disk.impermanence
               else "users.mutableUsers is false, so passwd cannot set one")
        out.append(Problem(field, f"admin {user.name} would have no way to log in ({why})", fix))
    return out
