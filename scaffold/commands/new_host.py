"""nixbtw new host."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scaffold.answers import (
    Answers,
    apply_set,
    build_spec,
    dump_yaml,
    load_file,
    refuse_repeated_sets,
    to_answers,
    today,
)
from scaffold.api import new_host
from scaffold.errors import FileExistsConflict, InputError, UsageError


def collect(args: argparse.Namespace) -> Answers:
    """Answers file, then the HOSTNAME argument, then --set: later ones override earlier ones."""
    refuse_repeated_sets(args.sets)
    answers: Answers = load_file(args.answers) if args.answers else {}
    if args.hostname is not None:
        overridden = any(s.startswith("hostname=") for s in args.sets)
        if "hostname" in answers and answers["hostname"] != args.hostname and not overridden:
            raise UsageError("HOSTNAME", f"{args.hostname!r} as the argument but "
                             f"{answers['hostname']!r} in {args.answers}",
                             "give the host name once (drop the argument or fix the file)")
        answers["hostname"] = args.hostname
    for assignment in args.sets:
        apply_set(answers, assignment)
    if args.facter:
        prefill_from_facter(answers, Path(args.facter).expanduser(), ask=not args.non_interactive)
    if args.hostname is not None and answers.get("hostname") != args.hostname:
        raise UsageError("HOSTNAME", f"{args.hostname!r} as the argument but "
                         f"{answers.get('hostname')!r} with --set", "give the host name once")
    return answers


def prefill_from_facter(answers: Answers, report: Path, *, ask: bool = False) -> None:
    """Answers the machine itself gives: only where the user gave none."""
    from scaffold.facter import read_facter

    facts = read_facter(report)
    if answers.get("lane") in ("darwin", "home-manager"):
        return  # not NixOS: the machine's hardware is not nixbtw's to configure
    if facts.system and "system" not in answers:
        answers["system"] = facts.system
    if facts.firmware and answers.get("lane", "nixos-flake") in ("nixos-flake", "nixos-channels"):
        boot = answers.setdefault("boot", {})
        if isinstance(boot, dict):
            boot.setdefault("firmware", facts.firmware)
    hardware = answers.setdefault("hardware", {})
    if isinstance(hardware, dict):
        hardware.setdefault("cpu", facts.cpu)
        hardware.setdefault("gpu", list(facts.gpus))
    disk = answers.get("disk")
    seen = [d.by_id for d in facts.disks]
    if isinstance(disk, dict) and disk.get("layout", "none") != "none":
        device = disk.get("device")
        if device is None and len(seen) == 1:
            disk["device"] = seen[0]
        elif device is None and seen and not ask:
            raise InputError("disk.device", f"the report saw {len(seen)} disks: {', '.join(seen)}",
                             "pick one with --set disk.device=...")
        elif device is not None and device not in {n for d in facts.disks for n in d.names}:
            raise InputError("disk.device", f"{device} is not a disk the report saw",
                             f"use one of {', '.join(seen) or '(none)'}")
    answers["_facter_disks"] = seen


def run(args: argparse.Namespace) -> int:
    on = today()
    answers = collect(args)
    facter_disks: list[str] = answers.pop("_facter_disks", None) or []
    if not args.out.strip():
        raise UsageError("--out", "is empty", "give a directory, or leave --out out for the current one")
    out = Path(args.out).expanduser()
    save_to = Path(args.save_answers).expanduser() if args.save_answers else None
    if save_to is not None and save_to.is_dir():
        raise UsageError("--save-answers", f"{save_to} is a directory", "name a file, e.g. answers.yaml")
    if save_to is not None and save_to.exists() and not args.force:
        raise FileExistsConflict("--save-answers", f"{save_to} already exists",
                                 "pass --force to overwrite it, or choose another file")
    if args.non_interactive:
        spec = build_spec(answers, on=on)
    else:
        if not sys.stdin.isatty():
            raise UsageError("--non-interactive", "standard input is not a terminal, so "
                             "nothing can be asked", "pass --non-interactive (with --answers or --set)")
        from scaffold.interview import interview

        spec = interview(answers, on=on, out=out, disks=facter_disks)
    result = new_host(spec, out, on=on, force=args.force, keep=save_to)
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        save_to.write_text(dump_yaml(to_answers(spec)), encoding="utf-8")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _report(result, save_to)
    return 0


def _report(result: object, save_to: Path | None) -> None:
    from scaffold.api import NewHost

    assert isinstance(result, NewHost)
    plan = result.rendered.plan
    spec = plan.spec
    err = sys.stderr
    print(f"nixbtw: {spec.hostname} ({spec.lane}, NixOS {spec.release}) written to {result.out}", file=err)
    for rel in result.written.written:
        if rel not in result.written.modified:
            print(f"  + {rel}", file=err)
        elif rel in result.repo_updated:
            print(f"  ~ {rel} (merged with your edits)", file=err)
        else:
            print(f"  ~ {rel}", file=err)
    for rel in result.written.skipped:
        print(f"  = {rel} (exists, kept)", file=err)
    if save_to is not None:
        print(f"  answers saved to {save_to}", file=err)
    if result.written.git_added:
        print("  staged with git add: a flake only sees files git tracks", file=err)
    elif "ignored" in result.written.stage_error:
        print(f"  not staged: {result.out} is ignored by the git repository around it; make it a "
              f"repository of its own: cd {result.out} && git init && git add -A", file=err)
    elif result.written.stage_error:
        print(f"  not staged ({result.written.stage_error}); `git add` the files yourself", file=err)
    elif not result.written.in_git and spec.lane != "nixos-channels":
        print("  not a git repository yet: run `git init && git add -A` "
              "(a flake only sees files git tracks)", file=err)
    for line in plan.unfree_lines():
        print(f"  {line}", file=err)
    for note in result.notes:
        print(f"  note: {note}", file=err)
    readme = plan.path("README.md")
    print(f"next: follow {readme}; in short:", file=err)
    for step in next_steps(result):
        print(f"  {step}", file=err)


def next_steps(result: object) -> list[str]:
    from scaffold.api import NewHost

    assert isinstance(result, NewHost)
    plan = result.rendered.plan
    spec, host = plan.spec, plan.spec.hostname
    if spec.lane == "darwin":
        darwin = [f"sudo nix run nix-darwin/{plan.release.nix_darwin}#darwin-rebuild -- switch --flake .#{host}"]
        if spec.hm_mode == "standalone":
            darwin += [f"each user, the first time: nix build '.#homeConfigurations.\"{plan.home_configuration_name(u)}"
                       "\".activationPackage' && ./result/activate" for u in plan.home_users()]
        return darwin
    if spec.lane == "home-manager":
        return [f"nix build '.#homeConfigurations.\"{plan.home_configuration_name(u)}\".activationPackage' "
                "&& ./result/activate" for u in plan.home_users()]
    if spec.lane == "nixos-wsl":
        return [f"inside NixOS-WSL: sudo nixos-rebuild boot --flake .#{host}, then restart WSL"]
    if spec.lane == "nixos-channels":
        return ["copy the files to /etc/nixos, add the channels the README lists",
                "sudo nixos-generate-config && sudo nixos-rebuild switch"]
    hw = plan.path("hardware-configuration.nix")
    if spec.disk.layout != "none":
        steps = [f"install with nixos-anywhere: nixbtw bootstrap {host} --target root@<address>",
                 f"(or by hand: disko, then nixos-generate-config --no-filesystems --root /mnt "
                 f"--show-hardware-config > {hw}, then nixos-install --flake .#{host})"]
    else:
        steps = [f"on the machine: nixos-generate-config --show-hardware-config > {hw}",
                 f"sudo nixos-rebuild switch --flake .#{host}"]
    if spec.hm_mode == "standalone":
        steps += [f"each user, the first time: nix build '.#homeConfigurations.\"{plan.home_configuration_name(u)}\"."
                  "activationPackage' && ./result/activate" for u in plan.home_users()]
    return steps
