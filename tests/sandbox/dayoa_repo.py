"""Serve the DayOA stand-in (tests/sandbox/dayoa/) as a git repository, the way GitHub serves DayOA.

`build_repository(dest_dir)` creates the bare repository `<dest_dir>/daylily-omics-analysis.git` holding one
commit of the stand-in's tree on branch `main`, tagged `2.0.26` (annotated, the catalog's pinned tag), and
returns its file:// URL for `git clone` / `day-clone --repository-url`. The commit's dates and identity are
fixed, so the same tree always gives the same commit id; calling it again returns at once while the tag still
holds the current tree, and rebuilds the repository when tests/sandbox/dayoa/ changed. It needs no git
identity or default-branch settings of its own (everything is passed with -c) and ignores hooks and signing.

    python -m sandbox.dayoa_repo /tmp/repos      # prints the URL
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent / "dayoa"
REPOSITORY_NAME = "daylily-omics-analysis"
TAG = "2.0.26"
BRANCH = "main"
# Files that must be executable in the clone whatever the checkout's file modes (core.fileMode=false, say).
EXECUTABLES = ("bin/day_run",)
_IDENTITY = {
    "GIT_AUTHOR_NAME": "Daylily sandbox",
    "GIT_AUTHOR_EMAIL": "sandbox@daylily.invalid",
    "GIT_COMMITTER_NAME": "Daylily sandbox",
    "GIT_COMMITTER_EMAIL": "sandbox@daylily.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}
_CONFIG = (
    "-c",
    "user.name=Daylily sandbox",
    "-c",
    "user.email=sandbox@daylily.invalid",
    "-c",
    "commit.gpgSign=false",
    "-c",
    "tag.gpgSign=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.excludesFile=/dev/null",
    "-c",
    "init.defaultBranch=" + BRANCH,
)


def _git(*args, env=None):
    result = subprocess.run(["git", *_CONFIG, *args], capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout.strip()


def _source_tree(git_dir):
    """Stage tests/sandbox/dayoa/ (honouring its .gitignore) into git_dir and return the tree id.

    A fresh index every time: an index already holding these files would make `git add` skip writing their
    blobs into a newly created repository.
    """
    work = ("--git-dir", str(git_dir), "--work-tree", str(SOURCE_DIR))
    with tempfile.TemporaryDirectory(prefix="dayoa-index-") as scratch:
        env = dict(os.environ, GIT_INDEX_FILE=str(Path(scratch) / "index"))
        _git(*work, "add", "--all", ".", env=env)
        for name in EXECUTABLES:
            _git(*work, "update-index", "--chmod=+x", name, env=env)
        return _git(*work, "write-tree", env=env)


def _tagged_tree(git_dir):
    try:
        return _git("--git-dir", str(git_dir), "rev-parse", f"refs/tags/{TAG}^{{tree}}")
    except RuntimeError:
        return ""


def day_clone_arguments(destination, analysis_root, repository_url=None):
    """day-clone's arguments that clone this repository at TAG into <analysis_root>/ubuntu/<destination>; the
    repository's URL comes from day-clone's repository map unless ``repository_url`` is given."""
    arguments = ["--destination", destination, "--executing-entity", "ubuntu"]
    arguments += ["--repository", REPOSITORY_NAME, "--git-tag", TAG, "--analysis-root", str(analysis_root)]
    return arguments + (["--repository-url", repository_url] if repository_url else [])


def build_repository(dest_dir):
    """Create (or reuse) the bare DayOA repository under dest_dir; return its file:// URL."""
    bare = Path(dest_dir).resolve() / f"{REPOSITORY_NAME}.git"
    if (bare / "HEAD").is_file():
        if _source_tree(bare) == _tagged_tree(bare):
            return bare.as_uri()
        shutil.rmtree(bare)  # the stand-in changed: rebuild rather than move a published tag
    bare.parent.mkdir(parents=True, exist_ok=True)
    _git("init", "--quiet", "--bare", str(bare))
    _git("--git-dir", str(bare), "symbolic-ref", "HEAD", f"refs/heads/{BRANCH}")
    tree = _source_tree(bare)
    env = dict(os.environ, **_IDENTITY)
    commit = _git(
        "--git-dir", str(bare), "commit-tree", tree, "-m", f"daylily-omics-analysis {TAG} (sandbox stand-in)", env=env
    )
    _git("--git-dir", str(bare), "update-ref", f"refs/heads/{BRANCH}", commit)
    _git("--git-dir", str(bare), "tag", "--annotate", TAG, "-m", f"daylily-omics-analysis {TAG}", commit, env=env)
    return bare.as_uri()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} DEST_DIR")
    print(build_repository(sys.argv[1]))
