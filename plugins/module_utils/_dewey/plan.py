# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything a registration needs, read from S3 and decided before anything is posted.

:func:`plan_registration` reads the export receipt (it must verify), the DayOA evidence manifest, the S3 listing of
the export and, per ``manifest_source``, the SHA-256 of each file (the manifest's, our export manifest's, or for
``s3_inventory`` the export manifest's where it vouches for the object as listed, else S3's own checksum or
metadata by a HEAD: :func:`s3_inventory_records`), then builds and validates every request. Any problem raises
``RegistrationError`` (or ``ContractError``) before Dewey hears of it; S3 failures arrive as ``AnsibleS3Error``.
"""

from __future__ import annotations

import json
import re

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import catalog
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import export
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import receipt as export_receipt
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import build
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import contract
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import storage

RECEIPT_NAME = export.RECEIPT_FILENAME
ATTEMPTS_PREFIX = export.MONITOR_DIR + "/fsx-export/"
_ATTEMPT_RE = re.compile(r"^\d{8}T\d{6}Z$")


def _read(s3, uri, what, required=True):
    bucket, key = build.split_s3_uri(uri)
    text = storage.get_text(s3, bucket, key)
    if text is None and required:
        raise build.RegistrationError("%s %s does not exist" % (what, uri))
    return text


def find_export_receipt(s3, export_receipt_uri=None, destination_s3_uri=None):
    """(receipt URI, flat receipt, its text): the given receipt, or the newest verified attempt under the
    destination."""
    if export_receipt_uri:
        text = _read(s3, export_receipt_uri, "the export receipt")
        return export_receipt_uri, _load_receipt(text, export_receipt_uri), text
    destination = destination_s3_uri.rstrip("/") + "/"
    bucket, prefix = build.split_s3_uri(destination)
    keys = storage.list_objects(s3, bucket, prefix + ATTEMPTS_PREFIX)
    attempts = sorted(
        (key for key in keys if key.endswith("/" + RECEIPT_NAME) and _ATTEMPT_RE.match(key.split("/")[-2])),
        reverse=True,
    )
    for key in attempts:
        uri = "s3://%s/%s" % (bucket, key)
        text = storage.get_text(s3, bucket, key) or ""
        found = _load_receipt(text, uri)
        if found.get("verified") is True and found.get("status") == "success":
            return uri, found, text
    raise build.RegistrationError(
        "no verified export receipt under %s%s (%d attempt(s) found): export the analysis first"
        % (destination, ATTEMPTS_PREFIX, len(attempts))
    )


def _load_receipt(text, uri):
    try:
        return export_receipt.load_receipt(text)
    except export_receipt.ReceiptError as err:
        raise build.RegistrationError("the export receipt %s cannot be read: %s" % (uri, err)) from err


def registration_receipt_uri(destination_s3_uri):
    """Where the registration receipt lives, next to the export: ``<destination>_daylily_monitor/dewey/...``."""
    return destination_s3_uri.rstrip("/") + "/" + export.REGISTRATION_PREFIX + build.RECEIPT_FILENAME


def _lookup_sha256(s3, root, records):
    """Fill each record's SHA-256 from S3's HEAD (ChecksumSHA256 or sha256 user metadata); never an ETag. The HEADs
    run side by side (``storage.head_objects``): one round trip each, thousands of them for a large analysis.
    Returns how many objects were HEADed."""
    bucket, prefix = build.split_s3_uri(root)
    missing = [record for record in records if not record["sha256"]]
    heads = storage.head_objects(s3, bucket, [prefix + record["relative_path"] for record in missing])
    for record in missing:
        head = heads[prefix + record["relative_path"]]
        if head is not None:
            record["sha256"], record["sha256_source"] = head["sha256"], head["sha256_source"]
    return len(missing)


def _vouching_manifest(s3, found_receipt, roots):
    """``(entries by path relative to dayoa_s3_root, the manifest's LastModified, None)`` of the verified export's
    manifest, or ``(None, None, why not)``: no manifest named, not the one whose digest the receipt recorded, or not
    readable. Never an error: without it every object is HEADed, as without a manifest."""
    uri, digest = found_receipt.get("manifest_s3_uri"), found_receipt.get("manifest_sha256")
    if not uri or not digest:
        return None, None, "the export receipt names no export manifest (manifest_s3_uri, manifest_sha256)"
    if roots["dayoa_s3_root"] != roots["destination_s3_uri"] + build.DAYOA_DIRNAME:
        return None, None, "the receipt's dayoa_s3_root is not the destination's %s" % build.DAYOA_DIRNAME
    read = storage.get_text_and_time(s3, *build.split_s3_uri(uri))
    if read is None:
        return None, None, "the export manifest %s does not exist" % uri
    text, verified_at = read
    if export.manifest_sha256(text) != digest:
        return None, None, "the export manifest %s is not the one the receipt's manifest_sha256 names" % uri
    try:
        entries = export.load_manifest(text)
    except ValueError as err:
        return None, None, "the export manifest %s cannot be read: %s" % (uri, err)
    inside = len(build.DAYOA_DIRNAME)
    return (
        dict((path[inside:], entry) for path, entry in entries.items() if path.startswith(build.DAYOA_DIRNAME)),
        verified_at,
        None,
    )


def s3_inventory_records(s3, roots, found_receipt, described, policy):
    """``manifest_source: s3_inventory``: ``(records, {relative_path: size}, lookup)`` of the objects under
    ``dayoa_s3_root`` from ONE listing, each object the policy selects with its SHA-256.

    The SHA-256 is the export manifest's where that manifest, verified with the export, vouches for the object as
    this listing shows it (``build.vouched_sha256``: same size, not changed since, no SHA-256 of S3's own), else
    S3's, by a HEAD, as without a manifest: nothing is guessed, and a digest S3 could contradict is never taken from
    the manifest. ``lookup``: how many digests came from each (``export_manifest``, ``s3_head``) and, when the
    manifest vouched for none, why."""
    root = roots["dayoa_s3_root"]
    bucket, prefix = build.split_s3_uri(root)
    listed = dict((key[len(prefix) :], found) for key, found in storage.list_object_details(s3, bucket, prefix).items())
    sizes = dict((path, found["size"]) for path, found in listed.items())
    records = build.inventory_records(listed, described)
    chosen = build.select(records, policy, root, sizes, require_sha256=False)
    entries, verified_at, unused = _vouching_manifest(s3, found_receipt, roots)
    vouched = 0
    for record in chosen if entries is not None else ():
        path = record["relative_path"]
        sha256 = build.vouched_sha256(entries.get(path), listed.get(path), verified_at)
        if sha256 is not None:
            record["sha256"], record["sha256_source"] = sha256, "export_manifest"
            vouched += 1
    lookup = {"export_manifest": vouched, "s3_head": _lookup_sha256(s3, root, chosen), "manifest_unused": unused}
    return records, sizes, lookup


def _export_manifest(s3, found_receipt):
    uri = found_receipt.get("manifest_s3_uri")
    if not uri:
        raise build.RegistrationError(
            "the export receipt names no export manifest (manifest_s3_uri): export again with this collection, or "
            "use manifest_source dayoa_manifest"
        )
    entries = {}
    for number, line in enumerate(_read(s3, uri, "the export manifest").splitlines(), 1):
        if line.strip():
            entry = json.loads(line)
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                raise build.RegistrationError("the export manifest %s: line %d is not an entry" % (uri, number))
            entries[entry["path"]] = entry
    return uri, entries


def plan_registration(
    s3,
    policy,
    manifest_source=None,
    export_receipt_uri=None,
    destination_s3_uri=None,
    genome=None,
    workflow=None,
    send_metadata=False,
):
    """The registration to perform: requests (finalised), where the evidence came from, and where receipts go."""
    if not isinstance(policy, dict) or not policy:
        raise build.RegistrationError("no artifact_registration policy: give the catalog command's policy")
    if policy.get("enabled") is False:
        raise build.RegistrationError("the command's artifact_registration policy is disabled (enabled: false)")
    mode = manifest_source or policy.get("manifest_source") or "dayoa_manifest"
    receipt_uri, found_receipt, receipt_text = find_export_receipt(s3, export_receipt_uri, destination_s3_uri)
    roots = build.export_roots(found_receipt)
    root = roots["dayoa_s3_root"]
    values = {"analysis_id": roots["analysis_id"], "executing_entity": roots["executing_entity"]}
    if genome:
        values["genome"] = genome
    rendered = catalog.render_registration_policy(policy, values)
    manifest_path = rendered.get("evidence_manifest_path") or ""
    manifest = manifest_uri = None
    if "{genome}" not in manifest_path and manifest_path:
        manifest_uri = root + manifest_path
        text = _read(s3, manifest_uri, "the DayOA evidence manifest", required=(mode == "dayoa_manifest"))
        if text is not None:
            manifest = build.parse_evidence_manifest(text, manifest_uri)
    elif mode == "dayoa_manifest":
        raise build.RegistrationError(
            "the policy's evidence_manifest_path %r needs the genome: set genome" % manifest_path
        )
    genome = genome or ((manifest or {}).get("analysis") or {}).get("genome_build")
    if not genome:
        raise build.RegistrationError("no genome build: the DayOA evidence manifest has none here, set genome")
    rendered = catalog.render_registration_policy(policy, dict(values, genome=genome))

    described = (
        dict((r["relative_path"], r) for r in build.manifest_records(manifest, manifest_uri)) if manifest else {}
    )
    lookup = None
    if mode == "s3_inventory":
        records, sizes, lookup = s3_inventory_records(s3, roots, found_receipt, described, rendered)
        source_uri = build.INVENTORY_MANIFEST_URI
    else:
        bucket, prefix = build.split_s3_uri(root)
        sizes = dict((key[len(prefix) :], size) for key, size in storage.list_objects(s3, bucket, prefix).items())
        if mode == "dayoa_manifest":
            records, source_uri = list(described.values()), manifest_uri
        else:
            source_uri, entries = _export_manifest(s3, found_receipt)
            records = build.export_manifest_records(entries, described)
    selected = build.select(records, rendered, root, sizes)

    provenance = (manifest or {}).get("workflow") or workflow or {}
    generated_at = (manifest or {}).get("generated_at") or found_receipt.get("timestamp")
    if not generated_at:
        raise build.RegistrationError("no generated_at: neither a DayOA evidence manifest nor the receipt's timestamp")
    checksum = (manifest or {}).get("manifest_checksum")

    def data_dir_sha256(data_dir):
        return checksum if contract.SHA256_RE.match(checksum or "") else build.listing_sha256(selected, data_dir)

    extra = ("metadata",) if send_metadata else ()
    analysis = contract.finalise(
        "analysis",
        build.analysis_request(selected, rendered, roots, provenance, generated_at, genome, send_metadata),
        extra,
    )
    multiqc = [
        contract.finalise("multiqc", request, extra)
        for request in build.multiqc_requests(
            selected, rendered, roots, provenance, generated_at, genome, data_dir_sha256, send_metadata
        )
    ]
    return {
        "export_receipt_uri": receipt_uri,
        "export_receipt": found_receipt,
        "export_receipt_text": receipt_text,
        "roots": roots,
        "mode": mode,
        "source_manifest_uri": source_uri,
        "selected": selected,
        "sha256_lookup": lookup,
        "analysis": analysis,
        "multiqc": multiqc,
        "receipt_uri": registration_receipt_uri(roots["destination_s3_uri"]),
    }


def previous_registration(s3, receipt_uri):
    """The registration receipt an earlier run wrote next to the export, or None."""
    text = _read(s3, receipt_uri, "the registration receipt", required=False)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
