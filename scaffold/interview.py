"""The interview: questionary prompts walking the spec.

Help texts, choices and validation all come from scaffold.spec; this module
only decides the order and which questions apply. Answers given on the
command line (--answers/--set/HOSTNAME) are not asked again.
"""

from __future__ import annotations

import copy
import datetime as dt
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import questionary
import yaml
from pydantic import BaseModel, ValidationError

from scaffold import profiles, releases
from scaffold.answers import Answers, build_spec, problems_from, set_path, to_answers
from scaffold.errors import Aborted, InputError
from scaffold.spec import (
    DARWIN_SYSTEMS,
    LINUX_SYSTEMS,
    HostSpec,
    Packages,
    User,
    timezones,
)

Get = Callable[[str], Any]


def _field(path: str) -> tuple[type[BaseModel], str]:
    model: type[BaseModel] = HostSpec
    parts = [p for p in path.split(".") if not p.isdigit()]
    for part in parts[:-1]:
        ann = model.model_fields[part].annotation
        if typing.get_origin(ann) is list:
            ann = typing.get_args(ann)[0]
        assert isinstance(ann, type) and issubclass(ann, BaseModel)
        model = ann
    return model, parts[-1]


def help_text(path: str) -> str:
    model, name = _field(path)
    return model.model_fields[name].description or name


def choices(path: str) -> list[str]:
    model, name = _field(path)
    ann = model.model_fields[name].annotation
    for arg in (ann, *typing.get_args(ann)):
        if typing.get_origin(arg) is typing.Literal:
            return [str(a) for a in typing.get_args(arg)]
        for inner in typing.get_args(arg):
            if typing.get_origin(inner) is typing.Literal:
                return [str(a) for a in typing.get_args(inner)]
    raise KeyError(path)


def get(answers: Answers, path: str, default: Any = None) -> Any:
    node: Any = answers
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return default
    return node


def put(answers: Answers, path: str, value: Any) -> None:
    set_path(answers, path.split("."), value)


def field_error(answers: Answers, path: str, value: Any) -> str | None:
    """Validate one answer in context; None when it is fine."""
    trial = copy.deepcopy(answers)
    trial.setdefault("hostname", "probe")
    trial.setdefault("users", [{"name": "probe"}])
    put(trial, path, value)
    try:
        HostSpec.model_validate(trial)
    except ValidationError as err:
        for p in problems_from(err):
            if p.field == path or p.field.startswith(path + "."):
                return f"{p.problem}; {p.fix}"
    return None


def _ask(question: Any) -> Any:
    try:
        answer = question.unsafe_ask()
    except (KeyboardInterrupt, EOFError):
        raise Aborted() from None
    return answer


def _validator(answers: Answers, path: str, convert: Callable[[str], Any]) -> Callable[[str], bool | str]:
    def check(text: str) -> bool | str:
        return field_error(answers, path, convert(text)) or True
    return check


def _words(text: str) -> list[str]:
    return text.replace(",", " ").split()


def _optional(text: str) -> str | None:
    return text.strip() or None


class Interview:
    def __init__(self, given: Answers, *, on: dt.date) -> None:
        self.given = given
        self.answers: Answers = copy.deepcopy(given)
        self.on = on
        # Disks a nixos-facter report saw: when known, the only ones offered.
        self.disks: list[str] = []

    def was_given(self, path: str) -> bool:
        return get(self.given, path, _MISSING) is not _MISSING

    # ---- question kinds ------------------------------------------------

    def text(self, path: str, message: str, *, default: str = "",
             convert: Callable[[str], Any] = lambda s: s.strip(), **kw: Any) -> None:
        if self.was_given(path):
            return
        current = get(self.answers, path, None)
        shown = default if current is None else (
            " ".join(current) if isinstance(current, list) else str(current))
        value = _ask(questionary.text(
            message, default=shown, instruction=f"({help_text(path)})",
            validate=_validator(self.answers, path, convert), **kw))
        put(self.answers, path, convert(value))

    def select(self, path: str, message: str, options: list[str], default: str) -> str:
        if self.was_given(path):
            return str(get(self.answers, path))
        current = get(self.answers, path, None)
        default = current if current in options else default
        value = _ask(questionary.select(message, choices=options, default=default,
                                        instruction=f"({help_text(path)})"))
        put(self.answers, path, value)
        return str(value)

    def confirm(self, path: str, message: str, default: bool) -> bool:
        if self.was_given(path):
            return bool(get(self.answers, path))
        current = get(self.answers, path, None)
        value = bool(_ask(questionary.confirm(
            message, default=default if current is None else bool(current),
            instruction=f" ({help_text(path)}) ")))
        put(self.answers, path, value)
        return value

    # ---- the interview -------------------------------------------------

    def run(self) -> Answers:
        self.text("hostname", "Host name:")
        lane = self.select("lane", "What are you setting up?", choices("lane"), "nixos-flake")
        systems = list(DARWIN_SYSTEMS if lane == "darwin" else LINUX_SYSTEMS)
        self.select("system", "Platform:", systems, systems[0])
        nix_options = [n for n in choices("nix") if not (lane == "nixos-channels" and n == "determinate")]
        self.select("nix", "Nix implementation:", nix_options, "nix")
        newest = releases.newest_stable(self.on).version
        self.select("release", "Release:", releases.known_versions(), newest)
        if lane != "home-manager":
            zone = _local_timezone()
            self.autocomplete("timezone", "Time zone:", sorted(timezones()), zone)
        if lane not in ("home-manager", "darwin"):
            self.text("locale", "Default locale:", default="en_US.UTF-8")
        if lane in ("nixos-flake", "nixos-channels", "nixos-wsl"):
            self.nixos(lane)
        if lane in ("nixos-flake", "darwin", "nixos-wsl"):
            self.secrets()
        self.users(lane)
        modes = {"nixos-flake": ["none", "nixos-module", "standalone"],
                 "nixos-channels": ["none", "nixos-module"],
                 "nixos-wsl": ["none", "nixos-module", "standalone"],
                 "darwin": ["none", "darwin-module", "standalone"],
                 "home-manager": ["standalone"]}[lane]
        if len(modes) > 1:
            self.select("home_manager.mode", "home-manager:", modes, modes[0])
        self.packages()
        if lane == "darwin":
            self.darwin()
        return self.answers

    def autocomplete(self, path: str, message: str, options: list[str], default: str) -> None:
        if self.was_given(path):
            return
        current = get(self.answers, path, None) or default
        value = _ask(questionary.autocomplete(
            message, choices=options, default=current, match_middle=True,
            validate=_validator(self.answers, path, lambda s: s.strip() or None)))
        put(self.answers, path, value.strip() or None)

    def nixos(self, lane: str) -> None:
        if lane != "nixos-wsl":
            self.select("boot.loader", "Boot loader:", choices("boot.loader"), "systemd-boot")
            self.autocomplete("hardware.profile", "nixos-hardware profile (empty for none):",
                              ["", *profiles.names()], "")
        self.select("hardware.cpu", "CPU vendor:", choices("hardware.cpu"), "other")
        if lane != "nixos-wsl":
            if not self.was_given("hardware.gpu"):
                gpus = _ask(questionary.checkbox("GPUs:", choices=choices("hardware.gpu")))
                put(self.answers, "hardware.gpu", gpus)
            if "nvidia" in get(self.answers, "hardware.gpu", []):
                self.confirm("hardware.nvidia_open", "NVIDIA open kernel module (Turing/RTX or newer)?", True)
            self.select("hardware.kernel", "Kernel:", ["default", "latest"], "default")
        if lane == "nixos-flake":
            layout = self.select("disk.layout", "Disk layout (disko):", choices("disk.layout"), "none")
            if layout != "none":
                if self.disks:
                    self.select("disk.device", "Disk to format (seen by nixos-facter):", self.disks,
                                self.disks[0])
                else:
                    self.text("disk.device", "Disk to format:", default="/dev/disk/by-id/")
                self.confirm("disk.encrypt", "Encrypt the disk?", True)
                self.text("disk.swap_size", "Swap size (empty for none):", convert=_optional)
                if layout in ("btrfs", "zfs"):
                    self.confirm("disk.impermanence", "Wipe / at every boot (impermanence)?", False)
        if lane != "nixos-wsl":
            self.confirm("services.networkmanager", "NetworkManager?", True)
        self.confirm("services.openssh", "Run an SSH server (keys only)?", False)

    def secrets(self) -> None:
        tool = self.select("secrets.tool", "Secrets:", choices("secrets.tool"), "none")
        if tool != "none" and not self.was_given("secrets.admin_keys"):
            self.key_list("secrets.admin_keys",
                          "Admin public key (age1..." + (" or ssh-ed25519 ..." if tool == "agenix" else "")
                          + "; empty to finish):")

    def key_list(self, path: str, message: str) -> None:
        keys: list[str] = list(get(self.answers, path, []) or [])
        while True:
            key = _ask(questionary.text(message, validate=lambda s: True if not s.strip()
                                        else (self._key_error(path, keys, s) or True))).strip()
            if not key:
                break
            keys.append(key)
        put(self.answers, path, keys)

    def _key_error(self, path: str, keys: list[str], key: str) -> str | None:
        if path == "secrets.admin_keys":
            from scaffold.spec import check_age_recipient, check_ssh_public_key
            tool = get(self.answers, "secrets.tool")
            try:
                if tool == "sops-nix" or key.strip().startswith("age1"):
                    check_age_recipient(key)
                else:
                    check_ssh_public_key(key)
            except ValueError as err:
                return str(err)
            return None
        return field_error(self.answers, path, [*keys, key.strip()])

    def users(self, lane: str) -> None:
        if self.was_given("users"):
            return
        users: list[dict[str, Any]] = list(get(self.answers, "users", []) or [])
        secrets = get(self.answers, "secrets.tool", "none") != "none"
        index = 0
        while True:
            existing = users[index] if index < len(users) else {}
            prefix = f"users.{index}"
            if index >= len(users):
                users.append(existing)
            put(self.answers, "users", users)
            self.text(f"{prefix}.name", f"User {index + 1} login name:",
                      default=existing.get("name", ""))
            self.confirm(f"{prefix}.admin", "Admin (wheel, sudo)?", index == 0)
            if lane not in ("home-manager", "darwin"):
                self.select_user(prefix, "shell", "Login shell:", ["bash", "zsh", "fish"], "bash")
            if lane not in ("home-manager", "darwin"):
                self.text(f"{prefix}.description", "Full name (optional):")
                self.key_list(f"{prefix}.ssh_keys", "SSH public key for login (empty to finish):")
            if secrets and lane != "darwin":
                self.select_user(prefix, "password", "Password:", ["none", "secret"], "secret")
            index += 1
            more = _ask(questionary.confirm("Add another user?", default=False))
            if not more:
                break
        put(self.answers, "users", users)

    def select_user(self, prefix: str, name: str, message: str, options: list[str],
                    default: str) -> None:
        path = f"{prefix}.{name}"
        current = get(self.answers, path, None)
        value = _ask(questionary.select(message, choices=options,
                                        default=current if current in options else default,
                                        instruction=f"({User.model_fields[name].description})"))
        put(self.answers, path, value)

    def packages(self) -> None:
        self.text("packages.system", "System packages (space separated):",
                  default=" ".join(Packages().system), convert=_words)
        self.text("packages.unfree", "Unfree packages to allow, by name (or 'all'):",
                  convert=lambda s: "all" if s.strip() == "all" else _words(s))
        self.text("packages.insecure", "Insecure packages to allow, as name-version:",
                  convert=_words)

    def darwin(self) -> None:
        self.confirm("darwin.touch_id_sudo", "Touch ID for sudo?", True)
        if self.confirm("darwin.homebrew.enable", "Manage Homebrew declaratively?", False):
            self.text("darwin.homebrew.casks", "Casks (space separated):", convert=_words)
            self.select("darwin.homebrew.cleanup", "Unlisted brew packages on activation:",
                        choices("darwin.homebrew.cleanup"), "check")


_MISSING = object()


def _local_timezone() -> str:
    try:
        link = Path("/etc/localtime").resolve()
        name = "/".join(link.parts[-2:]) if "zoneinfo" in link.parts else ""
        if name in timezones():
            return name
        name = link.parts[-1]
        if name in timezones():
            return name
    except OSError:
        pass
    return "UTC"


def summary(spec: HostSpec) -> str:
    return yaml.safe_dump(to_answers(spec), sort_keys=False).rstrip()


def interview(given: Answers, *, on: dt.date, out: Path, disks: list[str] | None = None) -> HostSpec:
    """Ask until the answers validate, show them, and confirm before writing."""
    session = Interview(given, on=on)
    session.disks = list(disks or [])
    while True:
        answers = session.run()
        try:
            spec = build_spec(answers, on=on)
        except InputError as err:
            questionary.print("These answers do not work together:", style="bold fg:red")
            for line in err.lines():
                questionary.print(f"  {line}")
            if not _ask(questionary.confirm("Answer again?", default=True)):
                raise Aborted() from None
            # Ask everything again, with the previous answers as defaults.
            session.given = {k: v for k, v in given.items() if k == "hostname"}
            continue
        questionary.print(f"\nnixbtw will write {spec.hostname} into {out} with these answers:\n")
        questionary.print(summary(spec))
        if _ask(questionary.confirm("Write it?", default=True)):
            return spec
        raise Aborted()


__all__ = ["interview"]
