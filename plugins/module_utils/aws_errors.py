# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS error codes that mean "try again", shared by the modules' retry policy and the ssm connection.

Pure data, no imports: the connection plugin's runner (plugin_utils/ssm.py) uses it without amazon.aws.
"""

# botocore's standard retry mode treats these as throttling (botocore/retries/standard.py). A throttled request was
# not carried out, so any call may repeat it. amazon.aws's AWSRetry lacks ThrottlingException, the code FSx returns.
THROTTLE_CODES = (
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
)

# Transient server-side failures (FSx's HTTP 500 is InternalServerError). Repeat only calls that are safe to repeat:
# reads, and changes that carry a ClientRequestToken.
TRANSIENT_CODES = (
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
)

RETRY_CODES = THROTTLE_CODES + TRANSIENT_CODES

CREDENTIAL_CODES = (
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
)
ACCESS_CODES = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")
# S3's answers for an object that is not there (HeadObject answers a bare 404); a missing bucket is not one of them.
S3_MISSING_OBJECT_CODES = ("404", "NoSuchKey", "NotFound")

# Hints for codes that name one resource; "{file_system}" is how the hint names the file system options.
_RESOURCE_HINTS = {
    "FileSystemNotFound": "Check {file_system} and that region is the file system's region.",
    "DataRepositoryAssociationNotFound": "Check the association ID and that region is the file system's region.",
    "DataRepositoryTaskNotFound": "Check the task ID and that region is the file system's region.",
    "NoSuchBucket": "Check the bucket name and that it exists in this account.",
}

# Errors botocore raises before AWS answers, by class name.
_CLIENT_SIDE_HINTS = (
    (
        "NoCredentialsError",
        "No AWS credentials were found: set profile, or access_key and secret_key, or the AWS_* environment variables.",
    ),
    ("NoRegionError", "No region was found: set the region option or AWS_REGION."),
    (
        "EndpointConnectionError",
        "The {service} endpoint could not be reached: check region, endpoint_url and the network or proxy.",
    ),
)


def aws_error_code(exception):
    """The AWS error code of a botocore ClientError, else None."""
    try:
        return exception.response["Error"]["Code"]
    except (AttributeError, KeyError, TypeError):
        return None


def remediation(code, operation=None, exception=None, service="FSx", file_system="file_system_id (or cluster_name)"):
    """A one-sentence "what to do" for an AWS error code, or for a client-side botocore error when ``code`` is None;
    None when there is nothing useful to say. ``service`` names the AWS service (its IAM prefix in lower case) and
    ``file_system`` how the caller names the file system it was given."""
    prefix = service.lower()
    action = f"{prefix}:{operation}" if operation else f"the {service} action"
    if code in THROTTLE_CODES:
        return (
            f"AWS kept throttling {operation or 'the call'} after every retry: re-run later, lower the number of "
            f"forks or parallel jobs calling {service}, or ask AWS for a higher {service} API rate limit."
        )
    if code in TRANSIENT_CODES:
        return (
            f"{service} kept failing on its side after every retry: re-run later, and check the AWS Health Dashboard "
            f"for {service} in this region."
        )
    if code in ACCESS_CODES:
        return f"The caller is not allowed to call {action}: add {action} to the IAM policy of the user or role running Ansible."
    if code in CREDENTIAL_CODES:
        return "The AWS credentials are invalid or expired: refresh them (profile, access_key/secret_key/session_token, or SSO login)."
    if code in _RESOURCE_HINTS:
        return _RESOURCE_HINTS[code].format(file_system=file_system)
    if code == "BadRequest":
        return "AWS rejected the request parameters: check the module options named in the AWS message."
    if code is None and exception is not None:
        names = {cls.__name__ for cls in type(exception).__mro__}
        for name, hint in _CLIENT_SIDE_HINTS:
            if name in names:
                return hint.format(service=service)
    return None
