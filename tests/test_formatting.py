"""Every generated .nix file is already formatted the way `nix fmt` (nixfmt, RFC 166) formats it.

nixfmt itself is not installable here (no Debian, PyPI or npm package), so
this checks the rules of RFC 166 that can be checked without it: the layout
of whitespace, and that a list or attribute set with more than one element
is never written on one line. The flake's `formatter` output lets a user with
Nix run the real thing.
"""

from __future__ import annotations

import re

import pytest
import tree_sitter

from scaffold import nixparse
from tests.conftest import all_files, example_names, render_example

ATTRSETS = ("attrset_expression", "rec_attrset_expression", "let_attrset_expression")
STRINGS = ("string_expression", "indented_string_expression")


def _string_lines(tree: tree_sitter.Tree) -> set[int]:
    """Lines inside multi-line strings: their content is the user's, not the formatter's."""
    lines: set[int] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in STRINGS:
            lines |= set(range(node.start_point[0] + 1, node.end_point[0] + 1))
            continue
        stack.extend(node.children)
    return lines


def _one_line_collections(tree: tree_sitter.Tree) -> list[str]:
    out: list[tuple[int, str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.start_point[0] != node.end_point[0]:
            continue
        if node.type == "list_expression":
            count = len(node.named_children)
        elif node.type in ATTRSETS:
            bindings = [b for b in node.named_children if b.type == "binding_set"]
            count = sum(len(b.named_children) for b in bindings)
        else:
            continue
        if count > 1:
            out.append((node.start_point[0], f"line {node.start_point[0] + 1}: {(node.text or b'').decode()}"))
    return [text for _, text in sorted(out)]


def format_problems(text: str) -> list[str]:
    problems = []
    tree = nixparse.parse(text.encode())
    in_string = _string_lines(tree)
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append("the file must end with exactly one newline")
    blank_run = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line != line.rstrip():
            problems.append(f"line {number}: trailing whitespace")
        if "\t" in line:
            problems.append(f"line {number}: a tab")
        blank_run = blank_run + 1 if not line.strip() else 0
        if blank_run > 1 and number not in in_string:
            problems.append(f"line {number}: more than one blank line")
        indent = len(line) - len(line.lstrip(" "))
        if line.strip() and indent % 2 and number not in in_string:
            problems.append(f"line {number}: indented by an odd number of spaces")
    if re.match(r"\s*\n", text):
        problems.append("the file starts with a blank line")
    # nixfmt keeps `{ config, lib, ... }:` on one line but puts three or more formals one per
    # line (nixpkgs' own modules after the reformat, e.g. misc/label.nix and security/sudo.nix).
    for number, line in enumerate(text.splitlines(), start=1):
        formals = re.fullmatch(r"\s*\{ ([^{}]*) \}:", line)
        if formals and len([n for n in formals.group(1).split(",") if n.strip() not in ("", "...")]) >= 3:
            problems.append(f"line {number}: three or more formals on one line")
    # nixfmt wraps code at 100 columns; it never breaks a string or moves a comment.
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > 100 and '"' not in line and "#" not in line and number not in in_string:
            problems.append(f"line {number}: longer than 100 columns")
    return problems + _one_line_collections(tree) + _empty_collections_on_two_lines(tree)


def _empty_collections_on_two_lines(tree: tree_sitter.Tree) -> list[str]:
    """nixfmt writes an empty list or set as `[ ]` / `{ }` on one line."""
    out = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type in ("list_expression", *ATTRSETS) and not node.named_children \
                and node.start_point[0] != node.end_point[0]:
            out.append(f"line {node.start_point[0] + 1}: an empty {node.type} over two lines")
    return sorted(out)


@pytest.mark.parametrize("example", example_names())
def test_every_generated_nix_file_is_formatted(example: str) -> None:
    problems = []
    for rel, text in sorted(all_files(render_example(example)).items()):
        if rel.endswith(".nix"):
            problems += [f"{rel}: {p}" for p in format_problems(text)]
    assert problems == []


def test_the_format_check_catches_what_nixfmt_would_change() -> None:
    text = ('{ config, lib, pkgs, ... }:\n'
            '{\n  a = [ "x" "y" ];\n   b = { c = 1; d = 2; };  \n\n\n'
            '  e = [ "z" ];\n  s = \'\'\n     kept\n  \'\';\n}')
    assert format_problems(text) == [
        "the file must end with exactly one newline",
        "line 4: trailing whitespace",
        "line 4: indented by an odd number of spaces",
        "line 6: more than one blank line",
        "line 1: three or more formals on one line",
        'line 3: [ "x" "y" ]',
        "line 4: { c = 1; d = 2; }",
    ]
    assert format_problems("{\n  imports = [\n  ];\n  x = " + "a ++ " * 25 + "b;\n}\n") == [
        "line 4: longer than 100 columns", "line 2: an empty list_expression over two lines"]


def test_the_flake_has_a_formatter_output() -> None:
    for example in example_names():
        flake = all_files(render_example(example)).get("flake.nix")
        if flake is not None:
            # A repository with Macs and NixOS hosts formats with each platform's nixpkgs.
            assert ("formatter = lib.genAttrs systems (system: nixpkgs.legacyPackages.${system}.nixfmt-tree);"
                    in flake or "formatter = lib.genAttrs systems (system: (pkgsFor system).nixfmt-tree);" in flake)
