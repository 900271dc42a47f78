# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudFormation stacks of ParallelCluster clusters (``DescribeStacks``): one small function behind
``CloudFormationErrorHandler`` (errors become ``AnsibleCloudFormationError`` with what to do). ``client`` is what
``module.client("cloudformation", retry_decorator=...)`` returns (or the inventory plugin's retried client).
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler


class AnsibleCloudFormationError(DaylilyAWSError):
    """A CloudFormation failure (see ``DaylilyAWSError``)."""

    SERVICE = "CloudFormation"


class CloudFormationErrorHandler(DaylilyErrorHandler):
    """amazon.aws's AWSErrorHandler raising AnsibleCloudFormationError."""

    _CUSTOM_EXCEPTION = AnsibleCloudFormationError


@CloudFormationErrorHandler.common_error_handler("describe the stack of cluster {cluster_name} (DescribeStacks)")
def describe_cluster_stack(client, cluster_name):
    """The cluster's CloudFormation stack (ParallelCluster names it after the cluster), None when there is none."""
    try:
        return client.describe_stacks(StackName=cluster_name, aws_retry=True)["Stacks"][0]
    except is_boto3_error_code("ValidationError") as err:
        # CloudFormation answers a missing stack with ValidationError "Stack with id X does not exist"
        if "does not exist" in str(err):
            return None
        raise
