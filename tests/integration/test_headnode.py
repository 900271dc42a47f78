"""The headnode role (playbooks/headnode.yml), ssm_instance_info and headnode_readiness against the sandbox.

The sandbox headnode is a directory (<headnode_root>/home/ubuntu is its HOME, <headnode_root>/fsx its /fsx, a symlink
to the file system's namespace) reached through the collection's ssm connection: SSM Run Command really runs the
modules there. There is no sudo in the sandbox, so run_as is ''.

Invariants guarded (reference/dayec_domain.md §12): 14 (headnode work goes through SSM Run Command), 17 (headnode
readiness is checked, every failing check reported), 19 (day-clone's repository map comes from the role's URL map).
"""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from sandbox.dayoa_repo import REPOSITORY_NAME
from sandbox.dayoa_repo import build_repository
from sandbox.dayoa_repo import day_clone_arguments
from testlib.playbooks import OPERATOR_PLAYBOOKS
from testlib.playbooks import REPO
from testlib.playbooks import run_playbook
from testlib.playbooks import ssm_inventory

pytestmark = pytest.mark.integration

HEADNODE_PLAYBOOK = str(OPERATOR_PLAYBOOKS / "headnode.yml")
DAY_CLONE = REPO / "roles" / "headnode" / "files" / "day-clone"
ROLE = "daylily.ephemeral_cluster.headnode : "  # the json callback names role tasks after their role
WAIT_TASK = ROLE + "Poll the headnode's SSM ping status until it is Online"
READINESS_TASK = ROLE + "Check the headnode's readiness (every check, all failures at once)"


@pytest.fixture(scope="module")
def dayoa_url(tmp_path_factory):
    return build_repository(tmp_path_factory.mktemp("repos"))


def inventory(tmp_path, cluster):
    return {"ANSIBLE_INVENTORY": str(ssm_inventory(tmp_path, cluster))}


def play_vars(cluster, dayoa_url, **extra):
    return dict(
        {
            "cluster_name": cluster["cluster_name"],
            "fsx_mount_point": cluster["fsx_mount"],
            "headnode_require_mountpoint": False,  # the sandbox's /fsx is a symlink to a directory
            "headnode_repository_urls": {REPOSITORY_NAME: dayoa_url},
            "headnode_ssm_poll_interval": 1,
        },
        **extra,
    )


def home(cluster):
    return Path(cluster["headnode_root"]) / "home" / "ubuntu"


def headnode_files(cluster):
    """What the role creates on the headnode."""
    return {
        "day_clone": home(cluster) / ".local" / "bin" / "day-clone",
        "config": home(cluster) / ".config" / "daylily" / "day-clone.yaml",
        "analysis_root": Path(cluster["fsx_mount"]) / "analysis_results",
    }


def mutations_besides_the_transport(sandbox):
    """Mutating AWS calls other than the ssm connection's SendCommand (the transport every headnode task uses)."""
    return [call for call in sandbox.mutating_calls() if (call["service"], call["operation"]) != ("ssm", "SendCommand")]


def test_references_are_imported_by_the_seed(cluster):
    assert any((Path(cluster["fsx_mount"]) / "references").iterdir())


def test_headnode_playbook_installs_day_clone_and_is_ready(sandbox, cluster, tmp_path, node_tmp, dayoa_url):
    env = inventory(tmp_path, cluster)
    run = run_playbook(HEADNODE_PLAYBOOK, play_vars(cluster, dayoa_url), env=env)
    assert run.rc == 0, run.failures()

    files = headnode_files(cluster)
    assert files["day_clone"].read_bytes() == DAY_CLONE.read_bytes()
    assert stat.S_IMODE(files["day_clone"].stat().st_mode) == 0o755
    assert f'{REPOSITORY_NAME}: "{dayoa_url}"' in files["config"].read_text().splitlines()
    assert files["analysis_root"].is_dir()

    wait = run.result(WAIT_TASK)
    assert wait["headnode_instance_id"] == cluster["headnode_instance_id"]
    assert wait["instances"][0]["ping_status"] == "Online"
    readiness = run.result(READINESS_TASK)
    assert readiness["ready"] is True, readiness["msg"]
    assert {check["id"] for check in readiness["checks"]} >= {
        "fsx.mount",
        "fsx.references",
        "tool:day-clone",
        "tool:git",
        "tool:tmux",
    }
    assert readiness["fsx_mount_point"] == cluster["fsx_mount"]
    assert all(check["status"] == "PASS" for check in readiness["checks"])
    assert run.changed_count() > 0

    # Idempotent: nothing changes the second time.
    sandbox.clear_audit()
    again = run_playbook(HEADNODE_PLAYBOOK, play_vars(cluster, dayoa_url), env=env)
    assert again.rc == 0, again.failures()
    assert again.changed_count() == 0, again.stats
    assert mutations_besides_the_transport(sandbox) == []
    print("SendCommand per run of a prepared headnode:", len(sandbox.calls("SendCommand")))

    # Check mode on a prepared headnode: nothing would change and it is ready.
    checked = run_playbook(HEADNODE_PLAYBOOK, play_vars(cluster, dayoa_url), env=env, check=True)
    assert checked.rc == 0, checked.failures()
    assert checked.changed_count() == 0, checked.stats
    assert checked.result(READINESS_TASK)["ready"] is True

    # The installed day-clone finds the repository through the written map and clones the pinned tag.
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DAY_CLONE_CONFIG", "XDG_CONFIG_HOME")
    }
    environment["HOME"] = str(home(cluster))
    clone = subprocess.run(
        [str(files["day_clone"]), *day_clone_arguments("A1", files["analysis_root"])],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert clone.returncode == 0, clone.stderr
    assert (files["analysis_root"] / "ubuntu" / "A1" / REPOSITORY_NAME / "bin" / "day_run").is_file()


def test_check_mode_changes_nothing_and_reports_readiness(sandbox, cluster, tmp_path, node_tmp, dayoa_url):
    env = inventory(tmp_path, cluster)
    sandbox.clear_audit()
    run = run_playbook(HEADNODE_PLAYBOOK, play_vars(cluster, dayoa_url), env=env, check=True)
    assert run.rc == 0, run.failures()

    files = headnode_files(cluster)
    assert not files["day_clone"].exists() and not files["config"].exists() and not files["analysis_root"].exists()
    assert not (home(cluster) / ".local").exists() and not (home(cluster) / ".config").exists()
    assert mutations_besides_the_transport(sandbox) == []

    readiness = run.result(READINESS_TASK)
    assert readiness["ready"] is False
    assert readiness["failed_checks"] == ["tool:day-clone", f"directory:{files['analysis_root']}"]
    assert run.result(ROLE + "Create day-clone's directories and the analysis root on the headnode")["changed"] is True


def test_connection_lost_headnode_times_out_with_a_clear_message(sandbox, cluster, tmp_path, node_tmp, dayoa_url):
    sandbox.call("POST", "headnodes", {"instance_id": cluster["headnode_instance_id"], "ping_status": "ConnectionLost"})
    env = inventory(tmp_path, cluster)
    sandbox.clear_audit()

    run = run_playbook(HEADNODE_PLAYBOOK, play_vars(cluster, dayoa_url, headnode_ssm_wait_timeout=2), env=env)

    assert run.rc != 0
    failure = run.result(ROLE + "Explain why the headnode is not reachable through SSM")
    assert failure["failed"] is True
    assert failure["msg"].startswith(
        f"The headnode {cluster['headnode_instance_id']} did not reach SSM PingStatus Online within 2 s "
        "(last PingStatus: ConnectionLost, last ping "
    )
    assert "AmazonSSMManagedInstanceCore" in failure["msg"] and "headnode_ssm_wait_timeout" in failure["msg"]
    assert len(sandbox.calls("DescribeInstanceInformation")) == 3  # the first poll and 2 retries, 1 s apart
    assert sandbox.calls("SendCommand") == []  # nothing was sent to a headnode SSM cannot reach
    assert not headnode_files(cluster)["day_clone"].exists()


def test_unknown_cluster_stops_the_wait_at_once(sandbox, cluster, tmp_path, node_tmp, dayoa_url):
    env = inventory(tmp_path, cluster)
    sandbox.clear_audit()

    run = run_playbook(HEADNODE_PLAYBOOK, play_vars(cluster, dayoa_url, cluster_name="no-such-cluster"), env=env)

    assert run.rc != 0
    failure = run.result(ROLE + "Explain why the headnode is not reachable through SSM")
    assert failure["msg"].startswith(
        "Cannot check the headnode's SSM status: No running EC2 instance in us-west-2 is tagged "
        "parallelcluster:cluster-name=no-such-cluster"
    )
    assert len(sandbox.calls("DescribeInstances")) == 1  # a lookup error is not waited out
    assert sandbox.calls("SendCommand") == []


def test_missing_references_is_not_ready_and_lists_every_failing_check(sandbox, cluster, tmp_path, node_tmp, dayoa_url):
    fsx = Path(cluster["fsx_mount"])
    for entry in (fsx / "references").iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (fsx / "runtime_assets").mkdir()
    required = "references/runtime_assets/tool_specific_resources/cromwell_87.jar"
    env = inventory(tmp_path, cluster)

    run = run_playbook(HEADNODE_PLAYBOOK, play_vars(cluster, dayoa_url, headnode_required_files=[required]), env=env)

    assert run.rc != 0
    readiness = run.result(READINESS_TASK)
    assert readiness["failed"] is True and readiness["ready"] is False
    assert readiness["failed_checks"] == ["fsx.references", f"file:{required}", f"forbidden:{fsx}/runtime_assets"]
    assert readiness["msg"].startswith("The headnode is not ready: 3 of ")
    for check in readiness["checks"]:
        if check["status"] == "FAIL":
            assert f"[{check['id']}]" in readiness["msg"] and check["remediation"] in readiness["msg"]
    # The bootstrap ran before the checks.
    assert headnode_files(cluster)["day_clone"].exists()


def test_modules_against_the_sandbox(sandbox, cluster, tmp_path, node_tmp):
    env = inventory(tmp_path, cluster)
    sandbox.clear_audit()
    extra = {
        "cluster_name": cluster["cluster_name"],
        "instance_id": cluster["headnode_instance_id"],
        "fsx_mount_point": cluster["fsx_mount"],
    }

    run = run_playbook("headnode_modules.yml", extra, env=env)

    assert run.rc == 0, run.failures()
    by_cluster = run.result("Headnode by cluster name")
    assert by_cluster["headnode_instance_id"] == cluster["headnode_instance_id"]
    assert [item["ping_status"] for item in by_cluster["instances"]] == ["Online"]
    assert by_cluster["instances"][0]["platform_name"] == "Ubuntu"
    by_id = run.result("Headnode by instance id")["instances"]
    assert [(item["instance_id"], item["ping_status"]) for item in by_id] == [
        (cluster["headnode_instance_id"], "Online")
    ]
    assert run.result("Instances whose agent lost its connection")["instances"] == []
    unknown = run.result("Headnode of a cluster that does not exist")
    assert unknown["msg"].startswith(
        "No running EC2 instance in us-west-2 is tagged parallelcluster:cluster-name=no-such-cluster"
    )

    readiness = run.result("Readiness report")
    assert readiness["ready"] is False
    assert readiness["failed_checks"] == ["tool:day-clone", f"directory:{cluster['fsx_mount']}/analysis_results"]
    assert str(home(cluster) / ".local" / "bin") == readiness["search_path"].split(os.pathsep)[0]
    assert mutations_besides_the_transport(sandbox) == []
