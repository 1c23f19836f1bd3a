"""The answers file's JSON Schema and its reference table for the README."""

from __future__ import annotations

import json
import types
from typing import Any

from scaffold.spec import HostSpec


def json_schema() -> dict[str, Any]:
    schema = HostSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nixbtw answers file"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2) + "\n"


def _type_name(ann: Any) -> str:
    import typing

    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        return " \\| ".join(str(v) for v in typing.get_args(ann))
    if origin is list:
        return "list of " + _type_name(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in typing.get_args(ann))
    if ann is type(None):
        return "null"
    return getattr(ann, "__name__", str(ann))


def reference_markdown() -> str:
    """The README's answers-file reference, one row per key."""
    from pydantic import BaseModel

    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            key = prefix + name
            ann = info.annotation
            nested = isinstance(ann, type) and issubclass(ann, BaseModel)
            if info.is_required():
                default = "required"
            elif nested:
                default = ""
            else:
                value = info.get_default(call_default_factory=True)
                default = "`" + json.dumps(value) + "`"
            import typing

            inner = typing.get_args(ann)[0] if typing.get_origin(ann) is list else None
            type_name = "mapping" if nested else (
                f"list of {inner.__name__}" if isinstance(inner, type) and issubclass(inner, BaseModel)
                else _type_name(ann))
            rows.append(f"| `{key}` | {type_name} | {default} | {info.description or ''} |")
            if nested:
                assert isinstance(ann, type)
                walk(ann, key + ".")
            elif isinstance(inner, type) and issubclass(inner, BaseModel):
                walk(inner, key + "[].")

    walk(HostSpec, "")
    return "\n".join(rows) + "\n"


START = "<!-- answers-reference:start (generated from scaffold/spec.py; a test keeps it current) -->"
END = "<!-- answers-reference:end -->"


def readme_with_reference(readme: str) -> str:
    """The README with its answers reference regenerated between the markers."""
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{reference_markdown()}{END}{tail}"


if __name__ == "__main__":
    import pathlib
    import sys

    path = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(readme_with_reference(path.read_text()))
