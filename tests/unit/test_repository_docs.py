"""What the README and the shipped inventories promise about the repository itself: every file they name is in it,
and what a run writes (receipts under exports/, the sandbox's state, virtual environments) stays out of git."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = ("catalog", "changelogs", "extensions", "inventories", "meta", "playbooks", "plugins", "roles", "tests")
# `inventories/aws`, `playbooks/export.yml`, `DESIGN.md`: a name in backquotes that is a path in the repository.
_NAMED_PATH = re.compile(r"`((?:%s)/[\w./-]*|[\w.-]+\.md)`" % "|".join(TOP_LEVEL))


def named_paths(text):
    return sorted({match.rstrip("/") for match in _NAMED_PATH.findall(text)})


def test_defect_17_every_file_the_readme_names_is_in_the_repository():
    missing = [
        path for path in named_paths((ROOT / "README.md").read_text(encoding="utf-8")) if not (ROOT / path).exists()
    ]
    assert missing == []


def test_defect_17_the_readme_describes_the_layout_itself():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "DESIGN.md" not in readme and "shared notes" not in readme
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    for directory in (
        "plugins/modules",
        "plugins/module_utils",
        "plugins/plugin_utils",
        "plugins/connection",
        "inventories/sandbox",
        "inventories/aws",
        "tests/sandbox",
    ):
        assert f"`{directory}" in layout, directory


@pytest.mark.parametrize("inventory", sorted(path.name for path in (ROOT / "inventories").iterdir()))
def test_defect_17_every_inventory_the_inventories_mention_exists(inventory):
    for path in sorted((ROOT / "inventories" / inventory).rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        yaml.safe_load(text)
        for mentioned in re.findall(r"\binventories/([\w-]+)", text):
            assert (ROOT / "inventories" / mentioned).is_dir(), f"{path} mentions inventories/{mentioned}"


def test_defect_17_the_aws_inventory_reaches_the_headnode_through_the_ssm_connection():
    hosts = yaml.safe_load((ROOT / "inventories" / "aws" / "hosts.yml").read_text(encoding="utf-8"))
    headnodes = yaml.safe_load(
        (ROOT / "inventories" / "aws" / "group_vars" / "headnodes.yml").read_text(encoding="utf-8")
    )
    everyone = yaml.safe_load((ROOT / "inventories" / "aws" / "group_vars" / "all.yml").read_text(encoding="utf-8"))
    assert "headnode" in hosts["all"]["children"]["headnodes"]["hosts"]
    assert headnodes["ansible_connection"] == "daylily.ephemeral_cluster.ssm"
    assert headnodes["ansible_ssm_region"] == "{{ region }}" and everyone["region"]


@pytest.mark.parametrize(
    "path",
    [
        "exports/alice/run42/fsx_export.yaml",
        ".sandbox/env",
        "bench-results/run.json",
        "deletions/day-demo/20261206T120000Z/cluster_deletion.yaml",
        "preflight_reports/preflight_day-demo_20261206T120000Z.json",
        ".venv-oldest/bin/python",
        ".venv-pcluster/bin/pcluster",
        ".build/collections",
    ],
)
def test_defect_17_run_outputs_stay_out_of_git(path):
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, check=False)
    assert ignored.returncode == 0, f"{path} is not ignored by .gitignore"


def test_the_readme_names_only_variables_the_playbooks_read():
    """Each playbook row of the README's table lists variables that the playbook or its role's argument spec reads."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    specs = {}
    for spec in (ROOT / "roles").glob("*/meta/argument_specs.yml"):
        for entry in yaml.safe_load(spec.read_text(encoding="utf-8"))["argument_specs"].values():
            specs.update(entry.get("options") or {})
    rows = re.findall(r"^\| `(playbooks/[\w.]+)` \|[^|]*\| (.*) \|$", readme, flags=re.MULTILINE)
    assert rows
    for playbook, variables in rows:
        text = (ROOT / playbook).read_text(encoding="utf-8")
        for name in re.findall(r"`([a-z][a-z_]+)`", variables):
            assert re.search(rf"\b{name}\b", text) or name in specs, f"README: {playbook} does not read {name}"
