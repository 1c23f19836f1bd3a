"""What one Nix file says, as plain data: computed where the file is parsed (possibly in
another process), then read by the rules that need the whole repository."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from scaffold.check.model import Finding


@dataclass(frozen=True, slots=True)
class Import:
    line: int
    target: str | None  # a repository-relative file, or None when it cannot be followed
    text: str


@dataclass(frozen=True, slots=True)
class Fact:
    """One setting: its attribute path, line and literal value (nixparse.UNKNOWN when only
    evaluation knows it, and for paths no whole-repository rule reads: collect._LITERAL_PATHS)."""

    path: tuple[str, ...]
    line: int
    literal: object
    text: str = ""  # the value's source, kept only where a repository rule reads it as text


@dataclass(frozen=True, slots=True)
class Root:
    """A system a file builds (nixosSystem, a colmena node): its name, kind and modules."""

    name: str
    kind: str  # nixos, darwin, home
    modules: tuple[Import, ...]


@dataclass(frozen=True)
class FileFacts:
    rel: str
    settings: tuple[Fact, ...] = ()
    imports: tuple[Import, ...] = ()
    zfs_line: int | None = None
    declares_options: bool = False
    roots: tuple[Root, ...] = ()
    # (nixosModules, name, file) a flake exports; name "" for a folder exported as a set
    exports: tuple[tuple[str, str, str], ...] = ()
    # name -> file of each module a file lists as `{ name = ./x.nix; }` (a folder's default.nix)
    named_modules: tuple[tuple[str, str], ...] = ()
    channel_lookups: tuple[tuple[int, int, str], ...] = ()  # <nixpkgs> outside a default value
    removed: tuple[tuple[int, tuple[str, ...], int], ...] = ()  # (line, path, removed-options row)
    findings: tuple[Finding, ...] = ()  # of the rules that need only this file
    # What this file refers to: path literals resolved (a file or folder; for `./hosts/${n}`
    # the folder before the interpolation), and the names that strings mention ("/x/y.nix" -> y)
    guard: tuple[str, ...] | None = None  # the enable option the module's whole config waits for
    empty: bool = False  # nothing but comments: a file put away, not a module
    path_refs: tuple[str, ...] = ()
    string_names: frozenset[str] = frozenset()

    @functools.cached_property
    def _prefixes(self) -> frozenset[tuple[str, ...]]:
        return frozenset(s.path[:n] for s in self.settings for n in range(1, len(s.path) + 1))

    def sets(self, *path: str) -> bool:
        return path in self._prefixes
