"""nixos-hardware profile names (data/nixos-hardware-profiles.txt).

Refresh the list from nixos-hardware's flake.nix `nixosModules` when its
master moves; the file's first line records the commit it was read at.
"""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def names() -> list[str]:
    text = resources.files("scaffold.data").joinpath("nixos-hardware-profiles.txt").read_text()
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


def source() -> str:
    text = resources.files("scaffold.data").joinpath("nixos-hardware-profiles.txt").read_text()
    return text.splitlines()[0].lstrip("# ").strip()
