"""Nix literals from Python values: the one place user strings become Nix.

Every hole in a template goes through these functions (as jinja filters), so a
user string can never become Nix code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_'-]*")
# `or` is a keyword only in some positions, but quoting it is always safe and
# Lix 2.95 deprecates it as an identifier.
KEYWORDS = frozenset(
    {"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or",
     "true", "false", "null"}
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def string(value: str) -> str:
    """A double-quoted Nix string literal that evaluates to exactly `value`."""
    if "\0" in value:
        raise ValueError("a Nix string cannot contain a NUL character")
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "$" and value.startswith("${", i):
            out.append("\\${")
            i += 2
            continue
        out.append(_ESCAPES.get(ch, ch))
        i += 1
    return '"' + "".join(out) + '"'


def is_identifier(name: str) -> bool:
    return _IDENT.fullmatch(name) is not None and name not in KEYWORDS


def attr(name: str) -> str:
    """An attribute name: bare when it is a plain identifier, quoted otherwise."""
    return name if is_identifier(name) else string(name)


def attr_path(*names: str) -> str:
    return ".".join(attr(n) for n in names)


_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._+-]+")


def path(relative: str) -> str:
    """A Nix path literal relative to the file (`./a/b.nix`, `../../x`), built from
    names that may be user input: any segment a path literal cannot hold (or a
    `..` that did not come first) makes it a concatenation with a quoted string."""
    ups = 0
    parts = relative.split("/")
    while ups < len(parts) and parts[ups] == "..":
        ups += 1
    rest = parts[ups:]
    base = "../" * ups or "./"
    if rest and all(_PATH_SEGMENT.fullmatch(p) and p not in (".", "..") for p in rest):
        return base + "/".join(rest)
    return f"({base}. + {string('/' + '/'.join(rest))})"


def list_block(items: Iterable[object], indent: int) -> str:
    """A list as nixfmt writes it on a line indented by `indent`: one element
    stays inline, more go one per line."""
    values = [value(x) for x in items]
    if len(values) < 2:
        return "[ " + " ".join(values) + " ]" if values else "[ ]"
    pad = " " * (indent + 2)
    return "[\n" + "".join(f"{pad}{v}\n" for v in values) + " " * indent + "]"


def value(v: object) -> str:
    """A Nix literal for a JSON-like Python value (on one line)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, Mapping):
        inner = " ".join(f"{attr(str(k))} = {value(x)};" for k, x in v.items())
        return "{ " + inner + " }" if inner else "{ }"
    if isinstance(v, Iterable):
        items = [value(x) for x in v]
        return "[ " + " ".join(items) + " ]" if items else "[ ]"
    raise TypeError(f"no Nix literal for {type(v).__name__}")
