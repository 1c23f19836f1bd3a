"""One repository, every kind of host: NixOS hosts, Macs and standalone homes side by side.

Each platform builds from its own branch of the same release (nixos-26.05 for
Linux, nixpkgs-26.05-darwin for macOS), and the flake tells a Mac's folder from
a NixOS host's by itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from scaffold import history, render
from scaffold.cli import main
from tests.conftest import EXAMPLES, all_files, nix_eval_json, render_example, write_tree

Capture = pytest.CaptureFixture[str]
MIXED = EXAMPLES / "mixed"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def add(root: Path, answers: Path, *sets: str) -> int:
    args = ["new", "host", "--non-interactive", "--out", str(root), "--answers", str(answers)]
    for s in sets:
        args += ["--set", s]
    return main(args)


def repository(tmp_path: Path, *answers: Path) -> Path:
    """A git repository grown host by host, committing after each, as a user would."""
    root = tmp_path / "infra"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for path in answers:
        assert add(root, path) == 0
        _git(root, "commit", "-q", "-m", f"add {path.stem}")
    return root


def tree(root: Path, sub: str) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / sub).rglob("*") if p.is_file()}


# The flake's outputs, evaluated with real Nix: every input is a stand-in that
# says which builder (and which nixpkgs) a configuration came from.
STANDINS = """
flakeFile:
let
  lib = {
    inherit (builtins) attrNames;
    filterAttrs = pred: set: builtins.removeAttrs set
      (builtins.filter (n: !(pred n set.${n})) (builtins.attrNames set));
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    subtractLists = e: builtins.filter (x: !(builtins.elem x e));
    intersectLists = e: builtins.filter (x: builtins.elem x e);
    hasSuffix = suffix: s: let n = builtins.stringLength s; k = builtins.stringLength suffix; in
      n >= k && builtins.substring (n - k) k s == suffix;
    foldlAttrs = f: init: set: builtins.foldl' (acc: n: f acc n set.${n}) init (builtins.attrNames set);
    recursiveUpdate = a: b: a // b;
    optionalAttrs = c: s: if c then s else { };
    nixosSystem = args: { built = "nixos"; inherit args; };
  };
  branch = name: { inherit lib; legacyPackages = { x86_64-linux.from = name; aarch64-darwin.from = name; }; };
  flake = import flakeFile;
  inputs = {
    self = outputs;
    nixpkgs = branch "nixpkgs";
    nixpkgs-darwin = branch "nixpkgs-darwin";
    nix-darwin.lib.darwinSystem = args: { built = "darwin"; inherit args; };
    home-manager.lib.homeManagerConfiguration = args: args;
  };
  outputs = flake.outputs inputs;
  home = h: {
    pkgs = h.pkgs.from;
    dir = (builtins.elemAt h.modules 2).home.homeDirectory;
  };
in
{
  nixos = builtins.attrNames outputs.nixosConfigurations;
  darwin = builtins.attrNames outputs.darwinConfigurations;
  built = builtins.mapAttrs (n: h: h.built) (outputs.nixosConfigurations // outputs.darwinConfigurations);
  homes = builtins.mapAttrs (n: home) (outputs.homeConfigurations or { });
}
"""


def outputs(root: Path, nix_env: dict[str, str]) -> dict[str, object]:
    standins = Path(nix_env["HOME"]) / "standins.nix"
    standins.write_text(STANDINS)
    flake = json.dumps(str(root / "flake.nix"))
    proc = nix_eval_json(f"import {standins} (/. + {flake})", nix_env)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert isinstance(found, dict)
    return found


def test_the_mixed_example_pins_one_release_on_two_branches() -> None:
    flake = all_files(render_example("mixed"))["flake.nix"]
    assert 'nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";' in flake
    assert 'nixpkgs-darwin.url = "github:NixOS/nixpkgs/nixpkgs-26.05-darwin";' in flake
    darwin = flake.split("nix-darwin = {", 1)[1].split("};", 1)[0]
    assert 'url = "github:nix-darwin/nix-darwin/nix-darwin-26.05";' in darwin
    assert 'inputs.nixpkgs.follows = "nixpkgs-darwin";' in darwin
    for companion in ("home-manager", "disko", "sops-nix"):
        block = flake.split(f"{companion} = {{", 1)[1].split("};", 1)[0]
        assert 'inputs.nixpkgs.follows = "nixpkgs";' in block, companion


def test_the_flake_tells_macs_from_nixos_hosts_by_itself(tmp_path: Path, nix_env: dict[str, str]) -> None:
    root = write_tree(all_files(render_example("mixed")), tmp_path)
    found = outputs(root, nix_env)
    assert found["nixos"] == ["nas"]
    assert found["darwin"] == ["air"]
    assert found["built"] == {"nas": "nixos", "air": "darwin"}
    # A Mac's standalone home builds from the darwin branch and lives in /Users.
    assert found["homes"] == {
        "ivy@air": {"pkgs": "nixpkgs-darwin", "dir": "/Users/ivy"},
        "ivy@devbox": {"pkgs": "nixpkgs", "dir": "/home/ivy"},
    }
    # A NixOS host copied in by hand is found as one, with no edit to flake.nix;
    # a host folder removed by hand is gone from the outputs.
    shutil.copytree(root / "hosts/nas", root / "hosts/nas2")
    shutil.rmtree(root / "hosts/air")
    found = outputs(root, nix_env)
    assert found["nixos"] == ["nas", "nas2"]
    assert found["darwin"] == []


def test_a_mac_joins_a_nixos_repository_and_keeps_its_hosts_as_they_were(
        tmp_path: Path, nix_env: dict[str, str]) -> None:
    root = repository(tmp_path, MIXED / "nas.yaml")
    nas = tree(root, "hosts/nas")
    assert add(root, MIXED / "air.yaml") == 0
    assert tree(root, "hosts/nas") == nas
    flake = (root / "flake.nix").read_text()
    assert 'macs = [ "air" ];' in flake
    assert 'nixpkgs-darwin.url = "github:NixOS/nixpkgs/nixpkgs-26.05-darwin";' in flake
    assert "nixbtw_template: flake/repo" in (root / ".copier-answers.yml").read_text()
    _git(root, "commit", "-qm", "air")
    assert add(root, MIXED / "devbox.yaml") == 0
    _git(root, "commit", "-qm", "devbox")
    # The repository grown host by host is the example, file for file.
    expected = all_files(render_example("mixed"))
    for rel, text in expected.items():
        if not rel.endswith(".copier-answers.yml"):
            assert (root / rel).read_text() == text, rel
    found = outputs(root, nix_env)
    assert (found["nixos"], found["darwin"]) == (["nas"], ["air"])
    # update and check know the repository as it is.
    assert main(["update", "--repo", str(root)]) == 0
    assert _git(root, "status", "--porcelain") == ""
    assert main(["check", str(root)]) == 0


def test_a_nixos_host_joins_a_repository_of_macs(tmp_path: Path, nix_env: dict[str, str]) -> None:
    root = repository(tmp_path, EXAMPLES / "darwin.yaml")
    flake = (root / "flake.nix").read_text()
    # Macs alone keep the darwin branch as `nixpkgs`, as nixbtw 0.2.0 wrote it.
    assert 'nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-26.05-darwin";' in flake
    assert "nixpkgs-darwin" not in flake
    macbook = tree(root, "hosts/macbook")
    assert add(root, EXAMPLES / "minimal.yaml") == 0
    assert tree(root, "hosts/macbook") == macbook
    flake = (root / "flake.nix").read_text()
    assert 'nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";' in flake
    assert 'inputs.nixpkgs.follows = "nixpkgs-darwin";' in flake
    assert 'macs = [ "macbook" ];' in flake
    found = outputs(root, nix_env)
    assert (found["nixos"], found["darwin"]) == (["atlas"], ["macbook"])
    check = (root / ".github/workflows/check.yml").read_text()
    assert "runner: [ubuntu-latest, macos-latest]" in check


def test_hosts_on_different_releases_are_still_refused_with_the_reason(
        tmp_path: Path, capsys: Capture) -> None:
    root = repository(tmp_path, MIXED / "nas.yaml")
    assert add(root, MIXED / "air.yaml", "release=25.11") == 2
    err = capsys.readouterr().err
    assert "release: the hosts in this repository target 25.11, 26.05" in err
    assert "one flake pins one release of nixpkgs and its companions" in err
    assert "give every host the same release" in err
    assert not (root / "hosts/air").exists()


@pytest.fixture
def made_by_0_2_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository of Macs as nixbtw 0.2.0 made it (its darwin/repo template), committed."""
    with monkeypatch.context() as then:
        then.setattr(history, "__version__", "0.2.0")
        then.setattr(render, "REPO_TEMPLATE", "darwin/repo")
        root = repository(tmp_path, EXAMPLES / "darwin.yaml")
    assert "nixbtw_template: darwin/repo" in (root / ".copier-answers.yml").read_text()
    assert "_commit: 0.2.0" in (root / ".copier-answers.yml").read_text()
    return root


def test_a_repository_of_macs_from_0_2_0_updates_cleanly_into_the_one_template(
        made_by_0_2_0: Path, capsys: Capture) -> None:
    root = made_by_0_2_0
    flake = root / "flake.nix"
    # The user's own module, in the Mac builder.
    flake.write_text(flake.read_text().replace(
        "          modules = [ ./hosts/${name}/configuration.nix ];",
        "          modules = [\n            ./hosts/${name}/configuration.nix\n            ./my-module.nix\n"
        "          ];"))
    _git(root, "commit", "-qam", "my module")
    before = flake.read_text()
    assert main(["update", "--repo", str(root)]) == 0
    assert "collide" not in capsys.readouterr().err
    text = flake.read_text()
    assert text != before
    assert "<<<<<<<" not in text
    assert "./my-module.nix" in text
    assert "darwinConfigurations = lib.genAttrs hostNames mkMac;" in text
    # Same inputs, so flake.lock does not move.
    assert before.split("outputs =")[0] == text.split("outputs =")[0]
    answers = (root / ".copier-answers.yml").read_text()
    assert "nixbtw_template: flake/repo" in answers
    assert "_commit: 0.3.0" in answers
    assert main(["check", str(root)]) == 0


def test_a_nixos_host_joins_a_repository_of_macs_from_0_2_0(made_by_0_2_0: Path,
                                                             nix_env: dict[str, str]) -> None:
    root = made_by_0_2_0
    assert add(root, EXAMPLES / "minimal.yaml") == 0
    text = (root / "flake.nix").read_text()
    assert "<<<<<<<" not in text
    assert "nixbtw_template: flake/repo" in (root / ".copier-answers.yml").read_text()
    found = outputs(root, nix_env)
    assert (found["nixos"], found["darwin"]) == (["atlas"], ["macbook"])
