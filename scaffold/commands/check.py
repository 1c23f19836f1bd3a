"""nixbtw check."""

from __future__ import annotations

import argparse
import sys

# typing only: `nixbtw --help` must not import the checker.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from scaffold.check.model import Finding


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check", help="lint a Nix repository for the mistakes that break NixOS",
        description="Find NixOS-shaped mistakes (nix-env -i, blanket unfree, several nixpkgs, "
        "stale locks, ZFS/NVIDIA pitfalls, secrets in the store, removed options, changed "
        "stateVersion). Exit 0 clean, 1 findings, 2 usage error.",
        epilog="suppress one line with a comment `# nixbtw: ignore[NBT003]`, a whole file with "
        "`# nixbtw: ignore-file[NBT001]`. example: nixbtw check . --format sarif > nixbtw.sarif",
    )
    p.add_argument("path", nargs="?", default=".", help="the repository (default: .)")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p.add_argument("--select", action="append", default=[], metavar="IDS",
                   help="only these rules (comma-separated, repeatable)")
    p.add_argument("--ignore", action="append", default=[], metavar="IDS",
                   help="skip these rules (comma-separated, repeatable)")
    p.add_argument("--max-lock-age", type=int, default=90, metavar="DAYS",
                   help="flake.lock inputs older than this are stale (default: 90)")
    p.add_argument("--list-rules", action="store_true", help="list the rules and exit")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scaffold.check import RULES, check
    from scaffold.check.formats import as_json, as_sarif, as_text

    if args.max_lock_age < 0:
        from scaffold.errors import UsageError

        raise UsageError("--max-lock-age", f"{args.max_lock_age} is negative", "give a number of days, e.g. 90")
    if args.list_rules:
        for rule in sorted(RULES.values(), key=lambda r: r.id):
            print(f"{rule.id}  {rule.name:<28} {rule.severity:<8} {rule.summary}")
        return 0
    root = Path(args.path)
    if root.is_dir() and next(root.rglob("*.nix"), None) is None:
        from scaffold.errors import UsageError

        raise UsageError("PATH", f"{root} holds no .nix files, so there is nothing to check",
                         "point nixbtw check at a configuration repository")
    findings = check(root, select=args.select, ignore=args.ignore, max_lock_age_days=args.max_lock_age)
    findings = [_at_nix_syntax_error(root, f) if f.rule == PARSE_RULE else f for f in findings]
    if args.format == "json":
        sys.stdout.write(as_json(findings))
    elif args.format == "sarif":
        sys.stdout.write(as_sarif(findings, RULES))
    else:
        sys.stdout.write(as_text(findings))
        if findings:
            print(f"nixbtw check: {len(findings)} finding(s)", file=sys.stderr)
        else:
            print(f"nixbtw check: {root}: no findings", file=sys.stderr)
    return 1 if findings else 0


PARSE_RULE = "NBT017"


def _at_nix_syntax_error(root: Path, finding: Finding) -> Finding:
    """A file that does not parse: Nix's own message, line and column."""
    import dataclasses
    import re

    from scaffold import process
    from scaffold.errors import ToolMissing

    try:
        proc = process.run(["nix-instantiate", "--parse", str(root / finding.path)], check=False)
    except ToolMissing:
        return finding
    where = re.search(r":([0-9]+):([0-9]+)", proc.stderr.split(" at ", 1)[-1])
    message = next((line.removeprefix("error: ").strip() for line in proc.stderr.splitlines()
                    if line.startswith("error:")), "")
    if proc.returncode == 0 or where is None or not message:
        return finding
    return dataclasses.replace(finding, line=int(where.group(1)), column=int(where.group(2)),
                               message=f"{finding.path} does not parse as Nix: {message}")
