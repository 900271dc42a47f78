"""The chaos suite's summary: each seed's time, outcome and what happened, after the test session (also under xdist:
the workers send each report's user properties to the controller)."""

SEEDS = []


def pytest_runtest_logreport(report):
    properties = dict(report.user_properties)
    if report.when == "call" and "chaos_seconds" in properties:
        SEEDS.append((report.nodeid, report.outcome, properties))


def _by_seed(found):
    """test_x.py::test_y[12] sorts after test_x.py::test_y[9]."""
    name, _bracket, seed = found[0].rstrip("]").rpartition("[")
    return (name, int(seed) if seed.isdigit() else 0)


def pytest_terminal_summary(terminalreporter):
    if not SEEDS:
        return
    terminalreporter.section("chaos seeds")
    for nodeid, outcome, properties in sorted(SEEDS, key=_by_seed):
        terminalreporter.write_line(
            f"{nodeid.rsplit('/', 1)[-1]}: {outcome} in {properties['chaos_seconds']} s; {properties.get('chaos_log', '')}"
        )
    seconds = [properties["chaos_seconds"] for _nodeid, _outcome, properties in SEEDS]
    terminalreporter.write_line(
        f"{len(SEEDS)} seeds, {sum(outcome != 'passed' for _n, outcome, _p in SEEDS)} failed; "
        f"per seed {min(seconds)}-{max(seconds)} s, mean {sum(seconds) / len(seconds):.0f} s"
    )
