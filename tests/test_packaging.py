"""The wheel carries the templates and renders from them; derived files do not drift."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from scaffold import copier_questions
from tests.conftest import EXAMPLES, ROOT


def test_copier_questions_are_derived_from_the_spec() -> None:
    committed = (ROOT / "templates" / "copier.yml").read_text()
    assert committed == copier_questions.render(), (
        "templates/copier.yml is stale: run `python -m scaffold.copier_questions > templates/copier.yml`"
    )


def test_installed_wheel_renders_from_its_own_templates(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(ROOT)], check=True)
    (wheel,) = wheels.glob("nixbtw-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert "scaffold/data/templates.bundle" in names
    assert "scaffold/data/releases.toml" in names
    assert "scaffold/data/nixos-hardware-profiles.txt" in names
    out = tmp_path / "out"
    home = tmp_path / "home"
    script = (
        "import sys, scaffold.history as h; from scaffold.cli import main;"
        f"assert str(h.packaged_bundle()).startswith({str(site)!r}), h.packaged_bundle();"
        f"sys.exit(main(['new', 'host', '--non-interactive', '--answers', {str(EXAMPLES / 'minimal.yaml')!r},"
        f" '--out', {str(out)!r}]))"
    )
    proc = subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": str(site),
                          "PATH": "/usr/bin:/bin", "NIXBTW_TODAY": "2026-11-25", "HOME": str(home)},
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (out / "hosts/atlas/configuration.nix").is_file()
    installed = home / ".local/share/nixbtw/templates.bundle"
    assert installed.read_bytes() == (site / "scaffold/data/templates.bundle").read_bytes()


def test_readme_answers_reference_matches_the_spec() -> None:
    from scaffold.schema import readme_with_reference

    readme = (ROOT / "README.md").read_text()
    assert readme == readme_with_reference(readme), (
        "README's answers reference is stale: run `python -m scaffold.schema README.md`"
    )


def test_readme_links_every_example() -> None:
    readme = (ROOT / "README.md").read_text()
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        assert f"(examples/{example.name})" in readme, example.name


def test_hardware_profiles_are_read_from_a_flake_without_evaluating_it() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("refresh", ROOT / "scripts/refresh_hardware_profiles.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    flake = b"""{
      outputs = _: {
        nixosModules = {
          framework-13-7040-amd = import ./framework/13-inch/7040-amd;
          common-pc-laptop-acpi_call = throw "removed";
          "lenovo-thinkpad-x1-6th-gen" = import ./lenovo/thinkpad/x1/6th-gen;
        };
        nixosModules.apple-t2 = import ./apple/t2;
      };
    }"""
    assert module.profile_names(flake) == ["apple-t2", "framework-13-7040-amd", "lenovo-thinkpad-x1-6th-gen"]
