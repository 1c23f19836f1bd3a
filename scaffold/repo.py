"""The repository around the hosts: what flake.nix and the shared files need.

A fleet repository has one copier subproject per host (hosts/<name>/) and one
for the repository itself (flake.nix, README.md, .gitignore, secrets rules).
The repository's answers are derived from every host's answers, so adding a
host that needs a new input updates flake.nix through copier's merge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scaffold import releases
from scaffold.deployplan import DeployNode, deploy_node
from scaffold.errors import InputError
from scaffold.spec import HostSpec

HostKind = Literal["nixos", "darwin"]
# A repository holds NixOS hosts (standalone homes too), Macs, or both.
Kind = Literal["nixos", "darwin", "mixed"]

# Canonical order of inputs in flake.nix; also the set of inputs nixbtw knows.
INPUT_NAMES: tuple[str, ...] = (
    "nixpkgs", "nixpkgs-darwin", "nix-darwin", "nixos-wsl", "home-manager", "disko", "impermanence",
    "nixos-hardware", "sops-nix", "agenix", "determinate", "deploy-rs",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RepoHost(_Model):
    name: str
    lane: str
    system: str


class RepoNode(_Model):
    """A host deploy-rs reaches (scaffold.deployplan.DeployNode, as repository answers)."""

    name: str
    kind: Kind
    system: str
    hostname: str
    ssh_user: str
    ssh_port: int | None = None
    interactive_sudo: bool = False
    remote_build: bool = False
    activation_timeout: int | None = None



def repo_node(n: DeployNode) -> RepoNode:
    return RepoNode(name=n.name, kind=n.kind, system=n.system, hostname=n.hostname,
                    ssh_user=n.ssh_user, ssh_port=n.ssh_port, interactive_sudo=n.interactive_sudo,
                    remote_build=n.remote_build, activation_timeout=n.activation_timeout)


class RepoHome(_Model):
    user: str
    host: str
    system: str


class SecretFile(_Model):
    file: str
    host: str
    why: str


class SecretHost(_Model):
    name: str
    admin_keys: list[str]


class RepoSecrets(_Model):
    tool: str = "none"
    # Every admin key once (for .sops.yaml's anchors), and each host's own.
    admin_keys: list[str] = Field(default_factory=list)
    hosts: list[SecretHost] = Field(default_factory=list)
    files: list[SecretFile] = Field(default_factory=list)

    def anchor(self, key: str) -> str:
        return f"admin_{self.admin_keys.index(key) + 1}"


class RepoSpec(_Model):
    kind: Kind
    release: str
    inputs: list[str]
    hosts: list[RepoHost]
    homes: list[RepoHome] = Field(default_factory=list)
    # deploy.nix: one deploy-rs node per host with a deploy target.
    nodes: list[RepoNode] = Field(default_factory=list)
    # Seeds for .sops.yaml / secrets/secrets.nix, written once when first needed.
    sops: RepoSecrets = Field(default_factory=RepoSecrets)
    agenix: RepoSecrets = Field(default_factory=RepoSecrets)
    # The commands the hosts' READMEs tell the user to run, for the dev shell.
    tools: list[str] = Field(default_factory=list)


def kind_of(spec: HostSpec) -> HostKind:
    return "darwin" if spec.lane == "darwin" else "nixos"


def input_names(spec: HostSpec) -> list[str]:
    """The flake inputs one host needs."""
    names = ["nixpkgs"]
    if spec.lane == "darwin":
        names.append("nix-darwin")
    if spec.lane == "nixos-wsl":
        names.append("nixos-wsl")
    if spec.hm_mode != "none":
        names.append("home-manager")
    if spec.disk.layout != "none":
        names.append("disko")
    if spec.disk.impermanence:
        names.append("impermanence")
    if spec.hardware.profile:
        names.append("nixos-hardware")
    if spec.secrets.tool != "none":
        names.append(spec.secrets.tool)
    if spec.nix == "determinate" and spec.lane != "home-manager":
        names.append("determinate")
    if deploy_node(spec) is not None:
        names.append("deploy-rs")
    return names


# name -> (Nix expression in the dev shell, what the READMEs run it for); canonical order.
DEV_TOOLS: dict[str, tuple[str, str]] = {
    "nixos-anywhere": ("pkgs.nixos-anywhere", "installs a host over SSH"),
    "disko": ("pkgs.disko", "formats a disk by hand from the installer"),
    "sops": ("pkgs.sops", "edits and re-encrypts secrets/<host>.yaml"),
    "ssh-to-age": ("pkgs.ssh-to-age", "turns a host's SSH key into its age key"),
    "age": ("pkgs.age", "age-keygen makes your own age key"),
    "agenix": ("inputs.agenix.packages.${system}.agenix", "edits and re-keys secrets/*.age"),
    "mkpasswd": ("pkgs.mkpasswd", "hashes a password for a password secret"),
    "deploy-rs": ("(pkgs.extend inputs.deploy-rs.overlays.default).deploy-rs.deploy-rs",
                  "nixbtw deploy"),
}
# disko wraps nixos-install: its package is meta.platforms linux, and an
# unsupported package would break `nix develop` (and `nix flake check`) on a Mac.
LINUX_TOOLS = frozenset({"disko"})
# Where an admin runs the tools from: any of these, whatever the hosts run. Not
# x86_64-darwin unless a host is one: nixpkgs 26.05 deprecates it and would warn
# at every `nix flake check`.
DEV_SYSTEMS = ("aarch64-darwin", "aarch64-linux", "x86_64-linux")


def dev_tools(spec: HostSpec) -> set[str]:
    """The tools one host's README runs (from the repository's dev shell)."""
    tools = set()
    if spec.lane == "nixos-flake" and spec.disk.layout != "none":
        tools |= {"nixos-anywhere", "disko"}
    if spec.secrets.tool == "sops-nix":
        tools |= {"sops", "ssh-to-age", "age"}
    if spec.secrets.tool == "agenix":
        tools.add("agenix")
    if spec.secrets.age_key_file is not None:
        # age-keygen makes the Mac's key file and prints its recipient.
        tools.add("age")
    if spec.secrets.tool != "none" and any(u.password == "secret" for u in spec.users):
        tools.add("mkpasswd")
    if deploy_node(spec) is not None:
        tools.add("deploy-rs")
    return tools


def repo_spec(hosts: Iterable[HostSpec]) -> RepoSpec:
    """The repository's answers for a set of hosts (existing ones and the new one)."""
    specs = sorted(hosts, key=lambda s: s.hostname)
    assert specs, "a repository has at least one host"
    kinds = {kind_of(s) for s in specs}
    # One release, two branches of it: Macs build from its darwin branch (nixpkgs-darwin).
    kind: Kind = "mixed" if len(kinds) > 1 else kinds.pop()
    rels = {s.release for s in specs}
    if len(rels) > 1:
        targets = ", ".join(sorted(map(str, rels)))
        raise InputError("release", f"the hosts in this repository target {targets}; "
                         "one flake pins one release of nixpkgs and its companions",
                         "give every host the same release")
    used = {name for s in specs for name in input_names(s)}
    if kind == "mixed":
        used.add("nixpkgs-darwin")
    sops = [s for s in specs if s.secrets.tool == "sops-nix"]
    agenix = [s for s in specs if s.secrets.tool == "agenix"]
    release = specs[0].release
    assert release is not None
    return RepoSpec(
        kind=kind,
        release=release,
        inputs=[n for n in INPUT_NAMES if n in used],
        hosts=[RepoHost(name=s.hostname, lane=s.lane, system=s.system) for s in specs],
        homes=[RepoHome(user=u.name, host=s.hostname, system=s.system)
               for s in specs if s.hm_mode == "standalone" for u in s.users],
        nodes=[repo_node(n) for n in map(deploy_node, specs) if n is not None],
        sops=_secrets("sops-nix", sops),
        agenix=_secrets("agenix", agenix),
        tools=[t for t in DEV_TOOLS if any(t in dev_tools(s) for s in specs)],
    )


def _secrets(tool: str, specs: list[HostSpec]) -> RepoSecrets:
    if not specs:
        return RepoSecrets()
    keys = list(dict.fromkeys(k for s in specs for k in s.secrets.admin_keys))
    hosts = [SecretHost(name=s.hostname, admin_keys=s.secrets.admin_keys) for s in specs]
    if tool != "agenix":
        return RepoSecrets(tool=tool, admin_keys=keys, hosts=hosts)
    files = [SecretFile(file=f"{s.hostname}-{u.name}-password.age", host=s.hostname,
                        why=f"{u.name}'s password hash on {s.hostname} (its README creates it)")
             for s in specs for u in s.users if u.password == "secret"]
    # A Mac has no password secret to show the way, so it gets an example file.
    files += [SecretFile(file=f"{s.hostname}-example.age", host=s.hostname,
                         why=f"an example secret for {s.hostname} (its secrets.nix reads it once uncommented)")
              for s in specs if s.lane == "darwin"]
    return RepoSecrets(tool=tool, admin_keys=keys, hosts=hosts, files=files)


@dataclass(frozen=True, slots=True)
class FlakeInput:
    name: str
    url: str
    # input name -> what it follows ("" drops the input)
    follows: tuple[tuple[str, str], ...] = ()
    why: str = ""


def flake_inputs(names: Iterable[str], rel: releases.Release, kind: Kind) -> list[FlakeInput]:
    """The inputs block: release branches from the table, one nixpkgs per platform in the lock.

    A repository of Macs alone pins the darwin branch as `nixpkgs` (as nixbtw
    always has, so its flake.lock never moves); one that also has NixOS hosts
    pins both branches of the release, and only nix-darwin follows the second.
    """
    wanted = set(names)
    follow = (("nixpkgs", "nixpkgs"),)
    branch = rel.nixpkgs_darwin if kind == "darwin" else rel.nixpkgs
    mixed = kind == "mixed"
    catalogue = {
        "nixpkgs": FlakeInput("nixpkgs", f"github:NixOS/nixpkgs/{branch}",
                              why=("NixOS hosts and Linux homes build from this one, and every "
                                   "input but nix-darwin follows it" if mixed else
                                   "every other input follows this one: one nixpkgs in the lock")),
        "nixpkgs-darwin": FlakeInput("nixpkgs-darwin", f"github:NixOS/nixpkgs/{rel.nixpkgs_darwin}",
                                     why="the same release's branch for Macs, tested on macOS "
                                         "and built by its binary cache"),
        "nix-darwin": FlakeInput("nix-darwin", f"github:nix-darwin/nix-darwin/{rel.nix_darwin}",
                                 (("nixpkgs", "nixpkgs-darwin"),) if mixed else follow,
                                 "must match the nixpkgs release or evaluation stops"
                                 + ("; the Macs' nixpkgs is the one it follows" if mixed else "")),
        "nixos-wsl": FlakeInput("nixos-wsl", f"github:nix-community/NixOS-WSL/{rel.nixos_wsl}",
                                follow),
        "home-manager": FlakeInput("home-manager",
                                   f"github:nix-community/home-manager/{rel.home_manager}",
                                   follow, "the release branch that matches nixpkgs"),
        "disko": FlakeInput("disko", "github:nix-community/disko/latest", follow),
        "impermanence": FlakeInput("impermanence", "github:nix-community/impermanence",
                                   (("nixpkgs", ""), ("home-manager", "")),
                                   "its inputs are only for its own tests"),
        "nixos-hardware": FlakeInput("nixos-hardware", "github:NixOS/nixos-hardware", follow),
        "sops-nix": FlakeInput("sops-nix", "github:Mic92/sops-nix", follow),
        "agenix": FlakeInput("agenix", "github:ryantm/agenix",
                             (("nixpkgs", "nixpkgs"), ("darwin", ""), ("home-manager", ""))),
        "deploy-rs": FlakeInput("deploy-rs", "github:serokell/deploy-rs", follow,
                                "its own build: nixpkgs' deploy-rs predates its fixes for current Nix"),
        "determinate": FlakeInput("determinate",
                                  "https://flakehub.com/f/DeterminateSystems/determinate/3",
                                  why="no follows: Determinate's cache hits need its own nixpkgs"),
    }
    return [catalogue[n] for n in INPUT_NAMES if n in wanted]


@dataclass(frozen=True, slots=True)
class RepoPlan:
    spec: RepoSpec
    release: releases.Release
    inputs: tuple[FlakeInput, ...]
    warnings: tuple[str, ...] = ()

    @property
    def dev_tools(self) -> list[tuple[str, str]]:
        """(Nix expression, why) of each tool in every system's dev shell."""
        return [DEV_TOOLS[t] for t in self.spec.tools if t not in LINUX_TOOLS]

    @property
    def linux_dev_tools(self) -> list[tuple[str, str]]:
        """Tools whose package builds on Linux only: a Mac's dev shell leaves them out."""
        return [DEV_TOOLS[t] for t in self.spec.tools if t in LINUX_TOOLS]

    @property
    def dev_systems(self) -> list[str]:
        return sorted({*DEV_SYSTEMS, *(h.system for h in self.spec.hosts)})

    @property
    def nixbtw_version(self) -> str:
        """The version the repository's CI installs to run `nixbtw check`."""
        from scaffold import __version__

        return __version__

    def is_mac(self, host: str) -> bool:
        return any(h.name == host and h.lane == "darwin" for h in self.spec.hosts)

    def home_directory(self, home: RepoHome) -> str:
        return ("/Users/" if home.system.endswith("-darwin") else "/home/") + home.user

    @property
    def macs(self) -> list[str]:
        """The hosts that run nix-darwin."""
        return [h.name for h in self.spec.hosts if h.lane == "darwin"]

    @property
    def nixos_hosts(self) -> list[str]:
        """The hosts that run NixOS from this flake (not standalone homes)."""
        return [h.name for h in self.spec.hosts if h.lane not in ("darwin", "home-manager")]

    @property
    def runners(self) -> list[str]:
        """The CI runners `nix flake check` needs: a Mac builds only on macOS."""
        nixos = any(h.lane != "darwin" for h in self.spec.hosts)
        return [*(["ubuntu-latest"] if nixos else []), *(["macos-latest"] if self.macs else [])]


def make_repo_plan(spec: RepoSpec, *, on: dt.date) -> RepoPlan:
    rel = releases.get(spec.release)
    return RepoPlan(spec=spec, release=rel, inputs=tuple(flake_inputs(spec.inputs, rel, spec.kind)),
                    warnings=tuple(releases.release_warnings(rel, on)))
