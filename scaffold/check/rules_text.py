"""Rules over scripts, docs and shell history (not Nix)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from scaffold import nixparse
from scaffold.check.collect import FileContext
from scaffold.check.context import Repo
from scaffold.check.model import Finding, file_rule, finding, rule
from scaffold.check.nixfile import NixFile

NIX_ENV_INSTALL = re.compile(r"\bnix-env\s+(?:[^\n|;&]*\s)?(?:-i|--install|-iA)\b")
EXPORT_UNFREE = re.compile(r"^\s*(?:export\s+|set\s+-gx\s+|setenv\s+)?(NIXPKGS_ALLOW_(?:UNFREE|INSECURE))[= ]")
# Commands that delete every old generation: -d, "old", and wipe-history without --older-than.
GC_ALL = re.compile(r"\bnix-collect-garbage\s+(?:[^\n|;&]*\s)?(?:-d|--delete-old)\b|"
                    r"\bnix-env\s+(?:[^\n|;&]*\s)?--delete-generations\s+old\b|"
                    r"\bnix\s+profile\s+wipe-history\b(?![^\n|;&]*--older-than)")
CHANNEL = re.compile(r"\bnix-channel\s+--(?:add|update)\b")


@rule("NBT001", "nix-env-install", "nix-env -i recommended or used")
def nix_env_install(repo: Repo) -> Iterator[Finding]:
    for rel, number, line in repo.commands():
        if "nix-env" in line and (match := NIX_ENV_INSTALL.search(line)):
            yield finding("NBT001", rel, number, match.start() + 1,
                       "`nix-env -i` installs packages imperatively",
                       "they live outside the configuration, never update with it, and can "
                       "shadow what the system or home-manager installs",
                       "declare the package in environment.systemPackages or home.packages")


@file_rule("NBT001")
def nix_env_in_strings(_ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    if b"nix-env" not in f.source:
        return
    for node in f.nodes("string"):
        body = nixparse.text(node)
        for match in NIX_ENV_INSTALL.finditer(body):
            line_text = body[: match.start()].rsplit("\n", 1)[-1]
            if line_text.lstrip().startswith("#"):
                continue
            yield finding("NBT001", f.rel, node.start_point[0] + 1 + body[: match.start()].count("\n"), 1,
                          "`nix-env -i` in a script the configuration writes",
                          "packages installed this way live outside the configuration and never "
                          "update with it",
                          "declare the package in environment.systemPackages or home.packages")
    yield from _nix_env_in_comments(f)


# A command written as a comment line of a Nix file (install steps kept beside the module).
_COMMENTED_COMMAND = re.compile(r"^#+\s*(?:\$\s*)?(?:sudo\s+)?nix-env\b")


def _nix_env_in_comments(f: NixFile) -> Iterator[Finding]:
    for node in nixparse.captures(f.tree.root_node, "(comment) @c").get("c", []):
        for offset, line in enumerate(nixparse.text(node).splitlines()):
            match = NIX_ENV_INSTALL.search(line)
            if match and _COMMENTED_COMMAND.match(line.strip()):
                yield finding("NBT001", f.rel, node.start_point[0] + 1 + offset, 1,
                              "`nix-env -i` in steps written in a comment",
                              "whoever follows them installs packages outside the configuration, "
                              "where they never update with it",
                              "use nix-shell -p (or nix shell) for a tool needed once")


@rule("NBT002", "unfree-env-var", "NIXPKGS_ALLOW_UNFREE/INSECURE as a permanent setting")
def unfree_env(repo: Repo) -> Iterator[Finding]:
    for rel, number, line in repo.commands(docs=False):
        if "NIXPKGS_ALLOW" in line and (match := EXPORT_UNFREE.search(line)):
            yield finding("NBT002", rel, number, match.start(1) + 1,
                       f"{match.group(1)} is set for every command",
                       "it admits every unfree (or vulnerable) package, silently, in every build",
                       "allow packages by name: nixpkgs.config.allowUnfreePackages or "
                       "permittedInsecurePackages")


@file_rule("NBT002")
def unfree_env_settings(_ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    if b"NIXPKGS_ALLOW" in f.source:
        for s in f.settings:
            if s.path and s.path[-1] in ("NIXPKGS_ALLOW_UNFREE", "NIXPKGS_ALLOW_INSECURE") and any(
                    p in ("variables", "sessionVariables", "envVars", "environment") for p in s.path):
                yield finding("NBT002", f.rel, s.line, 1,
                              f"{s.path[-1]} is set in the environment of the system",
                              "it admits every unfree (or vulnerable) package, silently, in every build",
                              "allow packages by name: nixpkgs.config.allowUnfreePackages or "
                              "permittedInsecurePackages")


def gc_scripts(repo: Repo) -> Iterator[Finding]:
    """NBT014 in scripts and docs; rules_nix registers the rule and adds nix.gc settings."""
    for rel, number, line in repo.commands():
        if "nix" in line and (match := GC_ALL.search(line)) and "--dry-run" not in line:
            yield finding("NBT014", rel, number, match.start() + 1,
                       "this deletes every old generation",
                       "with no old generation left there is nothing to roll back to when "
                       "the next switch breaks the machine",
                       "keep a window: nix-collect-garbage --delete-older-than 30d, nix profile wipe-history "
                       "--older-than 30d (or nix.gc with it)")


def channel_commands(repo: Repo) -> Iterator[tuple[str, int, int]]:
    for rel, number, line in repo.commands():
        if "nix-channel" in line and (match := CHANNEL.search(line)):
            yield rel, number, match.start() + 1
