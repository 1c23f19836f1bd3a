"""Refresh scaffold/data/nixos-hardware-profiles.txt from a nixos-hardware checkout.

    git clone https://github.com/NixOS/nixos-hardware /tmp/nixos-hardware
    .venv/bin/python scripts/refresh_hardware_profiles.py /tmp/nixos-hardware

Reads the names of flake.nix's `nixosModules` with the Nix parser nixbtw uses
(no evaluation needed) and records the commit in the file's first line.
Modules that only `throw` (removed ones) are left out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scaffold.nixparse import module_settings  # noqa: E402

TARGET = ROOT / "scaffold" / "data" / "nixos-hardware-profiles.txt"


def profile_names(flake: bytes) -> list[str]:
    names = set()
    for setting in module_settings(flake):
        path = setting.path
        if "nixosModules" in path:
            rest = path[path.index("nixosModules") + 1:]
            value = (setting.node.text or b"").decode()
            if len(rest) == 1 and "throw" not in value:
                names.add(rest[0])
    return sorted(names, key=lambda n: n.encode())


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    checkout = Path(sys.argv[1])
    names = profile_names((checkout / "flake.nix").read_bytes())
    head = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h %cs"],
                          capture_output=True, text=True, check=True).stdout.split()
    TARGET.write_text(f"# nixos-hardware master@{head[0]} ({head[1]}) flake.nix nixosModules\n"
                      + "\n".join(names) + "\n")
    print(f"{len(names)} profiles written to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
