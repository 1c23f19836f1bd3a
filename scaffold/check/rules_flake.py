"""Rules over flake.nix inputs and flake.lock."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from scaffold import process
from scaffold.check.context import Repo
from scaffold.check.flakes import Flake, is_nixpkgs
from scaffold.check.model import Finding, finding, rule


def _own_nixpkgs(flake: Flake, target: str, trail: tuple[str, ...],
                 roots: set[str]) -> Iterator[tuple[str, ...]]:
    """Paths of input names (as written, from the user's input down) that lock their own nixpkgs.

    Only an input's `nixpkgs` counts: a second one it names (nixpkgs-stable, nixpkgs-23-11,
    nixpkgs-regression) is that input's deliberate pin, used for its tests or docs, and
    following it would break what it pins for. Inputs of inputs are left alone too: their
    authors chose them, and a follows three levels deep is not a fix a user should own.
    """
    node = flake.nodes.get(target, {})
    inputs = node.get("inputs") if isinstance(node, dict) else None
    for name, sub in sorted(inputs.items() if isinstance(inputs, dict) else []):
        if not isinstance(sub, str) or name != "nixpkgs":  # a list is a follows: chosen elsewhere
            continue
        if is_nixpkgs(flake.nodes.get(sub)) and sub not in roots:
            yield (*trail, name)


# Inputs that provide modules evaluated with the user's own nixpkgs, and whose documentation
# asks users to follow nixpkgs. A package flake (an app, an editor build, a set served from its
# own binary cache) builds against the nixpkgs it pins on purpose: a follows would rebuild it.
MODULE_INPUTS = frozenset({"home-manager", "nix-darwin", "agenix", "ragenix", "sops-nix", "disko",
                           "nixos-wsl", "stylix", "nix-index-database", "nixvim", "plasma-manager",
                           "nix-on-droid", "lanzaboote", "nix-homebrew", "srvos",
                           "nixos-generators", "catppuccin", "nur", "darwin"})


def _project(node: object) -> str:
    """The repository an input's lock node was fetched from (github:nix-community/home-manager)."""
    if not isinstance(node, dict):
        return ""
    original = node.get("original")
    if not isinstance(original, dict):
        return ""
    name = str(original.get("repo") or str(original.get("url", "")).rstrip("/").rsplit("/", 1)[-1])
    return name.lower().removesuffix(".git")


@rule("NBT005", "several-nixpkgs", "flake inputs that bring their own nixpkgs")
def several_nixpkgs(repo: Repo) -> Iterator[Finding]:
    for flake in repo.flakes:
        root_inputs = flake.root_inputs()
        # nixpkgs inputs the user wrote (nixpkgs-unstable too) are deliberate, never blamed.
        roots = {t for t in root_inputs.values() if isinstance(t, str) and is_nixpkgs(flake.nodes.get(t))}
        if not roots:
            continue
        release = flake.nixpkgs_release
        for name, target in sorted(root_inputs.items()):
            if not isinstance(target, str) or target in roots or \
                    _project(flake.nodes.get(target)) not in MODULE_INPUTS:
                continue
            written = flake.inputs.get(name)
            if release is not None and written is not None and _default_branch(written.url):
                # A module input on its default branch follows unstable: following a release
                # nixpkgs would break it. Pinning its release branch is the fix (NBT006's).
                continue
            for trail in _own_nixpkgs(flake, target, (name,), roots):
                written = flake.inputs.get(name)
                line = written.line if written is not None else 1
                follows = ".".join(f"inputs.{part}" for part in trail)
                yield finding("NBT005", flake.rel, line, 1,
                              f"input {'/'.join(trail[:-1])} locks its own {trail[-1]}",
                              "every extra nixpkgs is another evaluation, another closure, and "
                              "modules built against another release",
                              f'add {follows}.follows = "nixpkgs" to {flake.rel}, then nix flake lock')


def _default_branch(url: str | None) -> bool:
    """github:owner/repo without a ref: the input follows its default branch."""
    if not url or not url.startswith(("github:", "gitlab:", "sourcehut:")):
        return False
    return "?ref=" not in url and url.split(":", 1)[1].strip("/").count("/") == 1


BRANCH = {
    "nixpkgs": re.compile(r"(?:nixos|nixpkgs)-([0-9][0-9]\.[0-9][0-9])|(nixos-unstable|nixpkgs-unstable)"),
    "home-manager": re.compile(r"release-([0-9][0-9]\.[0-9][0-9])|/(master)\b"),
    "nix-darwin": re.compile(r"nix-darwin-([0-9][0-9]\.[0-9][0-9])|/(master)\b"),
    "nixos-wsl": re.compile(r"release-([0-9][0-9]\.[0-9][0-9])|/(main)\b"),
}


def _branch(name: str, url: str) -> str | None:
    match = BRANCH[name].search(url)
    if not match:
        return None
    version = match.group(1)
    return version if version else "unstable"


@rule("NBT006", "companion-branch-mismatch", "home-manager / nix-darwin branch not matching nixpkgs")
def branch_mismatch(repo: Repo) -> Iterator[Finding]:
    for flake in repo.flakes:
        urls = {name: (i.url, i.line) for name, i in flake.inputs.items() if i.url}
        for name in ("home-manager", "nix-darwin", "nixos-wsl"):
            if name not in urls:
                continue
            # The nixpkgs it follows is the one it must match (a mixed flake's
            # nix-darwin follows nixpkgs-darwin).
            pkgs_name = flake.inputs[name].nested_follows.get("nixpkgs", "nixpkgs")
            if pkgs_name not in urls:
                continue
            base = _branch("nixpkgs", urls[pkgs_name][0] or "")
            if base is None:
                continue
            url, line = urls[name]
            url = url or ""
            branch = _branch(name, url)
            if branch is None and "/" not in url.split(":", 1)[-1].split("/", 1)[-1]:
                branch = "unstable"  # no ref: the default branch follows unstable
            if branch is not None and branch != base:
                why = {
                    "nix-darwin": "nix-darwin refuses to evaluate against another nixpkgs release",
                    "home-manager": "home-manager warns, and its modules may set options that do not "
                                    "exist in this nixpkgs",
                    "nixos-wsl": "NixOS-WSL's modules are written for the nixpkgs of their branch",
                }[name]
                yield finding("NBT006", flake.rel, line, 1, f"{name} tracks {branch} but {pkgs_name} is {base}",
                              why, f"pin {name} to the branch of {base}")


@rule("NBT007", "stale-lock", "flake.lock not updated for longer than the allowed age")
def stale_lock(repo: Repo) -> Iterator[Finding]:
    """Age is when the lock was last committed, not when upstream last changed.

    An input that is quiet upstream is not stale: `nix flake update` would not
    move it. Without git history the age is unknown and nothing is reported.
    """
    if not repo.in_git:
        return
    for flake in repo.flakes:
        if not flake.lock_present:
            continue
        log = process.run(["git", "-C", str(repo.root), "log", "-1", "--format=%ct", "--", flake.lock_rel],
                          check=False)
        stamp = log.stdout.strip()
        if log.returncode != 0 or not stamp.isdigit():
            continue
        age = repo.now - dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
        if age > dt.timedelta(days=repo.max_lock_age_days):
            yield finding("NBT007", flake.lock_rel, 1, 1,
                          f"{flake.lock_rel} was last updated {age.days} days ago",
                          "a stale lock misses security fixes; the longer it waits, the bigger the "
                          "jump when it finally moves",
                          f"nix flake update in {flake.folder or '.'} and commit the lock "
                          f"(threshold: --max-lock-age {repo.max_lock_age_days})")
