"""Findings as text, JSON and SARIF 2.1.0."""

from __future__ import annotations

import json
from dataclasses import asdict

from scaffold import __version__
from scaffold.check.model import Finding, Rule


def as_text(findings: list[Finding]) -> str:
    out = []
    for f in findings:
        out.append(f"{f.path}:{f.line}:{f.column}: {f.rule} {f.severity}: {f.message}")
        out.append(f"  why: {f.why}")
        out.append(f"  fix: {f.fix}")
    return "\n".join(out) + ("\n" if out else "")


def as_json(findings: list[Finding]) -> str:
    return json.dumps([asdict(f) for f in findings], indent=2) + "\n"


def as_sarif(findings: list[Finding], rules: dict[str, Rule]) -> str:
    used = sorted({f.rule for f in findings} | set(rules))
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nixbtw",
                "version": __version__,
                "rules": [{
                    "id": rule_id,
                    "name": rules[rule_id].name,
                    "shortDescription": {"text": rules[rule_id].summary},
                    "defaultConfiguration": {"level": rules[rule_id].severity},
                } for rule_id in used],
            }},
            "results": [{
                "ruleId": f.rule,
                "ruleIndex": used.index(f.rule),
                "level": f.severity,
                "message": {"text": f"{f.message}. Why: {f.why}. Fix: {f.fix}."},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.path},
                    "region": {"startLine": f.line, "startColumn": f.column},
                }}],
            } for f in findings],
        }],
    }
    return json.dumps(sarif, indent=2) + "\n"
