"""The release table (data in data/releases.toml) and the choice of a default."""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

from scaffold.errors import InputError

UNSTABLE = "unstable"


@dataclass(frozen=True, slots=True)
class Release:
    version: str
    codename: str
    nixpkgs: str
    nixpkgs_darwin: str
    home_manager: str
    nix_darwin: str
    nixos_wsl: str
    darwin_state_version: int
    # nixpkgs.config.allowUnfreePackages (a list that merges across modules)
    allow_unfree_packages: bool
    kernels: tuple[str, ...] = ()
    default_kernel: str = ""
    zfs_kernel_max: str = ""
    released: dt.date | None = None
    end_of_support: dt.date | None = None
    verified: bool = True
    # For unstable: the newest release in the table. A fresh install on the
    # rolling channel gets it as its stateVersion (any released value is
    # accepted, and an older one is always safe).
    development_version: str | None = None

    @property
    def title(self) -> str:
        """How files name the release: `NixOS 26.05 "Yarara"`, or the unstable branch."""
        if self.is_unstable:
            return f"NixOS unstable ({self.nixpkgs})"
        return f'NixOS {self.version} "{self.codename}"'

    @property
    def is_unstable(self) -> bool:
        return self.version == UNSTABLE

    @property
    def state_version(self) -> str:
        """The stateVersion a fresh install on this release gets."""
        return self.development_version or self.version

    def is_end_of_life(self, today: dt.date) -> bool:
        return self.end_of_support is not None and today > self.end_of_support

    def is_released(self, today: dt.date) -> bool:
        return self.released is not None and today >= self.released


@functools.cache
def table() -> tuple[Release, ...]:
    raw = tomllib.loads(resources.files("scaffold.data").joinpath("releases.toml").read_text())
    rows = [Release(**{**row, "kernels": tuple(row.get("kernels", ()))}) for row in raw["release"]]
    rows.sort(key=lambda r: version_key(r.version))
    unstable = {**raw["unstable"], "kernels": tuple(raw["unstable"].get("kernels", ()))}
    unstable.setdefault("development_version", rows[-1].version)
    return (*rows, Release(**unstable))


def version_key(version: str) -> tuple[int, int]:
    """Orders releases; unstable sorts after every numbered release."""
    if version == UNSTABLE:
        return (10_000, 0)
    year, month = version.split(".")
    return int(year), int(month)


def known_versions() -> list[str]:
    return [r.version for r in table()]


def get(version: str) -> Release:
    for release in table():
        if release.version == version:
            return release
    raise InputError(
        "release",
        f"unknown release {version!r}",
        f"use one of {', '.join(known_versions())}",
    )


def newest_stable(today: dt.date) -> Release:
    """The default release on `today`: the newest verified one that is out and supported.

    When every verified release that is out has reached end of life (the next
    one is out but not verified yet), the newest of them stays the default and
    release_warnings says so; a release nixbtw has not verified is never the default.
    """
    numbered = [r for r in table() if not r.is_unstable and r.verified]
    out = [r for r in numbered if r.is_released(today)]
    supported = [r for r in out if not r.is_end_of_life(today)]
    if supported:
        return max(supported, key=lambda r: version_key(r.version))
    if out:
        return max(out, key=lambda r: version_key(r.version))
    # Before the first release in the table: the first one due.
    return min(numbered, key=lambda r: version_key(r.version))


def release_warnings(release: Release, today: dt.date) -> list[str]:
    """What is worth knowing about `release` on `today`, each saying the date.

    These change with the calendar, so they go on screen and into READMEs, never
    into the header of a .nix file (it would be stale next week).
    """
    asof = f"(as of {today.isoformat()})"
    newer_unverified = [
        r for r in table()
        if not r.is_unstable and not r.verified and r.is_released(today)
        and version_key(r.version) > version_key(release.version)
    ]
    warnings: list[str] = []
    if release.is_end_of_life(today):
        newest = newest_stable(today)
        if newest.version != release.version:
            advice = f"target {newest.version} instead"
        elif newer_unverified:
            names = " and ".join(r.version for r in newer_unverified)
            advice = (f"NixOS {names} is out but not yet verified by nixbtw: upgrade nixbtw "
                      f"once a version verifies it, or choose release {newer_unverified[-1].version} "
                      "now and check the generated inputs yourself")
            newer_unverified = []
        else:
            advice = "this nixbtw knows no newer release: upgrade nixbtw"
        warnings.append(
            f"NixOS {release.version} reached end of life on {release.end_of_support} and gets "
            f"no security fixes; {advice} {asof}."
        )
    if release.is_unstable:
        return warnings  # rolling: no release date, no end of life
    if not release.verified:
        warnings.append(
            f"NixOS {release.version} is in the release table but nixbtw has not yet verified "
            "its branches and options; check the generated inputs before you switch."
        )
    elif not release.is_released(today):
        warnings.append(f"NixOS {release.version} is not released yet (due {release.released}) {asof}.")
    for r in newer_unverified:
        warnings.append(
            f"NixOS {r.version} is out, but nixbtw has not verified it yet; "
            f"this host targets {release.version} {asof}."
        )
    return warnings
