"""Answers from files and --set, turned into a validated, resolved HostSpec."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scaffold.errors import InputError, Problem
from scaffold.spec import HostSpec, did_you_mean, field_paths

Answers = dict[str, Any]


def today() -> dt.date:
    """Today's date; NIXBTW_TODAY=YYYY-MM-DD pins it for reproducible runs."""
    pinned = os.environ.get("NIXBTW_TODAY")
    if pinned:
        try:
            return dt.date.fromisoformat(pinned)
        except ValueError:
            raise InputError("NIXBTW_TODAY", f"{pinned!r} is not a date",
                             "write it as YYYY-MM-DD or unset it") from None
    return dt.date.today()


def load_file(path: str) -> Answers:
    """Read a YAML or JSON answers file ('-' reads standard input)."""
    field = "--answers"
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(field, f"cannot read {path}: {err.strerror}",
                         "check the path") from None
    except UnicodeDecodeError:
        raise InputError(field, f"{path} is not UTF-8 text", "save it as UTF-8") from None
    try:
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise InputError(field, f"{path} is not valid YAML/JSON{line}",
                         "fix the syntax (nixbtw schema shows the expected shape)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(field, f"{path} does not hold a mapping of answers",
                         "write key: value pairs at the top level")
    # copier's answers files carry private keys (_commit, _src_path); accept
    # them so a generated repo's answers can be replayed.
    return {k: v for k, v in data.items() if not str(k).startswith("_")}


_SET = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d+))*)=(.*)", re.S)


def apply_set(answers: Answers, assignment: str) -> Answers:
    """Apply one --set KEY=VALUE; the value is read as YAML (true, 16G, [a, b])."""
    match = _SET.fullmatch(assignment)
    if not match:
        raise InputError("--set", f"{assignment!r} is not KEY=VALUE",
                         "write e.g. --set disk.layout=btrfs or --set users.0.name=alice")
    path, raw = match.group(1).split("."), match.group(2)
    try:
        # Multi-line values stay verbatim: YAML would fold the line breaks.
        value = yaml.safe_load(raw) if raw and "\n" not in raw else raw
    except yaml.YAMLError:
        value = raw
    if isinstance(value, (dt.date, dt.datetime)):
        value = raw
    # A version like 26.05 reads as a float in YAML; keep what was typed.
    if isinstance(value, float):
        value = raw
    set_path(answers, path, value, what=assignment)
    return answers


def set_path(answers: Answers, path: list[str], value: Any, *, what: str = "") -> None:
    """answers[a][0][b] = value for path a.0.b, creating what is missing."""
    what = what or ".".join(path)
    node: Any = answers
    for i, key in enumerate(path[:-1]):
        nxt_is_index = path[i + 1].isdigit()
        node = _child(node, key, [] if nxt_is_index else {}, what)
    _assign(node, path[-1], value, what)


def _child(node: Any, key: str, empty: Any, assignment: str) -> Any:
    if isinstance(node, list):
        idx = int(key)
        while len(node) <= idx:
            node.append(type(empty)())
        return node[idx]
    if not isinstance(node, dict):
        raise InputError("--set", f"{assignment!r} goes into a value that is not a mapping",
                         "check the key path")
    if key.isdigit():
        raise InputError("--set", f"{assignment!r} indexes a mapping", "check the key path")
    if not isinstance(node.get(key), (dict, list)):
        node[key] = empty
    return node[key]


def _assign(node: Any, key: str, value: Any, assignment: str) -> None:
    if isinstance(node, list):
        idx = int(key) if key.isdigit() else -1
        if idx < 0:
            raise InputError("--set", f"{assignment!r} needs a list index", "check the key path")
        while len(node) <= idx:
            node.append(None)
        node[idx] = value
    else:
        node[key] = value


def _field_name(loc: tuple[int | str, ...]) -> str:
    # Union branches show up in pydantic's location (e.g. "list[str]"); the
    # user only knows the key path.
    parts = [str(p) for p in loc if not re.search(r"[\[\]']", str(p))]
    return ".".join(parts)


def problems_from(err: ValidationError) -> list[Problem]:
    out: dict[str, Problem] = {}
    for e in err.errors(include_url=False):
        field = _field_name(e["loc"])
        kind, msg = e["type"], e["msg"]
        if kind == "extra_forbidden":
            hint = did_you_mean(field, field_paths()) or did_you_mean(
                field.rsplit(".", 1)[-1], [p.rsplit(".", 1)[-1] for p in field_paths()])
            problem = Problem(field, f"unknown key{hint}",
                              "remove it or fix its spelling (nixbtw schema lists every key)")
        elif kind == "missing":
            problem = Problem(field, "is required", "give it in the answers file or with --set")
        elif kind == "value_error":
            text = msg.removeprefix("Value error, ")
            what, _, fix = text.partition("; ")
            problem = Problem(field, what, fix or "see nixbtw schema")
        elif kind in ("literal_error", "enum"):
            problem = Problem(field, f"{_short(e.get('input'))} is not allowed",
                              msg[0].lower() + msg[1:])
        else:
            problem = Problem(field, f"{_short(e.get('input'))} is invalid",
                              msg[0].lower() + msg[1:])
        # For a union, keep the most specific message per field.
        if field not in out or kind == "value_error":
            out[field] = problem
    return list(out.values())


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def build_spec(answers: Answers, *, on: dt.date) -> HostSpec:
    """Validate answers and resolve date-dependent defaults, or raise InputError."""
    try:
        spec = HostSpec.model_validate(answers)
    except ValidationError as err:
        raise InputError(problems=problems_from(err)) from None
    spec = spec.resolved(on)
    problems = spec.problems()
    if problems:
        raise InputError(problems=problems)
    return spec


def to_answers(spec: HostSpec) -> Answers:
    """The spec as an answers file: defaults left out, so it stays short."""
    return spec.model_dump(mode="json", exclude_defaults=True)
