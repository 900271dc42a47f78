"""Row 3: headnode round trips through the collection's ``ssm`` connection on the sandbox headnode.

Measured from the sandbox audit log: SendCommand and GetCommandInvocation calls per module task (20 module tasks)
and for file tasks (copy, template, script), with deferred housekeeping (ours) and without it (Ansible's own
command sequence over the same transport). The connection runs with its default poll schedule: the first
GetCommandInvocation 0.5 s after SendCommand, then intervals growing x1.5 up to 3 s. The sandbox finishes a command
in milliseconds, so the counts, not the seconds, are what carries over to AWS (where each round trip costs about a
second).

amazon.aws.aws_ssm is not runnable here (it needs the session-manager-plugin binary and a live Session Manager
WebSocket); its column comes from its documentation and code: ``has_pipelining = False``, every module file sent
through S3 "even for modules which do not explicitly send files", one session per connection.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import Row
from bench.common import count_calls
from bench.common import sandbox

MODULE_TASKS = 20
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
        ansible_ssm_poll_interval=0.5,  # the connection's defaults, not the test suite's fast polls
        ansible_ssm_poll_max_interval=3.0,
    )
    for written in Path(extra["work_dir"]).glob("*-*.txt"):
        written.unlink()  # every run transfers every file
    control.clear_audit()
    start = time.perf_counter()
    run = run_playbook(str(HERE / playbook), extra, env={"ANSIBLE_INVENTORY": str(inventory_file)})
    elapsed = time.perf_counter() - start
    if run.rc != 0:
        raise SystemExit(f"ssm bench playbook {playbook} failed:\n{run.failures()}")
    calls = count_calls(control.audit(), "ssm")
    return {
        "seconds": elapsed,
        "send_command": calls.get("SendCommand", 0),
        "get_command_invocation": calls.get("GetCommandInvocation", 0),
    }


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
    per_task = {key: value / MODULE_TASKS for key, value in ours.items()}
    schedule = "GetCommandInvocation 0.5 s after SendCommand, then every x1.5 up to 3 s"
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
        Row(
            "3a SendCommand per module task",
            "calls/task",
            per_task["send_command"],
            ansible["send_command"] / MODULE_TASKS,
            "Ansible's own sequence over ssm",
            target="1",
            met=per_task["send_command"] <= 1,
            details=details,
        ),
        Row(
            "3b GetCommandInvocation per module task",
            "polls/task",
            per_task["get_command_invocation"],
            ansible["get_command_invocation"] / MODULE_TASKS,
            "Ansible's own sequence over ssm",
            target="<= 3 (" + schedule + ")",
            met=per_task["get_command_invocation"] <= 3,
            details=details,
        ),
        Row(
            "3c round trips per module task vs aws_ssm",
            "round trips/task",
            per_task["send_command"],
            aws_ssm_round_trips,
            "amazon.aws.aws_ssm documented design: 1 session, 4 commands in it, S3 put+delete (not measured)",
            details=details,
        ),
        Row(
            "3d SendCommand per file task (copy/template/script)",
            "calls/task",
            files_ours["send_command"] / FILE_TASKS,
            files_ansible["send_command"] / FILE_TASKS,
            "Ansible's own sequence over ssm",
            details=details,
        ),
    ]
