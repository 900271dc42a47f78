# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The FSx for Lustre service layer of daylily.ephemeral_cluster: the one import of every FSx module.

A public facade over the private ``_fsx`` package (the amazon.aws ``autoscaling.py`` over ``_autoscaling/`` shape):

* ``_fsx.errors``: ``AnsibleFSxError`` (message = operation, code and what to do; the hints live in ``aws_errors``)
  and ``FSxErrorHandler``, the decorator of every FSx call.
* ``_fsx.common``: the client (``fsx_client``) and its retries, our ``NextToken`` loops (botocore has no paginator
  for associations or tasks), API filters, tags, snake_case output.
* ``_fsx.file_systems``, ``_fsx.associations``, ``_fsx.tasks``: each AWS call one small decorated function.
* ``_fsx.lifecycles``: the one table of association and task lifecycles.
* ``_fsx.rules`` (paths, read-only roots), ``_fsx.association_rules`` (overlap, capacity, file system checks,
  desired-versus-current), ``_fsx.task_rules`` (export paths, reports, re-runs): decisions without AWS calls.
* ``_fsx.waits``: the one wait loop.
* ``_fsx.attach`` and ``_fsx.export_run``: what ``fsx_dra`` and ``fsx_export_task`` do, so the modules keep only
  their argument spec, ``ensure_present``/``ensure_absent`` and ``main``.
* ``_fsx.temporary_export``: what ``fsx_export`` does, composing the two in one run (attach, export, detach).
"""

# pylint: disable=unused-import  # a facade: these names are its public interface

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import association_rules  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import task_rules  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.association_rules import EVENT_TYPES  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import DRA_FILTER_NAMES  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import describe_association  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import describe_associations  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import filter_associations  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.attach import AssociationManager  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.attach import read_association_params  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import CLUSTER_NAME_TAG  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import FILE_SYSTEM_EXCLUSIVE  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import build_filters  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import file_system_argument_spec  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import fsx_client  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import normalize_association  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import normalize_task  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import tags_match  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import task_progress  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import AnsibleFSxError  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import FSxErrorHandler  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.export_run import ExportRun  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.file_systems import describe_file_systems  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.file_systems import (
    find_file_system_by_cluster,  # noqa: F401
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import DRA_ACTIVE_LIFECYCLES  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import DRA_LIFECYCLES  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import TASK_ACTIVE_LIFECYCLES  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import TASK_LIFECYCLES  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import TASK_TERMINAL_LIFECYCLES  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import is_active_association  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.rules import DEFAULT_MOUNT_POINT  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.rules import READ_ONLY_ROOTS  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.rules import api_path  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.rules import read_only_root  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import TASK_FILTER_NAMES  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import describe_task  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import describe_tasks  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.temporary_export import TemporaryExport  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.temporary_export import (
    normalize_file_system,  # noqa: F401
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.waits import wait_for_tasks  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import aws_error_code  # noqa: F401
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.aws_errors import remediation  # noqa: F401

# The one path normaliser, under the name the info modules and older callers use.
normalize_file_system_path = api_path
