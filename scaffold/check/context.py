"""The model the rules query: files parsed once, their settings, hosts and flakes."""

from __future__ import annotations

import datetime as dt
import functools
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter

from scaffold import nixparse, process
from scaffold.check.flakes import Flake
from scaffold.errors import NixbtwError

SKIP_DIRS = frozenset({".git", ".direnv", "node_modules", "result", ".venv", "__pycache__"})
HISTORY_FILES = frozenset({".bash_history", ".zsh_history", ".histfile", "fish_history"})
SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".fish")
# Files of commands by name: shell start-up files and task runners' recipes.
SCRIPT_NAMES = frozenset({".bashrc", ".zshrc", ".profile", ".envrc", "justfile", "Justfile", ".justfile",
                          "Makefile", "makefile"})
DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".org", ".adoc")
string_value = nixparse.string_value
_ZSH_STAMP = re.compile(r"^: [0-9]+:[0-9]+;")

# Functions that build a system from a list of modules, and the kind they build.
BUILDERS = {"nixosSystem": "nixos", "darwinSystem": "darwin", "homeManagerConfiguration": "home",
            "lib.nixosSystem": "nixos", "evalModules": "nixos"}
_FILE_QUERY = """
(spath_expression) @spath
(path_expression) @path
(apply_expression) @apply
(string_expression) @string
(indented_string_expression) @string
(binding attrpath: (attrpath (identifier) @key .) expression: (_) @value)
"""
_LISTS = frozenset({b"imports", b"modules", b"sharedModules"})
# nixpkgs config names read wherever they are bound (a module, `import nixpkgs { }`, a let):
# the value's shape says what it does, wherever it is written.
_POLICY = frozenset({b"allowUnfree", b"allowUnfreePredicate", b"allowInsecurePredicate",
                     b"permittedInsecurePackages"})
# `lib.optional cond x` and `lib.optionals cond [ ... ]` inside a modules list.
_OPTIONAL = frozenset({"optional", "optionals", "optionalAttrs"})
# How a flake refers to its own module outputs: self.nixosModules.x, inputs.self..., outputs...
SELF_MODULE = re.compile(r"^(?:inputs\.)?(?:self|outputs)\.(?:flake\.)?"
                         r"((?:nixos|darwin|home|homeManager)Modules)\.([\w'-]+|\"[^\"]+\")$")
MODULE_OUTPUTS = frozenset({"nixosModules", "darwinModules", "homeModules", "homeManagerModules"})


@dataclass(frozen=True, slots=True)
class Import:
    line: int
    target: str | None  # a repository-relative file, or None when it cannot be followed
    text: str


@dataclass
class NixFile:
    rel: str
    source: bytes
    tree: tree_sitter.Tree

    @functools.cached_property
    def found(self) -> dict[str, list[tree_sitter.Node]]:
        found = nixparse.captures(self.tree.root_node, _FILE_QUERY + nixparse.BINDERS)
        out = {kind: sorted(nodes, key=lambda n: n.start_byte) for kind, nodes in found.items()}
        # Bindings by their last name, filtered here: query predicates cost more than this.
        # Keys and values pair up in order (a binding's key precedes its value and nested ones).
        lists, hives, policy = [], [], []
        for key, value in zip(out.pop("key", []), out.pop("value", []), strict=True):
            name = key.text
            if name in _POLICY:
                policy.append(value)
            if name in _LISTS:
                lists.append(value)
            elif name == b"colmena" and key.prev_named_sibling is None:
                hives.append(value)
        out["list"], out["hive"], out["policy"] = lists, hives, policy
        return out

    def nodes(self, kind: str) -> list[tree_sitter.Node]:
        """Nodes of one kind captured by the file query (spath, path, apply, string)."""
        return self.found.get(kind, [])

    @functools.cached_property
    def policy(self) -> list[nixparse.Setting]:
        """Every binding of a nixpkgs config policy name, as a setting named by its attrpath as
        written (`nixpkgs.config.allowUnfree`, `config.allowUnfree`, `allowUnfree`)."""
        out = []
        for value in self.nodes("policy"):
            binding = value.parent
            attrpath = binding.child_by_field_name("attrpath") if binding is not None else None
            if binding is None or attrpath is None:
                continue
            path = tuple(nixparse.attr_name(a) for a in attrpath.named_children)
            out.append(nixparse.Setting(path, binding.start_point[0] + 1, value, nixparse.leaf(value)))
        return out

    @functools.cached_property
    def module_items(self) -> list[tree_sitter.Node]:
        """Each element of every `imports`, `modules` and `sharedModules` list, through `++`,
        parentheses, mk* wrappers and lib.optional(s)."""
        out: list[tree_sitter.Node] = []
        for value in self.nodes("list"):
            out.extend(_list_items(value))
        return out

    @functools.cached_property
    def settings(self) -> list[nixparse.Setting]:
        """The module's own settings, and those of modules written inline in lists."""
        try:
            out = list(nixparse.settings(self.tree.root_node))
            seen = {(s.path, s.line) for s in out}
            for item in self.module_items:
                if nixparse.unwrap(item).type in ("attrset_expression", "rec_attrset_expression"):
                    for s in nixparse.settings(item):
                        if (s.path, s.line) not in seen:
                            seen.add((s.path, s.line))
                            out.append(s)
            return out
        except RecursionError:  # absurdly deep nesting: nothing to read as a module
            return []

    @functools.cached_property
    def paths(self) -> set[str]:
        return {".".join(s.path) for s in self.settings}

    def sets(self, *path: str) -> bool:
        return any(s.path[: len(path)] == path for s in self.settings)

    @functools.cached_property
    def declares_options(self) -> bool:
        """A module that declares options is a library module, not a host."""
        return any(s.path[:1] == ("options",) for s in self.settings)

    @functools.cached_property
    def zfs_line(self) -> int | None:
        """The line that turns ZFS on: a setting, never a word in a comment."""
        if b"zfs" not in self.source and b"zpool" not in self.source:
            return None
        for s in self.settings:
            value = s.literal if s.path[:1] in (("boot",), ("fileSystems",)) else None
            if s.path[:2] == ("boot", "supportedFilesystems") and (
                    ("zfs" in s.path[2:3] and value is not False)
                    or (isinstance(value, list) and "zfs" in value)):
                return s.line
            if s.path[:2] == ("boot", "zfs") and s.path[-1] in ("extraPools", "devNodes"):
                return s.line
            if s.path[:1] == ("fileSystems",) and s.path[-1] == "fsType" and value == "zfs":
                return s.line
            if s.path[:3] == ("disko", "devices", "zpool"):
                return s.line
        return None

    @functools.cached_property
    def imports(self) -> list[Import]:
        """Files this file pulls in: `imports`, builder `modules` lists, `import ./x` and
        home-manager users given as a path (home-manager.users.alice = ./home.nix)."""
        out = [self._import(item) for item in self.module_items]
        for apply in self.nodes("apply"):
            fn = apply.child_by_field_name("function")
            arg = apply.child_by_field_name("argument")
            if fn is not None and arg is not None and nixparse.text(fn) == "import" \
                    and arg.type == "path_expression":
                out.append(self._import(arg))
        for s in self.settings:
            if s.path[:2] == ("home-manager", "users") and len(s.path) == 3 and s.value is not None \
                    and s.value.type == "path_expression":
                out.append(self._import(s.value))
        return out

    def _import(self, node: tree_sitter.Node) -> Import:
        inner = nixparse.unwrap(node)
        if inner.type == "apply_expression":  # import ./x.nix args
            fn = inner.child_by_field_name("function")
            while fn is not None and fn.type == "apply_expression":
                inner, fn = fn, fn.child_by_field_name("function")
            if fn is not None and nixparse.text(fn) == "import":
                arg = inner.child_by_field_name("argument")
                inner = arg if arg is not None else inner
        if inner.type == "path_expression" and all(c.type == "path_fragment" for c in inner.named_children):
            raw = nixparse.text(inner)
            base = posixpath.dirname(self.rel)
            target = posixpath.normpath(posixpath.join(base, raw)) if not raw.startswith(("/", "~")) else None
            return Import(node.start_point[0] + 1, target, raw)
        return Import(node.start_point[0] + 1, None, nixparse.text(node)[:80])


@dataclass(frozen=True, slots=True)
class Host:
    """A system the repository builds, and every file of it that could be read."""

    name: str
    kind: str  # nixos, darwin, home
    root: str
    files: tuple[str, ...]
    closed: bool  # every import was followed (none dynamic, none from another flake)


@dataclass(frozen=True, slots=True)
class ParseProblem:
    line: int
    column: int
    message: str


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
                try:
                    source = (self.root / rel).read_bytes()
                except OSError:
                    continue
                out.append(NixFile(rel, source, nixparse.parse(source)))
        return out

    @functools.cached_property
    def by_rel(self) -> dict[str, NixFile]:
        return {f.rel: f for f in self.nix_files}

    def resolve(self, target: str) -> NixFile | None:
        """A file an import names: the file itself, or a folder's default.nix."""
        return self.by_rel.get(target) or self.by_rel.get(posixpath.join(target, "default.nix"))

    @functools.cached_property
    def parse_problems(self) -> dict[str, ParseProblem]:
        """Files Nix refuses, with Nix's own position and words where Nix is installed.

        tree-sitter errors and the cheap suspects (undefined names, attributes defined
        twice, no expression) are confirmed by nix-instantiate --parse, file by file.
        """
        out: dict[str, ParseProblem] = {}
        for f in self.nix_files:
            root = f.tree.root_node
            try:
                suspects = [] if root.has_error else nixparse.suspects(f.tree, f.found)
            except RecursionError:  # absurd nesting: let Nix judge it
                suspects = [(1, 1, "deep nesting")]
            if not root.has_error and not suspects:
                continue
            try:
                if nixparse.has_pipes(f.source):  # judged as a Nix with pipe-operators would
                    proc = process.run(["nix-instantiate", "--parse", "-"], check=False,
                                       input=nixparse.without_pipes(f.source).decode("utf-8", "replace"))
                else:
                    proc = process.run(["nix-instantiate", "--parse", str(self.root / f.rel)], check=False)
            except NixbtwError:  # no Nix here: trust tree-sitter's syntax errors only
                if root.has_error:
                    bad = _first_error(root)
                    out[f.rel] = ParseProblem(bad.start_point[0] + 1, bad.start_point[1] + 1, "syntax error")
                continue
            if proc.returncode != 0:  # Nix names files by absolute path: the user's are relative
                line, column, message = nixparse.nix_error(proc.stderr)
                out[f.rel] = ParseProblem(line, column, message.replace(f"{self.root}/", ""))
        return out

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
                    out.append((rel, (self.root / rel).read_text(encoding="utf-8"), is_doc))
                except (UnicodeDecodeError, OSError):
                    continue
        return out

    @functools.cached_property
    def _commands(self) -> list[tuple[str, bool, list[tuple[int, str]]]]:
        return [(rel, is_doc, list(command_lines(rel, text))) for rel, text, is_doc in self._texts]

    @functools.cached_property
    def teaches_channels(self) -> bool:
        """Docs that tell users to add or update a channel: the project supports channels on
        purpose (nix-darwin, disko, NixOS-WSL), so its channel lookups are intent."""
        return any("nix-channel" in line
                   for rel, is_doc, lines in self._commands if is_doc for _n, line in lines)

    def commands(self, *, docs: bool = True) -> Iterator[tuple[str, int, str]]:
        """(rel, line number, command) of scripts, history and, with docs, docs' code blocks."""
        for rel, is_doc, lines in self._commands:
            if docs or not is_doc:
                for number, line in lines:
                    yield rel, number, line

    @functools.cached_property
    def by_directory(self) -> dict[str, list[NixFile]]:
        out: dict[str, list[NixFile]] = {}
        for f in self.nix_files:
            out.setdefault(posixpath.dirname(f.rel), []).append(f)
        return out

    @functools.cached_property
    def in_git(self) -> bool:
        try:
            probe = process.run(["git", "-C", str(self.root), "rev-parse", "--is-inside-work-tree"],
                                check=False)
        except NixbtwError:  # git missing: no history to read
            return False
        return probe.returncode == 0

    @functools.cached_property
    def flakes(self) -> list[Flake]:
        """The repository's flake and its sub-flakes, each with inputs and lock."""
        out = []
        for f in self.nix_files:
            if f.rel == "flake.nix" or f.rel.endswith("/flake.nix"):
                out.append(Flake.read(self.root, f.rel, f.settings))
        return out

    @property
    def has_flake(self) -> bool:
        return any(f.rel == "flake.nix" for f in self.nix_files)

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
        """Hosts from what flakes build (nixosSystem & co., clan machines), else folders."""
        roots: list[tuple[str, str, list[Import]]] = []
        for f in self.nix_files:
            for apply in f.nodes("apply"):
                kind = _builder_kind(apply)
                if kind is None:
                    continue
                arg = apply.child_by_field_name("argument")
                if arg is None:
                    continue
                modules = _modules_of(f, arg)
                roots.append((f"{f.rel}:{apply.start_point[0] + 1}", kind, modules))
        roots.extend(self._colmena_nodes())
        for rel in self.files:  # clan: machines/<name>/configuration.nix is imported by clan-core
            parts = rel.split("/")
            if len(parts) == 3 and parts[0] == "machines" and parts[2] == "configuration.nix" and \
                    any(fl.uses("clan-core") for fl in self.flakes):
                # clan-core supplies the hardware file, facter report and stateVersion itself.
                roots.append((parts[1], "nixos", [Import(1, rel, rel), Import(1, None, "<clan-core>")]))
        if not roots:
            for f in self.nix_files:
                if f.rel.rsplit("/", 1)[-1] in ("configuration.nix", "darwin-configuration.nix",
                                                 "home.nix") and not f.declares_options:
                    kind = {"darwin-configuration.nix": "darwin", "home.nix": "home"}.get(
                        f.rel.rsplit("/", 1)[-1], "nixos")
                    if kind != "nixos" or f.sets("boot", "loader") or f.sets("system", "stateVersion"):
                        roots.append((f.rel, kind, [Import(1, f.rel, f.rel)]))
        return [self._host(name, kind, modules) for name, kind, modules in roots]

    def _colmena_nodes(self) -> Iterator[tuple[str, str, list[Import]]]:
        """colmena = { meta; defaults; <node> = module; } and colmena.lib.makeHive { ... }:
        every node is a NixOS host built from its module and the defaults."""
        for f in self.nix_files:
            if b"colmena" not in f.source:
                continue
            hives = f.nodes("hive") + [arg for apply in f.nodes("apply")
                                       if nixparse.text(apply.child_by_field_name("function")).endswith("makeHive")
                                       and (arg := apply.child_by_field_name("argument")) is not None]
            for node in hives:
                hive = nixparse.unwrap(node)
                if hive.type not in ("attrset_expression", "rec_attrset_expression"):
                    continue
                members: dict[str, tree_sitter.Node] = {}
                for binding_set in hive.named_children:
                    for binding in binding_set.named_children if binding_set.type == "binding_set" else []:
                        attrpath = binding.child_by_field_name("attrpath")
                        value = binding.child_by_field_name("expression")
                        if binding.type == "binding" and attrpath is not None and value is not None \
                                and len(attrpath.named_children) == 1:
                            members[nixparse.attr_name(attrpath.named_children[0])] = value
                defaults = [_module_import(f, members["defaults"])] if "defaults" in members else []
                for name, value in members.items():
                    if name not in ("meta", "defaults", nixparse.DYNAMIC):
                        yield name, "nixos", [_module_import(f, value), *defaults]

    @functools.cached_property
    def flake_modules(self) -> dict[tuple[str, str], str]:
        """(nixosModules, name) -> the file a flake exports as that module."""
        out: dict[tuple[str, str], str] = {}
        for flake in self.flakes:
            f = self.by_rel.get(flake.rel)
            for s in f.settings if f is not None else []:
                path = s.path[1:] if s.path[:1] == ("outputs",) else s.path
                path = path[1:] if path[:1] == ("flake",) else path  # flake-parts
                if not path or path[0] not in MODULE_OUTPUTS:
                    continue
                value = s.value if s.value is not None else s.node
                if len(path) == 2:
                    target = _module_import(f, value).target if f is not None else None
                    if target is not None:
                        out[(path[0], path[1])] = target
                elif len(path) == 1 and f is not None:  # nixosModules = import ./modules;
                    target = _module_import(f, value).target
                    folder = self.resolve(target) if target is not None else None
                    if folder is None:
                        continue
                    for sub in folder.settings:
                        if len(sub.path) == 1:
                            inner = _module_import(folder, sub.value if sub.value is not None else sub.node)
                            if inner.target is not None:
                                out[(path[0], sub.path[0])] = inner.target
        return out

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


def _list_items(node: tree_sitter.Node, depth: int = 0) -> list[tree_sitter.Node]:
    """The elements of a modules list written as `[ ... ] ++ lib.optionals c [ ... ] ++ f x`;
    an operand that is no list stands for itself (an import that cannot be followed)."""
    node = nixparse.leaf(node)
    if node.type == "list_expression":
        return [c for c in node.named_children if c.type != "comment"]
    if depth < 16 and node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and nixparse.text(op) == "++":
            return [item for side in ("left", "right") if (part := node.child_by_field_name(side)) is not None
                    for item in _list_items(part, depth + 1)]
    if depth < 16 and node.type == "apply_expression":
        fn = node.child_by_field_name("function")
        name = nixparse.text(fn.child_by_field_name("function") if fn is not None and
                             fn.type == "apply_expression" else None).rsplit(".", 1)[-1]
        arg = node.child_by_field_name("argument")
        if name in _OPTIONAL and arg is not None:
            return _list_items(arg, depth + 1) if nixparse.leaf(arg).type in (
                "list_expression", "binary_expression") else [arg]
    return [node]


def _harmless(text: str) -> bool:
    """Imports that cannot supply host settings such as stateVersion or a hostId."""
    return text.startswith(("(modulesPath", "\"${modulesPath}", "modulesPath"))


def _builder_kind(apply: tree_sitter.Node) -> str | None:
    fn = apply.child_by_field_name("function")
    if fn is None or fn.type == "apply_expression":
        return None
    name = nixparse.text(fn)
    return BUILDERS.get(name.rsplit(".", 1)[-1]) if name.rsplit(".", 1)[-1] in (
        "nixosSystem", "darwinSystem", "homeManagerConfiguration") else None


def _modules_of(f: NixFile, arg: tree_sitter.Node) -> list[Import]:
    node = nixparse.unwrap(arg)
    if node.type not in ("attrset_expression", "rec_attrset_expression"):
        return [Import(arg.start_point[0] + 1, None, "<dynamic>")]
    out = []
    for binding_set in node.named_children:
        for binding in binding_set.named_children if binding_set.type == "binding_set" else []:
            attrpath = binding.child_by_field_name("attrpath")
            value = binding.child_by_field_name("expression")
            if attrpath is None or value is None or nixparse.text(attrpath) != "modules":
                continue
            for item in _list_items(value):
                inner = nixparse.unwrap(item)
                if inner.type in ("attrset_expression", "function_expression"):
                    out.append(Import(item.start_point[0] + 1, f.rel, "<inline>"))
                else:
                    out.append(f._import(item))
    return out


def _module_import(f: NixFile, value: tree_sitter.Node) -> Import:
    """A module given as a value: a path or `import ./x` is followed; written inline, it is
    part of this file."""
    inner = nixparse.unwrap(value)
    if inner.type in ("attrset_expression", "rec_attrset_expression", "function_expression"):
        return Import(value.start_point[0] + 1, f.rel, "<inline>")
    return f._import(value)


def _first_error(root: tree_sitter.Node) -> tree_sitter.Node:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return root


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
            if entry.is_dir():  # a link to a folder is neither listed nor followed, as os.walk does
                if not entry.is_symlink() and entry.name not in SKIP_DIRS and \
                        not entry.name.startswith("result-"):
                    folders.append((prefix + entry.name + "/", entry.path))
            else:
                out.append(prefix + entry.name)
        todo.extend(reversed(folders))
    return out
