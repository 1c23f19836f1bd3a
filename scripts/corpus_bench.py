"""Run `nixbtw check` over a corpus of repositories and measure it.

usage: python scripts/corpus_bench.py CORPUS_DIR [--labels LABELS.tsv] [--jobs N]

CORPUS_DIR holds one folder per repository (see scripts/corpus.toml for the
pinned list). Prints findings per rule, crashes, speed, peak memory, and
precision/recall when a labels file is given.

Speed is counted from the interpreter's start (imports included) to the end,
as wall time and as CPU time (this process and its workers, user + system):
on a shared machine wall time says how busy the machine was, CPU time how much
work the check did. The load average is printed beside them.

Labels are tab-separated (a reason starting "found by reading" marks a mistake
found by reading the code rather than first reported by the check):
repo, path, line, rule, label; label is `tp` or `fp` for a finding, `mistake`
for a real mistake found by reading (recall counts those nixbtw reports).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import resource
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scaffold.check import check
from scaffold.check.context import list_files

_BEGUN = time.perf_counter()


def _since_start() -> float:
    """Seconds since this process started (Linux: /proc), else since the script began."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _BEGUN


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--labels", type=Path)
    parser.add_argument("--findings", type=Path, help="write every finding here (TSV) for labelling")
    parser.add_argument("--jobs", type=int, help="processes per repository (default: by its size)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    now = dt.datetime.now(dt.UTC)
    per_rule: collections.Counter[str] = collections.Counter()
    found: set[tuple[str, str, int, str]] = set()
    rows: list[str] = []
    crashes: list[tuple[str, str]] = []
    repos = sorted(p for p in args.corpus.iterdir() if p.is_dir())
    for repo in repos:
        try:
            for f in check(repo, now=now, jobs=args.jobs):
                per_rule[f.rule] += 1
                found.add((repo.name, f.path, f.line, f.rule))
                rows.append(f"{repo.name}\t{f.path}\t{f.line}\t{f.rule}\t{f.message}")
        except Exception:  # a crash is what this script counts
            crashes.append((repo.name, traceback.format_exc(limit=3)))
    wall = _since_start()
    times = os.times()
    cpu = times.user + times.system + times.children_user + times.children_system
    load_after = os.getloadavg()
    nix_files = sum(1 for repo in repos for rel in list_files(repo) if rel.endswith(".nix"))  # not timed
    if args.findings:
        args.findings.write_text("".join(row + "\n" for row in rows))
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    for rule, count in sorted(per_rule.items()):
        print(f"{rule}\t{count}")
    print(f"findings\t{sum(per_rule.values())}")
    print(f"crashes\t{len(crashes)}")
    for name, tb in crashes:
        print(f"  {name}: {tb.strip().splitlines()[-1]}")
    print(f"nix files\t{nix_files}")
    print(f"wall seconds\t{wall:.2f} (start-up included)\nfiles/s\t{nix_files / wall:.0f}")
    print(f"CPU seconds\t{cpu:.2f} (user + system, workers included)\n"
          f"files per CPU-second\t{nix_files / cpu:.0f}")
    print(f"load average\t{load_before[0]:.2f} before, {load_after[0]:.2f} after ({os.cpu_count()} cores)")
    print(f"peak memory MiB\t{peak:.0f} (largest process)")
    if args.labels:
        labels: dict[tuple[str, str, int, str], str] = {}
        mistakes = caught = read = read_caught = 0
        for line in args.labels.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) < 5 or line.startswith("#"):
                continue
            key = (parts[0], parts[1], int(parts[2]), parts[3])
            if parts[4] in ("tp", "fp"):
                labels[key] = parts[4]
            elif parts[4] == "mistake":
                mistakes += 1
                caught += key in found
                if len(parts) > 5 and parts[5].startswith("found by reading"):
                    read += 1
                    read_caught += key in found
        # Precision over what the check reports now: a label of a finding it no longer makes
        # says nothing about it (a missed mistake shows up in recall instead).
        verdicts = [labels[key] for key in found if key in labels]
        tp, fp = verdicts.count("tp"), verdicts.count("fp")
        if tp + fp:
            print(f"precision\t{tp / (tp + fp):.1%} ({tp} of {tp + fp} labelled findings; "
                  f"{len(found) - tp - fp} findings unlabelled)")
        if mistakes:
            print(f"recall\t{caught / mistakes:.1%} ({caught} of {mistakes} labelled mistakes)")
        if read:  # the less flattering figure: mistakes that were not first found by the check
            print(f"recall, found by reading\t{read_caught / read:.1%} ({read_caught} of {read})")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
