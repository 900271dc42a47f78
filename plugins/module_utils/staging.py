# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Sample staging in S3: the public face of the private ``_staging`` package; import from here.

* ``_staging.objects`` -- the S3 calls, one small function each behind ``StagingErrorHandler``;
* ``_staging.transfer`` -- the decisions: the precheck of every source (parallel HeadObject/ListObjectsV2), what
  each staged object is made of, what a stage already holds, how an object is copied (CopyObject, or UploadPartCopy
  parts for merges and objects over 5 GiB), the write probe and the stage's samples/units tables.

The manifest itself (parsing, rules, tables) is :mod:`.samples`.
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._staging import objects as _objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._staging import transfer as _transfer

AnsibleStagingError = _objects.AnsibleStagingError
StageTablesDiffer = _transfer.StageTablesDiffer
StageObjectsDiffer = _transfer.StageObjectsDiffer

MAX_COPY_OBJECT_BYTES = _transfer.MAX_COPY_OBJECT_BYTES
MAX_PART_BYTES = _transfer.MAX_PART_BYTES
MIN_PART_SIZE = _transfer.MIN_PART_SIZE
MIB = _transfer.MIB
SOURCE_METADATA = _transfer.SOURCE_METADATA
WRITE_PROBE = _transfer.WRITE_PROBE

S3Object = _transfer.S3Object
Job = _transfer.Job
Stage = _transfer.Stage
stage_location = _transfer.stage_location
precheck = _transfer.precheck
parts_of = _transfer.parts_of
pending_jobs = _transfer.pending_jobs
copy_jobs = _transfer.copy_jobs
abort_unfinished_copies = _transfer.abort_unfinished_copies
write_probe = _transfer.write_probe
table_objects = _transfer.table_objects
tables_to_write = _transfer.tables_to_write
write_tables = _transfer.write_tables
