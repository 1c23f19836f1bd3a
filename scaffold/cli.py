"""argv -> commands. The only place that prints errors and picks exit codes.

Imports stay lazy: `nixbtw --help` and `--version` must not pay for copier,
pydantic or questionary.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from scaffold import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL, EXIT_ABORT, EXIT_PIPE = 0, 1, 2, 70, 130, 141


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse's own usage errors also get the one-line form and exit 2.
        self.exit(EXIT_USAGE, f"error: {message}; see {self.prog} --help\n")


class _Once(argparse.Action):
    """An option that may be given only once: a second one would silently win."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} given twice")
        setattr(namespace, self.dest, values)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nixbtw", description="Scaffold Nix configurations that are right from "
                "the first commit and stay right.")
    p.add_argument("--version", action="version", version=f"nixbtw {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="debug output and tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    new = sub.add_parser("new", help="create something new", description="Create something new.")
    new_sub = new.add_subparsers(dest="what", metavar="WHAT", parser_class=_Parser)
    host = new_sub.add_parser(
        "host", help="scaffold a host (interview, or answers file)",
        description="Scaffold a host. Interactive by default; --answers/--set give answers "
        "and --non-interactive takes defaults for the rest.",
        epilog="example: nixbtw new host atlas --answers examples/laptop.yaml --out ~/nixos",
    )
    host.add_argument("hostname", nargs="?", help="the host's name (same as --set hostname=...)")
    host.add_argument("--answers", metavar="FILE", action=_Once,
                      help="answers file, YAML or JSON ('-' = stdin)")
    host.add_argument("--set", dest="sets", metavar="KEY=VALUE", action="append", default=[],
                      help="one answer, e.g. --set disk.layout=btrfs (repeatable)")
    host.add_argument("--out", metavar="DIR", default=".", help="where to write (default: .)")
    host.add_argument("--non-interactive", action="store_true",
                      help="ask nothing: missing answers take their defaults")
    host.add_argument("--save-answers", metavar="FILE",
                      help="also write the collected answers here, to replay in a pipeline")
    host.add_argument("--force", action="store_true", help="overwrite existing files")
    host.add_argument("--facter", metavar="REPORT",
                      help="a nixos-facter report of the machine: prefills platform, CPU, GPUs, "
                      "and the disk (offering only disks the report saw)")
    host.add_argument("--json", action="store_true", help="print the result as JSON on stdout")

    upd = sub.add_parser(
        "update", help="carry template improvements into a generated repository",
        description="Re-render hosts from the current templates and merge them with your edits "
        "(copier update underneath). Needs a clean git tree; conflicts are listed and exit 1.",
        epilog="example: nixbtw update atlas --set services.openssh=true --dry-run",
    )
    upd.add_argument("hosts", nargs="*", metavar="HOST", help="hosts to update (default: all)")
    upd.add_argument("--set", dest="sets", metavar="KEY=VALUE", action="append", default=[],
                     help="change an answer of the HOSTs named, or of every host when none is (repeatable)")
    upd.add_argument("--repo", metavar="DIR", default=".", help="the repository (default: .)")
    upd.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    upd.add_argument("--non-interactive", action="store_true",
                     help="ask nothing (updates never ask; accepted for pipelines)")
    upd.add_argument("--json", action="store_true", help="print the result as JSON on stdout")

    from scaffold.commands.check import add_parser as add_check

    add_check(sub)

    from scaffold.commands.bootstrap import add_parser as add_bootstrap

    add_bootstrap(sub)

    from scaffold.commands.deploy import add_parser as add_deploy

    add_deploy(sub)

    sub.add_parser("schema", help="print the answers file's JSON Schema",
                   description="Print the JSON Schema of the answers file (for editors).")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:
        # The most common probe answers without building the parser at all.
        sys.stdout.write(f"nixbtw {__version__}\n")
        return EXIT_OK
    parser = _parser()
    args = parser.parse_args(argv)
    import logging

    log = logging.getLogger("nixbtw")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    from scaffold.errors import NixbtwError

    try:
        code = _dispatch(args, parser)
        sys.stdout.flush()  # here, so a closed pipe is caught below and not at exit
        return code
    except BrokenPipeError:
        # The reader went away (`| head -1`): end quietly, as a killed-by-SIGPIPE tool would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE
    except NixbtwError as err:
        if args.verbose:
            log.exception("")
        for line in err.lines():
            sys.stderr.write(f"error: {line}\n")
        return err.exit_code
    except OSError as err:
        if args.verbose:
            log.exception("")
        where = f" {err.filename}" if err.filename else ""
        sys.stderr.write(f"error: cannot write{where}: {err.strerror or err}; nothing was kept\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("aborted: nothing was written\n")
        return EXIT_ABORT
    except Exception as err:  # a bug: say so in one line, traceback with -v
        if args.verbose:
            log.exception("")
        sys.stderr.write(f"internal error: {type(err).__name__}: {err}; rerun with -v and "
                         "report it\n")
        return EXIT_INTERNAL


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    match args.command:
        case "new" if args.what == "host":
            from scaffold.commands.new_host import run

            return run(args)
        case "update":
            from scaffold.commands.update import run as run_update

            return run_update(args)
        case "check":
            from scaffold.commands.check import run as run_check

            return run_check(args)
        case "bootstrap":
            from scaffold.commands.bootstrap import run as run_bootstrap

            return run_bootstrap(args)
        case "deploy":
            from scaffold.commands.deploy import run as run_deploy

            return run_deploy(args)
        case "schema":
            from scaffold.schema import json_schema_text

            sys.stdout.write(json_schema_text())
            return EXIT_OK
        case _:
            parser.print_help(sys.stderr)
            return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
