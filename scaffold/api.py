"""The library behind the command line: keyword-only functions a pipeline can import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from scaffold.render import Rendered, render_host
from scaffold.spec import HostSpec
from scaffold.write import WriteResult, git_add, write_files

__all__ = ["NewHost", "new_host"]


@dataclass(frozen=True, slots=True)
class NewHost:
    rendered: Rendered
    written: WriteResult
    out: Path

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.rendered.plan.warnings

    def to_json(self) -> dict[str, object]:
        spec = self.rendered.plan.spec
        return {
            "hostname": spec.hostname,
            "lane": spec.lane,
            "release": spec.release,
            "out": str(self.out),
            "written": self.written.written,
            "kept": self.written.skipped,
            "git_added": self.written.git_added,
            "warnings": list(self.warnings),
        }


def new_host(spec: HostSpec, out: Path, *, on: dt.date, force: bool = False,
             stage: bool = True) -> NewHost:
    """Render a host and write it into `out`, all or nothing."""
    rendered = render_host(spec, on=on)
    result = write_files(out, rendered.files, force=force, seeds=rendered.seeds)
    if stage:
        git_add(out, result.written, result)
    return NewHost(rendered=rendered, written=result, out=out)
