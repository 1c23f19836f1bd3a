"""Benchmark: start-up cost and generation speed, reported in the README.

    .venv/bin/python scripts/bench.py [--runs N]

Times whole commands (median of N runs, wall clock) so the figures are what a
user waits for. Not a test: numbers vary by machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def median_ms(argv: list[str], runs: int, setup: object = None, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(runs):
        if callable(setup):
            setup()
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = {**os.environ, "NIXBTW_TODAY": "2026-11-25"}
    work = Path(tempfile.mkdtemp(prefix="nixbtw-bench-"))
    out = work / "out"
    example = ROOT / "examples" / "workstation.yaml"

    def fresh() -> None:
        shutil.rmtree(out, ignore_errors=True)

    # The same data nixbtw hands to copier, for a like-for-like `copier copy`.
    sys.path.insert(0, str(ROOT))
    import datetime as dt

    from scaffold.answers import build_spec, load_file
    from scaffold.history import template_source
    from scaffold.render import answers_data

    spec = build_spec(load_file(str(example)), on=dt.date(2026, 11, 25))
    data = work / "data.yml"
    data.write_text(json.dumps({**answers_data(spec), "nixbtw_template": "flake/host"}))
    from scaffold.repo import repo_spec

    repo_data = work / "repo.yml"
    repo_data.write_text(json.dumps({"nixbtw_template": "flake/repo",
                                     "repo": repo_spec([spec]).model_dump(mode="json")}))
    src, ref = template_source()
    bundle = str(Path(src).expanduser())

    def copier(data_file: Path, dst: Path) -> list[str]:
        return [str(BIN / "copier"), "copy", "--trust", "--defaults", "--quiet", "--data-file",
                str(data_file), "--vcs-ref", ref, bundle, str(dst)]

    both = work / "both.sh"
    both.write_text(f"{shlex.join(copier(data, out / 'hosts' / 'forge'))} && {shlex.join(copier(repo_data, out))}\n")

    results = {
        "python3 -c pass": median_ms([sys.executable, "-c", "pass"], args.runs),
        "nixbtw --version": median_ms([str(BIN / "nixbtw"), "--version"], args.runs),
        "nixbtw --help": median_ms([str(BIN / "nixbtw"), "--help"], args.runs),
        "nixbtw new host --non-interactive (workstation)": median_ms(
            [str(BIN / "nixbtw"), "new", "host", "--non-interactive", "--answers", str(example),
             "--out", str(out)], args.runs, fresh, env),
        "copier copy, the host part only": median_ms(copier(data, out), args.runs, fresh, env),
        "copier copy, host and repository parts (what new host renders)": median_ms(
            ["sh", str(both)], args.runs, fresh, env),
    }
    base = results["python3 -c pass"]
    print(f"| command | median ms ({args.runs} runs) | vs python3 -c pass |")
    print("|---|---|---|")
    for name, ms in results.items():
        print(f"| `{name}` | {ms:.0f} | {ms / base:.1f}x |")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
