#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: fsx_data_repository_task_info
short_description: List FSx for Lustre data repository tasks
version_added: 0.1.0
description:
  - Lists the data repository tasks (exports to S3, metadata imports, releases) of FSx for Lustre file systems,
    as returned by the FSx C(DescribeDataRepositoryTasks) API, with their progress counts and failure details.
  - Use it to show the progress of an export (poll it with C(until:)) and, before a cluster is deleted, to find
    export tasks that are still V(PENDING) or V(EXECUTING).
  - Select the file system by O(file_system_id), or by O(cluster_name), which finds the one file system tagged
    C(parallelcluster:cluster-name=<cluster_name>). With neither, the tasks of every file system in the region are listed.
  - O(task_ids), O(file_system_id)/O(cluster_name), O(lifecycle) and O(association_id) are sent to AWS as filters;
    O(type) and O(paths) are applied to the answer. Every given filter must match.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  task_ids:
    description:
      - Only these tasks, for example V([task-0123456789abcdef0]). IDs AWS does not know are skipped, not an error.
    type: list
    elements: str
  lifecycle:
    description:
      - Only tasks in one of these states.
      - V(PENDING), V(EXECUTING) and V(CANCELING) tasks still occupy the file system.
    type: list
    elements: str
    choices: [PENDING, EXECUTING, FAILED, SUCCEEDED, CANCELED, CANCELING]
  association_id:
    description:
      - Only tasks that work on this data repository association (AWS filter C(data-repository-association-id)),
        for example V(dra-0123456789abcdef0).
    type: str
  type:
    description:
      - Only tasks of these types.
    type: list
    elements: str
    choices: [EXPORT_TO_REPOSITORY, IMPORT_METADATA_FROM_REPOSITORY, RELEASE_DATA_FROM_FILESYSTEM, AUTO_RELEASE_DATA]
  paths:
    description:
      - Only tasks whose C(Paths) are exactly these paths (same set, any order); not their parents or children.
      - Give the FSx API form (V(/analysis_results/alice/run42/)), the relative form FSx documents for C(Paths)
        (V(analysis_results/alice/run42)) or the headnode form under O(mount_point) or C(/fsx)
        (V(/fsx/analysis_results/alice/run42)); all three mean the same directory.
      - A task created without C(Paths) works on the whole file system and matches V([/]).
    type: list
    elements: str
  wait_seconds:
    description:
      - Wait up to this many seconds in this run for every matching task to end, then return what the last describe
        showed; return as soon as they have all ended. V(0) describes once.
      - The describes come shortly before the end each task's own pace predicts (its C(StartTime),
        C(Status.LastUpdatedTime) and file counts while V(EXECUTING)), else on a schedule growing with the task's age
        (1 s apart at first, then a tenth of its age); never more than 30 s apart.
      - When the next describe would come after O(wait_seconds), the run sleeps out the rest and returns without it,
        so an C(until) loop around the module (with a C(delay) of 0) describes again first thing in its next run.
      - A task that leaves the O(lifecycle) filter by ending is no longer returned.
    type: int
    default: 0
notes:
  - Needs the IAM action C(fsx:DescribeDataRepositoryTasks), and C(fsx:DescribeFileSystems) when O(cluster_name) is used.
  - FSx keeps ended tasks for a limited time, so old tasks may no longer be listed.
seealso:
  - module: daylily.ephemeral_cluster.fsx_export_task
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.fsx
  - daylily.ephemeral_cluster.read_only
"""

EXAMPLES = r"""
- name: Show the progress of an export task until it ends
  daylily.ephemeral_cluster.fsx_data_repository_task_info:
    task_ids: ["{{ export.task_id }}"]
  register: progress
  until: progress.tasks[0].lifecycle in ['SUCCEEDED', 'FAILED', 'CANCELED']
  retries: 120
  delay: 30

- name: Wait for an export task, up to 30 s per run so each retry shows its progress
  daylily.ephemeral_cluster.fsx_data_repository_task_info:
    task_ids: ["{{ export.task_id }}"]
    wait_seconds: 30
  register: progress
  until: progress.tasks[0].lifecycle in ['SUCCEEDED', 'FAILED', 'CANCELED']
  retries: 120
  delay: 0

- name: Export tasks still running on a cluster's file system (the delete gate)
  daylily.ephemeral_cluster.fsx_data_repository_task_info:
    cluster_name: day-demo
    type: EXPORT_TO_REPOSITORY
    lifecycle: [PENDING, EXECUTING]
  register: running_exports

- name: Every export of one analysis directory (headnode path accepted)
  daylily.ephemeral_cluster.fsx_data_repository_task_info:
    file_system_id: fs-0123456789abcdef0
    type: EXPORT_TO_REPOSITORY
    paths: [/fsx/analysis_results/alice/run42]
  register: exports
"""

RETURN = r"""
file_system_id:
  description: The file system the tasks were listed for, given as O(file_system_id) or resolved from O(cluster_name).
  returned: when O(file_system_id) or O(cluster_name) is given
  type: str
  sample: fs-0123456789abcdef0
tasks:
  description: The matching data repository tasks, in the order AWS returned them (creation order).
  returned: always
  type: list
  elements: dict
  contains:
    task_id:
      description: The task ID.
      returned: always
      type: str
      sample: task-0123456789abcdef0
    resource_arn:
      description: The task's ARN.
      returned: always
      type: str
      sample: arn:aws:fsx:us-west-2:123456789012:task/task-0123456789abcdef0
    file_system_id:
      description: The file system the task runs on.
      returned: always
      type: str
      sample: fs-0123456789abcdef0
    type:
      description: The task type.
      returned: always
      type: str
      sample: EXPORT_TO_REPOSITORY
    lifecycle:
      description: The task's state, one of V(PENDING), V(EXECUTING), V(FAILED), V(SUCCEEDED), V(CANCELED), V(CANCELING).
      returned: always
      type: str
      sample: EXECUTING
    paths:
      description: The paths the task works on, as they were sent to FSx.
      returned: when the task was created with paths
      type: list
      elements: str
      sample: [analysis_results/alice/run42]
    status:
      description: Progress counts.
      returned: always
      type: dict
      contains:
        total_count:
          description: Files the task will process.
          returned: when known
          type: int
          sample: 1200
        succeeded_count:
          description: Files processed successfully.
          returned: when known
          type: int
          sample: 1198
        failed_count:
          description: Files that failed.
          returned: when known
          type: int
          sample: 2
        last_updated_time:
          description: When the counts were last updated (ISO 8601).
          returned: when known
          type: str
          sample: "2026-01-31T12:05:00+00:00"
    report:
      description: The completion report settings.
      returned: always
      type: dict
      contains:
        enabled:
          description: Whether a report is written.
          returned: always
          type: bool
          sample: true
        path:
          description: The S3 prefix of the report; the CSV of failed files is C(<path>task-<id>/failures.csv).
          returned: when enabled
          type: str
          sample: s3://daylily-analysis/derived/alice/run42/_daylily_monitor/fsx-export/20260131T120000Z/export-report/
        format:
          description: The report format.
          returned: when enabled
          type: str
          sample: REPORT_CSV_20191124
        scope:
          description: Which files the report lists.
          returned: when enabled
          type: str
          sample: FAILED_FILES_ONLY
    failure_details:
      description: Why the task failed, in AWS's words (C(message)).
      returned: when AWS reports a failure
      type: dict
      sample: {"message": "The task failed to process 2 of 1200 files. See the task completion report."}
    creation_time:
      description: When the task was created (ISO 8601).
      returned: always
      type: str
      sample: "2026-01-31T12:00:00+00:00"
    start_time:
      description: When the task started (ISO 8601).
      returned: once the task has started
      type: str
      sample: "2026-01-31T12:00:05+00:00"
    end_time:
      description: When the task ended (ISO 8601).
      returned: once the task has ended
      type: str
      sample: "2026-01-31T12:10:00+00:00"
    tags:
      description: The task's tags as a dict (empty when it has none).
      returned: always
      type: dict
      sample: {}
progress:
  description:
    - One line per task for an operator watching a wait (the collection's C(progress) callback prints it at every
      retry) - its id, lifecycle and file counts.
  returned: always
  type: str
  sample: "task-0123456789abcdef0 EXECUTING: 1198 of 1200 files done, 0 failed"
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import FILE_SYSTEM_EXCLUSIVE
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import TASK_LIFECYCLES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import api_path
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import describe_tasks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import file_system_argument_spec
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import find_file_system_by_cluster
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import fsx_client
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import normalize_task
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import task_progress
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import task_rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.fsx import wait_for_tasks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule


def requested_paths(params):
    """The O(paths) filter in API form (None when not given); raises ValueError on a bad path."""
    if params.get("paths") is None:
        return None
    result = []
    for index, given in enumerate(params["paths"]):
        # The relative form FSx documents for Paths ("analysis_results/a/b") is accepted too.
        absolute = given if given.startswith("/") else "/" + given
        result.append(api_path(absolute, mount_point=params["mount_point"], field="paths[%d]" % index))
    return result


def list_tasks(client, params, sleep=None, clock=None, now=None):
    """Return (file_system_id or None, [normalised tasks]) for the module parameters; with O(wait_seconds), what the
    last describe showed after waiting for the tasks to end (``sleep``, ``clock`` and ``now`` replace the wait's time
    functions in tests and the benchmark)."""
    wanted_paths = requested_paths(params)

    file_system_id = params.get("file_system_id")
    if params.get("cluster_name"):
        file_system_id = find_file_system_by_cluster(client, params["cluster_name"])["FileSystemId"]

    def describe_matching():
        raw = describe_tasks(
            client,
            task_ids=params.get("task_ids"),
            file_system_id=file_system_id,
            task_lifecycle=params.get("lifecycle"),
            data_repository_association_id=params.get("association_id"),
        )
        return [
            task
            for task in raw
            if task_rules.matches(
                task,
                types=params.get("type"),
                paths=wanted_paths,
                file_system_id=file_system_id,
                lifecycles=params.get("lifecycle"),
            )
        ]

    matching = describe_matching()
    if params.get("wait_seconds"):
        matching = wait_for_tasks(matching, describe_matching, params["wait_seconds"], sleep, clock, now)
    return file_system_id, [normalize_task(task) for task in matching]


def main():
    argument_spec = file_system_argument_spec(
        task_ids=dict(type="list", elements="str"),
        lifecycle=dict(type="list", elements="str", choices=list(TASK_LIFECYCLES)),
        association_id=dict(type="str"),
        type=dict(type="list", elements="str", choices=list(task_rules.TASK_TYPES)),
        paths=dict(type="list", elements="str"),
        wait_seconds=dict(type="int", default=0),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[FILE_SYSTEM_EXCLUSIVE],
        supports_check_mode=True,
    )

    with module.reporting_failures():
        requested_paths(module.params)  # bad input is refused before any AWS call
        if module.params["wait_seconds"] < 0:
            module.fail_json(msg="wait_seconds must be zero or positive (seconds to wait for the tasks to end)")
        file_system_id, tasks = list_tasks(fsx_client(module), module.params)

    result = dict(changed=False, tasks=tasks, progress="; ".join(task_progress(task) for task in tasks))
    if file_system_id:
        result["file_system_id"] = file_system_id
    module.exit_json(**result)


if __name__ == "__main__":
    main()
