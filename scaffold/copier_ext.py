"""The jinja extension the templates load: Nix escaping filters and the plan.

copier imports it by name (`_jinja_extensions` in templates/copier.yml), so
`copier copy` / `copier update --trust` run by hand render exactly what
nixbtw renders: the plan is recomputed from the saved answers, never stored.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import json
import textwrap
from collections.abc import Iterator
from typing import Any

import jinja2
from jinja2.ext import Extension

from scaffold import nixlit
from scaffold.plan import Plan, keys_only_sentence, make_plan
from scaffold.repo import RepoPlan, RepoSpec, make_repo_plan
from scaffold.spec import HostSpec

# The day nixbtw renders for (render_new(on=...)); copier run by hand uses today.
_RENDER_DAY: contextvars.ContextVar[dt.date | None] = contextvars.ContextVar("render_day", default=None)


@contextlib.contextmanager
def rendering_on(day: dt.date) -> Iterator[None]:
    token = _RENDER_DAY.set(day)
    try:
        yield
    finally:
        _RENDER_DAY.reset(token)


def render_day() -> dt.date:
    from scaffold.answers import today

    return _RENDER_DAY.get() or today()


@functools.lru_cache(maxsize=32)
def _plan_for(answers_json: str, on_iso: str) -> Plan:
    from scaffold.answers import build_spec

    spec = build_spec(json.loads(answers_json), on=dt.date.fromisoformat(on_iso))
    return make_plan(spec, on=dt.date.fromisoformat(on_iso))


def plan_from_context(context: Any) -> Plan:
    answers = {name: context[name] for name in HostSpec.model_fields if name in context}
    return _plan_for(json.dumps(answers, sort_keys=True, default=str), render_day().isoformat())


@jinja2.pass_context
def _plan(context: Any) -> Plan:
    return plan_from_context(context)


@functools.lru_cache(maxsize=32)
def _repo_plan_for(repo_json: str, on_iso: str) -> RepoPlan:
    return make_repo_plan(RepoSpec.model_validate_json(repo_json), on=dt.date.fromisoformat(on_iso))


@jinja2.pass_context
def _repo_plan(context: Any) -> RepoPlan:
    return _repo_plan_for(json.dumps(context["repo"], sort_keys=True), render_day().isoformat())


def _answers_yaml(data: Any) -> str:
    # copier's to_nice_yaml, except that line separators read back unchanged.
    from scaffold.answers import dump_yaml

    return dump_yaml(data, indent=4, sort_keys=True)


def _indent_list(items: list[str], indent: int) -> str:
    pad = " " * indent
    return "\n".join(pad + item for item in items)


def _comment(text: str, indent: int = 0, width: int = 80) -> str:
    """A Nix comment block; line breaks in the text cannot end the comment early."""
    pad = " " * indent + "# "
    lines = textwrap.wrap(" ".join(text.split()), width=width - len(pad)) or [""]
    return "\n".join(pad + line for line in lines)


# Compiled template code, shared by every environment copier makes in this
# process: copier builds a new environment per render, and compiling the
# templates again is most of what rendering one host costs (an update of a
# fleet renders each template hundreds of times).
_COMPILED: dict[tuple[object, ...], Any] = {}


def _reuse_compiled_code(environment: jinja2.Environment) -> None:
    compile_: Any = environment.compile

    def settings() -> tuple[object, ...]:
        # What code generation depends on (what jinja's lexer cache uses, and
        # the extensions, which are loaded after this runs).
        return (type(environment).__name__, environment.block_start_string, environment.block_end_string,
                environment.variable_start_string, environment.variable_end_string,
                environment.comment_start_string, environment.comment_end_string,
                environment.line_statement_prefix, environment.line_comment_prefix,
                environment.trim_blocks, environment.lstrip_blocks, environment.newline_sequence,
                environment.keep_trailing_newline, environment.optimized,
                tuple(sorted(environment.extensions)))

    def compile_cached(source: Any, name: str | None = None, filename: str | None = None,
                       raw: bool = False, defer_init: bool = False) -> Any:
        if not isinstance(source, str):
            return compile_(source, name, filename, raw, defer_init)
        key = (settings(), source, name, filename, raw, defer_init)
        if key in _COMPILED:
            # Extensions hook state onto preprocessing (copier's yield tag
            # resets its context there): run it as a compile would.
            environment.preprocess(source, name, filename)
        else:
            _COMPILED[key] = compile_(source, name, filename, raw, defer_init)
        return _COMPILED[key]

    environment.compile = compile_cached  # type: ignore[method-assign]


class NixbtwExtension(Extension):
    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        # A typo in a template must fail the render, not vanish from the output.
        environment.undefined = jinja2.StrictUndefined
        environment.filters.update(
            nix=nixlit.value,
            nix_str=nixlit.string,
            nix_attr=nixlit.attr,
            nix_attr_path=lambda names: nixlit.attr_path(*names),
            nix_comment=_comment,
            nix_path=nixlit.path,
            nix_list=nixlit.list_block,
            nixbtw_answers_yaml=_answers_yaml,
        )
        environment.globals["nixbtw_plan"] = _plan
        _reuse_compiled_code(environment)
        environment.globals["nixbtw_keys_only"] = keys_only_sentence
        environment.globals["nixbtw_repo_plan"] = _repo_plan
