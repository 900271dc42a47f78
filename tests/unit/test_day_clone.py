"""roles/headnode/files/day-clone against the DayOA stand-in repository (tests/sandbox/dayoa_repo.py).

Invariants guarded (reference/dayec_domain.md §12): 7 (outputs only under <analysis_root>/<entity>/<analysis_id>/,
both segments validated), 16 (an analysis directory is never reused), 19 (refs are pinned: a tag, never a branch).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from sandbox import dayoa_repo
from sandbox.dayoa_repo import REPOSITORY_NAME
from sandbox.dayoa_repo import TAG
from sandbox.dayoa_repo import build_repository

DAY_CLONE = Path(__file__).resolve().parents[2] / "roles" / "headnode" / "files" / "day-clone"
MARKER = "__DAYLILY_REPO_PATH__="


@pytest.fixture(scope="module")
def dayoa_url(tmp_path_factory):
    return build_repository(tmp_path_factory.mktemp("repos"))


@pytest.fixture
def analysis_root(tmp_path):
    root = tmp_path / "analysis_results"
    root.mkdir()
    return root


def day_clone(*args, env=None, home=None):
    """Run day-clone with bash, isolated from the caller's ~/.config and DAY_* settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DAY_CLONE_CONFIG", "DAY_ANALYSIS_ROOT", "XDG_CONFIG_HOME")
    }
    environment["HOME"] = str(home or "/nonexistent-home")
    environment.update(env or {})
    return subprocess.run(["bash", str(DAY_CLONE), *args], capture_output=True, text=True, env=environment, check=False)


def clone_args(analysis_root, url, destination="A1", entity="ubuntu", tag=TAG, repository=REPOSITORY_NAME):
    args = ["--destination", destination, "--executing-entity", entity, "--repository", repository, "--git-tag", tag]
    if url:
        args += ["--repository-url", url]
    if analysis_root:
        args += ["--analysis-root", str(analysis_root)]
    return args


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_clones_the_pinned_tag_into_the_analysis_directory(analysis_root, dayoa_url):
    result = day_clone(*clone_args(analysis_root, dayoa_url))

    assert result.returncode == 0, result.stderr
    repo = analysis_root / "ubuntu" / "A1" / REPOSITORY_NAME
    assert result.stdout.strip().splitlines()[-1] == MARKER + str(repo)
    assert git(repo, "describe", "--tags", "--exact-match", "HEAD") == TAG
    assert git(repo, "rev-parse", "--is-shallow-repository") == "true"  # --depth 1
    assert os.access(repo / "bin" / "day_run", os.X_OK)
    assert (repo / "workflow" / "Snakefile").is_file()
    assert sorted(path.name for path in (analysis_root / "ubuntu" / "A1").iterdir()) == [REPOSITORY_NAME]


def test_url_from_the_config_file_and_analysis_root_from_the_environment(tmp_path, analysis_root, dayoa_url):
    config = tmp_path / "home" / ".config" / "daylily" / "day-clone.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'# repository key: url\nother-repo: file:///nowhere\n{REPOSITORY_NAME}: "{dayoa_url}"  # pinned\n',
        encoding="utf-8",
    )

    result = day_clone(
        *clone_args(None, None, destination="A2", entity="johnm"),
        home=tmp_path / "home",
        env={"DAY_ANALYSIS_ROOT": str(analysis_root)},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(MARKER + str(analysis_root / "johnm" / "A2" / REPOSITORY_NAME))


def test_analysis_root_option_beats_the_environment(tmp_path, analysis_root, dayoa_url):
    config = tmp_path / "day-clone.yaml"
    config.write_text(f"{REPOSITORY_NAME}: {dayoa_url}\n", encoding="utf-8")

    result = day_clone(
        *clone_args(analysis_root, None),
        env={"DAY_CLONE_CONFIG": str(config), "DAY_ANALYSIS_ROOT": str(tmp_path / "elsewhere")},
    )

    assert result.returncode == 0, result.stderr
    assert (analysis_root / "ubuntu" / "A1" / REPOSITORY_NAME / ".git").is_dir()


def test_refuses_an_existing_analysis_directory(analysis_root, dayoa_url):
    existing = analysis_root / "ubuntu" / "A1"
    existing.mkdir(parents=True)
    (existing / "keep.txt").write_text("earlier results\n", encoding="utf-8")

    result = day_clone(*clone_args(analysis_root, dayoa_url))

    assert result.returncode == 3
    assert "already exists" in result.stderr and str(existing) in result.stderr
    assert MARKER not in result.stdout
    assert sorted(path.name for path in existing.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize(
    "option, value",
    [
        ("destination", "../A1"),
        ("destination", "a/b"),
        ("destination", ".hidden"),
        ("destination", "a..b"),
        ("destination", ""),
        ("entity", "-rf"),
        ("entity", "john m"),
        ("repository", "x/y"),
    ],
)
def test_refuses_a_bad_path_segment_before_touching_anything(analysis_root, dayoa_url, option, value):
    result = day_clone(*clone_args(analysis_root, dayoa_url, **{option: value}))

    assert result.returncode == 2
    assert "one path segment" in result.stderr or "is required" in result.stderr
    assert not list(analysis_root.iterdir())


def test_refuses_a_branch_in_place_of_a_tag(analysis_root, dayoa_url):
    result = day_clone(*clone_args(analysis_root, dayoa_url, tag="main"))

    assert result.returncode == 4
    assert "'main' is a branch" in result.stderr
    assert not list(analysis_root.iterdir())


def test_refuses_an_unknown_tag(analysis_root, dayoa_url):
    result = day_clone(*clone_args(analysis_root, dayoa_url, tag="9.9.9"))

    assert result.returncode == 4
    assert "no tag '9.9.9'" in result.stderr
    assert not list(analysis_root.iterdir())


def test_refuses_a_ref_that_is_both_branch_and_tag(tmp_path, analysis_root):
    work = tmp_path / "work"
    identity = [
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "-c",
        "commit.gpgSign=false",
        "-c",
        "tag.gpgSign=false",
    ]
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run(["git", *identity, "-C", str(work), "commit", "-q", "--allow-empty", "-m", "one"], check=True)
    subprocess.run(["git", *identity, "-C", str(work), "tag", "-a", "1.0", "-m", "1.0"], check=True)
    subprocess.run(["git", *identity, "-C", str(work), "commit", "-q", "--allow-empty", "-m", "two"], check=True)
    subprocess.run(["git", "-C", str(work), "branch", "1.0"], check=True)

    result = day_clone(*clone_args(analysis_root, work.as_uri(), tag="1.0"))

    assert result.returncode == 4
    assert "both a branch and a tag" in result.stderr
    assert not (analysis_root / "ubuntu" / "A1").exists()


def test_unreadable_repository_leaves_nothing_behind(tmp_path, analysis_root):
    result = day_clone(*clone_args(analysis_root, (tmp_path / "missing.git").as_uri()))

    assert result.returncode == 5
    assert "cannot read repository" in result.stderr
    assert not list(analysis_root.iterdir())


def test_repository_key_missing_from_the_config(tmp_path, analysis_root):
    config = tmp_path / "day-clone.yaml"
    config.write_text("other-repo: file:///nowhere\n", encoding="utf-8")

    result = day_clone(*clone_args(analysis_root, None), env={"DAY_CLONE_CONFIG": str(config)})

    assert result.returncode == 2
    assert f"repository '{REPOSITORY_NAME}' has no URL in {config}" in result.stderr


def test_missing_analysis_root(tmp_path, dayoa_url):
    result = day_clone(*clone_args(tmp_path / "no-fsx", dayoa_url))

    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_build_repository_is_idempotent_and_needs_no_git_identity(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    first = build_repository(tmp_path / "repos")
    commit = git(tmp_path / "repos" / f"{REPOSITORY_NAME}.git", "rev-parse", f"{TAG}^{{commit}}")
    second = build_repository(tmp_path / "repos")

    bare = tmp_path / "repos" / f"{REPOSITORY_NAME}.git"
    assert first == second == bare.as_uri()
    assert git(bare, "rev-parse", f"{TAG}^{{commit}}") == commit
    assert git(bare, "cat-file", "-t", TAG) == "tag"  # annotated
    assert git(bare, "rev-parse", "--is-bare-repository") == "true"
    assert git(bare, "for-each-ref", "--format=%(refname)").splitlines() == ["refs/heads/main", f"refs/tags/{TAG}"]


def test_build_repository_rebuilds_when_the_stand_in_changes(tmp_path, monkeypatch, analysis_root):
    source = tmp_path / "dayoa"
    shutil.copytree(
        dayoa_repo.SOURCE_DIR, source, ignore=shutil.ignore_patterns("results", ".snakemake", "__pycache__")
    )
    monkeypatch.setattr(dayoa_repo, "SOURCE_DIR", source)
    url = build_repository(tmp_path / "repos")
    (source / "config" / "day_config.yaml").write_text("pipeline_name: changed\n", encoding="utf-8")

    assert build_repository(tmp_path / "repos") == url
    result = day_clone(*clone_args(analysis_root, url))

    assert result.returncode == 0, result.stderr
    clone = analysis_root / "ubuntu" / "A1" / REPOSITORY_NAME
    assert (clone / "config" / "day_config.yaml").read_text(encoding="utf-8") == "pipeline_name: changed\n"


# One table for both copies of the path-segment rule: paths.validate_segment (controller and modules) and day-clone's
# shell check (headnode). A case either copy decides differently fails here.
SEGMENT_CASES = [
    ("A1", True),
    ("run.42", True),
    ("a_b-c", True),
    ("1", True),
    ("x" * 255, True),
    ("", False),
    ("../A1", False),
    ("a/b", False),
    (".hidden", False),
    ("a..b", False),
    ("..", False),
    ("-rf", False),
    ("_x", False),
    ("john m", False),
    ("a%2Fb", False),
    ("a\\b", False),
    ("ä", False),
    ("x" * 256, False),
    ("a\nb", False),
    ("A1 ", False),
    ("a:b", False),
]


@pytest.mark.parametrize(
    "value, accepted",
    SEGMENT_CASES,
    ids=lambda case: repr(case)[:12] + ("...%d" % len(case) if len(str(case)) > 12 else ""),
)
def test_day_clone_and_validate_segment_agree_on_every_segment(tmp_path, value, accepted):
    try:
        paths.validate_segment(value, field="destination")
        python_accepts = True
    except paths.PathRuleError:
        python_accepts = False

    # A missing analysis root is the first check after the segments: reaching it means the segment passed.
    result = day_clone(*clone_args(tmp_path / "no-root", "file:///nowhere", destination=value))
    shell_accepts = "does not exist" in result.stderr
    assert result.returncode == 2
    assert (python_accepts, shell_accepts) == (accepted, accepted), result.stderr
