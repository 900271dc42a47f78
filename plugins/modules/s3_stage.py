#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: s3_stage
short_description: Stage the samples of an analysis manifest into S3, all or nothing
version_added: 0.1.0
description:
  - Checks an C(analysis_samples.tsv) manifest with the rules of M(daylily.ephemeral_cluster.samples_manifest), then
    reads every source object in S3 (C(HeadObject), and C(ListObjectsV2) for C(ONT_FASTQ_PREFIX) and S3 truth data
    prefixes) in parallel, on at most O(concurrency) threads sharing one client.
  - B(All or nothing.) When the manifest or any source has a problem (a missing object, an unreadable one, lanes too
    small to merge), the module fails listing every problem with its manifest line and column, and writes nothing.
  - Otherwise it writes a probe object into the stage, then copies server-side (no download) into
    O(stage_s3_uri)/O(stage_name)/C(<RUNID>_<SAMPLEID>-<PLATFORM>-<LIBPREP>-<TYPE>-<EXPID>_<SEQBC>_0/). Multi-lane
    merges and comma-separated FASTQ lists are concatenated by a multipart C(UploadPartCopy); objects over 5 GiB are
    copied in parts of at most O(part_size_mb). Finally it uploads C(<timestamp>_samples.tsv) and
    C(<timestamp>_units.tsv) into the stage (O(upload_tables)).
  - Every call is retried on throttling (C(SlowDown) included) and transient errors, with the jittered backoff set by
    O(retries) and O(retry_delay).
  - B(Idempotent and resumable.) Each staged object records the size and ETag of the sources it was made from; a run
    with the same O(stage_name) skips objects that are complete, aborts multipart copies an interrupted run left
    unfinished, and copies the rest. Objects appear whole or not at all.
  - A staged object is never copied over. When the stage holds an object made from other sources than the manifest
    gives now (a source re-uploaded under the same key, a merged sample that gained or lost a lane, so another size
    or ETag), or one without the source digest this module writes, the module fails listing every such object (its
    sources, its key in the stage, what differs; also in RV(differing_objects)) before anything is written, in check
    mode too. Stage the sources under a new O(stage_name), or restore the original sources. A missing object is copied.
  - The stage's tables are never overwritten. When one already exists with other content than the manifest gives now
    (the sheet changed since the stage was made), or without the digest this module writes, the module fails naming
    it before anything is written (in check mode too). Stage the sheet under a new O(stage_name), or restore the sheet
    the stage was made from. A missing table is written; an identical one is left alone.
  - Only writes under O(stage_s3_uri)/O(stage_name)/ and never deletes an object.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  stage_s3_uri:
    description: The S3 prefix that holds the stages, for example V(s3://my-bucket/staged_external_data/).
    type: str
    required: true
  concurrency:
    description: How many S3 requests run at once (source checks and copies).
    type: int
    default: 16
  part_size_mb:
    description:
      - The largest part, in MiB, when an object over 5 GiB is copied in parts (10 to 5120). A source is split into
        equal pieces no larger than this.
    type: int
    default: 1024
  upload_tables:
    description: Upload C(<timestamp>_samples.tsv) and C(<timestamp>_units.tsv) into the stage after the copies.
    type: bool
    default: true
notes:
  - Needs C(s3:GetObject) and C(s3:ListBucket) on the sources, and C(s3:PutObject), C(s3:GetObject),
    C(s3:ListBucketMultipartUploads) and C(s3:AbortMultipartUpload) on the stage prefix.
  - Check mode reads the sources and the stage and reports what would be copied; it writes nothing.
  - With C(--diff), shows the stage's complete objects before and after.
extends_documentation_fragment:
  - daylily.ephemeral_cluster.sample_manifest
  - daylily.ephemeral_cluster.aws
  - daylily.ephemeral_cluster.option_names
"""

EXAMPLES = r"""
- name: Stage the samples of a manifest
  daylily.ephemeral_cluster.s3_stage:
    src: analysis_samples.tsv
    stage_s3_uri: s3://my-omics-bucket/staged_external_data/
    command_id: ilmn_germline_wgs_align_qc
  register: stage

- name: Resume the same stage after an interruption
  daylily.ephemeral_cluster.s3_stage:
    src: analysis_samples.tsv
    stage_s3_uri: s3://my-omics-bucket/staged_external_data/
    stage_name: "{{ stage.stage_name }}"
"""

RETURN = r"""
stage_name:
  description: The stage name.
  returned: always
  type: str
  sample: remote_stage_20260101T120000Z_0a1b2c3d
stage_uri:
  description: The stage in S3.
  returned: always
  type: str
  sample: s3://my-omics-bucket/staged_external_data/remote_stage_20260101T120000Z_0a1b2c3d/
stage_file_system_path:
  description: The FSx API path where the staging association attaches RV(stage_uri); null when O(stage_target) is
    outside O(fsx_mount_point).
  returned: always
  type: str
  sample: /staging/staged_external_sequencing_data/remote_stage_20260101T120000Z_0a1b2c3d/
stage_dir:
  description: Where the stage appears on the headnode once the staging association is attached.
  returned: always
  type: str
  sample: /fsx/staging/staged_external_sequencing_data/remote_stage_20260101T120000Z_0a1b2c3d
data_mode:
  description: The manifest's data mode.
  returned: always
  type: str
  sample: ilmn_solo
problems:
  description:
    - Every problem of the manifest and its sources; nothing is written when there is any.
    - Each names its manifest C(line), C(column) and C(message) as
      RV(daylily.ephemeral_cluster.samples_manifest#module:problems) describes them.
  returned: always
  type: list
  elements: dict
  sample: [{"line": 2, "column": "LANE", "message": "'x' is not a lane number (0 for a sample without lanes)"}]
sources_checked:
  description: Source objects and prefixes read by the precheck.
  returned: when the manifest is valid
  type: int
objects_total:
  description: Objects the stage holds when complete (tables and probe not counted).
  returned: when the precheck passes
  type: int
objects_skipped:
  description: Objects already complete in the stage.
  returned: when the precheck passes
  type: int
objects_copied:
  description: Objects copied by this run (0 in check mode).
  returned: when the precheck passes
  type: int
objects_pending:
  description: Objects that were missing or incomplete before this run.
  returned: when the precheck passes
  type: int
bytes_total:
  description: Bytes of all staged objects.
  returned: when the precheck passes
  type: int
bytes_copied:
  description: Bytes copied by this run.
  returned: when the precheck passes
  type: int
unfinished_copies_aborted:
  description: Multipart copies left unfinished by an interrupted run, aborted before copying again.
  returned: when objects were copied
  type: int
tables:
  description: The S3 URIs of the stage's C(<timestamp>_samples.tsv) (C(samples)) and C(<timestamp>_units.tsv) (C(units)).
  returned: when O(upload_tables) is true and the precheck passes
  type: dict
  sample:
    samples: s3://my-omics-bucket/staged_external_data/remote_stage_20260101T120000Z_0a1b2c3d/20260101T120000Z_samples.tsv
    units: s3://my-omics-bucket/staged_external_data/remote_stage_20260101T120000Z_0a1b2c3d/20260101T120000Z_units.tsv
failures:
  description: The copies that failed (the stage can be resumed with the same O(stage_name)).
  returned: when a copy failed
  type: list
  elements: dict
differing_objects:
  description:
    - The objects the stage holds that the sources would now make differently, for which nothing was written.
    - Each has C(key) and C(uri) in the stage, C(sources) (their S3 URIs), the manifest C(line) and C(column),
      C(staged_size) and C(staged_source_digest) (null when the object lacks this module's metadata) of the object,
      and C(size) and C(source_digest) of what the sources make now.
  returned: when the stage holds an object made from other sources
  type: list
  elements: dict
  sample:
    - key: staged_external_data/remote_stage_20260101T120000Z_0a1b2c3d/R_S-NOVASEQ-PF-blood-E_B_0/a.fq.gz
      uri: s3://my-omics-bucket/staged_external_data/remote_stage_20260101T120000Z_0a1b2c3d/R_S-NOVASEQ-PF-blood-E_B_0/a.fq.gz
      sources: [s3://my-runs/a.fq.gz]
      line: 2
      column: ILMN_R1_FQ
      staged_size: 100
      staged_source_digest: 5d41402abc4b2a76b9719d911017c592a1b2c3d4e5f60718293a4b5c6d7e8f90
      size: 120
      source_digest: 7c211433f02071597741e6ff5a8ea34789abad5d0f1b2c3d4e5f60718293a4b5
"""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_objects
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import staging
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import DaylilyAWSModule
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry

MAX_CONCURRENCY = 128


class StageRefused(Exception):
    """The precheck found problems: nothing was written."""

    def __init__(self, problems, sources_checked):
        super().__init__("refused")
        self.problems = problems
        self.sources_checked = sources_checked


class CopiesFailed(Exception):
    def __init__(self, result, failures):
        super().__init__("copies failed")
        self.result = result
        self.failures = failures


def ensure_present(client, plan, stage, params, check_mode, names=lambda option: option):
    """Check every source, then copy what the stage lacks; returns the result fields. Raises StageRefused,
    StageObjectsDiffer or StageTablesDiffer (nothing written), CopiesFailed (some objects copied; the rest resumable) or
    AnsibleStagingError. ``names`` says how a hint names an option (``DaylilyAWSModule.option_name``)."""
    concurrency = params["concurrency"]
    checked = staging.precheck(client, plan, stage, concurrency)
    if checked.problems:
        raise StageRefused(checked.problems, checked.sources_checked)
    pending, complete = staging.pending_jobs(client, stage, checked.jobs, concurrency, params["src"], names)
    tables = staging.table_objects(stage, plan) if params["upload_tables"] else {}
    missing_tables = staging.tables_to_write(client, stage, tables, params["src"], names)
    result = dict(
        changed=bool(pending or missing_tables),
        sources_checked=checked.sources_checked,
        objects_total=len(checked.jobs),
        objects_skipped=len(complete),
        objects_pending=len(pending),
        objects_copied=0,
        bytes_total=sum(job.size for job in checked.jobs),
        bytes_copied=0,
        diff=dict(
            before=dict(stage_uri=stage.uri, complete_objects=sorted(job.key for job in complete)),
            after=dict(stage_uri=stage.uri, complete_objects=sorted(job.key for job in checked.jobs)),
        ),
    )
    if tables:
        result["tables"] = dict(zip(("samples", "units"), ("s3://%s/%s" % (stage.bucket, key) for key in tables)))
    if check_mode or not result["changed"]:
        return result
    staging.write_probe(client, stage)
    result["unfinished_copies_aborted"] = staging.abort_unfinished_copies(client, stage) if pending else 0
    part_size = params["part_size_mb"] * staging.MIB
    copied, failures = staging.copy_jobs(client, stage, pending, concurrency, part_size)
    result.update(objects_copied=len(copied), bytes_copied=sum(job.size for job in copied))
    if failures:
        raise CopiesFailed(result, failures)
    staging.write_tables(client, stage, missing_tables)
    return result


def main():
    argument_spec = dict(
        samples.MANIFEST_ARGUMENT_SPEC,
        stage_s3_uri=dict(type="str", required=True),
        concurrency=dict(type="int", default=16),
        part_size_mb=dict(type="int", default=1024),
        upload_tables=dict(type="bool", default=True),
    )
    module = DaylilyAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not 1 <= params["concurrency"] <= MAX_CONCURRENCY:
        module.fail_json(
            msg="%s must be between 1 and %d, not %d."
            % (module.option_name("concurrency"), MAX_CONCURRENCY, params["concurrency"])
        )
    if not staging.MIN_PART_SIZE <= params["part_size_mb"] * staging.MIB <= staging.MAX_PART_BYTES:
        module.fail_json(
            msg="%s must be between 10 and 5120 (S3's largest part), not %d."
            % (module.option_name("part_size_mb"), params["part_size_mb"])
        )
    stage_name = params["stage_name"] or samples.new_stage_name()
    try:
        stage = staging.stage_location(params["stage_s3_uri"], stage_name, module.option_name("stage_s3_uri"))
    except paths.PathRuleError as err:
        module.fail_json(msg=str(err))
    try:
        plan = samples.plan_from_params(params, stage_name)
    except (OSError, samples.CatalogError) as err:
        module.fail_json(msg="Cannot check the manifest %s: %s" % (params["src"], err))
    result = dict(samples.plan_result(params, stage_name, plan), stage_uri=stage.uri)
    if plan.problems:
        module.fail_json(msg=samples.problems_message(plan.problems, params["src"]), **result)

    # a pooled connection per thread: beyond botocore's default pool of 10, each extra thread would open and drop one
    config = s3_objects.client_config(params["concurrency"])
    client = module.client("s3", retry_decorator=module_retry(module), config=config)
    try:
        result.update(ensure_present(client, plan, stage, params, module.check_mode, module.option_name))
    except StageRefused as refused:
        result.update(
            problems=[problem.as_dict() for problem in refused.problems], sources_checked=refused.sources_checked
        )
        module.fail_json(msg=samples.problems_message(refused.problems, params["src"]), **result)
    except CopiesFailed as failed:
        failed.result.pop("diff")
        result.update(failed.result, changed=bool(failed.result["objects_copied"]))
        result["failures"] = [
            dict(key=job.key, line=job.line, column=job.column, message=err.message) for job, err in failed.failures
        ]
        module.fail_json(
            msg="%d of %d copies into %s failed; the first: %s. Nothing partial was left; run again with "
            "%s %s to resume."
            % (
                len(failed.failures),
                result["objects_pending"],
                stage.uri,
                failed.failures[0][1].message,
                module.option_name("stage_name"),
                stage_name,
            ),
            **result,
        )
    except staging.StageObjectsDiffer as differ:
        module.fail_json(msg=str(differ), differing_objects=differ.objects, **result)
    except staging.StageTablesDiffer as differ:
        module.fail_json(msg=str(differ), **result)
    except staging.AnsibleStagingError as err:
        module.fail_json_aws_error(err)
    diff = result.pop("diff")
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
