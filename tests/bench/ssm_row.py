"""Row 3: headnode round trips through the collection's ``ssm`` connection on the sandbox headnode.

Measured from the sandbox audit log: SendCommand and GetCommandInvocation calls per module task (20 module tasks)
and for file tasks (copy, template, script), with deferred housekeeping (ours) and without it (Ansible's own
command sequence over the same transport). The connection runs with its documented default poll schedule (read
from its DOCUMENTATION: the first GetCommandInvocation 1 s after SendCommand, then waits growing x1.5 up to 3 s).
The sandbox headnode really runs each command (bash, and for a module task the module's Python), so how long a
command takes after SendCommand is real: the details record, per command, the polls it took, when it ended and how
late the poll that saw it came (the schedule's latency). The counts are exact; the seconds depend on the load.

amazon.aws.aws_ssm is not runnable here (it needs the session-manager-plugin binary and a live Session Manager
WebSocket); its column comes from its documentation and code: ``has_pipelining = False``, every module file sent
through S3 "even for modules which do not explicitly send files", one session per connection.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import yaml

from ansible_collections.daylily.ephemeral_cluster.plugins.connection import ssm as connection_ssm
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils import ssm as ssm_runner
from bench.common import Row
from bench.common import count_calls
from bench.common import sandbox

MODULE_TASKS = 20
#: The poll schedule's options as the connection plugin documents them: what an inventory that sets neither gets.
POLL_DEFAULTS = {
    name: yaml.safe_load(connection_ssm.DOCUMENTATION)["options"][name]["default"]
    for name in ("poll_interval", "poll_max_interval")
}
FILE_TASKS = 7
HERE = Path(__file__).parent

#: amazon.aws.aws_ssm 11.4.0 per module task, from its docs and code: a new session (StartSession, then
#: TerminateSession when the task's connection closes), no pipelining, so Ansible's non-pipelined sequence of
#: shell commands inside the session (mkdir of the remote tmp, the module transfer by curl from a presigned S3 URL,
#: chmod, run + cleanup) and the module file through S3 (PutObject, DeleteObject).
AWS_SSM_PER_MODULE_TASK = {
    "StartSession": 1,
    "TerminateSession": 1,
    "session_commands": 4,
    "s3_PutObject": 1,
    "s3_DeleteObject": 1,
}


def _run(playbook, scratch, cluster, control, extra, defer):
    from testlib.playbooks import run_playbook  # noqa: PLC0415
    from testlib.playbooks import ssm_inventory  # noqa: PLC0415

    inventory_file = ssm_inventory(
        scratch,
        cluster,
        ansible_ssm_bucket_name=cluster["buckets"][2],
        ansible_ssm_defer_housekeeping=defer,
        # the connection's documented defaults, not the test suite's fast polls
        ansible_ssm_poll_interval=POLL_DEFAULTS["poll_interval"],
        ansible_ssm_poll_max_interval=POLL_DEFAULTS["poll_max_interval"],
    )
    for written in Path(extra["work_dir"]).glob("*-*.txt"):
        written.unlink()  # every run transfers every file
    control.clear_audit()
    start = time.perf_counter()
    run = run_playbook(str(HERE / playbook), extra, env={"ANSIBLE_INVENTORY": str(inventory_file)})
    elapsed = time.perf_counter() - start
    if run.rc != 0:
        raise SystemExit(f"ssm bench playbook {playbook} failed:\n{run.failures()}")
    audit = control.audit()
    calls = count_calls(audit, "ssm")
    return {
        "seconds": elapsed,
        "send_command": calls.get("SendCommand", 0),
        "get_command_invocation": calls.get("GetCommandInvocation", 0),
        **_per_command(audit),
    }


def _per_command(audit):
    """How many GetCommandInvocation calls each command took (``{polls: commands}``), and when each command ended
    counted from its SendCommand (seconds, sorted): what a poll schedule has to fit.

    A serial play sends one command at a time, so a command's SendCommand is the last one before its first poll;
    its end is the sandbox's ExecutionEndDateTime, read once the play is over. The notice lag is how long after
    that end the poll that saw it came."""
    import boto3  # noqa: PLC0415

    sent, noticed, polls, instances = {}, {}, {}, {}
    last_send = None
    for entry in audit:
        if entry["service"] != "ssm":
            continue
        if entry["operation"] == "SendCommand":
            last_send = entry["time"]
        elif entry["operation"] == "GetCommandInvocation":
            request = entry.get("request") or {}
            command_id = request.get("CommandId")
            sent.setdefault(command_id, last_send)
            instances[command_id] = request.get("InstanceId")
            polls[command_id] = polls.get(command_id, 0) + 1
            noticed[command_id] = entry["time"]  # the last poll is the one that saw the command end
    ssm = boto3.client("ssm")
    ended, lags = [], []
    for command_id, instance_id in instances.items():
        end = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)["ExecutionEndDateTime"]
        moment = datetime.datetime.strptime(end, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.UTC).timestamp()
        ended.append(round(moment - sent[command_id], 3))
        lags.append(round(max(0.0, noticed[command_id] - moment), 3))
    distribution = {}
    for count in polls.values():
        distribution[count] = distribution.get(count, 0) + 1
    return {
        "polls_per_command": dict(sorted(distribution.items())),
        "ended_after_send_s": sorted(ended),
        "notice_lag_s": sorted(lags),
    }


def _against_ansible(name, unit, call, measured, details, target="", limit=None):
    """The row of ``call`` per task, ours against Ansible's own sequence: ``measured`` is (ours, Ansible's, tasks)."""
    ours, ansible, tasks = measured
    value = ours[call] / tasks
    return Row(
        name,
        unit,
        value,
        ansible[call] / tasks,
        "Ansible's own sequence over ssm",
        target=target,
        met=None if limit is None else value <= limit,
        details=details,
    )


def bench_ssm(scratch):
    from sandbox.seed import seed_cluster  # noqa: PLC0415

    scratch = Path(scratch)
    with sandbox(scratch) as (_server, control):
        cluster = seed_cluster(control=control)
        template, script = scratch / "motd.j2", scratch / "hello.sh"
        template.write_text("{{ inventory_hostname }} {{ item }}\n", encoding="utf-8")
        script.write_text("#!/bin/sh\necho hello\n", encoding="utf-8")
        extra = {
            "work_dir": str(Path(cluster["headnode_root"]) / "home" / "ubuntu"),
            "template_file": str(template),
            "script_file": str(script),
        }
        measured = {}
        for playbook in ("ssm_module_tasks.yml", "ssm_file_tasks.yml"):
            for defer in (False, True):
                measured[playbook, defer] = _run(playbook, scratch, cluster, control, extra, defer)
    ours, ansible = measured["ssm_module_tasks.yml", True], measured["ssm_module_tasks.yml", False]
    files_ours, files_ansible = measured["ssm_file_tasks.yml", True], measured["ssm_file_tasks.yml", False]
    modules, files = (ours, ansible, MODULE_TASKS), (files_ours, files_ansible, FILE_TASKS)
    first, longest = POLL_DEFAULTS["poll_interval"], POLL_DEFAULTS["poll_max_interval"]
    times = ", ".join(f"{moment:g}" for moment in ssm_runner.poll_times(first, longest, count=4))
    schedule = (
        f"GetCommandInvocation {first:g} s after SendCommand, then each wait x{ssm_runner.POLL_GROWTH:g} up to "
        f"{longest:g} s: polls at {times} s; an ended command is noticed at most one wait late"
    )
    details = {
        "module_tasks": MODULE_TASKS,
        "ours": ours,
        "ansible_sequence": ansible,
        "file_tasks": FILE_TASKS,
        "file_tasks_ours": files_ours,
        "file_tasks_ansible_sequence": files_ansible,
        "poll_schedule": schedule,
        "aws_ssm_documented_per_module_task": AWS_SSM_PER_MODULE_TASK,
    }
    aws_ssm_round_trips = AWS_SSM_PER_MODULE_TASK["session_commands"] + 2  # + the two S3 transfers' own requests
    return [
        _against_ansible("3a SendCommand per module task", "calls/task", "send_command", modules, details, "1", 1),
        _against_ansible(
            "3b GetCommandInvocation per module task",
            "polls/task",
            "get_command_invocation",
            modules,
            details,
            "<= 3 (" + schedule + ")",
            3,
        ),
        Row(
            "3c round trips per module task vs aws_ssm",
            "round trips/task",
            ours["send_command"] / MODULE_TASKS,
            aws_ssm_round_trips,
            "amazon.aws.aws_ssm documented design: 1 session, 4 commands in it, S3 put+delete (not measured)",
            details=details,
        ),
        _against_ansible(
            "3d SendCommand per file task (copy/template/script)", "calls/task", "send_command", files, details
        ),
    ]
