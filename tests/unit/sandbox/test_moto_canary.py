"""Canaries: fail loudly when a moto upgrade breaks the internals tests/sandbox/fsx.py relies on.

The FSx extension is not a moto API but a swap of moto internals (reference/emulation.md §3). If one of these
fails after an upgrade, re-check the mechanism before touching the fidelity tests.
"""

import inspect

import moto
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import BaseResponse
from moto.core.utils import camelcase_to_underscores
from moto.fsx import urls as fsx_urls
from moto.fsx.models import FileSystem
from moto.fsx.models import fsx_backends
from moto.fsx.responses import FSxResponse
from moto.moto_api import state_manager
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.s3.models import FakeKey

from sandbox import fsx

ADDED_OPERATIONS = (
    "CreateDataRepositoryAssociation",
    "DescribeDataRepositoryAssociations",
    "UpdateDataRepositoryAssociation",
    "DeleteDataRepositoryAssociation",
    "CreateDataRepositoryTask",
    "DescribeDataRepositoryTasks",
    "CancelDataRepositoryTask",
)
WRAPPED_OPERATIONS = ("CreateFileSystem", "DescribeFileSystems", "DeleteFileSystem")


@pytest.fixture(autouse=True)
def installed(sandbox_server):
    """The session's sandbox server has run fsx.install(); every check below is about that state."""


def test_moto_is_the_pinned_version():
    assert moto.__version__ == "5.2.5", "moto changed: re-run this canary file and review tests/sandbox/fsx.py"


def test_fsx_url_path_we_replace_is_still_the_only_route():
    assert list(fsx_urls.url_paths) == [fsx.URL_PATH]


def test_fsx_url_path_dispatches_to_our_response_class():
    handler = fsx_urls.url_paths[fsx.URL_PATH]
    assert handler.__self__ is fsx.FsxResponse and handler.__name__ == "dispatch"


def test_the_server_app_is_built_from_our_route():
    """moto's server builds each service's Flask app from backend.flask_paths, which reads url_paths."""
    backend = fsx_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    handlers = list(backend.flask_paths.values())
    assert [handler.__self__ for handler in handlers] == [fsx.FsxResponse]


def test_moto_does_not_implement_the_operations_we_add():
    native = {name for name, _member in inspect.getmembers(FSxResponse, inspect.isfunction)}
    for operation in ADDED_OPERATIONS:
        assert camelcase_to_underscores(operation) not in native, f"moto now implements {operation}: drop ours?"


def test_operations_dispatch_by_their_snake_case_names_on_our_class():
    """BaseResponse.call_action maps X-Amz-Target's operation to a method named camelcase_to_underscores(op)."""
    assert "camelcase_to_underscores(self._get_action())" in inspect.getsource(BaseResponse.call_action)
    ours = {name for name, _member in inspect.getmembers(fsx.FsxResponse, inspect.isfunction)}
    for operation in ADDED_OPERATIONS + WRAPPED_OPERATIONS:
        assert camelcase_to_underscores(operation) in ours


def test_wrapped_file_system_operations_still_exist_in_moto():
    native = {name for name, _member in inspect.getmembers(FSxResponse, inspect.isfunction)}
    assert {camelcase_to_underscores(operation) for operation in WRAPPED_OPERATIONS} <= native


def test_moto_file_systems_still_lack_what_we_add():
    """If moto starts showing these itself, our wrapper would hide its version."""
    source = inspect.getsource(FileSystem.to_dict)
    for member in ('"Lifecycle"', '"MountName"', '"CreationTime"'):
        assert member not in source, f"moto's FileSystem now shows {member}: review FileSystemView"


def test_file_systems_keep_the_attributes_we_rewrite_for_17_hex_ids():
    source = inspect.getsource(FileSystem.__init__)
    for attribute in ("self.file_system_id =", "self.resource_arn =", "self.dns_name ="):
        assert attribute in source
    backend = fsx_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    assert isinstance(backend.file_systems, dict) and hasattr(backend.tagger, "delete_all_tags_for_resource")


def test_managed_state_and_state_manager_work_as_the_extension_expects():
    phase = fsx.Phase("sandbox::canary", "A", "B", "C")
    state_manager.set_transition("sandbox::canary", {"progression": "manual", "times": 1})
    try:
        assert phase.status == "A"
        phase.advance()
        assert phase.status == "B"
        state_manager.unset_transition("sandbox::canary")
        state_manager.register_default_transition("sandbox::canary", transition={"progression": "immediate"})
        assert phase.status == "C"
    finally:
        state_manager.unset_transition("sandbox::canary")
    assert issubclass(fsx.Phase, ManagedState)


def test_our_models_are_registered_immediate_by_default():
    for model in fsx.MODELS:
        assert model in state_manager.get_registered_models()
    assert {model: state_manager.get_transition(model)["progression"] for model in fsx.MODELS} == dict.fromkeys(
        fsx.MODELS, "immediate"
    )


def test_s3_keys_still_keep_their_bytes_in_a_buffer_we_can_stream_into():
    key = FakeKey("canary", b"abc", account_id=DEFAULT_ACCOUNT_ID, region_name="us-east-1")
    assert all(hasattr(key._value_buffer, method) for method in ("seek", "truncate", "write", "read", "tell"))
    assert key.contentsize == 3 and key.etag == '"900150983cd24fb0d6963f7d28e17f72"'
    with key.lock:
        key._value_buffer.seek(0)
        key._value_buffer.truncate()
        key._value_buffer.write(b"abcd")
        key.contentsize = key._value_buffer.tell()
    key._etag = None
    assert (key.value, key.size, key.etag) == (b"abcd", 4, '"e2fc714c4727ee9395f324cd2e7f331f"')
