"""One Nix file read with tree-sitter: its settings, imports, the systems it builds."""

from __future__ import annotations

import functools
import operator
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

import tree_sitter

from scaffold import nixparse, process
from scaffold.check.facts import Import, Root
from scaffold.errors import NixbtwError

# Functions that build a system from a list of modules, and the kind they build.
BUILDERS = {"nixosSystem": "nixos", "darwinSystem": "darwin", "homeManagerConfiguration": "home"}
_FILE_QUERY = """
(spath_expression) @spath
(path_expression) @path
(apply_expression) @apply
(string_expression) @string
(indented_string_expression) @string
(binding attrpath: (attrpath (identifier) @key .))
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
_VM_NAME = re.compile(r"^vm(?:s|[A-Z]\w*)?$")  # vmVariant, vmConfigurations, vms: test machines
MODULE_OUTPUTS = frozenset({"nixosModules", "darwinModules", "homeModules", "homeManagerModules"})
_ATTRSETS = ("attrset_expression", "rec_attrset_expression")
DEPTH_LIMIT = 30_000
_CFG = re.compile(rb"\bcfg\s*=\s*config\.([\w.-]+)\s*;")
_GUARD = re.compile(r"config(?:\.[\w-]+)+\.enable")


@dataclass(frozen=True, slots=True)
class ParseProblem:
    line: int
    column: int
    message: str


def _value_of(key: tree_sitter.Node) -> tree_sitter.Node | None:
    """The value bound to an attrpath's last name (key -> attrpath -> binding)."""
    attrpath = key.parent
    binding = attrpath.parent if attrpath is not None else None
    return binding.child_by_field_name("expression") if binding is not None else None


@dataclass
class NixFile:
    rel: str
    source: bytes
    tree: tree_sitter.Tree

    @classmethod
    def read(cls, root: Path, rel: str) -> NixFile | None:
        try:
            source = (root / rel).read_bytes()
        except OSError:
            return None
        return cls(rel, source, nixparse.parse(source))

    @functools.cached_property
    def too_deep(self) -> bool:
        """Nested deeper than DEPTH_LIMIT: tree-sitter's query cursor slows down sharply past
        a few tens of thousands of levels and stops capturing below 65,535, so no rule reads it.
        A level costs at least two bytes (`a+`): smaller files are not walked."""
        if len(self.source) < 2 * DEPTH_LIMIT:
            return False
        cursor, depth = self.tree.walk(), 0
        while True:
            if cursor.goto_first_child():
                depth += 1
                if depth > DEPTH_LIMIT:
                    return True
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return False
                depth -= 1

    @functools.cached_property
    def found(self) -> dict[str, list[tree_sitter.Node]]:
        out = nixparse.captures(self.tree.root_node, _FILE_QUERY + nixparse.BINDERS)
        # Bindings by their last name, filtered here: query predicates cost more than this.
        lists, hives, policy, passwords = [], [], [], []
        for key in out.pop("key", []):
            name = key.text or b""
            if b"assword" in name and (value := _value_of(key)) is not None:
                passwords.append(value)
            if name in _POLICY or name in _LISTS or name == b"colmena":
                value = _value_of(key)
                if value is None:
                    continue
                if name in _POLICY:
                    policy.append(value)
                if name in _LISTS:
                    lists.append(value)
                elif name == b"colmena" and key.prev_named_sibling is None:
                    hives.append(value)
        by_position = operator.attrgetter("start_byte")  # captures come in no particular order
        out["list"], out["hive"], out["policy"] = sorted(lists, key=by_position), hives, policy
        out["password"] = passwords
        return out

    def nodes(self, kind: str) -> list[tree_sitter.Node]:
        """Nodes of one kind captured by the file query (spath, path, apply, string), in no
        particular order."""
        return self.found.get(kind, [])

    @functools.cached_property
    def policy(self) -> list[nixparse.Setting]:
        """Every binding of a nixpkgs config policy name, as a setting named by its attrpath as
        written (`nixpkgs.config.allowUnfree`, `config.allowUnfree`, `allowUnfree`)."""
        out = []
        for value in sorted(self.nodes("policy"), key=operator.attrgetter("start_byte")):
            binding = value.parent
            attrpath = binding.child_by_field_name("attrpath") if binding is not None else None
            if binding is None or attrpath is None:
                continue
            path = tuple(nixparse.attr_name(a) for a in attrpath.named_children)
            out.append(nixparse.Setting(path, binding.start_point[0] + 1, value, nixparse.leaf(value)))
        return out

    @functools.cached_property
    def passwords(self) -> list[tuple[str, int, object, bool]]:
        """Every binding of a name with "password" in it, wherever bound (a services' user
        list, a variables file, a module in a let): (attrpath as written, line, literal, whether
        it sits in a test VM's configuration: virtualisation.vmVariant, vmConfigurations)."""
        out = []
        for value in self.nodes("password"):
            binding = value.parent
            attrpath = binding.child_by_field_name("attrpath") if binding is not None else None
            if binding is None or attrpath is None:
                continue
            vm = False
            up: tree_sitter.Node | None = binding
            while up is not None and not vm:
                above = up.child_by_field_name("attrpath") if up.type == "binding" else None
                vm = above is not None and any(_VM_NAME.match(nixparse.attr_name(a)) for a in above.named_children)
                up = up.parent
            out.append((nixparse.text(attrpath), binding.start_point[0] + 1, nixparse.literal(value), vm))
        return sorted(out, key=lambda p: p[1])

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
                if nixparse.unwrap(item).type in _ATTRSETS:
                    for s in nixparse.settings(item):
                        if (s.path, s.line) not in seen:
                            seen.add((s.path, s.line))
                            out.append(s)
            return out
        except RecursionError:  # absurdly deep nesting: nothing to read as a module
            return []

    @functools.cached_property
    def guard(self) -> tuple[str, ...] | None:
        """The option a module's whole config waits for: `config = mkIf cfg.enable { ... }` with
        `cfg = config.mine.x` (or `mkIf config.mine.x.enable`) gives ("mine", "x", "enable")."""
        if b"mkIf" not in self.source or b"options" not in self.source:
            return None
        for apply in self.nodes("apply") if self.declares_options else ():
            binding = apply.parent
            if binding is None or binding.type != "binding" or \
                    nixparse.text(binding.child_by_field_name("attrpath")) != "config":
                continue
            fn = apply.child_by_field_name("function")
            if fn is None or fn.type != "apply_expression":
                continue
            cond = fn.child_by_field_name("argument")
            if cond is None or not nixparse.text(fn.child_by_field_name("function")).endswith("mkIf"):
                continue
            written = nixparse.text(cond)
            if written.startswith("cfg.") and (bound := _CFG.search(self.source)) is not None:
                written = "config." + bound.group(1).decode() + written[3:]
            if _GUARD.fullmatch(written):
                return tuple(written.split(".")[1:])
        return None

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
        out = [self.import_of(item) for item in self.module_items]
        paths = []
        for apply in self.nodes("apply"):
            arg = apply.child_by_field_name("argument")
            if arg is None or arg.type != "path_expression":
                continue
            fn = apply.child_by_field_name("function")
            if fn is not None and fn.type == "variable_expression" and fn.text == b"import":
                paths.append(arg)
        out.extend(self.import_of(arg) for arg in sorted(paths, key=operator.attrgetter("start_byte")))
        for s in self.settings:
            if s.path[:2] == ("home-manager", "users") and len(s.path) == 3 and s.value is not None \
                    and s.value.type == "path_expression":
                out.append(self.import_of(s.value))
        return out

    def import_of(self, node: tree_sitter.Node) -> Import:
        inner = nixparse.unwrap(node)
        if inner.type == "apply_expression":  # import ./x.nix args
            fn = inner.child_by_field_name("function")
            while fn is not None and fn.type == "apply_expression":
                inner, fn = fn, fn.child_by_field_name("function")
            if fn is not None and nixparse.text(fn) == "import":
                arg = inner.child_by_field_name("argument")
                inner = arg if arg is not None else inner
        if (from_root := _from_flake_root(inner)) is not None:
            return Import(node.start_point[0] + 1, posixpath.normpath(from_root), nixparse.text(node)[:80])
        if inner.type == "path_expression" and all(c.type == "path_fragment" for c in inner.named_children):
            raw = nixparse.text(inner)
            base = posixpath.dirname(self.rel)
            target = posixpath.normpath(posixpath.join(base, raw)) if not raw.startswith(("/", "~")) else None
            return Import(node.start_point[0] + 1, target, raw)
        return Import(node.start_point[0] + 1, None, nixparse.text(node)[:80])

    def module_import(self, value: tree_sitter.Node) -> Import:
        """A module given as a value: a path or `import ./x` is followed; written inline, it is
        part of this file."""
        inner = nixparse.unwrap(value)
        if inner.type in (*_ATTRSETS, "function_expression"):
            return Import(value.start_point[0] + 1, self.rel, "<inline>")
        return self.import_of(value)

    @functools.cached_property
    def roots(self) -> list[Root]:
        """Systems built here: nixosSystem & co., and colmena hive nodes."""
        out = []
        builds = [(apply, kind) for apply in self.nodes("apply") if (kind := _builder_kind(apply)) is not None]
        for apply, kind in sorted(builds, key=lambda b: b[0].start_byte):
            arg = apply.child_by_field_name("argument")
            if arg is not None:
                out.append(Root(f"{self.rel}:{apply.start_point[0] + 1}", kind, tuple(self._modules_of(arg))))
        if b"colmena" in self.source or b"meta" in self.source:
            out.extend(self._colmena_nodes())
        return out

    def _modules_of(self, arg: tree_sitter.Node) -> list[Import]:
        node = nixparse.unwrap(arg)
        if node.type not in _ATTRSETS:
            return [Import(arg.start_point[0] + 1, None, "<dynamic>")]
        out = []
        for binding_set in node.named_children:
            for binding in binding_set.named_children if binding_set.type == "binding_set" else []:
                attrpath = binding.child_by_field_name("attrpath")
                value = binding.child_by_field_name("expression")
                if attrpath is None or value is None or attrpath.text != b"modules":
                    continue
                for item in _list_items(value):
                    if nixparse.unwrap(item).type in ("attrset_expression", "function_expression"):
                        out.append(Import(item.start_point[0] + 1, self.rel, "<inline>"))
                    else:
                        out.append(self.import_of(item))
        return out

    def _colmena_nodes(self) -> list[Root]:
        """colmena = { meta; defaults; <node> = module; } and colmena.lib.makeHive { ... }:
        every node is a NixOS host built from its module and the defaults."""
        hives = self.nodes("hive") + [
            arg for apply in self.nodes("apply")
            if nixparse.text(apply.child_by_field_name("function")).endswith("makeHive")
            and (arg := apply.child_by_field_name("argument")) is not None]
        candidates = [(node, True) for node in hives]
        candidates.append((self.tree.root_node, False))  # a hive in its own file (import ./hive.nix)
        out = []
        for node, known in candidates:
            hive = nixparse.unwrap(node)
            if hive.type not in _ATTRSETS:
                continue
            members = _members(hive)
            # `inputs.colmena = { url = ...; }` is no hive: a hive has meta (or at least defaults)
            if not (_is_hive(hive) or (known and "defaults" in members)):
                continue
            defaults = [self.module_import(members["defaults"])] if "defaults" in members else []
            for name, value in members.items():
                if name not in ("meta", "defaults", nixparse.DYNAMIC):
                    out.append(Root(name, "nixos", (self.module_import(value), *defaults)))
        return out

    @functools.cached_property
    def exports(self) -> list[tuple[str, str, str]]:
        """(nixosModules, name, file) this flake exports; name "" for `nixosModules = import ./x`,
        a folder whose default.nix names the modules."""
        if self.rel != "flake.nix" and not self.rel.endswith("/flake.nix"):
            return []
        out = []
        for s in self.settings:
            path = s.path[1:] if s.path[:1] == ("outputs",) else s.path
            path = path[1:] if path[:1] == ("flake",) else path  # flake-parts
            if not path or path[0] not in MODULE_OUTPUTS or len(path) > 2:
                continue
            target = self.module_import(s.value if s.value is not None else s.node).target
            if target is not None:
                out.append((path[0], path[1] if len(path) == 2 else "", target))
        return out

    @functools.cached_property
    def named_modules(self) -> list[tuple[str, str]]:
        """name -> file for a set of modules (`{ desktop = ./desktop.nix; }`), as the file a
        flake exports as `nixosModules = import ./modules;` names them."""
        out = []
        for s in self.settings:
            if len(s.path) == 1:
                target = self.module_import(s.value if s.value is not None else s.node).target
                if target is not None:
                    out.append((s.path[0], target))
        return out

    @functools.cached_property
    def parse_problem(self) -> ParseProblem | None:
        """What Nix says when it refuses the file, with Nix's own position and words where Nix
        is installed. tree-sitter errors and the cheap suspects (undefined names, attributes
        defined twice, no expression) are confirmed by nix-instantiate --parse."""
        root = self.tree.root_node
        try:
            suspects = [] if root.has_error else nixparse.suspects(self.tree, self.found)
        except RecursionError:  # absurd nesting: let Nix judge it
            suspects = [(1, 1, "deep nesting")]
        if not root.has_error and not suspects:
            return None
        try:  # stdin: judged as a Nix with pipe-operators would judge it
            proc = process.run(["nix-instantiate", "--parse", "-"], check=False,
                               input=nixparse.without_pipes(self.source).decode("utf-8", "replace"))
        except NixbtwError:  # no Nix here: trust tree-sitter's syntax errors only
            if root.has_error:
                bad = _first_error(root)
                return ParseProblem(bad.start_point[0] + 1, bad.start_point[1] + 1, "syntax error")
            return None
        if proc.returncode == 0:
            return None
        line, column, message = nixparse.nix_error(proc.stderr)
        return ParseProblem(line, column, message.replace("«stdin»", self.rel))


def _members(attrset: tree_sitter.Node) -> dict[str, tree_sitter.Node]:
    """name -> value of an attribute set's one-name bindings."""
    members: dict[str, tree_sitter.Node] = {}
    for binding_set in attrset.named_children:
        for binding in binding_set.named_children if binding_set.type == "binding_set" else []:
            attrpath = binding.child_by_field_name("attrpath")
            value = binding.child_by_field_name("expression")
            if binding.type == "binding" and attrpath is not None and value is not None \
                    and len(attrpath.named_children) == 1:
                members[nixparse.attr_name(attrpath.named_children[0])] = value
    return members


# What only a colmena hive's `meta` sets (a package's meta has description, license, ...).
_HIVE_META = frozenset({"nixpkgs", "nodeNixpkgs", "nodeSpecialArgs", "specialArgs", "machinesFile",
                        "allowApplyAll"})


def _meta_names(attrset: tree_sitter.Node) -> set[str]:
    """The names set under `meta` in an attribute set: `meta.nixpkgs = ...` or `meta = { ... }`."""
    names: set[str] = set()
    for binding_set in attrset.named_children:
        for binding in binding_set.named_children if binding_set.type == "binding_set" else []:
            attrpath = binding.child_by_field_name("attrpath")
            value = binding.child_by_field_name("expression")
            parts = attrpath.named_children if binding.type == "binding" and attrpath is not None else []
            if not parts or value is None or nixparse.attr_name(parts[0]) != "meta":
                continue
            if len(parts) > 1:
                names.add(nixparse.attr_name(parts[1]))
            elif (inner := nixparse.unwrap(value)).type in _ATTRSETS:
                names |= {s.path[0] for s in nixparse.settings(inner, top=False) if s.path}
    return names


def _is_hive(attrset: tree_sitter.Node) -> bool:
    """A colmena hive: its meta sets what only a hive's meta sets (nixpkgs, nodeNixpkgs, ...),
    and nothing a package's meta sets (description, license, ...)."""
    names = _meta_names(attrset)
    return bool(names & _HIVE_META) and names <= _HIVE_META | {nixparse.DYNAMIC, "name", "description"}


def _list_items(node: tree_sitter.Node, depth: int = 0) -> list[tree_sitter.Node]:
    """The elements of a modules list written as `[ ... ] ++ lib.optionals c [ ... ] ++ f x`;
    an operand that is no list stands for itself (an import that cannot be followed)."""
    node = nixparse.leaf(node)
    if node.type == "list_expression":
        return [c for c in node.named_children if c.type != "comment"]
    if depth < 16 and node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        if op is not None and op.text == b"++":
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


def _builder_kind(apply: tree_sitter.Node) -> str | None:
    fn = apply.child_by_field_name("function")
    if fn is None or fn.type not in ("select_expression", "variable_expression"):
        return None
    return BUILDERS.get(nixparse.text(fn).rsplit(".", 1)[-1])


def _first_error(root: tree_sitter.Node) -> tree_sitter.Node:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return root


_FLAKE_SELF = ("self", "inputs.self")


def _from_flake_root(node: tree_sitter.Node) -> str | None:
    """The file `self + /modules/x.nix`, `inputs.self + "/x.nix"` or `"${self}/x.nix"` names,
    relative to the flake's root (taken as the repository's)."""
    rest: str | None = None
    if node.type == "binary_expression" and nixparse.text(node.child_by_field_name("operator")) == "+" and \
            nixparse.text(node.child_by_field_name("left")) in _FLAKE_SELF:
        right = node.child_by_field_name("right")
        rest = nixparse.text(right) if right is not None and right.type == "path_expression" \
            and all(c.type == "path_fragment" for c in right.named_children) else nixparse.string_value(right)
    elif node.type == "string_expression":
        parts = node.named_children
        if len(parts) == 2 and parts[0].type == "interpolation" and parts[1].type == "string_fragment" and \
                nixparse.text(parts[0]).removeprefix("${").removesuffix("}").strip() in _FLAKE_SELF:
            rest = nixparse.text(parts[1])
    if rest is None or not rest.startswith("/") or "${" in rest or len(rest) < 2:
        return None
    return rest[1:]
