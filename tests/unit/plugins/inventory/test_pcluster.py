"""The pcluster inventory plugin's decisions (hosts, groups, connection and cluster variables, expiry, caching and
refusals) from Stubber-validated AWS answers: the plugin's options are registered from its DOCUMENTATION with its doc
fragments, the way Ansible's plugin loader does, and it parses a real inventory source file, as ansible-inventory
does."""

import datetime
import importlib

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.utils.plugin_docs import add_fragments

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.daylily.ephemeral_cluster.plugins.inventory import pcluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import cluster_ttl
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import aws_retry

NAME = "daylily.ephemeral_cluster.pcluster"
NOW = datetime.datetime(2026, 12, 6, 12, 0, 0, tzinfo=datetime.UTC)
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
HEADNODE_FILTERS = [
    {"Name": "tag:parallelcluster:node-type", "Values": ["HeadNode"]},
    {"Name": "instance-state-name", "Values": LIVE_STATES},
]


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_URL", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(cluster_ttl, "utc_now", lambda: NOW)


class DocFragments:
    """Finds doc fragments by name as Ansible's fragment loader does (``inventory_cache``: ansible-core's,
    ``amazon.aws.boto3``: a collection's), by importing them; the collections here are on pytest's pythonpath, not
    behind Ansible's collection finder."""

    @staticmethod
    def get(name):
        parts = name.split(".")
        module = "ansible.plugins.doc_fragments." + name if len(parts) == 1 else None
        if len(parts) == 3:
            module = "ansible_collections.%s.%s.plugins.doc_fragments.%s" % tuple(parts)
        if module is None:  # "amazon.aws.common.plugins": asked again as "amazon.aws.common" with its PLUGINS part
            return None
        try:
            fragment = importlib.import_module(module).ModuleDocFragment()
        except ImportError:
            return None
        fragment.ansible_name = name
        return fragment


def new_plugin():
    """An InventoryModule with its options defined as the plugin loader defines them."""
    if not C.config.has_configuration_definition("inventory", NAME):
        doc = yaml.safe_load(pcluster.DOCUMENTATION)
        add_fragments(doc, pcluster.__file__, fragment_loader=DocFragments())
        C.config.initialize_plugin_configuration_definitions("inventory", NAME, doc["options"])
    plugin = pcluster.InventoryModule()
    plugin._load_name = plugin.ansible_name = NAME
    return plugin


class StubbedAWS:
    """One Stubber-validated client per (service, region); the plugin's clients are these, retried like its own."""

    def __init__(self):
        self.clients = {}
        self.stubbers = {}

    def stubber(self, service, region="us-west-2"):
        key = (service, region)
        if key not in self.stubbers:
            client = boto3.client(service, region_name=region)
            self.clients[key] = client
            self.stubbers[key] = Stubber(client)
            self.stubbers[key].activate()
        return self.stubbers[key]

    def client(self, plugin, service, region):
        assert (service, region) in self.clients, f"unexpected {service} client in {region}"
        return RetryingBotoClientWrapper(self.clients[(service, region)], aws_retry(delay=0))

    def assert_done(self):
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def aws(monkeypatch):
    stubbed = StubbedAWS()

    def client(plugin, service, region):  # a function, not a bound method: the plugin calls it as its own method
        return stubbed.client(plugin, service, region)

    monkeypatch.setattr(pcluster.InventoryModule, "_aws_client", client)
    yield stubbed
    stubbed.assert_done()


def parse(tmp_path, **config):
    """Parse an inventory source with ``config`` (regions default to us-west-2) as ansible-inventory does; the
    InventoryData."""
    source = {"plugin": NAME, "regions": ["us-west-2"], **config}
    path = tmp_path / "clusters.pcluster.yml"
    path.write_text(yaml.safe_dump(source), encoding="utf-8")
    plugin = new_plugin()
    assert plugin.verify_file(str(path))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=True)
    if plugin.get_option("cache"):
        plugin.update_cache_if_changed()  # as Ansible's InventoryManager does after each parse
    return inventory


def headnode(cluster, instance_id, state="running", extra_tags=()):
    return {
        "InstanceId": instance_id,
        "InstanceType": "r7i.2xlarge",
        "State": {"Code": 16, "Name": state},
        "LaunchTime": datetime.datetime(2026, 12, 6, 8, 0, tzinfo=datetime.UTC),
        "PrivateIpAddress": "10.0.0.12",
        "Tags": [
            {"Key": "parallelcluster:cluster-name", "Value": cluster},
            {"Key": "parallelcluster:node-type", "Value": "HeadNode"},
            *extra_tags,
        ],
    }


def expect_headnodes(aws, instances, region="us-west-2", filters=None):
    aws.stubber("ec2", region).add_response(
        "describe_instances",
        {"Reservations": [{"ReservationId": "r-1", "OwnerId": "123456789012", "Instances": instances}]},
        {"Filters": filters or HEADNODE_FILTERS},
    )


def expect_stack(aws, cluster, stack_tags=(), status="CREATE_COMPLETE", region="us-west-2"):
    aws.stubber("cloudformation", region).add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": cluster,
                    "StackId": f"arn:aws:cloudformation:{region}:123456789012:stack/{cluster}/1",
                    "CreationTime": datetime.datetime(2026, 12, 6, 8, 0, tzinfo=datetime.UTC),
                    "StackStatus": status,
                    "Tags": [{"Key": "parallelcluster:version", "Value": "3.16.1"}, *stack_tags],
                }
            ]
        },
        {"StackName": cluster},
    )


def expect_no_stack(aws, cluster, region="us-west-2"):
    aws.stubber("cloudformation", region).add_client_error(
        "describe_stacks", "ValidationError", f"Stack with id {cluster} does not exist", 400, {"StackName": cluster}
    )


def expect_file_systems(aws, clusters, region="us-west-2"):
    aws.stubber("fsx", region).add_response(
        "describe_file_systems",
        {
            "FileSystems": [
                {
                    "FileSystemId": f"fs-{index:017x}",
                    "FileSystemType": "LUSTRE",
                    "Lifecycle": "AVAILABLE",
                    "CreationTime": datetime.datetime(2026, 12, 6, 8, index, tzinfo=datetime.UTC),
                    "Tags": [{"Key": "parallelcluster:cluster-name", "Value": cluster}],
                }
                for index, cluster in enumerate(clusters, start=1)
            ]
        },
        {},
    )


def expiry(at):
    return [{"Key": "daylily:expires-at", "Value": at}, {"Key": "daylily:ttl-hours", "Value": "4"}]


def variables(inventory, host):
    return inventory.get_host(host).get_vars()


def group_hosts(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts()) if group in inventory.groups else []


def test_each_headnode_is_a_host_of_its_cluster_with_the_ssm_connection_and_its_expiry(aws, tmp_path):
    expect_headnodes(
        aws,
        [
            headnode("day-old", "i-0000000000000000a"),
            headnode("day-new", "i-0000000000000000b"),
            headnode("day-forever", "i-0000000000000000c", state="stopped"),
            headnode("day-typo", "i-0000000000000000d"),
        ],
    )
    expect_stack(aws, "day-forever")
    expect_stack(aws, "day-new", expiry("2026-12-06T16:00:00Z"))
    expect_stack(aws, "day-old", expiry("2026-12-06T11:59:59Z"))
    expect_stack(aws, "day-typo", [{"Key": "daylily:expires-at", "Value": "2026-12-06 10:00"}])
    expect_file_systems(aws, ["day-old", "day-new", "day-other"])
    inventory = parse(tmp_path)

    assert sorted(inventory.hosts) == ["day-forever", "day-new", "day-old", "day-typo"]
    old = variables(inventory, "day-old")
    assert {key: old[key] for key in old if key.startswith("ansible_")} == {
        "ansible_connection": "daylily.ephemeral_cluster.ssm",
        "ansible_ssm_instance_id": "i-0000000000000000a",
        "ansible_ssm_region": "us-west-2",
    }
    assert old["daylily_cluster_name"] == "day-old" and old["daylily_cluster_status"] == "CREATE_COMPLETE"
    assert old["daylily_file_system_id"] == "fs-00000000000000001"
    assert old["daylily_file_system_ids"] == ["fs-00000000000000001"]
    assert (old["daylily_expired"], old["daylily_ttl_status"], old["daylily_ttl_seconds_left"]) == (True, "expired", -1)
    assert old["daylily_expires_at"] == "2026-12-06T11:59:59Z" and old["daylily_ttl_hours"] == 4.0
    assert old["daylily_headnode_launch_time"] == "2026-12-06T08:00:00+00:00"
    assert old["daylily_cluster_tags"]["parallelcluster:version"] == "3.16.1"

    new = variables(inventory, "day-new")
    assert (new["daylily_expired"], new["daylily_ttl_status"], new["daylily_ttl_seconds_left"]) == (
        False,
        "live",
        14400,
    )
    forever = variables(inventory, "day-forever")
    assert (forever["daylily_expired"], forever["daylily_ttl_status"]) == (False, "none")
    assert forever["daylily_ttl_message"] == "no TTL: no daylily:expires-at tag"
    assert forever["daylily_headnode_state"] == "stopped" and forever["daylily_file_system_id"] is None
    typo = variables(inventory, "day-typo")
    assert (typo["daylily_expired"], typo["daylily_ttl_status"]) == (False, "invalid")

    assert group_hosts(inventory, "daylily_expired") == ["day-old"]
    assert group_hosts(inventory, "daylily_ttl_invalid") == ["day-typo"]
    for cluster in ("day-old", "day-new", "day-forever", "day-typo"):
        assert group_hosts(inventory, "daylily_cluster_" + cluster.replace("-", "_")) == [cluster]


def test_the_stack_tags_are_the_clusters_and_the_headnode_tags_count_when_there_is_no_stack(aws, tmp_path):
    expect_headnodes(
        aws,
        [
            headnode("day-stack", "i-0000000000000000a", extra_tags=expiry("2026-12-07T00:00:00Z")),
            headnode("day-nostack", "i-0000000000000000b", extra_tags=expiry("2026-12-06T00:00:00Z")),
        ],
    )
    expect_no_stack(aws, "day-nostack")
    expect_stack(aws, "day-stack", expiry("2026-12-06T00:00:00Z"))
    expect_file_systems(aws, [])
    inventory = parse(tmp_path)
    assert variables(inventory, "day-stack")["daylily_expires_at"] == "2026-12-06T00:00:00Z"
    nostack = variables(inventory, "day-nostack")
    assert nostack["daylily_cluster_status"] is None and nostack["daylily_expired"] is True
    assert group_hosts(inventory, "daylily_expired") == ["day-nostack", "day-stack"]


def test_cluster_names_filter_in_the_query_and_the_ssm_bucket_profile_and_endpoint_reach_the_connection(aws, tmp_path):
    filters = [*HEADNODE_FILTERS, {"Name": "tag:parallelcluster:cluster-name", "Values": ["day-a", "day-b"]}]
    expect_headnodes(aws, [headnode("day-a", "i-0000000000000000a")], filters=filters)
    expect_stack(aws, "day-a")
    inventory = parse(
        tmp_path,
        cluster_names=["day-b", "day-a"],
        file_systems=False,
        ssm_bucket_name="transfer-bucket",
        ssm_bucket_prefix="ssm/",
        endpoint_url="http://127.0.0.1:5000",
    )
    host = variables(inventory, "day-a")
    assert host["ansible_ssm_bucket_name"] == "transfer-bucket" and host["ansible_ssm_bucket_prefix"] == "ssm/"
    assert host["ansible_ssm_endpoint_url"] == "http://127.0.0.1:5000"
    assert "ansible_ssm_profile" not in host and "ansible_ssm_access_key_id" not in host
    assert "testing" not in repr(host)  # credentials never become host variables
    assert host["daylily_file_system_ids"] is None and host["daylily_file_system_id"] is None


def test_every_region_is_asked_and_one_name_in_two_regions_gives_two_hosts(aws, tmp_path):
    expect_headnodes(aws, [headnode("day-a", "i-0000000000000000a")], region="us-west-2")
    expect_headnodes(aws, [headnode("day-a", "i-0000000000000000b")], region="eu-west-1")
    expect_stack(aws, "day-a", region="us-west-2")
    expect_stack(aws, "day-a", expiry("2026-12-01T00:00:00Z"), region="eu-west-1")
    inventory = parse(tmp_path, regions=["us-west-2", "eu-west-1"], file_systems=False)
    assert sorted(inventory.hosts) == ["day-a_i-0000000000000000a", "day-a_i-0000000000000000b"]
    assert variables(inventory, "day-a_i-0000000000000000b")["ansible_ssm_region"] == "eu-west-1"
    assert group_hosts(inventory, "daylily_expired") == ["day-a_i-0000000000000000b"]
    assert group_hosts(inventory, "daylily_cluster_day_a") == ["day-a_i-0000000000000000a", "day-a_i-0000000000000000b"]


def test_a_region_without_clusters_asks_nothing_else(aws, tmp_path):
    expect_headnodes(aws, [])
    inventory = parse(tmp_path)
    assert list(inventory.hosts) == []


def test_compose_groups_and_keyed_groups_see_the_cluster_variables(aws, tmp_path):
    expect_headnodes(aws, [headnode("day-old", "i-0000000000000000a")])
    expect_stack(aws, "day-old", [*expiry("2026-12-06T10:00:00Z"), {"Key": "project", "Value": "giab"}])
    inventory = parse(
        tmp_path,
        file_systems=False,
        compose={"ansible_python_interpreter": "'/usr/bin/python3'", "ansible_ssm_run_as": "'ec2-user'"},
        groups={"overdue": "daylily_ttl_seconds_left is not none and daylily_ttl_seconds_left < -3600"},
        keyed_groups=[{"key": "daylily_cluster_tags['project']", "prefix": "project"}],
    )
    host = variables(inventory, "day-old")
    assert host["ansible_python_interpreter"] == "/usr/bin/python3" and host["ansible_ssm_run_as"] == "ec2-user"
    assert group_hosts(inventory, "overdue") == ["day-old"]
    assert group_hosts(inventory, "project_giab") == ["day-old"]


def test_the_cache_keeps_what_aws_answered_and_expiry_is_decided_again_at_each_parse(aws, tmp_path, monkeypatch):
    cache = {"cache": True, "cache_plugin": "jsonfile", "cache_connection": str(tmp_path / "cache")}
    expect_headnodes(aws, [headnode("day-a", "i-0000000000000000a")])
    expect_stack(aws, "day-a", expiry("2026-12-06T13:00:00Z"))
    expect_file_systems(aws, ["day-a"])
    first = parse(tmp_path, **cache)
    assert group_hosts(first, "daylily_expired") == []
    # an hour later, from the cache (no AWS answer is queued: a call would fail the Stubber)
    monkeypatch.setattr(cluster_ttl, "utc_now", lambda: NOW + datetime.timedelta(hours=1))
    second = parse(tmp_path, **cache)
    assert group_hosts(second, "daylily_expired") == ["day-a"]
    assert variables(second, "day-a")["daylily_file_system_id"] == "fs-00000000000000001"
    assert variables(second, "day-a")["daylily_headnode_launch_time"] == "2026-12-06T08:00:00+00:00"


def test_a_refused_describe_instances_fails_naming_the_call_unless_permissions_are_not_strict(aws, tmp_path):
    aws.stubber("ec2").add_client_error("describe_instances", "UnauthorizedOperation", "You are not authorized", 403)
    with pytest.raises(AnsibleError, match=r"DescribeInstances.*UnauthorizedOperation"):
        parse(tmp_path)
    aws.stubber("ec2").add_client_error("describe_instances", "UnauthorizedOperation", "You are not authorized", 403)
    assert list(parse(tmp_path, strict_permissions=False).hosts) == []


def test_a_refused_stack_or_file_system_lookup_leaves_unknowns_null_when_permissions_are_not_strict(aws, tmp_path):
    expect_headnodes(aws, [headnode("day-a", "i-0000000000000000a", extra_tags=expiry("2026-12-06T00:00:00Z"))])
    aws.stubber("cloudformation").add_client_error("describe_stacks", "AccessDenied", "not allowed", 403)
    aws.stubber("fsx").add_client_error("describe_file_systems", "AccessDeniedException", "not allowed", 400)
    inventory = parse(tmp_path, strict_permissions=False)
    host = variables(inventory, "day-a")
    assert host["daylily_cluster_status"] is None and host["daylily_file_system_ids"] is None
    assert host["daylily_expired"] is True  # the head node's own tags still carry the expiry


def test_throttling_is_retried(aws, tmp_path):
    aws.stubber("ec2").add_client_error("describe_instances", "RequestLimitExceeded", "slow down", 503)
    expect_headnodes(aws, [])
    assert list(parse(tmp_path).hosts) == []


def test_only_files_named_pcluster_yml_are_sources(tmp_path):
    plugin = new_plugin()
    for name, accepted in (("pcluster.yml", True), ("prod.pcluster.yaml", True), ("hosts.yml", False)):
        path = tmp_path / name
        path.write_text(f"plugin: {NAME}\n", encoding="utf-8")
        assert plugin.verify_file(str(path)) is accepted, name


@pytest.mark.parametrize("from_environment", [False, True])
def test_a_profile_named_in_the_source_reaches_the_connection_but_not_one_from_the_environment(
    aws, tmp_path, monkeypatch, from_environment
):
    expect_headnodes(aws, [headnode("day-a", "i-0000000000000000a")])
    expect_stack(aws, "day-a")
    if from_environment:
        monkeypatch.setenv("AWS_PROFILE", "ops")
        inventory = parse(tmp_path, file_systems=False)
    else:
        inventory = parse(tmp_path, file_systems=False, profile="ops")
    host = variables(inventory, "day-a")
    assert host.get("ansible_ssm_profile") == (None if from_environment else "ops")
