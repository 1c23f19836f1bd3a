"""One error hierarchy. Only scaffold.cli turns these into exit codes."""

from __future__ import annotations

from dataclasses import dataclass


class NixbtwError(Exception):
    """Base class: every subclass has a message written for the user."""

    exit_code = 1

    def lines(self) -> list[str]:
        return [str(self)]


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    problem: str
    fix: str

    def __str__(self) -> str:
        where = self.field or "answers"
        return f"{where}: {self.problem}; {self.fix}"


class InputError(NixbtwError):
    """Bad input: one or more problems, each naming the field and the fix."""

    exit_code = 2

    def __init__(self, field: str = "", problem: str = "", fix: str = "",
                 *, problems: list[Problem] | None = None) -> None:
        self.problems = problems if problems is not None else [Problem(field, problem, fix)]
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UsageError(InputError):
    """A command line that cannot be acted on."""


class FileExistsConflict(InputError):
    """Files nixbtw would write already exist and --force was not given."""


class ToolError(NixbtwError):
    """An external tool failed; the exit code is the tool's."""

    def __init__(self, argv: list[str], code: int, output: str = "") -> None:
        import shlex

        self.argv = argv
        self.exit_code = code or 1
        detail = f"\n{output.strip()}" if output.strip() else ""
        super().__init__(f"command failed with exit code {code}: {shlex.join(argv)}{detail}")


class ToolMissing(NixbtwError):
    exit_code = 127

    def __init__(self, tool: str, how: str) -> None:
        super().__init__(f"{tool} is not installed: {how}")


class Busy(NixbtwError):
    """Another nixbtw holds the repository's lock."""

    exit_code = 1


class Stopped(NixbtwError):
    """SIGTERM, SIGINT or SIGHUP arrived while writing: nothing or everything was written."""

    def __init__(self, signum: int, message: str) -> None:
        self.exit_code = 128 + signum
        super().__init__(message)


class Aborted(NixbtwError):
    """The user stopped the interview; nothing was written."""

    exit_code = 130

    def __init__(self) -> None:
        super().__init__("aborted: nothing was written")
