"""meta/runtime.yml: the action group extends amazon.aws.aws, so one module_defaults block sets region and endpoint for
the amazon.aws tasks in the roles as well as for the collection's own modules."""

import yaml

from testlib.playbooks import REPO
from testlib.playbooks import run_playbook


def test_the_action_group_lists_every_aws_module_and_extends_amazon_aws():
    group = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text(encoding="utf-8"))["action_groups"]["aws"]
    extends = [item["metadata"]["extend_group"] for item in group if isinstance(item, dict)]
    modules = sorted(
        path.stem
        for path in (REPO / "plugins" / "modules").glob("*.py")
        if "DaylilyAWSModule(" in path.read_text(encoding="utf-8")
    )
    assert extends == [["amazon.aws.aws"]]
    assert sorted(item for item in group if isinstance(item, str)) == modules


def test_group_module_defaults_reach_an_amazon_aws_module(sandbox, cluster):
    # A closed port: the call can only fail there if the group's endpoint_url reached amazon.aws.s3_bucket_info.
    run = run_playbook(
        "action_group_defaults.yml", {"region": cluster["region"], "endpoint_url": "http://127.0.0.1:9/"}
    )

    assert run.rc != 0
    assert (
        'Could not connect to the endpoint URL: "http://127.0.0.1:9/'
        in run.result("List the buckets with amazon.aws")["msg"]
    )
