"""Writes are all-or-nothing even when a real nixbtw is stopped mid-write, one run at a time,
and never outside --out."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold.cli import main
from tests.conftest import EXAMPLES

Capture = pytest.CaptureFixture[str]
ADD = ["--set", "users.0.name=alice", "--set", "users.0.admin=true", "--non-interactive"]


def _tree(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts}


def _start(out: Path, host: str, pause_at: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NIXBTW_PAUSE_AT": pause_at}
    proc = subprocess.Popen([sys.executable, "-m", "scaffold.cli", "new", "host", host, "--out", str(out), *ADD],
                            env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert f"paused at {pause_at}" in line, line + proc.stderr.read()
    return proc


def _repo_with_one_host(tmp_path: Path) -> Path:
    out = tmp_path / "fleet"
    assert main(["new", "host", "atlas", "--out", str(out), *ADD]) == 0
    return out


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 128 + 15), (signal.SIGINT, 130),
                                                (signal.SIGHUP, 128 + 1)])
@pytest.mark.parametrize("pause_at", ["staged", "publishing"])
def test_a_signal_mid_write_leaves_nothing_half_written(
        tmp_path: Path, capsys: Capture, signum: int, code: int, pause_at: str) -> None:
    out = _repo_with_one_host(tmp_path)
    before = _tree(out)
    proc = _start(out, "zeus", pause_at)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert not list(out.glob(".nixbtw*"))
    if pause_at == "staged":
        assert "nothing was written" in err
        assert _tree(out) == before
    else:
        # Signals wait while the renames run: the publish completes, then the run stops.
        assert "after the files were written" in err
        after = _tree(out)
        assert {k: v for k, v in after.items() if k.startswith("hosts/atlas/")} == \
            {k: v for k, v in before.items() if k.startswith("hosts/atlas/")}
        assert {"hosts/zeus/configuration.nix", "hosts/zeus/.copier-answers.yml"} <= set(after)
        assert b"zeus" in after[".copier-answers.yml"]


def test_a_signal_before_anything_is_published_leaves_no_new_out(tmp_path: Path) -> None:
    out = tmp_path / "new"
    proc = _start(out, "zeus", "staged")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 128 + 15
    assert not out.exists()


def test_a_killed_run_is_undone_by_the_next_one(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = _repo_with_one_host(tmp_path)
    before = _tree(out)
    proc = _start(out, "zeus", "publishing")
    proc.send_signal(signal.SIGKILL)  # no handler runs: half a publish and a lock remain
    proc.communicate(timeout=60)
    assert _tree(out) != before
    assert main(["new", "host", "zeus", "--out", str(out), *ADD]) == 0
    err = caplog.text
    assert "took over the lock" in err
    assert "undid the half-finished write of a run" in err
    assert not list(out.glob(".nixbtw-stage-*"))
    assert (out / "hosts/zeus/configuration.nix").is_file()
    assert set(_tree(out)) > set(before)


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scaffold.cli", *args], capture_output=True, text=True,
                          check=False)


# Adding zeus to a repository moves three things: the answers, the README, hosts/zeus.
KILL_POINTS = ["staged", "rename-0", "rename-1", "rename-2", "rename-3", "published"]


@pytest.mark.parametrize(("point", "then"), [*((p, "new host") for p in KILL_POINTS),
                                             ("rename-2", "update"), ("published", "update")])
def test_sigkill_anywhere_in_a_write_leaves_the_old_tree_or_the_whole_new_one(
        tmp_path: Path, point: str, then: str) -> None:
    out = _repo_with_one_host(tmp_path)
    _git(out, "init", "-q")
    _git(out, "add", "-A")
    _git(out, "commit", "-qm", "atlas")
    old = _tree(out)
    finished = tmp_path / "finished"
    shutil.copytree(out, finished)
    assert _cli("new", "host", "zeus", "--out", str(finished), *ADD).returncode == 0
    new = _tree(finished)

    proc = _start(out, "zeus", point)
    proc.kill()
    proc.communicate(timeout=60)
    # Whatever the kill left, git does not see nixbtw's own folders.
    assert ".nixbtw" not in _git(out, "status", "--porcelain", "--untracked-files=all")

    if then == "new host":
        run = _cli("new", "host", "zeus", "--out", str(out), *ADD)
    else:
        run = _cli("update", "--repo", str(out))
    assert not list(out.glob(".nixbtw*")), run.stderr
    if point == "published":
        assert "stopped after it had written all its files" in run.stderr
        assert _tree(out) == new
    elif then == "new host":
        assert run.returncode == 0, run.stderr
        assert _tree(out) == new
    else:
        assert run.returncode == 0, run.stderr
        assert _tree(out) == old
    if point == "staged":
        assert "stopped before it wrote anything" in run.stderr
    elif point != "published":
        assert "undid the half-finished write" in run.stderr
        # The repository's answers file moves first: from then on, it is restored.
        assert ("restored .copier-answers.yml" in run.stderr) == (point != "rename-0")


def test_a_second_run_into_the_same_repository_is_refused(tmp_path: Path, capsys: Capture) -> None:
    out = _repo_with_one_host(tmp_path)
    capsys.readouterr()
    first = _start(out, "zeus", "staged")
    try:
        assert main(["new", "host", "hera", "--out", str(out), *ADD]) == 1
        err = capsys.readouterr().err
        assert f"another nixbtw (pid {first.pid}) is writing into {out}" in err
        assert len(err.splitlines()) == 1
        assert not (out / "hosts/hera").exists()
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path, capsys: Capture) -> None:
    out = tmp_path / "o"
    out.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (out / ".nixbtw.lock").write_text(f"{gone.pid}\n")
    assert main(["new", "host", "zeus", "--out", str(out), *ADD]) == 0
    assert not (out / ".nixbtw.lock").exists()


@pytest.mark.parametrize("where", ["/", "/usr/local/nixos", "/etc", "HOME"])
def test_out_outside_the_users_ground_needs_force(where: str, tmp_path: Path, capsys: Capture) -> None:
    out = str(Path.home()) if where == "HOME" else where
    before = sorted(Path(out).iterdir()) if Path(out).exists() else None
    assert main(["new", "host", "zeus", "--out", out, *ADD]) == 2
    err = capsys.readouterr().err
    assert "pass --force if you mean it" in err and len(err.splitlines()) == 1
    assert (sorted(Path(out).iterdir()) if Path(out).exists() else None) == before


def test_a_symlinked_hosts_folder_is_refused(tmp_path: Path, capsys: Capture) -> None:
    out = _repo_with_one_host(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "hosts").rename(elsewhere / "hosts")
    (out / "hosts").symlink_to(elsewhere / "hosts")
    before = _tree(elsewhere)
    assert main(["new", "host", "zeus", "--out", str(out), *ADD]) == 2
    err = capsys.readouterr().err
    assert "hosts in" in err and "is a symbolic link" in err
    assert _tree(elsewhere) == before


def test_the_answers_example_still_writes_everything(tmp_path: Path) -> None:
    assert main(["new", "host", "--answers", str(EXAMPLES / "minimal.yaml"), "--out", str(tmp_path / "o"),
                 "--non-interactive"]) == 0
    assert not list((tmp_path / "o").glob(".nixbtw*"))


_AS_NOBODY = """
import os, sys
from scaffold.cli import main
# Load everything a run needs while still allowed to read it, then drop to nobody.
assert main(["new", "host", "w", "--non-interactive", "--set", "users.0.name=bob", "--out", sys.argv[1]]) == 0
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
sys.stderr.write("-- as nobody --\\n")
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("where", ["/root", "private/out", "private"])
def test_an_out_the_user_cannot_read_or_write_is_refused_before_writing(tmp_path: Path, where: str) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    out = Path(where) if where.startswith("/") else tmp_path / where
    before = sorted(out.iterdir()) if out.is_dir() else None
    args = ["new", "host", "zeus", "--out", str(out), "--force", *ADD]
    if os.geteuid() == 0:
        run = subprocess.run([sys.executable, "-c", _AS_NOBODY, str(tmp_path / "warm"), *args],
                             capture_output=True, text=True, check=False, env={**os.environ, "HOME": "/nonexistent"})
    else:
        private.chmod(0)
        run = _cli(*args)
        private.chmod(0o700)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.split("-- as nobody --\n")[-1].splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --out: ") and "choose a directory you can" in lines[0]
    assert (sorted(out.iterdir()) if out.is_dir() else None) == before


@pytest.mark.parametrize("where", ["/dev/null", "FILE"])
def test_an_out_that_is_a_file_is_called_not_a_directory(where: str, tmp_path: Path, capsys: Capture) -> None:
    if where == "FILE":
        where = str(tmp_path / "notes.txt")
        Path(where).write_text("mine\n")
    assert main(["new", "host", "zeus", "--out", where, *ADD]) == 2
    err = capsys.readouterr().err
    assert err == f"error: --out: {where} is not a directory; pick a directory\n"


def test_a_signal_during_update_says_how_to_undo_and_frees_the_lock(tmp_path: Path) -> None:
    """update merges in place (git undoes it): a signal stops it with one line and no stale lock."""
    from scaffold.errors import Stopped
    from scaffold.write import _lock_path, locked

    out = _repo_with_one_host(tmp_path)
    with pytest.raises(Stopped) as stopped, locked(out, signals=False):
        os.kill(os.getpid(), signal.SIGTERM)
    assert str(stopped.value) == ("stopped by SIGTERM during the update; `git status` shows what it changed "
                                  "and `git reset --hard HEAD` returns to where you were")
    assert stopped.value.exit_code == 128 + 15
    assert not _lock_path(out).exists()
