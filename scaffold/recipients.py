"""Adding a host's public key to the secrets tool's recipients, keeping the user's lines.

Both files are edited as text (a YAML or Nix rewrite would drop the user's
comments and layout) and checked afterwards: the result must still parse.
"""

from __future__ import annotations

import re

import yaml

from scaffold import nixlit, nixparse
from scaffold.errors import InputError

__all__ = ["add_sops_recipient", "add_sops_rule", "set_agenix_host_key"]


def _unrecognised(file: str, problem: str) -> InputError:
    return InputError(file, f"{problem}, so nixbtw cannot add the host's key safely",
                      "add it by hand (see the host's README, Secrets), then run bootstrap again")


_TOP_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*:")


def _section(lines: list[str], name: str) -> tuple[int, int] | None:
    start = next((i + 1 for i, line in enumerate(lines) if re.match(rf"{name}:\s*(#.*)?$", line)), None)
    if start is None:
        return None
    end = next((i for i in range(start, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
    return start, end


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def add_sops_recipient(text: str, host: str, recipient: str) -> str:
    """.sops.yaml with the host's age key as &host_<host>, used by its creation rule."""
    file = ".sops.yaml"
    anchor = "host_" + host.replace("-", "_")
    lines = text.splitlines(keepends=True)
    keys, rules = _section(lines, "keys"), _section(lines, "creation_rules")
    if keys is None or rules is None or keys[0] > rules[0]:
        raise _unrecognised(file, "has no `keys:` list followed by `creation_rules:`")
    # The anchor: replace the commented placeholder (or the key of an earlier install), else add it.
    anchor_line = re.compile(rf"\s*(#\s*)?- &{anchor}(\s|$)")
    found = [i for i in range(*keys) if anchor_line.match(lines[i])]
    if found:
        live = [i for i in found if not lines[i].lstrip().startswith("#")]
        i = (live or found)[0]
        lines[i] = f"{_indent(lines[i])}- &{anchor} {recipient}\n"
    else:
        items = [i for i in range(*keys) if re.match(r"\s*- ", lines[i])]
        if not items:
            raise _unrecognised(file, "has no entries under `keys:`")
        lines.insert(items[-1] + 1, f"{_indent(lines[items[-1]])}- &{anchor} {recipient}\n")
        rules = (rules[0] + 1, rules[1] + 1)
    # The host's creation rule: the rules are list items at one indentation.
    path_regex = re.compile(rf"\s*(- )?path_regex:\s*(['\"]?)\^secrets/{re.escape(host)}\\\.yaml\$\2\s*$")
    at = next((i for i in range(*rules) if path_regex.match(lines[i])), None)
    items = [i for i in range(*rules) if re.match(r"\s*- ", lines[i])]
    if at is None or not items:
        raise _unrecognised(file, f"has no creation rule with path_regex ^secrets/{host}\\.yaml$")
    rule_indent = _indent(lines[items[0]])
    starts = [i for i in items if _indent(lines[i]) == rule_indent]
    first = max((i for i in starts if i <= at), default=at)
    end = min((i for i in starts if i > at), default=rules[1])
    # In it, uncomment the alias, or add it to the age list.
    alias = re.compile(rf"\s*(#\s*)?- \*{anchor}\s*$")
    hits = [i for i in range(first, end) if alias.match(lines[i])]
    if hits:
        lines[hits[0]] = f"{_indent(lines[hits[0]])}- *{anchor}\n"
    else:
        age = next((i for i in range(first, end) if re.match(r"\s*(- )?age:\s*$", lines[i])), end)
        members = []  # the block list under `age:`, up to the next key
        for i in range(age + 1, end):
            if re.match(r"\s*- \S", lines[i]) and len(_indent(lines[i])) >= len(_indent(lines[age])):
                members.append(i)
            elif lines[i].strip() and not lines[i].lstrip().startswith("#"):
                break
        if not members:
            raise _unrecognised(file, f"has no `age:` list in the rule for secrets/{host}.yaml")
        lines.insert(members[-1] + 1, f"{_indent(lines[members[-1]])}- *{anchor}\n")
    out = "".join(lines)
    _check_sops(out, host, recipient)
    return out


def _check_sops(text: str, host: str, recipient: str) -> None:
    file = ".sops.yaml"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise _unrecognised(file, f"would not be valid YAML after the edit ({err})") from None
    wanted = f"^secrets/{host}\\.yaml$"
    ok = isinstance(data, dict) and recipient in (data.get("keys") or []) and any(
        isinstance(rule, dict) and rule.get("path_regex") == wanted
        and any(isinstance(g, dict) and recipient in (g.get("age") or [])
                for g in rule.get("key_groups") or [])
        for rule in data.get("creation_rules") or [])
    if not ok:
        raise _unrecognised(file, "has a shape nixbtw does not recognise")


def set_agenix_host_key(text: str, host: str, public: str) -> str:
    """secrets/secrets.nix with `<host> = [ "ssh-ed25519 ..." ];` in its hosts."""

    file = "secrets/secrets.nix"
    binding = re.compile(rf"^([ \t]*){re.escape(nixlit.attr(host))}[ \t]*=[ \t]*\[[^\]]*\][ \t]*;[ \t]*$",
                         re.M)
    # The host keys are in `hosts = { ... };`, apart from the admins' lists that
    # share the host's name (files from before that block bind them in the let).
    block = re.search(r"^([ \t]*)hosts[ \t]*=[ \t]*\{[ \t]*$(.*?)^\1\};", text, re.M | re.S)
    start, end = (block.start(2), block.end(2)) if block else (0, len(text))
    hits = list(binding.finditer(text, start, end))
    if len(hits) != 1:
        raise _unrecognised(file, f"has {'no' if not hits else 'more than one'} "
                            f"`{nixlit.attr(host)} = [ ... ];` line")
    hit = hits[0]
    out = (text[:hit.start()] + f"{hit.group(1)}{nixlit.attr(host)} = [ {nixlit.string(public)} ];"
           + text[hit.end():])
    if nixparse.has_errors(nixparse.parse(out.encode())):
        raise _unrecognised(file, "would not parse as Nix after the edit")
    return out


def add_sops_rule(text: str, host: str, admin_keys: list[str]) -> str:
    """.sops.yaml with a creation rule for secrets/<host>.yaml (for a host added later).

    Used when the file already exists (it is the user's once written): the
    host's admins get anchors if they have none, and the host a commented
    placeholder like the first host's.
    """
    file = ".sops.yaml"
    if re.search(rf"path_regex:\s*['\"]?\^secrets/{re.escape(host)}\\\.yaml\$", text):
        return text
    lines = text.splitlines(keepends=True)
    keys, rules = _section(lines, "keys"), _section(lines, "creation_rules")
    if keys is None or rules is None or keys[0] > rules[0]:
        raise _unrecognised(file, "has no `keys:` list followed by `creation_rules:`")
    items = [i for i in range(*keys) if re.match(r"\s*#?\s*- ", lines[i])]
    if not items:
        raise _unrecognised(file, "has no entries under `keys:`")
    indent = _indent(lines[items[0]])
    anchors = []
    added: list[str] = []
    for n, key in enumerate(admin_keys, 1):
        found = next((m.group(1) for line in lines[keys[0]:keys[1]]
                      if (m := re.match(rf"\s*- &(\S+)\s+{re.escape(key)}\s*$", line))), None)
        if found is None:
            found = f"admin_{host.replace('-', '_')}_{n}"
            added.append(f"{indent}- &{found} {key}\n")
        anchors.append(found)
    placeholder = f"{indent}# - &host_{host.replace('-', '_')} age1...\n"
    insert_at = items[-1] + 1
    lines[insert_at:insert_at] = [*added, placeholder]
    shift = len(added) + 1
    end = rules[1] + shift
    while end > rules[0] + shift and not lines[end - 1].strip():
        end -= 1
    rule = [f"  - path_regex: ^secrets/{host}\\.yaml$\n", "    key_groups:\n", "      - age:\n",
            *[f"          - *{a}\n" for a in anchors],
            f"          # - *host_{host.replace('-', '_')}\n"]
    if end and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    lines[end:end] = rule
    out = "".join(lines)
    try:
        data = yaml.safe_load(out)
    except yaml.YAMLError as err:
        raise _unrecognised(file, f"would not be valid YAML after the edit ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("creation_rules"), list):
        raise _unrecognised(file, "has a shape nixbtw does not recognise")
    return out


def recorded_sops_recipient(text: str, host: str) -> str | None:
    """The host's age recipient in .sops.yaml (`- &host_<host> age1...`), if filled in."""
    anchor = "host_" + host.replace("-", "_")
    hit = re.search(rf"^[ \t]*- &{re.escape(anchor)}[ \t]+(age1[0-9a-z]+)[ \t]*$", text, re.M)
    return hit.group(1) if hit else None


def recorded_agenix_key(text: str, host: str) -> str | None:
    """The host's SSH key in secrets/secrets.nix's `hosts` block, if filled in."""
    block = re.search(r"^([ \t]*)hosts[ \t]*=[ \t]*\{[ \t]*$(.*?)^\1\};", text, re.M | re.S)
    if block is None:
        return None
    hit = re.search(rf"^[ \t]*{re.escape(nixlit.attr(host))}[ \t]*=[ \t]*\[[ \t]*\"(ssh-ed25519 [A-Za-z0-9+/=]+)"
                    r"(?: [^\"]*)?\"[ \t]*\][ \t]*;", block.group(2), re.M)
    return hit.group(1) if hit else None
