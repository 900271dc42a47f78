"""Properties of any manifest (hypothesis): well-formed rows always give complete, normalised tables; arbitrary text
never crashes the checker and every problem points into the file."""

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import samples

STAGE = "remote_stage_20260101T120000Z_0a1b2c3d"
HEADER = "\t".join(samples.REQUIRED_COLUMNS) + "\tILMN_R1_FQ\tILMN_R2_FQ"

_ident = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,10}", fullmatch=True)
_row = st.tuples(
    _ident,
    _ident,
    _ident,
    st.sampled_from(["PCR_FREE", "noampwgs", "Nano"]),
    st.sampled_from(["NovaSeqX", "NOVASEQ", "HiSeq_X"]),
    st.integers(1, 8),
    _ident,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_row, min_size=1, max_size=8, unique_by=lambda row: (row[0], row[1])), st.sampled_from(["\n", "\r\n"]))
def test_well_formed_ilmn_rows_give_complete_normalised_tables(rows, newline):
    lines = [HEADER]
    for index, (run, sample, experiment, libprep, platform, lane, barcode) in enumerate(rows):
        r1, r2 = ("s3://day-in/%d/%s_R%d.fastq.gz" % (index, sample, read) for read in (1, 2))
        lines.append(
            "\t".join([run, sample, experiment, "blood", libprep, "ILMN", platform, str(lane), barcode, r1, r2])
        )
    plan = samples.plan_stage((newline.join(lines) + newline).encode(), STAGE)
    # Rows whose ids normalise to the same unit merge; the checker may refuse such merges, never crash on them.
    if plan.problems:
        assert all(problem.line and 2 <= problem.line <= len(lines) for problem in plan.problems)
        return
    assert plan.data_mode == "ilmn_solo"
    for line in plan.units_tsv.split("\r\n")[1:-1]:
        assert len(line.split("\t")) == len(samples.UNITS_COLUMNS)
    for unit in plan.units:
        assert "_" not in unit["SAMPLEID"] and "." not in unit["RUNID"] and unit["LIBPREP"] != "noampwgs"
        assert unit["ILMN_R1_PATH"].startswith(samples.DEFAULT_STAGE_TARGET + "/" + STAGE + "/")
    assert sorted(sample["SAMPLEID"] for sample in plan.samples) == [sample["SAMPLEID"] for sample in plan.samples]
    staged = sum(len(copy.sources) for copy in plan.copies)
    assert staged == 2 * len(rows)  # every source is copied exactly once


def test_distinct_well_formed_rows_are_clean():
    """The property above must not pass only by finding problems: distinct rows are accepted."""
    rows = [
        "R%d\tS%d\tE\tblood\tPCR_FREE\tILMN\tNOVASEQ\t1\tB\ts3://day-in/%d_R1.fq.gz\ts3://day-in/%d_R2.fq.gz"
        % (i, i, i, i)
        for i in range(5)
    ]
    plan = samples.plan_stage(("\n".join([HEADER] + rows) + "\n").encode(), STAGE)
    assert plan.problems == [] and len(plan.units) == 5


_cell = st.text(alphabet=st.sampled_from("aZ09_./\\-, s3:\t\r\n\ufeff"), max_size=14)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_cell, min_size=1, max_size=14), min_size=0, max_size=6), st.binary(max_size=8))
def test_arbitrary_text_never_crashes_and_problems_point_into_the_file(rows, noise):
    data = ("\n".join([HEADER] + ["\t".join(row) for row in rows])).encode() + noise
    plan = samples.plan_stage(data, STAGE)
    line_count = data.count(b"\n") + data.count(b"\r") + 1
    assert all(problem.line is None or 1 <= problem.line <= line_count for problem in plan.problems)
    if not plan.problems:
        assert plan.units and plan.units_tsv.endswith("\r\n")
