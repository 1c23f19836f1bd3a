"""The one subprocess wrapper: argv lists, explicit check, logged commands."""

from __future__ import annotations

import logging
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from scaffold.errors import ToolError, ToolMissing

log = logging.getLogger(__name__)


def run(argv: list[str], *, check: bool, cwd: Path | None = None,
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    log.debug("$ %s", shlex.join(argv))
    if shutil.which(argv[0]) is None:
        raise ToolMissing(argv[0], f"install {argv[0]} and make sure it is on PATH")
    proc = subprocess.run(argv, cwd=cwd, input=input, capture_output=True, text=True, errors="replace", check=False)
    if check and proc.returncode != 0:
        raise ToolError(argv, proc.returncode, proc.stderr or proc.stdout)
    return proc


def stream(argv: list[str], *, cwd: Path | None = None) -> int:
    """Run a long command with its output going to our stderr as it comes; returns its exit code."""
    log.debug("$ %s", shlex.join(argv))
    if shutil.which(argv[0]) is None:
        raise ToolMissing(argv[0], f"install {argv[0]} and make sure it is on PATH")
    try:
        out: int | None = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        out = None
    return subprocess.run(argv, cwd=cwd, stdout=out, check=False).returncode
