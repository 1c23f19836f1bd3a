"""nixbtw: scaffold Nix configurations that are right from the first commit.

The public API is small and imports nothing heavy until it is used, so the
command line answers --help and --version quickly.
"""

from __future__ import annotations

__version__ = "0.3.0"

__all__ = ["__version__"]
