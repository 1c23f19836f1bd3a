"""What a host's VM test (hosts/<name>/vm-test.nix) holds the booted machine to.

The test is the proof that the answers produce a machine an admin can get
into: it boots the host's own configuration in QEMU and tries each way in
that the access plan promises. Everything here is derived from the plan, so
the test and the configuration cannot disagree about who gets in how.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scaffold.access import AccessPlan
    from scaffold.spec import HostSpec

__all__ = ["TEST_PASSWORD", "VmAdmin", "has_vm_test", "vm_admins"]

# The password the test gives every admin who has one. It only ever exists in
# the test VM, so it is a constant, not a secret.
TEST_PASSWORD = "nixbtw-vm-test"


@dataclass(frozen=True, slots=True)
class VmAdmin:
    user: str
    # Logs in with the test's own SSH key (sshd is on and the admin has keys).
    ssh: bool
    # Has no password in the configuration: the test sets one the way the
    # README tells the user to, before trying sudo with it.
    console_password: bool
    # "nopasswd" (keys only) or "password" (sudo asks for the password).
    sudo: str


def has_vm_test(spec: HostSpec) -> bool:
    """Only flake NixOS hosts boot in QEMU; NixOS-WSL boots from Windows, channels have no flake."""
    return spec.lane == "nixos-flake"


def vm_admins(access: AccessPlan | None) -> tuple[VmAdmin, ...]:
    if access is None:
        return ()
    return tuple(
        VmAdmin(user=a.user, ssh="ssh-key" in a.ways_in,
                console_password="console-password" in a.ways_in,
                sudo="nopasswd" if a.way_to_root == "sudo-nopasswd" else "password")
        for a in access.admins)
