"""A longer run of the first-boot guarantees over drawn answer sets.

    .venv/bin/python scripts/first_boot_fuzz.py --examples 1000

Same strategy and checks as tests/test_first_boot.py (which runs a bounded
number on every test run): each drawn answer set is refused with a fix, or
rendered, parsed and evaluated with real Nix and checked for a stated platform,
a loader that fits the firmware, each admin's way in and up to root, and the
secrets identity. Prints the counts per lane and per refusal, and the time.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NIXBTW_TODAY", "2026-11-25")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from scaffold.answers import build_spec  # noqa: E402
from scaffold.errors import InputError  # noqa: E402
from scaffold.render import render_new  # noqa: E402
from tests.conftest import TODAY, all_files, write_tree  # noqa: E402
from tests.test_first_boot import answer_sets, check_guarantees  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=300)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="nixbtw-first-boot-"))
    (base / "conf").mkdir()
    (base / "conf" / "nix.conf").write_text("experimental-features = nix-command\n")
    nix_env = {**os.environ, "NIX_STATE_DIR": str(base / "state"), "NIX_CONF_DIR": str(base / "conf"),
               "NIX_LOG_DIR": str(base / "log"), "NIX_REMOTE": ""}
    counts: collections.Counter[str] = collections.Counter()
    n = 0

    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(answers=answer_sets())
    def run(answers: dict[str, Any]) -> None:
        nonlocal n
        n += 1
        try:
            spec = build_spec(answers, on=TODAY)
        except InputError as err:
            counts[f"refused: {err.problems[0].field}"] += 1
            return
        root = write_tree(all_files(render_new(spec, on=TODAY)), Path(tempfile.mkdtemp(dir=base)))
        check_guarantees(spec, root, nix_env)
        counts[f"rendered: {spec.lane}"] += 1

    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    rendered = sum(v for k, v in counts.items() if k.startswith("rendered"))
    print(f"{n} answer sets in {elapsed:.0f} s: {rendered} rendered and checked, "
          f"{n - rendered} refused with a fix, 0 guarantees broken")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
