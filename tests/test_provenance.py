"""Checksums of the raw inputs and the workflow's commit are recorded."""

import hashlib

from servqual.provenance import input_checksums, workflow_commit


def test_checksums_and_commit(tmp_path):
    raw = tmp_path / "survey.csv"
    raw.write_bytes(b"a,b\n1,2\n")
    assert input_checksums([raw]) == [{"path": str(raw), "sha256": hashlib.sha256(b"a,b\n1,2\n").hexdigest(), "bytes": 8}]
    assert workflow_commit(tmp_path) == "not a git checkout"
