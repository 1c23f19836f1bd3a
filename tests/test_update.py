"""Updating generated repositories: real git, two template versions, edits kept.

The story: a user generates hosts with nixbtw 0.1.0 and edits them; later,
on a machine that never ran 0.1.0 and without network, nixbtw 0.2.0 carries
its template improvements into the repository.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scaffold import history, render
from scaffold.cli import main
from tests.conftest import EXAMPLES, ROOT

Capture = pytest.CaptureFixture[str]
HOST_PARTIAL = "partials/nixos-host.nix.jinja"
HW_PARTIAL = "partials/hardware-placeholder.nix.jinja"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def _old(tree: Path) -> None:
    """0.1.0: the templates as they were (without 0.2.0's improvements)."""


def _new(tree: Path) -> None:
    """0.2.0: a comment on the time zone line and a clearer placeholder."""
    host = tree / HOST_PARTIAL
    text = host.read_text()
    line = '  time.timeZone = {{ (s.timezone or "UTC") | nix_str }};'
    assert line in text, "the 0.2.0 change needs the time zone line of the host template"
    host.write_text(text.replace(line, line + " # an IANA name, see timedatectl"))
    hw = tree / HW_PARTIAL
    hw.write_text(hw.read_text().replace("# PLACEHOLDER:", "# PLACEHOLDER (0.2.0):"))


def build_history(path: Path, versions: list[tuple[str, Callable[[Path], None]]]) -> Path:
    repo = path / "history"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    for version, change in versions:
        for entry in repo.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copytree(ROOT / "templates", repo, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        change(repo)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"templates {version}")
        _git(repo, "tag", version)
    bundle = path / f"{versions[-1][0]}.bundle"
    _git(repo, "bundle", "create", str(bundle), "main", "--tags")
    return bundle


class Machine:
    """One nixbtw installation: its version, its shipped history and its home."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, home: Path, version: str, bundle: Path):
        self.monkeypatch = monkeypatch
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.setattr(history, "__version__", version)
        monkeypatch.setattr(history, "packaged_bundle", lambda: bundle)
        history._installed.cache_clear()


@pytest.fixture
def releases(tmp_path: Path) -> dict[str, Path]:
    old = build_history(tmp_path / "v1", [("0.1.0", _old)])
    both = build_history(tmp_path / "v2", [("0.1.0", _old), ("0.2.0", _new)])
    return {"0.1.0": old, "0.2.0": both}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, releases: dict[str, Path]) -> Iterator[Path]:
    """Two hosts made with 0.1.0, committed, then edited and committed again."""
    Machine(monkeypatch, tmp_path / "old-home", "0.1.0", releases["0.1.0"])
    root = tmp_path / "infra"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for host in ("alpha", "beta"):
        assert main(["new", "host", "--non-interactive", "--out", str(root), "--set", f"hostname={host}",
                     "--answers", str(EXAMPLES / "minimal.yaml")]) == 0
    _git(root, "commit", "-q", "-m", "two hosts")
    config = root / "hosts/alpha/configuration.nix"
    config.write_text(config.read_text().replace("    pkgs.git\n", "    pkgs.git\n    pkgs.htop\n"))
    (root / "hosts/alpha/hardware-configuration.nix").write_text("# the real one\n{ }\n")
    _git(root, "commit", "-qam", "my edits")
    # A new machine: nixbtw 0.2.0, never ran 0.1.0, no network.
    Machine(monkeypatch, tmp_path / "new-home", "0.2.0", releases["0.2.0"])
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    yield root


def tree(root: Path, sub: str) -> dict[str, bytes]:
    base = root / sub
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def test_an_edit_survives_an_update_of_the_same_file(repo: Path, capsys: Capture) -> None:
    assert main(["update", "alpha", "--repo", str(repo)]) == 0
    config = (repo / "hosts/alpha/configuration.nix").read_text()
    assert "    pkgs.htop\n" in config                      # the user's edit
    assert "# an IANA name, see timedatectl" in config     # the template's improvement
    assert "_commit: 0.2.0" in (repo / "hosts/alpha/.copier-answers.yml").read_text()
    assert "hosts/alpha/configuration.nix" in capsys.readouterr().err


def test_updating_one_host_leaves_the_others_byte_identical(repo: Path) -> None:
    before = tree(repo, "hosts/beta")
    assert main(["update", "alpha", "--repo", str(repo)]) == 0
    assert tree(repo, "hosts/beta") == before


def test_machine_owned_files_survive(repo: Path) -> None:
    assert main(["update", "--repo", str(repo)]) == 0
    assert (repo / "hosts/alpha/hardware-configuration.nix").read_text() == "# the real one\n{ }\n"
    # beta's placeholder was never replaced by the machine, and stays as generated too.
    assert "(0.2.0)" not in (repo / "hosts/beta/hardware-configuration.nix").read_text()


def test_an_edit_on_the_same_line_is_a_reported_conflict(repo: Path, capsys: Capture) -> None:
    config = repo / "hosts/alpha/configuration.nix"
    config.write_text(config.read_text().replace('time.timeZone = "UTC";',
                                                 'time.timeZone = "Europe/Oslo";'))
    _git(repo, "commit", "-qam", "move to Oslo")
    assert main(["update", "alpha", "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "hosts/alpha/configuration.nix" in err
    assert "<<<<<<<" in config.read_text()


def test_a_changed_answer_re_renders_and_keeps_edits(repo: Path) -> None:
    assert main(["update", "alpha", "--repo", str(repo), "--set", "services.openssh=true"]) == 0
    config = (repo / "hosts/alpha/configuration.nix").read_text()
    assert "PasswordAuthentication = false;" in config
    assert "    pkgs.htop\n" in config
    assert "openssh: true" in (repo / "hosts/alpha/.copier-answers.yml").read_text()


def test_a_bad_answer_is_refused_before_anything_changes(repo: Path, capsys: Capture) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    assert main(["update", "alpha", "--repo", str(repo), "--set", "timezone=Mars/Base"]) == 2
    assert "timezone" in capsys.readouterr().err
    assert _git(repo, "status", "--porcelain") == ""
    assert _git(repo, "rev-parse", "HEAD") == head


def test_a_dirty_tree_is_refused(repo: Path, capsys: Capture) -> None:
    (repo / "notes.txt").write_text("wip\n")
    assert main(["update", "--repo", str(repo)]) == 2
    assert "uncommitted changes" in capsys.readouterr().err


def test_dry_run_shows_the_diff_and_writes_nothing(repo: Path, capsys: Capture) -> None:
    assert main(["update", "--repo", str(repo), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "+  time.timeZone = \"UTC\"; # an IANA name, see timedatectl" in out
    assert _git(repo, "status", "--porcelain") == ""


def test_plain_copier_update_works_too(repo: Path) -> None:
    history.template_source()  # nixbtw has run once on this machine
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "copier"), "update", "--trust", "--defaults",
         "--vcs-ref", "0.2.0", "--answers-file", ".copier-answers.yml", "hosts/alpha"],
        cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    config = (repo / "hosts/alpha/configuration.nix").read_text()
    assert "# an IANA name, see timedatectl" in config and "    pkgs.htop\n" in config


def test_a_conflict_in_one_host_stops_before_the_next_and_says_which_remain(
        repo: Path, capsys: Capture) -> None:
    config = repo / "hosts/alpha/configuration.nix"
    config.write_text(config.read_text().replace('time.timeZone = "UTC";', 'time.timeZone = "Europe/Oslo";'))
    _git(repo, "commit", "-qam", "move to Oslo")
    assert main(["update", "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "hosts/alpha/configuration.nix" in err
    assert "nixbtw update beta" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("assignment", "field"), [("hostname=gamma", "hostname"),
                                                    ("state_version=24.05", "state_version")])
def test_answers_that_cannot_change_are_refused(repo: Path, capsys: Capture, assignment: str,
                                                field: str) -> None:
    assert main(["update", "alpha", "--repo", str(repo), "--set", assignment]) == 2
    assert f"error: {field}:" in capsys.readouterr().err
    assert _git(repo, "status", "--porcelain") == ""


def test_a_merge_that_breaks_nix_is_reported(repo: Path, capsys: Capture) -> None:
    config = repo / "hosts/alpha/configuration.nix"
    line = "  nix.optimise.automatic = true;\n"
    config.write_text(config.read_text().replace(line, line + "  services.openssh.enable = false;\n"))
    _git(repo, "commit", "-qam", "no sshd")
    assert main(["update", "alpha", "--repo", str(repo), "--set", "services.openssh=true"]) == 1
    assert "does not parse" in capsys.readouterr().err


def test_an_answers_file_pointing_at_another_template_is_refused(repo: Path, tmp_path: Path,
                                                                 capsys: Capture) -> None:
    answers = repo / "hosts/alpha/.copier-answers.yml"
    answers.write_text(answers.read_text().replace("_src_path: ~/.local/share/nixbtw/templates.bundle",
                                                   f"_src_path: {tmp_path}/evil"))
    _git(repo, "commit", "-qam", "tampered")
    assert main(["update", "alpha", "--repo", str(repo)]) == 2
    assert "_src_path is" in capsys.readouterr().err
    assert _git(repo, "status", "--porcelain") == ""


def test_a_conflict_in_flake_nix_is_reported_like_any_other(repo: Path, capsys: Capture,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    flake = repo / "flake.nix"
    flake.write_text(flake.read_text().replace('description = "Hosts scaffolded by nixbtw";',
                                               'description = "my fleet";'))
    _git(repo, "commit", "-qam", "my description")
    (repo.parent / "v3").mkdir()

    def newer(tree: Path) -> None:
        """0.2.0, which also rewords the line the user edited in flake.nix."""
        _new(tree)
        flake_template = tree / "flake/repo/flake.nix.jinja"
        flake_template.write_text(flake_template.read_text().replace(
            'description = "Hosts scaffolded by nixbtw";', 'description = "Hosts (nixbtw)";'))

    bundle = build_history(repo.parent / "v3", [("0.1.0", _old), ("0.2.0", newer)])
    Machine(monkeypatch, repo.parent / "new-home-3", "0.2.0", bundle)
    assert main(["update", "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "collide in flake.nix" in err and "nixbtw update alpha beta" in err
    assert "Unexpected exit code" not in err


def test_files_an_update_creates_are_added_with_intent_to_add(repo: Path) -> None:
    assert main(["update", "alpha", "--repo", str(repo), "--set", "disk.layout=ext4",
                 "--set", "disk.device=/dev/disk/by-id/nvme-X"]) == 0
    assert " A hosts/alpha/disko.nix" in _git(repo, "status", "--porcelain")


def test_a_lane_change_is_refused(repo: Path, capsys: Capture) -> None:
    assert main(["update", "alpha", "--repo", str(repo), "--set", "lane=nixos-wsl"]) == 2
    assert "error: lane: moving alpha from nixos-flake to nixos-wsl is not an update" in capsys.readouterr().err


def test_an_update_with_nothing_to_do_renders_nothing(repo: Path, capsys: Capture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["update", "--repo", str(repo)]) == 0
    _git(repo, "commit", "-qam", "updated")
    capsys.readouterr()

    def no_render(*_args: object, **_kwargs: object) -> dict[str, str]:
        raise AssertionError("a host already at this version and these answers was rendered")

    monkeypatch.setattr(render, "copier_render", no_render)
    assert main(["update", "--repo", str(repo)]) == 0
    assert "already up to date" in capsys.readouterr().err
    assert _git(repo, "status", "--porcelain") == ""


def test_a_host_deleted_file_stays_deleted(repo: Path) -> None:
    _git(repo, "rm", "-q", "hosts/beta/README.md")
    _git(repo, "commit", "-qm", "no readme for beta")
    assert main(["update", "--repo", str(repo)]) == 0
    assert not (repo / "hosts/beta/README.md").exists()
    assert "# an IANA name" in (repo / "hosts/beta/configuration.nix").read_text()


def test_a_conflict_is_reported_from_inside_the_repository_with_the_default_repo(
        repo: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    config = repo / "hosts/alpha/configuration.nix"
    config.write_text(config.read_text().replace('time.timeZone = "UTC";',
                                                 'time.timeZone = "Europe/Oslo";'))
    _git(repo, "commit", "-qam", "move to Oslo")
    monkeypatch.chdir(repo)  # `cd infra && nixbtw update alpha`: --repo is "."
    assert main(["update", "alpha"]) == 1
    assert "hosts/alpha/configuration.nix" in capsys.readouterr().err


def test_a_repository_from_a_newer_nixbtw_is_named_not_a_git_error(repo: Path, capsys: Capture) -> None:
    for answers in (repo / ".copier-answers.yml", repo / "hosts/alpha/.copier-answers.yml"):
        answers.write_text(re.sub(r"(?m)^_commit: .*$", "_commit: 9.9.9", answers.read_text()))
    _git(repo, "commit", "-qam", "a teammate's newer nixbtw")
    assert main(["update", "alpha", "--repo", str(repo), "--set", "services.openssh=true"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: _commit: the repository records template version '9.9.9', which nixbtw ")
    assert line.endswith("upgrade nixbtw to the version that wrote it, then run this again")
