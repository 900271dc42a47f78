"""`make demo`: playbooks/lifecycle.yml on the local sandbox, end to end.

Starts the sandbox and the sandbox Dewey as background processes (stopped by PID whatever happens) and seeds what an
operator's account holds before a cluster exists: the network, the role buckets with the reference data, the IAM
policies preflight looks for, and two samples' FASTQs in S3 with their analysis manifest. Then, with the pcluster
inventory plugin as the inventory:

1. lifecycle.yml up to the registration (preflight and its cost forecast, create, stage, launch, wait, export,
   register): the cluster is created by the sandbox's `pcluster`, not seeded;
2. the same again, which must change nothing (changed=0 on every host);
3. the whole lifecycle.yml once more: every step already done is a no-op, then the gated delete, the run report and
   the summary.
"""

import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tests"), str(REPO / ".build" / "collections")]
WORK = Path(os.environ.get("DAYEC_DEMO_WORK") or REPO / ".build" / "demo")  # where every file of the run goes

from testlib.lifecycle import LifecycleAccount  # noqa: E402  pylint: disable=wrong-import-position


def banner(text):
    print(f"\n=== {text}", flush=True)


def start_process(start):
    """Start one of the demo's background processes; one that does not start ends the demo with the reason."""
    try:
        return start()
    except RuntimeError as err:
        raise SystemExit(str(err)) from err


def lifecycle(account, *extra):
    """lifecycle.yml with the demo's variables and the sandbox's clusters as the inventory; returns its output."""
    print("$ " + " ".join(account.command(*extra)), flush=True)
    completed = account.run(*extra)
    print(completed.stdout, end="", flush=True)
    if completed.returncode != 0:
        raise SystemExit(f"demo step failed (rc={completed.returncode}): {' '.join(account.command(*extra))}")
    return completed.stdout


def recap_changes(output):
    """{host: changed count} from the PLAY RECAP of an ansible-playbook run."""
    return {host: int(changed) for host, changed in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", output, re.M)}


def main():
    account = LifecycleAccount(WORK)
    banner("Starting the local AWS sandbox")
    try:
        process = start_process(account.start_sandbox)
        print(f"sandbox PID {process.pid} at {account.environment['AWS_ENDPOINT_URL']}")

        banner("Starting the sandbox Dewey registry")
        dewey = start_process(account.start_dewey)
        print(f"Dewey PID {dewey.pid} at {account.dewey_url}")

        banner("Seeding the account: network, role buckets with reference data, IAM policies, two samples in S3")
        variables = account.seed()
        print(f"cluster {variables['cluster_name']}, analysis manifest {variables['manifest']}")

        banner("1. lifecycle.yml up to the registration: preflight, create, stage, launch, wait, export, register")
        lifecycle(account, "--skip-tags", "delete")

        banner("2. lifecycle.yml again: every step is already done, nothing changes")
        changes = recap_changes(lifecycle(account, "--skip-tags", "delete,report"))
        if not changes or any(changes.values()):
            raise SystemExit(f"the second run changed something: {changes}")
        print(f"changed=0 on every host: {changes}")

        banner("3. The whole lifecycle.yml: the steps done are no-ops, then the gated delete and the run report")
        lifecycle(account)

        banner("Done")
        receipts = sorted((WORK / "deletions").rglob("*.yaml")) + sorted((WORK / "exports").rglob("fsx_export.yaml"))
        for receipt in receipts:
            print(f"receipt: {receipt}")
        for report in sorted((WORK / "exports").rglob("run_report.html")):
            print(f"run report: {report}")
    finally:
        for name, pid in account.stop():
            print(f"{'Dewey' if name == 'dewey' else name} PID {pid} stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
