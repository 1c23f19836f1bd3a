"""USER@ADDRESS: where nixos-anywhere installs and deploy-rs deploys.

One spelling for both, checked before anything reaches a command line: no
spaces, options or shell characters can ride in on an address.
"""

from __future__ import annotations

import re

__all__ = ["TARGET", "split_target"]

_USER = r"[A-Za-z_][A-Za-z0-9_.-]*"
_ADDRESS = r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[A-Za-z0-9]+)?"
TARGET = re.compile(rf"(?:{_USER})@(?:{_ADDRESS})")


def split_target(target: str) -> tuple[str, str]:
    """(user, address) of a target TARGET matched."""
    user, _, address = target.partition("@")
    return user, address
