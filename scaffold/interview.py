"""The interview: questionary prompts walking the spec.

Help texts, choices, defaults and every rule come from scaffold.spec, read as
questions by scaffold.questions. Whether a question applies, which choices it
offers and which answers it refuses are all asked of the spec itself
(HostSpec.problems() and the field validators), on the answers given so far.
Esc goes back one question; after a refused summary only the questions named
by the errors are asked again, with every earlier answer as the default.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import questionary
import yaml
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

from scaffold import releases
from scaffold.answers import Answers, build_spec, to_answers
from scaffold.errors import Aborted, InputError, Problem
from scaffold.machine import EVERYDAY, everyday
from scaffold.questions import (
    HINT,
    MENU,
    ORDER,
    PLACEHOLDERS,
    SAMPLES,
    SUGGESTED,
    choices,
    drop,
    field_info,
    fit,
    generic_path,
    get,
    help_text,
    kind_of,
    literals,
    local_timezone,
    names,
    one_line,
    parents,
    probe_spec,
    problems,
    put,
    question_order,
    words,
)
from scaffold.spec import HostSpec, timezones

BACK: Any = object()   # what a prompt returns when the user presses Esc
_MISSING = object()


# ---- prompts -----------------------------------------------------------------

def _back_keys() -> KeyBindings:
    keys = KeyBindings()

    @keys.add("escape", eager=True)
    def _back(event: Any) -> None:
        event.app.exit(result=BACK)

    return keys


def _ask(question: Any, *, back: bool = True) -> Any:
    if back:
        app = question.application
        app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), _back_keys()])
    try:
        return question.unsafe_ask()
    except (KeyboardInterrupt, EOFError):
        raise Aborted() from None


@dataclass(frozen=True, slots=True)
class Step:
    path: str           # users.<i>.<field> for a user's answers
    message: str


class Interview:
    def __init__(self, given: Answers, *, on: dt.date, disks: list[str] | None = None) -> None:
        self.given = copy.deepcopy(given)   # reopened questions are dropped from it
        self.answers: Answers = copy.deepcopy(given)
        self.on = on
        # Disks a nixos-facter report saw: when known, the only ones offered.
        self.disks = list(disks or [])
        self.order = question_order()
        self.fixing = False
        self.resume: str | None = None   # where to go on once a removal's problem is fixed
        self.known: set[str] | None = None   # the questions before an answer was changed

    def was_given(self, path: str) -> bool:
        # A list given whole (users) is not asked item by item.
        return get(self.given, path, _MISSING) is not _MISSING or any(
            isinstance(get(self.given, p), list) for p in parents(path))

    # ---- which questions, and what they offer -----------------------------

    def steps(self) -> list[Step]:
        """The questions that apply to the answers so far, in order."""
        out: list[Step] = []
        users = get(self.answers, "users", []) if not self.was_given("users") else []
        for generic in self.order:
            if generic.startswith("users."):
                if generic == next(p for p in self.order if p.startswith("users.")):
                    if self.fixing and not self.was_given("users"):
                        out.append(Step(MENU, "Users:"))   # removing one may be the fix
                    for i in range(len(users)):
                        out += [Step(f"users.{i}.{g.split('.', 1)[1]}", self._user_message(i, g))
                                for g in self.order if g.startswith("users.")
                                if self.applies(f"users.{i}.{g.split('.', 1)[1]}")]
                    if not self.was_given("users") and not self.fixing:
                        out.append(Step(MENU, "Users:"))
                continue
            if self.applies(generic):
                out.append(Step(generic, ORDER.get(generic, help_text(generic).capitalize() + ":")))
        return out

    def _user_message(self, index: int, generic: str) -> str:
        message = ORDER.get(generic, help_text(generic).capitalize() + ":")
        return f"User {index + 1} {message}" if generic == "users.name" else message

    def applies(self, path: str) -> bool:
        """Asked unless given, or unless the spec refuses every answer but the default here."""
        if self.was_given(path):
            return False
        kind, generic = self.kind_of(path), generic_path(path)
        if kind == "select":
            offered = self.options(path)
            applies = len(offered) > 1 or self._refused_as_is(path, offered)
        elif kind == "confirm":
            applies = (self.accepts(path, True) and self.accepts(path, False)) or \
                self._refused_as_is(path, [True, False])
        elif kind == "checkbox":
            applies = any(self.accepts(path, [c]) for c in choices(path))
        elif generic in SAMPLES:
            applies = self.accepts(path, SAMPLES[generic])
        else:
            applies = True
        # A section with an `enable` switch asks the rest only when it is on.
        section = path.rsplit(".", 1)[0] if "." in path else ""
        if applies and section and not path.endswith(".enable") and \
                f"{generic_path(section)}.enable" in self.order:
            applies = bool(get(self.answers, f"{section}.enable", False))
        # An answer the spec still takes is kept (the user's, and the only one left).
        if not applies and not (kind in ("select", "confirm") and
                                get(self.answers, path) is not None and
                                self.accepts(path, get(self.answers, path))):
            drop(self.answers, path)
        return applies

    def _refused_as_is(self, path: str, offered: list[Any]) -> bool:
        """The answer here (or, unanswered, the spec's default) is refused and another
        is not: the question is the fix, so it is asked, never silently skipped."""
        current = get(self.answers, path, _MISSING)
        if current is _MISSING:
            info = field_info(path)
            current = None if info.is_required() else info.get_default(call_default_factory=True)
        return not self.accepts(path, current) and any(self.accepts(path, o) for o in offered)

    def kind_of(self, path: str) -> str:
        # Free text in the spec, but with a known list to choose from here.
        if path in ("release", "hardware.kernel") or (path == "disk.device" and self.disks):
            return "select"
        return kind_of(path)

    def accepts(self, path: str, value: Any) -> bool:
        """Does the spec take `value` here? Refused: a problem at this field, or
        a new one at its section (`darwin` for darwin.touch_id_sudo)."""
        trial = copy.deepcopy(self.answers)
        put(trial, path, value)
        found = problems(trial, self.on)
        if any(p.field == path or p.field.startswith(path + ".") for p in found):
            return False
        baseline = copy.deepcopy(self.answers)
        drop(baseline, path)
        before = set(problems(baseline, self.on))
        return not any(path.startswith(p.field + ".") and p not in before for p in found)

    def options(self, path: str) -> list[str]:
        """The choices the spec accepts here, given the answers so far."""
        if path == "hardware.kernel":
            rel = releases.get(get(self.answers, "release") or releases.newest_stable(self.on).version)
            offered = ["default", "latest", *rel.kernels]
        elif path == "disk.device" and self.disks:
            offered = list(self.disks)
        elif path == "release":
            return releases.known_versions()
        else:
            try:
                offered = choices(path)
            except KeyError:
                return []
        return [o for o in offered if self.accepts(path, o)]

    def _default(self, path: str) -> Any:
        generic = ".".join(p for p in path.split(".") if not p.isdigit())
        current = get(self.answers, path, _MISSING)
        if current is not _MISSING and current is not None:
            return current
        if generic == "users.admin":
            return path == "users.0.admin"
        if path == "release":
            return releases.newest_stable(self.on).version
        if path == "timezone":
            return local_timezone()
        if generic in SUGGESTED:
            return SUGGESTED[generic]
        info = field_info(path)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        if default is None and generic in EVERYDAY:
            # "Decided by the machine kind": its row in scaffold/machine.py says how.
            spec = probe_spec(self.answers)
            plan = everyday(spec) if spec else None
            return getattr(plan, generic) if plan else None
        if default is None:
            # "Decided by the lane": the spec's view of the same name says how.
            view = getattr(HostSpec, path.rsplit(".", 1)[-1], None)
            if isinstance(view, property) and view.fget:
                spec = probe_spec(self.answers)
                return view.fget(spec) if spec else None
        return default

    # ---- asking ------------------------------------------------------------

    def preset(self, path: str) -> Any:
        """What the question offers before anything is typed: what Enter takes."""
        kind, default = self.kind_of(path), self._default(path)
        if kind == "menu":
            return "done"
        if kind == "select":
            options = self.options(path)
            return default if default in options else options[0]
        if kind == "confirm":
            return bool(default)
        if kind in ("checkbox", "keys"):
            return list(default or [])
        return " ".join(default) if isinstance(default, list) else ("" if default is None else str(default))

    def ask(self, step: Step) -> Any:
        path, kind = step.path, self.kind_of(step.path)
        if kind == "menu":
            return self.menu()
        help_, preset = help_text(path), self.preset(path)
        if kind == "select":
            return _ask(questionary.select(step.message, choices=self.options(path), default=preset,
                                           instruction=f"({help_})"))
        if kind == "confirm":
            yes_no = "(Y/n)" if preset else "(y/N)"
            return _ask(questionary.confirm(step.message, default=preset,
                                            instruction=f" {yes_no} {help_} "))
        if kind == "checkbox":
            return _ask(questionary.checkbox(
                step.message, instruction=f"(space selects; {help_})",
                choices=[questionary.Choice(c, checked=c in preset) for c in choices(path)]))
        if kind == "keys":
            return self.key_list(step)
        if kind == "zone":
            return _ask(questionary.autocomplete(
                step.message, choices=sorted(timezones()), default=preset,
                match_middle=True, validate=self._validator(path)))
        hint = PLACEHOLDERS.get(generic_path(path))
        if hint:
            return _ask(questionary.text(
                step.message, default=preset, instruction=f"({help_}; Tab types {hint})",
                validate=self._validator(path), placeholder=FormattedText([("fg:ansibrightblack", hint)]),
                completer=WordCompleter([hint], sentence=True), complete_while_typing=False))
        return _ask(questionary.text(step.message, default=preset, instruction=f"({help_})",
                                     validate=self._validator(path)))

    def convert(self, path: str, text: Any) -> Any:
        kind = self.kind_of(path)
        if not isinstance(text, str) or kind in ("select", "confirm", "checkbox", "keys", "menu"):
            return text
        if kind == "words":
            listed = words(text)
            return "all" if listed == ["all"] and "all" in literals(field_info(path).annotation) else listed
        value = text.strip()
        optional = not field_info(path).is_required() and field_info(path).default is None
        return None if optional and not value else value

    def _validator(self, path: str) -> Callable[[str], bool | str]:
        def check(text: str) -> bool | str:
            trial = copy.deepcopy(self.answers)
            put(trial, path, self.convert(path, text))
            found = [p for p in problems(trial, self.on) if names(path, p.field)]
            return one_line(f"{found[0].problem}; {found[0].fix}") if found else True
        return check

    def key_list(self, step: Step) -> Any:
        keys: list[str] = list(get(self.answers, step.path, []) or [])
        if keys:
            questionary.print(fit(f"kept: {len(keys)} key(s); add more, or press Enter"))

        def check(text: str) -> bool | str:
            if not text.strip():
                return True
            trial = copy.deepcopy(self.answers)
            put(trial, step.path, [*keys, text.strip()])
            found = [p for p in problems(trial, self.on) if names(step.path, p.field)]
            return one_line(f"{found[0].problem}; {found[0].fix}") if found else True

        while True:
            key = _ask(questionary.text(step.message, validate=check))
            if key is BACK:
                return BACK
            if not key.strip():
                return keys
            keys.append(key.strip())

    def menu(self) -> Any:
        users = get(self.answers, "users", [])
        # Unanswered, the first user is the admin (the spec's default).
        listed = ", ".join(f"{u.get('name', '?')}{' (admin)' if u.get('admin', i == 0) else ''}"
                           for i, u in enumerate(users))
        options = ["done", "add another user"]
        if len(users) > 1:
            options += _removals(users)
        return _ask(questionary.select(f"Users: {listed}", choices=options, default="done"))

    # ---- the walk ----------------------------------------------------------

    def run(self, fix: list[Problem] | None = None) -> Answers:
        """Ask every question that applies, or, with `fix`, those that can fix it."""
        if not self.was_given("users") and not get(self.answers, "users"):
            put(self.answers, "users", [{}])
        self.fixing = fix is not None
        history: list[str] = []
        step = self._next(None, fix)
        while step is not None:
            value = self.ask(step)
            if value is BACK:
                if history:
                    step = self._find(history.pop())
                continue
            after = self.answer(step, value)
            if isinstance(after, Step):
                step = after
                continue
            history.append(step.path)
            if after is None and self.resume:
                after, self.resume = self.resume, None
            step = self._find(after) if after else self._next(step.path, fix)
        return self.answers

    def answer(self, step: Step, value: Any) -> Step | str | None:
        """Record one answer; a step to ask instead when the spec refuses it."""
        if step.path == MENU:
            users = get(self.answers, "users", [])
            if value == "add another user":
                users.append({})
                return f"users.{len(users) - 1}.name"
            if str(value).startswith("remove "):
                return self._remove(users, _removals(users).index(value))
            return None
        before = {(p.field, p.problem) for p in problems(self.answers, self.on)}
        put(self.answers, step.path, self.convert(step.path, value))
        steps = self.steps()
        asked = [s.path for s in steps[: _index(steps, step.path) + 1]]
        later = [s.path for s in steps if s.path not in asked]
        # New problems at this question, an earlier one, or a given answer; a
        # later question reports its own when it is reached.
        now = problems(self.answers, self.on)
        new = [p for p in now if (p.field, p.problem) not in before
               and (any(names(a, p.field) for a in asked) or not any(names(x, p.field) for x in later))]
        # A given answer this question can agree with (nvidia_open given, and
        # no NVIDIA card ticked) is refused here too, new or not.
        new += [p for p in now if p not in new and self.was_given(p.field)
                and self._could_fix(step.path, p)]
        # A problem left to this question by the earlier ones is reported here, new
        # or not (the users menu could remove the user, but that is no fix to wait for).
        new += [p for p in now if p not in new and names(step.path, p.field)
                and not any(names(x, p.field) for x in later if x != MENU)]
        # An answer the spec refuses here (the only admin's No) is asked again.
        if not new and self.kind_of(step.path) in ("confirm", "checkbox") and \
                not self.accepts(step.path, get(self.answers, step.path)):
            new = [p for p in now if names(step.path, p.field)]
        if not new:
            return None
        for p in new:
            questionary.print(fit(f"{p.field}: {p.problem}; {p.fix}", indent="! "), style="fg:red")
        # At the question that can fix it: an earlier answer, or this one.
        for p in new:
            earlier = [s for s in steps if names(s.path, p.field) and s.path != step.path]
            if earlier and not any(names(step.path, q.field) for q in new):
                return earlier[0]
        return self._find(step.path) or step

    def pick(self) -> str | None:
        """The question whose answer to change, shown with that answer; None goes back."""
        options = [questionary.Choice("back to the summary", value="")]
        for step in self.steps():
            current = self._shown(step.path)
            options.append(questionary.Choice(one_line(f"{step.message} {current}"), value=step.path))
        picked = _ask(questionary.select("Change which answer?", choices=options))
        return None if picked is BACK or not picked else str(picked)

    def _shown(self, path: str) -> str:
        if path == MENU:
            return ", ".join(u.get("name", "?") for u in get(self.answers, "users", []))
        value = get(self.answers, path)
        if isinstance(value, list):
            return " ".join(str(v) for v in value) or "(none)"
        return "(none)" if value is None or value == "" else str(value)

    def _remove(self, users: list[dict[str, Any]], index: int) -> str:
        """Remove a user; whoever is left keeps the admin answer they had, and a
        problem that leaves (no admin) is asked at a question that can fix it."""
        before = problems(self.answers, self.on)
        for i, user in enumerate(users):
            if user.get("admin") is None:
                user["admin"] = i == 0   # what the spec made of it, now said explicitly
        del users[index]
        found = [p for p in problems(self.answers, self.on) if p not in before]
        for p in found:
            questionary.print(fit(f"{p.field}: {p.problem}; {p.fix}", indent="! "), style="fg:red")
        fixes = [s.path for s in self.steps() if s.path != MENU
                 for p in found if names(s.path, p.field) and self._could_fix(s.path, p)]
        if not fixes:
            return MENU
        self.resume = MENU
        return fixes[0]

    def _could_fix(self, path: str, problem: Problem) -> bool:
        kind = self.kind_of(path)
        candidates: list[Any] = (self.options(path) if kind == "select" else [True, False]
                                 if kind == "confirm" else [[c] for c in choices(path)]
                                 if kind == "checkbox" else [])
        for value in candidates:
            trial = copy.deepcopy(self.answers)
            put(trial, path, value)
            if problem not in problems(trial, self.on):
                return True
        return False

    def reopen(self, found: list[Problem]) -> list[Problem] | None:
        """Make the questions these problems name askable again, given or not;
        the problems to fix, widened to a section (or to everything) when no
        question that applies names one of them."""
        for p in found:
            parts = p.field.split(".")
            inside_list = next((i for i, part in enumerate(parts) if part.isdigit()), None)
            drop(self.given, ".".join(parts[:inside_list]) if inside_list else p.field)
        self.fixing = True
        if self._next(None, found) is not None:
            return found
        sections = [Problem(p.field.rsplit(".", 1)[0], p.problem, p.fix) for p in found if "." in p.field]
        for p in sections:
            drop(self.given, p.field)
        return sections if sections and self._next(None, sections) is not None else None

    def _find(self, path: str) -> Step | None:
        return next((s for s in self.steps() if s.path == path), None)

    def _next(self, after: str | None, fix: list[Problem] | None) -> Step | None:
        steps = self.steps()
        start = 0 if after is None else _index(steps, after) + 1
        for s in steps[start:]:
            # A question a changed answer newly opens is asked too.
            if fix is None or any(names(s.path, p.field) for p in fix) or \
                    (self.known is not None and s.path not in self.known):
                return s
        return None


def _index(steps: list[Step], path: str) -> int:
    for i, s in enumerate(steps):
        if s.path == path:
            return i
    # A question that no longer applies: its place is where its section was.
    return max((i for i, s in enumerate(steps) if path.startswith(s.path.rsplit(".", 1)[0])),
               default=-1)


def _removals(users: list[dict[str, Any]]) -> list[str]:
    return [f"remove user {i + 1} ({u.get('name') or 'no name'})" for i, u in enumerate(users)]


def summary(spec: HostSpec, on: dt.date) -> str:
    text = yaml.safe_dump(to_answers(spec), sort_keys=False).rstrip()
    from scaffold.plan import make_plan

    lines = make_plan(spec, on=on).unfree_lines()
    return text + "".join(f"\n# {line}" for line in lines)


def interview(given: Answers, *, on: dt.date, out: Path, disks: list[str] | None = None) -> HostSpec:
    """Ask until the answers validate, show them, and confirm before writing."""
    session = Interview(given, on=on, disks=disks)
    questionary.print(HINT, style="fg:ansibrightblack")
    fix: list[Problem] | None = None
    while True:
        answers = session.run(fix)
        session.known = None
        try:
            spec = build_spec(answers, on=on)
        except InputError as err:
            questionary.print("These answers do not work together:", style="bold fg:red")
            for p in err.problems:
                questionary.print(fit(str(p), indent="  "))
            if not _ask(questionary.confirm("Fix them?", default=True), back=False):
                raise Aborted() from None
            # Only what the errors name is asked again, given answers included.
            fix = session.reopen(err.problems)
            continue
        questionary.print(f"\nnixbtw will write {spec.hostname} into {out} with these answers:\n")
        questionary.print(summary(spec, on))
        chosen = _ask(questionary.select("Write it?", choices=[WRITE, CHANGE, QUIT], default=WRITE))
        if chosen is BACK:
            # Esc at the summary goes back to the last question, and on from there.
            steps = session.steps()
            fix = [Problem(steps[-1].path, "", "")] if steps else None
            continue
        if chosen == WRITE:
            return spec
        if chosen == QUIT:
            raise Aborted()
        # Only the chosen question is asked again (and any it opens); none: the summary again.
        session.known = {s.path for s in session.steps()}
        path = session.pick()
        fix = [Problem(path, "", "")] if path else []


WRITE, CHANGE, QUIT = "write it", "change an answer", "quit without writing"


__all__ = ["interview"]
