"""nixbtw deploy: the repository's hosts through deploy-rs, refused while one is not ready.

deploy-rs, not a loop of ssh calls: it copies each closure, activates it, and
rolls the host back by itself when the new generation fails or cuts the SSH
connection it confirms over (magic rollback). nixbtw chooses the hosts (by
name or tag), refuses those that would install something broken (the
placeholder hardware file, a secret the host key cannot decrypt, a deploy.nix
that has not caught up with the answers), and runs one deploy-rs command.
"""

from __future__ import annotations

import datetime as dt
import platform
import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.bootstrap import NIX_DEVELOP, missing_secrets, secret_files, tracked, unreadable
from scaffold.deployplan import DEPLOYABLE, deploy_node
from scaffold.errors import InputError, Problem, ToolMissing
from scaffold.process import stream
from scaffold.recipients import recorded_agenix_key, recorded_sops_recipient
from scaffold.render import ANSWERS
from scaffold.repo import RepoNode, repo_node
from scaffold.spec import HostSpec
from scaffold.update import host_dirs, host_spec, read_answers

__all__ = ["DEPLOY", "DeployResult", "Deployment", "deploy", "plan_deploy"]

DEPLOY = "deploy"  # deploy-rs's command
PLACEHOLDER = "# PLACEHOLDER"


@dataclass(frozen=True, slots=True)
class Deployment:
    """One deploy-rs run over the hosts of `specs`, from the repository (`cwd`)."""

    specs: tuple[HostSpec, ...]
    argv: tuple[str, ...]
    cwd: Path

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(s.hostname for s in self.specs)

    def command(self, *, direct: bool) -> list[str]:
        """deploy-rs from the repository's dev shell (pinned by flake.lock), or `direct` from PATH."""
        return list(self.argv) if direct else [*NIX_DEVELOP, *self.argv]

    def to_json(self, *, direct: bool, ran: bool, exit_code: int | None) -> dict[str, object]:
        return {"hosts": list(self.hosts), "argv": self.command(direct=direct),
                "cwd": str(self.cwd), "ran": ran, "exit_code": exit_code}


def _choose(specs: dict[str, HostSpec], names: list[str], tags: list[str]) -> list[HostSpec]:
    problems = [Problem("HOST", f"{n!r} is not a host of this repository",
                        f"use one of {', '.join(specs) or '(none)'}") for n in names if n not in specs]
    in_use = sorted({t for s in specs.values() for t in s.deploy.tags})
    for tag in tags:
        if not any(tag in s.deploy.tags for s in specs.values()):
            problems.append(Problem("--tag", f"no host is tagged {tag!r}",
                                    f"use one of {', '.join(in_use)}" if in_use else
                                    "tag hosts first: nixbtw update HOST --set 'deploy.tags=[web]'"))
    if problems:
        raise InputError(problems=problems)
    if names or tags:
        chosen = [s for n, s in specs.items() if n in names or set(tags) & set(s.deploy.tags)]
    else:
        chosen = [s for s in specs.values() if s.deploy.target is not None]
        if not chosen:
            raise InputError("deploy.target", "no host of this repository has one",
                             "nixbtw update HOST --set deploy.target=admin@ADDRESS")
    return chosen


def _node_problems(spec: HostSpec, recorded: dict[str, dict[str, Any]]) -> list[Problem]:
    host = spec.hostname
    where = f"hosts/{host}/{ANSWERS}"
    if spec.lane not in DEPLOYABLE:
        return [Problem(f"{where}: lane", f"deploy-rs does not deploy {spec.lane} hosts",
                        f"switch {host} on the machine as its README says")]
    if spec.deploy.target is None:
        return [Problem(f"{where}: deploy.target", f"{host} has no deploy target",
                        f"nixbtw update {host} --set deploy.target=admin@ADDRESS")]
    if host not in recorded:
        return [Problem("deploy.nix", f"has no node for {host} yet",
                        f"run nixbtw update {host} to write it, commit, then deploy")]
    node = deploy_node(spec)
    assert node is not None
    now = repo_node(node).model_dump()
    # Fields added to RepoNode after the repository was written read as their defaults.
    defaults = {key: f.default for key, f in RepoNode.model_fields.items() if not f.is_required()}
    was = {**defaults, **recorded[host]}
    stale = [f"{key} {was.get(key)!r}" for key, value in now.items() if was.get(key) != value]
    if stale:
        return [Problem("deploy.nix", f"still has {host}'s old {', '.join(stale)}, not what "
                        f"{where} says", f"run nixbtw update {host} to rewrite it, commit, then deploy")]
    return []


def _hardware_problems(spec: HostSpec, repo: Path) -> list[Problem]:
    if spec.lane != "nixos-flake":
        return []
    host_dir = repo / "hosts" / spec.hostname
    hardware = host_dir / "hardware-configuration.nix"
    if (host_dir / "facter.json").is_file() or not hardware.is_file():
        return []
    rel = f"hosts/{spec.hostname}/hardware-configuration.nix"
    if not hardware.read_text(encoding="utf-8", errors="replace").startswith(PLACEHOLDER):
        if not tracked(repo, rel):
            return [Problem(rel, "is not tracked by git, so the flake builds the placeholder git has",
                            f"git add {rel} and commit, then deploy")]
        return []
    how = (f"install the host first (nixbtw bootstrap {spec.hostname} --target ...), or on the machine "
           f"nixos-generate-config --no-filesystems --show-hardware-config > {rel} (disko declares the "
           "file systems); commit it" if spec.disk.layout != "none" else
           f"on the machine, nixos-generate-config --show-hardware-config > {rel}; commit it")
    return [Problem(rel, "is still nixbtw's placeholder, and a host built from it does not boot", how)]


def _secret_problems(spec: HostSpec, repo: Path, *, on: dt.date) -> list[Problem]:
    tool, host = spec.secrets.tool, spec.hostname
    if tool == "none":
        return []
    missing = missing_secrets(spec, repo, on=on, then="deploy again")
    if missing:
        return missing
    files = secret_files(spec, repo, on=on)
    if tool == "sops-nix":
        rules = repo / ".sops.yaml"
        key = recorded_sops_recipient(rules.read_text(encoding="utf-8"), host) if rules.is_file() else None
        where, how = ".sops.yaml", (f"add `- &host_{host.replace('-', '_')} <age key>` from "
                                     "`ssh-keyscan -t ed25519 ADDRESS | ssh-to-age`, then "
                                     f"nix develop -c sops updatekeys secrets/{host}.yaml")
    else:
        rules = repo / "secrets" / "secrets.nix"
        key = recorded_agenix_key(rules.read_text(encoding="utf-8"), host) if rules.is_file() else None
        where, how = "secrets/secrets.nix", ("put the key `ssh-keyscan -t ed25519 ADDRESS` prints in "
                                             "its hosts block, then cd secrets && nix develop .. -c agenix -r")
    if key is None:
        return [Problem(where, f"does not record {host}'s host key, so nothing shows {host} can "
                        "decrypt its secrets", f"nixbtw bootstrap records it when installing; "
                        f"for an installed host, {how}")]

    def fix(rel: str, why: str) -> str:
        if why.startswith("is not encrypted for"):
            return "re-encrypt it: " + (f"nix develop -c sops updatekeys -y {rel}" if tool == "sops-nix"
                                        else "cd secrets && nix develop .. -c agenix -r")
        # Not encrypted at all (plain text in git): encrypt it, then treat the values as leaked.
        return ("encrypt it: " + (f"nix develop -c sops -e -i {rel}" if tool == "sops-nix"
                                  else f"cd secrets && nix develop .. -c agenix -e {Path(rel).name}")
                + ", and change what it held: git history keeps the plain text")

    return [Problem(rel, f"{why}, so {host} could not decrypt it after the deploy", fix(rel, why))
            for rel, why in unreadable(tool, repo, files, key).items()]


def _recorded_nodes(repo: Path) -> dict[str, dict[str, Any]]:
    """The nodes deploy.nix was last written with (the repository's recorded answers)."""
    answers = repo / ANSWERS
    data = read_answers(answers) if answers.is_file() else {}
    nodes = (data.get("repo") or {}).get("nodes") or [] if isinstance(data.get("repo"), dict) else []
    return {str(n.get("name")): n for n in nodes if isinstance(n, dict)}


def plan_deploy(repo: Path, names: list[str], tags: list[str], *, on: dt.date) -> Deployment:
    """The deploy-rs run for the chosen hosts, or every problem that stops it (pure but for reads)."""
    dirs = host_dirs(repo)
    if not dirs:
        raise InputError("--repo", f"{repo} has no hosts/*/{ANSWERS}", "run it in a repository nixbtw made")
    specs = {name: host_spec(d, on=on) for name, d in dirs.items()}
    chosen = _choose(specs, list(dict.fromkeys(names)), list(dict.fromkeys(tags)))
    recorded = _recorded_nodes(repo)
    problems: list[Problem] = []
    for spec in chosen:
        node = _node_problems(spec, recorded)
        problems += node or [*_hardware_problems(spec, repo), *_secret_problems(spec, repo, on=on)]
    if problems:
        raise InputError(problems=problems)
    hosts = tuple(s.hostname for s in chosen)
    # --skip-checks: deploy-rs's own check is `nix flake check`, which builds every host and
    # boots every VM test before each deploy; the repository's CI runs it on every push.
    # One --targets per host: deploy-rs before b7dda71 takes one value per --targets.
    targets = [f".#{hosts[0]}"] if len(hosts) == 1 else [a for h in hosts for a in ("--targets", f".#{h}")]
    return Deployment(tuple(chosen), (DEPLOY, "--skip-checks", *targets), repo.absolute())


@dataclass(frozen=True, slots=True)
class DeployResult:
    deployment: Deployment
    direct: bool  # deploy-rs from PATH, not the dev shell
    exit_code: int | None  # None: not run (--dry-run)

    def command_line(self) -> str:
        return shlex.join(self.deployment.command(direct=self.direct))

    def to_json(self) -> dict[str, object]:
        return self.deployment.to_json(direct=self.direct, ran=self.exit_code is not None,
                                       exit_code=self.exit_code)


def local_system() -> str:
    """This machine as a Nix system string (x86_64-linux, aarch64-darwin, ...)."""
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
    return f"{machine}-{'darwin' if sys.platform == 'darwin' else 'linux'}"


def build_warnings(specs: list[HostSpec], here: str) -> list[str]:
    """Hosts this machine cannot build for itself: deploy-rs builds locally unless remoteBuild."""
    return [f"warning: {s.hostname} is {s.system} and this machine is {here}: the build needs a "
            f"builder for {s.system}; set deploy.remote_build: true to build on {s.hostname} itself"
            for s in specs if not s.deploy.remote_build and s.system != here]


def deploy(repo: Path, names: list[str], tags: list[str], *, on: dt.date, dry_run: bool,
           say: Callable[[str], None]) -> DeployResult:
    deployment = plan_deploy(repo, names, tags, on=on)
    for line in build_warnings(list(deployment.specs), local_system()):
        say(line)
    # The dev shell's deploy-rs is the one flake.lock pins, built like the activate-rs it
    # puts on the hosts; a deploy on PATH (nixpkgs' is older than deploy-rs's fix for the
    # derivation output of Nix 2.32) is the fallback for a machine without Nix.
    direct = shutil.which("nix") is None and shutil.which(DEPLOY) is not None
    if shutil.which("nix") is None and not direct and not dry_run:
        raise ToolMissing("nix", "install Nix (nixbtw runs deploy-rs from the repository's dev shell)")
    result = DeployResult(deployment, direct, None)
    if dry_run:
        return result
    if direct:
        say(f"warning: Nix is not installed, so deploy-rs runs from PATH ({shutil.which(DEPLOY)}), "
            "not the version flake.lock pins")
    say(f"nixbtw: deploying {', '.join(deployment.hosts)}: {result.command_line()}")
    code = stream(deployment.command(direct=direct), cwd=repo)
    return DeployResult(deployment, direct, code)
