"""What the rules look at: the repository's files, parsed once."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter

from scaffold import nixparse

SKIP_DIRS = frozenset({".git", ".direnv", "node_modules", "result", ".venv", "__pycache__"})
HISTORY_FILES = frozenset({".bash_history", ".zsh_history", ".histfile", "fish_history"})
SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".fish")
DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".org", ".adoc")


@dataclass
class NixFile:
    rel: str
    source: bytes
    tree: tree_sitter.Tree

    @functools.cached_property
    def settings(self) -> list[nixparse.Setting]:
        try:
            return nixparse.module_settings(self.source)
        except RecursionError:  # absurdly deep nesting: nothing to read as a module
            return []

    def nodes(self, *types: str) -> Iterator[tree_sitter.Node]:
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            if node.type in types:
                yield node
            stack.extend(reversed(node.children))

    @functools.cached_property
    def paths(self) -> set[str]:
        return {".".join(s.path) for s in self.settings}


@dataclass
class Repo:
    root: Path
    now: dt.datetime
    max_lock_age_days: int = 90
    files: list[str] = field(default_factory=list)

    @functools.cached_property
    def nix_files(self) -> list[NixFile]:
        out = []
        for rel in self.files:
            if rel.endswith(".nix"):
                source = (self.root / rel).read_bytes()
                out.append(NixFile(rel, source, nixparse.parse(source)))
        return out

    def text_files(self, *, scripts: bool = False, docs: bool = False) -> Iterator[tuple[str, str]]:
        for rel in self.files:
            name = rel.rsplit("/", 1)[-1]
            is_script = rel.endswith(SCRIPT_SUFFIXES) or name in HISTORY_FILES or name in (
                ".bashrc", ".zshrc", ".profile", ".envrc") or ("." not in name and _has_shebang(self.root / rel))
            is_doc = rel.endswith(DOC_SUFFIXES)
            if (scripts and is_script) or (docs and is_doc):
                try:
                    yield rel, (self.root / rel).read_text(encoding="utf-8")
                except (UnicodeDecodeError, OSError):
                    continue

    @functools.cached_property
    def by_directory(self) -> dict[str, list[NixFile]]:
        """Nix files grouped by folder: a host's modules usually share one."""
        out: dict[str, list[NixFile]] = {}
        for f in self.nix_files:
            out.setdefault(f.rel.rsplit("/", 1)[0] if "/" in f.rel else "", []).append(f)
        return out

    @functools.cached_property
    def in_git(self) -> bool:
        from scaffold import process

        try:
            probe = process.run(["git", "-C", str(self.root), "rev-parse", "--is-inside-work-tree"],
                                check=False)
        except Exception:  # git missing: no history to read
            return False
        return probe.returncode == 0

    @functools.cached_property
    def has_flake(self) -> bool:
        return "flake.nix" in self.files

    @functools.cached_property
    def flake(self) -> NixFile | None:
        return next((f for f in self.nix_files if f.rel == "flake.nix"), None)

    @functools.cached_property
    def lock(self) -> dict[str, Any] | None:
        """flake.lock's nodes, if it is a lock at all (NBT017 reports one that is not)."""
        try:
            data = json.loads((self.root / "flake.lock").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
            return None
        nodes = {k: v for k, v in data["nodes"].items() if isinstance(v, dict)}
        return {**data, "nodes": nodes}

    @functools.cached_property
    def input_urls(self) -> dict[str, tuple[str, int]]:
        """flake input name -> (url, line), read from flake.nix's inputs."""
        out: dict[str, tuple[str, int]] = {}
        if self.flake is None:
            return out
        for s in self.flake.settings:
            if len(s.path) >= 3 and s.path[0] == "inputs" and s.path[-1] == "url":
                url = string_value(s.node)
                if url is not None:
                    out[s.path[1]] = (url, s.line)
        return out

    @functools.cached_property
    def pinned_release(self) -> str | None:
        """The NixOS release nixpkgs is pinned to (from flake.nix), if any."""
        url = self.input_urls.get("nixpkgs", ("", 0))[0]
        match = re.search(r"(?:nixos|nixpkgs)-([0-9][0-9]\.[0-9][0-9])", url)
        return match.group(1) if match else None


def _has_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            first = fh.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and any(s in first for s in (b"sh", b"bash", b"zsh", b"fish"))


def string_value(node: tree_sitter.Node) -> str | None:
    """The value of a string literal without interpolation, else None."""
    node = nixparse.unwrap(node)
    if node.type != "string_expression":
        return None
    parts = node.named_children
    if not all(p.type in ("string_fragment", "escape_sequence") for p in parts):
        return None
    return nixparse._unescape("".join((p.text or b"").decode() for p in parts))


def list_files(root: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("result-"))
        base = Path(dirpath).relative_to(root)
        for name in sorted(filenames):
            out.append((base / name).as_posix())
    return out
