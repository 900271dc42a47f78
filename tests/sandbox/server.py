"""Start the sandbox: in a thread (pytest) or as a process (make sandbox-up, make demo). One code path for both."""

import argparse
import sys
import tempfile
from pathlib import Path

from werkzeug.serving import make_server

from sandbox.control import STATE
from sandbox.control import ControlPlane
from sandbox.process import ServedFromThread
from sandbox.process import serve_until_terminated

REGION = "us-west-2"
LOOPBACK = "127.0.0.1"
_installed = False


def install_extensions():
    """Register our moto extensions. Must run before the server builds a service's Flask app."""
    global _installed
    if _installed:
        return
    from sandbox import fsx
    from sandbox import ssm

    fsx.install(STATE)
    ssm.install(STATE)
    from sandbox import parallelcluster  # what ParallelCluster's real CLI looks for: its AMIs, AWS-managed policies

    parallelcluster.install(STATE)
    from sandbox import pricing  # the Price List API moto lacks

    pricing.install(STATE)
    from sandbox import budgets  # the Budgets calls moto lacks (UpdateBudget, DescribeSubscribersForNotification)

    budgets.install(STATE)
    _installed = True


def client_environment(endpoint, root):
    """The environment a client (boto3, ansible-playbook) needs to talk to this sandbox."""
    root = Path(root)
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "DAYEC_SANDBOX_URL": endpoint,
        "DAYEC_SANDBOX_ROOT": str(root),
        "DAYEC_SANDBOX_FSX_ROOT": str(root / "fsx"),
        "DAYEC_SANDBOX_HEADNODE_ROOT": str(root / "headnodes"),
    }


class SandboxServer(ServedFromThread):
    """moto + extensions behind the control plane, served by werkzeug on 127.0.0.1."""

    thread_name = "dayec-sandbox"

    def __init__(self, root, port=0):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from moto.moto_server.werkzeug_app import create_backend_app

        install_extensions()
        STATE.set_root(root)
        app = ControlPlane(DomainDispatcherApplication(create_backend_app), STATE)
        self.httpd = make_server(LOOPBACK, port, app, threaded=True, request_handler=MotoRequestHandler)
        self.endpoint = "http://%s:%d" % self.httpd.server_address[:2]
        self.root = Path(root)

    @property
    def environment(self):
        return client_environment(self.endpoint, self.root)


def write_env_file(path, environment):
    lines = [f"export {key}={value!s}" for key, value in sorted(environment.items())]
    lines.append("unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_env_file(path):
    """The variables write_env_file exported (for clients that start the sandbox as a process)."""
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("export "):
            key, value = line[len("export ") :].split("=", 1)
            values[key] = value
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the daylily.ephemeral_cluster AWS sandbox on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument("--root", default=None, help="directory for FSx namespaces and headnode homes")
    parser.add_argument("--env-file", default=None, help="write shell export lines for clients here")
    parser.add_argument("--pid-file", default=None, help="write this process's PID here")
    args = parser.parse_args(argv)

    root = Path(args.root or tempfile.mkdtemp(prefix="dayec-sandbox-")).resolve()
    server = SandboxServer(root, args.port)
    if args.env_file:
        write_env_file(args.env_file, server.environment)
    print(f"sandbox listening on {server.endpoint} (root {root})", flush=True)
    return serve_until_terminated(server.httpd, args.pid_file)


if __name__ == "__main__":
    sys.exit(main())
