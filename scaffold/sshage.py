"""An SSH ed25519 public key as an age X25519 recipient (what ssh-to-age prints).

An ed25519 public key is the y coordinate of a point on the twisted Edwards
curve; the birationally equivalent Montgomery curve (Curve25519, which age's
X25519 uses) has u = (1 + y) / (1 - y) mod p. age writes the 32 bytes of u,
little-endian, as bech32 with the human-readable part "age".
"""

from __future__ import annotations

import base64
import binascii

from scaffold.errors import InputError

__all__ = ["age_recipient", "bech32_encode", "ed25519_public_key"]

P = 2**255 - 19
KEY_TYPE = "ssh-ed25519"
_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                check ^= gen
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to_5bit(data: bytes) -> list[int]:
    out: list[int] = []
    acc = bits = 0
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    """BIP-173 bech32 (constant 1, not bech32m) of 8-bit data, lowercase."""
    hrp = hrp.lower()
    words = _to_5bit(data)
    mod = _polymod([*_hrp_expand(hrp), *words, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[w] for w in words + checksum)


def _field(where: str, problem: str) -> InputError:
    return InputError(where, problem, "give one line of an ed25519 .pub file, "
                      "e.g. /etc/ssh/ssh_host_ed25519_key.pub, unchanged")


def ed25519_public_key(line: str, *, field: str = "ssh key") -> bytes:
    """The 32 key bytes of an OpenSSH `ssh-ed25519 AAAA... comment` line."""
    parts = line.strip().split(None, 2)
    if not parts:
        raise _field(field, "is empty")
    if parts[0] != KEY_TYPE:
        raise _field(field, f"is a {parts[0]!r} key, and only ssh-ed25519 keys convert to age")
    if len(parts) < 2:
        raise _field(field, "has no key data after 'ssh-ed25519'")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        raise _field(field, "has key data that is not base64") from None
    # Wire format: string "ssh-ed25519", string key (32 bytes); each string is
    # a 4-byte big-endian length and the bytes.
    fields: list[bytes] = []
    i = 0
    while i < len(blob):
        size = int.from_bytes(blob[i:i + 4], "big")
        if i + 4 > len(blob) or i + 4 + size > len(blob):
            raise _field(field, "has truncated key data")
        fields.append(blob[i + 4:i + 4 + size])
        i += 4 + size
    if len(fields) != 2 or fields[0] != KEY_TYPE.encode():
        raise _field(field, "has key data that is not an ssh-ed25519 key")
    if len(fields[1]) != 32:
        raise _field(field, f"has a {len(fields[1])}-byte key where ed25519 has 32")
    return fields[1]


def age_recipient(line: str, *, field: str = "ssh key") -> str:
    """The age1... recipient of an ssh-ed25519 public key line."""
    y = int.from_bytes(ed25519_public_key(line, field=field), "little") & ((1 << 255) - 1)
    y %= P  # a non-canonical y (>= p) names the same point
    if y == 1:  # the neutral point: 1 - y has no inverse
        raise _field(field, "is the neutral point, not a public key")
    u = (1 + y) * pow(1 - y, P - 2, P) % P
    return bech32_encode("age", u.to_bytes(32, "little"))
