"""Who can decrypt an encrypted file, read from the file itself (never decrypting it).

Editing `.sops.yaml` or `secrets/secrets.nix` changes nothing until the tool
re-encrypts; only the files show whether a host can read its secrets at its
first activation. Both formats name their recipients in clear:

- sops keeps its metadata under the top-level `sops` key: each age recipient
  as `{recipient: age1..., enc: ...}` under `age` (one key group), or under
  `key_groups[].age` (several groups).
- age (agenix) writes a text header, one stanza per recipient: `-> X25519
  <share>` (which does not say whose key it is) or `-> ssh-ed25519 <tag>
  <share>`, where the tag is the first 4 bytes of the SHA-256 of the SSH
  public key's wire encoding, base64 without padding. The header may be
  wrapped in PEM armor (`agenix` with `armor = true`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import yaml

from scaffold.sshage import ed25519_public_key

__all__ = ["NotEncrypted", "age_stanzas", "sops_recipients", "ssh_tag"]

AGE_INTRO = b"age-encryption.org/v1"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"


class NotEncrypted(ValueError):
    """The file is not in the format the tool writes (the message says how)."""


def ssh_tag(public_line: str) -> str:
    """The tag age writes in an ssh-ed25519 stanza for this `ssh-ed25519 AAAA...` key."""
    ed25519_public_key(public_line)  # refuses anything but one ed25519 key
    wire = base64.b64decode(public_line.split()[1])
    return base64.b64encode(hashlib.sha256(wire).digest()[:4]).decode().rstrip("=")


def _dearmor(data: bytes) -> bytes:
    lines = data.strip().splitlines()
    if lines[-1:] != [ARMOR_END]:
        raise NotEncrypted("has an age armor header but no end line")
    try:
        return base64.b64decode(b"".join(line.strip() for line in lines[1:-1]), validate=True)
    except binascii.Error:
        raise NotEncrypted("has age armor that is not base64") from None


def age_stanzas(data: bytes) -> list[tuple[str, ...]]:
    """The recipient stanzas of an age file: ("X25519", share), ("ssh-ed25519", tag, share), ..."""
    if data.lstrip().startswith(ARMOR_BEGIN):
        data = _dearmor(data)
    lines = data.split(b"\n")
    if lines[0] != AGE_INTRO:
        raise NotEncrypted("does not start with age-encryption.org/v1 (not an age file)")
    stanzas: list[tuple[str, ...]] = []
    for line in lines[1:]:
        if line.startswith(b"--- "):
            return stanzas
        if line.startswith(b"-> "):
            try:
                stanzas.append(tuple(line[3:].decode("ascii").split(" ")))
            except UnicodeDecodeError:
                raise NotEncrypted("has a damaged age header") from None
    raise NotEncrypted("has an age header with no end (--- line)")


def sops_recipients(text: str) -> set[str]:
    """The age recipients a sops-encrypted YAML or JSON file is encrypted for."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise NotEncrypted("is not YAML or JSON") from None
    meta = data.get("sops") if isinstance(data, dict) else None
    if not isinstance(meta, dict):
        raise NotEncrypted("has no sops metadata (not encrypted with sops)")
    groups = [meta, *(g for g in meta.get("key_groups") or [] if isinstance(g, dict))]
    return {key["recipient"] for group in groups for key in group.get("age") or []
            if isinstance(key, dict) and isinstance(key.get("recipient"), str)}
