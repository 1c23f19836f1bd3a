"""Adding hosts to a repository nixbtw made: the other hosts are never rewritten."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scaffold.cli import main
from tests.conftest import EXAMPLES

Capture = pytest.CaptureFixture[str]
AGE = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def add(root: Path, host: str, *sets: str) -> int:
    args = ["new", "host", "--non-interactive", "--out", str(root),
            "--answers", str(EXAMPLES / "minimal.yaml"), "--set", f"hostname={host}"]
    for s in sets:
        args += ["--set", s]
    return main(args)


def snapshot(root: Path, sub: str) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / sub).rglob("*") if p.is_file()}


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    root = tmp_path / "infra"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert add(root, "alpha") == 0
    _git(root, "commit", "-q", "-m", "alpha")
    return root


def test_host_number_thirty_is_as_safe_as_the_first(fleet: Path) -> None:
    alpha = snapshot(fleet, "hosts/alpha")
    for n in range(2, 31):
        assert add(fleet, f"host{n:02d}") == 0
    assert snapshot(fleet, "hosts/alpha") == alpha
    # flake.nix picks hosts up from hosts/: it did not need to change.
    assert "host30" not in (fleet / "flake.nix").read_text()
    readme = (fleet / "README.md").read_text()
    assert "[host30](hosts/host30/README.md)" in readme


def test_new_files_are_staged_so_the_flake_sees_them(fleet: Path, capsys: Capture) -> None:
    assert add(fleet, "beta") == 0
    staged = _git(fleet, "diff", "--cached", "--name-only").split()
    assert "hosts/beta/configuration.nix" in staged
    assert "staged with git add" in capsys.readouterr().err


def test_an_existing_host_is_refused_and_force_touches_only_it(fleet: Path, capsys: Capture) -> None:
    assert add(fleet, "beta") == 0
    _git(fleet, "commit", "-q", "-m", "beta")
    alpha = snapshot(fleet, "hosts/alpha")
    assert add(fleet, "beta", "timezone=Asia/Tokyo") == 2
    assert "host beta already exists" in capsys.readouterr().err
    assert add(fleet, "beta", "timezone=Asia/Tokyo") == 2
    assert main(["new", "host", "--set", "hostname=beta", "--non-interactive", "--out", str(fleet), "--force",
                 "--answers", str(EXAMPLES / "minimal.yaml"), "--set", "timezone=Asia/Tokyo"]) == 0
    assert 'time.timeZone = "Asia/Tokyo";' in (fleet / "hosts/beta/configuration.nix").read_text()
    assert snapshot(fleet, "hosts/alpha") == alpha


def test_a_host_needing_new_inputs_merges_them_into_an_edited_flake(fleet: Path) -> None:
    flake = fleet / "flake.nix"
    flake.write_text(flake.read_text().replace(
        '  description = "Hosts scaffolded by nixbtw";',
        '  description = "Hosts scaffolded by nixbtw";\n  # my own note'))
    _git(fleet, "commit", "-qam", "a note in flake.nix")
    assert add(fleet, "vault", "secrets.tool=sops-nix", f"secrets.admin_keys=[{AGE}]") == 0
    text = flake.read_text()
    assert "# my own note" in text
    assert 'url = "github:Mic92/sops-nix";' in text
    assert (fleet / ".sops.yaml").is_file()


def test_an_edited_flake_needs_a_clean_tree_to_merge(fleet: Path, capsys: Capture) -> None:
    flake = fleet / "flake.nix"
    flake.write_text(flake.read_text() + "# uncommitted\n")
    assert add(fleet, "vault", "secrets.tool=sops-nix", f"secrets.admin_keys=[{AGE}]") == 2
    assert "uncommitted changes" in capsys.readouterr().err
    assert not (fleet / "hosts/vault").exists()


def test_a_mac_joins_a_nixos_repository_without_touching_its_hosts(fleet: Path) -> None:
    alpha = snapshot(fleet, "hosts/alpha")
    assert add(fleet, "mac", "lane=darwin", "system=aarch64-darwin") == 0
    assert snapshot(fleet, "hosts/alpha") == alpha
    assert 'macs = [ "mac" ];' in (fleet / "flake.nix").read_text()


def test_adding_from_inside_the_repository_adds_to_the_repository(fleet: Path) -> None:
    assert main(["new", "host", "--set", "hostname=gamma", "--non-interactive", "--out", str(fleet / "hosts/alpha"),
                 "--answers", str(EXAMPLES / "minimal.yaml")]) == 0
    assert (fleet / "hosts/gamma/configuration.nix").is_file()
    assert not (fleet / "hosts/alpha/flake.nix").exists()


def test_a_channels_host_cannot_join_a_flake_repository(fleet: Path, capsys: Capture) -> None:
    readme = (fleet / "README.md").read_bytes()
    assert main(["new", "host", "--set", "hostname=old", "--non-interactive", "--out", str(fleet), "--force",
                 "--answers", str(EXAMPLES / "channels.yaml")]) == 2
    assert "lane nixos-channels is a whole /etc/nixos of its own" in capsys.readouterr().err
    assert (fleet / "README.md").read_bytes() == readme


AGE2 = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"


def test_a_later_sops_host_gets_its_rule_in_the_users_sops_yaml(fleet: Path) -> None:
    assert add(fleet, "vault", "secrets.tool=sops-nix", f"secrets.admin_keys=[{AGE}]") == 0
    sops = fleet / ".sops.yaml"
    sops.write_text(sops.read_text().replace("# - &host_vault age1...", f"- &host_vault {AGE2}")
                    .replace("# - *host_vault", "- *host_vault"))
    _git(fleet, "add", "-A")
    _git(fleet, "commit", "-qm", "vault's key")
    assert add(fleet, "safe", "secrets.tool=sops-nix", f"secrets.admin_keys=[{AGE2}]") == 0
    import yaml

    rules = {r["path_regex"]: r for r in yaml.safe_load(sops.read_text())["creation_rules"]}
    assert set(rules) == {r"^secrets/vault\.yaml$", r"^secrets/safe\.yaml$"}
    assert rules[r"^secrets/safe\.yaml$"]["key_groups"][0]["age"] == [AGE2]   # its own admin only
    assert AGE2 in rules[r"^secrets/vault\.yaml$"]["key_groups"][0]["age"]   # the user's host key kept
    assert "- &host_vault " + AGE2 in sops.read_text()


def test_admins_of_one_host_cannot_decrypt_anothers_secrets(tmp_path: Path) -> None:
    root = tmp_path / "infra"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert add(root, "ha", "secrets.tool=sops-nix", f"secrets.admin_keys=[{AGE}]") == 0
    assert add(root, "hb", "secrets.tool=sops-nix", f"secrets.admin_keys=[{AGE2}]") == 0
    import yaml

    rules = {r["path_regex"]: r["key_groups"][0]["age"]
             for r in yaml.safe_load((root / ".sops.yaml").read_text())["creation_rules"]}
    assert rules == {r"^secrets/ha\.yaml$": [AGE], r"^secrets/hb\.yaml$": [AGE2]}


def test_adding_a_host_marks_changed_files_with_a_tilde_and_new_ones_with_a_plus(
        fleet: Path, capsys: Capture) -> None:
    capsys.readouterr()
    assert add(fleet, "beta") == 0
    lines = capsys.readouterr().err.splitlines()
    assert "  ~ README.md" in lines and "  ~ .copier-answers.yml" in lines
    assert "  + hosts/beta/configuration.nix" in lines
    assert not any(line.startswith("  + ") and "/" not in line for line in lines)


def test_a_merged_flake_is_marked_as_merged_with_your_edits(fleet: Path, capsys: Capture) -> None:
    flake = fleet / "flake.nix"
    flake.write_text(flake.read_text() + "# mine\n")
    _git(fleet, "commit", "-qam", "mine")
    capsys.readouterr()
    assert add(fleet, "vault", "secrets.tool=sops-nix", f"secrets.admin_keys=[{AGE}]") == 0
    lines = capsys.readouterr().err.splitlines()
    assert "  ~ flake.nix (merged with your edits)" in lines
    assert "  + .sops.yaml" in lines
    # The merge happened in a scratch clone and arrived with the host, in one write.
    assert "hosts/vault/configuration.nix" in _git(fleet, "diff", "--cached", "--name-only")


def test_a_folder_beside_the_hosts_is_a_new_repository_not_the_one_around_it(tmp_path: Path) -> None:
    """`--out` inside a repository but outside hosts/ (or behind another git repository) never
    rewrites the repository around it; from hosts/ or a host's folder it adds to it."""
    infra = tmp_path / "infra"
    add = ["new", "host", "--non-interactive", "--answers", str(EXAMPLES / "minimal.yaml")]
    assert main([*add, "--out", str(infra)]) == 0
    flake = (infra / "flake.nix").read_text()
    assert main([*add, "--set", "hostname=apart", "--out", str(infra / "notes" / "apart")]) == 0
    assert (infra / "notes" / "apart" / "hosts" / "apart").is_dir()
    assert not (infra / "hosts" / "apart").exists() and (infra / "flake.nix").read_text() == flake
    nested = infra / "vendor" / "other"
    (nested / ".git").mkdir(parents=True)
    assert main([*add, "--set", "hostname=other", "--out", str(nested / "sub")]) == 0
    assert not (infra / "hosts" / "other").exists()
    assert main([*add, "--set", "hostname=beside", "--out", str(infra / "hosts" / "atlas")]) == 0
    assert (infra / "hosts" / "beside").is_dir()


def test_a_new_host_whose_inputs_collide_with_edits_is_written_with_the_markers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    infra = tmp_path / "infra"
    assert main(["new", "host", "--non-interactive", "--answers", str(EXAMPLES / "minimal.yaml"),
                 "--out", str(infra)]) == 0
    flake = infra / "flake.nix"
    text = flake.read_text()
    start, end = text.index("  inputs = {"), text.index("  outputs =")
    flake.write_text(text[:start] + '  inputs = {\n    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05"; # mine\n'
                     '    mine.url = "github:me/mine";\n  };\n\n' + text[end:])
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(infra), *args], check=True)
    capsys.readouterr()
    assert main(["new", "host", "--non-interactive", "--answers", str(EXAMPLES / "determinate-standalone.yaml"),
                 "--out", str(infra)]) == 1
    err = capsys.readouterr().err
    assert "hosts/kestrel is written, but your edits collide with what it needs in flake.nix" in err
    assert (infra / "hosts/kestrel/configuration.nix").is_file()  # the repository never lists a missing host
    assert "<<<<<<<" in flake.read_text()
    assert "kestrel" in (infra / ".copier-answers.yml").read_text()
