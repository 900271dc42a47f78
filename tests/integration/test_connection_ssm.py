"""The daylily.ephemeral_cluster.ssm connection plugin through real ansible-playbook runs against the sandbox.

The sandbox runs AWS-RunShellScript for real, with bash, in <headnode_root>/<instance-id>/home/ubuntu, with AWS's
24,000/8,000-character output caps and OutputS3BucketName uploads. There is no sudo in the sandbox, so run_as is ''
(commands run as the agent's user). The audit log shows every SendCommand; each is attributed to the task whose
start/end (json callback) encloses it. Invariant 14 (dayec_domain.md §12): remote work goes through SSM Run Command,
base64-guarded.
"""

import base64
import gzip
import hashlib
import json
import os
import random
import string
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from testlib.playbooks import run_playbook
from testlib.playbooks import ssm_inventory

pytestmark = pytest.mark.integration

TASKS = "connection_ssm_tasks.yml"
OUTPUT = "connection_ssm_output.yml"
MODULE_TASKS = ("Ping", "Command", "Shell", "Stat", "File", "Lineinfile", "Slurp")
TORTURE = (
    "it's \"double\" and 'single' $(echo no) `echo no` $HOME \\ \\n \\\\ trailing\\\n"
    "second line\ttab ünïcødé ✓ 中文 %s %% ' \" ;|&<>*?!#~ end"
)
NOISE_CHARS = 60000


def inventory(tmp_path, cluster, **extra):
    """The sandbox headnode behind the ssm connection; ``extra`` sets more host variables."""
    return {"ANSIBLE_INVENTORY": str(ssm_inventory(tmp_path, cluster, **extra))}


def home(cluster):
    return Path(cluster["headnode_root"]) / "home" / "ubuntu"


def _epoch(stamp):
    return datetime.fromisoformat(stamp.rstrip("Z")).replace(tzinfo=UTC).timestamp()


def send_commands(sandbox):
    return [e for e in sandbox.audit() if e["service"] == "ssm" and e["operation"] == "SendCommand"]


def sends_per_task(run, sends):
    """{task name: SendCommands made while it ran}; every SendCommand belongs to exactly one task."""
    counts = {}
    attributed = 0
    for play in run.report["plays"]:
        for task in play["tasks"]:
            window = task["task"]["duration"]
            start, end = _epoch(window["start"]), _epoch(window["end"])
            inside = sum(start <= entry["time"] <= end for entry in sends)
            counts[task["task"]["name"]] = inside
            attributed += inside
    assert attributed == len(sends), (counts, len(sends))
    return counts


def noise():
    random.seed(7)
    return "".join(random.choice(string.ascii_letters) for position in range(NOISE_CHARS))


@pytest.fixture
def files(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(1024 * 1024))
    template = tmp_path / "motd.j2"
    template.write_text("cluster {{ inventory_hostname }} ✓\n")
    fetched = tmp_path / "fetched"
    fetched.mkdir()
    return {"big_file": str(big), "template_file": str(template), "fetch_dir": str(fetched)}


def ansible_tmp(cluster):
    return home(cluster) / ".ansible" / "tmp"


def leftovers(node_tmp):
    """What the plugin left in the node's TMPDIR besides its module cache."""
    return sorted(path.name for path in node_tmp.iterdir() if not path.name.startswith("dayec-ssm-cache-"))


def test_ten_mixed_tasks_one_send_command_per_module_task(sandbox, cluster, tmp_path, node_tmp, files):
    bucket = cluster["buckets"][2]
    env = inventory(tmp_path, cluster, ansible_ssm_bucket_name=bucket)
    sandbox.clear_audit()
    run = run_playbook(TASKS, dict(files, work_dir=str(home(cluster))), env=env)
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]

    sent = hashlib.sha256(Path(files["big_file"]).read_bytes()).hexdigest()
    assert hashlib.sha256((home(cluster) / "big.bin").read_bytes()).hexdigest() == sent
    assert hashlib.sha256((Path(files["fetch_dir"]) / "big.bin").read_bytes()).hexdigest() == sent
    assert run.result("Stat")["stat"]["checksum"] == sent
    assert run.result("Command")["stdout"] == "hello from ssm"
    assert run.result("Shell")["stdout"].strip() == "3"
    assert (home(cluster) / "rendered.txt").read_text() == "cluster headnode ✓\n"
    assert (home(cluster) / "subdir").is_dir()
    assert base64.b64decode(run.result("Slurp")["content"]) == b"key = value\n"

    sends = send_commands(sandbox)
    counts = sends_per_task(run, sends)
    print("SendCommand per task (bucket):", counts)
    for name in MODULE_TASKS:
        assert counts[name] == 1, counts
    # copy and template: the stat module (carrying the mkdir of Ansible's temporary directory), the copy module
    # (carrying the transfer and the chmod) and the removal of the temporary directory; `echo ~` is answered from the
    # home earlier frames reported. Fetch: the stat module and the read.
    assert (counts["Copy a 1 MB file"], counts["Template"], counts["Fetch it back"]) == (3, 3, 2), counts
    assert list(ansible_tmp(cluster).iterdir()) == []  # every temporary directory was removed

    assert all(entry.get("request") for entry in sends), "a SendCommand body was above 64 KiB"
    requests = [entry["request"] for entry in sends]
    assert all(r["DocumentName"] == "AWS-RunShellScript" for r in requests)
    assert all(r["InstanceIds"] == [cluster["headnode_instance_id"]] for r in requests)
    assert all(r["OutputS3BucketName"] == bucket for r in requests)
    assert all(r["Parameters"]["executionTimeout"] == ["3600"] and r["TimeoutSeconds"] == 60 for r in requests)
    # Module payloads (~160 KB with ansible-core 2.21) and the 1 MB file went through the bucket, and were removed.
    s3_puts = [e for e in sandbox.audit() if e["service"] == "s3" and e["operation"] == "PutObject"]
    assert len(s3_puts) >= len(MODULE_TASKS) + 1
    # Output past the cap: one SendCommand, the full output read from the bucket the agent wrote it to.
    assert run.result("Print 24001 characters")["stdout"] == "x" * 24001
    assert counts["Print 24001 characters"] == 1, counts
    output_reads = [e for e in sandbox.audit() if e["service"] == "s3" and e["operation"] == "GetObject"]
    assert len(output_reads) == 2 + 2  # stdout and stderr of the fetch and of the wide output
    assert leftovers(node_tmp) == []


def test_output_past_the_cap_and_quoting_torture_without_a_bucket(sandbox, cluster, tmp_path, node_tmp):
    env = inventory(tmp_path, cluster)
    sandbox.clear_audit()
    run = run_playbook(
        OUTPUT, {"torture": TORTURE, "work_dir": str(home(cluster)), "noise_chars": NOISE_CHARS}, env=env
    )
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.result("Print 24001 characters")["stdout"] == "x" * 24001
    assert run.result("Print incompressible output")["stdout"] == noise()
    assert run.result("Torture through command argv")["stdout"] == TORTURE
    assert run.result("Torture through raw")["stdout"] == TORTURE
    assert (home(cluster) / "torture.txt").read_bytes() == TORTURE.encode()
    assert base64.b64decode(run.result("Torture read back")["content"]).decode() == TORTURE
    failing = run.result("Exit code and stderr")
    assert (failing["rc"], failing["stdout"], failing["stderr"]) == (3, "to-stdout", "to-stderr")

    counts = sends_per_task(run, send_commands(sandbox))
    print("SendCommand per task (no bucket):", counts)
    # First use of a module on this node: its zip (~160 KB encoded, commands carry 64 KB) reaches the node's cache in
    # 3 commands: the first carries a chunk (the node lacks the zip, keeps the chunk and runs nothing), one more
    # chunk, then the command itself carries the last chunk and runs. The 24,001 characters are spooled: one read.
    assert counts["Print 24001 characters"] == 3 + 1, counts
    # copy: stat and copy modules, both first used here (3 + 3), and the cleanup; slurp: first used here.
    assert counts["Torture through copy content"] == 3 + 3 + 1 and counts["Torture read back"] == 3, counts
    # Cached from now on: one SendCommand, plus chunk reads for output spooled past 24,000 characters.
    noise_reads = -(-len(base64.b64encode(gzip.compress(noise().encode()))) // 23000)
    assert counts["Print incompressible output"] == 1 + noise_reads, counts
    for name in ("Torture through command argv", "Torture through raw", "Exit code and stderr"):
        assert counts[name] == 1, counts
    assert leftovers(node_tmp) == []


def test_throttling_and_a_late_invocation_are_retried(sandbox, cluster, tmp_path, node_tmp):
    env = inventory(tmp_path, cluster, ansible_ssm_bucket_name=cluster["buckets"][2])
    sandbox.clear_audit()
    sandbox.inject_fault("ssm", "SendCommand", code="ThrottlingException", count=2)
    sandbox.inject_fault("ssm", "GetCommandInvocation", code="InvocationDoesNotExist", count=2)
    run = run_playbook("connection_ssm_faults.yml", env=env)
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.result("Raw")["stdout"] == "raw-ok\n"
    faults = [(e["operation"], e["fault"]) for e in sandbox.audit() if e.get("fault")]
    assert (
        faults
        == [("SendCommand", "ThrottlingException")] * 2 + [("GetCommandInvocation", "InvocationDoesNotExist")] * 2
    )
    accepted = [e for e in send_commands(sandbox) if not e.get("fault")]
    assert len(accepted) == 2  # one per task: the throttled sends were not carried out, so nothing ran twice
    assert leftovers(node_tmp) == []


# The run's first task: nothing has reported the home directory yet, so `echo ~` runs either way (7 = echo ~, mkdir,
# stat, transfer, chmod, copy, rm; 4 = echo ~, stat + mkdir, copy + transfer + chmod, rm). Without pipelining each
# module is a file transferred into the temporary directory too, and rides along the same way.
@pytest.mark.parametrize(
    "defer, pipelining, sends", [(True, True, 4), (False, True, 7), (True, False, 4), (False, False, 11)]
)
def test_deferred_housekeeping_turns_seven_commands_into_four(
    sandbox, cluster, tmp_path, node_tmp, defer, pipelining, sends
):
    env = inventory(
        tmp_path,
        cluster,
        ansible_ssm_bucket_name=cluster["buckets"][2],
        ansible_ssm_defer_housekeeping=defer,
        ansible_ssm_pipelining=pipelining,
    )
    sandbox.clear_audit()
    run = run_playbook("connection_ssm_copy.yml", {"work_dir": str(home(cluster))}, env=env)
    assert run.rc == 0, run.failures()
    assert (home(cluster) / "copied.txt").read_text() == "deferred or not ✓\n"
    assert oct((home(cluster) / "copied.txt").stat().st_mode & 0o777) == "0o644"
    assert sends_per_task(run, send_commands(sandbox)) == {"Copy content": sends}
    assert list(ansible_tmp(cluster).iterdir()) == []


def test_a_deferred_step_that_fails_fails_the_task_with_its_name(sandbox, cluster, tmp_path, node_tmp):
    env = inventory(tmp_path, cluster, ansible_remote_tmp="/proc/dayec-cannot-be-made/tmp")
    run = run_playbook("connection_ssm_copy.yml", {"work_dir": str(home(cluster))}, env=env)
    assert run.rc != 0
    message = json.dumps(run.result("Copy content"))
    assert "dayec-ssm: deferred mkdir /proc/dayec-cannot-be-made/tmp/ansible-tmp-" in message, message
    assert "the command did not run" in message
    assert not (home(cluster) / "copied.txt").exists()


def test_async_and_script_run_with_their_files_and_leave_no_temporary_directory(sandbox, cluster, tmp_path, node_tmp):
    script = tmp_path / "hello.sh"
    script.write_text('#!/bin/sh\necho "hello from $0"\n')
    env = inventory(tmp_path, cluster, ansible_ssm_bucket_name=cluster["buckets"][2])
    sandbox.clear_audit()
    run = run_playbook("connection_ssm_async_script.yml", {"script_file": str(script)}, env=env)
    assert run.rc == 0, run.failures()
    assert run.result("Async")["rc"] == 0 and run.result("Async")["finished"] == 1
    assert run.result("Script")["stdout"].startswith(f"hello from {ansible_tmp(cluster)}/ansible-tmp-")
    counts = sends_per_task(run, send_commands(sandbox))
    assert counts["Script"] == 2, counts  # the script runs carrying mkdir, transfer and chmod; then the cleanup
    # async_wrapper removes its own directory once the job's result is written, a moment after async_status saw it.
    deadline = time.monotonic() + 15
    while list(ansible_tmp(cluster).iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(ansible_tmp(cluster).iterdir()) == []


UNKNOWN_INSTANCE = "i-0badc0ffee0000000"


@pytest.mark.parametrize("ping_status", ["ConnectionLost", "Inactive", None])
def test_defect_16_an_unreachable_instance_says_its_ping_status_and_what_to_check_once(
    sandbox, cluster, tmp_path, node_tmp, ping_status
):
    """SendCommand refuses an instance whose agent is not Online (or is not a managed instance of the region) with
    InvalidInstanceId; the task says what SSM reports about the instance (DescribeInstanceInformation) and what to
    check, with AWS's own text at most once."""
    instance_id = cluster["headnode_instance_id"]
    if ping_status:
        sandbox.register_headnode(instance_id, ping_status=ping_status)
    else:
        instance_id = UNKNOWN_INSTANCE
    env = inventory(tmp_path, cluster, ansible_ssm_instance_id=instance_id)
    sandbox.clear_audit()
    run = run_playbook("connection_ssm_faults.yml", env=env)

    assert run.rc != 0
    result = run.result("Ping")
    message = result["msg"]
    assert result.get("unreachable") is True, result
    assert message.count("InvalidInstanceId") == 1 and "not in a valid state" not in message, message
    assert f"{instance_id} in {cluster['region']}" in message, message
    if ping_status:
        assert f"its SSM agent is {ping_status} (last ping " in message, message
    else:
        assert "is not a managed instance of SSM in this region" in message, message
        assert "ansible_ssm_instance_id" in message and "ansible_ssm_region" in message, message
    for what_to_check in ("SSM agent", "instance profile", "AmazonSSMManagedInstanceCore", "VPC endpoints"):
        assert what_to_check in message, message
    asked = [e for e in sandbox.audit() if e["service"] == "ssm" and e["operation"] == "DescribeInstanceInformation"]
    assert len(asked) == 1, asked
    assert [e["operation"] for e in sandbox.audit() if e["service"] == "ssm"].count("SendCommand") == 1
