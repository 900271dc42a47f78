"""Fidelity of the sandbox's SSM Run Command (tests/sandbox/ssm.py): one test per AWS rule, through boto3."""

import time
from pathlib import Path

import botocore.exceptions
import pytest

HEAD = "i-0a1b2c3d4e5f60718"
OTHER = "i-0fedcba9876543210"
FS_ID = "fs-0123456789abcdef0"
TERMINAL = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})


@pytest.fixture
def ssm(aws, sandbox):
    sandbox.register_headnode(HEAD)
    return aws("ssm")


def send(ssm, *commands, instance_id=HEAD, **kwargs):
    parameters = {"commands": list(commands)}
    parameters.update(kwargs.pop("parameters", {}))
    response = ssm.send_command(
        InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", Parameters=parameters, **kwargs
    )
    return response["Command"]["CommandId"]


def wait_for(ssm, command_id, instance_id=HEAD, until=TERMINAL, timeout=15):
    """Poll GetCommandInvocation until its Status is in `until`."""
    deadline = time.monotonic() + timeout
    while True:
        invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        if invocation["Status"] in until:
            return invocation
        assert time.monotonic() < deadline, f"still {invocation['Status']} after {timeout}s"
        time.sleep(0.05)


def run(ssm, *commands, **kwargs):
    return wait_for(ssm, send(ssm, *commands, **kwargs), kwargs.get("instance_id", HEAD))


def home(sandbox, instance_id=HEAD):
    return Path(sandbox.info()["headnode_root"]) / instance_id / "home" / "ubuntu"


def alive(pid):
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


# --- output and exit codes -----------------------------------------------------------------------------------
def test_stdout_and_exit_code_are_captured(ssm):
    invocation = run(ssm, "echo hello", "echo world")
    assert invocation["Status"] == "Success"
    assert invocation["StatusDetails"] == "Success"
    assert invocation["ResponseCode"] == 0
    assert invocation["StandardOutputContent"] == "hello\nworld\n"
    assert invocation["PluginName"] == "aws:runShellScript"
    assert invocation["ExecutionStartDateTime"] and invocation["ExecutionEndDateTime"]
    assert invocation["ExecutionElapsedTime"].startswith("PT")


def test_non_zero_exit_code_is_failed_with_that_response_code(ssm):
    invocation = run(ssm, "echo partial", "exit 3")
    assert (invocation["Status"], invocation["StatusDetails"], invocation["ResponseCode"]) == ("Failed", "Failed", 3)
    assert invocation["StandardOutputContent"] == "partial\n"


def test_stderr_is_captured_apart_from_stdout(ssm):
    invocation = run(ssm, "echo out", "echo oops >&2")
    assert invocation["StandardOutputContent"] == "out\n"
    assert invocation["StandardErrorContent"] == "oops\n"


def test_standard_output_content_is_capped_at_24000_characters(ssm):
    invocation = run(ssm, "head -c 30000 /dev/zero | tr '\\0' a", "head -c 9000 /dev/zero | tr '\\0' e >&2")
    assert invocation["StandardOutputContent"] == "a" * 24000
    assert invocation["StandardErrorContent"] == "e" * 8000
    assert invocation["StandardOutputUrl"] == ""


def test_full_output_is_written_to_s3_in_the_agent_layout(ssm, aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="ssm-out", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    command_id = send(
        ssm,
        "head -c 30000 /dev/zero | tr '\\0' a",
        "echo err >&2",
        OutputS3BucketName="ssm-out",
        OutputS3KeyPrefix="runs/",
    )
    invocation = wait_for(ssm, command_id)
    key = f"runs/{command_id}/{HEAD}/awsrunShellScript/0.awsrunShellScript"
    assert invocation["StandardOutputContent"] == "a" * 24000
    assert s3.get_object(Bucket="ssm-out", Key=f"{key}/stdout")["Body"].read() == b"a" * 30000
    assert s3.get_object(Bucket="ssm-out", Key=f"{key}/stderr")["Body"].read() == b"err\n"
    assert invocation["StandardOutputUrl"].endswith(f"/ssm-out/{key}/stdout")
    assert invocation["StandardErrorUrl"].endswith(f"/ssm-out/{key}/stderr")


def test_non_utf8_output_is_decoded_with_replacement(ssm):
    invocation = run(ssm, "printf 'ok \\377\\376 end'")
    assert invocation["Status"] == "Success"
    assert invocation["StandardOutputContent"] == "ok \ufffd\ufffd end"


def test_script_runs_verbatim_with_quotes_substitutions_and_unicode(ssm):
    invocation = run(
        ssm,
        "name='Zoë \"the\" tester'",
        'echo "$name"',
        'echo "$(echo sub) `echo tick` $((6 * 7))"',
        "printf '%s\\n' 'back\\slash' \"it's\"",
        "cat <<'EOF'\n$HOME stays literal ✓\nEOF",
    )
    assert invocation["StandardOutputContent"] == (
        'Zoë "the" tester\nsub tick 42\nback\\slash\nit\'s\n$HOME stays literal ✓\n'
    )


# --- statuses ---------------------------------------------------------------------------------------------------
def test_status_goes_pending_then_in_progress_then_success(ssm, sandbox):
    # The command runs until the test releases it, so InProgress is observable however loaded the machine is.
    release = home(sandbox) / "release"
    script = f"for i in $(seq 600); do [ -e {release} ] && exit 0; sleep 0.05; done; exit 1"
    response = ssm.send_command(
        InstanceIds=[HEAD], DocumentName="AWS-RunShellScript", Parameters={"commands": [script]}, TimeoutSeconds=30
    )["Command"]
    assert response["Status"] == "Pending"
    assert response["TimeoutSeconds"] == 30  # the delivery timeout, stored
    running = wait_for(ssm, response["CommandId"], until=frozenset({"InProgress"}))
    assert running["ResponseCode"] == -1 and running["ExecutionEndDateTime"] == ""
    release.touch()
    assert wait_for(ssm, response["CommandId"])["Status"] == "Success"


def test_command_executed_waiter_works(ssm):
    command_id = send(ssm, "true")
    ssm.get_waiter("command_executed").wait(
        CommandId=command_id, InstanceId=HEAD, WaiterConfig={"Delay": 1, "MaxAttempts": 10}
    )
    failing = send(ssm, "false")
    with pytest.raises(botocore.exceptions.WaiterError):
        ssm.get_waiter("command_executed").wait(
            CommandId=failing, InstanceId=HEAD, WaiterConfig={"Delay": 1, "MaxAttempts": 10}
        )


def test_execution_timeout_kills_the_process_group_and_is_timed_out(ssm, sandbox):
    started = time.monotonic()
    command_id = send(ssm, "sleep 30 & echo $! > child.pid", "sleep 30", parameters={"executionTimeout": ["1"]})
    invocation = wait_for(ssm, command_id)
    assert time.monotonic() - started < 10
    assert (invocation["Status"], invocation["StatusDetails"]) == ("TimedOut", "ExecutionTimedOut")
    assert invocation["ResponseCode"] == 137  # the Linux agent's CommandStoppedPreemptivelyExitCode
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "TimedOut"
    child = int((home(sandbox) / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "the background child of a timed-out script must be killed with it"


def test_exit_code_137_reads_as_timed_out_like_the_agent(ssm):
    invocation = run(ssm, "exit 137")
    assert (invocation["Status"], invocation["ResponseCode"]) == ("TimedOut", 137)


def test_invalid_execution_timeout_is_invalid_parameters(ssm):
    with pytest.raises(ssm.exceptions.InvalidParameters):
        send(ssm, "true", parameters={"executionTimeout": ["0"]})
    with pytest.raises(ssm.exceptions.InvalidParameters):
        ssm.send_command(InstanceIds=[HEAD], DocumentName="AWS-RunShellScript", Parameters={"command": ["x"]})


def test_cancel_command_kills_the_running_script(ssm, sandbox):
    command_id = send(ssm, "echo $$ > shell.pid", "sleep 30")
    wait_for(ssm, command_id, until=frozenset({"InProgress"}))
    pid_file = home(sandbox) / "shell.pid"
    deadline = time.monotonic() + 5
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    ssm.cancel_command(CommandId=command_id)
    invocation = wait_for(ssm, command_id, until=frozenset({"Cancelled"}), timeout=5)
    assert invocation["StatusDetails"] == "Cancelled"
    assert not alive(int(pid_file.read_text()))
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Cancelled"


def test_cancel_unknown_command_is_invalid_command_id(ssm):
    with pytest.raises(ssm.exceptions.InvalidCommandId):
        ssm.cancel_command(CommandId="00000000-0000-0000-0000-000000000000")


def test_list_commands_aggregates_the_invocation_status(ssm, sandbox):
    sandbox.register_headnode(OTHER)
    response = ssm.send_command(
        InstanceIds=[HEAD, OTHER],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": [f'case "$DAYEC_HEADNODE_ROOT" in */{OTHER}) exit 1;; esac']},
    )
    command_id = response["Command"]["CommandId"]
    assert wait_for(ssm, command_id, HEAD)["Status"] == "Success"
    assert wait_for(ssm, command_id, OTHER)["Status"] == "Failed"
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert (command["Status"], command["TargetCount"], command["CompletedCount"], command["ErrorCount"]) == (
        "Failed",
        2,
        2,
        1,
    )


# --- which instances ---------------------------------------------------------------------------------------------
def test_unregistered_instance_is_invalid_instance_id(ssm):
    with pytest.raises(ssm.exceptions.InvalidInstanceId) as excinfo:
        send(ssm, "true", instance_id=OTHER)
    assert f"Instances [[{OTHER}]] not in a valid state" in str(excinfo.value)


def test_offline_instance_is_invalid_instance_id(ssm, sandbox):
    sandbox.register_headnode(HEAD, ping_status="ConnectionLost")
    with pytest.raises(ssm.exceptions.InvalidInstanceId):
        send(ssm, "true")
    sandbox.register_headnode(HEAD, ping_status="Online")
    assert run(ssm, "true")["Status"] == "Success"


def test_command_runs_only_on_the_instances_asked_for(ssm, aws, sandbox):
    ec2 = aws("ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=image, MinCount=3, MaxCount=3)["Instances"]]
    for instance_id in ids[:2]:
        sandbox.register_headnode(instance_id)
    response = ssm.send_command(
        InstanceIds=[ids[0]], DocumentName="AWS-RunShellScript", Parameters={"commands": ["touch ran-here"]}
    )["Command"]
    assert response["InstanceIds"] == [ids[0]] and response["TargetCount"] == 1
    wait_for(ssm, response["CommandId"], ids[0])
    invocations = ssm.list_command_invocations(CommandId=response["CommandId"])["CommandInvocations"]
    assert [i["InstanceId"] for i in invocations] == [ids[0]]
    assert (home(sandbox, ids[0]) / "ran-here").exists()
    assert not (home(sandbox, ids[1]) / "ran-here").exists()
    with pytest.raises(ssm.exceptions.InvocationDoesNotExist):
        ssm.get_command_invocation(CommandId=response["CommandId"], InstanceId=ids[1])


def test_unknown_command_or_instance_is_invocation_does_not_exist(ssm):
    command_id = send(ssm, "true")
    with pytest.raises(ssm.exceptions.InvocationDoesNotExist):
        ssm.get_command_invocation(CommandId="00000000-0000-0000-0000-000000000000", InstanceId=HEAD)
    with pytest.raises(ssm.exceptions.InvocationDoesNotExist):
        ssm.get_command_invocation(CommandId=command_id, InstanceId=OTHER)


# --- the headnode as a machine --------------------------------------------------------------------------------
def test_script_environment_has_home_headnode_root_and_fsx_mount(ssm, sandbox):
    root = Path(sandbox.info()["headnode_root"]) / HEAD
    invocation = run(ssm, 'echo "$PWD"', 'echo "$HOME"', 'echo "$DAYEC_HEADNODE_ROOT"', 'echo "$DAYEC_FSX_MOUNT"')
    assert invocation["StandardOutputContent"].splitlines() == [
        str(root / "home/ubuntu"),
        str(root / "home/ubuntu"),
        str(root),
        str(root / "fsx"),
    ]


def test_fsx_symlink_is_visible_from_a_command(ssm, sandbox):
    sandbox.register_headnode(HEAD, file_system_id=FS_ID)
    namespace = Path(sandbox.info()["fsx_root"]) / FS_ID
    (namespace / "data").mkdir()
    (namespace / "data" / "sample.txt").write_text("reads\n")
    invocation = run(
        ssm,
        'ls "$DAYEC_FSX_MOUNT"/data/',
        'cat "$DAYEC_FSX_MOUNT/data/sample.txt"',
        'echo written > "$DAYEC_FSX_MOUNT/results.txt"',
    )
    assert invocation["StandardOutputContent"] == "sample.txt\nreads\n"
    assert (namespace / "results.txt").read_text() == "written\n"


def test_working_directory_is_a_path_on_the_headnode(ssm, sandbox):
    sandbox.register_headnode(HEAD, file_system_id=FS_ID)
    assert (
        run(ssm, "pwd -P", parameters={"workingDirectory": ["/fsx"]})["StandardOutputContent"]
        == str(Path(sandbox.info()["fsx_root"]) / FS_ID) + "\n"
    )
    missing = run(ssm, "pwd", parameters={"workingDirectory": ["/no/such/dir"]})
    assert (missing["Status"], missing["ResponseCode"]) == ("Failed", 1)


# --- DescribeInstanceInformation -------------------------------------------------------------------------------
def test_describe_instance_information_lists_registered_instances(ssm, sandbox):
    sandbox.register_headnode(OTHER, platform_name="Ubuntu", ping_status="ConnectionLost")
    listing = {i["InstanceId"]: i for i in ssm.describe_instance_information()["InstanceInformationList"]}
    assert set(listing) == {HEAD, OTHER}
    head = listing[HEAD]
    assert (head["PingStatus"], head["PlatformType"], head["PlatformName"], head["ResourceType"]) == (
        "Online",
        "Linux",
        "Ubuntu",
        "EC2Instance",
    )
    assert head["AgentVersion"] and head["ComputerName"] and head["IPAddress"] and head["LastPingDateTime"]
    assert listing[OTHER]["PingStatus"] == "ConnectionLost"


def test_describe_instance_information_filters_by_instance_ids_and_ping_status(ssm, sandbox):
    sandbox.register_headnode(OTHER, ping_status="ConnectionLost")

    def ids(**kwargs):
        return [i["InstanceId"] for i in ssm.describe_instance_information(**kwargs)["InstanceInformationList"]]

    assert ids(Filters=[{"Key": "InstanceIds", "Values": [OTHER]}]) == [OTHER]
    assert ids(Filters=[{"Key": "PingStatus", "Values": ["Online"]}]) == [HEAD]
    assert ids(InstanceInformationFilterList=[{"key": "PingStatus", "valueSet": ["ConnectionLost"]}]) == [OTHER]
    assert ids(
        InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": [HEAD, OTHER]}],
        Filters=[{"Key": "PingStatus", "Values": ["Online"]}],
    ) == [HEAD]
    assert ids(Filters=[{"Key": "InstanceIds", "Values": ["i-00000000000000000"]}]) == []
    with pytest.raises(ssm.exceptions.InvalidInstanceInformationFilterValue):
        ids(Filters=[{"Key": "PingStatus", "Values": ["Sleeping"]}])
    with pytest.raises(ssm.exceptions.InvalidFilterKey):
        ids(Filters=[{"Key": "Colour", "Values": ["blue"]}])


def test_describe_instance_information_pages_with_max_results(ssm, sandbox):
    extra = [f"i-{n:017x}" for n in range(1, 7)]
    for instance_id in extra:
        sandbox.register_headnode(instance_id)
    first = ssm.describe_instance_information(MaxResults=5)
    second = ssm.describe_instance_information(MaxResults=5, NextToken=first["NextToken"])
    assert len(first["InstanceInformationList"]) == 5 and "NextToken" not in second
    seen = [i["InstanceId"] for page in (first, second) for i in page["InstanceInformationList"]]
    assert sorted(seen) == sorted(extra + [HEAD])
    paginated = ssm.get_paginator("describe_instance_information").paginate(PaginationConfig={"PageSize": 5})
    assert sum(len(page["InstanceInformationList"]) for page in paginated) == 7
    with pytest.raises(ssm.exceptions.InvalidNextToken):
        ssm.describe_instance_information(NextToken="not-a-token")


def test_deregistered_instance_disappears_and_reset_forgets_all(ssm, sandbox):
    sandbox.register_headnode(OTHER)
    sandbox.deregister_headnode(OTHER)
    assert [i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]] == [HEAD]
    sandbox.reset()
    assert ssm.describe_instance_information()["InstanceInformationList"] == []
    assert sandbox.headnodes() == []


# --- ListCommandInvocations ------------------------------------------------------------------------------------
def test_list_command_invocations_with_details_has_plugin_output(ssm):
    command_id = send(ssm, "echo out", "echo err >&2", "exit 2")
    wait_for(ssm, command_id)
    invocations = ssm.list_command_invocations(CommandId=command_id, Details=True)["CommandInvocations"]
    assert len(invocations) == 1
    invocation = invocations[0]
    assert (invocation["InstanceId"], invocation["Status"], invocation["DocumentName"]) == (
        HEAD,
        "Failed",
        "AWS-RunShellScript",
    )
    [plugin] = invocation["CommandPlugins"]
    assert (plugin["Name"], plugin["Status"], plugin["ResponseCode"]) == ("aws:runShellScript", "Failed", 2)
    assert plugin["Output"] == "out\n\n----------ERROR-------\nerr\n"
    brief = ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"][0]
    assert brief["CommandPlugins"] == []


def test_plugin_output_is_cut_like_the_agent_output(ssm):
    command_id = send(ssm, "head -c 30000 /dev/zero | tr '\\0' a")
    wait_for(ssm, command_id)
    [plugin] = ssm.list_command_invocations(CommandId=command_id, Details=True)["CommandInvocations"][0][
        "CommandPlugins"
    ]
    assert len(plugin["Output"]) <= 2500
    assert plugin["Output"].endswith("a\n---Output truncated---")


def test_list_command_invocations_filters_by_instance_and_pages(ssm, sandbox):
    sandbox.register_headnode(OTHER)
    commands = [send(ssm, "true"), send(ssm, "true"), send(ssm, "true", instance_id=OTHER)]
    for command_id, instance_id in zip(commands, (HEAD, HEAD, OTHER), strict=False):
        wait_for(ssm, command_id, instance_id)
    on_head = ssm.list_command_invocations(InstanceId=HEAD)["CommandInvocations"]
    assert sorted(i["CommandId"] for i in on_head) == sorted(commands[:2])
    first = ssm.list_command_invocations(MaxResults=2)
    second = ssm.list_command_invocations(MaxResults=2, NextToken=first["NextToken"])
    assert len(first["CommandInvocations"]) == 2 and len(second["CommandInvocations"]) == 1
    assert "NextToken" not in second


def test_list_command_invocations_of_unknown_command_is_empty(ssm):
    unknown = ssm.list_command_invocations(CommandId="00000000-0000-0000-0000-000000000000")
    assert unknown["CommandInvocations"] == []
