"""The README's examples run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def _block_after(heading: str) -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(heading):]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"no sh block after {heading!r}"
    return match.group(1)


def test_adding_a_host_runs_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    infra = home / "src" / "infra"
    bindir = Path(sys.executable).parent
    env = {**os.environ, "HOME": str(home), "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}

    def sh(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=tmp_path,
                              capture_output=True, text=True, check=False)

    # The repository the example starts from: one host, committed.
    made = sh(f"nixbtw new host atlas --non-interactive --out {infra} --set users.0.name=ada "
              f"--set users.0.admin=true && cd {infra} && git init -q && git add -A && git commit -qm init")
    assert made.returncode == 0, made.stderr
    example = sh(_block_after("### Adding hosts"))
    assert example.returncode == 0, example.stderr
    assert (infra / "hosts/vault/configuration.nix").is_file()
    log = subprocess.run(["git", "-C", str(infra), "log", "--format=%s"], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert log.splitlines()[0] == "vault: new host"
    tracked = subprocess.run(["git", "-C", str(infra), "status", "--porcelain"], env=env,
                             capture_output=True, text=True, check=True).stdout
    assert tracked == ""
