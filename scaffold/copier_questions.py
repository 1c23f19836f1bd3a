"""templates/copier.yml, derived from the spec so the two cannot drift.

Run `python -m scaffold.copier_questions > templates/copier.yml` after changing
the spec; a test fails while the file is stale.
"""

from __future__ import annotations

import typing
from typing import Any

import yaml
from pydantic import BaseModel

from scaffold.spec import HostSpec

SETTINGS: dict[str, Any] = {
    "_min_copier_version": "9.4.0",
    # One template, several parts: a host (hosts/<name>/), the repository around
    # the hosts (flake.nix, README.md, ...), or a whole /etc/nixos (channels).
    "_subdirectory": "{{ nixbtw_template }}",
    "_templates_suffix": ".jinja",
    "_jinja_extensions": ["scaffold.copier_ext.NixbtwExtension"],
    "_envops": {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True},
    "_exclude": ["~*", "*.py[co]", "__pycache__", ".DS_Store"],
    # Files the machine or the user owns once they exist: an update must never
    # overwrite them.
    "_skip_if_exists": [
        "hardware-configuration.nix",
        "facter.json",
        "home/*.nix",
        "secrets/**",
        ".sops.yaml",
        "flake.lock",
    ],
}


def _choices(annotation: Any) -> list[str] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return None


TEMPLATES = ["flake/host", "flake/repo", "darwin/host", "channels"]
HOST_PART = "{{ not nixbtw_template.endswith('/repo') }}"
REPO_PART = "{{ nixbtw_template.endswith('/repo') }}"


def questions() -> dict[str, Any]:
    out: dict[str, Any] = {
        "nixbtw_template": {
            "help": "which part of the repository this is (chosen by nixbtw)",
            "type": "str",
            "choices": TEMPLATES,
        },
        "repo": {
            "help": "the repository's answers, derived from every host's (see scaffold/repo.py)",
            "type": "yaml",
            "when": REPO_PART,
        },
    }
    for name, info in HostSpec.model_fields.items():
        q: dict[str, Any] = {"help": info.description or name.replace("_", " ")}
        ann = info.annotation
        choices = _choices(ann)
        if choices and not info.is_required():
            q["type"] = "str"
            q["choices"] = choices
            q["default"] = info.default
        elif ann is str and info.is_required():
            q["type"] = "str"
        else:
            q["type"] = "yaml"
            if not info.is_required():
                default = info.get_default(call_default_factory=True)
                if isinstance(default, BaseModel):
                    default = default.model_dump(mode="json")
                q["default"] = default
        q["when"] = HOST_PART
        out[name] = q
    return out


def render() -> str:
    head = "# Generated from scaffold/spec.py by `python -m scaffold.copier_questions`.\n"
    head += "# nixbtw validates every answer; copier only records and replays them.\n"
    body = yaml.safe_dump({**SETTINGS, **questions()}, sort_keys=False, width=100)
    return head + body


if __name__ == "__main__":
    print(render(), end="")
