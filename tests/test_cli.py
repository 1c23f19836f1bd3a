"""The command line as a user meets it: answers in, a repository out, clear refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scaffold import __version__
from scaffold.cli import main
from tests.conftest import EXAMPLES

Capture = pytest.CaptureFixture[str]


def new_host(*args: str) -> int:
    return main(["new", "host", "--non-interactive", *args])


def test_version_and_help(capsys: Capture) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"nixbtw {__version__}"
    with pytest.raises(SystemExit):
        main(["new", "host", "--help"])
    out = capsys.readouterr().out
    for flag in ("--answers", "--set", "--out", "--non-interactive", "--save-answers", "--force"):
        assert flag in out


def test_schema_is_json_schema_of_the_answers(capsys: Capture) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    for key in ("hostname", "lane", "nix", "system", "release", "state_version", "timezone",
                "locale", "hardware", "boot", "disk", "secrets", "users", "home_manager",
                "packages", "services"):
        assert key in schema["properties"]


def test_example_becomes_a_repository(tmp_path: Path, capsys: Capture) -> None:
    assert new_host("--answers", str(EXAMPLES / "workstation.yaml"), "--out", str(tmp_path)) == 0
    for rel in ("flake.nix", "README.md", ".gitignore", "hosts/forge/configuration.nix",
                "hosts/forge/hardware-configuration.nix", "hosts/forge/.copier-answers.yml",
                "hosts/forge/home/alice.nix", "hosts/forge/home/bob.nix"):
        assert (tmp_path / rel).is_file(), rel
    err = capsys.readouterr().err
    assert "nixos-rebuild switch --flake .#forge" in err


def test_bad_answers_list_every_problem_and_write_nothing(tmp_path: Path, capsys: Capture) -> None:
    answers = tmp_path / "bad.yaml"
    answers.write_text(yaml.safe_dump({
        "hostname": "Atlas", "timezone": "Mars/Olympus", "lane": "nixos-flake",
        "system": "aarch64-darwin",
        "users": [{"name": "alice", "password": "secret", "ssh_keys": ["not-a-key"]}],
        "packages": {"insecure": ["olm"]}, "hardwre": {},
    }))
    out = tmp_path / "out"
    assert new_host("--answers", str(answers), "--out", str(out)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("error: ") for line in lines)
    text = "\n".join(lines)
    assert "hostname: 'Atlas' has capital letters; use 'atlas'" in text
    assert "timezone: 'Mars/Olympus' is not an IANA time zone" in text
    assert "hardwre: unknown key (did you mean 'hardware'?)" in text
    assert "packages.insecure: 'olm' has no version" in text
    assert "users.0.ssh_keys" in text
    assert "Traceback" not in text
    assert not out.exists()


def test_cross_field_problems_name_the_combination(tmp_path: Path, capsys: Capture) -> None:
    code = new_host("atlas", "--out", str(tmp_path / "o"), "--set", "system=aarch64-darwin",
                    "--set", "users.0.name=alice", "--set", "users.0.password=secret",
                    "--set", "users.0.admin=false")
    err = capsys.readouterr().err
    assert code == 2
    assert "error: system: aarch64-darwin needs lane darwin, not nixos-flake" in err
    assert "error: users.0.password: password: secret needs a secrets tool" in err
    assert "error: users: no user is an admin" in err


def test_missing_hostname_is_required(tmp_path: Path, capsys: Capture) -> None:
    assert new_host("--out", str(tmp_path), "--set", "users.0.name=alice") == 2
    assert "error: hostname: is required" in capsys.readouterr().err


def test_broken_yaml_is_one_line(tmp_path: Path, capsys: Capture) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text("hostname: [unclosed\n")
    assert new_host("--answers", str(bad), "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: --answers:")


def test_existing_files_are_never_overwritten_without_force(tmp_path: Path, capsys: Capture) -> None:
    args = ["--answers", str(EXAMPLES / "workstation.yaml"), "--out", str(tmp_path)]
    assert new_host(*args) == 0
    config = tmp_path / "hosts/forge/configuration.nix"
    home = tmp_path / "hosts/forge/home/alice.nix"
    config.write_text("# my edit\n")
    home.write_text("# alice's own\n")
    capsys.readouterr()
    assert new_host(*args) == 2
    assert "error: hostname: host forge already exists" in capsys.readouterr().err
    assert config.read_text() == "# my edit\n"
    assert new_host(*args, "--force") == 0
    assert config.read_text() != "# my edit\n"
    # A user's home file is theirs: even --force leaves it.
    assert home.read_text() == "# alice's own\n"


def test_force_never_replaces_the_machines_hardware_configuration(tmp_path: Path) -> None:
    args = ["--answers", str(EXAMPLES / "minimal.yaml"), "--out", str(tmp_path)]
    assert new_host(*args) == 0
    hardware = tmp_path / "hosts/atlas/hardware-configuration.nix"
    hardware.write_text("# generated on the machine\n{ }\n")
    assert new_host(*args, "--force", "--set", "timezone=Asia/Tokyo") == 0
    assert hardware.read_text() == "# generated on the machine\n{ }\n"


def test_generating_into_an_ignored_directory_still_succeeds(tmp_path: Path, capsys: Capture) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("/out/\n")
    assert new_host("--answers", str(EXAMPLES / "minimal.yaml"), "--out", str(tmp_path / "out")) == 0
    assert "make it a repository of its own" in capsys.readouterr().err
    assert (tmp_path / "out/hosts/atlas/configuration.nix").is_file()


def test_a_failure_halfway_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: Capture) -> None:
    calls = {"n": 0}
    real_replace = os.replace

    def flaky(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr("scaffold.write.os.replace", flaky)
    out = tmp_path / "repo"
    assert new_host("--answers", str(EXAMPLES / "minimal.yaml"), "--out", str(out)) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.rglob("*")) == []


def test_saved_answers_replay_to_the_same_tree(tmp_path: Path) -> None:
    first, second, saved = tmp_path / "a", tmp_path / "b", tmp_path / "answers.yaml"
    assert new_host("--answers", str(EXAMPLES / "workstation.yaml"), "--out", str(first),
                    "--save-answers", str(saved)) == 0
    assert new_host("--answers", str(saved), "--out", str(second)) == 0
    assert _tree(first) == _tree(second)


def _tree(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_set_overrides_the_answers_file(tmp_path: Path) -> None:
    assert new_host("--answers", str(EXAMPLES / "minimal.yaml"), "--out", str(tmp_path),
                    "--set", "timezone=Asia/Tokyo", "--set", "services.openssh=true") == 0
    config = (tmp_path / "hosts/atlas/configuration.nix").read_text()
    assert 'time.timeZone = "Asia/Tokyo";' in config
    assert "PasswordAuthentication = false;" in config


def test_json_result_for_pipelines(tmp_path: Path, capsys: Capture) -> None:
    assert new_host("--answers", str(EXAMPLES / "minimal.yaml"), "--out", str(tmp_path), "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["hostname"] == "atlas"
    assert result["release"] == "26.05"
    assert "hosts/atlas/configuration.nix" in result["written"]


def test_answers_from_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO((EXAMPLES / "minimal.yaml").read_text()))
    assert new_host("--answers", "-", "--out", str(tmp_path)) == 0
    assert (tmp_path / "hosts/atlas/configuration.nix").is_file()


def test_without_a_terminal_interactive_mode_says_what_to_do(tmp_path: Path, capsys: Capture,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["new", "host", "atlas", "--out", str(tmp_path)]) == 2
    assert "pass --non-interactive" in capsys.readouterr().err


def test_new_files_are_staged_in_a_git_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert new_host("--answers", str(EXAMPLES / "minimal.yaml"), "--out", str(tmp_path)) == 0
    staged = subprocess.run(["git", "diff", "--cached", "--name-only"], cwd=tmp_path,
                            capture_output=True, text=True, check=True).stdout.split()
    assert "flake.nix" in staged
    assert "hosts/atlas/hardware-configuration.nix" in staged


def test_the_installed_command_runs(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "scaffold.cli", "new", "host", "--non-interactive",
                           "--answers", str(EXAMPLES / "minimal.yaml"), "--out", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "scaffold.cli", "new", "host", "--non-interactive",
                           "--set", "hostname=UPPER", "--out", str(tmp_path / "x")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["users.99999999.name=b"], "there is no item 99999999 (the list has 1)"),
        (["users.x.name=b"], "'x' is not a list index"),
    ],
)
def test_set_refuses_list_indexes_that_do_not_exist(tmp_path: Path, capsys: Capture, sets: list[str],
                                                     message: str) -> None:
    args = ["h", "--out", str(tmp_path / "o"), "--set", "users.0.name=alice", "--set", "users.0.admin=true"]
    for s in sets:
        args += ["--set", s]
    assert new_host(*args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_set_keeps_text_answers_as_typed(tmp_path: Path) -> None:
    assert new_host("on", "--out", str(tmp_path), "--set", "users.0.name=alice",
                    "--set", "users.0.admin=true", "--set", "users.0.description=No") == 0
    config = (tmp_path / "hosts/on/configuration.nix").read_text()
    assert 'networking.hostName = "on";' in config
    assert 'description = "No";' in config


def test_a_key_given_twice_in_an_answers_file_is_refused(tmp_path: Path, capsys: Capture) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("hostname: a\nhostname: b\nusers: [{name: x, admin: true}]\n")
    assert new_host("--answers", str(answers), "--out", str(tmp_path / "o")) == 2
    assert "gives 'hostname' twice (line 2)" in capsys.readouterr().err


def test_an_unwritable_out_is_bad_input(tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root can write anywhere, so ask the question the way write_files asks it.
    monkeypatch.setattr("scaffold.write.os.access", lambda path, mode: False)
    assert new_host("--answers", str(EXAMPLES / "minimal.yaml"), "--out", str(tmp_path / "o")) == 2
    assert "is not readable and writable by you; choose a directory you can read and write" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


FACTER = Path(__file__).parent / "fixtures" / "facter-framework-13-amd.json"
NVME = "/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S73WNJ0W612345X"


def test_a_facter_report_prefills_the_hardware(tmp_path: Path) -> None:
    assert new_host("fw", "--facter", str(FACTER), "--out", str(tmp_path), "--set", "users.0.name=a",
                    "--set", "users.0.admin=true", "--set", "disk.layout=btrfs",
                    "--set", f"disk.device={NVME}") == 0
    answers = yaml.safe_load((tmp_path / "hosts/fw/.copier-answers.yml").read_text())
    assert answers["hardware"]["cpu"] == "amd"
    assert answers["hardware"]["gpu"] == ["amd"]
    assert answers["disk"]["device"] == NVME


def test_a_facter_report_that_saw_bios_gives_grub_on_the_disk(tmp_path: Path) -> None:
    report = json.loads(FACTER.read_text())
    report["uefi"] = {"supported": False}
    bios = tmp_path / "facter.json"
    bios.write_text(json.dumps(report))
    assert new_host("old", "--facter", str(bios), "--out", str(tmp_path / "o"), "--set", "users.0.name=a",
                    "--set", "users.0.admin=true", "--set", "disk.layout=ext4",
                    "--set", f"disk.device={NVME}") == 0
    answers = yaml.safe_load((tmp_path / "o/hosts/old/.copier-answers.yml").read_text())
    assert answers["boot"]["firmware"] == "bios"
    config = (tmp_path / "o/hosts/old/configuration.nix").read_text()
    assert "boot.loader.grub" in config and "systemd-boot" not in config
    assert 'type = "EF02";' in (tmp_path / "o/hosts/old/disko.nix").read_text()


def test_a_facter_report_offers_only_the_disks_it_saw(tmp_path: Path, capsys: Capture) -> None:
    base = ["fw", "--facter", str(FACTER), "--out", str(tmp_path / "o"), "--set", "users.0.name=a",
            "--set", "users.0.admin=true", "--set", "disk.layout=btrfs"]
    assert new_host(*base, "--set", "disk.device=/dev/disk/by-id/nvme-other") == 2
    assert "is not a disk the report saw; use one of " + NVME in capsys.readouterr().err
    assert new_host(*base) == 2
    assert "the report saw 2 disks" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_json_answers_with_a_key_twice_are_refused(tmp_path: Path, capsys: Capture) -> None:
    answers = tmp_path / "a.json"
    answers.write_text('{"hostname": "atlas", "hostname": "zeus", "users": [{"name": "x", "admin": true}]}')
    assert new_host("--answers", str(answers), "--out", str(tmp_path / "o")) == 2
    assert "gives 'hostname' twice" in capsys.readouterr().err


def test_an_empty_out_is_refused(capsys: Capture) -> None:
    assert new_host("atlas", "--out", "", "--set", "users.0.name=a") == 2
    assert "error: --out: is empty" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["check", "--list-rules"], ["schema"]])
def test_a_reader_that_stops_early_ends_the_output_quietly(command: list[str]) -> None:
    import os
    import subprocess
    import sys

    # `nixbtw check --list-rules | head -1`, with the reader gone before the first write.
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run([sys.executable, "-m", "scaffold.cli", *command], stdout=write,
                             stderr=subprocess.PIPE, check=False)
    finally:
        os.close(write)
    assert run.returncode in (0, 141)
    assert run.stderr == b""
