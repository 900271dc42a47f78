"""The fields of a verified export's receipt, for tests that build one with the receipt code itself."""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt

#: How a successful export that detached its association ended, in the tests' cluster.
SUCCESS = {
    "status": "success",
    "phase": "complete",
    "cluster_name": "day-c1",
    "region": "us-west-2",
    "fsx_file_system_id": "fs-0123456789abcdef0",
    "association_id": "dra-0123456789abcdef0",
    "lifecycle": "AVAILABLE",
    "task_id": "task-0123456789abcdef0",
    "task_lifecycle": "SUCCEEDED",
    "detach_lifecycle": "DELETED",
    "detached": True,
}


def success_fields(executing_entity, analysis_id, destination, report_timestamp, **overrides):
    """receipt.build_receipt's keywords for a successful export of ``executing_entity/analysis_id`` to
    ``destination`` (:data:`SUCCESS`, then ``overrides``); its failed-files report is under ``report_timestamp``."""
    return {
        **receipt.receipt_paths(executing_entity, analysis_id, destination),
        **SUCCESS,
        "report_path": export.export_report_path(destination, report_timestamp),
        **overrides,
    }
