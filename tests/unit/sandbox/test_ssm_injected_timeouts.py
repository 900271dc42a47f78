"""The sandbox's SSM fault switch (/_sandbox/ssm-outcomes): injected TimedOut commands, as the chaos suite uses them."""

import time

import pytest

HEAD = "i-0a1b2c3d4e5f60719"


@pytest.fixture
def ssm(aws, sandbox):
    sandbox.register_headnode(HEAD)
    return aws("ssm")


def run(ssm, command):
    command_id = ssm.send_command(
        InstanceIds=[HEAD], DocumentName="AWS-RunShellScript", Parameters={"commands": [command]}
    )["Command"]["CommandId"]
    deadline = time.monotonic() + 15
    while True:
        invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=HEAD)
        if invocation["Status"] in ("Success", "Failed", "TimedOut", "Cancelled"):
            return invocation
        assert time.monotonic() < deadline, invocation["Status"]
        time.sleep(0.05)


def test_the_next_n_commands_time_out_then_commands_run_again(ssm, sandbox):
    assert sandbox.inject_ssm_timeouts(2) == {"timed_out": 2}
    for _attempt in range(2):
        invocation = run(ssm, "sleep 5; echo done")
        assert (invocation["Status"], invocation["StatusDetails"], invocation["ResponseCode"]) == (
            "TimedOut",
            "ExecutionTimedOut",
            137,
        )
        assert "done" not in invocation["StandardOutputContent"]
    assert sandbox.call("GET", "ssm-outcomes") == {"timed_out": 0}
    assert run(ssm, "echo done")["StandardOutputContent"] == "done\n"


def test_clear_and_reset_forget_pending_timeouts(ssm, sandbox):
    sandbox.inject_ssm_timeouts(3)
    sandbox.clear_outcomes()
    assert run(ssm, "echo ok")["Status"] == "Success"
    sandbox.inject_ssm_timeouts(1)
    sandbox.reset()
    assert sandbox.call("GET", "ssm-outcomes") == {"timed_out": 0}


def test_a_bad_count_is_refused(sandbox):
    with pytest.raises(Exception, match="400"):
        sandbox.call("POST", "ssm-outcomes", {"timed_out": "many"})
