"""nixbtw update."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scaffold.answers import refuse_repeated_sets, today
from scaffold.api import update


def run(args: argparse.Namespace) -> int:
    refuse_repeated_sets(args.sets)
    root = Path(args.repo).expanduser()
    result = update(root, args.hosts or None, on=today(), sets=args.sets, dry_run=args.dry_run)
    if args.json:
        print(json.dumps({"changed": result.changed, "conflicts": result.conflicts,
                          "invalid": result.invalid,
                          "dry_run": args.dry_run, "diff": result.diff}, indent=2))
    elif args.dry_run:
        sys.stdout.write(result.diff)
    err = sys.stderr
    if result.invalid:
        print("nixbtw: the merge " + ("would leave" if args.dry_run else "left") + " Nix that does not "
              "parse; fix these" + ("" if args.dry_run else ", or `git reset --hard HEAD`") + ":", file=err)
        for line in result.invalid:
            print(f"  ! {line}", file=err)
        return 1
    if args.dry_run:
        if result.conflicts:
            print(f"nixbtw: the update would collide with your edits in: {', '.join(result.conflicts)}",
                  file=err)
            return 1
        print(f"nixbtw: dry run, nothing written; {len(result.changed)} file(s) would change",
              file=err)
        return 0
    if not result.changed:
        print("nixbtw: already up to date", file=err)
    else:
        print(f"nixbtw: updated {len(result.changed)} file(s); review with `git diff`, then commit "
              "(new files are added with --intent-to-add, so `git commit -a` includes them):", file=err)
        for rel in result.changed:
            mark = "-" if rel in result.deleted else "~"
            print(f"  {mark} {rel}" + (" (deleted)" if mark == "-" else ""), file=err)
    return 0
