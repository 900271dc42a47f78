"""Unit tests for the daylily.ephemeral_cluster.ssm connection plugin (plugins/connection/ssm.py).

The plugin's options are registered from its DOCUMENTATION the way Ansible's plugin loader does, so variables,
environment and defaults resolve for real. AWS clients are real botocore clients wrapped in Stubber (requests
validated against the API models); only Connection._client is replaced to hand them over.
"""

import base64
import hashlib
import uuid

import pytest
import yaml
from botocore.stub import Stubber

from ansible import constants as C
from ansible.errors import AnsibleConnectionFailure
from ansible.errors import AnsibleError
from ansible.errors import AnsibleFileNotFound
from ansible.playbook.play_context import PlayContext

from ansible_collections.daylily.ephemeral_cluster.plugins.connection import ssm as ssm_connection
from ansible_collections.daylily.ephemeral_cluster.plugins.plugin_utils import ssm

NAME = "daylily.ephemeral_cluster.ssm"
INSTANCE = "i-0123456789abcdef0"
REGION = "us-west-2"
TOKEN = "ab" * 16


def cid(name):
    return str(uuid.uuid5(uuid.NAMESPACE_OID, name))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in (
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_ACCESS_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "AWS_SESSION_TOKEN",
        "ANSIBLE_PIPELINING",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(ssm, "new_token", lambda: TOKEN)


def connection(variables=None, remote_addr=None):
    """A Connection with its options resolved from host variables, as TaskExecutor does."""
    if not C.config.has_configuration_definition("connection", NAME):
        options = yaml.safe_load(ssm_connection.DOCUMENTATION)["options"]
        C.config.initialize_plugin_configuration_definitions("connection", NAME, options)
    play_context = PlayContext()
    play_context.remote_addr = remote_addr
    conn = ssm_connection.Connection(play_context)
    conn._load_name = conn.ansible_name = NAME
    conn.set_options(var_options=dict(variables or {}))
    return conn


BASE_VARS = {
    "ansible_ssm_instance_id": INSTANCE,
    "ansible_ssm_region": REGION,
    "ansible_ssm_access_key_id": "testing",
    "ansible_ssm_secret_access_key": "testing",
    "ansible_ssm_poll_interval": 0.001,
}


class Stubbed:
    """Give the connection Stubber-wrapped clients and record how they were configured."""

    def __init__(self, monkeypatch):
        self.clients = {}
        self.stubbers = {}
        self.endpoints = {}
        original = ssm_connection.Connection._client

        def fake_client(conn, session, service, endpoint_url):
            real = original(conn, session, service, endpoint_url)
            self.clients[service] = real
            self.endpoints[service] = endpoint_url
            self.stubbers[service] = Stubber(real)
            self.stubbers[service].activate()
            for name, queued in self.pending.get(service, []):
                getattr(self.stubbers[service], name)(*queued[0], **queued[1])
            return real

        self.pending = {}
        monkeypatch.setattr(ssm_connection.Connection, "_client", fake_client)

    def add(self, service, method, *args, **kwargs):
        self.pending.setdefault(service, []).append((method, (args, kwargs)))

    def command(self, name, stdout, status="Success", stderr=""):
        self.add("ssm", "add_response", "send_command", {"Command": {"CommandId": cid(name)}})
        self.add(
            "ssm",
            "add_response",
            "get_command_invocation",
            {
                "CommandId": cid(name),
                "InstanceId": INSTANCE,
                "Status": status,
                "ResponseCode": 0,
                "StandardOutputContent": stdout,
                "StandardErrorContent": stderr,
            },
            {"CommandId": cid(name), "InstanceId": INSTANCE},
        )

    def done(self):
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


def frame(rc=0, out=b"", err=b""):
    return (
        f"@@DAYEC-SSM {TOKEN} rc={rc} out={len(out)}:{hashlib.sha256(out).hexdigest()} "
        f"err={len(err)}:{hashlib.sha256(err).hexdigest()} spool=- ob=0 eb=0@@\n"
    ) + out.decode()


def test_defaults_and_ssm_variables():
    conn = connection(BASE_VARS)
    assert conn.has_pipelining and conn.get_option("pipelining") is True
    assert conn.is_pipelining_enabled()
    assert conn.get_option("run_as") == "ubuntu"
    assert conn.get_option("command_timeout") == 3600 and conn.get_option("delivery_timeout") == 60
    assert conn.get_option("max_command_size") == ssm.DOCUMENT_SIZE_LIMIT
    assert conn.get_option("bucket_prefix") == "daylily-ssm/"
    assert conn.get_option("bucket_name") is None
    settings = conn._settings()
    assert (settings.instance_id, settings.run_as, settings.poll_interval) == (INSTANCE, "ubuntu", 0.001)


def test_every_option_has_an_ansible_ssm_variable():
    options = yaml.safe_load(ssm_connection.DOCUMENTATION)["options"]
    for name, spec in options.items():
        names = [var["name"] for var in spec.get("vars", [])]
        assert any(var.startswith("ansible_ssm_") for var in names), name


def test_instance_id_falls_back_to_ansible_host_then_inventory_hostname():
    assert connection({"inventory_hostname": INSTANCE})._settings().instance_id == INSTANCE
    other = "i-0fedcba9876543210"
    assert connection({"inventory_hostname": "headnode", "ansible_host": other})._settings().instance_id == other
    assert (
        connection({"inventory_hostname": "headnode", "ansible_host": other, "ansible_ssm_instance_id": INSTANCE})
        ._settings()
        .instance_id
        == INSTANCE
    )
    assert connection({}, remote_addr=INSTANCE)._settings().instance_id == INSTANCE


def test_run_as_empty_means_the_agent_user_and_pipelining_can_be_turned_off():
    conn = connection(dict(BASE_VARS, ansible_ssm_run_as="", ansible_pipelining=False))
    assert conn._settings().run_as == "" and conn.get_option("pipelining") is False


def test_region_and_credentials_from_the_environment(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    conn = connection({"ansible_ssm_instance_id": INSTANCE})
    assert conn.get_option("region") == "eu-west-1"


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"ansible_ssm_instance_id": "headnode"}, "not an EC2 instance id"),
        (dict(BASE_VARS, ansible_ssm_run_as="root; rm -rf /"), "run_as"),
        (dict(BASE_VARS, ansible_ssm_region=""), "no AWS region"),
        (dict(BASE_VARS, ansible_ssm_profile="dev"), "either profile or access_key"),
    ],
)
def test_bad_settings_fail_before_any_aws_call(variables, message, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(AnsibleConnectionFailure, match=message):
        connection(variables)._connect()


def test_exec_command_is_one_send_command_with_stdin(monkeypatch):
    stubs = Stubbed(monkeypatch)
    stubs.command("c-1", frame(out=b'{"ping": "pong"}', err=b"warning\n"), stderr="warning\n")
    conn = connection(BASE_VARS)
    rc, stdout, stderr = conn.exec_command("/bin/sh -c '/usr/bin/python3 && sleep 0'", in_data=b"print('x')\n")
    assert (rc, stdout, stderr) == (0, b'{"ping": "pong"}', b"warning\n")
    stubs.done()
    config = stubs.clients["ssm"].meta.config
    assert "daylily.ephemeral_cluster/0.1.0" in config.user_agent_extra
    assert config.retries["total_max_attempts"] == 1  # the runner retries, not botocore
    assert "s3" not in stubs.clients  # no bucket, no S3 client


def test_non_zero_exit_code_comes_back_as_is(monkeypatch):
    stubs = Stubbed(monkeypatch)
    stubs.command("c-1", frame(rc=3, out=b"partial", err=b"oops\n"), stderr="oops\n")
    assert connection(BASE_VARS).exec_command("exit 3") == (3, b"partial", b"oops\n")


def test_aws_errors_become_connection_failures(monkeypatch):
    stubs = Stubbed(monkeypatch)
    stubs.add("ssm", "add_client_error", "send_command", "InvalidInstanceId", "Instances not in a valid state")
    stubs.add("ssm", "add_response", "describe_instance_information", {"InstanceInformationList": []})
    with pytest.raises(AnsibleConnectionFailure, match=f"ssm \\({INSTANCE}\\).*InvalidInstanceId"):
        connection(BASE_VARS).exec_command("true")


def test_defect_16_an_aws_error_is_said_once(monkeypatch):
    """Ansible appends the message of every chained cause: the AWS text would follow the plugin's message twice."""
    stubs = Stubbed(monkeypatch)
    stubs.add("ssm", "add_client_error", "send_command", "AccessDeniedException", "not authorized to ssm:SendCommand")
    with pytest.raises(AnsibleConnectionFailure) as caught:
        connection(BASE_VARS).exec_command("true")
    stubs.done()
    assert caught.value.message.count("not authorized to ssm:SendCommand") == 1, caught.value.message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_put_file(tmp_path, monkeypatch):
    local = tmp_path / "f.txt"
    local.write_bytes(b"content\n")
    stubs = Stubbed(monkeypatch)
    stubs.command("c-1", frame(out=hashlib.sha256(b"content\n").hexdigest().encode() + b"\n"))
    connection(BASE_VARS).put_file(str(local), "/home/ubuntu/f.txt")
    stubs.done()
    with pytest.raises(AnsibleFileNotFound):
        connection(BASE_VARS).put_file(str(tmp_path / "missing"), "/home/ubuntu/f.txt")


def test_put_file_failure_on_the_node_is_an_ansible_error(tmp_path, monkeypatch):
    local = tmp_path / "f.txt"
    local.write_bytes(b"content\n")
    stubs = Stubbed(monkeypatch)
    stubs.command("c-1", frame(rc=1, err=b"Permission denied\n"), stderr="Permission denied\n")
    with pytest.raises(AnsibleError, match="Permission denied") as caught:
        connection(BASE_VARS).put_file(str(local), "/root/f.txt")
    assert not isinstance(caught.value, AnsibleConnectionFailure)


def test_fetch_file_writes_the_bytes(tmp_path, monkeypatch):
    data = "ünïcødé ✓ $(x) `y`\n".encode()
    stubs = Stubbed(monkeypatch)
    stubs.command("c-1", frame(out=data))
    connection(BASE_VARS).fetch_file("/home/ubuntu/t.txt", str(tmp_path / "t.txt"))
    assert (tmp_path / "t.txt").read_bytes() == data


def test_a_bucket_gets_a_sigv4_s3_client_on_the_bucket_endpoint(monkeypatch):
    stubs = Stubbed(monkeypatch)
    conn = connection(
        dict(
            BASE_VARS,
            ansible_ssm_bucket_name="dayec-transfer",
            ansible_ssm_endpoint_url="http://ssm.local",
            ansible_ssm_bucket_endpoint_url="http://s3.local",
        )
    )
    conn._connect()
    assert stubs.clients["s3"].meta.config.signature_version == "s3v4"
    assert stubs.endpoints == {"ssm": "http://ssm.local", "s3": "http://s3.local"}
    assert conn._runner.settings.bucket == "dayec-transfer"


def test_reset_and_close_drop_the_runner(monkeypatch):
    Stubbed(monkeypatch)
    conn = connection(BASE_VARS)
    conn._connect()
    assert conn.connected and conn._runner is not None
    conn.reset()
    assert not conn.connected and conn._runner is None


def home_frame(home, out=b""):
    reported = base64.b64encode(home.encode()).decode()
    return frame(out=out).replace(" eb=0@@", f" eb=0 home={reported}@@", 1)


def test_the_home_a_frame_reports_answers_echo_in_later_tasks_of_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path))  # the run's private directory, shared by its workers
    stubs = Stubbed(monkeypatch)
    stubs.command("c-1", home_frame("/home/ubuntu", out=b"pong"))
    assert connection(BASE_VARS).exec_command("/bin/sh -c /usr/bin/python3", in_data=b"x")[1] == b"pong"
    stubs.done()
    # The next task's connection (a new worker process in Ansible) answers without any AWS call.
    assert connection(BASE_VARS).exec_command("/bin/sh -c 'echo ~'") == (0, b"/home/ubuntu\n", b"")


def test_the_pieces_the_node_caches_are_remembered_for_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    (tmp_path / f"dayec-ssm-cached-{INSTANCE}-ubuntu").write_text("a" * 64 + "\n" + "b" * 64)
    Stubbed(monkeypatch)
    conn = connection(BASE_VARS)
    conn._connect()
    assert conn._runner.node_has == {"a" * 64, "b" * 64}
    conn._runner.node_has.add("c" * 64)
    conn._remember()
    assert (tmp_path / f"dayec-ssm-cached-{INSTANCE}-ubuntu").read_text().split() == ["a" * 64, "b" * 64, "c" * 64]


def test_another_user_on_the_same_instance_has_its_own_home(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    (tmp_path / f"dayec-ssm-home-{INSTANCE}-ubuntu").write_text("/home/ubuntu")
    stubs = Stubbed(monkeypatch)
    stubs.command("c-1", home_frame("/home/ec2-user", out=b"/home/ec2-user\n"))
    other = dict(BASE_VARS, ansible_ssm_run_as="ec2-user")
    assert connection(other).exec_command("/bin/sh -c 'echo ~'")[1] == b"/home/ec2-user\n"
    stubs.done()
    assert (tmp_path / f"dayec-ssm-home-{INSTANCE}-ec2-user").read_text() == "/home/ec2-user"


def test_close_runs_what_is_still_queued_and_warns_when_it_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    warnings = []
    monkeypatch.setattr(ssm_connection.display, "warning", warnings.append)
    mkdtemp = (
        '/bin/sh -c \'( umask 77 && mkdir -p "` echo /home/ubuntu/.ansible/tmp `"&& mkdir "` echo '
        '/home/ubuntu/.ansible/tmp/ansible-tmp-1 `" && echo ansible-tmp-1="` echo '
        "/home/ubuntu/.ansible/tmp/ansible-tmp-1 `\" )'"
    )
    stubs = Stubbed(monkeypatch)
    stubs.command(
        "flush", frame(rc=125, err=b"dayec-ssm: deferred mkdir failed\n"), stderr="dayec-ssm: deferred mkdir failed\n"
    )
    conn = connection(BASE_VARS)
    assert conn.exec_command(mkdtemp) == (0, b"ansible-tmp-1=/home/ubuntu/.ansible/tmp/ansible-tmp-1\n", b"")
    conn.close()
    stubs.done()
    assert warnings == [f"ssm ({INSTANCE}): queued housekeeping failed: dayec-ssm: deferred mkdir failed"]
    conn.close()  # nothing left: no call, no warning
    assert len(warnings) == 1
