"""Rules over flake.nix inputs and flake.lock."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from scaffold.check.context import Repo
from scaffold.check.model import Finding, finding, rule


def _is_nixpkgs(node: dict[str, Any]) -> bool:
    for key in ("original", "locked"):
        ref = node.get(key)
        if not isinstance(ref, dict):
            continue
        if ref.get("repo") == "nixpkgs" or "nixpkgs" in str(ref.get("url", "")).split("/")[-2:-1]:
            return True
        if ref.get("type") == "indirect" and ref.get("id") == "nixpkgs":
            return True
    return False


@rule("NBT005", "several-nixpkgs", "flake inputs that bring their own nixpkgs")
def several_nixpkgs(repo: Repo) -> Iterator[Finding]:
    lock = repo.lock
    if not lock:
        return
    nodes: dict[str, Any] = lock.get("nodes", {})
    nixpkgs = sorted(name for name, node in nodes.items() if _is_nixpkgs(node))
    if len(nixpkgs) <= 1:
        return
    culprits = sorted(name for name, node in nodes.items() if name != lock.get("root", "root")
                      and isinstance(node.get("inputs"), dict)
                      and any(target in nixpkgs and target != "nixpkgs"
                              for target in node["inputs"].values() if isinstance(target, str)))
    who = ", ".join(culprits) or ", ".join(nixpkgs)
    yield finding("NBT005", "flake.lock", 1,
               1, f"the lock holds {len(nixpkgs)} nixpkgs ({', '.join(nixpkgs)}), brought in by {who}",
               "every extra nixpkgs is another evaluation, another closure, and modules built "
               "against another release",
               f'add inputs.nixpkgs.follows = "nixpkgs" to {who} in flake.nix, then nix flake lock')


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
    urls = repo.input_urls
    if "nixpkgs" not in urls:
        return
    base = _branch("nixpkgs", urls["nixpkgs"][0])
    if base is None:
        return
    for name in ("home-manager", "nix-darwin", "nixos-wsl"):
        if name not in urls:
            continue
        url, line = urls[name]
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
            yield finding("NBT006", "flake.nix", line, 1, f"{name} tracks {branch} but nixpkgs is {base}",
                       why, f"pin {name} to the branch of {base}")


@rule("NBT007", "stale-lock", "flake.lock older than the allowed age")
def stale_lock(repo: Repo) -> Iterator[Finding]:
    lock = repo.lock
    if not lock:
        return
    nodes: dict[str, Any] = lock.get("nodes", {})
    root = nodes.get(str(lock.get("root", "root")), {})
    limit = dt.timedelta(days=repo.max_lock_age_days)
    inputs = root.get("inputs")
    for name, target in sorted(inputs.items() if isinstance(inputs, dict) else []):
        node = nodes.get(target if isinstance(target, str) else "", {})
        locked = node.get("locked")
        modified = locked.get("lastModified") if isinstance(locked, dict) else None
        if not isinstance(modified, int):
            continue
        try:
            age = repo.now - dt.datetime.fromtimestamp(modified, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            continue
        if age > limit:
            yield finding("NBT007", "flake.lock", 1,
                       1, f"input {name} was locked {age.days} days ago",
                       "a stale lock misses security fixes; the longer it waits, the bigger the "
                       "jump when it finally moves",
                       f"nix flake update {name} (threshold: --max-lock-age {repo.max_lock_age_days})")
