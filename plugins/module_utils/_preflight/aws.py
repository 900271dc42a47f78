# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The read-only AWS calls preflight makes (and the write probe's put/delete), one small function each.

Each raises ``PreflightAWSError`` (``DaylilyAWSError``) naming the operation, the code and what to do. ``client`` is
what ``module.client(service, retry_decorator=module_retry(module))`` returns.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler

# The IAM action an operation needs where it is not "<service>:<operation>".
_IAM_ACTIONS = {
    "HeadBucket": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "GetServiceQuota": "servicequotas:GetServiceQuota",
    "GetProducts": "pricing:GetProducts",
    "DescribeBudgets": "budgets:ViewBudget",
}
# HEAD requests carry no error body: botocore reports the HTTP status as the code.
_ACCESS_STATUS_CODES = ("403", "Forbidden")
_MISSING_STATUS_CODES = ("404", "NotFound", "NoSuchBucket", "NoSuchKey", "NoSuchResourceException", "NotFoundException")


class PreflightAWSError(DaylilyAWSError):
    """A failed preflight call; ``action`` is the IAM action it needed."""

    SERVICE = "AWS"

    @property
    def action(self):
        operation = self.operation or "the call"
        return _IAM_ACTIONS.get(operation) or "%s:%s" % (self.service_prefix, operation)

    @property
    def service_prefix(self):
        return self.SERVICE.lower()

    @property
    def access_denied(self):
        return self.code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation") + _ACCESS_STATUS_CODES

    @property
    def missing(self):
        return self.code in _MISSING_STATUS_CODES


def _service_handler(service):
    error = type("Preflight%sError" % service, (PreflightAWSError,), {"SERVICE": service})
    return type("Preflight%sErrorHandler" % service, (DaylilyErrorHandler,), {"_CUSTOM_EXCEPTION": error})


STSHandler = _service_handler("STS")
IAMHandler = _service_handler("IAM")
S3Handler = _service_handler("S3")
QuotaHandler = _service_handler("ServiceQuotas")
EC2Handler = _service_handler("EC2")
PricingHandler = _service_handler("Pricing")
BudgetsHandler = _service_handler("Budgets")


@STSHandler.common_error_handler("get the caller identity")
def caller_identity(client):
    return client.get_caller_identity()


@IAMHandler.common_error_handler("list the policies attached to user {user}")
def user_policy_names(client, user):
    answer = paginated_query_with_retries(client, "list_attached_user_policies", client.retry, UserName=user)
    return [item["PolicyName"] for item in answer.get("AttachedPolicies") or []]


@IAMHandler.common_error_handler("list the groups of user {user}")
def user_group_names(client, user):
    answer = paginated_query_with_retries(client, "list_groups_for_user", client.retry, UserName=user)
    return [item["GroupName"] for item in answer.get("Groups") or []]


@IAMHandler.common_error_handler("list the policies attached to group {group}")
def group_policy_names(client, group):
    answer = paginated_query_with_retries(client, "list_attached_group_policies", client.retry, GroupName=group)
    return [item["PolicyName"] for item in answer.get("AttachedPolicies") or []]


@QuotaHandler.common_error_handler("read the service quota {service_code}/{quota_code}")
def quota_value(client, service_code, quota_code):
    return client.get_service_quota(ServiceCode=service_code, QuotaCode=quota_code)["Quota"]["Value"]


@EC2Handler.common_error_handler("describe instance types {instance_types}")
def vcpus_by_instance_type(client, instance_types):
    answer = paginated_query_with_retries(
        client, "describe_instance_types", client.retry, InstanceTypes=sorted(set(instance_types))
    )
    return {item["InstanceType"]: item["VCpuInfo"]["DefaultVCpus"] for item in answer.get("InstanceTypes") or []}


@S3Handler.common_error_handler("reach bucket {bucket}")
def head_bucket(client, bucket):
    client.head_bucket(Bucket=bucket)


@S3Handler.common_error_handler("read s3://{bucket}/{key}")
def object_text(client, bucket, key):
    return client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", "replace")


@S3Handler.common_error_handler("list s3://{bucket}/{prefix}")
def has_objects_under(client, bucket, prefix):
    return client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0) > 0


@S3Handler.common_error_handler("write the probe s3://{bucket}/{key}")
def put_probe(client, bucket, key):
    client.put_object(Bucket=bucket, Key=key, Body=b"daylily preflight write check\n")


@S3Handler.common_error_handler("delete the probe s3://{bucket}/{key}")
def delete_probe(client, bucket, key):
    client.delete_object(Bucket=bucket, Key=key)


@EC2Handler.common_error_handler("read the spot price history of {instance_type}")
def latest_spot_prices(client, instance_type):
    """The latest Linux spot price per availability zone of ``instance_type`` (USD per hour)."""
    answer = client.describe_spot_price_history(
        InstanceTypes=[instance_type], ProductDescriptions=["Linux/UNIX"], MaxResults=100
    )
    latest = {}
    for item in answer.get("SpotPriceHistory") or []:
        zone = item.get("AvailabilityZone")
        if zone not in latest or str(item.get("Timestamp")) > str(latest[zone].get("Timestamp")):
            latest[zone] = item
    return [float(item["SpotPrice"]) for item in latest.values()]


@PricingHandler.common_error_handler("read the price list of {service_code}")
def price_list(client, service_code, filters):
    """The Price List products of ``service_code`` matching ``filters`` ({field: value}), as JSON strings."""
    params = dict(
        ServiceCode=service_code,
        FormatVersion="aws_v1",
        Filters=[{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in filters.items()],
    )
    answer = paginated_query_with_retries(client, "get_products", client.retry, **params)
    return answer.get("PriceList") or []


@BudgetsHandler.common_error_handler("list the budgets of account {account}")
def account_budgets(client, account):
    answer = paginated_query_with_retries(client, "describe_budgets", client.retry, AccountId=account)
    return answer.get("Budgets") or []
