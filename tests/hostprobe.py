"""Read what a rendered host really says, by evaluating its files with real Nix.

nixpkgs cannot be evaluated here, so each module file is called with stand-in
arguments (a `lib` whose mk* functions unwrap their value, a `pkgs` that is never
forced, the flake's own inputs exposing only the modules nixbtw knows they
have) and only literal settings are read back. The first-boot guarantees are
then checked against those settings, not against nixbtw's own plan.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from scaffold import options, profiles, releases
from scaffold.spec import HostSpec

# Every setting a guarantee depends on; read from each module file.
PROBES: dict[str, list[str]] = {
    "hostPlatform": ["nixpkgs", "hostPlatform"],
    "timeZone": ["time", "timeZone"],
    "mutableUsers": ["users", "mutableUsers"],
    "sshd": ["services", "openssh", "enable"],
    "hostKeys": ["services", "openssh", "hostKeys"],
    "wheelNeedsPassword": ["security", "sudo", "wheelNeedsPassword"],
    "sudoRules": ["security", "sudo", "extraRules"],
    "systemdBoot": ["boot", "loader", "systemd-boot", "enable"],
    "grub": ["boot", "loader", "grub"],
    "efiVariables": ["boot", "loader", "efi", "canTouchEfiVariables"],
    "extlinux": ["boot", "loader", "generic-extlinux-compatible", "enable"],
    "wsl": ["wsl", "enable"],
    "wslUser": ["wsl", "defaultUser"],
    "sopsKeys": ["sops", "age", "sshKeyPaths"],
    "sopsKeyFile": ["sops", "age", "keyFile"],
    "ageIdentities": ["age", "identityPaths"],
    "homePackages": ["home", "packages"],
    "primaryUser": ["system", "primaryUser"],
    "disk": ["disko", "devices", "disk", "main", "content", "partitions"],
}

_HARNESS = r"""
{ file, modulesJSON, probesJSON, pkgsJSON }:
let
  known = builtins.fromJSON modulesJSON;
  probes = builtins.fromJSON probesJSON;
  lib = {
    mkDefault = x: x;
    mkForce = x: x;
    mkOverride = _: x: x;
    mkIf = c: x: if c then x else { };
    getName = p: p;
  };
  stubModules = name: kind:
    builtins.mapAttrs (m: _: { _stub = "${name}.${kind}.${m}"; }) (known.${name}.${kind} or { });
  stubInput = name: {
    nixosModules = stubModules name "nixosModules";
    darwinModules = stubModules name "darwinModules";
  };
  flake = if builtins.pathExists ./flake.nix then import ./flake.nix else { inputs = { }; };
  inputs = builtins.mapAttrs (name: _: stubInput name) flake.inputs;
  setIn = set: path: value:
    if path == [ ] then value
    else set // { ${builtins.head path} = setIn (set.${builtins.head path} or { }) (builtins.tail path) value; };
  # Only the packages the answers name exist: any other pkgs.X fails to evaluate.
  pkgs = builtins.foldl' (acc: path: setIn acc path { _stub = builtins.concatStringsSep "." path; }) { }
    (builtins.fromJSON pkgsJSON);
  config = { };
  raw = import file;
  wanted = if builtins.isFunction raw then builtins.functionArgs raw else { };
  given = { inherit lib pkgs config inputs; modulesPath = ./.; options = { }; };
  cfg = if builtins.isFunction raw then raw (builtins.intersectAttrs wanted given) else raw;
  get = path: set:
    if path == [ ] then set
    else if builtins.isAttrs set && set ? ${builtins.head path} then get (builtins.tail path) set.${builtins.head path}
    else null;
  literal = v:
    if builtins.isList v then map literal v
    else if builtins.isPath v then "path:" + baseNameOf v
    else if builtins.isAttrs v then
      (if v ? _stub then "stub:" + v._stub else builtins.mapAttrs (_: literal) v)
    else v;
  users = get [ "users" "users" ] cfg;
in
{
  # name -> has a default; a module function is called with exactly these.
  formals = wanted;
  imports = map literal (cfg.imports or [ ]);
  settings = builtins.mapAttrs (_: path: literal (get path cfg)) probes;
  users = if users == null then { } else builtins.mapAttrs (_: u: {
    hashedPasswordFile = u ? hashedPasswordFile;
    keys = (u.openssh or { }).authorizedKeys.keys or [ ];
    groups = u.extraGroups or [ ];
  }) users;
}
"""

def known_modules() -> dict[str, dict[str, dict[str, bool]]]:
    """The modules each flake input is verified to export (scaffold/data/options.tsv)."""
    out: dict[str, dict[str, dict[str, bool]]] = {}
    for entry in options.table():
        if entry.scope != "flake":
            continue
        parts = entry.option.removeprefix("flake:").split(".")
        if len(parts) == 3 and parts[1] in ("nixosModules", "darwinModules") and "<" not in parts[2]:
            out.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = True
    hardware = out.setdefault("nixos-hardware", {}).setdefault("nixosModules", {})
    hardware.update(dict.fromkeys(profiles.names(), True))
    return out


def package_paths(spec: HostSpec) -> list[list[str]]:
    """Every pkgs attribute a host of these answers may use."""
    names = [*spec.packages.system, *(u.shell for u in spec.users),
             "lixPackageSets.stable.lix", "linuxPackages_latest",
             *(f"linuxPackages_{k.replace('.', '_')}" for k in releases.get(spec.release or "").kernels)]
    return [n.split(".") for n in names]


def probe(root: Path, rel: str, spec: HostSpec, env: dict[str, str]) -> dict[str, Any]:
    """Evaluate one module file of the rendered tree and read its settings."""
    harness = root / ".probe.nix"
    harness.write_text(_HARNESS, encoding="utf-8")
    # The channels lane imports <home-manager/nixos>; a stand-in channel answers it.
    channel = root / ".probe-channels" / "home-manager" / "nixos"
    channel.mkdir(parents=True, exist_ok=True)
    (channel / "default.nix").write_text('{ _stub = "channel:home-manager/nixos"; }\n', encoding="utf-8")
    proc = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", str(harness),
         "-I", f"home-manager={channel.parent}",
         "--arg", "file", f"./{rel}", "--argstr", "modulesJSON", json.dumps(known_modules()),
         "--argstr", "probesJSON", json.dumps(PROBES),
         "--argstr", "pkgsJSON", json.dumps(package_paths(spec))],
        cwd=root, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{rel} does not evaluate with its flake's inputs:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def merged(root: Path, entry: str, spec: HostSpec, env: dict[str, str]) -> dict[str, Any]:
    """A host's settings over the module file and every local file it imports."""
    seen: dict[str, dict[str, Any]] = {}
    todo = [entry]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen[rel] = probe(root, rel, spec, env)
        folder = str(Path(rel).parent)
        for imp in seen[rel]["imports"]:
            if isinstance(imp, str) and imp.startswith("path:") and imp.endswith(".nix"):
                todo.append(str(Path(folder) / imp.removeprefix("path:")))
    host: dict[str, Any] = {"files": seen, "settings": {}, "users": {}, "modules": []}
    for data in seen.values():
        for key, value in data["settings"].items():
            if value is not None:
                host["settings"].setdefault(key, []).append(value)
        for name, user in data["users"].items():
            into = host["users"].setdefault(name, {"hashedPasswordFile": False, "keys": [], "groups": []})
            into["hashedPasswordFile"] |= user["hashedPasswordFile"]
            into["keys"] += user["keys"]
            into["groups"] += user["groups"]
        host["modules"] += [i for i in data["imports"] if isinstance(i, str) and i.startswith("stub:")]
    return host


def one(host: dict[str, Any], key: str) -> Any:
    """The single value a setting has across the host's files (None when unset)."""
    values = host["settings"].get(key, [])
    assert len(values) <= 1 or all(v == values[0] for v in values), f"{key} set differently: {values}"
    return values[0] if values else None
