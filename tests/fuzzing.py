"""Answers fuzzing shared by tests/test_fuzz.py (bounded) and scripts/fuzz.py (long runs).

Every answers-file field gets hostile values through each way in (a JSON file, a
YAML file, --set); nixbtw must refuse cleanly (exit 2, one `error: field: ...`
line per problem, nothing written) or write files that parse under real Nix and
whose recorded answers read back exactly.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from scaffold.answers import apply_set, build_spec, load_file, today
from scaffold.cli import main
from scaffold.render import answers_data
from scaffold.spec import HostSpec, field_paths

BASE: dict[str, Any] = {"hostname": "h", "users": [{"name": "alice", "admin": True}]}
# Leaf fields only (a whole section gets the same treatment through its leaves),
# and the first user's fields.
FIELDS = sorted({p for p in field_paths() if p not in ("hardware", "boot", "disk", "secrets", "users",
                 "home_manager", "packages", "services", "darwin", "darwin.homebrew")}
                | {f"users.0.{name}" for name in ("name", "admin", "shell", "description", "ssh_keys",
                                                  "password")})
CHANNELS = ("json", "yaml", "set")

any_char = st.characters(codec=None, exclude_characters="\x00")
scalars = st.one_of(
    st.text(any_char, max_size=24),
    st.sampled_from(["", " ", "26.05", "٢٤.٠٥", "true", "null", "${x}", "in", "1host", "a\u2028b",
                     "\ud800", "x" * 300, "/dev/disk/by-id/x", "16G", "en_US.UTF-8"]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(), st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4))


@dataclass
class Outcome:
    refused: bool
    lines: list[str]


def _set_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _nest(path: str, value: Any) -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(json.dumps(BASE))
    node: Any = answers
    parts = path.split(".")
    for i, part in enumerate(parts[:-1]):
        nxt: Any = [] if parts[i + 1].isdecimal() else {}
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, nxt)
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value
    return answers


def run_case(field: str, value: Any, channel: str, work: Path, nix_env: dict[str, str]) -> Outcome:
    out = work / "out"
    argv = ["new", "host", "--non-interactive", "--out", str(out)]
    if channel == "set":
        path = work / "base.json"
        path.write_text(json.dumps(BASE))
        argv += ["--answers", str(path), "--set", f"{field}={_set_text(value)}"]
    elif channel == "json":
        path = work / "a.json"
        path.write_text(json.dumps(_nest(field, value)))
        argv += ["--answers", str(path)]
    else:
        path = work / "a.yaml"
        path.write_text(yaml.safe_dump(_nest(field, value), allow_unicode=False))
        argv += ["--answers", str(path)]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    lines = err.getvalue().splitlines()
    assert code in (0, 2), f"exit {code}: {lines}"
    assert not any("Traceback" in line or "internal error" in line for line in lines), lines
    if code == 2:
        assert not out.exists(), "a refused run wrote files"
        assert lines and all(line.startswith("error: ") for line in lines), lines
        return Outcome(True, lines)
    for nix in sorted(out.rglob("*.nix")):
        proc = subprocess.run(["nix-instantiate", "--parse", str(nix)], env=nix_env, capture_output=True,
                              text=True, check=False)
        assert proc.returncode == 0, f"{nix.relative_to(out)}: {proc.stderr}"
    for recorded in out.rglob(".copier-answers.yml"):
        data = yaml.safe_load(recorded.read_text(encoding="utf-8"))
        if "hostname" in data:
            # What nixbtw built from the input is what the recorded answers read back as.
            answers = load_file(str(path))
            for assignment in argv[argv.index("--set") + 1:] if "--set" in argv else []:
                apply_set(answers, assignment)
            expected = answers_data(build_spec(answers, on=today()))
            recorded_spec = HostSpec.model_validate({k: data[k] for k in HostSpec.model_fields if k in data})
            assert answers_data(recorded_spec) == expected, "the recorded answers read back changed"
    return Outcome(False, lines)


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="nixbtw-fuzz-"))
