"""Input that would crash, hang or bloat nixbtw is refused in one line, before any work."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from scaffold.answers import dump_yaml
from scaffold.cli import main
from tests.conftest import ROOT

Capture = pytest.CaptureFixture[str]
BASE = "hostname: h\nusers:\n  - name: alice\n    admin: true\n"


def _run(tmp_path: Path, capsys: Capture, *args: str) -> str:
    out = tmp_path / "out"
    code = main(["new", "host", "--non-interactive", "--out", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    assert not out.exists()
    return err


def _answers(tmp_path: Path, text: str, name: str = "a.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        (BOMB, "bomb.yaml", "expands to more than"),
        ("hostname: " + "[" * 50_000 + "]" * 50_000 + "\n", "deep.yaml", "nests deeper than"),
        ('{"hostname": ' + "[" * 50_000 + "]" * 50_000 + "}", "deep.json", "nests deeper than"),
        (BASE + "darwin_state_version: " + "9" * 5000 + "\n", "int.yaml", "larger than any answer"),
        ('{"hostname": "h", "darwin_state_version": ' + "9" * 5000 + "}", "int.json",
         "larger than any answer"),
        (BASE + "? [a, b]\n: c\n", "complex.yaml", "uses a list or mapping as a key"),
        ("base: &b {lane: nixos-flake}\n<<: *b\n" + BASE, "merge.yaml",
         "merge key (<<)"),
        ("a: &a [*a]\n", "self.yaml", "refers to itself"),
        (BASE + "1: x\n", "intkey.yaml", "which is not a name"),
        ('{"hostname": "h\\ud800", "users": [{"name": "alice", "admin": true}]}', "s.json",
         "lone UTF-16 surrogate"),
        (BASE.replace("alice\n", 'alice\n    description: "a\\udc00"\n'), "s.yaml",
         "lone UTF-16 surrogate"),
        (BASE + "timezone: NaN\n" + "x: " + "y" * 20_000 + "\n", "long.yaml", "characters"),
    ],
)
def test_hostile_answers_files_are_refused_in_one_line(
        tmp_path: Path, capsys: Capture, text: str, name: str, message: str) -> None:
    err = _run(tmp_path, capsys, "--answers", _answers(tmp_path, text, name))
    assert message in err
    assert len(err.splitlines()) == 1


def test_an_oversized_answers_file_is_refused_without_reading_it(tmp_path: Path, capsys: Capture) -> None:
    path = tmp_path / "big.yaml"
    with path.open("w") as fh:
        fh.write(BASE + "description: ")
        fh.write("x" * (50 * 1024 * 1024))
    err = _run(tmp_path, capsys, "--answers", str(path))
    assert "larger than" in err and len(err.splitlines()) == 1


def test_a_merge_key_says_it_is_unsupported_not_a_syntax_error(tmp_path: Path, capsys: Capture) -> None:
    err = _run(tmp_path, capsys, "--answers",
               _answers(tmp_path, "x: &x {admin: true}\nhostname: h\nusers:\n  - <<: *x\n    name: a\n"))
    assert "does not support" in err and "fix the syntax" not in err


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("darwin_state_version=" + "9" * 5000, "larger than any answer"),
        ("users=" + "[" * 5000 + "]" * 5000, "nests deeper than"),
        ("users.0.description=a\udcff", "lone UTF-16 surrogate"),
        ("users." + "1" * 5000 + ".name=b", "there is no item"),
        ("packages.system=[*a]", "refers to itself"),
        ("darwin_state_version=true", "darwin_state_version"),
    ],
)
def test_hostile_set_values_are_refused_in_one_line(
        tmp_path: Path, capsys: Capture, assignment: str, message: str) -> None:
    err = _run(tmp_path, capsys, "--answers", _answers(tmp_path, BASE), "--set", assignment)
    assert message in err, err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("assignment", "field"),
    [
        ("users.0.description=" + "x" * 100_000, "users.0.description"),
        ("hardware.kernel=٦.١٢", "hardware.kernel"),
        ("state_version=٢٤.٠٥", "state_version"),
        ("disk.swap_size=٨G", "disk.swap_size"),
        ("disk.swap_size=1K", "disk.swap_size"),
        ("disk.swap_size=999999T", "disk.swap_size"),
        ("locale=en_UK.UTF-8", "locale"),
        ("packages.system=[" + ", ".join(["git"] * 1001) + "]", "packages.system"),
    ],
)
def test_out_of_range_answers_name_their_field(
        tmp_path: Path, capsys: Capture, assignment: str, field: str) -> None:
    err = _run(tmp_path, capsys, "--answers", _answers(tmp_path, BASE), "--set", "disk.layout=ext4",
               "--set", "disk.device=/dev/disk/by-id/nvme-x", "--set", assignment)
    assert err.startswith(f"error: {field}:"), err


def test_a_locale_typo_gets_a_suggestion(tmp_path: Path, capsys: Capture) -> None:
    err = _run(tmp_path, capsys, "--answers", _answers(tmp_path, BASE), "--set", "locale=de_DE.UTF8x")
    assert "did you mean 'de_DE.UTF-8'" in err


def test_every_glibc_utf8_locale_spelling_is_accepted(tmp_path: Path, capsys: Capture) -> None:
    for locale in ("de_DE.utf8", "sr_RS.UTF-8@latin", "C.UTF-8"):
        out = tmp_path / locale
        assert main(["new", "host", "--non-interactive", "--out", str(out), "--answers",
                     _answers(tmp_path, BASE), "--set", f"locale={locale}"]) == 0, capsys.readouterr().err


def test_admin_keys_pasted_with_whitespace_are_trimmed_everywhere(tmp_path: Path, capsys: Capture) -> None:
    key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    answers = {"hostname": "h", "users": [{"name": "alice", "admin": True}],
               "secrets": {"tool": "sops-nix", "admin_keys": [f"  {key} \n"]}}
    out = tmp_path / "out"
    assert main(["new", "host", "--non-interactive", "--out", str(out),
                 "--answers", _answers(tmp_path, json.dumps(answers), "a.json")]) == 0
    sops = yaml.safe_load((out / ".sops.yaml").read_text())
    assert sops["keys"] == [key]
    assert sops["creation_rules"][0]["key_groups"][0]["age"] == [key]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_line_separators_survive_the_recorded_answers(tmp_path: Path, capsys: Capture, separator: str) -> None:
    description = f"Ada{separator}Lovelace"
    out = tmp_path / "out"
    assert main(["new", "host", "h", "--non-interactive", "--out", str(out), "--set", "users.0.name=ada",
                 "--set", "users.0.admin=true", "--set", f"users.0.description={description}"]) == 0
    recorded = yaml.safe_load((out / "hosts/h/.copier-answers.yml").read_text(encoding="utf-8"))
    assert recorded["users"][0]["description"] == description


def test_dumped_yaml_reads_back_exactly() -> None:
    data = {"a": "x\u2028y\u2029z\x85w é \n two", "b": ["\u2028"]}
    assert yaml.safe_load(dump_yaml(data)) == data


def test_no_pattern_in_scaffold_accepts_other_scripts_digits() -> None:
    # \d matches ٢ and ५: every pattern spells its digits [0-9].
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in sorted((ROOT / "scaffold").rglob("*.py"))
                 for n, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"\\d", line)]
    assert offenders == []


@pytest.mark.parametrize("inside", ["flake.nix", "hosts/h/configuration.nix", ".copier-answers.yml"])
@pytest.mark.parametrize("force", [False, True])
def test_save_answers_never_lands_on_a_file_the_run_writes(
        tmp_path: Path, capsys: Capture, inside: str, force: bool) -> None:
    out = tmp_path / "out"
    err = _run(tmp_path, capsys, "--set", "hostname=h", "--set", "users.0.name=alice",
               "--save-answers", str(out / inside), *(["--force"] if force else []))
    assert f"--save-answers: {out / inside} is {inside}, a file this run writes" in err
    assert len(err.splitlines()) == 1


def test_save_answers_refuses_an_existing_file_or_a_folder(tmp_path: Path, capsys: Capture) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("keep me\n")
    assert "already exists" in _run(tmp_path, capsys, "--set", "hostname=h", "--set", "users.0.name=alice",
                                    "--save-answers", str(mine))
    assert mine.read_text() == "keep me\n"
    assert "is a directory" in _run(tmp_path, capsys, "--set", "hostname=h", "--set", "users.0.name=alice",
                                    "--save-answers", str(tmp_path), "--force")


@pytest.mark.parametrize(("report", "says"), [
    ('{"hardware": ' + "[" * 50_000 + "]" * 50_000 + "}", "nests deeper than 64 levels"),
    ('{"hardware": {}, "pad": "' + "x" * (16 * 1024 * 1024) + '"}', "is larger than 16 MB"),
])
def test_a_hostile_facter_report_is_refused_in_one_line(
        tmp_path: Path, capsys: Capture, report: str, says: str) -> None:
    path = _answers(tmp_path, report, "facter.json")
    err = _run(tmp_path, capsys, "--set", "hostname=h", "--set", "users.0.name=alice", "--facter", path)
    assert f"--facter: {path} " in err and says in err
    assert len(err.splitlines()) == 1
