# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The base class of every AWS module in daylily.ephemeral_cluster.

``DaylilyAWSModule`` is amazon.aws's ``AnsibleAWSModule`` (same auth, region, endpoint and
environment handling, same ``fail_json_aws``) with three differences:

* the botocore user agent names this collection (``APN/1.0 Ansible/<core> daylily.ephemeral_cluster/<version>``),
  the way community.aws's ``AnsibleCommunityAWSModule`` does it;
* ``fail_json_aws_error`` forwards the extra fields an ``AnsibleAWSError`` carries (``e.kwargs``),
  so a failure can return structured details (for example the file systems that matched);
* every module takes ``retries`` and ``retry_delay`` (doc fragment ``daylily.ephemeral_cluster.aws``), so an
  operator can tune the jittered backoff for a throttled account, and tests can make it fast;
* an empty region (``AWS_REGION=""`` or ``AWS_DEFAULT_REGION=""``) is reported as a missing region
  instead of botocore's ``Invalid endpoint: https://fsx..amazonaws.com``.

    from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
"""

import contextlib
import functools
import inspect

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import collection
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import RETRY_CODES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import aws_error_code
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import remediation

DAYLILY_COLLECTION_NAME = collection.NAME
DAYLILY_COLLECTION_VERSION = collection.VERSION

# Options every module takes; documented by the daylily.ephemeral_cluster.aws doc fragment.
RETRY_ARGUMENT_SPEC = {
    "retries": {"type": "int", "default": 10},
    "retry_delay": {"type": "float", "default": 3.0},
}


# Back-off defaults: 10 attempts, 3 s initial delay, doubled each time, capped at 60 s.
RETRIES = 10
RETRY_DELAY = 3
RETRY_BACKOFF = 2.0
RETRY_MAX_DELAY = 60


def aws_retry(retries=None, delay=None, backoff=None, max_delay=None):
    """``AWSRetry.jittered_backoff`` that also retries every throttle code and the transient 5xx codes of
    ``aws_errors``. Defaults are read at call time from RETRIES / RETRY_DELAY / RETRY_BACKOFF / RETRY_MAX_DELAY;
    pass ``delay=0`` in tests."""
    return AWSRetry.jittered_backoff(
        retries=RETRIES if retries is None else retries,
        delay=RETRY_DELAY if delay is None else delay,
        backoff=RETRY_BACKOFF if backoff is None else backoff,
        max_delay=RETRY_MAX_DELAY if max_delay is None else max_delay,
        catch_extra_error_codes=list(RETRY_CODES),
    )


def module_retry(module):
    """``aws_retry()`` tuned by the module's ``retries``/``retry_delay`` options (when it has them), for any client."""
    params = getattr(module, "params", None) or {}
    return aws_retry(retries=params.get("retries"), delay=params.get("retry_delay"))


def module_options(params, *names):
    """``{name: params[name]}`` for the options a module hands on unchanged, as keyword arguments of a service call."""
    return {name: params[name] for name in names}


class DaylilyAWSError(AnsibleAWSError):
    """An AWS failure of one service (``SERVICE``, its name in IAM actions and hints). ``operation`` and ``code`` name
    the AWS operation and error code when AWS answered.

    The message always ends with what to do when we know it, e.g.::

        Failed to describe data repository associations (DescribeDataRepositoryAssociations, ThrottlingException).
        AWS kept throttling DescribeDataRepositoryAssociations after every retry: re-run later, ...

    ``str(error)`` appends botocore's own message; ``module.fail_json_aws_error(error)`` reports both plus the
    snake_cased AWS error and the SDK versions.
    """

    SERVICE = "AWS"

    def __init__(self, message=None, exception=None, operation=None, code=None, hint=None, **kwargs):
        operation = operation or getattr(exception, "operation_name", None)
        code = code or aws_error_code(exception)
        hint = hint or remediation(code, operation, exception, service=self.SERVICE)
        if message:
            details = ", ".join(part for part in (operation, code) if part and part not in message)
            if details:
                message = f"{message} ({details})"
            if hint:
                message = f"{message}. {hint.rstrip('.')}"
        super().__init__(message=message, exception=exception, **kwargs)
        self.operation = operation
        self.code = code
        self.hint = hint


def describe_call(description, function, args, kwargs):
    """``description`` with its ``{placeholders}`` filled from the call's arguments (left as written if they do not fit)."""
    try:
        bound = inspect.signature(inspect.unwrap(function)).bind(*args, **kwargs)
        bound.apply_defaults()
        return description.format(**bound.arguments)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return description


class DaylilyErrorHandler(AWSErrorHandler):
    """amazon.aws's ``AWSErrorHandler`` whose descriptions may name the wrapped function's parameters
    (``"describe association {association_id}"``) on every amazon.aws version the collection supports: amazon.aws fills
    such placeholders itself only from 11.3 on. Its list and deletion handlers build on this one."""

    #: The AWS error codes that tell the list and deletion handlers the resource is not there.
    MISSING_CODES = ()

    @classmethod
    def _is_missing(cls):
        if not cls.MISSING_CODES:
            return super()._is_missing()
        return is_boto3_error_code(list(cls.MISSING_CODES))

    @classmethod
    def common_error_handler(cls, description):
        def wrapper(func):
            @functools.wraps(func)
            def handler(*args, **kwargs):
                try:
                    return func(*args, **kwargs)
                except botocore.exceptions.WaiterError as e:
                    raise cls._CUSTOM_EXCEPTION(
                        message=f"Timeout trying to {describe_call(description, func, args, kwargs)}", exception=e
                    ) from e
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    raise cls._CUSTOM_EXCEPTION(
                        message=f"Failed to {describe_call(description, func, args, kwargs)}", exception=e
                    ) from e

            return handler

        return wrapper

    @classmethod
    def _missing_returns(cls, description, missing_value):
        """The list and deletion handlers: ``missing_value`` when AWS says the resource is not there. The wrapped
        function's metadata goes inside the common handler, so the description's placeholders bind to its parameters
        (amazon.aws 10 put it outside, leaving ``{name}`` in the message)."""

        def wrapper(func):
            @cls.common_error_handler(description)
            @functools.wraps(func)
            def handler(*args, **kwargs):
                try:
                    return func(*args, **kwargs)
                except cls._is_missing():
                    return missing_value

            return handler

        return wrapper

    @classmethod
    def list_error_handler(cls, description, default_value=None):
        return cls._missing_returns(description, default_value)

    @classmethod
    def deletion_error_handler(cls, description):
        return cls._missing_returns(description, False)


class DaylilyAWSModule(AnsibleAWSModule):
    """AnsibleAWSModule that identifies daylily.ephemeral_cluster in the AWS user agent."""

    def __init__(self, **kwargs):
        kwargs["argument_spec"] = dict(kwargs.get("argument_spec") or {}, **RETRY_ARGUMENT_SPEC)
        super().__init__(**kwargs)
        if self.params["retries"] < 0 or self.params["retry_delay"] < 0:
            self.fail_json(msg="retries and retry_delay must be zero or positive")
        set_collection_info(
            collection_name=DAYLILY_COLLECTION_NAME,
            collection_version=DAYLILY_COLLECTION_VERSION,
        )

    def client(self, service, retry_decorator=None, **extra_params):
        if self.region == "":
            self.fail_json(
                msg=(
                    f"The {self._name} module requires a region, but the region resolved to an empty string "
                    "(AWS_REGION or AWS_DEFAULT_REGION is set to ''). Set the region option, or export a "
                    "non-empty AWS_REGION, e.g. us-west-2."
                )
            )
        return super().client(service, retry_decorator=retry_decorator, **extra_params)

    def option_name(self, option):
        """How a hint names ``option``: the variable the operator sets when a role drives the module (the module's
        ``option_names``), else the option itself."""
        return (self.params.get("option_names") or {}).get(option) or option

    def fail_json_aws_error(self, exception):
        """Fail from an AnsibleAWSError (or subclass), keeping its message, cause and extra fields."""
        extra = dict(getattr(exception, "kwargs", None) or {})
        extra.pop("msg", None)
        extra.pop("exception", None)
        if exception.exception:
            self.fail_json_aws(exception.exception, msg=exception.message, **extra)
        self.fail_json(msg=exception.message or str(exception), **extra)

    @contextlib.contextmanager
    def reporting_failures(self, **extra):
        """Turn what the service layer raises into a module failure: a ``ValueError`` (bad input, found before any
        AWS call) into ``fail_json`` with its message, an ``AnsibleAWSError`` into ``fail_json_aws_error``. ``extra``
        (e.g. ``changed``) is added to either failure where the error does not carry it already."""
        try:
            yield
        except ValueError as e:
            self.fail_json(msg=str(e), **extra)
        except AnsibleAWSError as e:
            for key, value in extra.items():
                e.kwargs.setdefault(key, value)
            self.fail_json_aws_error(e)
