"""Every bundled example renders, parses under real Nix, and matches its snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from tests.conftest import (
    NixSnapshot,
    TextSnapshot,
    all_files,
    example_names,
    nix_parse,
    render_example,
    write_tree,
)


def _normalised(rel: str, text: str) -> str:
    # copier records where the template came from; that path is machine-specific.
    if rel.endswith(".copier-answers.yml"):
        return "\n".join(
            "_src_path: <templates>" if line.startswith("_src_path:") else line
            for line in text.splitlines()
        ) + "\n"
    return text


@pytest.mark.parametrize("example", example_names())
def test_tree(
    example: str, snapshot: SnapshotAssertion
) -> None:
    files = all_files(render_example(example))
    assert "\n".join(sorted(files)) + "\n" == snapshot(extension_class=TextSnapshot, name="files")
    for rel, text in sorted(files.items()):
        ext = NixSnapshot if rel.endswith(".nix") else TextSnapshot
        name = rel.replace("/", "__")
        assert _normalised(rel, text) == snapshot(extension_class=ext, name=name)


@pytest.mark.parametrize("example", example_names())
def test_every_generated_nix_file_parses(example: str, nix_env: dict[str, str],
                                         tmp_path: Path) -> None:
    files = all_files(render_example(example))
    root = write_tree(files, tmp_path)
    nix_files = [rel for rel in files if rel.endswith(".nix")]
    assert nix_files
    for rel in nix_files:
        proc = nix_parse(root / rel, nix_env)
        assert proc.returncode == 0, f"{rel}: {proc.stderr}"


def test_examples_cover_the_flake_lane() -> None:
    assert {"minimal", "workstation", "lix-server"} <= set(example_names())

