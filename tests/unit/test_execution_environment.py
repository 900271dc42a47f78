"""execution-environment.yml renders into an ansible-builder build context, offline, holding what AWX needs.

The test builds the collection tarball from the checkout, then runs the real `ansible-builder create` with every
proxy pointed at a closed local port (a download attempt would fail) and reads the context it wrote.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EE_FILE = REPO / "execution-environment.yml"
BIN = Path(sys.executable).parent
CLOSED_PORT_PROXY = "http://127.0.0.1:9"


def pinned(requirements_file, package):
    for line in (REPO / requirements_file).read_text(encoding="utf-8").splitlines():
        if re.match(rf"{re.escape(package)}==", line.strip(), re.IGNORECASE):
            return line.strip()
    raise AssertionError(f"{package} is not pinned in {requirements_file}")


def run(command, cwd):
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        HTTP_PROXY=CLOSED_PORT_PROXY,
        HTTPS_PROXY=CLOSED_PORT_PROXY,
        http_proxy=CLOSED_PORT_PROXY,
        https_proxy=CLOSED_PORT_PROXY,
        PIP_NO_INDEX="1",
    )
    process = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    assert process.returncode == 0, f"{command} failed:\n{process.stdout}\n{process.stderr}"
    return process


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The EE file and the files it names, copied into a scratch directory (the checkout's .build/ stays as it is),
    with the collection tarball built from the checkout where the EE file expects it; then the rendered context."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(EE_FILE, work)
    definition = yaml.safe_load(EE_FILE.read_text(encoding="utf-8"))
    shutil.copy(REPO / definition["dependencies"]["python"], work)
    for entry in definition["additional_build_files"]:
        if "*" not in entry["src"]:
            shutil.copy(REPO / entry["src"], work)
    tarball_dir = work / Path(next(e["src"] for e in definition["additional_build_files"] if "*" in e["src"])).parent
    run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tarball_dir), str(REPO)], REPO)
    run(
        [str(BIN / "ansible-builder"), "create", "-f", str(work / EE_FILE.name)]
        + ["-c", str(work / "context"), "--output-filename", "Containerfile"],
        work,
    )
    return work / "context"


def galaxy_version():
    return yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))["version"]


def test_the_context_has_a_containerfile_installing_ansible_core_and_runner_as_the_tests_pin_them(context):
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile).group(1).split()
    assert sorted(refs) == sorted(
        [pinned("requirements-test.txt", "ansible-core"), pinned("requirements-test.txt", "ansible-runner")]
    )


def test_the_collection_tarball_of_the_checkout_is_installed_and_holds_only_the_collection(context):
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    names = [entry["name"] for entry in requirements["collections"]]
    assert "amazon.aws" in names
    tarball_entry = next(entry for entry in requirements["collections"] if entry.get("type") == "file")
    tarball = context / "_build" / tarball_entry["name"]
    assert tarball.name == f"daylily-ephemeral_cluster-{galaxy_version()}.tar.gz", (
        "execution-environment.yml names the tarball of another version than galaxy.yml's"
    )
    assert tarball.is_file(), f"{tarball_entry['name']} is not in the build context"
    with tarfile.open(tarball) as archive:
        members = archive.getnames()
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "daylily"
    assert manifest["collection_info"]["name"] == "ephemeral_cluster"
    modules = {path.name for path in (REPO / "plugins" / "modules").glob("*.py")}
    assert modules <= {Path(member).name for member in members if member.startswith("plugins/modules/")}
    assert not [member for member in members if member.split("/")[0].startswith(".venv")], "a venv in the tarball"
    assert tarball.stat().st_size < 10 * 1024 * 1024


def test_the_collections_python_requirements_are_installed(context):
    assert (context / "_build" / "requirements.txt").read_text(encoding="utf-8") == (
        REPO / "requirements.txt"
    ).read_text(encoding="utf-8")


def test_pcluster_and_the_nodejs_it_needs_are_installed(context):
    bindep = (context / "_build" / "bindep.txt").read_text(encoding="utf-8").splitlines()
    assert any(line.split()[0] == "nodejs" for line in bindep if line.strip())
    pcluster_requirements = context / "_build" / "pcluster" / "requirements-pcluster.txt"
    assert pcluster_requirements.read_text(encoding="utf-8") == (REPO / "requirements-pcluster.txt").read_text(
        encoding="utf-8"
    )
    assert pinned("requirements-pcluster.txt", "aws-parallelcluster")
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    final_stage = containerfile[containerfile.index("FROM base AS final") :]
    assert "/opt/pcluster/bin/pip install --no-cache-dir -r /tmp/requirements-pcluster.txt" in final_stage
    assert "ln -s /opt/pcluster/bin/pcluster /usr/local/bin/pcluster" in final_stage
    assert "RUN pcluster version && node --version" in final_stage
