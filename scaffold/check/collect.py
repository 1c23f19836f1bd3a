"""The per-file pass: parse each Nix file once, run the rules that need only that file, and
keep what the whole-repository rules need as plain data (facts.FileFacts).

Parsing and walking trees is most of the work of a check. Plain data crosses process
boundaries, so a repository with many files is read by a pool of processes, one per core;
a small one stays in this process, where start-up costs nothing.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scaffold import nixparse
from scaffold.check.facts import Fact, FileFacts
from scaffold.check.model import REGISTRY, Finding
from scaffold.check.nixfile import NixFile

# Below this many Nix files, starting processes costs more than it saves.
POOL_FROM = 200
# What whole-repository rules read of a setting's value (the rest is never computed): its
# literal for these paths, its source text for those.
_LITERAL_PATHS = frozenset({("services", "xserver", "videoDrivers"), ("system", "stateVersion"),
                            ("home", "stateVersion")})
_TEXT_PATHS = frozenset({("boot", "kernelPackages")})


@dataclass(frozen=True, slots=True)
class FileContext:
    """What a per-file rule may know about the repository."""

    root: Path
    pinned_release: str | None
    rules: frozenset[str]


def file_facts(ctx: FileContext, f: NixFile) -> FileFacts:
    if "NBT019" in ctx.rules and f.too_deep:
        # Every other rule's queries would take minutes on it: only the warning, and Nix's own
        # verdict where bracket nesting is what makes it deep (that check needs no query).
        rules = ["NBT019", *(["NBT017"] if "NBT017" in ctx.rules and any(
            opener * 256 in f.source for opener in (b"(", b"[", b"{")) else [])]
        return FileFacts(rel=f.rel, findings=tuple(
            found for rule_id in rules for found in REGISTRY[rule_id].per_file(ctx, f)))  # type: ignore[misc]
    findings: list[Finding] = []
    for rule_id in sorted(ctx.rules):
        per_file = REGISTRY[rule_id].per_file
        if per_file is not None:
            findings.extend(per_file(ctx, f))
    # enable options keep their literal: a module whose config waits for one nobody turns on is parked
    settings = tuple(Fact(s.path, s.line, s.literal if s.path in _LITERAL_PATHS or s.path[-1:] == ("enable",)
                          else nixparse.UNKNOWN,
                          nixparse.text(s.value) if s.path in _TEXT_PATHS else "")
                     for s in f.settings)
    lookups = tuple((n.start_point[0] + 1, n.start_point[1] + 1, nixparse.text(n))
                    for n in f.nodes("spath") if not _in_default(n))
    return FileFacts(rel=f.rel, settings=settings, imports=tuple(f.imports), zfs_line=f.zfs_line,
                     declares_options=f.declares_options, guard=f.guard, roots=tuple(f.roots), exports=tuple(f.exports),
                     named_modules=tuple(f.named_modules), channel_lookups=lookups,
                     findings=tuple(findings), path_refs=_path_refs(f), string_names=_string_names(f),
                     empty=all(c.type == "comment" for c in f.tree.root_node.named_children))


def _path_refs(f: NixFile) -> tuple[str, ...]:
    """Files and folders named by path literals that are not imports (readDir ./modules,
    "${./hosts}/${name}", src = ./x): imports are facts of their own."""
    base = posixpath.dirname(f.rel)
    imported = {i.line for i in f.imports}
    out = set()
    for node in f.nodes("path"):
        if node.start_point[0] + 1 in imported and _imported_path(node):
            continue
        full = nixparse.text(node)
        if "${" in full and _DATA_FILE.search(full):
            continue  # ../../${host}/ssh_host_ed25519_key.pub: data files of each folder, no module
        raw = full.split("${", 1)[0]
        if raw.startswith((".", "/")) and not raw.startswith("/"):
            out.add(posixpath.normpath(posixpath.join(base, raw.rstrip("/") or ".")))
    return tuple(sorted(out))


_DATA_FILE = re.compile(r"\.(?!nix$)[A-Za-z0-9]{1,5}$")


def _imported_path(node: object) -> bool:
    """A path that is a modules-list item or the argument of `import`."""
    parent = getattr(node, "parent", None)
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None:
        return False
    if parent.type == "list_expression":
        return True
    fn = parent.child_by_field_name("function") if parent.type == "apply_expression" else None
    return fn is not None and fn.text == b"import"


# A file a string names: "${self}/modules/x.nix", "${./hosts}/${name}/x", "../desktop" (its last
# component, or one followed by .nix); "/nix/store" and "share/gnome/..." name no module.
_NAME = re.compile(rb"/([\w+-]+)(?:\.nix)?(?=$|\.nix|/default\.nix|[\"'\s;])")


def _string_names(f: NixFile) -> frozenset[str]:
    """Files strings name ("${self}/modules/x.nix" -> x, "${self}/modules/desktop" -> desktop);
    long strings are scripts and prose, not references to files of the repository."""
    out: set[bytes] = set()
    for node in f.nodes("string"):
        body = node.text or b""
        if b"/" in body and len(body) <= 512:
            out.update(_NAME.findall(body))
    return frozenset(name.decode("utf-8", "replace").removesuffix(".nix") for name in out)


def _in_default(node: object) -> bool:
    """`{ pkgs ? import <nixpkgs> { } }:` is a fallback for nix-shell users, not a mix."""
    parent = getattr(node, "parent", None)
    while parent is not None:
        if parent.type == "formal":
            return True
        parent = parent.parent
    return False


def _read(ctx: FileContext, rels: Sequence[str]) -> list[FileFacts]:
    out = []
    for rel in rels:
        f = NixFile.read(ctx.root, rel)
        if f is not None:
            out.append(file_facts(ctx, f))
    return out


def _worker(job: tuple[FileContext, list[str]]) -> list[FileFacts]:
    return _read(*job)


def workers(files: int) -> int:
    """Processes for this many files: one per usable core, one when the pool would not pay."""
    if files < POOL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores)


# yadm keeps one file per host as `configuration.nix##hostname.x` and links the matching one.
_ALTERNATE = re.compile(r"\.nix##[^/]+$")


def is_nix(rel: str) -> bool:
    """A Nix file: *.nix, or a yadm alternate of one."""
    return rel.endswith(".nix") or ("##" in rel and _ALTERNATE.search(rel) is not None)


def collect(ctx: FileContext, rels: Sequence[str], jobs: int | None = None) -> list[FileFacts]:
    """FileFacts of every Nix file, in the order given."""
    nix = [rel for rel in rels if is_nix(rel)]
    count = workers(len(nix)) if jobs is None else max(1, jobs)
    if count == 1:
        return _read(ctx, nix)
    # Interleaved slices spread the big files; fork shares the loaded parser and rules.
    slices = [nix[i::count * 4] for i in range(count * 4)]
    gc.freeze()  # the workers' collector then leaves the parent's objects (and their pages) alone
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            parts = pool.map(_worker, [(ctx, part) for part in slices], chunksize=1)
    finally:
        gc.unfreeze()
    order = {rel: i for i, rel in enumerate(nix)}
    return sorted((facts for part in parts for facts in part), key=lambda x: order[x.rel])
