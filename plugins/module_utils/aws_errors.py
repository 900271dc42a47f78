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
