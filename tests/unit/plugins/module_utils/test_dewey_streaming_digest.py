# -*- coding: utf-8 -*-
"""Dewey's digests (``manifest_sha256``, the idempotency key) are hashed as the canonical JSON is encoded, so a
registration of every artifact never holds that JSON twice (bench row 6d). The digests below were recorded from the
code that encoded the whole JSON first: they must not change, or Dewey would see another request."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import contract
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey.client import DeweyClient
from testlib import dewey_sink

RECORDED = [
    (
        {"b": 1, "a": [True, False, None, 1.5, -0.0, 10**20, '\u00e9\U0001f600\x00"\\/'], "c": {"z": {}, "y": []}},
        "798ae52753f7b70b8cfae9bf866f23a45a4ad02b305590df0842724cdef275f6",
    ),
    ([], "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"),
    ("plain", "945603a8f587786b463c3f94fce115c0fae88fac2728cc96ddf5981cf7f61741"),
    (
        {
            "artifacts": [
                {"sha256": "%064x" % index, "size_bytes": index, "storage_uri": "s3://b/k%d" % index}
                for index in range(3)
            ],
            "manifest_sha256": "0" * 64,
        },
        "5baf7eb1cbf0740cab466b4138e80361a5f52b07bf5d493a9c6a4626cb0eb470",
    ),
]


@pytest.mark.parametrize(("value", "digest"), RECORDED)
def test_canonical_sha256_is_the_digest_of_the_whole_canonical_json(value, digest):
    assert contract.canonical_sha256(value) == digest
    assert hashlib.sha256(contract.canonical_json(value).encode("utf-8")).hexdigest() == digest


def _registration(count):
    objects = {
        "results/S%02d/f\u00e9%05d.tsv" % (index % 7, index): {"size": 100 + index, "sha256": "%064X" % index}
        for index in range(count)
    }
    return dewey_sink.analysis_body(objects)[1]


def test_a_registration_of_500_artifacts_keeps_its_recorded_digests():
    body = _registration(500)
    assert body["manifest_sha256"] == "7d7d6565393cf505178747f50030581edd87363e09c564bca74dd185d7545737"
    assert contract.idempotency_key(body) == "c190b3dfb95cee848c5c78df9147d05a9357d89f613cbe1e4de1ae10b6dfc2de"


def test_the_post_body_is_the_canonical_json_it_was():
    body = _registration(200)
    with dewey_sink.post_sink(keep_bodies=True) as (url, received):
        client = DeweyClient(url, "token", retries=0)
        assert client.register("analysis", body, contract.idempotency_key(body)) == {"status_code": 201}
    ((length, data),) = received
    assert int(length) == len(data)
    assert data == contract.canonical_json(body).encode("ascii")
    assert hashlib.sha256(data).hexdigest() == "516891588188b3e96baa7aa7a032791abe5894c7104d61f78d8c80fb989f373d"
