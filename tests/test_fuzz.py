"""Every answers-file field, through JSON, YAML and --set: a clean refusal or output that parses."""

from __future__ import annotations

import shutil
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import require_tool
from tests.fuzzing import CHANNELS, FIELDS, run_case, scratch, values


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=values, channel=st.sampled_from(CHANNELS))
def test_any_answer_is_refused_cleanly_or_renders_valid_nix(
        field: str, value: Any, channel: str, nix_env: dict[str, str]) -> None:
    require_tool("nix-instantiate")
    work = scratch()
    try:
        run_case(field, value, channel, work, nix_env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_every_field_is_fuzzed() -> None:
    assert {"hostname", "users.0.description", "disk.swap_size", "secrets.admin_keys",
            "darwin.homebrew.casks", "locale"} <= set(FIELDS)
