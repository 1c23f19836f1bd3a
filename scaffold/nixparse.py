"""A real Nix parser (tree-sitter-nix) and the option paths a module sets.

Used by the verified-options test and by `nixbtw check`: comments, strings and
nesting cannot fool it the way a regular expression would be fooled.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter
import tree_sitter_nix

# Functions whose last argument is still module content.
_TRANSPARENT = frozenset({"mkIf", "mkDefault", "mkForce", "mkOverride", "mkBefore", "mkAfter",
                          "mkMerge", "mkOrder"})
DYNAMIC = "<dynamic>"


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_nix.language()))


def parse(source: bytes) -> tree_sitter.Tree:
    return _parser().parse(source)


def has_errors(tree: tree_sitter.Tree) -> bool:
    return tree.root_node.has_error


@dataclass(frozen=True, slots=True)
class Setting:
    path: tuple[str, ...]
    line: int
    node: tree_sitter.Node


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def attr_name(node: tree_sitter.Node) -> str:
    """One attrpath component: an identifier, a constant string, or dynamic."""
    if node.type == "identifier":
        return _text(node)
    if node.type == "string_expression":
        parts = node.named_children
        if all(p.type in ("string_fragment", "escape_sequence") for p in parts):
            return _unescape("".join(_text(p) for p in parts))
    return DYNAMIC


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "r": "\r", "t": "\t"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def unwrap(node: tree_sitter.Node) -> tree_sitter.Node:
    """The expression inside parentheses, a function's body or a let's body."""
    while True:
        if node.type in ("source_code", "parenthesized_expression"):
            inner = [c for c in node.named_children if c.type != "comment"]
            if len(inner) != 1:
                return node
            node = inner[0]
        elif node.type in ("function_expression", "let_expression", "with_expression"):
            node = node.child_by_field_name("body") or node
            if node.type in ("function_expression", "let_expression", "with_expression"):
                continue
            return node
        else:
            return node


def _apply_target(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """For `lib.mkIf cond { ... }` and friends: the content argument."""
    if node.type != "apply_expression":
        return None
    fn = node.child_by_field_name("function")
    arg = node.child_by_field_name("argument")
    while fn is not None and fn.type == "apply_expression":
        fn = fn.child_by_field_name("function")
    name = _text(fn).rsplit(".", 1)[-1] if fn is not None else ""
    return arg if name in _TRANSPARENT else None


def leaf(node: tree_sitter.Node) -> tree_sitter.Node:
    """The value under mkForce/mkDefault/mkIf wrappers and parentheses."""
    node = unwrap(node)
    while (target := _apply_target(node)) is not None:
        node = unwrap(target)
    return node


def settings(node: tree_sitter.Node, prefix: tuple[str, ...] = ()) -> Iterator[Setting]:
    """Every leaf path set in an attrset (a module's body), with its line."""
    node = unwrap(node)
    target = _apply_target(node)
    if target is not None:
        yield from settings(target, prefix)
        return
    if node.type == "list_expression" and prefix == ():
        for item in node.named_children:
            yield from settings(item, prefix)
        return
    if node.type not in ("attrset_expression", "rec_attrset_expression"):
        return
    for binding_set in node.named_children:
        if binding_set.type != "binding_set":
            continue
        for binding in binding_set.named_children:
            if binding.type == "binding":
                attrpath = binding.child_by_field_name("attrpath")
                value = binding.child_by_field_name("expression")
                if attrpath is None or value is None:
                    continue
                path = prefix + tuple(attr_name(a) for a in attrpath.named_children)
                inner = unwrap(value)
                if inner.type in ("attrset_expression", "rec_attrset_expression") or \
                        _apply_target(inner) is not None:
                    children = list(settings(inner, path))
                    if children:
                        yield from children
                        continue
                yield Setting(path, binding.start_point[0] + 1, value)
            elif binding.type in ("inherit", "inherit_from"):
                attrs = binding.child_by_field_name("attrs")
                for a in attrs.named_children if attrs is not None else []:
                    yield Setting((*prefix, attr_name(a)), binding.start_point[0] + 1, a)


def module_settings(source: bytes) -> list[Setting]:
    return list(settings(parse(source).root_node))
