"""nixbtw bootstrap: install a host of the repository with nixos-anywhere.

Only argparse at import time: `nixbtw --help` must stay cheap.
"""

from __future__ import annotations

import argparse
import os
import sys

# typing costs a few milliseconds that `nixbtw --help` should not pay.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

DISK_KEY_ENV = "NIXBTW_DISK_KEY_FILE"


def add_parser(sub: argparse._SubParsersAction[Any]) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "bootstrap", help="install a host on a machine with nixos-anywhere",
        description="Install HOST of this repository on the machine at --target with "
        "nixos-anywhere: a fresh SSH host key (never stored here) goes to the machine, its "
        "public half to the secrets tool, and the disk is formatted with the host's disko.nix. "
        "It refuses to install until every secret the host reads is encrypted for that key.",
        epilog="example: nixbtw bootstrap frame --target root@192.168.1.20 --disk-key ./disk.key",
    )
    p.add_argument("host", metavar="HOST", help="a host of the repository (hosts/HOST)")
    p.add_argument("--target", metavar="USER@ADDRESS", required=True,
                   help="the machine, booted into a NixOS installer or any Linux with SSH")
    p.add_argument("--ssh-port", type=int, metavar="PORT", help="SSH port of the target (default 22)")
    p.add_argument("--repo", metavar="DIR", default=".", help="the repository (default: .)")
    p.add_argument("--disk-key", metavar="FILE",
                   help=f"the disk passphrase, for an encrypted layout (or {DISK_KEY_ENV}=FILE)")
    p.add_argument("--host-key", metavar="FILE",
                   help="reuse this host key (the one an earlier run kept when it refused to "
                   "install) instead of generating one")
    p.add_argument("--facter", metavar="REPORT",
                   help="a nixos-facter report of the machine: warn where the answers disagree")
    p.add_argument("--print", dest="print_only", action="store_true",
                   help="print the nixos-anywhere command instead of running it")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    return p


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from scaffold.answers import today
    from scaffold.bootstrap import bootstrap

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result = bootstrap(Path(args.repo).expanduser(), args.host, target=args.target, on=today(),
                       ssh_port=args.ssh_port,
                       disk_key=args.disk_key or os.environ.get(DISK_KEY_ENV) or None,
                       facter_report=Path(args.facter).expanduser() if args.facter else None,
                       existing_key=Path(args.host_key).expanduser().absolute() if args.host_key else None,
                       print_only=args.print_only, say=say)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    elif args.print_only:
        print(result.command_line())
    if args.print_only:
        _explain(result.install.host, result.install.keys_dir, result.install.host_key, say)
        return 0
    host = result.install.host
    say(f"nixbtw: {host} is installed; commit what changed:")
    say(f"  git add {' '.join([result.install.hardware_file.removeprefix('./'), *result.edited])} "
        f"&& git commit -m '{host}: installed'")
    return 0


def _explain(host: str, keys: Path, rel: str, say: Callable[[str], None]) -> None:
    key = keys / rel
    say("before running it, give the host its SSH key where --extra-files reads it "
        "(nixbtw bootstrap without --print does all of this):")
    say(f"  mkdir -m 700 {keys} && install -d -m 755 {key.parent}")
    say(f"  ssh-keygen -t ed25519 -N '' -C root@{host} -f {key}")
    say(f"then add {key}.pub to the secrets tool (see hosts/{host}/README.md), and afterwards "
        f"rm -rf {keys}")
