"""The one place input is bounded: every answer passes here before it is trusted.

An answers file is a few dozen values. Anything far beyond that (an alias bomb,
50,000 nested brackets, a 5,000-digit number, a 50 MB string) is refused here,
cheaply and before a parser or validator can spend time or memory on it. The
YAML check runs over parser events, which PyYAML produces without recursion, so
nesting never reaches the recursive composer.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import yaml

from scaffold.errors import InputError

# An answers file with every field set is about 4 KB.
MAX_BYTES = 256 * 1024
MAX_DEPTH = 12
# Values after YAML aliases are expanded: an alias bomb is refused by count.
MAX_NODES = 20_000
MAX_STRING = 16 * 1024
# 2**53: an integer every JSON reader and Nix keeps exactly.
MAX_INT = 2**53

_YAML_INT = re.compile(r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*)")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse(field: str, problem: str, fix: str) -> InputError:
    return InputError(field, problem, fix)


def load_yaml(text: str, *, field: str, source: str, loader: type[yaml.SafeLoader]) -> Any:
    """YAML that stays inside the bounds, loaded with `loader`."""
    scan_yaml(text, field=field, source=source)
    data = yaml.load(text, Loader=loader)
    check_tree(data, field=field, source=source)
    return data


def load_json(text: str, *, field: str, source: str, pairs_hook: Any) -> Any:
    """JSON that stays inside the bounds."""
    scan_json_depth(text, field=field, source=source, limit=MAX_DEPTH)

    def bounded_int(digits: str) -> int:
        if len(digits.lstrip("-")) > 16:
            raise _too_big(field, source, digits)
        return int(digits)

    def no_constant(name: str) -> None:
        raise _refuse(field, f"{source} holds {name}, which is not a value an answer can have",
                      "write a plain number")

    data = json.loads(text, object_pairs_hook=pairs_hook, parse_int=bounded_int,
                      parse_constant=no_constant)
    check_tree(data, field=field, source=source)
    return data


# A nixos-facter report is machine-made and larger than an answers file (a
# few hundred KB, nesting under 10 deep), but bounded the same way.
REPORT_MAX_BYTES = 16 * 1024 * 1024
REPORT_MAX_DEPTH = 64


def load_report(raw: bytes, *, field: str, source: str) -> Any:
    """A machine-written JSON report, refused in one line past the size and depth bounds
    (json.loads recurses: deep nesting would otherwise end in RecursionError)."""
    if len(raw) > REPORT_MAX_BYTES:
        raise _refuse(field, f"{source} is larger than {REPORT_MAX_BYTES // (1024 * 1024)} MB, "
                      "more than any nixos-facter report", "give the report nixos-facter wrote")
    text = raw.decode("utf-8")
    scan_json_depth(text, field=field, source=source, limit=REPORT_MAX_DEPTH)
    return json.loads(text)


def scan_json_depth(text: str, *, field: str, source: str, limit: int) -> None:
    """Refuse JSON nested deeper than `limit`, counting brackets outside strings."""
    depth = 0
    for ch in re.sub(r"[^\[\]{}]", "", _JSON_STRING.sub("", text)):
        depth += 1 if ch in "[{" else -1
        if depth > limit:
            raise _refuse(field, f"{source} nests deeper than {limit} levels",
                          "an answers file nests at most 4 deep (users.0.ssh_keys.0)"
                          if limit == MAX_DEPTH else "give the report nixos-facter wrote")


def scan_yaml(text: str, *, field: str, source: str) -> None:
    """Refuse what YAML can say but an answers file has no use for, before loading."""
    # One entry per open collection: [is_mapping, expanded size, expecting a key].
    stack: list[list[Any]] = []
    anchors: dict[str, int] = {}
    open_anchors: list[str | None] = []
    total = 0

    def at(event: yaml.Event) -> str:
        return f" (line {event.start_mark.line + 1})" if event.start_mark else ""

    def enter(event: yaml.Event, size: int, collection: bool) -> None:
        nonlocal total
        total += size
        if total > MAX_NODES:
            raise _refuse(field, f"{source} expands to more than {MAX_NODES} values{at(event)}",
                          "an answers file needs a few dozen; remove the YAML aliases (*name)")
        if stack:
            parent = stack[-1]
            parent[1] += size
            if parent[0]:
                if parent[2]:
                    if collection or (isinstance(event, yaml.AliasEvent) and size > 1):
                        raise _refuse(field, f"{source} uses a list or mapping as a key{at(event)}",
                                      "keys are plain names like hostname or disk")
                    if isinstance(event, yaml.ScalarEvent) and event.value == "<<" and \
                            event.implicit[0]:
                        raise _refuse(field, f"{source} uses a YAML merge key (<<){at(event)}, "
                                      "which nixbtw does not support",
                                      "write the keys out in full")
                parent[2] = not parent[2]

    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.ScalarEvent):
                value = event.value
                if len(value) > MAX_STRING:
                    raise _refuse(field, f"{source} holds a value of {len(value)} characters"
                                  f"{at(event)}", f"no answer needs more than {MAX_STRING}")
                if event.implicit[0] and event.style is None and _YAML_INT.fullmatch(value) and \
                        len(re.sub(r"[^0-9a-fA-F]", "", value)) > 16:
                    raise _too_big(field, source, value)
                enter(event, 1, collection=False)
                if event.anchor:
                    anchors[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise _refuse(field, f"{source} has an alias *{event.anchor} that refers to "
                                  f"itself or to nothing{at(event)}", "write the value out")
                enter(event, anchors[event.anchor], collection=False)
            elif isinstance(event, yaml.CollectionStartEvent):
                enter(event, 1, collection=True)
                if len(stack) >= MAX_DEPTH:
                    raise _too_deep(field, source)
                stack.append([isinstance(event, yaml.MappingStartEvent), 1, True])
                open_anchors.append(event.anchor)
            elif isinstance(event, yaml.CollectionEndEvent):
                _kind, size, _key = stack.pop()
                anchor = open_anchors.pop()
                if anchor:
                    anchors[anchor] = size
    except RecursionError:  # pragma: no cover - the depth bound comes first
        raise _too_deep(field, source) from None


def check_tree(data: Any, *, field: str, source: str) -> None:
    """Every value is plain JSON-like data of sane size; walked without recursion."""
    todo: list[tuple[Any, str, int]] = [(data, "", 0)]
    seen = 0
    while todo:
        node, path, depth = todo.pop()
        seen += 1
        where = path or source
        if seen > MAX_NODES:
            raise _refuse(field, f"{source} holds more than {MAX_NODES} values",
                          "an answers file needs a few dozen")
        if depth > MAX_DEPTH:
            raise _too_deep(field, source)
        if isinstance(node, str):
            check_text(node, field=path or field)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if abs(node) > MAX_INT:
                raise _too_big(path or field, source, str(node))
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise _refuse(path or field, f"{node} is not a number an answer can have",
                              "write a plain number")
        elif isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise _refuse(field, f"{where} has the key {_short(key)}, which is not a name",
                                  "keys are plain names like hostname or disk")
                check_text(key, field=field)
                todo.append((value, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(node, list):
            todo.extend((v, f"{path}.{i}" if path else str(i), depth + 1) for i, v in enumerate(node))
        else:
            raise _refuse(path or field, f"{_short(node)} is a {type(node).__name__}, not a plain value",
                          "quote it to make it text")


def check_text(text: str, *, field: str) -> None:
    if len(text) > MAX_STRING:
        raise _refuse(field, f"is {len(text)} characters long", f"no answer needs more than {MAX_STRING}")
    bad = _SURROGATE.search(text)
    if bad:
        raise _refuse(field, f"holds a lone UTF-16 surrogate (U+{ord(bad.group()):04X}), which is "
                      "not text", "remove it, and save the file as UTF-8")


def _too_deep(field: str, source: str) -> InputError:
    return _refuse(field, f"{source} nests deeper than {MAX_DEPTH} levels",
                   "an answers file nests at most 4 deep (users.0.ssh_keys.0)")


def _too_big(field: str, source: str, digits: str) -> InputError:
    return _refuse(field, f"{source} holds the number {_short(digits)}, larger than any answer",
                   "use a small number, or quote it to make it text")


def _short(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 24 else text[:21] + "..."
