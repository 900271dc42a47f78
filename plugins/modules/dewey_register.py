#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: dewey_register
short_description: Register an exported analysis with Dewey (artifact-set contract of Dewey 3.0.27)
version_added: 0.1.0
description:
  - Registers the files of an analysis exported to S3 with the Dewey registry, exactly once, and proves it with a
    receipt, C(dewey_registration_receipt.json), written next to the export in S3 (under
    C(<destination>_daylily_monitor/dewey/)) and, with O(output_dir), on the controller.
  - Then it records the registration in the export's C(fsx_export.yaml), in S3 and with O(output_dir) on the
    controller, as DayEC does, with DayEC's C(dewey_*) fields (RV(export_receipt_fields)). A verified receipt is never
    overwritten otherwise; these fields are the one change it allows, and every field its verification recorded keeps
    its value.
  - The export must have verified. The module reads its C(fsx_export.yaml) receipt from O(export_receipt_uri), or
    the newest verified attempt under O(destination_s3_uri), and registers the files under its C(dayoa_s3_root).
  - The files are those the catalog command's C(artifact_registration) policy selects (classifications and path
    globs, templated with the analysis id, executing entity and genome build). Every selected file needs a real
    SHA-256 and a size that S3 agrees with; otherwise the module fails naming the objects, before anything is sent.
  - It sends one analysis request and one MultiQC request per MultiQC report, each in the canonical form Dewey
    hashes, with its C(manifest_sha256). Dewey keys a registration by the hash of its request, so a re-run, or a
    retry after a connection dropped mid-request, replays the stored registration instead of making a second one.
  - Connection errors, HTTP 429 and 5xx are retried with exponential back-off (O(http_retries)); other 4xx are not.
    HTTP 409 (a record conflicting with one Dewey already holds) fails with an explanation and is never retried.
  - In check mode every request is built and validated against the contract, and nothing is posted or written.
  - The bearer token is read from the environment variable named by O(dewey_token_env); it is never an option
    value, and never appears in results, diffs, receipts or logs.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  export_receipt_uri:
    description:
      - S3 URI of the export's C(fsx_export.yaml) receipt. It must say C(status=success) and C(verified=true).
      - Mutually exclusive with O(destination_s3_uri); one of them is required.
    type: str
  destination_s3_uri:
    description:
      - The export destination, C(s3://<bucket>/<prefix>/<executing_entity>/<analysis_id>/). The newest verified
        receipt under its C(_daylily_monitor/fsx-export/) is used.
    type: str
  registration_policy:
    description:
      - The command's C(artifact_registration) policy, as the catalog holds it (templates may remain).
      - Mutually exclusive with O(command_id); one of them is required.
    type: dict
  command_id:
    description:
      - The catalog command whose C(artifact_registration) policy applies, looked up in O(catalog_path).
    type: str
  catalog_path:
    description:
      - The command catalog. Defaults to the catalog shipped in the collection.
    type: path
  manifest_source:
    description:
      - Where each file's SHA-256 comes from.
      - V(dayoa_manifest), the DayOA evidence manifest at C(dayoa_s3_root) + the policy's C(evidence_manifest_path).
      - V(s3_inventory), the objects under C(dayoa_s3_root), from one listing, each with the SHA-256 of the export
        manifest that was verified with the export (written with C(export_checksum=true)) where that manifest vouches
        for the object as S3 holds it now, else S3's own C(ChecksumSHA256) or C(sha256) user metadata, read with one
        HeadObject per object (never an ETag). See the notes for when the manifest vouches (RV(sha256_lookup)).
      - V(export_manifest), the export manifest the export wrote with C(export_checksum=true) (SHA-256s computed on
        FSx at export time; sizes re-checked against S3).
      - Defaults to the policy's C(manifest_source).
    type: str
    choices: [dayoa_manifest, s3_inventory, export_manifest]
  genome:
    description:
      - Genome build for C({genome}) templates when no DayOA evidence manifest gives one.
    type: str
  workflow:
    description:
      - Workflow provenance when no DayOA evidence manifest gives it (O(manifest_source=s3_inventory) or
        O(manifest_source=export_manifest) without one); keys C(pipeline_name), C(pipeline_version), C(git_sha),
        C(snakemake_version), C(workflow_config_hash), C(workflow_profile).
    type: dict
  dewey_url:
    description:
      - Base URL of Dewey, for example V(https://dewey.example.org).
    type: str
    required: true
  dewey_token_env:
    description:
      - The NAME of the environment variable that holds Dewey's bearer token (not the token).
    type: str
    default: DEWEY_TOKEN
  send_metadata:
    description:
      - Also send DayEC's C(metadata) fields (sample names, tags, analysis context). Dewey 3.0.27 rejects them
        with HTTP 422; only for a Dewey that accepts them.
    type: bool
    default: false
  send_idempotency_key:
    description:
      - Send C(Idempotency-Key), the hash of the whole request, which is the key Dewey computes itself. When
        V(false) the header is omitted and Dewey still deduplicates by that hash.
    type: bool
    default: true
  output_dir:
    description:
      - Also write C(dewey_registration_receipt.json) into this controller directory, and record the registration in
        its copy of the export receipt, C(fsx_export.yaml) (or C(attempts/<timestamp>/fsx_export.yaml)), when that
        is the same export attempt. A directory without C(fsx_export.yaml) gets the registered receipt as its
        current one; a receipt of another attempt is left alone, with a warning.
    type: path
  registration_only:
    description:
      - Record C(registration_only=true) in C(fsx_export.yaml), DayEC's mark of a registration made apart from the
        export (C(register-dewey)). Only the first registration of a receipt records it.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: int
    default: 30
  http_retries:
    description:
      - How many times a request is retried after a connection error, HTTP 429 or 5xx.
    type: int
    default: 4
  http_retry_delay:
    description:
      - Initial delay in seconds between HTTP retries, doubled per attempt, capped at 30 seconds.
    type: float
    default: 1.0
  validate_certs:
    description:
      - Verify Dewey's TLS certificate.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle to verify Dewey's certificate with.
    type: path
  use_proxy:
    description:
      - Use the C(https_proxy)/C(http_proxy) environment variables.
    type: bool
    default: true
notes:
  - Needs C(s3:ListBucket), C(s3:GetObject) and C(s3:PutObject) on the export destination.
  - "With O(manifest_source=s3_inventory) a digest is never registered that S3's current object could contradict.
    The export manifest named by the verified receipt (C(manifest_s3_uri)), read once and matching the receipt's
    C(manifest_sha256), gives an object's SHA-256 only when the listing shows the object with the manifest's size,
    last modified before the manifest itself (the export writes it right after its verification listing; both
    times are S3's, in whole seconds, so a write in the manifest's own second does not count), and without a SHA-256
    checksum of S3's own (C(ChecksumAlgorithm)). Any other object (not in the manifest, another size, changed since,
    checksummed by S3, a manifest without SHA-256s or none at all) is read with HeadObject as before, and without a
    SHA-256 there the module fails naming it. User metadata is written only with the object, so an object unchanged
    since the export carries no digest but the exporter's (FSx writes none). The manifest records no ETag, so none is
    compared."
  - Dewey itself HEADs every file artifact in S3, so it needs read access to the same bucket.
extends_documentation_fragment:
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.option_names
"""

EXAMPLES = r"""
- name: Register an exported analysis with Dewey
  daylily.ephemeral_cluster.dewey_register:
    destination_s3_uri: s3://analysis-bucket/exports/lab1/an-0001/
    command_id: ilmn_germline_wgs_sentieon_hg38
    dewey_url: https://dewey.example.org
    dewey_token_env: DEWEY_TOKEN
    output_dir: exports/lab1/an-0001
  register: dewey

- name: Show the artifact sets
  ansible.builtin.debug:
    msg: "{{ dewey.artifact_set_euids }}"
"""

RETURN = r"""
analysis_artifact_set_euid:
  description: The analysis artifact set Dewey registered (or replayed).
  returned: success, not in check mode
  type: str
  sample: Z-DGX-000003
multiqc_artifact_set_euids:
  description: One MultiQC artifact set per report, in report order.
  returned: success, not in check mode
  type: list
  elements: str
artifact_set_euids:
  description: The analysis set followed by the MultiQC sets.
  returned: success, not in check mode
  type: list
  elements: str
selected_artifact_count:
  description: How many files the policy selected.
  returned: success
  type: int
manifest_source:
  description: Where the SHA-256s came from.
  returned: success
  type: str
source_manifest_s3_uri:
  description: The manifest used, or C(dyec:s3_inventory).
  returned: success
  type: str
sha256_lookup:
  description:
    - With O(manifest_source=s3_inventory), where the selected objects' SHA-256s came from - C(export_manifest), how
      many the verified export manifest vouched for; C(s3_head), how many were read with HeadObject; and
      C(manifest_unused), why the manifest vouched for none (null when it was used).
  returned: success, with O(manifest_source=s3_inventory)
  type: dict
  sample: {"export_manifest": 9, "s3_head": 0, "manifest_unused": null}
requests:
  description: The C(manifest_sha256) and C(idempotency_key) of each request, by kind.
  returned: success
  type: dict
registration_receipt:
  description: The C(dewey_registration_receipt.json) content.
  returned: success, not in check mode
  type: dict
registration_receipt_s3_uri:
  description: Where the registration receipt is in S3.
  returned: success
  type: str
registration_receipt_path:
  description: The receipt on the controller, with O(output_dir).
  returned: when O(output_dir) is set and not in check mode
  type: str
export_receipt_uri:
  description: The export receipt the registration is for.
  returned: success
  type: str
export_receipt_fields:
  description:
    - The C(dewey_*) fields this registration records in C(fsx_export.yaml), in S3 at RV(export_receipt_uri) and
      locally at RV(export_receipt_path).
    - A verified receipt is never overwritten otherwise; these fields are the one change it allows, and every other
      field keeps its value.
  returned: success
  type: dict
  sample: {"dewey_registration_status": "success", "dewey_selected_artifact_count": 9,
           "dewey_multiqc_artifact_set_count": 1, "dewey_source_manifest_mode": "dayoa_manifest"}
export_receipt_path:
  description: The controller copy of the export receipt that records the registration.
  returned: when O(output_dir) is set and holds no receipt of another export attempt
  type: str
http_attempts:
  description: Each HTTP attempt as C([route, status]); status is an error name when there was no answer.
  returned: success
  type: list
  elements: list
"""

import json
import os

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import catalog
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import dewey
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_options
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry


def ensure_present(module, s3, plan, client, check_mode):
    """Post what is not yet registered (replays are harmless), then write the registration receipt and record the
    registration in the export receipt (S3 and the controller) where they differ."""
    previous = dewey.previous_registration(s3, plan["receipt_uri"])
    fields = dewey.export_receipt_fields(plan, module.params["registration_only"])
    # before any POST: a receipt that cannot record the registration stops here
    export_text = dewey.recorded_receipt_text(plan["export_receipt_text"], fields)
    local = _local_export_receipt(module, plan, fields, export_text)
    export_changed = export_text != plan["export_receipt_text"]
    local_changed = bool(local) and local[1] != local[2]
    before_fields = dict((name, plan["export_receipt"].get(name)) for name in fields)
    result = dict(
        changed=export_changed
        or local_changed
        or not dewey.same_registration(previous, plan["analysis"], plan["multiqc"]),
        selected_artifact_count=len(plan["selected"]),
        manifest_source=plan["mode"],
        source_manifest_s3_uri=plan["source_manifest_uri"],
        export_receipt_uri=plan["export_receipt_uri"],
        export_receipt_fields=fields,
        registration_receipt_s3_uri=plan["receipt_uri"],
        requests=dict(
            analysis=_request_ids(plan["analysis"]), multiqc=[_request_ids(body) for body in plan["multiqc"]]
        ),
    )
    if local:
        result["export_receipt_path"] = local[0]
    if plan["sha256_lookup"] is not None:
        result["sha256_lookup"] = plan["sha256_lookup"]
    if check_mode:
        before = dict(_summary(previous), export_receipt_fields=before_fields)
        result["diff"] = dict(
            before=before, after=dict(before, requests=result["requests"], export_receipt_fields=fields)
        )
        return result
    analysis = client.register("analysis", plan["analysis"], dewey.idempotency_key(plan["analysis"]))
    multiqc = [client.register("multiqc", body, dewey.idempotency_key(body)) for body in plan["multiqc"]]
    receipt = dewey.registration_receipt(
        analysis.get("registered_at"),
        client.url,
        plan["analysis"],
        analysis,
        plan["multiqc"],
        multiqc,
        plan["source_manifest_uri"],
        plan["mode"],
        len(plan["selected"]),
    )
    text = json.dumps(receipt, sort_keys=True, indent=2) + "\n"
    written = previous != receipt
    if written:
        bucket, key = dewey.split_s3_uri(plan["receipt_uri"])
        dewey.put_text(s3, bucket, key, text, "application/json")
    if module.params["output_dir"]:
        path = os.path.join(module.params["output_dir"], dewey.RECEIPT_FILENAME)
        written = _write_local(path, text) or written
        result["registration_receipt_path"] = path
    # the export receipt names the registration receipt, so it is written after it
    if export_changed:
        bucket, key = dewey.split_s3_uri(plan["export_receipt_uri"])
        dewey.put_text(s3, bucket, key, export_text, "application/yaml")
    if local_changed:
        _write_local(local[0], local[2])
    sets = [analysis["artifact_set_euid"]] + [answer["artifact_set_euid"] for answer in multiqc]
    result.update(
        changed=written or export_changed or local_changed,
        analysis_artifact_set_euid=sets[0],
        multiqc_artifact_set_euids=sets[1:],
        artifact_set_euids=sets,
        registration_receipt=receipt,
        diff=dict(
            before=dict(_summary(previous), export_receipt_fields=before_fields),
            after=dict(_summary(receipt), export_receipt_fields=fields),
        ),
    )
    return result


def _local_export_receipt(module, plan, fields, s3_text):
    """``(path, before, after)`` of the controller copy of the export receipt in ``output_dir``, or None."""
    if not module.params["output_dir"]:
        return None
    path, text = dewey.local_export_receipt(module.params["output_dir"], plan["export_receipt"])
    if path is None:
        module.warn(
            "the registration is not recorded in %s: it holds the receipt of another export attempt than %s"
            % (os.path.join(module.params["output_dir"], "fsx_export.yaml"), plan["export_receipt_uri"])
        )
        return None
    if text is None:
        return path, None, s3_text
    try:
        return path, text, dewey.recorded_receipt_text(text, fields)
    except dewey.RegistrationError as err:
        module.warn("the registration is not recorded in %s: %s" % (path, err))
        return None


def _request_ids(body):
    return dict(manifest_sha256=body["manifest_sha256"], idempotency_key=dewey.idempotency_key(body))


def _summary(receipt):
    if not receipt:
        return {}
    return dict(
        analysis_request_manifest_sha256=receipt.get("analysis_request_manifest_sha256"),
        multiqc_request_manifest_sha256s=receipt.get("multiqc_request_manifest_sha256s"),
        artifact_set_euids=[(receipt.get("analysis_response") or {}).get("artifact_set_euid")]
        + [answer.get("artifact_set_euid") for answer in receipt.get("multiqc_responses") or []],
    )


def _write_local(path, text):
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return True


def _policy(module):
    if module.params["registration_policy"] is not None:
        return module.params["registration_policy"]
    path = module.params["catalog_path"] or catalog.default_catalog_path()
    try:
        resolved = catalog.resolve_command(catalog.load_catalog(path), module.params["command_id"])
    except (catalog.CatalogError, KeyError, ValueError, OSError) as err:
        module.fail_json(msg="cannot resolve command %s in %s: %s" % (module.params["command_id"], path, err))
    return resolved["command"].get("artifact_registration")


def main():
    argument_spec = dict(
        export_receipt_uri=dict(type="str"),
        destination_s3_uri=dict(type="str"),
        registration_policy=dict(type="dict"),
        command_id=dict(type="str"),
        catalog_path=dict(type="path"),
        manifest_source=dict(type="str", choices=list(dewey.MANIFEST_SOURCES)),
        genome=dict(type="str"),
        workflow=dict(type="dict"),
        dewey_url=dict(type="str", required=True),
        dewey_token_env=dict(type="str", default="DEWEY_TOKEN", no_log=False),
        send_metadata=dict(type="bool", default=False),
        send_idempotency_key=dict(type="bool", default=True),
        output_dir=dict(type="path"),
        registration_only=dict(type="bool", default=False),
        timeout=dict(type="int", default=30),
        http_retries=dict(type="int", default=4),
        http_retry_delay=dict(type="float", default=1.0),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        use_proxy=dict(type="bool", default=True),
        option_names=dict(type="dict", default={}),
    )
    module = DaylilyAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["export_receipt_uri", "destination_s3_uri"], ["registration_policy", "command_id"]],
        required_one_of=[["export_receipt_uri", "destination_s3_uri"], ["registration_policy", "command_id"]],
        supports_check_mode=True,
    )
    params = module.params
    for name in ("export_receipt_uri", "destination_s3_uri"):
        if params[name] is not None and not params[name].startswith("s3://"):
            module.fail_json(msg="%s must be an s3:// URI, got %r" % (name, params[name]))
    if not params["dewey_url"].startswith(("http://", "https://")):
        module.fail_json(msg="dewey_url must be an http(s) URL, got %r" % params["dewey_url"])
    token = os.environ.get(params["dewey_token_env"] or "", "").strip()
    if not token:
        module.fail_json(
            msg="the environment variable %s (%s) is unset or empty: export Dewey's bearer token in it before running"
            % (params["dewey_token_env"], module.option_name("dewey_token_env"))
        )
    module.no_log_values.add(token)
    if params["timeout"] <= 0 or params["http_retries"] < 0 or params["http_retry_delay"] < 0:
        module.fail_json(msg="timeout must be positive, http_retries and http_retry_delay zero or positive")

    # the s3_inventory HEADs run side by side on this client: a pooled connection for each
    s3 = module.client("s3", retry_decorator=module_retry(module), config=s3_objects.client_config())
    client = dewey.DeweyClient(
        params["dewey_url"],
        token,
        retries=params["http_retries"],
        retry_delay=params["http_retry_delay"],
        **module_options(params, "timeout", "validate_certs", "ca_path", "use_proxy", "send_idempotency_key"),
    )
    try:
        plan = dewey.plan_registration(
            s3,
            _policy(module),
            **module_options(
                params,
                "manifest_source",
                "export_receipt_uri",
                "destination_s3_uri",
                "genome",
                "workflow",
                "send_metadata",
            ),
        )
        result = ensure_present(module, s3, plan, client, module.check_mode)
    except (dewey.RegistrationError, dewey.ContractError) as err:
        module.fail_json(msg="nothing was registered: %s" % err, http_attempts=client.attempt_log)
    except dewey.DeweyHTTPError as err:
        module.fail_json(msg=str(err), status=err.status, http_attempts=client.attempt_log)
    except dewey.AnsibleS3Error as err:
        module.fail_json_aws_error(err)
    result["http_attempts"] = client.attempt_log
    module.exit_json(**result)


if __name__ == "__main__":
    main()
