"""A longer fuzz run of every answers-file field through JSON, YAML and --set.

    .venv/bin/python scripts/fuzz.py --examples 2000

Same cases and assertions as tests/test_fuzz.py (tests/fuzzing.py), without the CI
bound; prints how many inputs were refused, how many rendered, and how long it took.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzzing import CHANNELS, FIELDS, run_case, scratch, values  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=500)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="nixbtw-fuzz-nix-"))
    (base / "conf").mkdir()
    (base / "conf" / "nix.conf").write_text("experimental-features = nix-command\n")
    nix_env = {**os.environ, "NIX_STATE_DIR": str(base / "state"), "NIX_CONF_DIR": str(base / "conf"),
               "NIX_LOG_DIR": str(base / "log"), "NIX_REMOTE": ""}
    os.environ.setdefault("HOME", str(base))
    counts: collections.Counter[str] = collections.Counter()

    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(field=st.sampled_from(FIELDS), value=values, channel=st.sampled_from(CHANNELS))
    def fuzz(field: str, value: Any, channel: str) -> None:
        work = scratch()
        try:
            outcome = run_case(field, value, channel, work, nix_env)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        counts["refused" if outcome.refused else "rendered"] += 1
        counts[channel] += 1

    started = time.monotonic()
    fuzz()
    elapsed = time.monotonic() - started
    shutil.rmtree(base, ignore_errors=True)
    total = counts["refused"] + counts["rendered"]
    print(f"{total} inputs over {len(FIELDS)} fields in {elapsed:.0f} s: {counts['refused']} refused "
          f"cleanly, {counts['rendered']} rendered and parsed under nix-instantiate; "
          f"json {counts['json']}, yaml {counts['yaml']}, --set {counts['set']}; 0 failures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
