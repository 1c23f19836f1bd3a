"""Installing a host with nixos-anywhere: its host key, its secrets, one command.

The pure parts (`plan_install`, the .sops.yaml and secrets.nix edits, the
facter report) return data; the edge (`host_key`, `stream`, `bootstrap`)
generates the key in a private temporary directory that never outlives the
run, wires the key into the secrets tool, and runs nixos-anywhere.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shlex
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scaffold import process
from scaffold.encrypted import NotEncrypted, age_stanzas, sops_recipients, ssh_tag
from scaffold.errors import InputError, Problem, ToolError, ToolMissing
from scaffold.facter import FacterDisk, FacterFacts, facter_warnings, read_facter
from scaffold.plan import disk_plan, make_plan
from scaffold.process import stream
from scaffold.recipients import add_sops_recipient, set_agenix_host_key
from scaffold.secretsplan import host_key as target_host_key
from scaffold.spec import HostSpec
from scaffold.sshage import age_recipient, ed25519_public_key
from scaffold.target import TARGET
from scaffold.update import host_dirs, host_spec

__all__ = [
    "Bootstrap", "FacterDisk", "FacterFacts", "HostKey", "Install", "add_sops_recipient",
    "bootstrap", "check_target", "facter_warnings", "host_key", "host_key_path", "missing_secrets",
    "plan_install", "read_facter", "secret_files", "set_agenix_host_key", "stream", "tracked", "unreadable",
]

log = logging.getLogger(__name__)

NIXOS_ANYWHERE = "nixos-anywhere"
# The repository's dev shell has the tools its READMEs run, pinned by flake.lock.
# Flakes named on the command line: a stock Nix install has them off.
NIX_DEVELOP = ("nix", "--extra-experimental-features", "nix-command flakes", "develop", "-c")
DISK_KEY_ENV = "NIXBTW_DISK_KEY_FILE"
# Typed, not echoed, kept out of the shell history, written 0600 and without a newline.
DISK_KEY_READ = ("(umask 077 && printf 'Disk passphrase: ' && read -rs pass && echo "
                 "&& printf '%s' \"$pass\" > {file})")
DISK_KEY_PLACEHOLDER = "DISK_KEY_FILE"


@dataclass(frozen=True, slots=True)
class Install:
    """One nixos-anywhere run: argv, run from `cwd` (the repository: the paths are relative)."""

    host: str
    argv: tuple[str, ...]
    cwd: Path
    keys_dir: Path
    host_key: str  # where the key sits inside keys_dir (and under / on the target)
    hardware_file: str

    @property
    def extra_files(self) -> list[str]:
        return [f"/{self.host_key}", f"/{self.host_key}.pub"]

    def command(self, *, installed: bool) -> list[str]:
        """The argv to run: from the repository's dev shell when nixos-anywhere is not installed."""
        return list(self.argv) if installed else [*NIX_DEVELOP, *self.argv]


def check_target(target: str) -> str:
    if not TARGET.fullmatch(target):
        raise InputError("--target", f"{target!r} is not USER@ADDRESS (no spaces or shell characters)",
                         "give the installer's login and address, e.g. root@192.168.1.20")
    return target


def host_key_path(spec: HostSpec) -> str:
    """The host key, relative to / on the target: under /persist with impermanence."""
    return target_host_key(spec).lstrip("/")


def check_host(spec: HostSpec) -> None:
    """Refuse hosts nixos-anywhere cannot install."""
    host = spec.hostname
    if spec.lane != "nixos-flake":
        raise InputError("lane", f"{host} is a {spec.lane} host; nixos-anywhere installs "
                         "nixos-flake hosts", "install this one as its README says")
    if disk_plan(spec) is None:
        raise InputError("disk.layout", f"{host} has no disko layout, and nixos-anywhere formats "
                         "the disk with disko",
                         f"choose one (nixbtw update {host} --set disk.layout=ext4 --set "
                         "disk.device=/dev/disk/by-id/...), or install by hand as the host's README says")


def plan_install(spec: HostSpec, *, repo: Path, target: str, keys_dir: Path,
                 disk_key: Path | None, facter: bool, ssh_port: int | None = None) -> Install:
    """The nixos-anywhere argv for a host of the repository at `repo` (pure)."""
    check_host(spec)
    check_target(target)
    host = spec.hostname
    disk = disk_plan(spec)
    hardware = f"./hosts/{host}/" + ("facter.json" if facter else "hardware-configuration.nix")
    argv = [NIXOS_ANYWHERE, "--flake", f".#{host}",
            "--generate-hardware-config", "nixos-facter" if facter else "nixos-generate-config",
            hardware, "--extra-files", str(keys_dir)]
    if disk is not None and disk.encrypt:
        if disk_key is None:
            raise InputError("--disk-key", f"{host}'s disk is encrypted, and disko reads the "
                             f"passphrase from {disk.key_file} while formatting",
                             f"pass --disk-key FILE or set {DISK_KEY_ENV}=FILE "
                             f"(write it without a newline: {DISK_KEY_READ.format(file='FILE')})")
        argv += ["--disk-encryption-keys", disk.key_file, str(disk_key)]
    if ssh_port is not None:
        if not 0 < ssh_port < 65536:
            raise InputError("--ssh-port", f"{ssh_port} is not a TCP port", "give a number from 1 to 65535")
        argv += ["-p", str(ssh_port)]
    argv += ["--target-host", target]
    return Install(host=host, argv=tuple(argv), cwd=repo, keys_dir=keys_dir, host_key=host_key_path(spec),
                   hardware_file=hardware)


def uses_facter(host_dir: Path) -> bool:
    """Does the host read a nixos-facter report (so nixos-anywhere should write one)?"""
    for path in host_dir.rglob("*.nix"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "facter.json" in line.split("#", 1)[0]:
                return True
    return False


def disk_key_file(spec: HostSpec, given: str | None, *, must_exist: bool) -> Path | None:
    disk = disk_plan(spec)
    if disk is None or not disk.encrypt:
        return None
    if not given:
        return None  # plan_install refuses, naming both ways to give it
    path = Path(given).expanduser().resolve()
    if not must_exist:
        return path
    fix = f"write it without a newline, e.g. {DISK_KEY_READ.format(file='FILE')}, and pass that FILE"
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError("--disk-key", f"cannot read {path} ({err.strerror or err})", fix) from None
    if not data or data.endswith(b"\n"):
        what = "is empty" if not data else "ends with a newline, which becomes part of the passphrase"
        raise InputError("--disk-key", f"{path} {what}", fix)
    return path


# --- the host key -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HostKey:
    root: Path  # the --extra-files tree
    private: Path
    public: str  # the .pub line

    @property
    def age_recipient(self) -> str:
        return age_recipient(self.public, field=f"{self.private}.pub")


def _key_tree(host: str) -> tuple[Path, Callable[[], None]]:
    root = Path(tempfile.mkdtemp(prefix=f"nixbtw-{host}-keys-"))

    def remove() -> None:
        shutil.rmtree(root, ignore_errors=True)
        if root.exists():
            log.warning("warning: could not remove %s, which holds a private key: delete it", root)
    return root, remove


def _key_dirs(root: Path, rel: str) -> Path:
    key = root / rel
    for parent in reversed(key.relative_to(root).parents[:-1]):
        (root / parent).mkdir(mode=0o755)
        (root / parent).chmod(0o755)  # mkdir's mode is masked by the umask
    return key


@contextmanager
def host_key(host: str, rel: str, existing: Path | None = None) -> Iterator[HostKey]:
    """The host's ed25519 key at `rel` inside a private temporary tree, removed afterwards.

    A fresh key, or a copy of `existing` (the key of an earlier run that stopped
    before installing, so the secrets re-encrypted for it stay readable).
    The tree's root is 0700 (only we can reach the key here). The directories
    inside it are 0755 and the key 0600: nixos-anywhere copies them with tar,
    permissions included, and /etc on the target must stay readable.
    """
    public = _existing_public(existing) if existing is not None else None
    root, remove = _key_tree(host)
    try:
        key = _key_dirs(root, rel)
        if existing is not None and public is not None:
            shutil.copyfile(existing, key)
            key.chmod(0o600)
            key.with_name(key.name + ".pub").write_text(public + "\n", encoding="utf-8")
        else:
            process.run(["ssh-keygen", "-t", "ed25519", "-N", "", "-C", f"root@{host}", "-f", str(key)],
                        check=True)
            key.chmod(0o600)
            public = key.with_name(key.name + ".pub").read_text(encoding="utf-8").strip()
        yield HostKey(root=root, private=key, public=public)
    finally:
        remove()


def _existing_public(path: Path) -> str:
    """The public line of a host key passed with --host-key (unencrypted ed25519 only)."""
    fix = "pass the private key file an earlier nixbtw bootstrap kept (ssh_host_ed25519_key)"
    if not path.is_file():
        raise InputError("--host-key", f"{path} is not a file", fix)
    proc = process.run(["ssh-keygen", "-y", "-P", "", "-f", str(path)], check=False)
    if proc.returncode != 0:
        raise InputError("--host-key", f"{path} is not an unencrypted SSH private key "
                         "(a host key has no passphrase)", fix)
    public = proc.stdout.strip()
    ed25519_public_key(public, field="--host-key")
    return public


def keep_key(host: str, key: HostKey) -> Path:
    """Copy the key out of the temporary tree into a private directory that outlives the run."""
    kept = Path(tempfile.mkdtemp(prefix=f"nixbtw-{host}-hostkey-"))
    shutil.copyfile(key.private, kept / key.private.name)
    (kept / key.private.name).chmod(0o600)
    (kept / f"{key.private.name}.pub").write_text(key.public + "\n", encoding="utf-8")
    return kept / key.private.name


# --- secrets: .sops.yaml and secrets/secrets.nix ---------------------------------------------

_SECRET_REF = re.compile(r"\.\./\.\./(secrets/[\w.@+-]+)")


def secret_files(spec: HostSpec, repo: Path, *, on: dt.date) -> list[str]:
    """The encrypted files the host reads: those nixbtw wrote rules for and any its .nix names."""
    plan = make_plan(spec, on=on)
    host_dir = repo / "hosts" / spec.hostname
    named: list[str] = []
    for path in sorted(host_dir.rglob("*.nix")) if host_dir.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            named += _SECRET_REF.findall(line.split("#", 1)[0])
    if plan.secrets is None:
        return []
    ours = ".age" if plan.secrets.tool == "agenix" else ".yaml"
    files = [*plan.secrets.files, *(f for f in named if f.endswith(ours) or (ours == ".yaml" and
                                                                           not f.endswith(".age")))]
    return list(dict.fromkeys(files))


def missing_secrets(spec: HostSpec, repo: Path, *, on: dt.date, then: str = "run bootstrap again") -> list[Problem]:
    """The encrypted files the host's configuration reads; without them it does not build."""
    plan = make_plan(spec, on=on)
    if not plan.password_secrets:
        return []
    if spec.secrets.tool == "sops-nix":
        files = {f"secrets/{spec.hostname}.yaml": f"nix develop -c sops secrets/{spec.hostname}.yaml"}
    else:
        files = {s.file: f"cd secrets && nix develop .. -c agenix -e {Path(s.file).name}"
                 for s in plan.password_secrets}
    problems = [Problem(file, "does not exist, and the host's configuration reads it",
                        f"create it first ({how}; encrypted for the admins is enough: bootstrap adds "
                        f"the host), git add it, then {then}")
                for file, how in files.items() if not (repo / file).is_file()]
    for file in files:
        if (repo / file).is_file() and not tracked(repo, file):
            problems.append(Problem(file, "is not tracked by git, so the flake cannot see it",
                                    f"git add {file}, then {then}"))
    return problems


def tracked(repo: Path, rel: str) -> bool:
    """Is `rel` tracked? (True when git or a repository is not there to ask.)"""
    if shutil.which("git") is None:
        return True
    if process.run(["git", "-C", str(repo), "rev-parse", "--git-dir"], check=False).returncode != 0:
        return True
    proc = process.run(["git", "-C", str(repo), "ls-files", "--error-unmatch", "--", rel], check=False)
    return proc.returncode == 0


def unreadable(tool: str, repo: Path, files: list[str], public: str) -> dict[str, str]:
    """The files (of those that exist) not encrypted for the host key `public`, and why.

    `public` is the host's SSH public key, or for sops-nix its age recipient
    as .sops.yaml records it."""
    out: dict[str, str] = {}
    for rel in files:
        path = repo / rel
        if not path.is_file():
            continue
        try:
            if tool == "sops-nix":
                recipient = public if public.startswith("age1") else age_recipient(public)
                if recipient not in sops_recipients(path.read_text(encoding="utf-8")):
                    out[rel] = f"is not encrypted for the host's key ({recipient})"
            elif ("ssh-ed25519", ssh_tag(public)) not in {s[:2] for s in age_stanzas(path.read_bytes())}:
                out[rel] = f"is not encrypted for the host's key (no ssh-ed25519 {ssh_tag(public)} stanza)"
        except (NotEncrypted, UnicodeDecodeError) as err:
            out[rel] = str(err) if isinstance(err, NotEncrypted) else "is not text (not a sops file)"
    return out


@dataclass(frozen=True, slots=True)
class Rekey:
    argv: tuple[str, ...]
    cwd: Path

    def line(self, repo: Path, *, develop: bool) -> str:
        """The command to paste, from the repository."""
        # A line to paste, as the READMEs write it (their first steps turn flakes on).
        argv = ["nix", "develop", *([".."] if self.cwd != repo else []), "-c", *self.argv] if develop \
            else list(self.argv)
        where = "" if self.cwd == repo else f"cd {shlex.quote(str(self.cwd.relative_to(repo)))} && "
        return where + shlex.join(argv)


def _rekeys(tool: str, repo: Path, files: list[str]) -> list[Rekey]:
    if tool == "sops-nix":
        return [Rekey(("sops", "updatekeys", "-y", f), repo) for f in files]
    return [Rekey(("agenix", "-r"), repo / "secrets")]


def _has_dev_shell(repo: Path) -> bool:
    try:
        return "devShells" in (repo / "flake.nix").read_text(encoding="utf-8")
    except OSError:
        return False


def wire_secrets(spec: HostSpec, repo: Path, key: HostKey, say: Callable[[str], None], *,
                 on: dt.date) -> tuple[list[str], list[Problem]]:
    """Give the host's key to the secrets tool, re-encrypt, and check every file it reads.

    Returns the files edited and, when a file the host reads is still not
    encrypted for its key (the tool is missing or did not re-encrypt), one
    problem per file with the command that fixes it.
    """
    host, tool = spec.hostname, spec.secrets.tool
    if tool == "none":
        return [], []
    files = secret_files(spec, repo, on=on)
    rel = ".sops.yaml" if tool == "sops-nix" else "secrets/secrets.nix"
    edited: list[str] = []
    if tool == "sops-nix" or files:  # secrets.nix names a host only for the files it reads
        path = repo / rel
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise InputError(rel, f"cannot be read ({err.strerror or err})",
                             "restore it from git or with nixbtw update") from None
        text = (add_sops_recipient(text, host, key.age_recipient) if tool == "sops-nix"
                else set_agenix_host_key(text, host, key.public))
        path.write_text(text, encoding="utf-8")
        say(f"nixbtw: {rel}: added {host}'s host key")
        edited.append(rel)
    pending = unreadable(tool, repo, files, key.public)
    if not pending:
        return edited, []
    rekeys = _rekeys(tool, repo, sorted(pending))
    failed: dict[str, str] = {}
    if shutil.which(rekeys[0].argv[0]) is not None:
        for rekey in rekeys:
            say(f"$ {rekey.line(repo, develop=False)}")
            proc = process.run(list(rekey.argv), check=False, cwd=rekey.cwd)
            if proc.returncode != 0:
                detail = (proc.stderr or proc.stdout).strip().splitlines()
                failed[shlex.join(rekey.argv)] = f"exit {proc.returncode}" + (f": {detail[-1]}" if detail else "")
        edited += [f for f in pending if f not in edited]
        pending = unreadable(tool, repo, files, key.public)
    develop = _has_dev_shell(repo)
    problems = []
    for rekey in rekeys:
        todo = [f for f in pending if tool != "sops-nix" or f == rekey.argv[-1]]
        if not todo:
            continue
        why = failed.get(shlex.join(rekey.argv))
        state = (f"{rekey.argv[0]} failed ({why})" if why else
                 f"{rekey.argv[0]} is not installed" if shutil.which(rekey.argv[0]) is None else
                 f"{rekey.argv[0]} ran but did not re-encrypt")
        for file in todo:
            problems.append(Problem(file, f"{pending[file]}: {state}, so {host} could not decrypt "
                                    "it at its first activation and nobody could log in",
                                    f"run in {repo}: {rekey.line(repo, develop=develop)} && git add "
                                    f"{f'{rel} {file}' if tool == 'sops-nix' else 'secrets'}"))
    return edited, problems


# --- the nixos-facter report ------------------------------------------------------------------


# --- running ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bootstrap:
    install: Install
    command: tuple[str, ...]  # what ran, or would run
    age_recipient: str | None
    warnings: tuple[str, ...]
    edited: tuple[str, ...] = ()

    def command_line(self) -> str:
        """One line to paste: from the repository, wherever this runs."""
        line, cwd = shlex.join(self.command), self.install.cwd
        return line if cwd.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(str(cwd))} && {line}"

    def to_json(self) -> dict[str, object]:
        return {"argv": list(self.command), "host": self.install.host,
                "extra_files": self.install.extra_files, "age_recipient": self.age_recipient,
                "cwd": str(self.install.cwd)}


def _require(tool: str, how: str) -> None:
    if shutil.which(tool) is None:
        raise ToolMissing(tool, how)


def bootstrap(repo: Path, host: str, *, target: str, on: dt.date, disk_key: str | None = None,
              facter_report: Path | None = None, print_only: bool = False, ssh_port: int | None = None,
              existing_key: Path | None = None, say: Callable[[str], None] = log.info) -> Bootstrap:
    """Install `host` of the repository at `repo` on `target` (or only plan it, with print_only).

    Refuses to install while a secret the host reads is not encrypted for its
    key: with `users.mutableUsers = false`, a password the host cannot decrypt
    leaves the account locked. The key is then kept, for the rerun
    (`existing_key`) after the secrets are re-encrypted for it.
    """
    check_target(target)
    repo = repo.absolute()
    hosts = host_dirs(repo)
    if host not in hosts:
        raise InputError("HOST", f"{host!r} is not a host in {repo}",
                         f"use one of {', '.join(hosts) or '(none)'}, or pass --repo DIR")
    spec = host_spec(hosts[host], on=on)
    check_host(spec)
    warnings = facter_warnings(spec, read_facter(facter_report)) if facter_report else []
    for warning in warnings:
        say(f"warning: {warning}")
    facter = uses_facter(hosts[host])
    key_file = disk_key_file(spec, disk_key, must_exist=not print_only)
    if print_only and key_file is not None and not key_file.is_file():
        # --print may run before the pipeline writes the key; say so rather than refuse.
        say(f"warning: {key_file} does not exist yet: nixos-anywhere reads it when the command runs")
    disk = disk_plan(spec)
    if print_only and key_file is None and disk is not None and disk.encrypt:
        # A preview needs no secret: show where it goes and name what to pass.
        key_file = Path(DISK_KEY_PLACEHOLDER)
        say(f"note: {host}'s disk is encrypted: replace {DISK_KEY_PLACEHOLDER} with the passphrase file "
            f"(disko reads it as {disk.key_file}); nixbtw takes it as --disk-key FILE or {DISK_KEY_ENV}=FILE")
    # Planned with the keys where the host's README puts them: refuses what can be refused
    # before a key exists or a file changes, and is the command --print shows.
    preview = plan_install(spec, repo=repo, target=target, keys_dir=Path(f"/tmp/{host}-keys"),
                           disk_key=key_file, facter=facter, ssh_port=ssh_port)
    problems = missing_secrets(spec, repo, on=on)
    if print_only:
        for problem in problems:
            say(f"warning: {problem}")
        command = preview.command(installed=shutil.which(NIXOS_ANYWHERE) is not None)
        return Bootstrap(preview, tuple(command), None, (*warnings, *map(str, problems)))
    if problems:
        raise InputError(problems=problems)
    _require(NIXOS_ANYWHERE, "run bootstrap from the repository's dev shell, which has it pinned "
             f"by flake.lock: nix develop -c nixbtw bootstrap {host} --target {target} ...")
    _require("ssh-keygen", "install OpenSSH (Debian: apt-get install openssh-client; "
             "Nix: nix shell nixpkgs#openssh)")
    with host_key(host, host_key_path(spec), existing_key) as key:
        install = plan_install(spec, repo=repo, target=target, keys_dir=key.root,
                               disk_key=key_file, facter=facter, ssh_port=ssh_port)
        say(f"nixbtw: {'the' if existing_key else 'new'} host key for {host}: {key.public} "
            f"({key.age_recipient})")
        edited, unsealed = wire_secrets(spec, repo, key, say, on=on)
        if unsealed:
            kept = existing_key or keep_key(host, key)
            rerun = ["nixbtw", "bootstrap", host, "--repo", str(repo), "--target", target,
                     *(["--ssh-port", str(ssh_port)] if ssh_port is not None else []),
                     *(["--disk-key", str(key_file)] if key_file is not None else []),
                     "--host-key", str(kept)]
            raise InputError(problems=[*unsealed, Problem(
                "--host-key", f"nothing was installed; {host}'s key is kept in {kept} "
                f"({'yours' if existing_key else 'private to you'})",
                f"once the files above are re-encrypted, rerun with the same key: {shlex.join(rerun)}")])
        say(f"$ {shlex.join(install.argv)}")
        code = stream(list(install.argv), cwd=install.cwd)
        if code != 0:
            if edited:
                say(f"nixbtw: {', '.join(edited)} name{'s' if len(edited) == 1 else ''} the host key "
                    "of this run; bootstrap replaces it when it runs again (or pass --host-key to "
                    "reuse a kept key)")
            raise ToolError(list(install.argv), code)
        if existing_key is not None:
            say(f"nixbtw: {host} has its key now; delete your copy: rm -rf "
                f"{shlex.quote(str(existing_key.parent))}")
        return Bootstrap(install, install.argv, key.age_recipient, tuple(warnings),
                         tuple(edited))
