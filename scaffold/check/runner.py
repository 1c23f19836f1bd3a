"""Running the rules: selection, suppression comments, stable order."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from scaffold.check import rules_flake, rules_host, rules_nix, rules_text  # noqa: F401  (registration)
from scaffold.check.context import Repo, list_files
from scaffold.check.model import REGISTRY, Finding, Rule
from scaffold.errors import UsageError

RULES: dict[str, Rule] = REGISTRY
SUPPRESS = re.compile(r"nixbtw:\s*ignore(-file)?\[([A-Z0-9, ]+)\]")


def _ids(values: list[str], option: str) -> set[str]:
    ids = {v.strip().upper() for value in values for v in value.split(",") if v.strip()}
    unknown = sorted(ids - set(RULES))
    if unknown:
        raise UsageError(option, f"unknown rule {', '.join(unknown)}",
                         f"use ids from `nixbtw check --list-rules` ({', '.join(sorted(RULES))})")
    return ids


def _suppressions(root: Path, rel: str) -> tuple[set[str], dict[int, set[str]]]:
    """(rules ignored for the whole file, rules ignored per line)."""
    whole: set[str] = set()
    lines: dict[int, set[str]] = {}
    try:
        text = (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return whole, lines
    for number, line in enumerate(text.splitlines(), 1):
        for match in SUPPRESS.finditer(line):
            ids = {i.strip() for i in match.group(2).split(",") if i.strip()}
            if match.group(1):
                whole |= ids
            else:
                # A comment suppresses its own line, or the line below when it stands alone.
                lines.setdefault(number, set()).update(ids)
                lines.setdefault(number + 1, set()).update(ids)
    return whole, lines


def check(path: Path, *, select: list[str] | None = None, ignore: list[str] | None = None,
          now: dt.datetime | None = None, max_lock_age_days: int = 90,
          jobs: int | None = None) -> list[Finding]:
    """Findings of the chosen rules; `jobs` processes read the files (None: one per core when
    the repository is big enough to pay for them)."""
    if not path.is_dir():
        raise UsageError("PATH", f"{path} is not a directory", "point nixbtw check at a repository")
    chosen = _ids(select or [], "--select") or set(RULES)
    chosen -= _ids(ignore or [], "--ignore")
    repo = Repo(root=path, now=now or dt.datetime.now(dt.UTC), max_lock_age_days=max_lock_age_days,
                files=list_files(path), rules=frozenset(chosen), jobs=jobs)
    findings: set[Finding] = set(repo.findings)
    for rule_id in sorted(chosen):
        run = RULES[rule_id].run
        if run is not None:
            findings.update(run(repo))
    cache: dict[str, tuple[set[str], dict[int, set[str]]]] = {}
    kept = []
    for f in findings:
        whole, lines = cache.setdefault(f.path, _suppressions(path, f.path))
        if f.rule in whole or f.rule in lines.get(f.line, set()):
            continue
        kept.append(f)
    return sorted(kept)
