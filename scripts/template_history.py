"""Rebuild scaffold/data/templates.bundle: every released template version.

    .venv/bin/python scripts/template_history.py           # after bumping the version
    .venv/bin/python scripts/template_history.py --amend   # templates changed, version not released yet

Each version is one commit of templates/ tagged with the nixbtw version, made
with a fixed author and date so the history is reproducible. Released versions
are never rewritten: --amend only replaces the newest commit, and only when it
carries the current version. tests/test_history.py fails until the bundle
matches templates/ and the package version.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scaffold import __version__  # noqa: E402

BUNDLE = ROOT / "scaffold" / "data" / "templates.bundle"
EPOCH = 1767225600  # 2026-01-01T00:00:00Z


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--amend", action="store_true",
                        help="replace the newest version's commit (unreleased version only)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "history"
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        tags: list[str] = []
        if BUNDLE.is_file():
            git(repo, "fetch", "-q", "--update-head-ok", str(BUNDLE), "refs/heads/main:refs/heads/main",
                "refs/tags/*:refs/tags/*")
            git(repo, "reset", "-q", "--hard", "main")
            tags = git(repo, "tag", "--merged", "main", "--sort=creatordate").split()
        if tags and tags[-1] == __version__:
            if not args.amend:
                print(f"{__version__} is already in the history; pass --amend to replace it "
                      "(only while it is unreleased), or bump the version", file=sys.stderr)
                return 2
            git(repo, "tag", "-d", __version__)
            if len(tags) > 1:
                git(repo, "reset", "-q", "--hard", "HEAD~1")
            else:
                git(repo, "update-ref", "-d", "refs/heads/main")
            tags.pop()
        for entry in repo.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copytree(ROOT / "templates", repo, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        git(repo, "add", "-A")
        stamp = f"{EPOCH + 86400 * len(tags)} +0000"
        env = {**os.environ, "GIT_AUTHOR_NAME": "nixbtw", "GIT_AUTHOR_EMAIL": "nixbtw@invalid",
               "GIT_COMMITTER_NAME": "nixbtw", "GIT_COMMITTER_EMAIL": "nixbtw@invalid",
               "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
               "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
        git(repo, "commit", "-q", "--allow-empty", "-m", f"templates {__version__}", env=env)
        git(repo, "tag", __version__, env=env)
        BUNDLE.parent.mkdir(parents=True, exist_ok=True)
        tmp_bundle = BUNDLE.with_suffix(".tmp")
        git(repo, "bundle", "create", str(tmp_bundle), "main", "--tags")
        tmp_bundle.replace(BUNDLE)
        print(f"{BUNDLE.relative_to(ROOT)}: {', '.join([*tags, __version__])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
