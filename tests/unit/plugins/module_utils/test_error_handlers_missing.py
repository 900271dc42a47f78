"""Which AWS answers each service's error handler reads as "not there" (its ``MISSING_CODES``).

A list handler returns its default for those codes and raises the service's error for every other code; a handler
without missing codes reads nothing as "not there".
"""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import budgets
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import fsx
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_prefix
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._staging import objects as staging_objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyErrorHandler

S3_OBJECT_MISSING = ["404", "NoSuchKey", "NotFound"]
HANDLERS = {
    "fsx": (
        fsx.FSxErrorHandler,
        ["DataRepositoryAssociationNotFound", "DataRepositoryTaskNotFound", "FileSystemNotFound"],
        ["BadRequest", "AccessDeniedException"],
    ),
    "staging": (
        staging_objects.StagingErrorHandler,
        S3_OBJECT_MISSING + ["NoSuchUpload"],
        ["NoSuchBucket", "SlowDown"],
    ),
    "s3_prefix": (s3_prefix.S3PrefixErrorHandler, S3_OBJECT_MISSING, ["NoSuchBucket", "NoSuchUpload", "AccessDenied"]),
    "budgets": (budgets.BudgetsErrorHandler, ["NotFoundException"], ["AccessDeniedException"]),
}
CASES = [
    (name, code, missing)
    for name, (_handler, missing_codes, other_codes) in HANDLERS.items()
    for codes, missing in ((missing_codes, True), (other_codes, False))
    for code in codes
]


def failing_call(handler, code):
    @handler.list_error_handler("read thing {key}", default_value="not there")
    def read(key):
        raise ClientError({"Error": {"Code": code, "Message": "no"}}, "GetThing")

    return read


@pytest.mark.parametrize("name, code, missing", CASES, ids=["%s-%s" % (name, code) for name, code, _m in CASES])
def test_list_handler_reads_only_its_missing_codes_as_not_there(name, code, missing):
    handler = HANDLERS[name][0]
    read = failing_call(handler, code)
    if missing:
        assert read("k1") == "not there"
    else:
        with pytest.raises(handler._CUSTOM_EXCEPTION, match="read thing k1"):
            read("k1")


def test_a_handler_without_missing_codes_reads_nothing_as_not_there():
    class Error(DaylilyAWSError):
        SERVICE = "Thing"

    class Handler(DaylilyErrorHandler):
        _CUSTOM_EXCEPTION = Error

    with pytest.raises(Error, match="read thing k1"):
        failing_call(Handler, "NotFound")("k1")
