"""nixbtw bootstrap: a generated host, installed with nixos-anywhere, its key never kept.

The story: a user generated a repository with nixbtw, booted the machine into an
installer, and runs one command. nixos-anywhere itself is a stand-in script here
that records what it was given; ssh-keygen is the real one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml

from scaffold import bootstrap as bs
from scaffold import cli
from scaffold.answers import apply_set, build_spec, load_file
from scaffold.commands.bootstrap import add_parser, run
from scaffold.errors import InputError, NixbtwError
from scaffold.spec import HostSpec
from scaffold.sshage import age_recipient
from tests.conftest import EXAMPLES, ROOT, TODAY, require_tool

Capture = pytest.CaptureFixture[str]
FIXTURES = Path(__file__).parent / "fixtures"
FACTER = FIXTURES / "facter-framework-13-amd.json"
TARGET = "root@192.0.2.10"
KEYS = "<keys>"
REPO = Path("/srv/infra")
EXT4 = ("disk.layout=ext4", "disk.device=/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PUNX0T654321B")
STANDIN = """#!{python}
import json, os, shutil, sys
record = os.path.join(os.environ["STANDIN_DIR"], os.path.basename(sys.argv[0]))
args = sys.argv[1:]
with open(record + ".json", "w") as f:
    json.dump({{"argv": args, "cwd": os.getcwd()}}, f)
if "--extra-files" in args:
    # what nixos-anywhere does: copy the tree, permissions included
    shutil.copytree(args[args.index("--extra-files") + 1], record + ".extra-files")
sys.exit({code})
"""


@pytest.fixture(autouse=True)
def _no_disk_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NIXBTW_DISK_KEY_FILE", raising=False)


def nixbtw(*argv: str) -> int:
    """`nixbtw bootstrap ARGV` as cli.main runs it: one line per error on stderr, its exit code.

    Goes through cli.main itself once cli.py dispatches `bootstrap`.
    """
    if "bootstrap" in cli._parser().format_help():
        return cli.main(["bootstrap", *argv])
    parser = cli._Parser(prog="nixbtw")
    add_parser(parser.add_subparsers(dest="command", parser_class=cli._Parser))
    args = parser.parse_args(["bootstrap", *argv])
    try:
        return run(args)
    except NixbtwError as err:
        for line in err.lines():
            sys.stderr.write(f"error: {line}\n")
        return err.exit_code


def spec_of(example: str, *sets: str) -> HostSpec:
    answers = load_file(str(EXAMPLES / f"{example}.yaml"))
    for s in sets:
        apply_set(answers, s)
    return build_spec(answers, on=TODAY)


def new_repo(tmp_path: Path, capsys: Capture, example: str, *sets: str) -> Path:
    """A repository with the example's host; a host of a repository example
    (mixed/nas) joins the other hosts of its folder, added first."""
    root = tmp_path / "infra"
    answers = EXAMPLES / f"{example}.yaml"
    if answers.parent != EXAMPLES:
        for other in sorted(set(answers.parent.glob("*.yaml")) - {answers}):
            assert cli.main(["new", "host", "--non-interactive", "--answers", str(other),
                             "--out", str(root)]) == 0
    args = ["new", "host", "--non-interactive", "--answers", str(EXAMPLES / f"{example}.yaml"),
            "--out", str(root)]
    for s in sets:
        args += ["--set", s]
    assert cli.main(args) == 0
    capsys.readouterr()
    return root


def sealed_sops(recipients: list[str]) -> str:
    """A secrets file as sops writes it: values encrypted, age recipients in `sops.age`."""
    return yaml.safe_dump({
        "users": {"alice": {"hashed-password": "ENC[AES256_GCM,data:c3RhbmQtaW4=,iv:aXY=,tag:dGFn,type:str]"}},
        "sops": {"age": [{"recipient": r, "enc": "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n"
                          "-----END AGE ENCRYPTED FILE-----\n"} for r in recipients],
                 "lastmodified": "2026-11-25T10:00:00Z", "mac": "ENC[AES256_GCM,data:bWFj,type:str]",
                 "unencrypted_suffix": "_unencrypted", "version": "3.13.2"}}, sort_keys=False)


def stanza_tag(public: str) -> str:
    """age's ssh-ed25519 tag, per the age spec: SHA-256 of the key's SSH wire bytes, first 4, base64."""
    digest = hashlib.sha256(base64.b64decode(public.split()[1])).digest()
    return base64.b64encode(digest[:4]).decode().rstrip("=")


def sealed_age(recipients: list[str]) -> bytes:
    """An age file as agenix writes it: one header stanza per recipient, then the payload."""
    share = base64.b64encode(bytes(32)).decode().rstrip("=")
    body = base64.b64encode(bytes(32)).decode().rstrip("=")
    lines = ["age-encryption.org/v1"]
    for r in recipients:
        lines += [f"-> ssh-ed25519 {stanza_tag(r)} {share}" if r.startswith("ssh-ed25519 ")
                  else f"-> X25519 {share}", body]
    lines.append(f"--- {body}")
    return "\n".join(lines).encode() + b"\n\x8f\x00binary payload"


def encrypted(repo: Path, rel: str) -> Path:
    """A secret as its admin created it (sops or agenix): encrypted for the admins, not the host."""
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if rel.endswith(".age"):
        rules = (repo / "secrets/secrets.nix").read_text()
        path.write_bytes(sealed_age(re.findall(r'"(ssh-ed25519 \S+ \w+@desk)"', rules)))
    else:
        path.write_text(sealed_sops(sops_rule(repo, rel)[:1]))
    return path


def sops_rule(repo: Path, rel: str) -> list[str]:
    """The age recipients .sops.yaml gives `rel` (what `sops updatekeys` encrypts it for)."""
    rules = yaml.safe_load((repo / ".sops.yaml").read_text())["creation_rules"]
    rule = next(r for r in rules if re.search(r["path_regex"], rel))
    return [k for group in rule["key_groups"] for k in group.get("age") or []]


def nix_rules(secrets: Path) -> dict[str, dict[str, list[str]]]:
    """secrets/secrets.nix evaluated as the agenix CLI does, with nix-instantiate."""
    proc = subprocess.run(["nix-instantiate", "--eval", "--strict", "--json", "-E", "import ./secrets.nix"],
                          cwd=secrets, capture_output=True, text=True, check=True)
    rules: dict[str, dict[str, list[str]]] = json.loads(proc.stdout)
    return rules


def rekey(repo: Path) -> None:
    """What `sops updatekeys` / `agenix -r` do to the files: encrypt them for the rules' keys."""
    for path in (repo / "secrets").glob("*.yaml"):
        path.write_text(sealed_sops(sops_rule(repo, path.relative_to(repo).as_posix())))
    if (repo / "secrets/secrets.nix").is_file():
        for name, rule in nix_rules(repo / "secrets").items():
            if (repo / "secrets" / name).is_file():
                (repo / "secrets" / name).write_bytes(sealed_age(rule["publicKeys"]))


def disk_key(tmp_path: Path, text: str = "correct horse battery staple") -> Path:
    path = tmp_path / "disk.key"
    path.write_text(text)
    return path


class Tools:
    """A PATH holding only the real ssh-keygen and the stand-ins a test asks for."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        keygen = shutil.which("ssh-keygen")
        if keygen is None:
            pytest.fail("ssh-keygen is not installed (Debian: apt-get install openssh-client)")
        self.bin = tmp_path / "bin"
        self.records = tmp_path / "records"
        self.bin.mkdir()
        self.records.mkdir()
        (self.bin / "ssh-keygen").symlink_to(keygen)
        self.real_path = os.environ.get("PATH", "")
        monkeypatch.setenv("PATH", str(self.bin))
        monkeypatch.setenv("STANDIN_DIR", str(self.records))
        # Temporary key directories go here, so the test can see they are gone.
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()
        monkeypatch.setenv("TMPDIR", str(self.tmp))
        monkeypatch.setattr("tempfile.tempdir", None)

    def standin(self, name: str, code: int = 0, *, rekeys: bool = False) -> None:
        """A stand-in that records its argv; with `rekeys`, it re-encrypts as sops/agenix would."""
        path = self.bin / name
        script = STANDIN.format(python=sys.executable, code=code)
        if rekeys:
            repo = "os.getcwd()" if name == "sops" else "os.path.dirname(os.getcwd())"
            script = script.replace("sys.exit(", f"sys.path.insert(0, {str(ROOT)!r})\n"
                                    "from pathlib import Path\nfrom tests.test_bootstrap import rekey\n"
                                    f"rekey(Path({repo}))\nsys.exit(", 1)
        path.write_text(script)
        path.chmod(0o755)

    def nix(self, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
        """nix-instantiate on the PATH, with a private state (agenix evaluates secrets.nix)."""
        found = shutil.which("nix-instantiate", path=self.real_path)
        if found is None:
            require_tool("nix-instantiate")  # fails, saying how to install it
        (self.bin / "nix-instantiate").symlink_to(str(found))
        for var in ("NIX_STATE_DIR", "NIX_CONF_DIR", "NIX_LOG_DIR", "XDG_CACHE_HOME", "NIX_REMOTE"):
            monkeypatch.setenv(var, env[var])

    def record(self, name: str) -> dict[str, object]:
        data: dict[str, object] = json.loads((self.records / f"{name}.json").read_text())
        return data

    def argv(self, name: str) -> list[str]:
        argv = self.record(name)["argv"]
        assert isinstance(argv, list)
        return [str(a) for a in argv]

    def leftover_keys(self) -> list[Path]:
        return list(self.tmp.glob("nixbtw-*-keys-*"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the plan: exact argv per layout ---------------------------------------------------------


def test_btrfs_on_luks_gets_the_disk_passphrase_and_writes_the_hardware_file() -> None:
    install = bs.plan_install(spec_of("laptop"), repo=REPO, target=TARGET, keys_dir=Path("/k"),
                              disk_key=Path("/secrets/disk.key"), facter=False)
    assert list(install.argv) == [
        "nixos-anywhere", "--flake", ".#frame",
        "--generate-hardware-config", "nixos-generate-config", "./hosts/frame/hardware-configuration.nix",
        "--extra-files", "/k",
        "--disk-encryption-keys", "/tmp/secret.key", "/secrets/disk.key",
        "--target-host", TARGET]
    assert install.cwd == REPO
    assert install.host_key == "etc/ssh/ssh_host_ed25519_key"
    assert install.extra_files == ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key.pub"]


def test_plain_ext4_needs_no_passphrase() -> None:
    install = bs.plan_install(spec_of("minimal", *EXT4), repo=REPO, target=TARGET,
                              keys_dir=Path("/k"), disk_key=None, facter=False)
    assert "--disk-encryption-keys" not in install.argv
    assert list(install.argv[-2:]) == ["--target-host", TARGET]


def test_impermanent_host_gets_its_key_under_persist() -> None:
    install = bs.plan_install(spec_of("impermanent"), repo=REPO, target=TARGET,
                              keys_dir=Path("/k"), disk_key=Path("/d"), facter=False)
    assert install.host_key == "persist/etc/ssh/ssh_host_ed25519_key"


def test_facter_backend_writes_a_report_next_to_the_host() -> None:
    install = bs.plan_install(spec_of("laptop"), repo=REPO, target=TARGET, keys_dir=Path("/k"),
                              disk_key=Path("/d"), facter=True)
    assert list(install.argv[3:6]) == ["--generate-hardware-config", "nixos-facter",
                                       "./hosts/frame/facter.json"]


def test_encrypted_disk_without_a_passphrase_file_is_refused() -> None:
    with pytest.raises(InputError) as err:
        bs.plan_install(spec_of("zfs-server"), repo=REPO, target=TARGET, keys_dir=Path("/k"),
                        disk_key=None, facter=False)
    problem = err.value.problems[0]
    assert problem.field == "--disk-key"
    assert "NIXBTW_DISK_KEY_FILE" in problem.fix
    assert "/tmp/secret.key" in problem.problem


@pytest.mark.parametrize(("example", "sets", "field"), [
    ("minimal", (), "disk.layout"),
    ("wsl", (), "lane"),
])
def test_hosts_nixos_anywhere_cannot_install_are_refused(example: str, sets: tuple[str, ...],
                                                         field: str) -> None:
    with pytest.raises(InputError) as err:
        bs.plan_install(spec_of(example, *sets), repo=REPO, target=TARGET, keys_dir=Path("/k"),
                        disk_key=None, facter=False)
    assert err.value.problems[0].field == field


@pytest.mark.parametrize("target", ["root@192.168.1.20", "nixos@installer.local", "root@fe80::1%eth0",
                                    "admin_1@host-7.example.org"])
def test_user_at_address_targets_are_accepted(target: str) -> None:
    assert bs.check_target(target) == target


@pytest.mark.parametrize("target", ["192.168.1.20", "@192.168.1.20", "root@", "root@ host",
                                    "root@host; rm -rf ~", "root@$(reboot)", "root@host -oProxyCommand=x",
                                    "root@`id`", "root@host|tee", "-oProxyCommand=x@host"])
def test_targets_with_spaces_or_shell_characters_are_refused(target: str) -> None:
    with pytest.raises(InputError) as err:
        bs.check_target(target)
    assert err.value.problems[0].field == "--target"


# --- the command, at the subprocess seam --------------------------------------------------------


COMBINATIONS = {
    # name: (example, --set, secrets files, encrypted disk, host key, file the key goes into)
    "ext4, no secrets": ("minimal", EXT4, (), False, "etc/ssh/ssh_host_ed25519_key", None),
    "btrfs on LUKS, sops-nix": ("laptop", (), ("secrets/frame.yaml",), True,
                                "etc/ssh/ssh_host_ed25519_key", ".sops.yaml"),
    "encrypted zfs, agenix": ("zfs-server", (), ("secrets/vault-bob-password.age",), True,
                              "etc/ssh/ssh_host_ed25519_key", "secrets/secrets.nix"),
    "impermanent btrfs, sops-nix": ("impermanent", (), ("secrets/phoenix.yaml",), True,
                                    "persist/etc/ssh/ssh_host_ed25519_key", ".sops.yaml"),
    # The NixOS host of a repository that also has a Mac and a standalone home.
    "ext4, sops-nix, beside a Mac": ("mixed/nas", (), ("secrets/nas.yaml",), False,
                                     "etc/ssh/ssh_host_ed25519_key", ".sops.yaml"),
    # No secret to read, so secrets.nix names no host key to fill in.
    "btrfs, agenix, no passwords": ("zfs-server", ("disk.layout=btrfs", "disk.encrypt=false",
                                                   "disk.snapshots=false",
                                                   "users.0.password=none"), (), False,
                                    "etc/ssh/ssh_host_ed25519_key", None),
}


@pytest.mark.parametrize("combination", list(COMBINATIONS))
def test_each_layout_and_secrets_tool_runs_the_exact_command(
        combination: str, tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch,
        nix_env: dict[str, str]) -> None:
    example, sets, secrets, encrypt, host_key, wired = COMBINATIONS[combination]
    repo = new_repo(tmp_path, capsys, example, *sets)
    for rel in secrets:
        encrypted(repo, rel)
    host = spec_of(example, *sets).hostname
    key = disk_key(tmp_path)
    tools = Tools(tmp_path, monkeypatch)
    tools.nix(nix_env, monkeypatch)
    tools.standin("nixos-anywhere", code=99)  # must not run: the seam is patched
    tools.standin("sops", rekeys=True)
    tools.standin("agenix", rekeys=True)
    seen: dict[str, object] = {}

    def fake_stream(argv: list[str], *, cwd: Path | None = None) -> int:
        keys = Path(argv[argv.index("--extra-files") + 1])
        seen["key"] = (keys / host_key).read_text()
        seen["public"] = (keys / f"{host_key}.pub").read_text().strip()
        return 0

    stream = mock.create_autospec(bs.stream, side_effect=fake_stream)
    monkeypatch.setattr(bs, "stream", stream)
    args = ["--repo", str(repo), "--target", TARGET] + (["--disk-key", str(key)] if encrypt else [])
    assert nixbtw(host, *args) == 0

    stream.assert_called_once()
    argv = list(stream.call_args.args[0])
    assert stream.call_args.kwargs == {"cwd": repo}
    keys_dir = argv[argv.index("--extra-files") + 1]
    argv[argv.index(keys_dir)] = KEYS
    assert argv == [
        "nixos-anywhere", "--flake", f".#{host}",
        "--generate-hardware-config", "nixos-generate-config", f"./hosts/{host}/hardware-configuration.nix",
        "--extra-files", KEYS,
        *(["--disk-encryption-keys", "/tmp/secret.key", str(key)] if encrypt else []),
        "--target-host", TARGET]
    assert "BEGIN OPENSSH PRIVATE KEY" in str(seen["key"])
    assert not Path(keys_dir).exists()
    public = str(seen["public"])
    if wired == ".sops.yaml":
        assert f"  - &host_{host} {age_recipient(public)}\n" in (repo / wired).read_text()
    elif wired == "secrets/secrets.nix":
        assert f'  {host} = [ "{public}" ];\n' in (repo / wired).read_text()
    # Every secret the host reads is encrypted for the key it was installed with.
    assert bs.unreadable(spec_of(example, *sets).secrets.tool, repo, list(secrets), public) == {}


# --- the command, with a stand-in nixos-anywhere ------------------------------------------------


def test_host_key_reaches_nixos_anywhere_private_and_is_gone_afterwards(
        tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "laptop")
    encrypted(repo, "secrets/frame.yaml")
    key = disk_key(tmp_path)
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere")
    tools.standin("sops", rekeys=True)

    assert nixbtw("frame", "--repo", str(repo), "--target", TARGET, "--disk-key", str(key), "--json") == 0
    out, err = capsys.readouterr()

    argv = tools.argv("nixos-anywhere")
    keys_dir = Path(argv[argv.index("--extra-files") + 1])
    assert tools.record("nixos-anywhere")["cwd"] == str(repo)
    assert argv[-2:] == ["--target-host", TARGET]
    assert argv[argv.index("--disk-encryption-keys") + 1:][:2] == ["/tmp/secret.key", str(key)]
    # What nixos-anywhere received, as it copies it onto the target's /:
    tree = tools.records / "nixos-anywhere.extra-files"
    private = tree / "etc/ssh/ssh_host_ed25519_key"
    assert private.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert mode(private) == 0o600
    assert mode(tree) == 0o700  # the private temporary directory holding it
    # tar carries these modes to the target: /etc and /etc/ssh must stay readable there.
    assert mode(tree / "etc") == 0o755
    assert mode(tree / "etc/ssh") == 0o755
    public = (tree / "etc/ssh/ssh_host_ed25519_key.pub").read_text().strip()
    assert public.startswith("ssh-ed25519 ") and public.endswith(" root@frame")
    assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()) == [
        "etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ed25519_key.pub"]
    # ... and the key is nowhere on this machine any more.
    assert not keys_dir.exists()
    assert tools.leftover_keys() == []
    # The host can decrypt its secrets from the first boot on.
    recipient = age_recipient(public)
    assert f"- &host_frame {recipient}\n" in (repo / ".sops.yaml").read_text()
    assert tools.argv("sops") == ["updatekeys", "-y", "secrets/frame.yaml"]
    assert tools.record("sops")["cwd"] == str(repo)
    result = json.loads(out)
    assert result == {"argv": ["nixos-anywhere", *argv], "host": "frame",
                      "extra_files": ["/etc/ssh/ssh_host_ed25519_key",
                                      "/etc/ssh/ssh_host_ed25519_key.pub"],
                      "age_recipient": recipient, "cwd": str(repo)}
    assert "git add hosts/frame/hardware-configuration.nix .sops.yaml secrets/frame.yaml" in err


def test_failed_install_exits_with_its_code_and_still_removes_the_key(
        tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "minimal", *EXT4)
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere", code=3)

    assert nixbtw("atlas", "--repo", str(repo), "--target", TARGET) == 3
    err = capsys.readouterr().err
    argv = tools.argv("nixos-anywhere")
    assert f"error: command failed with exit code 3: {shlex.join(['nixos-anywhere', *argv])}" in err
    assert "Traceback" not in err
    assert not Path(argv[argv.index("--extra-files") + 1]).exists()
    assert tools.leftover_keys() == []


def test_key_directory_is_removed_when_anything_fails_inside(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    Tools(tmp_path, monkeypatch)
    with pytest.raises(RuntimeError), bs.host_key("atlas", "etc/ssh/ssh_host_ed25519_key") as key:
        assert key.private.is_file()
        raise RuntimeError("boom")
    assert not key.root.exists()


def test_agenix_host_is_rekeyed_inside_secrets(tmp_path: Path, capsys: Capture,
                                               monkeypatch: pytest.MonkeyPatch,
                                               nix_env: dict[str, str]) -> None:
    repo = new_repo(tmp_path, capsys, "zfs-server")
    encrypted(repo, "secrets/vault-bob-password.age")
    tools = Tools(tmp_path, monkeypatch)
    tools.nix(nix_env, monkeypatch)
    tools.standin("nixos-anywhere")
    tools.standin("agenix", rekeys=True)
    assert nixbtw("vault", "--repo", str(repo), "--target", TARGET,
                  "--disk-key", str(disk_key(tmp_path))) == 0
    public = (tools.records / "nixos-anywhere.extra-files/etc/ssh/ssh_host_ed25519_key.pub").read_text()
    assert f'  vault = [ "{public.strip()}" ];\n' in (repo / "secrets/secrets.nix").read_text()
    assert tools.argv("agenix") == ["-r"]
    assert tools.record("agenix")["cwd"] == str(repo / "secrets")
    header = (repo / "secrets/vault-bob-password.age").read_bytes().split(b"\n---")[0].decode()
    assert f"-> ssh-ed25519 {stanza_tag(public)} " in header


def test_without_sops_nothing_is_installed_and_the_rerun_reuses_the_kept_key(
        tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "laptop")
    encrypted(repo, "secrets/frame.yaml")
    key = disk_key(tmp_path)
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere")
    assert nixbtw("frame", "--repo", str(repo), "--target", TARGET, "--disk-key", str(key)) == 2
    err = capsys.readouterr().err
    assert not (tools.records / "nixos-anywhere.json").exists()
    assert tools.leftover_keys() == []
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 2
    assert lines[0].startswith("error: secrets/frame.yaml: is not encrypted for the host's key (age1")
    assert "sops is not installed, so frame could not decrypt it at its first activation" in lines[0]
    assert lines[0].endswith(f"run in {repo}: nix develop -c sops updatekeys -y secrets/frame.yaml "
                             "&& git add .sops.yaml secrets/frame.yaml")
    kept = Path(lines[1].split("--host-key ")[-1])
    assert lines[1].startswith(f"error: --host-key: nothing was installed; frame's key is kept in {kept} ")
    assert mode(kept) == 0o600 and mode(kept.parent) == 0o700
    assert shlex.split(lines[1].split("rerun with the same key: ")[1]) == [
        "nixbtw", "bootstrap", "frame", "--repo", str(repo), "--target", TARGET,
        "--disk-key", str(key), "--host-key", str(kept)]
    # .sops.yaml already names the kept key: the user runs the command, then bootstrap again.
    public = (kept.parent / f"{kept.name}.pub").read_text().strip()
    assert f"- &host_frame {age_recipient(public)}\n" in (repo / ".sops.yaml").read_text()
    rekey(repo)
    assert nixbtw("frame", "--repo", str(repo), "--target", TARGET, "--disk-key", str(key),
                  "--host-key", str(kept)) == 0
    err = capsys.readouterr().err
    tree = tools.records / "nixos-anywhere.extra-files/etc/ssh"
    assert (tree / "ssh_host_ed25519_key").read_bytes() == kept.read_bytes()
    assert (tree / "ssh_host_ed25519_key.pub").read_text().strip() == public
    assert f"delete your copy: rm -rf {kept.parent}" in err
    assert tools.leftover_keys() == []


@pytest.mark.parametrize(("code", "state"), [(0, "sops ran but did not re-encrypt"),
                                             (1, "sops failed (exit 1)")])
def test_a_rekey_that_did_not_happen_is_caught_by_reading_the_file(
        code: int, state: str, tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "laptop")
    encrypted(repo, "secrets/frame.yaml")
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere")
    tools.standin("sops", code=code)  # records the call, changes nothing
    assert nixbtw("frame", "--repo", str(repo), "--target", TARGET,
                  "--disk-key", str(disk_key(tmp_path))) == 2
    err = capsys.readouterr().err
    assert tools.argv("sops") == ["updatekeys", "-y", "secrets/frame.yaml"]
    assert f": {state}, so frame could not decrypt it" in err
    assert not (tools.records / "nixos-anywhere.json").exists()


def test_a_secret_that_is_not_encrypted_at_all_is_refused(tmp_path: Path, capsys: Capture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "laptop")
    (repo / "secrets").mkdir()
    (repo / "secrets/frame.yaml").write_text("users:\n  alice:\n    hashed-password: plain\n")
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere")
    tools.standin("sops", rekeys=False)
    assert nixbtw("frame", "--repo", str(repo), "--target", TARGET,
                  "--disk-key", str(disk_key(tmp_path))) == 2
    assert "secrets/frame.yaml: has no sops metadata (not encrypted with sops)" in capsys.readouterr().err


def test_a_host_key_with_a_passphrase_is_refused(tmp_path: Path, capsys: Capture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "minimal", *EXT4)
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere")
    locked = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "hunter2", "-f", str(locked)], check=True)
    assert nixbtw("atlas", "--repo", str(repo), "--target", TARGET, "--host-key", str(locked)) == 2
    assert f"error: --host-key: {locked} is not an unencrypted SSH private key" in capsys.readouterr().err
    assert not (tools.records / "nixos-anywhere.json").exists()


# --- reading who a file is encrypted for ---------------------------------------------------------

HOST_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF/KPU3Z5LSjbBI6hrq25wCcseq2UpqSzUFZRr+ux6LM root@vault"
ADMIN_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9AY+GrFUm57eOxLOZrxFxOu0RcAvuaECgbMrxY9ytg bob@desk"


def test_sops_recipients_are_read_from_the_metadata_of_one_or_several_key_groups() -> None:
    from scaffold.encrypted import sops_recipients

    admin, host = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", age_recipient(HOST_PUB)
    assert sops_recipients(sealed_sops([admin, host])) == {admin, host}
    groups = yaml.safe_load(sealed_sops([]))
    groups["sops"]["key_groups"] = [{"age": [{"recipient": admin, "enc": "x"}]},
                                    {"age": [{"recipient": host, "enc": "y"}]}]
    assert sops_recipients(json.dumps(groups)) == {admin, host}  # the JSON store too


def test_age_stanzas_name_ssh_keys_by_their_tag_also_under_armor() -> None:
    from scaffold.encrypted import age_stanzas, ssh_tag

    data = sealed_age(["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", HOST_PUB])
    assert [s[:2] for s in age_stanzas(data)] == [("X25519", s[1]) for s in age_stanzas(data)[:1]] + [
        ("ssh-ed25519", ssh_tag(HOST_PUB))]
    assert ssh_tag(HOST_PUB) == stanza_tag(HOST_PUB) and len(ssh_tag(HOST_PUB)) == 6
    assert ssh_tag(HOST_PUB) != ssh_tag(ADMIN_PUB)
    armored = (b"-----BEGIN AGE ENCRYPTED FILE-----\n" + base64.encodebytes(data)
               + b"-----END AGE ENCRYPTED FILE-----\n")
    assert age_stanzas(armored) == age_stanzas(data)


def test_agenix_file_for_the_admins_only_is_unreadable_for_the_host(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets/a.age").write_bytes(sealed_age([ADMIN_PUB]))
    (tmp_path / "secrets/b.age").write_bytes(sealed_age([ADMIN_PUB, HOST_PUB]))
    (tmp_path / "secrets/c.age").write_text("not age\n")
    assert bs.unreadable("agenix", tmp_path, ["secrets/a.age", "secrets/b.age", "secrets/c.age"],
                         HOST_PUB) == {
        "secrets/a.age": f"is not encrypted for the host's key (no ssh-ed25519 {stanza_tag(HOST_PUB)} stanza)",
        "secrets/c.age": "does not start with age-encryption.org/v1 (not an age file)"}


def test_password_secrets_must_exist_before_anything_happens(tmp_path: Path, capsys: Capture,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "laptop")
    before = (repo / ".sops.yaml").read_text()
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere")
    assert nixbtw("frame", "--repo", str(repo), "--target", TARGET,
                  "--disk-key", str(disk_key(tmp_path))) == 2
    err = capsys.readouterr().err
    assert "error: secrets/frame.yaml: does not exist" in err
    assert "sops secrets/frame.yaml" in err
    assert (repo / ".sops.yaml").read_text() == before
    assert not (tools.records / "nixos-anywhere.json").exists()
    assert tools.leftover_keys() == []


def test_missing_nixos_anywhere_says_how_to_get_it_and_touches_nothing(
        tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "minimal", *EXT4)
    tools = Tools(tmp_path, monkeypatch)
    assert nixbtw("atlas", "--repo", str(repo), "--target", TARGET) == 127
    err = capsys.readouterr().err
    assert "error: nixos-anywhere is not installed" in err
    assert f"nix develop -c nixbtw bootstrap atlas --target {TARGET}" in err
    assert tools.leftover_keys() == []


# --- --print and --json --------------------------------------------------------------------------


def test_print_shows_one_command_from_the_dev_shell_and_does_nothing(
        tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "laptop")
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    tools = Tools(tmp_path, monkeypatch)
    monkeypatch.chdir(repo)
    monkeypatch.setenv("NIXBTW_DISK_KEY_FILE", "../infra/./disk.key")
    assert nixbtw("frame", "--target", TARGET, "--print") == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [shlex.join([
        "nix", "--extra-experimental-features", "nix-command flakes", "develop", "-c", "nixos-anywhere",
        "--flake", ".#frame",
        "--generate-hardware-config", "nixos-generate-config", "./hosts/frame/hardware-configuration.nix",
        "--extra-files", "/tmp/frame-keys",
        "--disk-encryption-keys", "/tmp/secret.key", str(repo / "disk.key"),
        "--target-host", TARGET])]
    assert "ssh-keygen -t ed25519 -N '' -C root@frame -f /tmp/frame-keys/etc/ssh/ssh_host_ed25519_key" in err
    # Nothing runs now, but what would fail later is said.
    assert "warning: secrets/frame.yaml: does not exist" in err
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before
    assert tools.leftover_keys() == []


def test_print_previews_without_the_disk_key_and_names_it(
        tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "laptop")
    Tools(tmp_path, monkeypatch)
    monkeypatch.chdir(repo)
    assert nixbtw("frame", "--target", TARGET, "--print") == 0
    out, err = capsys.readouterr()
    assert "--disk-encryption-keys /tmp/secret.key DISK_KEY_FILE" in out
    assert "replace DISK_KEY_FILE with the passphrase file" in err
    assert "--disk-key FILE or NIXBTW_DISK_KEY_FILE=FILE" in err
    # Installing for real still needs it.
    assert nixbtw("frame", "--target", TARGET) == 2
    assert "error: --disk-key:" in capsys.readouterr().err


def test_print_json_uses_installed_nixos_anywhere_and_has_no_recipient_yet(
        tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "impermanent")
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere")
    assert nixbtw("phoenix", "--repo", str(repo), "--target", TARGET, "--print", "--json",
                  "--disk-key", "/run/keys/disk") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["argv"][0] == "nixos-anywhere"
    assert result["host"] == "phoenix"
    assert result["extra_files"] == ["/persist/etc/ssh/ssh_host_ed25519_key",
                                     "/persist/etc/ssh/ssh_host_ed25519_key.pub"]
    assert result["age_recipient"] is None
    assert not (tools.records / "nixos-anywhere.json").exists()


def test_host_reading_a_facter_report_gets_one_written(tmp_path: Path, capsys: Capture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "minimal", *EXT4)
    config = repo / "hosts/atlas/configuration.nix"
    config.write_text(config.read_text().replace(
        "{\n", "{\n  hardware.facter.reportPath = ./facter.json;\n", 1))
    Tools(tmp_path, monkeypatch)
    assert nixbtw("atlas", "--repo", str(repo), "--target", TARGET, "--print", "--json") == 0
    argv = json.loads(capsys.readouterr().out)["argv"]
    assert argv[argv.index("--generate-hardware-config") + 1:][:2] == [
        "nixos-facter", "./hosts/atlas/facter.json"]


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["192.0.2.10", "root@host; reboot", "root@$(id)"])
def test_bad_target_exits_2_with_one_line_and_no_traceback(
        target: str, tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "minimal", *EXT4)
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere")
    assert nixbtw("atlas", "--repo", str(repo), "--target", target) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --target: ")
    assert "USER@ADDRESS" in err
    assert "Traceback" not in err
    assert not (tools.records / "nixos-anywhere.json").exists()


def test_encrypted_disk_without_key_exits_2_naming_both_ways(
        tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "zfs-server")
    assert nixbtw("vault", "--repo", str(repo), "--target", TARGET) == 2
    err = capsys.readouterr().err
    assert "error: --disk-key: " in err
    assert "NIXBTW_DISK_KEY_FILE" in err


@pytest.mark.parametrize(("content", "problem"), [("passphrase\n", "newline"), ("", "empty")])
def test_disk_key_that_would_not_match_what_you_type_is_refused(
        content: str, problem: str, tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "zfs-server")
    encrypted(repo, "secrets/vault-bob-password.age")
    tools = Tools(tmp_path, monkeypatch)
    tools.standin("nixos-anywhere")
    assert nixbtw("vault", "--repo", str(repo), "--target", TARGET,
                  "--disk-key", str(disk_key(tmp_path, content))) == 2
    assert problem in capsys.readouterr().err


def test_unknown_host_lists_the_hosts(tmp_path: Path, capsys: Capture) -> None:
    repo = new_repo(tmp_path, capsys, "minimal", *EXT4)
    assert nixbtw("nope", "--repo", str(repo), "--target", TARGET) == 2
    assert "use one of atlas" in capsys.readouterr().err


# --- .sops.yaml and secrets.nix ---------------------------------------------------------------


RECIPIENT = "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp"
OTHER = "age1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv"


def test_sops_yaml_gets_the_host_anchor_and_its_rule_uncommented(tmp_path: Path, capsys: Capture) -> None:
    repo = new_repo(tmp_path, capsys, "laptop")
    before = (repo / ".sops.yaml").read_text()
    after = bs.add_sops_recipient(before, "frame", RECIPIENT)
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert removed == ["  # - &host_frame age1...", "          # - *host_frame"]
    assert added == [f"  - &host_frame {RECIPIENT}", "          - *host_frame"]


def test_sops_yaml_edit_replaces_the_key_of_an_earlier_install() -> None:
    text = (FIXTURES / "sops-two-hosts.yaml").read_text()
    once = bs.add_sops_recipient(text, "frame", RECIPIENT)
    twice = bs.add_sops_recipient(once, "frame", OTHER)
    assert RECIPIENT not in twice
    assert twice.count("*host_frame") == 1
    assert twice == once.replace(RECIPIENT, OTHER)


def test_sops_yaml_edit_touches_only_the_hosts_own_rule() -> None:
    text = (FIXTURES / "sops-two-hosts.yaml").read_text()
    after = bs.add_sops_recipient(text, "phoenix", RECIPIENT)
    rules = {r["path_regex"]: r["key_groups"][0]["age"] for r in yaml.safe_load(after)["creation_rules"]}
    admin = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    assert rules == {r"^secrets/shared\.yaml$": [admin], r"^secrets/frame\.yaml$": [admin],
                     r"^secrets/phoenix\.yaml$": [admin, RECIPIENT]}
    assert "  # - &host_frame age1..." in after
    assert "# my own note, kept\n" in after


def test_sops_yaml_with_a_host_added_by_hand_gets_the_anchor_appended() -> None:
    text = ("keys:\n  - &admin age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n"
            "creation_rules:\n  - path_regex: ^secrets/frame\\.yaml$\n    key_groups:\n"
            "      - age:\n          - *admin\n")
    after = bs.add_sops_recipient(text, "frame", RECIPIENT)
    assert after == ("keys:\n  - &admin age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n"
                     f"  - &host_frame {RECIPIENT}\n"
                     "creation_rules:\n  - path_regex: ^secrets/frame\\.yaml$\n    key_groups:\n"
                     "      - age:\n          - *admin\n          - *host_frame\n")


def test_sops_rule_with_pgp_keys_gets_the_alias_in_its_age_list() -> None:
    text = ("keys:\n  - &admin age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n"
            "creation_rules:\n  - path_regex: ^secrets/frame\\.yaml$\n    key_groups:\n"
            "      - age:\n          - *admin\n        pgp:\n          - FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n")
    after = bs.add_sops_recipient(text, "frame", RECIPIENT)
    group = yaml.safe_load(after)["creation_rules"][0]["key_groups"][0]
    assert group["age"][-1] == RECIPIENT
    assert group["pgp"] == ["FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"]


def test_command_module_imports_nothing_heavy() -> None:
    # cli.py builds every parser for --help: adding bootstrap's must stay cheap.
    code = ("import sys, scaffold.commands.bootstrap as b; "
            "print(sorted(m for m in ('pydantic', 'copier', 'yaml', 'scaffold.bootstrap') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(("text", "problem"), [
    ("creation_rules: []\n", "keys:"),
    ("keys:\n  - &admin age1x\ncreation_rules:\n  - path_regex: ^secrets/other\\.yaml$\n"
     "    key_groups:\n      - age:\n          - *admin\n", "path_regex ^secrets/frame"),
    ("keys:\n  - &admin age1x\ncreation_rules:\n  - path_regex: ^secrets/frame\\.yaml$\n"
     "    key_groups:\n      - age: [*admin]\n", "age:"),
    ("keys:\n  - &admin age1x\ncreation_rules:\n  - path_regex: ^secrets/frame\\.yaml$\n"
     "    age: *admin\n", "age:"),
])
def test_sops_yaml_of_an_unknown_shape_is_refused(text: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        bs.add_sops_recipient(text, "frame", RECIPIENT)
    assert err.value.problems[0].field == ".sops.yaml"
    assert problem in err.value.problems[0].problem
    assert "by hand" in err.value.problems[0].fix


def test_secrets_nix_gets_the_host_key_and_keeps_the_rest(tmp_path: Path, capsys: Capture) -> None:
    repo = new_repo(tmp_path, capsys, "zfs-server")
    before = (repo / "secrets/secrets.nix").read_text()
    public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF/KPU3Z5LSjbBI6hrq25wCcseq2UpqSzUFZRr+ux6LM root@vault"
    after = bs.set_agenix_host_key(before, "vault", public)
    assert after == before.replace("  vault = [ ];", f'  vault = [ "{public}" ];')
    # A reinstall replaces the key, also from a list written over several lines.
    spread = after.replace(f'[ "{public}" ]', f'[\n    "{public}"\n  ]')
    assert bs.set_agenix_host_key(spread, "vault", public) == after


def test_secrets_nix_without_the_host_is_refused() -> None:
    with pytest.raises(InputError) as err:
        bs.set_agenix_host_key("let\n  admins = [ ];\nin\n{ }\n", "vault", "ssh-ed25519 AAAA")
    assert err.value.problems[0].field == "secrets/secrets.nix"
    assert "vault = [ ... ];" in err.value.problems[0].problem


# --- the facter report ------------------------------------------------------------------------


def test_facter_report_gives_cpu_gpus_and_disks_by_id() -> None:
    facts = bs.read_facter(FACTER)
    assert facts.system == "x86_64-linux"
    assert facts.cpu == "amd"
    assert facts.gpus == ("amd",)
    assert [d.by_id for d in facts.disks] == [
        "/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S73WNJ0W612345X",
        "/dev/disk/by-id/usb-SanDisk_Ultra_4C530001230917114452-0:0"]
    assert "/dev/nvme0n1" in facts.disks[0].names


def test_answers_matching_the_machine_warn_only_about_the_disk() -> None:
    warnings = bs.facter_warnings(spec_of("laptop"), bs.read_facter(FACTER))
    assert len(warnings) == 1
    disk = warnings[0]
    assert disk.startswith("disk.device /dev/disk/by-id/nvme-WD_BLACK_SN850X_1000GB_23280J800231 "
                           "is not a disk the report saw")
    assert "nvme-Samsung_SSD_990_PRO_2TB_S73WNJ0W612345X (Samsung SSD 990 PRO 2TB)" in disk
    assert disk.endswith("nixbtw update frame --set "
                         "disk.device=/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S73WNJ0W612345X")


def test_answers_for_other_hardware_warn_about_cpu_and_gpu() -> None:
    spec = spec_of("zfs-server", "disk.device=/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S73WNJ0W612345X")
    warnings = bs.facter_warnings(spec, bs.read_facter(FACTER))
    assert warnings == [
        "hardware.cpu is intel but the report saw an amd CPU, so its microcode updates are off: "
        "nixbtw update vault --set hardware.cpu=amd",
        "hardware.gpu is [] but the report saw amd: nixbtw update vault --set 'hardware.gpu=[amd]'"]


def test_facter_warnings_are_shown_before_the_command(tmp_path: Path, capsys: Capture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path, capsys, "laptop")
    Tools(tmp_path, monkeypatch)
    assert nixbtw("frame", "--repo", str(repo), "--target", TARGET, "--print", "--disk-key", "/k",
                  "--facter", str(FACTER)) == 0
    assert "warning: disk.device /dev/disk/by-id/nvme-WD_BLACK" in capsys.readouterr().err


def test_a_file_that_is_not_a_facter_report_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "report.json"
    bad.write_text(json.dumps({"version": 1, "system": "x86_64-linux"}))
    with pytest.raises(InputError) as err:
        bs.read_facter(bad)
    assert err.value.problems[0].field == "--facter"
    assert "nixos-facter" in err.value.problems[0].fix




def test_a_non_standard_ssh_port_reaches_nixos_anywhere() -> None:
    from tests.conftest import example_spec

    install = bs.plan_install(example_spec("nvidia-desktop"), repo=Path("/r"), target="root@192.0.2.10",
                              keys_dir=Path("/k"), disk_key=None, facter=False, ssh_port=2222)
    assert install.argv[-4:] == ("-p", "2222", "--target-host", "root@192.0.2.10")


def test_an_untracked_secret_is_refused_because_the_flake_cannot_see_it(tmp_path: Path,
                                                                        capsys: Capture) -> None:
    import subprocess as sp

    repo = new_repo(tmp_path, capsys, "laptop")
    sp.run(["git", "init", "-q", str(repo)], check=True)
    encrypted(repo, "secrets/frame.yaml")
    assert nixbtw("frame", "--repo", str(repo), "--target", TARGET, "--disk-key", str(disk_key(tmp_path))) == 2
    assert "secrets/frame.yaml: is not tracked by git" in capsys.readouterr().err
