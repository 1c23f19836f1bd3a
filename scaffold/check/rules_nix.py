"""Rules over Nix expressions, read with tree-sitter."""

from __future__ import annotations

import csv
import functools
import io
import posixpath
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import tree_sitter

from scaffold import nixparse, releases
from scaffold.check.collect import FileContext
from scaffold.check.context import Repo, string_value
from scaffold.check.model import Finding, file_rule, finding, rule
from scaffold.check.nixfile import DEPTH_LIMIT, NixFile
from scaffold.check.rules_text import GC_ALL, channel_commands, gc_scripts

PRIVATE_KEY_NAME = re.compile(r"(^|/)(id_(ed25519|rsa|ecdsa|dsa)|ssh_host_\w+_key|[^/]+\.key)$")
MAYBE_KEY = re.compile(r"(^|/)([^/]+\.pem|keys\.txt)$")
SECRETISH = re.compile(r"(\.age$|(^|/)secrets?/|\.sops\.|(^|/)[^/]*secret[^/]*$|passw(?:or)?d)", re.IGNORECASE)
# Code named after secrets (easy-secret.sh, secrets.nix) is a program, not a secret.
CODE_SUFFIXES = (".sh", ".bash", ".zsh", ".fish", ".py", ".nix", ".lua", ".js", ".ts", ".rb", ".pl")
# Password hashes as crypt(5), mosquitto, Authelia and PHP write them: crackable offline.
PASSWORD_HASH = re.compile(r"^\$(?:1|2[abxy]|5|6|7|y|gy|sha1|md5|argon2(?:id|i|d)|pbkdf2(?:-sha[0-9]+)?|scrypt)\$"
                           r"[^$]*\$")
PASSWORD_OPTIONS = ("password", "initialPassword", "hashedPassword", "initialHashedPassword")
UNFREE_FIX = 'allow packages by name: nixpkgs.config.allowUnfreePredicate = pkg: ' \
    'builtins.elem (lib.getName pkg) [ "steam" ];'


def text(node: object) -> str:
    raw = getattr(node, "text", b"") or b""
    return raw.decode("utf-8", "replace")


def _function(s: nixparse.Setting) -> tree_sitter.Node | None:
    """The setting's value when it is a function (`pkg: ...`), looking through parentheses and
    mk* wrappers but not into the function (Setting.value is the function's body)."""
    node = s.node
    for _ in range(8):
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = node.named_children[0]
        elif node.type == "apply_expression" and (arg := node.child_by_field_name("argument")) is not None \
                and text(node.child_by_field_name("function")).rsplit(".", 1)[-1].startswith("mk"):
            node = arg
        else:
            break
    return node if node.type == "function_expression" else None


def _always_true(node: tree_sitter.Node | None) -> bool:
    """`_: true` and friends: a predicate that admits everything, also when it says so first
    (`pkg: lib.warn "allowing ${pkg.name}" true`, builtins.trace)."""
    if node is None:
        return False
    node = nixparse.unwrap(node)  # unwrap looks through the function to its body
    for _ in range(4):
        fn = node.child_by_field_name("function") if node.type == "apply_expression" else None
        if fn is None or fn.type != "apply_expression" or \
                text(fn.child_by_field_name("function")).rsplit(".", 1)[-1] not in ("warn", "trace"):
            break
        node = nixparse.unwrap(node.child_by_field_name("argument") or node)
    return node.type == "variable_expression" and text(node) == "true"


@file_rule("NBT003", "blanket-allow-unfree", "allowUnfree = true for every package")
def allow_unfree(_ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    seen: set[int] = set()
    for s in f.policy:
        if s.line in seen:
            continue
        if s.path[-1] == "allowUnfree" and s.literal is True:
            seen.add(s.line)
            yield finding("NBT003", f.rel, s.line, 1, f"{'.'.join(s.path)} = true allows every unfree package",
                          "a dependency can pull in unfree software without anyone noticing",
                          UNFREE_FIX)
        elif s.path[-1] == "allowUnfreePredicate" and (fn := _function(s)) is not None and \
                _always_true(fn):
            seen.add(s.line)
            yield finding("NBT003", f.rel, s.line, 1, f"{'.'.join(s.path)} admits every package",
                          "a predicate that is always true is allowUnfree = true by another name",
                          UNFREE_FIX)
    yield from _unfree_user_config(f)


# nixpkgs' user configuration written by the configuration (xdg.configFile."nixpkgs/config.nix".text):
# what the string says is what nix-shell, nix-env and `import <nixpkgs> { }` obey.
_USER_CONFIG = re.compile(r"nixpkgs/config\.nix")
_UNFREE_IN_TEXT = re.compile(r"\ballowUnfree\s*=\s*true\s*;")


def _written_to(node: tree_sitter.Node) -> str:
    """The attrpath of the binding a string is the value of (through `.text`/`.source` sets)."""
    up = node.parent
    for _ in range(6):
        if up is None:
            return ""
        if up.type == "binding":
            return text(up.child_by_field_name("attrpath"))
        up = up.parent
    return ""


def _unfree_user_config(f: NixFile) -> Iterator[Finding]:
    if b"allowUnfree" not in f.source or b"config.nix" not in f.source:
        return
    for node in f.nodes("string"):
        body = text(node)
        match = _UNFREE_IN_TEXT.search(body)
        if match is None or not _USER_CONFIG.search(_written_to(node)):
            continue
        yield finding("NBT003", f.rel, node.start_point[0] + 1 + body[: match.start()].count("\n"), 1,
                      "~/.config/nixpkgs/config.nix is written with allowUnfree = true",
                      "every nix-shell, nix-env and import <nixpkgs> of this user then admits every "
                      "unfree package",
                      'write allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "steam" ]; '
                      "into it instead")


VERSIONED = re.compile(r"-[0-9]")


def _by_name_only(node: tree_sitter.Node) -> bool:
    """A predicate that compares names without versions (lib.getName pkg, pkg.pname)."""
    body = text(node)
    return ("getName" in body or ".pname" in body) and "version" not in body and ".name" not in \
        body.replace("getName", "")


@file_rule("NBT018", "insecure-without-version", "an insecure package admitted without its version")
def insecure_without_version(_ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    for s in f.policy:
        where = ".".join(s.path)
        if s.path[-1:] == ("permittedInsecurePackages",) and s.value is not None and \
                s.value.type == "list_expression":
            for item in s.value.named_children:
                name = string_value(item)
                if name is not None and not VERSIONED.search(name):
                    yield finding("NBT018", f.rel, item.start_point[0] + 1, item.start_point[1] + 1,
                                  f"{where} names {name!r} without a version",
                                  "nixpkgs compares the full name-version, so this admits nothing; "
                                  "widening it by name would admit every future vulnerable version",
                                  f'name the exact version the error message shows, like "{name}-1.2.3"')
        elif s.path[-1:] == ("allowInsecurePredicate",) and (fn := _function(s)) is not None:
            if _always_true(fn):
                yield finding("NBT018", f.rel, s.line, 1, f"{where} admits every insecure package",
                              "a predicate that is always true silences every known vulnerability",
                              'list exact versions: permittedInsecurePackages = [ "olm-3.2.16" ];')
            elif _by_name_only(fn):
                yield finding("NBT018", f.rel, s.line, 1, f"{where} admits packages by name only",
                              "every future version of them is admitted too, even after a new "
                              "vulnerability is known",
                              'list exact versions: permittedInsecurePackages = [ "olm-3.2.16" ];')


@rule("NBT004", "channels-in-a-flake", "channel lookups or nix-channel in a flake repository")
def channels_in_flake(repo: Repo) -> Iterator[Finding]:
    if not repo.flakes or repo.teaches_channels:
        return
    for f in repo.nix_files:
        if repo.flake_for(f.rel) is None or f.rel.rsplit("/", 1)[-1] in ("shell.nix", "default.nix"):
            continue
        for line, column, lookup in f.channel_lookups:
            yield finding("NBT004", f.rel, line, column,
                          f"{lookup} reads a channel in a repository with flake.nix",
                          "channels drift independently of flake.lock, and pure flake evaluation "
                          "refuses the lookup",
                          "use the flake's inputs (pass `inputs` through specialArgs)")
    if repo.has_flake:
        for rel, line, col in channel_commands(repo):
            yield finding("NBT004", rel, line, col, "nix-channel in a repository with flake.nix",
                          "channels drift independently of flake.lock",
                          "pin with flake inputs and update with nix flake update")


def _is_readfile(node: object) -> bool:
    fn = getattr(node, "child_by_field_name", lambda _n: None)("function")
    return fn is not None and text(fn).split(".")[-1] == "readFile"


def _holds_private_key(root: Path, rel: str, path_text: str) -> bool:
    """A key by name (id_ed25519, *.key), or a .pem / keys.txt whose content is a private key."""
    if path_text.endswith(".pub"):
        return False
    if PRIVATE_KEY_NAME.search(path_text):
        return True
    if not MAYBE_KEY.search(path_text):
        return False
    target = root / posixpath.normpath(posixpath.join(posixpath.dirname(rel), path_text))
    try:
        head = target.read_bytes()[:65536]
    except OSError:
        return path_text.endswith("keys.txt")  # an age key file kept out of git
    return b"PRIVATE KEY" in head or b"AGE-SECRET-KEY" in head


@file_rule("NBT012", "secret-in-store", "a secret or private key read into the Nix store", "error")
def secret_in_store(ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    for node in f.nodes("path"):
        if _holds_private_key(ctx.root, f.rel, text(node)):
            yield finding("NBT012", f.rel, node.start_point[0] + 1, node.start_point[1] + 1,
                          f"{text(node)} is a private key as a path literal",
                          "a path literal copies the file into /nix/store, which every user "
                          "and process can read",
                          'refer to it as a string ("/var/lib/...") that only exists on the machine')
    for node in f.nodes("apply") if b"readFile" in f.source else []:
        arg = node.child_by_field_name("argument")
        if _is_readfile(node) and arg is not None:
            target = string_value(arg) or text(arg)
            if (SECRETISH.search(target) and not target.endswith(CODE_SUFFIXES)) or \
                    _holds_private_key(ctx.root, f.rel, target):
                yield finding("NBT012", f.rel, node.start_point[0] + 1, node.start_point[1] + 1,
                              f"builtins.readFile {target} puts its content into the store",
                              "evaluation copies the content into derivations in /nix/store, "
                              "readable by everyone; encryption at rest is lost",
                              "let sops-nix or agenix decrypt it at activation and use the "
                              "runtime path (config.sops.secrets.<n>.path)")


@file_rule("NBT013", "password-in-repo", "a password or password hash written in the repository", "error")
def password_in_repo(_ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    reported: set[int] = set()
    if b"assword" not in f.source:
        return
    for s in f.settings:
        users = len(s.path) >= 4 and s.path[:2] in (("users", "users"), ("users", "extraUsers"))
        if (users and s.path[-1] in PASSWORD_OPTIONS
                and isinstance(s.literal, str) and s.literal not in ("", "!", "*")):
            reported.add(s.line)
            yield finding("NBT013", f.rel, s.line, 1, f"{'.'.join(s.path)} is written in the repository",
                          "the repository and the world-readable store keep it forever; hashes "
                          "can be cracked offline",
                          "use hashedPasswordFile from sops-nix or agenix (or set it with passwd)")
        elif (users and s.path[-1] in ("hashedPassword", "initialHashedPassword") and s.literal == ""):
            reported.add(s.line)
            yield finding("NBT013", f.rel, s.line, 1,
                          f"users.users.{s.path[2]}.{s.path[-1]} is empty: anyone can log in as "
                          f"{s.path[2]} without a password",
                          "an empty hash is a valid, empty password, not a locked account",
                          'lock the account with "!" or give it a hashedPasswordFile')
    # Hashes wherever they are bound: a variables file users.users inherits from, a service's
    # user list (mosquitto), a module kept in a let. A test VM's throwaway login is no secret,
    # nor is a template's placeholder.
    template = f.rel.startswith("templates/") or "/templates/" in f.rel
    for where, line, value, in_vm in f.passwords if not template else ():
        if line not in reported and not in_vm and isinstance(value, str) and PASSWORD_HASH.match(value):
            reported.add(line)
            yield finding("NBT013", f.rel, line, 1, f"{where} is a password hash written in the repository",
                          "the repository and the world-readable store keep it forever; hashes "
                          "can be cracked offline",
                          "keep it in sops-nix or agenix and point the service at the decrypted file")


def _keeps_window(options: str) -> bool:
    """--delete-older-than keeps recent generations; --max-freed only frees so much."""
    return "--delete-older-than" in options or "--max-freed" in options or not GC_ALL.search(
        "nix-collect-garbage " + options)


@rule("NBT014", "gc-deletes-every-generation", "garbage collection without a retention window")
def gc_commands(repo: Repo) -> Iterator[Finding]:
    yield from gc_scripts(repo)


@file_rule("NBT014")
def gc_settings(_ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    for s in f.settings:
        if s.path[-3:] == ("nix", "gc", "options") and isinstance(s.literal, str) and \
                not _keeps_window(s.literal):
            yield finding("NBT014", f.rel, s.line, 1, f"nix.gc.options = {s.literal!r} keeps no window",
                          "without a window every old generation can go, and with it every rollback",
                          'set nix.gc.options = "--delete-older-than 30d"')
    # Commands inside Nix strings: shellAliases, writeShellScript bodies, activation scripts.
    if b"nix-collect-garbage" not in f.source and b"delete-generations" not in f.source and \
            b"wipe-history" not in f.source:
        return
    for node in f.nodes("string"):
        if node.parent is not None and node.parent.type in ("string_expression",):
            continue
        body = text(node)
        for match in GC_ALL.finditer(body):
            line_text = body[: match.end()].rsplit("\n", 1)[-1] + body[match.end():].split("\n", 1)[0]
            if "--dry-run" in line_text or line_text.lstrip().startswith("#"):
                continue
            line = node.start_point[0] + 1 + body[: match.start()].count("\n")
            yield finding("NBT014", f.rel, line, 1, f"{match.group(0)!r} deletes every old generation",
                          "with no old generation left there is nothing to roll back to when "
                          "the next switch breaks the machine",
                          "keep a window: nix-collect-garbage --delete-older-than 30d, nix profile wipe-history "
                       "--older-than 30d (or nix.gc with it)")


@functools.cache
def removed_options() -> list[dict[str, str]]:
    data = resources.files("scaffold.data").joinpath("removed-options.tsv").read_text()
    lines = [line for line in data.splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"))


@functools.cache
def _removed_by_first_names() -> dict[tuple[str, ...], list[dict[str, str]]]:
    """Entries indexed by their first two attributes (one for a one-name option), so each
    setting meets only its candidates; a placeholder (`<name>`) second name is indexed as "<>"."""
    out: dict[tuple[str, ...], list[dict[str, str]]] = {}
    for entry in removed_options():
        names = entry["option"].split(".")[:2]
        if len(names) == 2 and (names[1].startswith("<") or names[1] == "*"):
            names[1] = "<>"
        out.setdefault(tuple(names), []).append(entry)
    return out


def _removed_candidates(path: tuple[str, ...]) -> list[dict[str, str]]:
    index = _removed_by_first_names()
    return index.get(path[:2], []) + index.get((path[0], "<>"), []) + index.get(path[:1], []) \
        if path else []


def _matches(pattern: str, path: tuple[str, ...]) -> bool:
    parts = pattern.split(".")
    if parts[-1] == "*":
        parts = parts[:-1]
        path = path[: len(parts)]
    return len(parts) == len(path) and all(
        p == q or (p.startswith("<") and p.endswith(">")) for p, q in zip(parts, path, strict=True))


def _system_path(path: tuple[str, ...]) -> tuple[str, ...]:
    """The option a setting sets inside a whole NixOS configuration nested in this one (the VM
    variants, a specialisation): the same modules evaluate it, renames and removals included."""
    for _ in range(4):
        if path[:2] in (("virtualisation", "vmVariant"), ("virtualisation", "vmVariantWithBootLoader")):
            path = path[2:]
        elif path[:1] == ("specialisation",) and path[2:3] == ("configuration",):
            path = path[3:]
        else:
            break
    return path


@file_rule("NBT015", "removed-option", "an option removed or renamed before the pinned release", "error",
           used_files_only=True)
def removed_option(ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    pinned = ctx.pinned_release
    for s in f.settings:
        path = _system_path(s.path)
        for entry in _removed_candidates(path):
            if not _matches(entry["option"], path):
                continue
            if pinned and releases.version_key(pinned) < releases.version_key(entry["since"]):
                continue
            where = f"NixOS {pinned}" if pinned else "current releases"
            yield finding("NBT015", f.rel, s.line, 1,
                          f"{'.'.join(path)} no longer exists in {where} (gone since {entry['since']})",
                          f"evaluation fails or warns; source: {entry['source']}",
                          f"use {entry['replacement']}")
            break


@file_rule("NBT017", "does-not-parse", "a Nix file or flake.lock that Nix refuses", "error",
           used_files_only=True)
def does_not_parse(_ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    problem = f.parse_problem
    if problem is not None:
        yield finding("NBT017", f.rel, problem.line, problem.column,
                      f"Nix refuses {f.rel}: {problem.message}",
                      "nothing in it can be evaluated, and every host that imports it fails",
                      "fix the file at this line (nix-instantiate --parse shows the same error)")


@rule("NBT017")
def lock_does_not_parse(repo: Repo) -> Iterator[Finding]:
    for flake in repo.flakes:
        if flake.lock_present and flake.lock is None:
            yield finding("NBT017", flake.lock_rel, 1, 1, f"{flake.lock_rel} is not a flake lock file",
                          "Nix refuses the flake, and no input can be checked",
                          "restore it from git, or regenerate it with nix flake lock")
    if "flake.lock" in repo.files and not repo.flakes:
        from scaffold.check.flakes import _read_lock

        if _read_lock(repo.root / "flake.lock") is None:
            yield finding("NBT017", "flake.lock", 1, 1, "flake.lock is not a flake lock file",
                          "Nix refuses the flake, and no input can be checked",
                          "restore it from git, or regenerate it with nix flake lock")


@file_rule("NBT019", "too-deep-to-check", "a file nested too deep for the checker to read", "warning")
def too_deep(_ctx: FileContext, f: NixFile) -> Iterator[Finding]:
    if f.too_deep:
        yield finding("NBT019", f.rel, 1, 1, f"{f.rel} nests more than {DEPTH_LIMIT:,} levels deep and "
                      "was not checked", "no rule read it: its settings, imports and secrets are unknown "
                      "to this check", "split the expression (a generated file: generate it as a list or "
                      "a set instead of one long chain), or keep it out of the repository")
