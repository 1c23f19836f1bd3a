"""Benchmark: nixbtw in a 100-host repository, beside copier run directly.

    .venv/bin/python scripts/bench_fleet.py [--hosts 100] [--runs 3] [--copier-hosts 3]

Prints, in wall-clock seconds of whole commands:
- `new host` into an empty directory (the first host) and into the N-host repository;
- `nixbtw update` when nothing changed (a no-op over N hosts);
- `nixbtw update` after a template change that touches every host;
- `copier copy` / `copier update` run directly, per host, and scaled to N hosts.

The template change needs a newer template version than the one the hosts
were made with, so the script builds its own history (this checkout's
templates as version A, the same with one changed line as version B) and runs
nixbtw through a small driver that points it at that history. Everything
happens under a scratch HOME; nothing of the user's is read or written.
Not a test: the numbers vary by machine and load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OLD, NEW = "0.0.1", "0.0.2"
HOST_PARTIAL = "partials/nixos-host.nix.jinja"
TZ_LINE = '  time.timeZone = {{ (s.timezone or "UTC") | nix_str }};'


def _driver(version: str, bundle: str, argv: list[str]) -> int:
    """nixbtw's own command line, at `version`, with `bundle` as its shipped history."""
    sys.path.insert(0, str(ROOT))
    from scaffold import history
    from scaffold.cli import main

    history.__version__ = version  # type: ignore[attr-defined]
    history.packaged_bundle = lambda: Path(bundle)  # type: ignore[assignment]
    return main(argv)


def _build(version: str, bundle: str, out: str, count: int) -> int:
    """N hosts, made in one process (the set-up, not a figure)."""
    sys.path.insert(0, str(ROOT))
    from scaffold import history
    from scaffold.cli import main

    history.__version__ = version  # type: ignore[attr-defined]
    history.packaged_bundle = lambda: Path(bundle)  # type: ignore[assignment]
    for n in range(count):
        code = main(["new", "host", "--non-interactive", "--out", out, "--answers",
                     str(ROOT / "examples" / "minimal.yaml"), "--set", f"hostname=host{n:03d}"])
        if code:
            return code
    return 0


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def history_bundle(work: Path) -> Path:
    repo = work / "history"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    for version in (OLD, NEW):
        for entry in repo.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copytree(ROOT / "templates", repo, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        if version == NEW:
            host = repo / HOST_PARTIAL
            text = host.read_text()
            assert TZ_LINE in text, "the benchmark's template change needs the time zone line"
            host.write_text(text.replace(TZ_LINE, TZ_LINE + " # an IANA name"))
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", version)
        git(repo, "tag", version)
    bundle = work / "templates.bundle"
    git(repo, "bundle", "create", str(bundle), "main", "--tags")
    return bundle


def timed(argv: list[str], env: dict[str, str], *, expect: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in expect:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def reset(repo: Path) -> None:
    git(repo, "reset", "-q", "--hard")
    git(repo, "clean", "-qfdx")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--copier-hosts", type=int, default=3,
                        help="hosts copier updates directly (scaled to --hosts)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nixbtw-bench-fleet-"))
    env = {**os.environ, "HOME": str(work / "home"), "NIXBTW_TODAY": "2026-11-25",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
    os.environ.update(env)
    bundle = history_bundle(work)
    me = [sys.executable, __file__]

    def nixbtw(version: str, *argv: str) -> list[str]:
        return [*me, "--driver", version, str(bundle), *argv]

    def new_host(out: Path, name: str) -> list[str]:
        return nixbtw(OLD, "new", "host", "--non-interactive", "--out", str(out), "--answers",
                      str(ROOT / "examples" / "minimal.yaml"), "--set", f"hostname={name}")

    rows: list[tuple[str, float, str]] = []
    # Warm the template cache as any second run would find it.
    first = work / "first"
    subprocess.run(["git", "init", "-q", str(first)], check=True)
    timed(new_host(first, "warm"), env)

    def first_host() -> float:
        shutil.rmtree(first, ignore_errors=True)
        subprocess.run(["git", "init", "-q", str(first)], check=True)
        return timed(new_host(first, "host-first"), env)

    t_first = statistics.median(first_host() for _ in range(args.runs))
    rows.append(("nixbtw new host, the first host", t_first, ""))

    fleet = work / "fleet"
    subprocess.run(["git", "init", "-q", str(fleet)], check=True)
    start = time.perf_counter()
    subprocess.run([*me, "--build", OLD, str(bundle), str(fleet), str(args.hosts)], env=env, check=True,
                   capture_output=True)
    built = time.perf_counter() - start
    git(fleet, "add", "-A")
    git(fleet, "commit", "-qm", f"{args.hosts} hosts")

    def nth_host() -> float:
        t = timed(new_host(fleet, "host-new"), env)
        reset(fleet)
        return t

    t_nth = statistics.median(nth_host() for _ in range(args.runs))
    rows.append((f"nixbtw new host, host {args.hosts + 1}", t_nth,
                 f"{t_nth / t_first:.2f}x the first (goal <= 1.2x)"))
    t_noop = statistics.median(timed(nixbtw(OLD, "update", "--repo", str(fleet)), env)
                               for _ in range(args.runs))
    rows.append((f"nixbtw update, nothing to do, {args.hosts} hosts", t_noop, "goal < 3 s"))
    t_change = timed(nixbtw(NEW, "update", "--repo", str(fleet)), env)
    changed = len(git(fleet, "diff", "--name-only").split())
    rows.append((f"nixbtw update, template change, {args.hosts} hosts", t_change,
                 f"{changed} files changed; goal < 60 s"))
    reset(fleet)

    copier = str(BIN / "copier")
    data = work / "data.json"
    answers = fleet / "hosts" / "host000" / ".copier-answers.yml"
    import yaml

    recorded = {k: v for k, v in yaml.safe_load(answers.read_text()).items() if not k.startswith("_")}
    data.write_text(json.dumps(recorded | {"hostname": "copied"}))
    src = str(work / "home" / ".local/share/nixbtw/templates.bundle")

    def copier_copy() -> float:
        dst = work / "copied"
        shutil.rmtree(dst, ignore_errors=True)
        return timed([copier, "copy", "--trust", "--defaults", "--quiet", "--data-file", str(data),
                      "--vcs-ref", OLD, src, str(dst)], env)

    t_copy = statistics.median(copier_copy() for _ in range(args.runs))
    rows.append(("copier copy, one host part", t_copy, ""))
    k = min(args.copier_hosts, args.hosts)

    def copier_update(ref: str) -> float:
        total = 0.0
        for n in range(k):
            total += timed([copier, "update", "--trust", "--defaults", "--quiet", "--skip-answered",
                            "--conflict", "inline", "--vcs-ref", ref, "--answers-file",
                            ".copier-answers.yml", str(fleet / "hosts" / f"host{n:03d}")], env)
            git(fleet, "add", "-A")
            git(fleet, "commit", "-qm", f"copier {n}", "--allow-empty")
        git(fleet, "reset", "-q", "--hard", f"HEAD~{k}")
        return total / k

    per_noop = copier_update(OLD)
    rows.append((f"copier update, nothing to do, per host (x{args.hosts})", per_noop * args.hosts,
                 f"{per_noop:.2f} s per host, {k} hosts measured"))
    per_change = copier_update(NEW)
    rows.append((f"copier update, template change, per host (x{args.hosts})", per_change * args.hosts,
                 f"{per_change:.2f} s per host, {k} hosts measured"))
    print(f"{args.hosts}-host repository built in {built:.0f} s; {os.cpu_count()} cores; "
          f"median of {args.runs} runs where repeated")
    print("| what | seconds | note |")
    print("|---|---|---|")
    for name, seconds, note in rows:
        print(f"| {name} | {seconds:.2f} | {note} |")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--driver":
        raise SystemExit(_driver(sys.argv[2], sys.argv[3], sys.argv[4:]))
    if len(sys.argv) > 1 and sys.argv[1] == "--build":
        raise SystemExit(_build(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
    raise SystemExit(main())
