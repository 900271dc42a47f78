"""The REAL dewey-service 3.0.27 on 127.0.0.1, with its own PostgreSQL cluster, for contract tests.

The sandbox Dewey (``sandbox.dewey``) is for faults; this proves the contract against Dewey itself. Its setup has
traps, each handled here:

* its own venv (``.venv-dewey``, ``requirements-dewey.txt``: Python >= 3.12, ``sqlalchemy<2.1`` so tapdb keeps
  psycopg2), plus the TapDB template pack the wheel omits, taken from the same version's sdist;
* its own ``initdb`` cluster (Debian PostgreSQL binaries, run as ``postgres``: initdb refuses root) on a free
  127.0.0.1 port, socket in the data directory; removed again by :meth:`LiveDewey.stop`;
* ``tapdb db schema apply`` (not ``db setup``, which seeds SYS/MSG under the wrong issuer), then the identity-prefix
  rows Dewey's seed needs: drop dewey's ``generic_template``=TPX row, add TPX/ADT/EDG rows for ``daylily-tapdb``;
* a clean environment: Dewey reads every ``DEWEY_*`` variable as a setting, so only ours are passed; a dummy AWS
  profile in files under the work directory; S3 HEADs go to the sandbox via ``AWS_ENDPOINT_URL_S3``.

Every process is started here and stopped by its PID. ``python -m sandbox.dewey_live build-venv`` builds the venv.
"""

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

VERSION = "3.0.27"
REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv-dewey"
REQUIREMENTS = REPO / "requirements-dewey.txt"
TEMPLATES = Path("config") / "tapdb_templates" / "dewey" / "templates.json"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _site_packages(venv):
    return next((venv / "lib").glob("python3.*/site-packages"))


def _stamp(venv):
    """Marks a venv built completely from this content of requirements-dewey.txt."""
    return venv / (".installed-" + hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16])


def venv_ready(venv=VENV):
    return _stamp(venv).exists()


def build_venv(venv=VENV, python=None):
    """Create ``venv`` from requirements-dewey.txt and add the template pack (once per requirements content)."""
    if venv_ready(venv):
        return venv
    python = python or shutil.which("python3.12") or sys.executable
    subprocess.run(
        [python, "-m", "venv", "--clear", str(venv)], check=True, env=dict(os.environ, PYENV_VERSION="3.12.1")
    )
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(pip + ["-r", str(REQUIREMENTS)], check=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "dewey-service==" + VERSION,
                "-d",
                download,
            ],
            check=True,
        )
        member = "dewey_service-%s/%s" % (VERSION, TEMPLATES.as_posix())
        with tarfile.open(next(Path(download).glob("dewey_service-*.tar.gz"))) as sdist:
            data = sdist.extractfile(member).read()
    target = _site_packages(venv) / TEMPLATES
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    _stamp(venv).touch()
    return venv


def _as_postgres(command, **kwargs):
    return subprocess.run(
        ["runuser", "-u", "postgres", "--"] + command, check=True, capture_output=True, text=True, **kwargs
    )


class LiveDewey:
    """dewey-service from ``venv`` against its own PostgreSQL; :meth:`start` returns self with ``url``/``token``."""

    def __init__(self, workdir, s3_endpoint, venv=VENV):
        self.workdir = Path(workdir)
        self.s3_endpoint = s3_endpoint
        self.venv = Path(venv)
        self.token = secrets.token_hex(16)
        self.pg_dir = None
        self.pg_bin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1])
        self.process = None
        self.url = None

    # -- PostgreSQL ------------------------------------------------------------------------------------------
    def _psql(self, database, sql):
        return _as_postgres(
            [
                str(self.pg_bin / "psql"),
                "-h",
                str(self.pg_dir),
                "-p",
                str(self.pg_port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-qAtX",
                "-c",
                sql,
            ],
            env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"),
        )

    def _start_postgres(self):
        # in /tmp: the postgres user cannot enter pytest's private temporary directories
        self.pg_dir = Path(tempfile.mkdtemp(prefix="dayec-dewey-pg-"))
        shutil.chown(self.pg_dir, "postgres", "postgres")
        self.pg_port = _free_port()
        _as_postgres(
            [
                str(self.pg_bin / "initdb"),
                "-D",
                str(self.pg_dir),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
            ]
        )
        with open(self.pg_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"
                % (self.pg_port, self.pg_dir)
            )
        _as_postgres(
            [str(self.pg_bin / "pg_ctl"), "-D", str(self.pg_dir), "-l", str(self.pg_dir / "server.log"), "-w", "start"]
        )
        self.pg_password = secrets.token_hex(16)
        self._psql("postgres", "CREATE ROLE dewey LOGIN SUPERUSER PASSWORD '%s'" % self.pg_password)
        self._psql("postgres", "CREATE DATABASE dewey OWNER dewey")

    def _stop_postgres(self):
        if self.pg_dir and (self.pg_dir / "postmaster.pid").exists():
            _as_postgres([str(self.pg_bin / "pg_ctl"), "-D", str(self.pg_dir), "-m", "fast", "-w", "stop"])
        if self.pg_dir:
            shutil.rmtree(self.pg_dir, ignore_errors=True)

    # -- configuration ---------------------------------------------------------------------------------------
    def _write_config(self):
        cfg = self.workdir / "cfg"
        cfg.mkdir(parents=True, exist_ok=True)
        (cfg / "domain_code_registry.json").write_text(
            json.dumps({"version": "0.4.0", "domains": {"Z": {"description": "daylily.ephemeral_cluster tests"}}})
        )
        owners = dict.fromkeys(("TPX", "EDG", "ADT", "DGX"), "dewey")
        owners.update(SYS="daylily-tapdb", MSG="daylily-tapdb")
        (cfg / "prefix_ownership_registry.json").write_text(
            json.dumps(
                {
                    "version": "0.4.0",
                    "ownership": {"Z": {prefix: {"issuer_app_code": owner} for prefix, owner in owners.items()}},
                }
            )
        )
        registries = {
            "domain_registry_path": str(cfg / "domain_code_registry.json"),
            "prefix_ownership_registry_path": str(cfg / "prefix_ownership_registry.json"),
        }
        tapdb = {
            "meta": dict(
                config_version="4", client_id="dewey", database_name="dewey", owner_repo_name="dewey", **registries
            ),
            "safety": {"safety_tier": "local", "destructive_operations": "allowed"},
            "target": {
                "engine_type": "local",
                "host": "localhost",
                "port": str(self.pg_port),
                "ui_port": str(_free_port()),
                "user": "dewey",
                "password": self.pg_password,
                "database": "dewey",
                "schema_name": "dewey",
                "domain_code": "Z",
            },
        }
        dewey = {
            "application": {
                "environment": "development",
                "api_bearer_token": self.token,
                "session_secret_key": secrets.token_hex(16),
                "host": "127.0.0.1",
                "verify_ssl": False,
            },
            "auth": {
                "mode": "cognito",
                "cognito": {
                    "domain": "dewey-auth.example.com",
                    "app_client_id": "x",
                    "user_pool_id": "us-west-2_example",
                    "region": "us-west-2",
                },
            },
            "database": dict(
                backend="tapdb",
                target="local",
                client_id="dewey",
                namespace="dewey",
                owner_repo_name="dewey",
                domain_code="Z",
                config_path=str(cfg / "tapdb-config.yaml"),
                **registries,
            ),
            "aws": {"profile": "dewey-tests", "region": "us-west-2"},
            "deployment": {"name": "dayec-tests"},
        }
        # JSON is YAML: no YAML library needed in this process
        (cfg / "tapdb-config.yaml").write_text(json.dumps(tapdb, indent=1))
        (cfg / "dewey-config.yaml").write_text(json.dumps(dewey, indent=1))
        (cfg / "aws_config").write_text("[profile dewey-tests]\nregion = us-west-2\n")
        (cfg / "aws_credentials").write_text(
            "[dewey-tests]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        )
        for path in cfg.iterdir():
            path.chmod(0o600)  # the DB password and the token
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DEWEY_", "LSMC_", "AWS_", "TAPDB_", "MERIDIAN_", "PG"))
        }
        base.update(
            DEWEY_DEPLOYMENT_CODE="local",
            DEWEY_CONFIG=str(cfg / "dewey-config.yaml"),
            TAPDB_CONFIG_PATH=str(cfg / "tapdb-config.yaml"),
            AWS_CONFIG_FILE=str(cfg / "aws_config"),
            AWS_SHARED_CREDENTIALS_FILE=str(cfg / "aws_credentials"),
            AWS_PROFILE="dewey-tests",
            AWS_ENDPOINT_URL_S3=self.s3_endpoint,
            MERIDIAN_DOMAIN_CODE="Z",
            TAPDB_OWNER_REPO="dewey",
        )
        return cfg, base

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self, timeout=120):
        if not venv_ready(self.venv):
            raise RuntimeError(
                "%s is not built from requirements-dewey.txt: run python -m sandbox.dewey_live "
                "build-venv (make dewey-venv)" % self.venv
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_postgres()
            cfg, env = self._write_config()
            log = open(self.workdir / "setup.log", "w", encoding="utf-8")  # noqa: SIM115 - closed below
            with log:
                subprocess.run(
                    [
                        str(self.venv / "bin" / "tapdb"),
                        "--config",
                        str(cfg / "tapdb-config.yaml"),
                        "--client-id",
                        "dewey",
                        "--database-name",
                        "dewey",
                        "db",
                        "schema",
                        "apply",
                    ],
                    check=True,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                self._psql(
                    "dewey",
                    "SET search_path = dewey; "
                    "DELETE FROM tapdb_identity_prefix_config WHERE entity = 'generic_template' "
                    "AND issuer_app_code = 'dewey'; "
                    "INSERT INTO tapdb_identity_prefix_config (entity, domain_code, issuer_app_code, prefix) "
                    "VALUES ('generic_template', 'Z', 'daylily-tapdb', 'TPX'), "
                    "('audit_log', 'Z', 'daylily-tapdb', 'ADT'), "
                    "('generic_instance_lineage', 'Z', 'daylily-tapdb', 'EDG') ON CONFLICT DO NOTHING",
                )
                subprocess.run(
                    [str(self.venv / "bin" / "python"), "-m", "dewey_service.db_seed"],
                    check=True,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            port = _free_port()
            self.url = "http://127.0.0.1:%d" % port
            with open(self.workdir / "dewey.log", "w", encoding="utf-8") as server_log:
                self.process = subprocess.Popen(
                    [
                        str(self.venv / "bin" / "uvicorn"),
                        "dewey_service.app:create_app",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    env=env,
                    stdout=server_log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        tail = (self.workdir / "dewey.log").read_text(errors="replace")[-3000:]
        raise RuntimeError("dewey-service did not become ready at %s:\n%s" % (self.url, tail))

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process = None
        self._stop_postgres()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["build-venv"]:
        print("usage: python -m sandbox.dewey_live build-venv", file=sys.stderr)
        return 2
    print(build_venv())
    return 0


if __name__ == "__main__":
    sys.exit(main())
