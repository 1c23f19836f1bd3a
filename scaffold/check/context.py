"""The model the rules query: each file's facts, the hosts, the flakes, scripts and docs."""

from __future__ import annotations

import datetime as dt
import functools
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scaffold import nixparse, process
from scaffold.check.collect import FileContext, collect
from scaffold.check.facts import FileFacts, Import
from scaffold.check.flakes import Flake
from scaffold.check.model import REGISTRY, Finding
from scaffold.check.nixfile import SELF_MODULE, NixFile
from scaffold.errors import NixbtwError

SKIP_DIRS = frozenset({".git", ".direnv", "node_modules", "result", ".venv", "__pycache__"})
HISTORY_FILES = frozenset({".bash_history", ".zsh_history", ".histfile", "fish_history"})
SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".fish")
# Files of commands by name: shell start-up files and task runners' recipes.
SCRIPT_NAMES = frozenset({".bashrc", ".zshrc", ".profile", ".envrc", "justfile", "Justfile", ".justfile",
                          "Makefile", "makefile"})
DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".org", ".adoc")
# Files tools and people start from, which nothing in the repository imports.
ENTRY_POINTS = frozenset({"flake.nix", "default.nix", "shell.nix", "configuration.nix", "home.nix",
                          "darwin-configuration.nix", "hardware-configuration.nix", "release.nix"})
string_value = nixparse.string_value
_ZSH_STAMP = re.compile(r"^: [0-9]+:[0-9]+;")


@dataclass(frozen=True, slots=True)
class Host:
    """A system the repository builds, and every file of it that could be read."""

    name: str
    kind: str  # nixos, darwin, home
    root: str
    files: tuple[str, ...]
    closed: bool  # every import was followed (none dynamic, none from another flake)


@dataclass
class Repo:
    root: Path
    now: dt.datetime
    max_lock_age_days: int = 90
    files: list[str] = field(default_factory=list)
    rules: frozenset[str] | None = None  # the rules whose per-file parts run; None: all
    jobs: int | None = None  # processes for the per-file pass; None: by the number of files

    @functools.cached_property
    def nix_files(self) -> list[FileFacts]:
        ctx = FileContext(self.root, self.pinned_release,
                          frozenset(REGISTRY) if self.rules is None else self.rules)
        return collect(ctx, self.files, self.jobs)

    @functools.cached_property
    def findings(self) -> list[Finding]:
        """Findings of the per-file parts of the rules."""
        found = [f for facts in self.nix_files for f in facts.findings]
        parked = self.unused | self.never_enabled
        if not any(f.path in parked for f in found):
            return found
        return [f for f in found if not (REGISTRY[f.rule].used_files_only and f.path in parked)]

    @functools.cached_property
    def never_enabled(self) -> frozenset[str]:
        """Modules whose whole config waits for an enable option of the repository's own that no
        file turns on (only ever set false, or never set): nothing they say is evaluated."""
        guarded = [f for f in self.nix_files if f.guard is not None]
        if not guarded:
            return frozenset()
        maybe_on = {s.path for f in self.nix_files for s in f.settings
                    if s.path[-1:] == ("enable",) and s.literal is not False}
        return frozenset(f.rel for f in guarded if f.guard not in maybe_on)

    @functools.cached_property
    def unused(self) -> frozenset[str]:
        """Nix files nothing refers to, in a repository that builds hosts: no import names them,
        no path literal names them or a folder above them (readDir, import ./folder), no string
        mentions their name, and they are no entry point. Parked files, old hosts kept around.
        A module library (no hosts) has only its files of nothing but comments: its users
        import its other files from outside."""
        library = not self.hosts
        imported = {i.target for f in self.nix_files for i in f.imports if i.target}
        # a folder named by a path that is no import: readDir ./modules, "${./hosts}/${n}"
        # (the repository's own root is a source tree, `src = ./.`, not a folder of modules)
        folder_refs = {ref for f in self.nix_files for ref in f.path_refs} - {"."}
        referred = imported | folder_refs
        # a name only the file itself mentions (services.nextcloud in nextcloud.nix) is no reference
        mentioned_by: dict[str, set[str]] = {}
        for f in self.nix_files:
            for n in f.string_names:
                mentioned_by.setdefault(n, set()).add(f.rel)
        roots = {h.root for h in self.hosts}
        out = set()
        for f in self.nix_files:
            name = f.rel.rsplit("/", 1)[-1].split("##", 1)[0]  # a yadm alternate stands for its file
            if (library and not f.empty) or name in ENTRY_POINTS or f.rel in roots or f.rel in referred:
                continue
            folders = [f.rel.rsplit("/", n)[0] for n in range(1, f.rel.count("/") + 1)]
            if any(folder in folder_refs for folder in folders):
                continue
            stems = {name.removesuffix(".nix")} | ({folders[0].rsplit("/", 1)[-1]} if
                                                  name == "default.nix" and folders else set())
            if any(mentioned_by.get(stem, set()) - {f.rel} for stem in stems):
                continue
            out.add(f.rel)
        return frozenset(out)

    @functools.cached_property
    def by_rel(self) -> dict[str, FileFacts]:
        return {f.rel: f for f in self.nix_files}

    def resolve(self, target: str) -> FileFacts | None:
        """A file an import names: the file itself, or a folder's default.nix."""
        return self.by_rel.get(target) or self.by_rel.get(posixpath.join(target, "default.nix"))

    @functools.cached_property
    def _texts(self) -> list[tuple[str, str, bool]]:
        """(rel, text, is_doc) of every script, shell history and doc, read once."""
        out = []
        for rel in self.files:
            name = rel.rsplit("/", 1)[-1]
            is_doc = rel.endswith(DOC_SUFFIXES)
            is_script = rel.endswith(SCRIPT_SUFFIXES) or name in HISTORY_FILES or name in SCRIPT_NAMES \
                or (rel.startswith("bin/") and not rel.endswith(".nix")) \
                or ("." not in name and _has_shebang(self.root / rel))
            if is_script or is_doc:
                try:
                    out.append((rel, (self.root / rel).read_text(encoding="utf-8", errors="replace"), is_doc))
                except (UnicodeDecodeError, OSError):
                    continue
        return out

    @functools.cached_property
    def _commands(self) -> list[tuple[str, bool, list[tuple[int, str]]]]:
        return [(rel, is_doc, list(command_lines(rel, text))) for rel, text, is_doc in self._texts]

    @functools.cached_property
    def teaches_channels(self) -> bool:
        """Docs that tell users to add a channel the flake does not already pin: the project
        supports channels on purpose (nix-darwin, disko, NixOS-WSL teach their own channel),
        so its channel lookups are intent. A channel for an input the flake has (a personal
        config's old nixos-hardware instructions) is a leftover, not intent."""
        top = [flake for flake in self.flakes if flake.folder == ""]  # not a template's flake
        pinned = {name.lower() for flake in top for name in flake.inputs} | {
            _project_of(i.url) for flake in top for i in flake.inputs.values() if i.url}
        for _rel, is_doc, lines in self._commands:
            for _n, line in lines if is_doc else ():
                command = _CHANNEL_COMMAND.search(line) if "nix-channel" in line else None
                if command is None:
                    continue
                channel = _project_of(command.group(2)) if command.group(1) == "add" else \
                    (command.group(2) or "").lower()  # --update [name]: all channels, or that one
                if channel not in pinned:
                    return True
        return False

    def commands(self, *, docs: bool = True) -> Iterator[tuple[str, int, str]]:
        """(rel, line number, command) of scripts, history and, with docs, docs' code blocks."""
        for rel, is_doc, lines in self._commands:
            if docs or not is_doc:
                for number, line in lines:
                    yield rel, number, line

    @functools.cached_property
    def in_git(self) -> bool:
        """Inside a git work tree, asked of the file system first (a git process per check
        costs more than the rest of a small repository), then of git."""
        if not any((folder / ".git").exists() for folder in (self.root.resolve(), *self.root.resolve().parents)):
            return False
        try:
            probe = process.run(["git", "-C", str(self.root), "rev-parse", "--is-inside-work-tree"],
                                check=False)
        except NixbtwError:  # git missing: no history to read
            return False
        return probe.returncode == 0

    @functools.cached_property
    def flakes(self) -> list[Flake]:
        """The repository's flake and its sub-flakes, each with inputs and lock (read before the
        per-file pass: the pinned release is part of what per-file rules know)."""
        out = []
        for rel in self.files:
            if rel == "flake.nix" or rel.endswith("/flake.nix"):
                f = NixFile.read(self.root, rel)
                if f is not None:
                    out.append(Flake.read(self.root, rel, f.settings))
        return out

    @property
    def has_flake(self) -> bool:
        return any(f.rel == "flake.nix" for f in self.flakes)

    def flake_for(self, rel: str) -> Flake | None:
        """The innermost flake whose folder holds this file."""
        best = None
        for flake in self.flakes:
            inside = flake.folder == "" or rel.startswith(flake.folder + "/")
            if inside and (best is None or len(flake.folder) > len(best.folder)):
                best = flake
        return best

    @functools.cached_property
    def pinned_release(self) -> str | None:
        top = next((f for f in self.flakes if f.folder == ""), None)
        return top.nixpkgs_release if top is not None else None

    @functools.cached_property
    def hosts(self) -> list[Host]:
        """Hosts from what flakes build (nixosSystem & co., colmena nodes, clan machines), else
        folders."""
        roots = [(r.name, r.kind, list(r.modules)) for f in self.nix_files for r in f.roots]
        for rel in self.files:  # clan: machines/<name>/configuration.nix is imported by clan-core
            parts = rel.split("/")
            if len(parts) == 3 and parts[0] == "machines" and parts[2] == "configuration.nix" and \
                    any(fl.uses("clan-core") for fl in self.flakes):
                # clan-core supplies the hardware file, facter report and stateVersion itself.
                roots.append((parts[1], "nixos", [Import(1, rel, rel), Import(1, None, "<clan-core>")]))
        if not roots:
            for f in self.nix_files:
                name = f.rel.rsplit("/", 1)[-1]
                if name in ("configuration.nix", "darwin-configuration.nix", "home.nix") \
                        and not f.declares_options:
                    kind = {"darwin-configuration.nix": "darwin", "home.nix": "home"}.get(name, "nixos")
                    if kind != "nixos" or f.sets("boot", "loader") or f.sets("system", "stateVersion"):
                        roots.append((f.rel, kind, [Import(1, f.rel, f.rel)]))
        return [self._host(name, kind, modules) for name, kind, modules in roots]

    @functools.cached_property
    def flake_modules(self) -> dict[tuple[str, str], str]:
        """(nixosModules, name) -> the file a flake exports as that module."""
        out: dict[tuple[str, str], str] = {}
        for f in self.nix_files:
            for kind, name, target in f.exports:
                if name:
                    out[(kind, name)] = target
                elif (folder := self.resolve(target)) is not None:  # nixosModules = import ./modules;
                    for sub, file in folder.named_modules:
                        out[(kind, sub)] = file
        return out

    def closure(self, rel: str) -> Host:
        """A module and every file it imports, as a host would have them."""
        return self._host(rel, "module", [Import(1, rel, rel)])

    def _host(self, name: str, kind: str, modules: list[Import]) -> Host:
        seen: list[str] = []
        closed = True
        todo = list(modules)
        while todo:
            imp = todo.pop()
            if imp.target is None:
                own = SELF_MODULE.match(imp.text)
                exported = self.flake_modules.get((own.group(1), own.group(2).strip('"'))) if own else None
                if exported is not None:
                    todo.append(Import(imp.line, exported, imp.text))
                    continue
                closed = closed and _harmless(imp.text)
                continue
            f = self.resolve(imp.target)
            if f is None:
                closed = False
                continue
            if f.rel in seen:
                continue
            seen.append(f.rel)
            todo.extend(f.imports)
        root = next((m.target for m in modules if m.target), seen[0] if seen else "")
        return Host(name, kind, root or "", tuple(seen), closed)


_CHANNEL_COMMAND = re.compile(r"nix-channel\s+--(add|update)(?:\s+([^\s#;&|]+))?")


def _project_of(url: str) -> str:
    """The repository a channel or input URL names: .../nixos-hardware/archive/x.tar.gz and
    github:NixOS/nixos-hardware are both nixos-hardware."""
    if "nixos.org/channels" in url:
        return "nixpkgs"
    path = url.split(":", 1)[-1].split("?", 1)[0]
    parts = [p for p in path.split("/") if p and p not in ("github.com", "gitlab.com")]
    if "archive" in parts:
        parts = parts[: parts.index("archive")]
    return (parts[1] if len(parts) > 1 else parts[0] if parts else "").lower().removesuffix(".git")


def _harmless(text: str) -> bool:
    """Imports that cannot supply host settings such as stateVersion or a hostId."""
    return text.startswith(("(modulesPath", "\"${modulesPath}", "modulesPath"))


def command_lines(rel: str, text: str) -> Iterator[tuple[int, str]]:
    """Lines that are commands: all lines of scripts and history, code blocks in docs."""
    doc = rel.endswith(DOC_SUFFIXES)
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if doc:
            if stripped.startswith(("```", "~~~")):
                fenced = not fenced
                continue
            # In prose, a command is advice only inside a code block or an
            # indented code line; "avoid `nix-env -i`" is not a recommendation.
            if not fenced and not line.startswith(("    ", "\t")):
                continue
        if not stripped or (stripped.startswith("#") and not rel.endswith("history")):
            continue
        # zsh history lines look like ": 1700000000:0;nix-env -i foo"
        yield number, _ZSH_STAMP.sub("", line) if line.startswith(": ") else line


def _has_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            first = fh.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and any(s in first for s in (b"sh", b"bash", b"zsh", b"fish"))


def list_files(root: Path) -> list[str]:
    """Every file below root, repository-relative, in a stable order (plain strings and
    scandir: this runs once per file of the repository)."""
    out: list[str] = []
    todo = [("", os.fspath(root))]
    while todo:
        prefix, folder = todo.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            if entry.is_symlink():  # neither listed nor followed: it may leave the repository
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS and \
                        not entry.name.startswith("result-"):
                    folders.append((prefix + entry.name + "/", entry.path))
            elif entry.is_file(follow_symlinks=False):
                # Regular files only: a link may point outside the repository (or at
                # itself), and a FIFO or device would block the read.
                out.append(prefix + entry.name)
        todo.extend(reversed(folders))
    return out
