"""A flake as the user wrote it (inputs, follows) and as it was locked (the lock graph)."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold import nixparse

RELEASE = re.compile(r"(?:nixos|nixpkgs)-([0-9][0-9]\.[0-9][0-9])")


@dataclass
class Input:
    name: str
    line: int
    url: str | None = None
    follows: str | None = None  # inputs.x.follows = "y"
    nested_follows: dict[str, str] = field(default_factory=dict)  # inputs.x.inputs.y.follows
    is_flake: bool = True


@dataclass
class Flake:
    rel: str  # flake.nix, or sub/flake.nix
    inputs: dict[str, Input]
    lock: dict[str, Any] | None
    lock_present: bool

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.rel)

    @property
    def lock_rel(self) -> str:
        return posixpath.join(self.folder, "flake.lock")

    @classmethod
    def read(cls, root: Path, rel: str, settings: list[nixparse.Setting]) -> Flake:
        inputs: dict[str, Input] = {}
        for s in settings:
            if len(s.path) < 2 or s.path[0] != "inputs" or s.path[1] == nixparse.DYNAMIC:
                continue
            name = s.path[1]
            entry = inputs.setdefault(name, Input(name, s.line))
            entry.line = min(entry.line, s.line)
            rest = s.path[2:]
            value = s.literal
            if rest == () and isinstance(value, str):
                entry.url = value  # inputs.x = "github:..." is not valid, but inputs.x.url is
            elif rest == ("url",) and isinstance(value, str):
                entry.url = value
            elif rest == ("follows",) and isinstance(value, str):
                entry.follows = value
            elif rest == ("flake",) and value is False:
                entry.is_flake = False
            elif len(rest) == 3 and rest[0] == "inputs" and rest[2] == "follows" and isinstance(value, str):
                entry.nested_follows[rest[1]] = value
        lock_path = root / posixpath.dirname(rel) / "flake.lock"
        return cls(rel, inputs, _read_lock(lock_path), lock_path.is_file())

    def uses(self, word: str) -> bool:
        return any(word in name or word in (i.url or "") for name, i in self.inputs.items())

    @property
    def nodes(self) -> dict[str, Any]:
        return self.lock.get("nodes", {}) if self.lock else {}

    def root_inputs(self) -> dict[str, Any]:
        root = self.nodes.get(str(self.lock.get("root", "root")) if self.lock else "root", {})
        inputs = root.get("inputs")
        return inputs if isinstance(inputs, dict) else {}

    @property
    def nixpkgs_release(self) -> str | None:
        """The release nixpkgs is pinned to: the lock's ref first, then flake.nix's url."""
        target = self.root_inputs().get("nixpkgs")
        node = self.nodes.get(target, {}) if isinstance(target, str) else {}
        original = node.get("original") if isinstance(node, dict) else None
        ref = str(original.get("ref", "")) if isinstance(original, dict) else ""
        for text in (ref, (self.inputs["nixpkgs"].url or "") if "nixpkgs" in self.inputs else ""):
            match = RELEASE.search(text)
            if match:
                return match.group(1)
        return None


def is_nixpkgs(node: object) -> bool:
    if not isinstance(node, dict):
        return False
    for key in ("original", "locked"):
        ref = node.get(key)
        if not isinstance(ref, dict):
            continue
        if ref.get("repo") == "nixpkgs" or (ref.get("type") == "indirect" and ref.get("id") == "nixpkgs"):
            return True
        if "nixpkgs" in str(ref.get("url", "")).rstrip("/").split("/")[-2:]:
            return True
    return False


def _read_lock(path: Path) -> dict[str, Any] | None:
    """flake.lock, if it is a lock at all (NBT017 reports one that is not)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        return None
    nodes = {k: v for k, v in data["nodes"].items() if isinstance(v, dict)}
    return {**data, "nodes": nodes}
