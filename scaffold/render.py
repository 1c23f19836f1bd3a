"""Rendering: spec in, files out as data. copier does the templating."""

from __future__ import annotations

import datetime as dt
import tempfile
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from scaffold.plan import Plan, make_plan
from scaffold.spec import HostSpec


@dataclass(frozen=True, slots=True)
class Rendered:
    """A host as data: repo-relative paths to file contents."""

    plan: Plan
    files: dict[str, str]
    # Files the user owns once they exist: written only when absent.
    seeds: dict[str, str]
    answers_file: str


def template_root() -> Path:
    """The copier template: inside the wheel, or the source checkout."""
    packaged = Path(str(resources.files("scaffold"))) / "_templates"
    if (packaged / "copier.yml").is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


def answers_data(spec: HostSpec) -> dict[str, object]:
    # Every answer is recorded explicitly, defaults included, so a newer
    # nixbtw with other defaults never changes an existing host behind its back.
    return spec.model_dump(mode="json")


def render_host(spec: HostSpec, *, on: dt.date) -> Rendered:
    plan = make_plan(spec, on=on)
    answers_file = plan.path(".copier-answers.yml")
    root = template_root()
    from copier import run_copy  # heavy: imported only when rendering

    with tempfile.TemporaryDirectory(prefix="nixbtw-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_copy(
            str(root), tmp, data=answers_data(spec), defaults=True, quiet=True,
            unsafe=True, answers_file=answers_file, overwrite=True,
        )
        files = {
            p.relative_to(tmp).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(Path(tmp).rglob("*")) if p.is_file()
        }
    # Files the user owns once they exist are written only where nothing is.
    seeds = {rel: files.pop(rel) for rel in list(files) if _is_seed(rel)}
    return Rendered(plan=plan, files=files, seeds=seeds, answers_file=answers_file)


def _is_seed(rel: str) -> bool:
    parts = rel.split("/")
    return (len(parts) == 4 and parts[0] == "hosts" and parts[2] == "home") or (
        len(parts) == 2 and parts[0] == "home")
