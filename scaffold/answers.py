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

from scaffold import bounds
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


class DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key, self.line = key, line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKey(str(key), key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        """Integers as YAML 1.2 reads them: `022` is 22, not YAML 1.1's octal 18, and
        `1:30` is text, not the sexagesimal 90 (a port or an id written by hand)."""
        text = str(self.construct_scalar(node))
        digits = text.replace("_", "")
        if re.fullmatch(r"[-+]?0[0-9]+", digits):
            return int(digits, 10)
        if ":" in digits:
            return text
        return super().construct_yaml_int(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key, 0)
        out[key] = value
    return out


def load_file(path: str) -> Answers:
    """Read a YAML or JSON answers file ('-' reads standard input), within the bounds."""
    field = "--answers"
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            raw = (stream.read(bounds.MAX_BYTES + 1) if stream is not None
                   else sys.stdin.read(bounds.MAX_BYTES + 1).encode("utf-8", "surrogatepass"))
        else:
            with Path(path).open("rb") as fh:
                raw = fh.read(bounds.MAX_BYTES + 1)
    except OSError as err:
        raise InputError(field, f"cannot read {path}: {err.strerror}",
                         "check the path") from None
    if len(raw) > bounds.MAX_BYTES:
        raise InputError(field, f"{path} is larger than {bounds.MAX_BYTES // 1024} KB",
                         "an answers file is a few KB; check you gave the right file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(field, f"{path} is not UTF-8 text", "save it as UTF-8") from None
    try:
        data = (bounds.load_json(text, field=field, source=path, pairs_hook=_unique_pairs)
                if path.endswith(".json")
                else bounds.load_yaml(text, field=field, source=path, loader=_StrictLoader))
    except DuplicateKey as err:
        at = f" (line {err.line})" if err.line else ""
        raise InputError(field, f"{path} gives {err.key!r} twice{at}",
                         "keep one: a second value would silently replace the first") from None
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        if isinstance(err, json.JSONDecodeError):
            line = f" at line {err.lineno}"
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


_SET = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+))*)=(.*)", re.S)


def refuse_repeated_sets(assignments: list[str]) -> None:
    """A key given twice with --set would silently take its last value; a file refuses it too."""
    seen: set[str] = set()
    for assignment in assignments:
        match = _SET.fullmatch(assignment)
        key = match.group(1) if match else assignment
        if key in seen:
            raise InputError("--set", f"{key} is given more than once",
                             f"keep the one --set {key}=... you mean")
        seen.add(key)


def apply_set(answers: Answers, assignment: str) -> Answers:
    """Apply one --set KEY=VALUE; the value is read as YAML (true, 16G, [a, b])."""
    match = _SET.fullmatch(assignment)
    if not match:
        raise InputError("--set", f"{assignment!r} is not KEY=VALUE",
                         "write e.g. --set disk.layout=btrfs or --set users.0.name=alice")
    path_text, raw = match.group(1), match.group(2)
    path = path_text.split(".")
    bounds.check_text(raw, field=path_text)
    try:
        # Text answers stay verbatim: YAML would read `on` as true, `a: b` as a
        # mapping and fold line breaks.
        text = _is_text_field(path)
        if text and raw in ("", "null", "~") and _is_optional(path):
            value = None
        elif text or "\n" in raw:
            value = raw
        else:
            value = bounds.load_yaml(raw, field=path_text, source=f"--set {path_text}",
                                     loader=_StrictLoader) if raw else ""
    except (yaml.YAMLError, DuplicateKey):
        value = raw
    if isinstance(value, (dt.date, dt.datetime)):
        value = raw
    # A version like 26.05 reads as a float in YAML; keep what was typed.
    if isinstance(value, float):
        value = raw
    set_path(answers, path, value, what=assignment)
    return answers


def _is_index(part: str) -> bool:
    # str.isdigit() accepts other scripts' digits; a list index is ASCII.
    return part.isascii() and part.isdigit()


def _is_optional(path: list[str]) -> bool:
    model: Any = HostSpec
    names = [p for p in path if not _is_index(p)]
    for name in names[:-1]:
        ann = getattr(model, "model_fields", {}).get(name)
        if ann is None:
            return False
        model = ann.annotation
        import typing

        if typing.get_origin(model) is list:
            model = typing.get_args(model)[0]
    field = getattr(model, "model_fields", {}).get(names[-1]) if names else None
    return field is not None and not field.is_required() and field.default is None


def _is_text_field(path: list[str]) -> bool:
    """Does the answer at `path` (list indexes ignored) hold a string or a list of strings' item?"""
    import typing

    from pydantic import BaseModel

    model: Any = HostSpec
    names = [p for p in path if not _is_index(p)]
    for i, name in enumerate(names):
        fields = getattr(model, "model_fields", {})
        if name not in fields:
            return False
        ann = fields[name].annotation
        last = i == len(names) - 1
        if typing.get_origin(ann) is list:
            # A whole list is YAML ([a, b]); one item of a list of strings is text.
            inner = typing.get_args(ann)[0]
            if last:
                return _is_index(path[-1]) and inner is str
            ann = inner
        args = [a for a in typing.get_args(ann) if a is not type(None)] or [ann]
        if last:
            return all(a is str or typing.get_origin(a) is typing.Literal for a in args)
        model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return False
    return False


def set_path(answers: Answers, path: list[str], value: Any, *, what: str = "") -> None:
    """answers[a][0][b] = value for path a.0.b, creating what is missing."""
    what = what or ".".join(path)
    node: Any = answers
    for i, key in enumerate(path[:-1]):
        nxt_is_index = _is_index(path[i + 1])
        node = _child(node, key, [] if nxt_is_index else {}, what)
    _assign(node, path[-1], value, what)


def _index(node: list[Any], key: str, assignment: str) -> int:
    """A list index that exists, or the next one (appending): never a gap."""
    if not _is_index(key):
        raise InputError("--set", f"{assignment!r}: {key!r} is not a list index",
                         "index lists with numbers, e.g. users.0.name")
    # int() of thousands of digits is refused by Python itself; no list is that long.
    idx = int(key) if len(key) <= 12 else len(node) + 1
    if idx > len(node):
        shown = key if len(key) <= 12 else key[:9] + "..."
        raise InputError("--set", f"{_short(assignment)}: there is no item {shown} (the list has {len(node)})",
                         f"use an index from 0 to {len(node)}; {len(node)} adds an item")
    return idx


def _child(node: Any, key: str, empty: Any, assignment: str) -> Any:
    if isinstance(node, list):
        idx = _index(node, key, assignment)
        if idx == len(node):
            node.append(type(empty)())
        return node[idx]
    if not isinstance(node, dict):
        raise InputError("--set", f"{assignment!r} goes into a value that is not a mapping",
                         "check the key path")
    if _is_index(key):
        raise InputError("--set", f"{assignment!r} indexes a mapping", "check the key path")
    if not isinstance(node.get(key), (dict, list)):
        node[key] = empty
    return node[key]


def _assign(node: Any, key: str, value: Any, assignment: str) -> None:
    if isinstance(node, list):
        idx = _index(node, key, assignment)
        if idx == len(node):
            node.append(value)
        else:
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
        elif e.get("input", 0) is None and kind.endswith("_type"):
            problem = Problem(field, "is empty (null)", "give it a value, or remove the key for its default")
        elif kind in ("too_long", "string_too_long"):
            limit = (e.get("ctx") or {}).get("max_length")
            unit = "characters" if kind == "string_too_long" else "entries"
            problem = Problem(field, f"has more than {limit} {unit}", f"give at most {limit}")
        elif kind in _PLAIN:
            what, fix = _PLAIN[kind]
            problem = Problem(field, f"{_short(e.get('input'))} {what}", fix)
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


# pydantic's error types, said for a person writing an answers file.
_PLAIN = {
    "none_required": ("is given, but this key takes no value here", "remove it"),
    "string_type": ("is not text", "write text, quoted if it looks like a number or yes/no"),
    "bool_type": ("is not true or false", "write true or false"),
    "bool_parsing": ("is not true or false", "write true or false"),
    "int_type": ("is not a whole number", "write a number like 8"),
    "int_parsing": ("is not a whole number", "write a number like 8"),
    "int_from_float": ("is not a whole number", "write a number like 8"),
    "float_type": ("is not a number", "write a number like 1.5"),
    "float_parsing": ("is not a number", "write a number like 1.5"),
    "list_type": ("is not a list", "write a list: [a, b] or one '- item' per line"),
    "dict_type": ("is not a group of keys", "write keys under it, like name: alice"),
    "model_type": ("is not a group of keys", "write keys under it, like name: alice"),
    "model_attributes_type": ("is not a group of keys", "write keys under it, like name: alice"),
    "too_short": ("is too short", "see nixbtw schema"),
}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def build_spec(answers: Answers, *, on: dt.date) -> HostSpec:
    """Validate answers and resolve date-dependent defaults, or raise InputError."""
    bounds.check_tree(answers, field="answers", source="the answers")
    try:
        spec = HostSpec.model_validate(answers)
    except ValidationError as err:
        raise InputError(problems=problems_from(err)) from None
    spec = spec.resolved(on)
    problems = spec.problems()
    if problems:
        raise InputError(problems=problems)
    return spec


class _Dumper(yaml.SafeDumper):
    pass


# Characters YAML reads as line breaks: written raw inside quotes they come back
# folded, so a recorded answer would differ from the one given.
_YAML_BREAKS = "\u2028\u2029\x85"


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if any(c in text for c in _YAML_BREAKS) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any, *, indent: int = 2, sort_keys: bool = False) -> str:
    """YAML that reads back exactly as `data`, line separators included."""
    text = yaml.dump(data, Dumper=_Dumper, indent=indent, allow_unicode=True,
                     default_flow_style=False, sort_keys=sort_keys)
    # Double-quoted (see _represent_str), so these can only be inside a string.
    return text.replace("\u2028", "\\L").replace("\u2029", "\\P")


def to_answers(spec: HostSpec) -> Answers:
    """The spec as an answers file: defaults left out, so it stays short."""
    return spec.model_dump(mode="json", exclude_defaults=True)
