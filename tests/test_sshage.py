"""An SSH host key becomes the same age recipient ssh-to-age would print."""

from __future__ import annotations

import base64

import pytest

from scaffold.errors import InputError
from scaffold.sshage import age_recipient, bech32_encode, ed25519_public_key

# Pairs from Mic92/ssh-to-age at commit 2643a7fda399ae849e1caa4e050bb546ea63558a:
# the keys are cmd/ssh-to-age/test-assets/id_ed25519.pub and the two ed25519 lines of
# cmd/ssh-to-age/test-assets/keyscan.txt; the recipients are what its README.md shows
# ssh-to-age printing for them (`ssh-to-age -i id_ed25519.pub`, `ssh-keyscan eve.thalheim.io
# eva.thalheim.io | ssh-to-age`).
SSH_TO_AGE = [
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOHz+U0YtjINc54dZiJNclfmEFifF7RXCFlNlTbuZBji "
     "joerg@turingmachine",
     "age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF/KPU3Z5LSjbBI6hrq25wCcseq2UpqSzUFZRr+ux6LM",
     "age1hjm3aujg9e79f5yth8a2cejzdjg5n9vnu96l05p70uvfpeltnpms7yy3pp"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIL2vjdqpppuCn7yPdF2muINriAG7zBWrsELKpPWkhn5",
     "age1v8zjc47jmlqwefyu66s0d4ke98qr4vnuj3cpvs4z9npfdw833dxqwjrhzv"),
    # pinpox/pgp2ssh, README.md at commit b2bce8e5a792f7715f9e0fa2792b7fea2cf27f01:
    # `gpg --export-ssh-key ... | ssh-to-age`.
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICYvKXGcG4a19tTT0Rycbn+D0r/YlKltLJ9dY2gR/Fjx openpgp:0x47C9F3FF",
     "age18s8m9hvlrwvltgys4lafyyqe356ntc7e06t4kd2nccqm5amsaa2s878mju"),
]
RSA = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 alice@old-laptop")


@pytest.mark.parametrize(("ssh_key", "recipient"), SSH_TO_AGE)
def test_ed25519_key_converts_like_ssh_to_age(ssh_key: str, recipient: str) -> None:
    assert age_recipient(ssh_key) == recipient


def test_comment_and_surrounding_space_do_not_change_the_recipient() -> None:
    key, recipient = SSH_TO_AGE[1]
    assert age_recipient(f"  {key} root@eve \n") == recipient


def test_bech32_matches_bip173_vectors() -> None:
    # BIP-173's valid test strings: an empty payload, and the 32 five-bit values in order
    # (which are exactly 20 bytes).
    assert bech32_encode("A", b"") == "a12uel5l"
    words = list(range(32))
    bits = "".join(f"{w:05b}" for w in words)
    data = int(bits, 2).to_bytes(20, "big")
    assert bech32_encode("abcdef", data) == "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"


def test_recipient_uses_bech32_not_bech32m() -> None:
    # Same payload, different checksum constant: a bech32m encoder gives
    # ...qrsqsg6 for this key, which age rejects.
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICFrs5OngYGD5FHUaYqr3gAk7NApAuFCL3cVaHLSWRXL"
    assert age_recipient(key) == "age1wy42r2p2c67ckywgq8xj7ejf6eykqfu623wktxeh729rtagu4fkqkvsudc"


def test_rsa_key_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError) as err:
        age_recipient(RSA, field="secrets.admin_keys.0")
    assert err.value.problems[0].field == "secrets.admin_keys.0"
    assert "'ssh-rsa'" in err.value.problems[0].problem
    assert "ed25519" in err.value.problems[0].problem


@pytest.mark.parametrize("line", [
    "",
    "ssh-ed25519",
    "ssh-ed25519 not-base64!!",
    # valid base64, but the blob says ssh-rsa
    "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x07ssh-rsa" + b"\x00\x00\x00\x20" + bytes(32)).decode(),
    # a 31-byte key
    "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x1f" + bytes(31)).decode(),
    # truncated: the length says 32, the data has 4
    "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"\x00\x00\x00\x20abcd").decode(),
])
def test_damaged_keys_are_refused(line: str) -> None:
    with pytest.raises(InputError) as err:
        age_recipient(line, field="host key")
    assert err.value.problems[0].field == "host key"


def test_public_key_bytes_are_the_32_bytes_of_the_blob() -> None:
    line = SSH_TO_AGE[1][0]
    key = ed25519_public_key(line)
    assert len(key) == 32
    assert key == base64.b64decode(line.split()[1])[-32:]
