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


# Line separators in a description are now refused (see
# test_a_description_is_one_line_of_plain_text); the recorded answers still
# write them so they read back, should a field ever accept them.
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


def _refusal(answers: dict[str, object]) -> str:
    from scaffold.answers import build_spec, today
    from scaffold.errors import InputError

    with pytest.raises(InputError) as err:
        build_spec(answers, on=today())
    return str(err.value)


def _user(**extra: object) -> dict[str, object]:
    return {"name": "alice", "admin": True, **extra}


def test_the_readme_states_the_limits_the_spec_applies() -> None:
    from scaffold.answers import build_spec, today
    from scaffold.spec import LIST_MAX, PACKAGES_MAX, TEXT_MAX

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert (f"a description holds at most {TEXT_MAX} characters, a host at most {LIST_MAX} users "
            f"and {PACKAGES_MAX:,} packages (one more is refused)") in readme
    users = [_user(name=f"u{i}") for i in range(LIST_MAX)]
    packages = [f"p{i}" for i in range(PACKAGES_MAX)]
    build_spec({"hostname": "h", "users": [_user(description="x" * TEXT_MAX)]}, on=today())
    build_spec({"hostname": "h", "users": users, "packages": {"system": packages}}, on=today())
    assert f"has more than {TEXT_MAX} characters" in _refusal(
        {"hostname": "h", "users": [_user(description="x" * (TEXT_MAX + 1))]})
    assert f"users: has more than {LIST_MAX} entries" in _refusal(
        {"hostname": "h", "users": [*users, _user(name="one")]})
    assert f"has more than {PACKAGES_MAX} entries" in _refusal(
        {"hostname": "h", "users": users[:1], "packages": {"system": [*packages, "one"]}})


@pytest.mark.parametrize(("text", "named"), [
    ("Alice\x1b[31m", "an escape character (U+001B"),
    ("Alice\u202eecilA", "a bidirectional text control (U+202E)"),
    ("Alice\u2066x\u2069", "a bidirectional text control (U+2066)"),
    ("Alice\u2028Smith", "a line break (U+2028)"),
    ("Alice\u2029", "a line break (U+2029)"),
    ("Alice\x85", "a line break (U+0085)"),
    ("Alice\x00", "a control character (U+0000)"),
    ("Alice\x7f", "a control character (U+007F)"),
    ("Alice\x9b", "a control character (U+009B)"),
    ("Alice\tSmith", "a control character (U+0009)"),
])
def test_a_description_is_one_line_of_plain_text(text: str, named: str) -> None:
    said = _refusal({"hostname": "h", "users": [_user(description=text)]})
    assert said == (f"users.0.description: holds {named}" + said.split(named, 1)[1])
    assert "type the text on one line" in said


def test_a_colon_in_a_description_is_still_refused_for_what_it_is() -> None:
    assert "cannot contain ':'" in _refusal({"hostname": "h", "users": [_user(description="a:b")]})


@pytest.mark.parametrize(("answers", "said"), [
    ({"hostname": None, "users": [{"name": "alice"}]}, "hostname: is empty (null); give it a value"),
    ({"hostname": "h", "users": ["bob"]}, "users.0: 'bob' is not a group of keys; write keys under it"),
    ({"hostname": "h", "users": [_user(admin="maybe")]}, "users.0.admin: 'maybe' is not true or false"),
    ({"hostname": "h", "users": "alice"}, "users: 'alice' is not a list"),
])
def test_type_errors_read_as_sentences_with_a_fix(answers: dict[str, object], said: str) -> None:
    text = _refusal(answers)
    assert said in text
    for internal in ("valid dictionary", "instance of", "None", "Input should"):
        assert internal not in text


@pytest.mark.parametrize("command", ["new", "update"])
def test_a_key_set_twice_is_refused_like_a_key_repeated_in_a_file(
        tmp_path: Path, capsys: Capture, command: str) -> None:
    twice = ["--set", "hostname=a", "--set", "users.0.name=alice", "--set", "hostname=b"]
    if command == "new":
        err = _run(tmp_path, capsys, *twice)
    else:
        assert main(["update", "--repo", str(tmp_path), *twice]) == 2
        err = capsys.readouterr().err
    assert err == "error: --set: hostname is given more than once; keep the one --set hostname=... you mean\n"
