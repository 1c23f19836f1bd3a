"""User strings never become Nix code: every escaped literal reads back exactly."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold import nixlit
from tests.conftest import nix_eval_json

# Strings that have broken naive generators: interpolation, escapes, quotes,
# comment starts, line breaks and non-ASCII.
HOSTILE = [
    "${builtins.readFile /etc/passwd}",
    "$${x}",
    "\\${x}",
    "a\\",
    '"; system.activationScripts.pwn = "touch /tmp/pwned',
    "''${x}''",
    "line1\nline2\r\n\ttab",
    "# not a comment",
    "/* nor this */",
    "ünïcødé ✓ 🐧",
    "$",
    "${",
    "\\",
    '"',
    "\x01\x1b[31m",
]

text = st.text(alphabet=st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=40)


def _eval(values: list[str], nix_env: dict[str, str]) -> object:
    expr = "[ " + " ".join(nixlit.string(v) for v in values) + " ]"
    proc = nix_eval_json(expr, nix_env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_hostile_strings_read_back_exactly(nix_env: dict[str, str]) -> None:
    assert _eval(HOSTILE, nix_env) == HOSTILE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(text, min_size=1, max_size=20))
def test_any_string_reads_back_exactly(values: list[str], nix_env: dict[str, str]) -> None:
    assert _eval(values, nix_env) == values


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(text.filter(bool), min_size=1, max_size=10, unique=True))
def test_any_attribute_name_reads_back_exactly(names: list[str], nix_env: dict[str, str]) -> None:
    expr = "builtins.attrNames { " + " ".join(f"{nixlit.attr(n)} = null;" for n in names) + " }"
    proc = nix_eval_json(expr, nix_env)
    assert proc.returncode == 0, proc.stderr
    assert sorted(json.loads(proc.stdout)) == sorted(names, key=lambda s: s.encode())


@pytest.mark.parametrize("name", ["or", "if", "let", "true", "null", "with", "a b", "1x", ""])
def test_keywords_and_odd_names_are_quoted(name: str) -> None:
    assert nixlit.attr(name).startswith('"')


@pytest.mark.parametrize("name", ["alice", "home-manager", "x_1", "a'"])
def test_plain_identifiers_stay_bare(name: str) -> None:
    assert nixlit.attr(name) == name


def test_nul_is_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        nixlit.string("a\0b")


def test_values_render_as_nix() -> None:
    assert nixlit.value(["wheel", "video"]) == '[ "wheel" "video" ]'
    assert nixlit.value({"a b": True, "c": None, "d": 3}) == '{ "a b" = true; c = null; d = 3; }'
    assert nixlit.value([]) == "[ ]"


def test_a_list_of_several_values_goes_one_per_line_as_nixfmt_writes_it() -> None:
    assert nixlit.list_block([], 4) == "[ ]"
    assert nixlit.list_block(["wheel"], 4) == '[ "wheel" ]'
    assert nixlit.list_block(["wheel", "a\"b"], 4) == '[\n      "wheel"\n      "a\\"b"\n    ]'
