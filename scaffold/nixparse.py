"""A real Nix parser (tree-sitter) and the option paths a module sets.

Used by the verified-options test and by `nixbtw check`: comments, strings and
nesting cannot fool it the way a regular expression would be fooled.

The grammar comes from tree-sitter-language-pack 0.13, whose Nix grammar
accepts everything Nix accepts in our corpus (including the trailing comma in
`{ a, b, }:` that nixfmt writes, which tree-sitter-nix 0.1.0 rejects). The
1.x line of that package downloads grammars at run time, so it is not used.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import tree_sitter
import tree_sitter_language_pack

# Functions whose last argument is still module content.
_TRANSPARENT = frozenset({"mkIf", "mkDefault", "mkForce", "mkOverride", "mkBefore", "mkAfter",
                          "mkMerge", "mkOrder", "optionalAttrs", "mkVMOverride", "mkOptionDefault",
                          "mkImageMediaOverride", "mkFixStrictness"})
DYNAMIC = "<dynamic>"


class _Unknown:
    """What literal() gives for a value only evaluation knows: never a str, so a rule that
    asks `isinstance(value, str)` cannot mistake `config.x.y` or `lib.mkForce name` for text."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unknown>"

    def __reduce__(self) -> str:  # one UNKNOWN, in every process facts travel through
        return "UNKNOWN"


UNKNOWN = _Unknown()
_ATTRSETS = ("attrset_expression", "rec_attrset_expression")
Env = Mapping[str, tree_sitter.Node]


@functools.cache
def language() -> tree_sitter.Language:
    return tree_sitter_language_pack.get_language("nix")


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(language())


def parse(source: bytes) -> tree_sitter.Tree:
    tree = _parser().parse(source)
    if tree.root_node.has_error and has_pipes(source):
        return _parser().parse(without_pipes(source))
    return tree


def has_pipes(source: bytes) -> bool:
    return b"|>" in source or b"<|" in source


def without_pipes(source: bytes) -> bytes:
    """Pipe operators (`x |> f`, `f <| x`: Nix's experimental pipe-operators) written as `++`.

    The grammar and the Nix used to confirm parse errors predate them; for parsing they are
    binary operators like any other, and the same length keeps every position.
    """
    return source.replace(b"|>", b"++").replace(b"<|", b"++")


def has_errors(tree: tree_sitter.Tree) -> bool:
    return tree.root_node.has_error or not _has_expression(tree.root_node)


def _has_expression(root: tree_sitter.Node) -> bool:
    return any(c.type != "comment" for c in root.named_children)


@functools.cache
def query(source: str) -> tree_sitter.Query:
    return tree_sitter.Query(language(), source)


def captures(node: tree_sitter.Node, source: str) -> dict[str, list[tree_sitter.Node]]:
    """Nodes matching a tree-sitter query, found in C rather than by a Python walk."""
    return tree_sitter.QueryCursor(query(source)).captures(node)


@dataclass(frozen=True)
class Setting:
    path: tuple[str, ...]
    line: int
    node: tree_sitter.Node
    # The value with mk* wrappers, parentheses and let-bound names looked through.
    value: tree_sitter.Node | None = None

    @functools.cached_property
    def literal(self) -> object:
        """Computed once: several rules read the same setting's value."""
        return literal(self.value if self.value is not None else self.node)


def text(node: tree_sitter.Node | None) -> str:
    return ((node.text if node is not None else b"") or b"").decode("utf-8", "replace")


_text = text


def attr_name(node: tree_sitter.Node) -> str:
    """One attrpath component: an identifier, a constant string, or dynamic."""
    kind = node.type
    if kind == "identifier":  # most names: read without the general text() helper
        return (node.text or b"").decode("utf-8", "replace")
    if kind == "string_expression":
        parts = node.named_children
        if all(p.type in ("string_fragment", "escape_sequence") for p in parts):
            return _unescape("".join(_text(p) for p in parts))
    return DYNAMIC


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "r": "\r", "t": "\t"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def string_value(node: tree_sitter.Node | None) -> str | None:
    """The value of a string literal without interpolation, else None."""
    if node is None:
        return None
    node = unwrap(node)
    if node.type == "string_expression":
        parts = node.named_children
        if all(p.type in ("string_fragment", "escape_sequence") for p in parts):
            return _unescape("".join(_text(p) for p in parts))
    if node.type == "indented_string_expression":
        parts = node.named_children
        if all(p.type == "string_fragment" for p in parts):
            return "".join(_text(p) for p in parts)
    return None


def literal(node: tree_sitter.Node | None) -> object:
    """A literal value (str, int, bool, None, list of literals), else UNKNOWN."""
    if node is None:
        return UNKNOWN
    node = leaf(node)
    if node.type in ("string_expression", "indented_string_expression"):
        value = string_value(node)
        return UNKNOWN if value is None else value
    if node.type == "integer_expression":
        return int(_text(node))
    if node.type == "variable_expression":
        name = _text(node)
        return {"true": True, "false": False, "null": None}.get(name, UNKNOWN)
    if node.type == "list_expression":
        return [literal(c) for c in node.named_children if c.type != "comment"]
    return UNKNOWN


def _let_env(node: tree_sitter.Node, env: Env) -> dict[str, tree_sitter.Node]:
    out = dict(env)
    for binding_set in node.named_children:
        if binding_set.type != "binding_set":
            continue
        for binding in binding_set.named_children:
            if binding.type == "binding":
                attrpath = binding.child_by_field_name("attrpath")
                value = binding.child_by_field_name("expression")
                if attrpath is not None and value is not None and len(attrpath.named_children) == 1:
                    out[attr_name(attrpath.named_children[0])] = value
    return out


def unwrap(node: tree_sitter.Node, env: dict[str, tree_sitter.Node] | None = None) -> tree_sitter.Node:
    """The expression inside parentheses, a function's body or a let's body.

    With `env`, the bindings of every `let` crossed are added to it.
    """
    while True:
        if node.type in ("source_code", "parenthesized_expression"):
            inner = [c for c in node.named_children if c.type != "comment"]
            if len(inner) != 1:
                return node
            node = inner[0]
        elif node.type in ("function_expression", "let_expression", "with_expression"):
            if node.type == "let_expression" and env is not None:
                env.update(_let_env(node, env))
            body = node.child_by_field_name("body")
            if body is None:
                return node
            node = body
        else:
            return node


def _function_name(node: tree_sitter.Node) -> str:
    if node.type != "apply_expression":
        return ""
    fn = node.child_by_field_name("function")
    while fn is not None and fn.type == "apply_expression":
        fn = fn.child_by_field_name("function")
    return _text(fn).rsplit(".", 1)[-1] if fn is not None else ""


def _apply_target(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """For `lib.mkIf cond { ... }` and friends: the content argument."""
    if node.type != "apply_expression":
        return None
    return node.child_by_field_name("argument") if _function_name(node) in _TRANSPARENT else None


_WRAPPERS = frozenset({"source_code", "parenthesized_expression"})
_BODIES = frozenset({"function_expression", "let_expression", "with_expression"})


def _scoped(node: tree_sitter.Node, env: Env) -> tuple[tree_sitter.Node, Env]:
    """Look through parentheses, function and let bodies, mk* wrappers and let-bound names;
    the names bound by the lets crossed come back with the node (the env is copied only
    when something is added or removed)."""
    scope: Env = env
    own: dict[str, tree_sitter.Node] | None = None
    depth = 0
    for _ in range(32):
        kind = node.type
        if kind in _WRAPPERS:
            inner = [c for c in node.named_children if c.type != "comment"]
            if len(inner) != 1:
                break
            node = inner[0]
        elif kind in _BODIES:
            if kind == "let_expression":
                own = scope = _let_env(node, scope)  # a copy with the let's names
            body = node.child_by_field_name("body")
            if body is None:
                break
            node = body
        elif kind == "apply_expression":
            target = _apply_target(node)
            if target is None:
                break
            node = target
        elif kind == "variable_expression" and depth < 8 and scope:
            name = (node.text or b"").decode("utf-8", "replace")
            if name not in scope:
                break
            if own is None:
                own = dict(scope)
                scope = own
            node = own.pop(name)  # a name cannot refer to itself
            depth += 1
        else:
            break
    return node, scope


def _resolve(node: tree_sitter.Node, env: Env) -> tree_sitter.Node:
    return _scoped(node, env)[0]


def leaf(node: tree_sitter.Node, env: Env | None = None) -> tree_sitter.Node:
    """The value under mkForce/mkDefault/mkIf wrappers, parentheses and let names."""
    return _resolve(node, env or {})


def _binary_parts(node: tree_sitter.Node) -> list[tree_sitter.Node] | None:
    """The operands of `a // b`, else None."""
    if node.type != "binary_expression":
        return None
    op = node.child_by_field_name("operator")
    if op is None or _text(op) != "//":
        return None
    return [c for c in (node.child_by_field_name("left"), node.child_by_field_name("right")) if c is not None]


def settings(node: tree_sitter.Node, prefix: tuple[str, ...] = (), env: Env | None = None,
             *, top: bool = True) -> Iterator[Setting]:
    """Every leaf path set in an attrset (a module's body), with its line.

    Looks through `config = { ... }` at a module's top, mk* wrappers, `mkMerge`
    lists, `//`, nested attribute sets, let bindings and `inherit`.
    """
    out: list[Setting] = []
    _settings(node, prefix, env or {}, top, out)
    return iter(out)


def _settings(node: tree_sitter.Node, prefix: tuple[str, ...], env: Env, top: bool,
              out: list[Setting]) -> None:
    # Appends to one list: nested generators would pass every setting up through each level.
    node, scope = _scoped(node, env)
    parts = _binary_parts(node)
    if parts is not None:
        for part in parts:
            _settings(part, prefix, scope, top, out)
        return
    kind = node.type
    if kind == "list_expression":
        for item in node.named_children:
            _settings(item, prefix, scope, top, out)
        return
    if kind not in _ATTRSETS:
        return
    inner_scope = _let_env(node, scope) if kind == "rec_attrset_expression" else scope
    for binding_set in node.named_children:
        if binding_set.type != "binding_set":
            continue
        for binding in binding_set.named_children:
            kind = binding.type
            if kind == "binding":
                attrpath = binding.child_by_field_name("attrpath")
                value = binding.child_by_field_name("expression")
                if attrpath is None or value is None:
                    continue
                path = tuple([attr_name(a) for a in attrpath.named_children])
                if top and not prefix and path[:1] == ("config",):
                    path = path[1:]  # the explicit module form: config = { ... }
                path = prefix + path
                resolved, value_scope = _scoped(value, inner_scope)
                rtype = resolved.type
                if rtype in _ATTRSETS or _binary_parts(resolved) is not None or (
                        rtype == "list_expression" and _function_name(unwrap(value)) in _TRANSPARENT):
                    before = len(out)
                    _settings(resolved, path, value_scope, False, out)
                    if len(out) > before:
                        continue
                out.append(Setting(path, binding.start_point[0] + 1, value, resolved))
            elif kind in ("inherit", "inherit_from"):
                attrs = binding.child_by_field_name("attrs")
                source = binding.child_by_field_name("expression")
                for a in attrs.named_children if attrs is not None else []:
                    name = attr_name(a)
                    bound = inner_scope.get(name) if source is None else None
                    resolved = _resolve(bound, inner_scope) if bound is not None else a
                    out.append(Setting((*prefix, name), binding.start_point[0] + 1, a, resolved))


def module_settings(source: bytes) -> list[Setting]:
    return list(settings(parse(source).root_node))


# --- what makes Nix refuse a file that tree-sitter accepts -------------------------------------

# Names Nix binds in every file (builtins exposed without the prefix).
GLOBALS = frozenset({
    "true", "false", "null", "builtins", "import", "map", "toString", "throw", "abort",
    "derivation", "baseNameOf", "dirOf", "isNull", "removeAttrs", "fetchTarball", "fetchGit",
    "fetchurl", "fetchMercurial", "fetchTree", "placeholder", "scopedImport", "__currentSystem",
    "__currentTime", "__nixPath", "__storeDir", "__nixVersion", "__langVersion",
})
_GLOBAL_BYTES = frozenset(name.encode() for name in GLOBALS)
BINDERS = """
(formal name: (identifier) @n)
(function_expression universal: (identifier) @n)
(let_expression (binding_set (binding attrpath: (attrpath . (identifier) @n))))
(let_expression (binding_set (inherit attrs: (inherited_attrs (identifier) @n))))
(let_expression (binding_set (inherit_from attrs: (inherited_attrs (identifier) @n))))
(rec_attrset_expression (binding_set (binding attrpath: (attrpath . (identifier) @n))))
(rec_attrset_expression (binding_set (inherit attrs: (inherited_attrs (identifier) @n))))
(rec_attrset_expression (binding_set (inherit_from attrs: (inherited_attrs (identifier) @n))))
(with_expression) @with
(variable_expression name: (identifier) @use)
(inherit attrs: (inherited_attrs (identifier) @inh))
(binding_set) @b
"""


def suspects(tree: tree_sitter.Tree, found: Mapping[str, list[tree_sitter.Node]] | None = None,
             ) -> list[tuple[int, int, str]]:
    """Places where Nix may refuse a file tree-sitter accepts: (line, column, why).

    Cheap and generous on purpose: each suspect is confirmed by Nix itself
    (nix-instantiate --parse) before anything is reported.
    """
    root = tree.root_node
    if not _has_expression(root):
        return [(root.end_point[0] + 1, root.end_point[1] + 1, "no expression")]
    source = root.text or b""
    if any(opener * 256 in source for opener in (b"(", b"[", b"{")):
        # Nix's parser runs out of stack long before tree-sitter does.
        return [(1, 1, "nesting deeper than Nix's parser takes")]
    if found is None:  # a caller that already ran a query including BINDERS passes its result
        found = captures(root, BINDERS)
    out = []
    if "with" not in found:  # under `with` any name may be bound (names compared as bytes)
        bound = _GLOBAL_BYTES | {n.text for n in found.get("n", [])}
        for use in found.get("use", []) + found.get("inh", []):
            name = use.text or b""
            if name not in bound and not name.startswith(b"__"):
                out.append((use.start_point[0] + 1, use.start_point[1] + 1,
                            f"undefined variable {name.decode('utf-8', 'replace')}"))
                break
    for binding_set in found.get("b", []):
        clash = _duplicate(binding_set) if _may_clash(binding_set) else None
        if clash is not None:
            out.append(clash)
            break
    return out


def _may_clash(binding_set: tree_sitter.Node) -> bool:
    """Whether two bindings could define the same attribute; most sets that repeat a first name
    (`services.a.enable = ...; services.b.enable = ...;`) define distinct leaves and cannot.
    Undecided shapes (quoted or dynamic names, inherit, a name bound to a whole set) say yes."""
    if binding_set.named_child_count < 2:
        return False
    firsts: set[bytes | None] = set()
    for binding in binding_set.named_children:
        kind = binding.type
        if kind in ("inherit", "inherit_from"):
            return _repeats_a_name(binding_set)
        attrpath = binding.child_by_field_name("attrpath") if kind == "binding" else None
        head = attrpath.named_child(0) if attrpath is not None else None
        if head is None:
            continue
        if head.text in firsts:
            break
        firsts.add(head.text)
    else:
        return False  # every first name differs: nothing can clash at this level
    paths: dict[bytes, list[tuple[bytes, ...]]] = {}
    for binding in binding_set.named_children:
        if binding.type == "comment":
            continue
        attrpath = binding.child_by_field_name("attrpath") if binding.type == "binding" else None
        raw = attrpath.text if attrpath is not None else None
        if raw is None or b'"' in raw or b"$" in raw:
            return _repeats_a_name(binding_set)
        path = tuple(part.strip() for part in raw.split(b"."))
        paths.setdefault(path[0], []).append(path)
    for group in paths.values():
        if len(group) < 2:
            continue
        if any(len(path) == 1 for path in group) or len(set(group)) < len(group):
            return True
        ordered = sorted(group)
        if any(later[: len(earlier)] == earlier for earlier, later in itertools.pairwise(ordered)):
            return True
    return False


class _Clash(Exception):
    def __init__(self, node: tree_sitter.Node, name: str) -> None:
        super().__init__(name)
        self.node, self.name = node, name


_Trie = dict[str, "_Trie | None"]


def _repeats_a_name(binding_set: tree_sitter.Node) -> bool:
    """Whether a first name appears twice; without that no clash is possible at this level
    (clashes inside a nested literal set are found when that set is visited)."""
    if binding_set.named_child_count < 2:
        return False
    names: set[str] = set()
    for binding in binding_set.named_children:
        kind = binding.type
        if kind == "binding":
            attrpath = binding.child_by_field_name("attrpath")
            head = attrpath.named_child(0) if attrpath is not None else None
            first = DYNAMIC if head is None else (head.text or b"").decode("utf-8", "replace") \
                if head.type == "identifier" else attr_name(head)
            if first in names and first != DYNAMIC:
                return True
            names.add(first)
        elif kind in ("inherit", "inherit_from"):
            attrs = binding.child_by_field_name("attrs")
            for a in attrs.named_children if attrs is not None else []:
                name = attr_name(a)
                if name in names and name != DYNAMIC:
                    return True
                names.add(name)
    return False


def _duplicate(binding_set: tree_sitter.Node) -> tuple[int, int, str] | None:
    """The first attribute a binding set defines twice, the way Nix's parser merges them."""
    try:
        _trie(binding_set)
    except _Clash as clash:
        return clash.node.start_point[0] + 1, clash.node.start_point[1] + 1, \
            f"attribute {clash.name} already defined"
    return None


def _trie(binding_set: tree_sitter.Node) -> _Trie:
    """Nested attribute names of one binding set; None marks a value that is not an attrset."""
    trie: _Trie = {}
    for binding in binding_set.named_children:
        if binding.type in ("inherit", "inherit_from"):
            attrs = binding.child_by_field_name("attrs")
            for a in attrs.named_children if attrs is not None else []:
                name = attr_name(a)
                if name == DYNAMIC:
                    continue
                if name in trie:
                    raise _Clash(binding, name)
                trie[name] = None
            continue
        attrpath = binding.child_by_field_name("attrpath") if binding.type == "binding" else None
        value = binding.child_by_field_name("expression") if binding.type == "binding" else None
        if attrpath is None or value is None:
            continue
        path = [attr_name(a) for a in attrpath.named_children]
        if DYNAMIC in path:
            continue
        here = trie
        for name in path[:-1]:
            child = here.setdefault(name, {})
            if child is None:
                raise _Clash(binding, name)
            here = child
        literal_set = value if value.type in _ATTRSETS else None
        new: _Trie | None = None
        if literal_set is not None:
            inner = next((c for c in literal_set.named_children if c.type == "binding_set"), None)
            new = _trie(inner) if inner is not None else {}
        name = path[-1]
        if name not in here:
            here[name] = new
            continue
        existing = here[name]
        if existing is None or new is None:
            raise _Clash(binding, name)
        for key, sub in new.items():  # Nix merges one level deep, no further
            if key in existing:
                raise _Clash(binding, key)
            existing[key] = sub
    return trie


_NIX_POSITION = re.compile(r"at [^\n]*?:([0-9]+):([0-9]+):")


def nix_error(stderr: str) -> tuple[int, int, str]:
    """(line, column, message) from nix-instantiate's error text; 1:1 when it names no place."""
    errors = [ln.strip().removeprefix("error:").strip() for ln in stderr.splitlines()
              if ln.strip().startswith("error:")]
    message = errors[0] if errors else "Nix refuses this file"
    position = _NIX_POSITION.search(stderr)
    if position is None:
        return 1, 1, message
    return int(position.group(1)), int(position.group(2)), message
