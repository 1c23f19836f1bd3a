"""nixbtw deploy: the repository's hosts through deploy-rs.

Only argparse at import time: `nixbtw --help` must stay cheap.
"""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def add_parser(sub: argparse._SubParsersAction[Any]) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "deploy", help="deploy hosts with deploy-rs (rollback when a host loses the connection)",
        description="Deploy hosts of this repository with deploy-rs: by name, by tag, or every "
        "host with a deploy target. A host rolls back by itself when its new generation fails or "
        "cuts the SSH connection. Refuses a host whose hardware file is still the placeholder, "
        "whose secrets its host key cannot decrypt, or whose deploy.nix node is not written yet.",
        epilog="example: nixbtw deploy --tag web --dry-run",
    )
    p.add_argument("hosts", nargs="*", metavar="HOST", help="hosts to deploy (default: every host "
                   "with deploy.target)")
    p.add_argument("--tag", dest="tags", metavar="TAG", action="append", default=[],
                   help="also deploy every host with this tag (repeatable)")
    p.add_argument("--repo", metavar="DIR", default=".", help="the repository (default: .)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the deploy-rs command it would run, and run nothing")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    return p


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from scaffold.answers import today
    from scaffold.api import deploy

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result = deploy(Path(args.repo).expanduser(), args.hosts, args.tags, on=today(),
                    dry_run=args.dry_run, say=say)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    elif args.dry_run:
        print(result.command_line())
    if result.exit_code is None:
        return 0
    if result.exit_code != 0:
        say(f"nixbtw: deploy-rs exited with {result.exit_code}; its output above says which host "
            "failed and whether it rolled back")
    return result.exit_code
