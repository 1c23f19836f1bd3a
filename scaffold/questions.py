"""The spec read as questions: their order, their kind, and what the spec says of answers.

ORDER lists the questions the interview puts in its own words; every other
field of HostSpec is asked in its section after them (question_order), so a
field the spec gains is asked without a change here. Whether an answer is
acceptable is always HostSpec's call (problems()).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import shutil
import textwrap
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from scaffold.answers import Answers, problems_from, set_path
from scaffold.errors import InputError, Problem
from scaffold.spec import HostSpec, timezones

# The order of the questions and how each is put; anything else the spec has is
# asked in its section after these. A user's fields are listed without the index.
ORDER: dict[str, str] = {
    "hostname": "Host name:",
    "lane": "What are you setting up?",
    "system": "Platform:",
    "machine": "What kind of machine is it?",
    "nix": "Nix implementation:",
    "release": "Release:",
    "timezone": "Time zone:",
    "locale": "Default locale:",
    "boot.firmware": "Firmware (bios for legacy/CSM boot):",
    "boot.loader": "Boot loader:",
    "hardware.profile": "nixos-hardware profile (empty for none):",
    "hardware.cpu": "CPU vendor:",
    "hardware.gpu": "GPUs:",
    "hardware.nvidia_open": "NVIDIA open kernel module (Turing/RTX or newer)?",
    "hardware.kernel": "Kernel:",
    "disk.layout": "Disk layout (disko):",
    "disk.device": "Disk to format:",
    "disk.encrypt": "Encrypt the disk?",
    "disk.swap_size": "Swap size (empty for none):",
    "disk.impermanence": "Wipe / at every boot (impermanence)?",
    "disk.snapshots": "Hourly, daily and monthly snapshots of /home (sanoid)?",
    "desktop": "Desktop:",
    "audio": "Sound (PipeWire)?",
    "bluetooth": "Bluetooth?",
    "printing": "Printing (CUPS, network printers via Avahi)?",
    "gaming": "Gaming (Steam)?",
    "services.networkmanager": "NetworkManager?",
    "services.openssh": "Run an SSH server (keys only)?",
    "secrets.tool": "Secrets:",
    "secrets.admin_keys": "Admin public key (age1..., or ssh-ed25519 ... for agenix; empty to finish):",
    "secrets.age_key_file": "Age key file the Mac decrypts with (empty for its SSH host key):",
    "users.name": "login name:",
    "users.admin": "Admin (wheel, sudo)?",
    "users.shell": "Login shell:",
    "users.description": "Full name (optional):",
    "users.ssh_keys": "SSH public key for login (empty to finish):",
    "users.password": "Password:",
    "home_manager.mode": "home-manager:",
    "packages.system": "System packages (space separated):",
    "packages.unfree": "Unfree packages to allow, by name (or 'all'):",
    "packages.insecure": "Insecure packages to allow, as name-version:",
    "darwin.touch_id_sudo": "Touch ID for sudo?",
    "darwin.homebrew.enable": "Manage Homebrew declaratively?",
    "darwin.homebrew.casks": "Casks (space separated):",
    "darwin.homebrew.cleanup": "Unlisted brew packages on activation:",
}
# Written down once per host from the release (spec.resolved), never asked; and
# a name-to-id table, which is no one-line answer (the answers file holds it).
# deploy.*: a host becomes deployable once installed (nixbtw update HOST --set deploy.target=...).
NOT_ASKED = frozenset({"state_version", "darwin_state_version", "darwin.homebrew.mas_apps", "deploy.target",
                       "deploy.ssh_port", "deploy.tags", "deploy.remote_build"})
# Defaults the interview suggests where the spec's own default means "decide later".
SUGGESTED: dict[str, Any] = {"users.password": "secret", "disk.encrypt": True,
                             "hardware.nvidia_open": True, "darwin.touch_id_sudo": True,
                             "darwin.homebrew.cleanup": "check"}
# Shown in an empty text prompt, and typed by Tab, but never part of the answer: pre-typed,
# it would end up in front of whatever the user types (/dev/disk/by-id//dev/sda).
PLACEHOLDERS: dict[str, str] = {"disk.device": "/dev/disk/by-id/"}
# A valid answer other than the default, to ask the spec whether a free-text
# question applies to this host (a lane that has no use for it refuses it).
SAMPLES: dict[str, Any] = {
    "timezone": "Europe/Berlin", "locale": "de_DE.UTF-8", "hardware.profile": "framework-13-7040-amd",
    "disk.device": "/dev/disk/by-id/nvme-probe", "disk.swap_size": "8G",
    "secrets.admin_keys": ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"],
    "secrets.age_key_file": "/Users/probe/.config/age/keys.txt",
    "users.description": "Ada", "users.ssh_keys": [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW probe"],
}
KEY_LISTS = frozenset({"secrets.admin_keys", "users.ssh_keys"})
MENU = "users"
HINT = "Esc goes back to the previous question; Ctrl-C stops without writing anything."


# ---- the spec, read as questions -----------------------------------------

def field_info(path: str) -> Any:
    model: type[BaseModel] = HostSpec
    parts = [p for p in path.split(".") if not p.isdigit()]
    for part in parts[:-1]:
        model = _submodel(model.model_fields[part].annotation)
    return model.model_fields[parts[-1]]


def _submodel(ann: Any) -> type[BaseModel]:
    if typing.get_origin(ann) is list:
        ann = typing.get_args(ann)[0]
    assert isinstance(ann, type) and issubclass(ann, BaseModel)
    return ann


def help_text(path: str) -> str:
    return str(field_info(path).description or path)


def literals(ann: Any) -> list[str]:
    if typing.get_origin(ann) is typing.Literal:
        return [str(a) for a in typing.get_args(ann)]
    return [c for arg in typing.get_args(ann) for c in literals(arg)]


def choices(path: str) -> list[str]:
    found = literals(field_info(path).annotation)
    if not found:
        raise KeyError(path)
    return found


def kind_of(path: str) -> str:
    generic = ".".join(p for p in path.split(".") if not p.isdigit())
    if path == MENU:
        return "menu"
    if generic in KEY_LISTS:
        return "keys"
    if path == "timezone":
        return "zone"
    ann = field_info(path).annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)] or [ann]
    if typing.get_origin(ann) is list:
        return "checkbox" if literals(typing.get_args(ann)[0]) else "words"
    if all(a is bool for a in args):
        return "confirm"
    if typing.get_origin(ann) is typing.Literal or (
            len(args) == 1 and typing.get_origin(args[0]) is typing.Literal):
        return "select"
    if any(typing.get_origin(a) is list for a in args):
        return "words"   # a list, or a keyword like `all`
    return "text"


def leaf_paths(model: type[BaseModel] = HostSpec, prefix: str = "") -> Iterator[str]:
    """Every answer the spec holds, in the spec's order; a user's fields as users.<field>."""
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from leaf_paths(ann, f"{prefix}{name}.")
        elif typing.get_origin(ann) is list and isinstance(typing.get_args(ann)[0], type) and \
                issubclass(typing.get_args(ann)[0], BaseModel):
            yield from leaf_paths(typing.get_args(ann)[0], f"{prefix}{name}.")
        else:
            yield prefix + name


def question_order() -> list[str]:
    """ORDER, with every other field of the spec after its section's last listed question."""
    order = [p for p in ORDER]
    for path in leaf_paths():
        if path in order or path in NOT_ASKED:
            continue
        section = path.rsplit(".", 1)[0] + "." if "." in path else None
        at = max((i for i, p in enumerate(order) if section and p.startswith(section)), default=None)
        if at is None:
            order.append(path)
        else:
            order.insert(at + 1, path)
    return order


# ---- answers ---------------------------------------------------------------

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


def drop(answers: Answers, path: str) -> None:
    *parent, last = path.split(".")
    node = get(answers, ".".join(parent)) if parent else answers
    if isinstance(node, dict):
        node.pop(last, None)


def problems(answers: Answers, on: dt.date) -> list[Problem]:
    """Everything the spec has against these answers, with stand-ins for what is not asked yet."""
    return list(_problems(json.dumps(answers, sort_keys=True, default=str), on))


@functools.lru_cache(maxsize=4096)
def _problems(answers_json: str, on: dt.date) -> tuple[Problem, ...]:
    return tuple(_find_problems(json.loads(answers_json), on))


def stand_in(answers: Answers) -> Answers:
    """The answers with a host name and user names standing in for those not given yet."""
    trial = copy.deepcopy(answers)
    trial.setdefault("hostname", "probe")
    users = trial.get("users")
    if not isinstance(users, list) or not users:
        trial["users"] = [{"name": "probe"}]
    else:
        for i, user in enumerate(users):
            if isinstance(user, dict) and "name" not in user:
                user["name"] = f"probe{i}"
    return trial


def probe_spec(answers: Answers) -> HostSpec | None:
    """The spec these answers make so far (stand-ins for what is not asked yet), if valid."""
    try:
        return HostSpec.model_validate(stand_in(answers))
    except ValidationError:
        return None


def _find_problems(answers: Answers, on: dt.date) -> list[Problem]:
    try:
        spec = HostSpec.model_validate(stand_in(answers))
    except ValidationError as err:
        return problems_from(err)
    try:
        return spec.resolved(on).problems()
    except InputError as err:
        return err.problems


def names(path: str, field: str) -> bool:
    """Is the question at `path` one that can fix a problem reported at `field`?"""
    return path == field or path.startswith(field + ".") or field.startswith(path + ".")


def fit(text: str, *, indent: str = "") -> str:
    """Wrapped to the terminal, so a long error stays readable."""
    width = max(shutil.get_terminal_size((80, 24)).columns - 2, 20)
    return textwrap.fill(text, width=width, initial_indent=indent,
                         subsequent_indent=indent + "  ", break_on_hyphens=False)


def one_line(text: str) -> str:
    """A validation message fits the one line prompt_toolkit gives it."""
    width = max(shutil.get_terminal_size((80, 24)).columns - 4, 20)
    if len(text) <= width:
        return text
    problem, _, fix = text.partition("; ")
    for short in (fix, problem):
        if short and len(short) <= width:
            return short
    return text[: width - 1] + "…"


def words(text: str) -> list[str]:
    return text.replace(",", " ").split()

def parents(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]

def generic_path(path: str) -> str:
    return ".".join(p for p in path.split(".") if not p.isdigit())

def local_timezone() -> str:
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
