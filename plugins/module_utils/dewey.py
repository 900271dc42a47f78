# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dewey registration (the Dewey 3.0.27 artifact-set contract): the public face of the private ``_dewey`` package.

* ``_dewey.contract`` -- request shapes, normalisation exactly as Dewey validates, canonical JSON and hashes;
* ``_dewey.client`` -- HTTP through ``ansible.module_utils.urls`` with retries on connection errors, 429 and 5xx;
* ``_dewey.build`` -- decisions: verified export, file records per manifest source, selection, requests, receipt;
* ``_dewey.plan`` -- reading the export's evidence from S3 and building every request before any is sent;
* ``_dewey.record`` -- the registration recorded in the export's ``fsx_export.yaml`` (S3 and the controller);
* ``_dewey.storage`` -- the S3 calls (list, with each object's LastModified too, read, write, HEAD with checksums),
  each behind an error handler.
"""

from __future__ import annotations

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import build as _build
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import client as _client
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import contract as _contract
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import plan as _plan
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import record as _record
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import storage as _storage

# contract
ContractError = _contract.ContractError
canonical_json = _contract.canonical_json
canonical_sha256 = _contract.canonical_sha256
normalise = _contract.normalise
manifest_sha256 = _contract.manifest_sha256
finalise = _contract.finalise
idempotency_key = _contract.idempotency_key

# HTTP
ROUTES = _client.ROUTES
RETRY_STATUSES = _client.RETRY_STATUSES
DeweyClient = _client.DeweyClient
DeweyHTTPError = _client.DeweyHTTPError

# decisions
MANIFEST_SOURCES = _build.MANIFEST_SOURCES
RECEIPT_FILENAME = _build.RECEIPT_FILENAME
INVENTORY_MANIFEST_URI = _build.INVENTORY_MANIFEST_URI
RegistrationError = _build.RegistrationError
export_roots = _build.export_roots
split_s3_uri = _build.split_s3_uri
parse_evidence_manifest = _build.parse_evidence_manifest
manifest_records = _build.manifest_records
inventory_records = _build.inventory_records
export_manifest_records = _build.export_manifest_records
classify = _build.classify
select = _build.select
mime_type = _build.mime_type
analysis_request = _build.analysis_request
multiqc_requests = _build.multiqc_requests
listing_sha256 = _build.listing_sha256
vouched_sha256 = _build.vouched_sha256
registration_receipt = _build.registration_receipt
same_registration = _build.same_registration
export_receipt_fields = _build.export_receipt_fields

# reading the evidence and planning the requests (S3 reads, no POST)
plan_registration = _plan.plan_registration
previous_registration = _plan.previous_registration
find_export_receipt = _plan.find_export_receipt
s3_inventory_records = _plan.s3_inventory_records
registration_receipt_uri = _plan.registration_receipt_uri

# recording the registration in the export receipt
recorded_receipt_text = _record.recorded_receipt_text
local_export_receipt = _record.local_receipt

# S3
AnsibleS3Error = _storage.AnsibleS3Error
head_object = _storage.head_object
object_sha256 = _storage.object_sha256
list_objects = _storage.list_objects
list_object_details = _storage.list_object_details
get_text_and_time = _storage.get_text_and_time
get_text = _storage.get_text
put_text = _storage.put_text
