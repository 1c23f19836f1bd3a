"""An operator deploys a fleet with `nixbtw deploy`, through deploy-rs.

A stand-in `deploy` on PATH records its argv and working directory, and
evaluates the repository's deploy.nix with real Nix, the way deploy-rs reads
`.#deploy`: with stub inputs whose activation wrappers report what they wrap.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scaffold import cli
from scaffold.answers import apply_set, build_spec, load_file
from scaffold.errors import InputError
from tests.conftest import EXAMPLES, TODAY, all_files, render_example, require_tool
from tests.test_bootstrap import encrypted, nix_rules, rekey

Capture = pytest.CaptureFixture[str]
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW root@vault"

# What deploy-rs's flake gives deploy.nix, as a stub: per system, activation
# wrappers that report what they wrap.
EVAL = """
let
  hosts = builtins.attrNames (builtins.readDir ./hosts);
  configs = builtins.listToAttrs (map (name: { inherit name; value = { inherit name; }; }) hosts);
  self = { nixosConfigurations = configs; darwinConfigurations = configs; };
  systems = [ "x86_64-linux" "aarch64-linux" "aarch64-darwin" "x86_64-darwin" ];
  # A nixpkgs branch: per system, a package set that knows its branch and can be extended.
  branch = name: {
    legacyPackages = builtins.listToAttrs (map (system: {
      name = system;
      value = let base = { inherit system; branch = name; }; in base // {
        extend = overlay: let final = base // overlay final base; in final;
      };
    }) systems);
  };
  wrap = final: kind: base: { inherit kind; inherit (final) system branch; wraps = base.name; };
  deploy-rs.overlays.default = final: prev: {
    deploy-rs.lib.activate = { nixos = wrap final "nixos"; darwin = wrap final "darwin"; };
  };
  inputs = { nixpkgs = branch "nixpkgs"; nixpkgs-darwin = branch "nixpkgs-darwin"; inherit deploy-rs; };
in
(import ./deploy.nix { inherit self inputs; })
"""
STANDIN = """#!{python}
import json, os, subprocess, sys
args = sys.argv[1:]
if os.path.basename(sys.argv[0]) == "nix":  # nix develop -c deploy ...: the dev shell's deploy-rs
    if args[:5] != ["--extra-experimental-features", "nix-command flakes", "develop", "-c", "deploy"]:
        sys.exit("stand-in nix: unexpected " + repr(args))
    args, via = args[5:], "dev shell"
else:
    via = "PATH"
record = {{"argv": args, "cwd": os.getcwd(), "via": via}}
expr = {expr!r}
proc = subprocess.run(["nix-instantiate", "--eval", "--strict", "--json", "-E", expr],
                      capture_output=True, text=True)
record["deploy"] = json.loads(proc.stdout) if proc.returncode == 0 else proc.stderr
with open(os.environ["STANDIN_LOG"], "w") as f:
    json.dump(record, f)
sys.exit(int(os.environ.get("STANDIN_EXIT", "0")))
"""
# deploy-rs's node settings (interface.json and src/data.rs at d5eff7f9).
NODE_KEYS = {"hostname", "sshUser", "user", "sshOpts", "fastConnection", "autoRollback", "magicRollback",
             "confirmTimeout", "activationTimeout", "tempPath", "interactiveSudo", "remoteBuild",
             "sudo", "profiles", "profilesOrder"}
PROFILE_KEYS = NODE_KEYS - {"hostname", "profiles", "profilesOrder"} | {"path", "profilePath"}


@pytest.fixture
def deployer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nix_env: dict[str, str]) -> Path:
    """The stand-in deploy-rs on PATH; returns where it writes what it saw."""
    require_tool("nix-instantiate")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("nix", "deploy"):
        script = bin_dir / name
        script.write_text(STANDIN.format(python=sys.executable, expr=EVAL))
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "deploy.json"
    for name, value in nix_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_LOG", str(log))
    return log


def nixbtw(*argv: str) -> int:
    return cli.main(list(argv))


def fleet(tmp_path: Path, capsys: Capture) -> Path:
    """relay-01 (keys-only admin, port 2222, tags edge and eu) and vault (agenix, a password
    admin, tag storage), both installed: real hardware files, vault's key recorded."""
    root = tmp_path / "infra"
    for example in ("lix-server", "zfs-server"):
        assert nixbtw("new", "host", "--non-interactive", "--answers", str(EXAMPLES / f"{example}.yaml"),
                      "--out", str(root)) == 0
    for host in ("relay-01", "vault"):
        (root / "hosts" / host / "hardware-configuration.nix").write_text(
            "{ ... }:\n{\n  boot.initrd.availableKernelModules = [ \"nvme\" ];\n}\n")
    rules = root / "secrets" / "secrets.nix"
    rules.write_text(rules.read_text().replace("vault = [ ];", f'vault = [ "{HOST_KEY}" ];'))
    encrypted(root, "secrets/vault-bob-password.age")
    rekey(root)
    capsys.readouterr()
    return root


def seen(log: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(log.read_text())
    return record


def test_operator_deploys_a_tag_and_deploy_rs_sees_the_hosts_nodes(
        tmp_path: Path, capsys: Capture, deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    assert nixbtw("deploy", "--repo", str(root), "--tag", "edge") == 0
    record = seen(deployer)
    assert record["via"] == "dev shell"  # the deploy-rs flake.lock pins, not one on PATH
    assert record["argv"] == ["--skip-checks", ".#relay-01"]
    assert Path(record["cwd"]) == root
    nodes = record["deploy"]["nodes"]
    assert set(nodes) == {"relay-01", "vault"}
    relay, vault = nodes["relay-01"], nodes["vault"]
    assert relay["hostname"] == "relay-01.example.net" and relay["sshUser"] == "ops"
    assert relay["sshOpts"] == ["-p", "2222"]
    # Keys-only admin: passwordless sudo, so no prompt; bob's sudo asks for his password.
    assert "interactiveSudo" not in relay and vault["interactiveSudo"] is True
    assert relay["magicRollback"] is relay["autoRollback"] is True
    assert relay["profiles"]["system"]["user"] == "root"
    # The node wraps the host's own configuration with the activation for its platform.
    assert relay["profiles"]["system"]["path"] == {
        "kind": "nixos", "wraps": "relay-01", "system": "aarch64-linux", "branch": "nixpkgs"}
    for node in nodes.values():
        assert set(node) <= NODE_KEYS
        assert set(node["profiles"]["system"]) <= PROFILE_KEYS


def test_no_names_deploys_every_host_with_a_target(tmp_path: Path, capsys: Capture, deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    assert nixbtw("deploy", "--repo", str(root)) == 0
    # One --targets per host: deploy-rs before b7dda71 takes one value per --targets.
    assert seen(deployer)["argv"] == ["--skip-checks", "--targets", ".#relay-01", "--targets", ".#vault"]


def test_dry_run_prints_the_command_and_runs_nothing(tmp_path: Path, capsys: Capture, deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    assert nixbtw("deploy", "--repo", str(root), "vault", "--dry-run") == 0
    assert capsys.readouterr().out == ("nix --extra-experimental-features 'nix-command flakes' develop -c "
                                       "deploy --skip-checks '.#vault'\n")
    assert not deployer.exists()
    assert nixbtw("deploy", "--repo", str(root), "--tag", "storage", "--dry-run", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["hosts"] == ["vault"] and out["ran"] is False and out["argv"][3:6] == ["develop", "-c", "deploy"]


def test_a_failed_deploy_exits_with_deploy_rs_code(tmp_path: Path, capsys: Capture, deployer: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = fleet(tmp_path, capsys)
    monkeypatch.setenv("STANDIN_EXIT", "3")
    assert nixbtw("deploy", "--repo", str(root), "relay-01") == 3
    assert "deploy-rs exited with 3" in capsys.readouterr().err


def refused(capsys: Capture, *argv: str) -> list[str]:
    assert nixbtw("deploy", *argv) == 2
    err = capsys.readouterr().err
    return err.splitlines()


def test_a_host_still_on_the_placeholder_hardware_file_is_refused(
        tmp_path: Path, capsys: Capture, deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    hardware = root / "hosts/relay-01/hardware-configuration.nix"
    hardware.write_text("# PLACEHOLDER: replace this file\n{ ... }: { }\n")
    lines = refused(capsys, "--repo", str(root))
    assert lines == ["error: hosts/relay-01/hardware-configuration.nix: is still nixbtw's placeholder, and a "
                     "host built from it does not boot; on the machine, nixos-generate-config "
                     "--show-hardware-config > hosts/relay-01/hardware-configuration.nix; commit it"]
    assert not deployer.exists()


def test_a_secret_the_host_key_cannot_decrypt_is_refused(tmp_path: Path, capsys: Capture,
                                                         deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    encrypted(root, "secrets/vault-bob-password.age")  # the admin re-created it, for the admins only
    [line] = refused(capsys, "--repo", str(root), "vault")
    assert line.startswith("error: secrets/vault-bob-password.age: is not encrypted for the host's key")
    assert line.endswith("so vault could not decrypt it after the deploy; re-encrypt it: "
                         "cd secrets && nix develop .. -c agenix -r")
    assert not deployer.exists()


def test_a_host_whose_key_was_never_recorded_is_refused(tmp_path: Path, capsys: Capture,
                                                        deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    rules = root / "secrets" / "secrets.nix"
    rules.write_text(rules.read_text().replace(f'vault = [ "{HOST_KEY}" ];', "vault = [ ];"))
    assert nix_rules(root / "secrets")  # still the file agenix reads
    [line] = refused(capsys, "--repo", str(root), "--tag", "storage")
    assert line.startswith("error: secrets/secrets.nix: does not record vault's host key")


def test_answers_edited_without_update_are_refused_until_deploy_nix_has_the_node(
        tmp_path: Path, capsys: Capture, deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    answers = root / "hosts/vault/.copier-answers.yml"
    answers.write_text(answers.read_text().replace("bob@vault.lan", "bob@vault.example.org"))
    [line] = refused(capsys, "--repo", str(root), "vault", "--dry-run")
    assert line == ("error: deploy.nix: still has vault's old hostname 'vault.lan', not what "
                    "hosts/vault/.copier-answers.yml says; run nixbtw update vault to rewrite it, commit, "
                    "then deploy")
    recorded = root / ".copier-answers.yml"
    recorded.write_text(recorded.read_text().replace("name: vault", "name: vault-old"))
    [line] = refused(capsys, "--repo", str(root), "vault")
    assert line == "error: deploy.nix: has no node for vault yet; run nixbtw update vault to write it, " \
                   "commit, then deploy"


def test_unknown_hosts_and_tags_are_named_with_what_exists(tmp_path: Path, capsys: Capture,
                                                           deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    lines = refused(capsys, "--repo", str(root), "atlas", "--tag", "web")
    assert lines == ["error: HOST: 'atlas' is not a host of this repository; use one of relay-01, vault",
                     "error: --tag: no host is tagged 'web'; use one of edge, eu, storage"]


def test_a_repository_without_targets_says_how_to_add_one(tmp_path: Path, capsys: Capture,
                                                          deployer: Path) -> None:
    root = tmp_path / "infra"
    assert nixbtw("new", "host", "--non-interactive", "--answers", str(EXAMPLES / "minimal.yaml"),
                  "--out", str(root)) == 0
    capsys.readouterr()
    assert (root / "deploy.nix").exists() is False
    [line] = refused(capsys, "--repo", str(root))
    assert line == ("error: deploy.target: no host of this repository has one; "
                    "nixbtw update HOST --set deploy.target=admin@ADDRESS")


def spec_problems(example: str, *sets: str) -> list[str]:
    answers = load_file(str(EXAMPLES / f"{example}.yaml"))
    for s in sets:
        apply_set(answers, s)
    with pytest.raises(InputError) as err:
        build_spec(answers, on=TODAY)
    return err.value.lines()


@pytest.mark.parametrize(("example", "sets", "expected"), [
    ("lix-server", ("deploy.target=root@relay-01.example.net",),
     "deploy.target: nixbtw's sshd refuses root logins (PermitRootLogin no); deploy-rs logs in as an "
     "admin and uses sudo; deploy as an admin, e.g. deploy.target: ops@relay-01.example.net"),
    ("lix-server", ("deploy.target=eve@relay-01.example.net",),
     "deploy.target: eve is not a user of relay-01; use one of its admins, e.g. "
     "deploy.target: ops@relay-01.example.net"),
    ("lix-server", ("services.openssh=false",),
     "services.openssh: deploy-rs connects over SSH, and sshd is off; set services.openssh: true"),
    ("lix-server", ("deploy.target=ops relay",),
     "deploy.target: 'ops relay' is not USER@ADDRESS (no spaces, ports or shell characters); write the "
     "admin's login and the host's address, e.g. admin@web1.example.org (a port goes in deploy.ssh_port)"),
    ("lix-server", ("deploy.target=ops@2001:db8::7",),
     "deploy.target: 'ops@2001:db8::7' has an IPv6 address, which deploy-rs cannot put in its ssh and "
     "nix copy URLs; use a host name that resolves to it (DNS or /etc/hosts)"),
    ("lix-server", ("deploy.ssh_port=70000",),
     "deploy.ssh_port: 70000 is not a TCP port; give a number from 1 to 65535"),
    ("lix-server", ("deploy.tags=[Web]",),
     "deploy.tags: 'Web' is not a tag; use lowercase letters, digits, - and _, e.g. web or eu-west"),
    ("minimal", ("deploy.tags=[web]",),
     "deploy.tags: it needs deploy.target; set deploy.target: admin@<address>, or remove it"),
    ("channels", ("deploy.target=alice@desk.lan",),
     "deploy.target: a channels host is not a flake output, and deploy-rs deploys flakes; use lane "
     "nixos-flake, or remove the deploy section"),
    ("darwin", ("deploy.target=root@macbook.local",),
     "deploy.target: macOS refuses root logins over SSH; deploy-rs logs in as an admin and uses sudo; "
     "deploy as an admin, e.g. deploy.target: frank@macbook.local"),
    ("home-manager", ("deploy.target=alice@desk.lan",),
     "deploy.target: nixbtw deploys systems; a home-manager host is switched by its user on the machine "
     "(home-manager switch --flake); remove the deploy section"),
])
def test_deploy_answers_that_cannot_work_are_refused(example: str, sets: tuple[str, ...], expected: str) -> None:
    assert expected in spec_problems(example, *sets)


def test_a_mac_beside_nixos_hosts_is_activated_by_nix_darwin_from_the_darwin_branch(
        tmp_path: Path, capsys: Capture, deployer: Path) -> None:
    root = tmp_path / "infra"
    for host in ("nas", "air", "devbox"):
        assert nixbtw("new", "host", "--non-interactive", "--answers", str(EXAMPLES / "mixed" / f"{host}.yaml"),
                      "--out", str(root)) == 0
    capsys.readouterr()
    assert nixbtw("deploy", "--repo", str(root), "air") == 0
    record = seen(deployer)
    assert record["argv"] == ["--skip-checks", ".#air"]
    nodes = record["deploy"]["nodes"]
    assert set(nodes) == {"nas", "air"}  # devbox is a home, switched by its user
    air = nodes["air"]
    # deploy-rs for the Mac is built with the Mac's nixpkgs (the darwin branch).
    assert air["profiles"]["system"]["path"] == {
        "kind": "darwin", "wraps": "air", "system": "aarch64-darwin", "branch": "nixpkgs-darwin"}
    assert air["interactiveSudo"] is True and air["sshUser"] == "ivy" and air["hostname"] == "air.local"
    assert nodes["nas"]["profiles"]["system"]["path"]["branch"] == "nixpkgs"
    capsys.readouterr()
    # nas is still on the placeholder hardware file, and its secrets do not exist yet.
    lines = refused(capsys, "--repo", str(root), "--tag", "home")
    assert [line.split(":")[1].strip() for line in lines] == [
        "hosts/nas/hardware-configuration.nix", "secrets/nas.yaml"]


def test_a_host_this_machine_cannot_build_for_gets_a_warning_naming_remote_build() -> None:
    from scaffold.deploy import build_warnings

    answers = load_file(str(EXAMPLES / "lix-server.yaml"))
    apply_set(answers, "deploy.remote_build=false")
    relay = build_spec(answers, on=TODAY)
    assert build_warnings([relay], "x86_64-linux") == [
        "warning: relay-01 is aarch64-linux and this machine is x86_64-linux: the build needs a builder "
        "for aarch64-linux; set deploy.remote_build: true to build on relay-01 itself"]
    assert build_warnings([relay], "aarch64-linux") == []
    answers = load_file(str(EXAMPLES / "lix-server.yaml"))
    apply_set(answers, "deploy.remote_build=true")
    assert build_warnings([build_spec(answers, on=TODAY)], "x86_64-linux") == []


def test_sshd_listens_on_the_deploy_port_and_the_node_builds_on_the_board() -> None:
    files = all_files(render_example("lix-server"))
    assert "    ports = [ 2222 ];\n" in files["hosts/relay-01/configuration.nix"]
    assert "      remoteBuild = true;\n" in files["deploy.nix"]
    assert "    ports = [" not in all_files(render_example("zfs-server"))["hosts/vault/configuration.nix"]


def test_numbers_are_read_as_yaml_1_2_reads_them(tmp_path: Path) -> None:
    answers = tmp_path / "relay.yaml"
    answers.write_text((EXAMPLES / "lix-server.yaml").read_text().replace("ssh_port: 2222", "ssh_port: 02222"))
    assert build_spec(load_file(str(answers)), on=TODAY).deploy.ssh_port == 2222  # not YAML 1.1's octal 1170
    answers.write_text((EXAMPLES / "lix-server.yaml").read_text().replace("ssh_port: 2222", "ssh_port: 1:30"))
    with pytest.raises(InputError) as err:  # not YAML 1.1's sexagesimal 90
        build_spec(load_file(str(answers)), on=TODAY)
    assert err.value.lines()[0].startswith("deploy.ssh_port:")


def test_without_nix_the_deploy_on_path_runs_with_a_warning(tmp_path: Path, capsys: Capture, deployer: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    root = fleet(tmp_path, capsys)
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "nix" else which(name, *a, **k))
    assert nixbtw("deploy", "--repo", str(root), "vault") == 0
    assert seen(deployer)["via"] == "PATH"
    assert "warning: Nix is not installed, so deploy-rs runs from PATH" in capsys.readouterr().err


def test_a_mac_keeps_remote_logins_port() -> None:
    assert "deploy.ssh_port: macOS's Remote Login listens on 22, and nix-darwin has no option to move it; " \
           "remove deploy.ssh_port (or set it to 22)" in spec_problems(
               "darwin", "services.openssh=true", "deploy.target=frank@macbook.local", "deploy.ssh_port=2222")


def test_a_home_manager_host_is_not_asked_for_a_target_it_could_not_use(
        tmp_path: Path, capsys: Capture, deployer: Path) -> None:
    root = tmp_path / "infra"
    for host in ("nas", "devbox"):
        assert nixbtw("new", "host", "--non-interactive", "--answers", str(EXAMPLES / "mixed" / f"{host}.yaml"),
                      "--out", str(root)) == 0
    capsys.readouterr()
    [line] = refused(capsys, "--repo", str(root), "devbox")
    assert line == ("error: hosts/devbox/.copier-answers.yml: lane: deploy-rs does not deploy home-manager "
                    "hosts; switch devbox on the machine as its README says")


def test_a_port_after_the_address_is_pointed_to_ssh_port() -> None:
    assert ("deploy.target: 'ops@192.0.2.1:22' has a port after the address; write USER@ADDRESS, and the port "
            "in deploy.ssh_port") in spec_problems("lix-server", "deploy.target=ops@192.0.2.1:22")


def test_a_hardware_file_git_does_not_track_is_refused(tmp_path: Path, capsys: Capture, deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "rm", "-q", "--cached", "hosts/vault/hardware-configuration.nix"], check=True)
    [line] = refused(capsys, "--repo", str(root), "vault")
    assert line == ("error: hosts/vault/hardware-configuration.nix: is not tracked by git, so the flake builds "
                    "the placeholder git has; git add hosts/vault/hardware-configuration.nix and commit, "
                    "then deploy")


def test_a_secret_left_in_plain_text_is_to_be_encrypted_and_changed(
        tmp_path: Path, capsys: Capture, deployer: Path) -> None:
    root = fleet(tmp_path, capsys)
    (root / "secrets/vault-bob-password.age").write_text("$y$j9T$plain\n")
    [line] = refused(capsys, "--repo", str(root), "vault")
    assert "encrypt it: cd secrets && nix develop .. -c agenix -e vault-bob-password.age, and change what it " \
           "held: git history keeps the plain text" in line
