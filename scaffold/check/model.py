"""Findings and rules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from scaffold.check.collect import FileContext
    from scaffold.check.context import Repo
    from scaffold.check.nixfile import NixFile

Severity = Literal["error", "warning"]
RepoCheck = Callable[["Repo"], Iterator["Finding"]]
FileCheck = Callable[["FileContext", "NixFile"], Iterator["Finding"]]


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    rule: str
    message: str
    why: str
    fix: str
    severity: Severity = "warning"


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule has a part over the whole repository, a part over one file at a time (run
    where the file is parsed, possibly in another process), or both."""

    id: str
    name: str
    summary: str
    severity: Severity
    run: RepoCheck | None = None
    per_file: FileCheck | None = None
    # Said only of files something uses: "evaluation fails" means nothing in a parked file.
    used_files_only: bool = False


REGISTRY: dict[str, Rule] = {}


def _register(rule_id: str, name: str, summary: str, severity: Severity | None, *,
              run: RepoCheck | None = None, per_file: FileCheck | None = None,
              used_files_only: bool = False) -> None:
    old = REGISTRY.get(rule_id)
    REGISTRY[rule_id] = Rule(
        rule_id, name or (old.name if old else ""), summary or (old.summary if old else ""),
        severity or (old.severity if old else "warning"),
        run or (old.run if old else None), per_file or (old.per_file if old else None),
        used_files_only or (old.used_files_only if old else False))


def rule(rule_id: str, name: str = "", summary: str = "", severity: Severity | None = None,
         ) -> Callable[[RepoCheck], RepoCheck]:
    """Register the whole-repository part of a rule (name and summary given once per rule)."""
    def register(fn: RepoCheck) -> RepoCheck:
        _register(rule_id, name, summary, severity, run=fn)
        return fn
    return register


def file_rule(rule_id: str, name: str = "", summary: str = "", severity: Severity | None = None,
              *, used_files_only: bool = False) -> Callable[[FileCheck], FileCheck]:
    """Register the per-file part of a rule; `used_files_only`: its findings are dropped for
    files nothing in a repository with hosts refers to (Repo.unused)."""
    def register(fn: FileCheck) -> FileCheck:
        _register(rule_id, name, summary, severity, per_file=fn, used_files_only=used_files_only)
        return fn
    return register


def finding(rule_id: str, rel: str, line: int, col: int, message: str, why: str, fix: str) -> Finding:
    """A finding of a registered rule, at its severity."""
    return Finding(rel, line, col, rule_id, message, why, fix, REGISTRY[rule_id].severity)
