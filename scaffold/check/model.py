"""Findings and rules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from scaffold.check.context import Repo

Severity = Literal["error", "warning"]


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
    id: str
    name: str
    summary: str
    severity: Severity
    run: Callable[[Repo], Iterator[Finding]]


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, name: str, summary: str, severity: Severity = "warning") -> Callable[
        [Callable[[Repo], Iterator[Finding]]], Callable[[Repo], Iterator[Finding]]]:
    def register(fn: Callable[[Repo], Iterator[Finding]]) -> Callable[[Repo], Iterator[Finding]]:
        REGISTRY[rule_id] = Rule(rule_id, name, summary, severity, fn)
        return fn
    return register


def finding(rule_id: str, rel: str, line: int, col: int, message: str, why: str, fix: str) -> Finding:
    """A finding of a registered rule, at its severity."""
    return Finding(rel, line, col, rule_id, message, why, fix, REGISTRY[rule_id].severity)
