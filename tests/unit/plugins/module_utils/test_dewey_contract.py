"""The client's Dewey contract (module_utils.dewey) against Dewey's own rules, as the sandbox Dewey's pydantic models
(copies of Dewey 3.0.27's request models) apply them: the same normalised form, the same hashes."""

import hashlib

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import dewey
from sandbox.dewey import AnalysisRequest
from sandbox.dewey import MultiQCRequest
from sandbox.dewey import canonical_json as dewey_canonical_json
from testlib.dewey import analysis_fields

SHA = "AB" * 32


def artifact(**overrides):
    fields = {
        "logical_name": " x.html ",
        "relative_path": "r/x.html",
        "storage_uri": "s3://b/r/x.html",
        "sha256": SHA,
        "size_bytes": 3,
        "mime_type": "text/html",
        "artifact_role": "multiqc_html",
        "produced_by": "daylily-omics-analysis",
    }
    fields.update(overrides)
    return fields


def messy_analysis():
    """As a careless client would write it: padding, upper-case digests, a local time, defaults left out."""
    return analysis_fields(
        [artifact(parser_hint=" ")],
        analysis_euid=" an-1 ",
        workset_euid="  ",
        workflow_config_sha256=SHA,
        generated_at="2026-06-01T02:00:00.5+02:00",
    )


def test_canonical_json_is_sorted_compact_and_ascii():
    assert dewey.canonical_json({"b": 1, "a": "é", "c": [None, True]}) == '{"a":"\\u00e9","b":1,"c":[null,true]}'
    assert dewey.canonical_json({"b": 1, "a": "é"}) == dewey_canonical_json({"b": 1, "a": "é"})


def test_normalised_request_is_dewey_validated_form():
    ours = dewey.normalise("analysis", messy_analysis())
    theirs = AnalysisRequest.model_validate(dict(messy_analysis(), manifest_sha256="0" * 64)).model_dump(mode="json")
    assert ours == theirs
    assert ours["generated_at"] == "2026-06-01T00:00:00.500000Z"
    assert ours["workset_euid"] is None and ours["artifacts"][0]["parser_hint"] is None
    assert ours["artifacts"][0]["sha256"] == SHA.lower() and ours["artifacts"][0]["logical_name"] == "x.html"


def test_manifest_sha256_is_hash_of_normalised_request_without_itself():
    body = dewey.finalise("analysis", messy_analysis())
    validated = AnalysisRequest.model_validate(body)
    without = validated.model_dump(mode="json", exclude={"manifest_sha256"})
    assert body["manifest_sha256"] == hashlib.sha256(dewey_canonical_json(without).encode()).hexdigest()
    # the hash of the raw input is not it (the reference's finding)
    assert body["manifest_sha256"] != dewey.canonical_sha256(messy_analysis())


def test_idempotency_key_is_hash_of_whole_validated_request():
    body = dewey.finalise("analysis", messy_analysis())
    assert (
        dewey.idempotency_key(body)
        == hashlib.sha256(dewey_canonical_json(AnalysisRequest.model_validate(body)).encode()).hexdigest()
    )


def test_multiqc_request_form_matches_dewey():
    request = {
        "analysis_euid": "an-1",
        "report_kind": "final",
        "multiqc_version": "1.35",
        "html_artifact": artifact(),
        "data_dir_artifact": artifact(
            logical_name="d",
            relative_path="r/d",
            storage_uri="s3://b/r/d/",
            size_bytes=0,
            mime_type="inode/directory",
            artifact_role="directory",
        ),
        "generated_at": "2026-06-01T00:00:00Z",
    }
    body = dewey.finalise("multiqc", request)
    assert body == MultiQCRequest.model_validate(body).model_dump(mode="json")
    assert body["key_files"] == [] and body["local_only"] is False and body["schema_version"] == "1.0"


@pytest.mark.parametrize(
    "change, where",
    [
        ({"metadata": {"a": 1}}, "unknown field(s) metadata"),
        ({"pipeline_name": "  "}, "pipeline_name: must be a non-empty string"),
        ({"workflow_config_sha256": "abc"}, "workflow_config_sha256: must be a 64-character hex SHA-256"),
        ({"artifacts": []}, "artifacts: must be a list of at least one artifact"),
        ({"artifacts": [artifact(storage_uri="/tmp/x")]}, "artifacts[0].storage_uri: must use s3://"),
        ({"artifacts": [artifact(relative_path="a/../b")]}, "artifacts[0].relative_path"),
        ({"artifacts": [artifact(storage_uri="s3://b/r/")]}, "needs artifact_role directory"),
        (
            {
                "artifacts": [
                    artifact(artifact_role="directory", storage_uri="s3://b/r/", mime_type="text/html", size_bytes=0)
                ]
            },
            "needs mime_type inode/directory",
        ),
    ],
)
def test_requests_dewey_refuses_are_refused_before_sending(change, where):
    with pytest.raises(dewey.ContractError) as raised:
        dewey.normalise("analysis", dict(messy_analysis(), **change))
    assert where in str(raised.value)


def test_metadata_passes_only_when_asked_for():
    body = dewey.finalise(
        "analysis", dict(messy_analysis(), metadata={"genome_build": "hg38"}), extra_keys=("metadata",)
    )
    assert body["metadata"] == {"genome_build": "hg38"}


def test_mime_types_do_not_depend_on_the_machine():
    assert dewey.mime_type("a/b.tsv") == "text/tab-separated-values"
    assert dewey.mime_type("a/b.vcf.gz") == "application/gzip"
    assert dewey.mime_type("a/b.unknownext") == "application/octet-stream"
