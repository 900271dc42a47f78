# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From an export and its evidence to Dewey requests: pure decisions, no I/O.

* :func:`export_roots` -- the verified export receipt's ``dayoa_s3_root`` and identity;
* :func:`manifest_records` / :func:`inventory_records` / :func:`export_manifest_records` -- file records
  (``relative_path``, ``size_bytes``, ``sha256``, ``classification``, ...) from each ``manifest_source``;
* :func:`select` -- the policy's classifications and globs, ``require_existing``, every SHA-256 present;
* :func:`analysis_request` / :func:`multiqc_requests` -- the requests (not yet finalised);
* :func:`registration_receipt` -- ``dewey_registration_receipt.json``.

Every failure is a :class:`RegistrationError` raised before anything is posted.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import posixpath

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import contract

MANIFEST_SOURCES = ("dayoa_manifest", "s3_inventory", "export_manifest")
RECEIPT_SCHEMA = "dyec.dewey_registration_receipt.v1"
RECEIPT_FILENAME = "dewey_registration_receipt.json"
INVENTORY_MANIFEST_URI = "dyec:s3_inventory"
DAYOA_DIRNAME = "daylily-omics-analysis/"

# Fixed MIME table (the platform's mimetypes database differs between machines, and the type is hashed).
_MIME = (
    (".html", "text/html"),
    (".json", "application/json"),
    (".tsv", "text/tab-separated-values"),
    (".csv", "text/csv"),
    (".txt", "text/plain"),
    (".log", "text/plain"),
    (".yaml", "application/yaml"),
    (".yml", "application/yaml"),
    (".vcf.gz", "application/gzip"),
    (".vcf", "text/x-vcf"),
    (".gz", "application/gzip"),
    (".cram", "application/octet-stream"),
    (".bam", "application/octet-stream"),
    (".png", "image/png"),
    (".svg", "image/svg+xml"),
    (".pdf", "application/pdf"),
)
# The classifier of files a DayOA manifest does not describe (s3_inventory, export_manifest), by name.
_CLASSIFY = (
    ("*multiqc*.html", "multiqc_html"),
    ("*_data/multiqc_data.json", "multiqc_data_json"),
    ("*_data/multiqc_general_stats.txt", "multiqc_general_stats"),
    ("*_data/multiqc_sources.txt", "multiqc_sources"),
    ("*_data/multiqc.log", "multiqc_log"),
    ("*_data/*", "multiqc_data_artifact"),
    ("*_mqc.tsv", "custom_mqc_tsv"),
    ("config/samples.tsv", "samples_manifest"),
    ("config/units.tsv", "units_manifest"),
    ("*multiqc_inputs/*/manifest.tsv", "staging_manifest"),
    ("*.cram", "alignment_cram"),
    ("*.crai", "alignment_cram_index"),
    ("*.bam", "alignment_bam"),
    ("*.bai", "alignment_bam_index"),
    ("*.vcf", "variant_vcf"),
    ("*.vcf.gz", "variant_vcf"),
    ("*.tbi", "variant_vcf_index"),
    ("*.csi", "csi_index"),
)
_MULTIQC_KEY_ROLES = ("multiqc_data_json", "multiqc_general_stats", "multiqc_sources", "multiqc_log")


class RegistrationError(ValueError):
    """Registration cannot go ahead; the message names what is wrong and what to do."""


def export_roots(receipt):
    """``{"dayoa_s3_root", "destination_s3_uri", "analysis_dir", "executing_entity", "analysis_id"}`` of a
    successful, verified export receipt."""
    if receipt.get("status") != "success" or receipt.get("verified") is not True:
        raise RegistrationError(
            "the export receipt is not a verified success (status %r, verified %r): register only an export whose "
            "receipt verified; re-run the export first" % (receipt.get("status"), receipt.get("verified"))
        )
    root = receipt.get("dayoa_s3_root") or ""
    destination = receipt.get("destination_s3_uri") or ""
    if not root.startswith("s3://") or not root.endswith("/") or not destination.startswith("s3://"):
        raise RegistrationError(
            "the export receipt has no s3:// dayoa_s3_root/destination_s3_uri (%r, %r)" % (root, destination)
        )
    entity, _slash, analysis_id = (receipt.get("analysis_dir") or "").strip("/").partition("/")
    if not entity or not analysis_id or "/" in analysis_id:
        raise RegistrationError(
            "the export receipt's analysis_dir %r is not <executing_entity>/<analysis_id>" % receipt.get("analysis_dir")
        )
    return {
        "dayoa_s3_root": root,
        "destination_s3_uri": destination,
        "analysis_dir": "%s/%s" % (entity, analysis_id),
        "executing_entity": entity,
        "analysis_id": analysis_id,
        "cluster_name": receipt.get("cluster_name"),
        "region": receipt.get("region"),
        "source_path": receipt.get("source_path"),
    }


def split_s3_uri(uri):
    bucket, _slash, key = uri[len("s3://") :].partition("/")
    return bucket, key


# --------------------------------------------------------------------------------------------------------------
# records, per manifest source


def parse_evidence_manifest(text, uri):
    try:
        manifest = json.loads(text)
    except ValueError as err:
        raise RegistrationError("the DayOA evidence manifest %s is not JSON: %s" % (uri, err)) from err
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list) or not manifest["files"]:
        raise RegistrationError("the DayOA evidence manifest %s lists no files" % uri)
    if not ((manifest.get("analysis") or {}).get("genome_build")):
        raise RegistrationError("the DayOA evidence manifest %s has no analysis.genome_build" % uri)
    return manifest


def _relative(path, where):
    if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
        raise RegistrationError("%s: bad relative path %r" % (where, path))
    return path


def manifest_records(manifest, uri):
    """File records of a DayOA evidence manifest (SHA-256 and size as the manifest says)."""
    records = []
    for record in manifest["files"]:
        path = _relative(record.get("relative_path"), uri)
        records.append(
            {
                "relative_path": path,
                "size_bytes": record.get("size_bytes"),
                "sha256": (record.get("sha256") or "").strip().lower() or None,
                "sha256_source": "dayoa_manifest",
                "classification": record.get("classification") or "unknown",
                "parser_relevant": bool(record.get("parser_relevant")),
                "required": record.get("required", True) is not False,
                "metadata": record.get("metadata") or {},
                "tags": record.get("tags") or [],
            }
        )
    return records


def classify(path):
    for pattern, classification in _CLASSIFY:
        if fnmatch.fnmatchcase(path, pattern):
            return classification
    return "registered_file"


def _described(path, size, sha256, source, described):
    """A record for a file the DayOA manifest may describe: classification and metadata from it when it does."""
    known = described.get(path) or {}
    return {
        "relative_path": path,
        "size_bytes": size,
        "sha256": sha256,
        "sha256_source": source,
        "classification": known.get("classification") or classify(path),
        "parser_relevant": bool(known.get("parser_relevant")),
        "required": known.get("required", True) is not False,
        "metadata": known.get("metadata") or {},
        "tags": known.get("tags") or [],
    }


def inventory_records(objects, described):
    """Records of the S3 objects under ``dayoa_s3_root``: ``{relative_path: {"size", "sha256", "sha256_source"}}``
    (from S3 HEADs); ``described`` holds the DayOA manifest's records by path when there is one."""
    return [
        _described(path, found["size"], found.get("sha256"), found.get("sha256_source") or "s3", described)
        for path, found in sorted(objects.items())
        if not path.endswith("/")
    ]


def export_manifest_records(entries, described):
    """Records of our export manifest (``{path: {"path", "size", "sha256"?}}``, paths relative to the export
    destination): the files under ``daylily-omics-analysis/``, SHA-256s as computed on FSx at export time."""
    records = []
    for path, entry in sorted(entries.items()):
        if path.startswith(DAYOA_DIRNAME):
            relative = path[len(DAYOA_DIRNAME) :]
            records.append(_described(relative, entry.get("size"), entry.get("sha256"), "export_manifest", described))
    return records


def vouched_sha256(entry, listed, verified_at):
    """The SHA-256 the export's verified manifest gives an object S3 lists now, or None: then S3 is asked (a HEAD).

    ``entry`` is the manifest's ``{"path", "size", "sha256"?}`` (None: the manifest does not list the object);
    ``listed`` the object in this run's listing, ``{"size", "last_modified", "checksum_algorithms"}``;
    ``verified_at`` the manifest object's own LastModified. The export writes its manifest right after the
    verification's listing (key by key, size by size), and S3 stamps both on its own clock, so:

    * an object rewritten since, by anyone and with any content, is newer than the manifest: asked (a write in the
      manifest's own second too, as S3's times count whole seconds);
    * a size other than the manifest's: asked (and refused later when S3 confirms it);
    * an object S3 keeps a SHA-256 checksum of (``ChecksumAlgorithm``): S3's own digest counts, and a HEAD reads it;
    * no SHA-256 in the entry (an export without checksums): asked.

    What is left is an object as the verification saw it, of which S3 holds no digest that could differ: S3 keeps
    none, and user metadata (a ``sha256`` a HEAD would read) is written only with the object, so an object unchanged
    since the export carries the exporter's (FSx writes none). The manifest records no ETag, so none is compared (an
    ETag is no SHA-256 anyway). The digests are as good as the export's: computed on FSx just before its task, and
    verified in S3 by key and size.
    """
    if entry is None or listed is None or verified_at is None:
        return None
    sha256 = str(entry.get("sha256") or "").strip().lower()
    if not contract.SHA256_RE.match(sha256) or entry.get("size") != listed["size"]:
        return None
    if "SHA256" in listed["checksum_algorithms"] or not listed["last_modified"] < verified_at:
        return None
    return sha256


# --------------------------------------------------------------------------------------------------------------
# selection


def select(records, policy, root, s3_sizes=None, require_sha256=True):
    """The records the policy selects, sorted by path, each with a SHA-256 (unless ``require_sha256`` is false, to
    find the objects whose SHA-256 to look up) and a size S3 agrees with.

    ``s3_sizes``: ``{relative_path: size}`` of the objects under the root (None: not checked)."""
    classifications = set(policy.get("include_classifications") or [])
    globs = list(policy.get("include_paths") or [])
    chosen = [
        r
        for r in records
        if r["classification"] in classifications or any(fnmatch.fnmatchcase(r["relative_path"], g) for g in globs)
    ]
    chosen.sort(key=lambda r: r["relative_path"])
    if not chosen:
        raise RegistrationError(
            "the registration policy selects no file under %s: check include_classifications "
            "and include_paths against the manifest" % root
        )
    if policy.get("require_existing", True):
        present = set(r["relative_path"] for r in chosen)
        missing = [g for g in globs if not any(c in g for c in "*?[") and g not in present]
        if missing:
            raise RegistrationError(
                "required file(s) missing under %s: %s (require_existing)" % (root, ", ".join(missing))
            )
    unhashed = [root + r["relative_path"] for r in chosen if not contract.SHA256_RE.match(r["sha256"] or "")]
    if unhashed and require_sha256:
        raise RegistrationError(
            "no SHA-256 for %d selected object(s): %s. Dewey registers only files with a "
            "real SHA-256: give each object a ChecksumSHA256 or 'sha256' user metadata, or register from a DayOA "
            "evidence manifest or an export manifest written with export_checksum"
            % (len(unhashed), ", ".join(unhashed[:10]))
        )
    if s3_sizes is not None:
        wrong = []
        for record in chosen:
            actual = s3_sizes.get(record["relative_path"])
            if actual is None:
                wrong.append("%s%s (missing in S3)" % (root, record["relative_path"]))
            elif actual != record["size_bytes"]:
                wrong.append(
                    "%s%s (%s bytes in the manifest, %s in S3)"
                    % (root, record["relative_path"], record["size_bytes"], actual)
                )
        if wrong:
            raise RegistrationError(
                "S3 does not hold what the manifest lists: %s. Re-run the export" % "; ".join(wrong[:10])
            )
    return chosen


# --------------------------------------------------------------------------------------------------------------
# requests


def mime_type(path):
    lower = path.lower()
    for suffix, kind in _MIME:
        if lower.endswith(suffix):
            return kind
    return "application/octet-stream"


def file_artifact(record, root, produced_by, send_metadata=False):
    artifact = {
        "logical_name": posixpath.basename(record["relative_path"]),
        "relative_path": record["relative_path"],
        "storage_uri": root + record["relative_path"],
        "sha256": record["sha256"],
        "size_bytes": record["size_bytes"],
        "mime_type": mime_type(record["relative_path"]),
        "artifact_role": record["classification"],
        "parser_hint": record["classification"],
        "required": record["required"],
        "produced_by": produced_by,
        "parent_artifact_euids": [],
    }
    if send_metadata:
        artifact["metadata"] = dict(record["metadata"], tags=sorted(set(record["tags"])))
    return artifact


def _config_sha256(value):
    value = (value or "").strip().lower()
    return value if contract.SHA256_RE.match(value) else hashlib.sha256(value.encode("utf-8")).hexdigest()


def workflow_fields(workflow):
    """The analysis request's workflow fields from a manifest's (or the operator's) ``workflow`` mapping."""
    missing = [
        k
        for k in (
            "pipeline_name",
            "pipeline_version",
            "git_sha",
            "snakemake_version",
            "workflow_config_hash",
            "workflow_profile",
        )
        if not str(workflow.get(k) or "").strip()
    ]
    if missing:
        raise RegistrationError(
            "workflow provenance missing: %s. Register from the DayOA evidence manifest, or "
            "give them in the workflow option" % ", ".join(missing)
        )
    return {
        "pipeline_name": workflow["pipeline_name"],
        "pipeline_version": workflow["pipeline_version"],
        "workflow_engine": "snakemake",
        "workflow_engine_version": workflow["snakemake_version"],
        "snakemake_version": workflow["snakemake_version"],
        "workflow_git_sha": workflow["git_sha"],
        "workflow_config_sha256": _config_sha256(workflow["workflow_config_hash"]),
        "workflow_profile": workflow["workflow_profile"],
    }


def analysis_metadata(roots, genome_build):
    return {
        "executing_entity": roots["executing_entity"],
        "analysis_id": roots["analysis_id"],
        "analysis_dir": roots["analysis_dir"],
        "source_path": roots["source_path"],
        "destination_s3_uri": roots["destination_s3_uri"],
        "dayoa_s3_root": roots["dayoa_s3_root"],
        "cluster_name": roots["cluster_name"],
        "region": roots["region"],
        "genome_build": genome_build,
    }


def analysis_request(selected, policy, roots, workflow, generated_at, genome_build, send_metadata=False):
    identity = policy.get("identity") or {}
    fields = workflow_fields(workflow)
    request = dict(
        fields,
        analysis_euid=identity.get("analysis_euid"),
        run_euid=identity.get("run_euid"),
        workset_euid=identity.get("workset_euid"),
        project_euid=identity.get("project_euid"),
        assay_id=identity.get("assay_id"),
        generated_at=generated_at,
        status="completed",
        parser_family_hint=policy.get("parser_family_hint"),
        artifacts=[file_artifact(r, roots["dayoa_s3_root"], fields["pipeline_name"], send_metadata) for r in selected],
    )
    for name in ("analysis_euid", "run_euid"):
        if not str(request[name] or "").strip() or "{" in str(request[name]):
            raise RegistrationError(
                "the registration policy's identity.%s is %r: it must resolve to an id" % (name, request[name])
            )
    if send_metadata:
        request["metadata"] = analysis_metadata(roots, genome_build)
    return request


def _data_dir_of(html_path):
    stem = html_path[: -len(".html")] if html_path.endswith(".html") else html_path
    return stem + "_data/"


def multiqc_requests(
    selected, policy, roots, workflow, generated_at, genome_build, data_dir_sha256, send_metadata=False
):
    """One MultiQC request per selected ``multiqc_html``; ``data_dir_sha256(data_dir)`` gives the directory
    artifact's digest (the DayOA manifest's ``manifest_checksum``, or the digest of the listing)."""
    reports = policy.get("multiqc_reports") or []
    by_path = dict((r["relative_path"], r) for r in selected)
    produced_by = workflow_fields(workflow)["pipeline_name"]
    root = roots["dayoa_s3_root"]
    requests = []
    for html in [r for r in selected if r["classification"] == "multiqc_html"]:
        matches = [rep for rep in reports if rep.get("html_path") == html["relative_path"]]
        if len(matches) != 1:
            raise RegistrationError(
                "the MultiQC report %s matches %d of the policy's multiqc_reports (one expected)"
                % (html["relative_path"], len(matches))
            )
        report = matches[0]
        data_dir = _data_dir_of(html["relative_path"])
        if data_dir.rstrip("/") != (report.get("data_dir_path") or "").rstrip("/"):
            raise RegistrationError(
                "the MultiQC report %s has its data in %s, but the policy says %s"
                % (html["relative_path"], data_dir, report.get("data_dir_path"))
            )
        if data_dir + "multiqc_data.json" not in by_path:
            raise RegistrationError(
                "the MultiQC report %s: %smultiqc_data.json is not selected" % (html["relative_path"], data_dir)
            )
        kind = report["report_kind"]
        keys = [
            r
            for r in selected
            if r["relative_path"].startswith(data_dir) and r["classification"].startswith("multiqc_")
        ]
        if kind == "final":
            keys += [r for r in selected if r["classification"] == "staging_manifest"]
        directory = {
            "logical_name": posixpath.basename(data_dir.rstrip("/")),
            "relative_path": data_dir.rstrip("/"),
            "storage_uri": root + data_dir,
            "sha256": data_dir_sha256(data_dir),
            "size_bytes": 0,
            "mime_type": "inode/directory",
            "artifact_role": "directory",
            "parser_hint": "directory",
            "required": True,
            "produced_by": produced_by,
            "parent_artifact_euids": [],
        }
        request = {
            "analysis_euid": (policy.get("identity") or {}).get("analysis_euid"),
            "report_kind": kind,
            "multiqc_version": policy.get("multiqc_version"),
            "html_artifact": file_artifact(html, root, produced_by, send_metadata),
            "data_dir_artifact": directory,
            "key_files": [file_artifact(r, root, produced_by, send_metadata) for r in keys],
            "parser_relevant_files": [
                file_artifact(r, root, produced_by, send_metadata) for r in keys if r["parser_relevant"]
            ],
            "generated_at": generated_at,
            "parser_family_hint": policy.get("parser_family_hint"),
        }
        if send_metadata:
            request["metadata"] = dict(
                analysis_metadata(roots, genome_build),
                report_kind=kind,
                html_relative_path=html["relative_path"],
                data_dir_relative_path=data_dir,
            )
        requests.append(request)
    return requests


def listing_sha256(records, data_dir):
    """A directory's digest when no DayOA manifest gives one: the canonical list of (path, size, sha256) under it."""
    return contract.canonical_sha256(
        [[r["relative_path"], r["size_bytes"], r["sha256"]] for r in records if r["relative_path"].startswith(data_dir)]
    )


# --------------------------------------------------------------------------------------------------------------
# the receipt


def registration_receipt(
    registered_at,
    url,
    analysis_body,
    analysis_response,
    multiqc_bodies,
    multiqc_responses,
    source_manifest_uri,
    mode,
    selected_count,
):
    return {
        "schema_version": RECEIPT_SCHEMA,
        "registered_at": registered_at,
        "analysis_endpoint": url + "/api/v1/artifact-sets/analysis/register",
        "multiqc_endpoint": url + "/api/v1/artifact-sets/multiqc/register",
        "analysis_request_manifest_sha256": analysis_body["manifest_sha256"],
        "multiqc_request_manifest_sha256s": [b["manifest_sha256"] for b in multiqc_bodies],
        "analysis_response": analysis_response,
        "multiqc_responses": multiqc_responses,
        "source_manifest_s3_uri": source_manifest_uri,
        "source_manifest_mode": mode,
        "selected_artifact_count": selected_count,
        "multiqc_artifact_set_count": len(multiqc_responses),
    }


def same_registration(receipt, analysis_body, multiqc_bodies):
    """True when an earlier receipt recorded exactly these requests (a re-run only replays them)."""
    return (
        bool(receipt)
        and receipt.get("analysis_request_manifest_sha256") == analysis_body["manifest_sha256"]
        and receipt.get("multiqc_request_manifest_sha256s") == [b["manifest_sha256"] for b in multiqc_bodies]
    )


def export_receipt_fields(plan, registration_only=False):
    """The ``dewey_*`` fields ``fsx_export.yaml`` records for the registration ``plan`` (DayEC's names), known
    before anything is posted; ``registration_only`` marks a registration made apart from the export."""
    fields = {
        "dewey_registration_status": "success",
        "dewey_registration_receipt": plan["receipt_uri"],
        "dewey_source_manifest_s3_uri": plan["source_manifest_uri"],
        "dewey_source_manifest_mode": plan["mode"],
        "dewey_selected_artifact_count": len(plan["selected"]),
        "dewey_multiqc_artifact_set_count": len(plan["multiqc"]),
        "dewey_analysis_directory_link_status": "not_requested",
    }
    if registration_only:
        fields["registration_only"] = True
    return fields
