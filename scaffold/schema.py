"""The answers file's JSON Schema and its reference table for the README."""

from __future__ import annotations

import json
from typing import Any

from scaffold.spec import HostSpec


def json_schema() -> dict[str, Any]:
    schema = HostSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nixbtw answers file"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2) + "\n"
