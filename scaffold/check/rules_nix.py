"""Rules over Nix expressions, read with tree-sitter."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterator
from importlib import resources

from scaffold import nixparse, releases
from scaffold.check.context import Repo, string_value
from scaffold.check.model import Finding, finding, rule
from scaffold.check.rules_text import channel_commands, gc_scripts

PRIVATE_KEY = re.compile(r"(^|/)(id_(ed25519|rsa|ecdsa|dsa)|ssh_host_\w+_key|keys\.txt|[^/]+\.(key|pem))$")
SECRETISH = re.compile(r"(\.age$|(^|/)secrets?/|\.sops\.|(^|/)[^/]*secret[^/]*$)")
PASSWORD_OPTIONS = ("password", "initialPassword", "hashedPassword", "initialHashedPassword")




def text(node: object) -> str:
    raw = getattr(node, "text", b"") or b""
    return raw.decode("utf-8", "replace")


@rule("NBT003", "blanket-allow-unfree", "allowUnfree = true for every package")
def allow_unfree(repo: Repo) -> Iterator[Finding]:
    for f in repo.nix_files:
        for s in f.settings:
            if s.path and s.path[-1] == "allowUnfree" and text(nixparse.leaf(s.node)).strip() == "true":
                yield finding("NBT003", f.rel, s.line, 1, "every unfree package is allowed",
                           "a dependency can pull in unfree software without anyone noticing",
                           'list the packages: nixpkgs.config.allowUnfreePackages = [ "steam" ];')


@rule("NBT004", "channels-in-a-flake", "channel lookups or nix-channel in a flake repository")
def channels_in_flake(repo: Repo) -> Iterator[Finding]:
    if not repo.has_flake:
        return
    for f in repo.nix_files:
        for node in f.nodes("spath_expression"):
            yield finding("NBT004", f.rel, node.start_point[0] + 1, node.start_point[1] + 1,
                       f"{text(node)} reads a channel in a repository with flake.nix",
                       "channels drift independently of flake.lock: the build depends on "
                       "whatever the machine's channel holds",
                       "use the flake's inputs (pass `inputs` through specialArgs)")
    for rel, line, col in channel_commands(repo):
        yield finding("NBT004", rel, line, col, "nix-channel in a repository with flake.nix",
                   "channels drift independently of flake.lock",
                   "pin with flake inputs and update with nix flake update")


def _is_readfile(node: object) -> bool:
    fn = getattr(node, "child_by_field_name", lambda _n: None)("function")
    return fn is not None and text(fn).split(".")[-1] == "readFile"


@rule("NBT012", "secret-in-store", "a secret or private key read into the Nix store", "error")
def secret_in_store(repo: Repo) -> Iterator[Finding]:
    for f in repo.nix_files:
        for node in f.nodes("path_expression"):
            if PRIVATE_KEY.search(text(node)):
                yield finding("NBT012", f.rel, node.start_point[0] + 1, node.start_point[1] + 1,
                           f"{text(node)} is a private key as a path literal",
                           "a path literal copies the file into /nix/store, which every user "
                           "and process can read",
                           'refer to it as a string ("/var/lib/...") that only exists on the machine')
        for node in f.nodes("apply_expression"):
            arg = node.child_by_field_name("argument")
            if _is_readfile(node) and arg is not None:
                target = string_value(arg) or text(arg)
                if SECRETISH.search(target) or PRIVATE_KEY.search(target):
                    yield finding("NBT012", f.rel, node.start_point[0] + 1, node.start_point[1] + 1,
                               f"builtins.readFile {target} puts its content into the store",
                               "evaluation copies the content into derivations in /nix/store, "
                               "readable by everyone; encryption at rest is lost",
                               "let sops-nix or agenix decrypt it at activation and use the "
                               "runtime path (config.sops.secrets.<n>.path)")


@rule("NBT013", "password-in-repo", "a password or password hash written in the repository", "error")
def password_in_repo(repo: Repo) -> Iterator[Finding]:
    for f in repo.nix_files:
        for s in f.settings:
            if (len(s.path) >= 4 and s.path[:2] == ("users", "users") and s.path[-1] in PASSWORD_OPTIONS
                    and string_value(s.node) is not None):
                yield finding("NBT013", f.rel, s.line, 1,
                           f"users.users.{s.path[2]}.{s.path[-1]} is written in the repository",
                           "the repository and the world-readable store keep it forever; hashes "
                           "can be cracked offline",
                           "use hashedPasswordFile from sops-nix or agenix (or set it with passwd)")


@rule("NBT014", "gc-deletes-every-generation", "garbage collection without a retention window")
def gc_settings(repo: Repo) -> Iterator[Finding]:
    yield from gc_scripts(repo)
    for files in repo.by_directory.values():
        options = [(f, s) for f in files for s in f.settings if s.path == ("nix", "gc", "options")]
        automatic = [(f, s) for f in files for s in f.settings
                     if s.path == ("nix", "gc", "automatic") and text(s.node).strip() == "true"]
        for f, s in options:
            value = string_value(s.node) or text(s.node)
            if "--delete-older-than" not in value:
                yield finding("NBT014", f.rel, s.line, 1, f"nix.gc.options = {value!r} keeps no window",
                           "without a window every old generation can go, and with it every rollback",
                           'set nix.gc.options = "--delete-older-than 30d"')
        if automatic and not options:
            f, s = automatic[0]
            yield finding("NBT014", f.rel, s.line, 1, "nix.gc runs without --delete-older-than",
                       "without it old generations are never freed and the disk fills, and the "
                       "usual quick fix, -d, deletes every rollback at once",
                       'add nix.gc.options = "--delete-older-than 30d"')


@functools.cache
def removed_options() -> list[dict[str, str]]:
    data = resources.files("scaffold.data").joinpath("removed-options.tsv").read_text()
    lines = [line for line in data.splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"))


def _matches(pattern: str, path: tuple[str, ...]) -> bool:
    parts = pattern.split(".")
    if parts[-1] == "*":
        parts = parts[:-1]
        path = path[: len(parts)]
    return len(parts) == len(path) and all(
        p == q or (p.startswith("<") and p.endswith(">")) for p, q in zip(parts, path, strict=True))


@rule("NBT015", "removed-option", "an option removed or renamed before the pinned release", "error")
def removed_option(repo: Repo) -> Iterator[Finding]:
    pinned = repo.pinned_release
    for f in repo.nix_files:
        for s in f.settings:
            for entry in removed_options():
                if not _matches(entry["option"], s.path):
                    continue
                if pinned and releases.version_key(pinned) < releases.version_key(entry["since"]):
                    continue
                where = f"NixOS {pinned}" if pinned else "current releases"
                yield finding("NBT015", f.rel, s.line, 1,
                           f"{'.'.join(s.path)} no longer exists in {where} "
                           f"(gone since {entry['since']})",
                           f"evaluation fails or warns; source: {entry['source']}",
                           f"use {entry['replacement']}")
                break


@rule("NBT017", "does-not-parse", "a Nix file or flake.lock that does not parse", "error")
def does_not_parse(repo: Repo) -> Iterator[Finding]:
    for f in repo.nix_files:
        if f.tree.root_node.has_error:
            bad = next(iter(f.nodes("ERROR")), None) or f.tree.root_node
            yield finding("NBT017", f.rel, bad.start_point[0] + 1, bad.start_point[1] + 1,
                       f"{f.rel} does not parse as Nix",
                       "nothing in it can be checked, and Nix refuses to evaluate it",
                       "fix the syntax (nix-instantiate --parse shows the error)")
    if "flake.lock" in repo.files and repo.lock is None:
        yield finding("NBT017", "flake.lock", 1, 1, "flake.lock is not a flake lock file",
                   "Nix refuses the flake, and no input can be checked",
                   "restore it from git, or regenerate it with nix flake lock")
