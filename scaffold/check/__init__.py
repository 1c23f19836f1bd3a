"""nixbtw check: find the NixOS-shaped mistakes in an existing repository.

Each rule is a small function registered under an id (rules_*.py); Nix files
are read with a real parser (scaffold.nixparse), never with regular
expressions over Nix text.
"""

from __future__ import annotations

from scaffold.check.model import Finding, Rule
from scaffold.check.runner import RULES, check

__all__ = ["RULES", "Finding", "Rule", "check"]
