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
    # For unstable: the release in development, which is what a fresh
    # install's stateVersion becomes.
    development_version: str | None = None

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
    unstable = raw["unstable"]
    return (*rows, Release(**{**unstable, "kernels": tuple(unstable.get("kernels", ()))}))


def version_key(version: str) -> tuple[int, int]:
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
    """The newest verified release that is out and still supported on `today`."""
    candidates = [
        r
        for r in table()
        if not r.is_unstable and r.verified and r.is_released(today)
        and not r.is_end_of_life(today)
    ]
    if not candidates:
        # Past every support date in the table: the newest verified release is
        # still the best guess, and the end-of-life warning says so.
        candidates = [r for r in table() if not r.is_unstable and r.verified]
    return max(candidates, key=lambda r: version_key(r.version))


def release_warnings(release: Release, today: dt.date) -> list[str]:
    warnings: list[str] = []
    if release.is_end_of_life(today):
        newest = newest_stable(today)
        advice = (f"target {newest.version} instead" if newest.version != release.version
                  else "this nixbtw knows no newer verified release: upgrade nixbtw")
        warnings.append(
            f"NixOS {release.version} reached end of life on {release.end_of_support}: "
            f"it gets no security fixes; {advice}."
        )
    if not release.verified and not release.is_unstable:
        warnings.append(
            f"NixOS {release.version} is in the release table but nixbtw has not yet verified "
            "its branches and options; check the generated inputs before you switch."
        )
    elif not release.is_unstable and not release.is_released(today):
        warnings.append(f"NixOS {release.version} is not released yet (due {release.released}).")
    newer = [
        r
        for r in table()
        if not r.is_unstable and not r.verified and r.is_released(today)
        and version_key(r.version) > version_key(release.version)
    ]
    for r in newer:
        warnings.append(
            f"NixOS {r.version} is out, but nixbtw has not verified it yet; "
            f"this host targets {release.version}."
        )
    return warnings
