"""Clusters with a time-to-live made by the sandbox's pcluster, and the pcluster inventory plugin's view of them
through the real ansible-inventory (tests of the inventory plugin and of playbooks/reap.yml)."""

import datetime
import json
import shutil
import subprocess

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import cluster_ttl
from sandbox.client import SandboxControl
from testlib.pcluster import run_pcluster
from testlib.pcluster import write_cluster_config
from testlib.playbooks import REPO
from testlib.playbooks import playbook_environment

SANDBOX_SOURCE_DIR = REPO / "inventories" / "sandbox_clusters"
SANDBOX_SOURCE = SANDBOX_SOURCE_DIR / "pcluster.yml"
REGION = "us-west-2"


def create_cluster(directory, network, name, ttl_hours=None):
    """A cluster made by the sandbox's pcluster, CREATE_COMPLETE. With ``ttl_hours`` it is tagged as create.yml tags
    it: created now with that time-to-live, or, for negative hours, created 2 × |hours| ago (so already expired)."""
    tags = {}
    if ttl_hours is not None:
        now = cluster_ttl.utc_now()
        created = now if ttl_hours > 0 else now - datetime.timedelta(hours=-2 * ttl_hours)
        tags = cluster_ttl.expiry_tags(abs(ttl_hours), created)
    config = write_cluster_config(directory, name, network, tags=tags)
    rc, answer = run_pcluster("create-cluster", "-n", name, "-c", config)
    assert rc == 0, answer
    # what create.yml's wait does with `pcluster describe-cluster`: the sandbox's stack moves on when observed
    observed = SandboxControl().call("GET", "pcluster-stacks", {"stack_name": name, "region": REGION})
    assert observed["status"] == "CREATE_COMPLETE", observed
    return answer


def plain(value):
    """ansible-inventory's JSON without its inventory_legacy markers: a plugin's strings come as
    {"__ansible_unsafe": text} (not trusted as templates), which is what AWX reads too."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def inventory_command(source, env=None):
    """Run `ansible-inventory -i <source> --list`; the finished process."""
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "ansible-inventory"), "-i", str(source), "--list"],
        capture_output=True,
        text=True,
        env=playbook_environment(env),
        cwd=REPO,
        timeout=120,
        check=False,
    )


def inventory_list(source, env=None):
    """What `ansible-inventory -i <source> --list` prints, as plain JSON."""
    done = inventory_command(source, env)
    assert done.returncode == 0, done.stderr
    return plain(json.loads(done.stdout))


def sandbox_inventory(directory, host_vars=None):
    """A copy of inventories/sandbox_clusters (the shipped source and its group_vars) with ``host_vars``
    ({host: {variable: value}}), e.g. each sandbox head node's own FSx mount point; the source file's path."""
    target = directory / "sandbox_clusters"
    shutil.copytree(SANDBOX_SOURCE_DIR, target)
    (target / "host_vars").mkdir(exist_ok=True)
    for host, variables in (host_vars or {}).items():
        (target / "host_vars" / f"{host}.yml").write_text(json.dumps(variables), encoding="utf-8")
    return target / "pcluster.yml"
