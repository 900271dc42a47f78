"""FSx for Lustre in the sandbox: file systems as AWS shows them, data repository associations (DRAs) and tasks.

moto 5.2.5 implements FSx file systems but none of the DRA or task operations. This module adds them from outside
moto (reference/emulation.md §3): `FsxResponse` subclasses moto's FSxResponse, install() routes moto's FSx URL to it,
and our state lives in a BackendDict, so moto's reset clears it. Each file system's Lustre namespace is the local
directory <STATE.fsx_root>/<file-system-id>/. S3 is moto's own S3 backend, so exports land where boto3 reads them.

Lifecycle models. Slow them down with POST /_sandbox/lifecycle {"model": ..., "progression": "manual", "times": N}:
  fsx::association         Create: CREATING -> AVAILABLE (or the outcome injected through fsx-outcomes).
                           Update: UPDATING -> AVAILABLE; an update re-checks a MISCONFIGURED DRA, which stays
                           MISCONFIGURED while an injected outcome is pending (the cause is not fixed).
  fsx::association-delete  Delete: DELETING -> gone (then DataRepositoryAssociationNotFound).
  fsx::task                Create: PENDING -> EXECUTING -> SUCCEEDED or FAILED. Cancel: CANCELING -> CANCELED.
Create, Update, Delete and Cancel answer with the first state, as AWS does. Side effects happen when a resource
reaches a state: batch import on AVAILABLE, data deletion when gone, the task's work when it leaves EXECUTING.
With the default "immediate" progression they have already happened when the call returns.

Control routes (JSON bodies; -1 as a count means "until cleared"):
  /_sandbox/fsx-filesystem  POST {"file_system_id": "fs-…", "lifecycle": "CREATING", "message": "…"} sets a file
                            system's Lifecycle (and FailureDetails.Message). GET lists file system lifecycles.
  /_sandbox/fsx-outcomes    POST {"association_lifecycle": "MISCONFIGURED" | "FAILED", "count": N, "message": "…"}:
                            the next N created DRAs end in that lifecycle instead of AVAILABLE.
                            POST {"fail_export_paths": ["glob", ...], "count": N, "error_code": "S3AccessDenied"}:
                            in the next N EXPORT tasks that meet a matching file, the files whose namespace-relative
                            path matches a glob (fnmatch; "*" also crosses "/") fail to export.
                            GET shows the pending outcomes, DELETE clears them. Sandbox reset clears them too.
  /_sandbox/fsx-task-timing POST {"seconds": S, "count": N}: the next N created tasks run on the sandbox's clock
                            instead of the lifecycle model: EXECUTING from their creation for S seconds, SucceededCount
                            and LastUpdatedTime advancing evenly (as a task of that many files and that pace shows
                            them), then their work runs on the first look after the end.
                            POST {"advance": T}: move the sandbox's clock (every FSx time it shows) T seconds on, for a
                            client that simulates its waits. GET shows both, DELETE and sandbox reset clear both.
"""

import base64
import csv
import fnmatch
import functools
import io
import itertools
import json
import os
import secrets
import shutil
import string
import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from moto.core.base_backend import BackendDict
from moto.core.base_backend import BaseBackend
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.fsx import urls as fsx_urls
from moto.fsx.models import fsx_backends
from moto.fsx.responses import FSxResponse
from moto.moto_api import state_manager
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.s3.models import FakeKey
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

MODEL_ASSOCIATION = "fsx::association"
MODEL_ASSOCIATION_DELETE = "fsx::association-delete"
MODEL_TASK = "fsx::task"
MODELS = (MODEL_ASSOCIATION, MODEL_ASSOCIATION_DELETE, MODEL_TASK)

URL_PATH = "{0}/$"  # the one route in moto.fsx.urls.url_paths; every FSx request goes through it
MAX_ASSOCIATIONS = 8  # per file system (CreateDataRepositoryAssociation docs)
PAGE_SIZE = 25  # DescribeDataRepositoryAssociations' MaxResults limit, also used for tasks
DEFAULT_DEPLOYMENT_TYPE = "SCRATCH_1"  # CreateFileSystem's documented default (ParallelCluster's is SCRATCH_2)
DEFAULT_CHUNK_SIZE_MIB = 1024
COPY_CHUNK = 8 * 1024 * 1024

GONE = "GONE"  # pseudo state: a deleted DRA has disappeared
COMPLETING = "COMPLETING"  # pseudo state: the task's work runs, then it is SUCCEEDED or FAILED
TASK_ENDED = ("SUCCEEDED", "FAILED", "CANCELED")
TASK_RUNNING = ("PENDING", "EXECUTING", "CANCELING")
NOT_ACTIVE = ("DELETING", "FAILED")  # DRAs in these states no longer claim their paths
FILE_SYSTEM_LIFECYCLES = (
    "AVAILABLE",
    "CREATING",
    "FAILED",
    "DELETING",
    "MISCONFIGURED",
    "UPDATING",
    "MISCONFIGURED_UNAVAILABLE",
)

_LOCK = threading.RLock()  # the sandbox server is threaded; every FSx extension call runs under this lock


# --- errors (codes and members as in botocore's FSx model) ---------------------------------------------------------
class _FsxError(ServiceException):
    def __init__(self, message):
        super().__init__(message)


class BadRequest(_FsxError):
    code = "BadRequest"


class FileSystemNotFound(_FsxError):
    code = "FileSystemNotFound"


class DataRepositoryAssociationNotFound(_FsxError):
    code = "DataRepositoryAssociationNotFound"


class DataRepositoryTaskNotFound(_FsxError):
    code = "DataRepositoryTaskNotFound"


class DataRepositoryTaskExecuting(_FsxError):
    code = "DataRepositoryTaskExecuting"


class DataRepositoryTaskEnded(_FsxError):
    code = "DataRepositoryTaskEnded"


class InvalidDataRepositoryType(_FsxError):
    code = "InvalidDataRepositoryType"


class IncompatibleParameterError(_FsxError):
    """FSx's answer to a reused ClientRequestToken with different parameters; names the parameter."""

    code = "IncompatibleParameterError"

    def __init__(self, parameter, message):
        super().__init__(message)
        self.Parameter = parameter  # serialized as the error's required "Parameter" member


# --- paths ---------------------------------------------------------------------------------------------------------
def _parts(path):
    """'/a//b/' -> ('a', 'b'). Refuses '..' so that no path leaves its namespace or prefix."""
    parts = tuple(part for part in path.split("/") if part not in ("", "."))
    if ".." in parts:
        raise BadRequest(f"The path {path} is not valid: '..' is not allowed.")
    return parts


def _inside(outer, inner):
    """True if path parts `inner` equal `outer` or lie below it."""
    return inner[: len(outer)] == outer


def _overlap(a, b):
    """Same, parent or child: the relation AWS forbids between two DRAs' paths."""
    return _inside(a, b) or _inside(b, a)


class S3Location:
    """s3://bucket/prefix, compared by path components so that 'a/b' is inside 'a' but 'ab' is not."""

    def __init__(self, uri):
        bucket, _sep, prefix = uri[len("s3://") :].partition("/") if uri.startswith("s3://") else ("", "", "")
        if not bucket:
            raise BadRequest(f"The data repository path {uri} is not valid. Use the format s3://bucket-name/prefix/.")
        self.uri, self.bucket, self.prefix = uri, bucket, _parts(prefix)

    def overlaps(self, other):
        return self.bucket == other.bucket and _overlap(self.prefix, other.prefix)

    def contains(self, other):
        return self.bucket == other.bucket and _inside(self.prefix, other.prefix)

    def key(self, relative_parts):
        return "/".join(self.prefix + tuple(relative_parts))


# --- moto's S3, used as FSx's data repository ----------------------------------------------------------------------
class S3Store:
    """Reads and writes moto's S3 backend directly, streaming file contents in chunks."""

    def __init__(self, account_id):
        self.backend = s3_backends[account_id]["aws"]

    def has_bucket(self, name):
        return name in self.backend.buckets

    def objects(self, location):
        """(parts relative to the prefix, is a directory marker, FakeKey) for each object below the prefix."""
        bucket = self.backend.buckets.get(location.bucket)
        for name, key in sorted(bucket.keys.items() if bucket else []):
            if isinstance(key, FakeKey) and _inside(location.prefix, _parts(name)):
                yield _parts(name)[len(location.prefix) :], name.endswith("/"), key

    def upload(self, bucket, name, path, metadata):
        key = self.backend.put_object(bucket, name, b"")
        with key.lock, open(path, "rb") as source:  # stream into moto's spooled buffer: no in-memory copy
            shutil.copyfileobj(source, key._value_buffer, COPY_CHUNK)
            key.contentsize = key._value_buffer.tell()
        key._etag = None  # moto computes the ETag lazily from the buffer
        key.set_metadata(metadata)

    def put_bytes(self, bucket, name, data):
        self.backend.put_object(bucket, name, data)

    @staticmethod
    def download(key, path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with key.lock, open(path, "wb") as target:
            key._value_buffer.seek(0)
            shutil.copyfileobj(key._value_buffer, target, COPY_CHUNK)


def _export_metadata(path):
    """The POSIX metadata FSx stores on exported objects (x-amz-meta-*)."""
    info = os.stat(path)
    return {
        "x-amz-meta-file-permissions": f"0{info.st_mode:o}",
        "x-amz-meta-file-owner": str(info.st_uid),
        "x-amz-meta-file-group": str(info.st_gid),
        "x-amz-meta-file-atime": f"{info.st_atime_ns}ns",
        "x-amz-meta-file-mtime": f"{info.st_mtime_ns}ns",
        "x-amz-meta-user-agent": "aws-fsx-lustre",
    }


# --- the local directory behind a file system ----------------------------------------------------------------------
class Namespace:
    def __init__(self, root):
        self.root = Path(root)

    def path(self, parts):
        return self.root.joinpath(*parts)

    def files(self, parts):
        """Parts of every regular file at or below `parts`, sorted."""
        top = self.path(parts)
        if top.is_file():
            return [parts]
        found = []
        for directory, _subdirs, names in os.walk(top):
            here = _parts(os.path.relpath(directory, self.root).replace(os.sep, "/"))
            found.extend(here + (name,) for name in names if os.path.isfile(os.path.join(directory, name)))
        return sorted(found)

    def remove(self, parts):
        target = self.path(parts)
        if parts:
            shutil.rmtree(target, ignore_errors=True)
            return
        for child in target.iterdir() if target.is_dir() else []:  # "/" DRA: empty the namespace, keep it
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()


# --- injected outcomes (the fsx-outcomes control route) ------------------------------------------------------------
class Outcomes:
    def __init__(self):
        self.associations = []  # [{"lifecycle", "count", "message"}]
        self.exports = []  # [{"globs", "count", "error_code"}]

    def clear(self):
        self.associations.clear()
        self.exports.clear()

    def add(self, payload):
        count = int(payload.get("count", 1))
        if "association_lifecycle" in payload:
            lifecycle = payload["association_lifecycle"]
            if lifecycle not in ("MISCONFIGURED", "FAILED"):
                raise ValueError("association_lifecycle must be MISCONFIGURED or FAILED")
            default = {
                "MISCONFIGURED": "Amazon FSx cannot access the S3 bucket of this data repository association.",
                "FAILED": "The data repository association could not be created.",
            }[lifecycle]
            self.associations.append(
                {"lifecycle": lifecycle, "count": count, "message": payload.get("message", default)}
            )
        if "fail_export_paths" in payload:
            globs = payload["fail_export_paths"]
            if not isinstance(globs, list) or not all(isinstance(glob, str) for glob in globs):
                raise ValueError("fail_export_paths must be a list of glob strings")
            self.exports.append(
                {"globs": globs, "count": count, "error_code": payload.get("error_code", "S3AccessDenied")}
            )
        if "association_lifecycle" not in payload and "fail_export_paths" not in payload:
            raise ValueError("give association_lifecycle or fail_export_paths")

    def snapshot(self):
        return {"associations": list(self.associations), "exports": list(self.exports)}

    def next_association(self):
        """(lifecycle, failure message) for the DRA being created."""
        rule = _take(self.associations)
        return (rule["lifecycle"], rule["message"]) if rule else ("AVAILABLE", None)

    def export_failures(self):
        """A function path -> error code or None, for one EXPORT task; the rules it used are charged afterwards."""
        rules, used = [rule for rule in self.exports if rule["count"] != 0], set()

        def error_for(relative_path):
            for index, rule in enumerate(rules):
                if any(fnmatch.fnmatchcase(relative_path, glob) for glob in rule["globs"]):
                    used.add(index)
                    return rule["error_code"]
            return None

        def charge():
            for index in used:
                if rules[index]["count"] > 0:
                    rules[index]["count"] -= 1

        return error_for, charge


def _take(rules):
    for rule in rules:
        if rule["count"] != 0:
            if rule["count"] > 0:
                rule["count"] -= 1
            return rule
    return None


class _Runtime:
    """What the extension shares with the sandbox: its state (fsx_root), the injected outcomes, and the timing of
    timed tasks with the clock offset (the fsx-task-timing control route)."""

    def __init__(self):
        self.state = None
        self.outcomes = Outcomes()
        self.timed_tasks = []  # [{"seconds", "count"}]
        self.clock_offset = 0.0

    def namespace(self, file_system_id):
        return Namespace(self.state.fsx_root / file_system_id)


RUNTIME = _Runtime()


# --- lifecycles ----------------------------------------------------------------------------------------------------
class Phase(ManagedState):
    """One run of states (e.g. PENDING, EXECUTING, COMPLETING) paced by moto's state manager for `model`."""

    def __init__(self, model, *states):
        super().__init__(model, list(zip(states, states[1:], strict=False)))


def _now():
    return datetime.now(UTC) + timedelta(seconds=RUNTIME.clock_offset)


def _hex17():
    return secrets.token_hex(9)[:17]


def _tags(tags):
    return [{"Key": tag["Key"], "Value": tag.get("Value", "")} for tag in tags or []]


class FileSystemView:
    """What AWS shows of a file system and moto does not keep: Lifecycle, MountName, Lustre details."""

    def __init__(self, file_system):
        lustre = file_system.lustre_configuration or {}
        self.lifecycle, self.failure = "AVAILABLE", None
        self.creation_time = _now().timestamp()
        self.deployment_type = lustre.get("DeploymentType", DEFAULT_DEPLOYMENT_TYPE)
        alphabet = string.ascii_lowercase + string.digits
        self.mount_name = (
            "fsx"
            if self.deployment_type == "SCRATCH_1"
            else "".join(secrets.choice(alphabet) for _position in range(8))
        )
        self.legacy_repository = self._legacy_repository(lustre)
        shown = _lustre_output_members()
        self.lustre = {key: value for key, value in lustre.items() if key in shown}

    @staticmethod
    def _legacy_repository(lustre):
        """The pre-DRA link (ImportPath/ExportPath at create). It rules out DRAs on the file system."""
        if not lustre.get("ImportPath"):
            return None
        import_path = lustre["ImportPath"]
        stamp = _now().strftime("%Y%m%dT%H%M%SZ")
        return {
            "Lifecycle": "AVAILABLE",
            "ImportPath": import_path,
            "ExportPath": lustre.get("ExportPath") or f"{import_path.rstrip('/')}/FSxLustre{stamp}",
            "ImportedFileChunkSize": lustre.get("ImportedFileChunkSize", DEFAULT_CHUNK_SIZE_MIB),
            "AutoImportPolicy": lustre.get("AutoImportPolicy", "NONE"),
        }

    def decorate(self, shown, account_id):
        shown.update(Lifecycle=self.lifecycle, CreationTime=self.creation_time, OwnerId=account_id)
        if self.failure:
            shown["FailureDetails"] = {"Message": self.failure}
        if shown.get("FileSystemType") == "LUSTRE":
            lustre = dict(self.lustre, DeploymentType=self.deployment_type, MountName=self.mount_name)
            if self.legacy_repository:
                lustre["DataRepositoryConfiguration"] = self.legacy_repository
            shown["LustreConfiguration"] = lustre
        return shown


@functools.lru_cache(maxsize=1)
def _lustre_output_members():
    import botocore.session

    model = botocore.session.get_session().get_service_model("fsx")
    return frozenset(model.shape_for("LustreFileSystemConfiguration").members)


class Association:
    def __init__(self, seq, arn_prefix, request, outcome):
        self.seq, self.id = seq, "dra-" + _hex17()
        self.file_system_id = request["FileSystemId"]
        self.arn = f"{arn_prefix}:association/{self.file_system_id}/{self.id}"
        self.path = request["FileSystemPath"]
        self.parts = _parts(self.path)
        self.repository = S3Location(request["DataRepositoryPath"])
        self.batch_import = bool(request.get("BatchImportMetaDataOnCreate", False))
        self.chunk_size = request.get("ImportedFileChunkSize", DEFAULT_CHUNK_SIZE_MIB)
        self.s3 = request.get("S3")
        self.creation_time = _now()
        self.end_state, self.end_message = outcome
        self.phase = Phase(MODEL_ASSOCIATION, "CREATING", self.end_state)
        self.lifecycle, self.failure, self.delete_data = "CREATING", None, False

    @property
    def active(self):
        return self.lifecycle not in NOT_ACTIVE

    def view(self, tags, lifecycle=None):
        shown = {
            "AssociationId": self.id,
            "ResourceARN": self.arn,
            "FileSystemId": self.file_system_id,
            "Lifecycle": lifecycle or self.lifecycle,
            "FileSystemPath": self.path,
            "DataRepositoryPath": self.repository.uri,
            "BatchImportMetaDataOnCreate": self.batch_import,
            "ImportedFileChunkSize": self.chunk_size,
            "Tags": tags,
            "CreationTime": self.creation_time,
        }
        if self.s3:
            shown["S3"] = self.s3
        if self.failure:
            shown["FailureDetails"] = {"Message": self.failure}
        return shown


class Task:
    def __init__(self, seq, arn_prefix, request, targets, failure=None):
        self.seq, self.id = seq, "task-" + _hex17()
        self.file_system_id, self.type = request["FileSystemId"], request["Type"]
        self.arn = f"{arn_prefix}:task/{self.id}"
        self.paths, self.report = request.get("Paths"), request["Report"]
        self.targets = targets  # [(Association, file system path parts)] the task works on
        self.association_ids = {association.id for association, _paths in targets}
        self.creation_time = self.updated = _now()
        self.start_time = self.end_time = None
        self.total = self.succeeded = self.failed = 0
        self.failure = failure
        self.phase = (
            Phase(MODEL_TASK, "PENDING", "FAILED") if failure else Phase(MODEL_TASK, "PENDING", "EXECUTING", COMPLETING)
        )
        self.lifecycle = "PENDING"
        self.seconds = None  # a timed task's duration (fsx-task-timing): it runs on the clock, not the model

    def count(self, total=None, succeeded=None, failed=None):
        self.total = self.total if total is None else total
        self.succeeded = self.succeeded if succeeded is None else succeeded
        self.failed = self.failed if failed is None else failed
        self.updated = _now()

    def view(self, tags, lifecycle=None):
        shown = {
            "TaskId": self.id,
            "ResourceARN": self.arn,
            "FileSystemId": self.file_system_id,
            "Type": self.type,
            "Lifecycle": lifecycle or self.lifecycle,
            "Report": self.report,
            "Tags": tags,
            "CreationTime": self.creation_time,
            "Status": {
                "TotalCount": self.total,
                "SucceededCount": self.succeeded,
                "FailedCount": self.failed,
                "LastUpdatedTime": self.updated,
            },
        }
        optional = {
            "Paths": self.paths,
            "StartTime": self.start_time,
            "EndTime": self.end_time,
            "FailureDetails": self.failure and {"Message": self.failure},
        }
        shown.update({key: value for key, value in optional.items() if value is not None})
        return shown


# --- request helpers -----------------------------------------------------------------------------------------------
class Idempotency:
    """ClientRequestToken: the same request again returns the first result; different parameters are refused."""

    def __init__(self):
        self.seen = {}  # (operation, token) -> (request without token, resource)

    def replay(self, operation, request):
        token = request.get("ClientRequestToken")
        if not token or (operation, token) not in self.seen:
            return None
        first, resource = self.seen[(operation, token)]
        current = {key: value for key, value in request.items() if key != "ClientRequestToken"}
        if current != first:
            differing = sorted(key for key in set(first) | set(current) if first.get(key) != current.get(key))
            raise IncompatibleParameterError(
                differing[0],
                f"The client request token {token} was already used with different values for {', '.join(differing)}.",
            )
        return resource

    def remember(self, operation, request, resource):
        token = request.get("ClientRequestToken")
        if token:
            first = {key: value for key, value in request.items() if key != "ClientRequestToken"}
            self.seen[(operation, token)] = (first, resource)


def _page(items, request):
    """AWS paging: at most MaxResults items, and a NextToken while more remain (items are in creation order)."""
    start = 0
    if request.get("NextToken"):
        try:
            after = int(base64.b64decode(request["NextToken"], validate=True))
        except ValueError:
            raise BadRequest("The NextToken value is not valid.") from None
        start = next((index for index, item in enumerate(items) if item.seq > after), len(items))
    limit = request.get("MaxResults") or PAGE_SIZE
    page = items[start : start + limit]
    more = start + limit < len(items)
    return page, (base64.b64encode(str(page[-1].seq).encode()).decode() if more and page else None)


def _filter(items, filters, fields):
    """Keep items matching every filter; `fields` maps each filter name AWS allows to item -> set of values."""
    for item_filter in filters:
        name = item_filter.get("Name")
        if name not in fields:
            raise BadRequest(f"The filter name {name} is not valid. Valid names: {', '.join(sorted(fields))}.")
        wanted = set(item_filter.get("Values") or [])
        items = [item for item in items if wanted & fields[name](item)]
    return items


# --- state and rules -----------------------------------------------------------------------------------------------
class FsxExtensionBackend(BaseBackend):
    """Per account and region: file systems, DRAs and tasks. A BackendDict, so moto's reset clears it too."""

    def __init__(self, region_name, account_id):
        super().__init__(region_name, account_id)
        self.arn_prefix = f"arn:{get_partition(region_name)}:fsx:{region_name}:{account_id}"
        self.sequence = itertools.count(1)  # creation order, for paging
        self.idempotency = Idempotency()
        self.file_systems = FileSystems(self)
        self.associations = Associations(self)
        self.tasks = Tasks(self)

    @property
    def moto(self):
        return fsx_backends[self.account_id][self.region_name]

    # tags live in moto's FSx tagger, so TagResource and ListTagsForResource work on our ARNs too
    def tags(self, resource):
        return self.moto.list_tags_for_resource(resource.arn)

    def tag(self, resource, tags):
        self.moto.tagger.tag_resource(resource.arn, _tags(tags))

    def drop(self, table, resource):
        table.pop(resource.id, None)
        self.moto.tagger.delete_all_tags_for_resource(resource.arn)

    def delete_file_system(self, file_system_id, delete_in_moto):
        running = [task.id for task in self.tasks.of(file_system_id) if task.lifecycle in TASK_RUNNING]
        if running:
            raise BadRequest(
                f"File system {file_system_id} has data repository task {running[0]} in progress. "
                "Retry when the task has finished."
            )
        answer = delete_in_moto()
        for association in self.associations.of(file_system_id):
            self.drop(self.associations.table, association)
        for task in self.tasks.of(file_system_id):
            self.drop(self.tasks.table, task)
        self.file_systems.forget(file_system_id)
        return answer


class FileSystems:
    """The AWS-side view of moto's file systems, and the checks DRAs and tasks make on them."""

    def __init__(self, backend):
        self.backend, self.views = backend, {}

    def get(self, file_system_id):
        file_system = self.backend.moto.file_systems.get(file_system_id)
        if file_system is None:
            raise FileSystemNotFound(f"File system '{file_system_id}' does not exist.")
        return file_system

    def view(self, file_system_id):
        """Made on first sight, so file systems seeded into moto directly get one too."""
        if file_system_id not in self.views:
            self.views[file_system_id] = FileSystemView(self.get(file_system_id))
            RUNTIME.namespace(file_system_id).root.mkdir(parents=True, exist_ok=True)
        return self.views[file_system_id]

    def show(self, shown):
        return self.view(shown["FileSystemId"]).decorate(shown, self.backend.account_id)

    def adopt(self, moto_id):
        """A file system moto just created: give it an AWS-style 17-hex ID, a view and a namespace directory."""
        moto = self.backend.moto
        file_system = moto.file_systems.pop(moto_id)
        tags = moto.list_tags_for_resource(file_system.resource_arn)
        moto.tagger.delete_all_tags_for_resource(file_system.resource_arn)
        new_id = "fs-" + _hex17()
        file_system.file_system_id = new_id
        file_system.resource_arn = file_system.resource_arn.replace(moto_id, new_id)
        file_system.dns_name = file_system.dns_name.replace(moto_id, new_id)
        moto.file_systems[new_id] = file_system
        if tags:
            moto.tagger.tag_resource(file_system.resource_arn, tags)
        self.view(new_id)
        return file_system

    def usable(self, file_system_id, purpose):
        """The file system, if `purpose` ("Data repository tasks", ...) is allowed on it."""
        file_system, view = self.get(file_system_id), self.view(file_system_id)
        if file_system.file_system_type != "LUSTRE":
            raise BadRequest(f"{purpose} are only supported on Amazon FSx for Lustre file systems.")
        if view.deployment_type == "SCRATCH_1":
            raise BadRequest(f"{purpose} are not supported on file systems with the SCRATCH_1 deployment type.")
        if view.lifecycle != "AVAILABLE":
            raise BadRequest(f"File system {file_system_id} is in the {view.lifecycle} state. It must be AVAILABLE.")
        return view

    def forget(self, file_system_id):
        self.views.pop(file_system_id, None)
        shutil.rmtree(RUNTIME.namespace(file_system_id).root, ignore_errors=True)


class Associations:
    """CreateDataRepositoryAssociation and friends: AWS's path rules, lifecycles and their side effects."""

    def __init__(self, backend):
        self.backend, self.table = backend, {}

    def create(self, request):
        replay = self.backend.idempotency.replay("CreateDataRepositoryAssociation", request)
        if replay:
            return self.show(replay)
        self._check_new(request)
        association = Association(
            next(self.backend.sequence), self.backend.arn_prefix, request, RUNTIME.outcomes.next_association()
        )
        self.table[association.id] = association
        self.backend.tag(association, request.get("Tags"))
        self.backend.idempotency.remember("CreateDataRepositoryAssociation", request, association)
        shown = association.view(self.backend.tags(association), lifecycle="CREATING")
        self.settle(association)
        return shown

    def _check_new(self, request):
        file_system_id = request["FileSystemId"]
        view = self.backend.file_systems.usable(file_system_id, "Data repository associations")
        if view.legacy_repository:
            raise BadRequest(
                f"File system {file_system_id} is linked to a data repository with ImportPath/ExportPath. "
                "Data repository associations cannot be created on it."
            )
        path = request.get("FileSystemPath")
        if not path or not path.startswith("/"):
            raise BadRequest("FileSystemPath is required and must start with a forward slash (/).")
        parts, repository = _parts(path), S3Location(request["DataRepositoryPath"])
        if not S3Store(self.backend.account_id).has_bucket(repository.bucket):
            raise BadRequest(
                f"The S3 bucket {repository.bucket} of data repository path {repository.uri} "
                "does not exist or Amazon FSx cannot access it."
            )
        existing = self.of(file_system_id)
        if len(existing) >= MAX_ASSOCIATIONS:
            raise BadRequest(
                f"File system {file_system_id} already has the maximum of {MAX_ASSOCIATIONS} "
                "data repository associations."
            )
        active = [association for association in existing if association.active]
        if not parts and active:
            raise BadRequest(
                "The file system path / can only be used by the first and only data repository "
                f"association of a file system; {file_system_id} already has {active[0].id}."
            )
        for other in active:
            if _overlap(parts, other.parts):
                raise BadRequest(
                    f"The file system path {path} overlaps with the file system path {other.path} "
                    f"of data repository association {other.id}."
                )
            if repository.overlaps(other.repository):
                raise BadRequest(
                    f"The data repository path {repository.uri} overlaps with the data repository path "
                    f"{other.repository.uri} of data repository association {other.id}."
                )

    def describe(self, request):
        ids = request.get("AssociationIds")
        items = [self.get(i) for i in ids] if ids else sorted(self.table.values(), key=lambda a: a.seq)
        filters = request.get("Filters") or []
        unsupported = {
            value for f in filters if f.get("Name") == "data-repository-type" for value in f.get("Values") or []
        } - {"S3", "NFS"}
        if unsupported:
            raise InvalidDataRepositoryType(f"Data repository type {min(unsupported)} is not supported. Use S3 or NFS.")
        items = _filter(
            items,
            filters,
            {
                "file-system-id": lambda a: {a.file_system_id},
                "data-repository-type": lambda a: {"S3"},
                "file-cache-id": lambda a: set(),
            },
        )  # Amazon File Cache is not emulated
        for association in items:
            association.phase.advance()  # a describe is what moves "manual" transitions on
            self.settle(association)
        gone = [a.id for a in items if a.id not in self.table]  # finished deleting during this describe
        if ids and gone:
            raise DataRepositoryAssociationNotFound(f"Data repository association {gone[0]} does not exist.")
        page, token = _page([a for a in items if a.id not in gone], request)
        return [self.show(a) for a in page], token

    def update(self, request):
        association = self.get(request["AssociationId"])
        if association.lifecycle not in ("AVAILABLE", "MISCONFIGURED"):
            raise BadRequest(
                f"Data repository association {association.id} is {association.lifecycle}; "
                "it can be updated when it is AVAILABLE or MISCONFIGURED."
            )
        if "ImportedFileChunkSize" in request:
            association.chunk_size = request["ImportedFileChunkSize"]
        if "S3" in request:
            association.s3 = dict(association.s3 or {}, **request["S3"])
        # An update re-checks a MISCONFIGURED association: it is MISCONFIGURED again while an injected cause is
        # pending (fsx-outcomes), else AVAILABLE, as AWS recovers it once the cause is fixed.
        end_state, association.end_message = (
            RUNTIME.outcomes.next_association() if association.lifecycle == "MISCONFIGURED" else ("AVAILABLE", None)
        )
        association.phase = Phase(MODEL_ASSOCIATION, "UPDATING", end_state)
        association.lifecycle = "UPDATING"
        shown = self.show(association)
        self.settle(association)
        return shown

    def delete(self, request):
        association = self.get(request["AssociationId"])
        if association.lifecycle != "DELETING":
            association.delete_data = bool(request.get("DeleteDataInFileSystem", False))
            association.phase = Phase(MODEL_ASSOCIATION_DELETE, "DELETING", GONE)
            association.lifecycle = "DELETING"
            self.settle(association)
        return {
            "AssociationId": association.id,
            "Lifecycle": "DELETING",
            "DeleteDataInFileSystem": association.delete_data,
        }

    def show(self, association):
        return association.view(self.backend.tags(association))

    def get(self, association_id):
        association = self.table.get(association_id)
        if association is not None:
            self.settle(association)
        if association_id not in self.table:  # unknown, or it has just finished deleting
            raise DataRepositoryAssociationNotFound(f"Data repository association {association_id} does not exist.")
        return association

    def of(self, file_system_id):
        for association in list(self.table.values()):
            self.settle(association)
        return sorted((a for a in self.table.values() if a.file_system_id == file_system_id), key=lambda a: a.seq)

    def settle(self, association):
        """Catch up with the state manager and do what reaching the new state does."""
        state, previous = association.phase.status, association.lifecycle
        if state == previous:
            return
        association.lifecycle = state
        if state == GONE:
            self.backend.drop(self.table, association)
            if association.delete_data:
                RUNTIME.namespace(association.file_system_id).remove(association.parts)
        elif state == "AVAILABLE":
            association.failure = None
            if association.batch_import and previous == "CREATING":  # only on create, not after an update
                self.materialize(association, association.parts)
        else:
            association.failure = association.end_message

    def materialize(self, association, parts):
        """Write the S3 objects linked to `parts` (at or below the DRA's path) as files."""
        namespace = RUNTIME.namespace(association.file_system_id)
        for target_parts, is_directory, key in _linked_objects(self.backend.account_id, association, parts):
            if is_directory:
                namespace.path(target_parts).mkdir(parents=True, exist_ok=True)
            else:
                S3Store.download(key, namespace.path(target_parts))


class Tasks:
    """CreateDataRepositoryTask and friends: one running task per file system, lifecycles, the work at the end."""

    def __init__(self, backend):
        self.backend, self.table = backend, {}

    def create(self, request):
        replay = self.backend.idempotency.replay("CreateDataRepositoryTask", request)
        if replay:
            return self.show(replay)
        file_system_id = request["FileSystemId"]
        self.backend.file_systems.usable(file_system_id, "Data repository tasks")
        if request["Type"] == "AUTO_RELEASE_DATA":
            raise BadRequest("AUTO_RELEASE_DATA tasks are only supported on Amazon File Cache.")
        running = [task for task in self.of(file_system_id) if task.lifecycle in TASK_RUNNING]
        if running:
            raise DataRepositoryTaskExecuting(
                f"Data repository task {running[0].id} is {running[0].lifecycle} on "
                f"file system {file_system_id}. Wait until it has completed."
            )
        available = [a for a in self.backend.associations.of(file_system_id) if a.lifecycle == "AVAILABLE"]
        if not available:
            raise BadRequest(
                f"File system {file_system_id} is not linked to a data repository: it has no AVAILABLE "
                "data repository association."
            )
        targets = self._targets(request["Type"], request.get("Paths") or [], available)
        task = Task(
            next(self.backend.sequence),
            self.backend.arn_prefix,
            request,
            targets,
            failure=self._report_problem(request["Report"], available),
        )
        self.table[task.id] = task
        timed = None if task.failure else _take(RUNTIME.timed_tasks)
        task.seconds = timed and float(timed["seconds"])
        self.backend.tag(task, request.get("Tags"))
        self.backend.idempotency.remember("CreateDataRepositoryTask", request, task)
        shown = task.view(self.backend.tags(task), lifecycle="PENDING")
        self.settle(task)
        return shown

    @staticmethod
    def _targets(task_type, paths, available):
        """(DRA, file system path parts) for each path; every path must lie inside an AVAILABLE DRA."""
        if not paths:
            return [(association, association.parts) for association in available]
        targets = []
        for path in paths:
            if task_type == "IMPORT_METADATA_FROM_REPOSITORY":  # import paths are S3 paths
                location = S3Location(path)
                owner = next((a for a in available if a.repository.contains(location)), None)
                parts = owner and owner.parts + location.prefix[len(owner.repository.prefix) :]
            else:
                parts = _parts(path)
                if not parts:  # the file system root: everything that is linked
                    targets.extend((association, association.parts) for association in available)
                    continue
                owner = next((a for a in available if _inside(a.parts, parts)), None)
            if owner is None:
                raise BadRequest(
                    f"The path {path} is not inside the file system path or data repository path of an "
                    "AVAILABLE data repository association."
                )
            targets.append((owner, parts))
        return targets

    @staticmethod
    def _report_problem(report, available):
        """Why the task will fail without starting (its report path), or None. Incomplete reports are refused."""
        if not report.get("Enabled"):
            return None
        missing = [name for name in ("Path", "Format", "Scope") if not report.get(name)]
        if missing:
            raise BadRequest(f"Report.{missing[0]} is required when Report.Enabled is true.")
        location = S3Location(report["Path"])
        if any(association.repository.contains(location) for association in available):
            return None
        return (
            f"The report path {report['Path']} is not in a data repository linked to the file system: it must be "
            "inside the data repository path of one of its data repository associations."
        )

    def describe(self, request):
        ids = request.get("TaskIds")
        items = [self.get(i) for i in ids] if ids else sorted(self.table.values(), key=lambda t: t.seq)
        filters = request.get("Filters") or []
        fields = {
            "file-system-id": lambda t: {t.file_system_id},
            "data-repository-association-id": lambda t: t.association_ids,
            "file-cache-id": lambda t: set(),  # Amazon File Cache is not emulated
            "task-lifecycle": lambda t: {t.lifecycle},
        }
        items = _filter(items, [f for f in filters if f.get("Name") != "task-lifecycle"], fields)
        for task in items:
            task.phase.advance()  # a describe is what moves "manual" transitions on
            self.settle(task, observed=True)
        items = _filter(items, [f for f in filters if f.get("Name") == "task-lifecycle"], fields)
        page, token = _page(items, request)
        return [self.show(task) for task in page], token

    def cancel(self, request):
        task = self.get(request["TaskId"])
        if task.lifecycle in TASK_ENDED:
            raise DataRepositoryTaskEnded(f"Data repository task {task.id} has already ended ({task.lifecycle}).")
        if task.lifecycle != "CANCELING":
            task.phase = Phase(MODEL_TASK, "CANCELING", "CANCELED")
            task.lifecycle = "CANCELING"
            task.count(succeeded=0)  # the copy happens at completion, so nothing has been exported
            self.settle(task)
        return {"Lifecycle": "CANCELING", "TaskId": task.id}

    def show(self, task):
        return task.view(self.backend.tags(task))

    def get(self, task_id):
        if task_id not in self.table:
            raise DataRepositoryTaskNotFound(f"Data repository task {task_id} does not exist.")
        self.settle(self.table[task_id])
        return self.table[task_id]

    def of(self, file_system_id):
        tasks = [task for task in self.table.values() if task.file_system_id == file_system_id]
        for task in tasks:
            self.settle(task)
        return tasks

    def settle(self, task, observed=False):
        """Catch up with the state manager; the work runs when the task leaves EXECUTING."""
        if task.lifecycle in TASK_ENDED:
            return
        if task.seconds is not None:
            self.settle_timed(task)
            return
        state = task.phase.status
        if state == task.lifecycle:
            if state == "EXECUTING" and observed:  # show progress while it runs
                step = max(1, task.total // 10)
                task.count(succeeded=min(task.succeeded + step, max(task.total - 1, 0)))
            return
        if state in ("EXECUTING", COMPLETING) and task.start_time is None:
            task.start_time = _now()
            task.count(total=len(TaskWork.make(self.backend, task).items()))
        if state == COMPLETING:
            state = TaskWork.make(self.backend, task).run()
        if state in TASK_ENDED:
            task.end_time = _now()
            task.count()
        task.lifecycle = state

    def settle_timed(self, task):
        """A timed task: EXECUTING from its creation for ``task.seconds``, its counts and LastUpdatedTime advancing
        evenly; its work runs (and it ends) on the first look at or after the end."""
        if task.start_time is None:
            task.start_time, task.lifecycle = task.creation_time, "EXECUTING"
            task.count(total=len(TaskWork.make(self.backend, task).items()))
        elapsed = (_now() - task.start_time).total_seconds()
        if elapsed >= task.seconds:
            task.lifecycle = TaskWork.make(self.backend, task).run()
            task.end_time = _now()
            return
        done = int(task.total * elapsed / task.seconds)
        if done != task.succeeded:
            task.count(succeeded=done)
            task.updated = task.start_time + timedelta(seconds=task.seconds * done / task.total)


# --- what tasks do -------------------------------------------------------------------------------------------------
def _linked_objects(account_id, association, parts):
    """(file system parts, is a directory marker, FakeKey) for the DRA's S3 objects that map at or below `parts`."""
    below = parts[len(association.parts) :]
    for relative, is_directory, key in S3Store(account_id).objects(association.repository):
        if _inside(below, relative):
            yield association.parts + relative, is_directory, key


class TaskWork:
    """One task type's work: items() lists what it would process, process() does it and returns the failures."""

    report_name = "failures.csv"

    def __init__(self, backend, task):
        self.backend, self.task = backend, task
        self.namespace = RUNTIME.namespace(task.file_system_id)
        self.store = S3Store(backend.account_id)

    @staticmethod
    def make(backend, task):
        kinds = {
            "EXPORT_TO_REPOSITORY": ExportWork,
            "IMPORT_METADATA_FROM_REPOSITORY": ImportWork,
            "RELEASE_DATA_FROM_FILESYSTEM": ReleaseWork,
        }
        return kinds[task.type](backend, task)

    def items(self):
        """(DRA, file parts) for every file under the task's paths, each once."""
        owners = {}
        for association, parts in self.task.targets:
            for file_parts in self.namespace.files(parts):
                owners.setdefault(file_parts, association)
        return [(association, parts) for parts, association in owners.items()]

    def process(self, items):
        """[(namespace-relative path, error code)] for the items that failed."""
        raise NotImplementedError

    def run(self):
        """Do the work; returns the task's end state."""
        items = self.items()
        failures = self.process(items)
        self.task.count(total=len(items), succeeded=len(items) - len(failures), failed=len(failures))
        self._write_report(failures)
        if not failures:
            return "SUCCEEDED"
        where = " See the task completion report." if self.task.report.get("Enabled") else ""
        self.task.failure = f"The task failed to process {len(failures)} of {len(items)} files.{where}"
        return "FAILED"

    def _write_report(self, failures):
        """REPORT_CSV_20191124, scope FAILED_FILES_ONLY: rows FilePath,FileStatus,ErrorCode, RFC 4180 quoting."""
        if not self.task.report.get("Enabled"):
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for path, error_code in failures:
            writer.writerow([f'"{path}"' if path[:1] in "@+-=" else path, "failed", error_code])
        location = S3Location(self.task.report["Path"])
        name = location.key((self.task.id, self.report_name))  # {Path}/task-{id}/failures.csv
        self.store.put_bytes(location.bucket, name, buffer.getvalue().encode())


class ExportWork(TaskWork):
    """Copies each file to its DRA's S3 prefix, at the same path relative to the DRA's file system path."""

    def process(self, items):
        error_for, charge = RUNTIME.outcomes.export_failures()
        failures = []
        for association, parts in items:
            relative = "/".join(parts)
            error_code = error_for(relative)
            if error_code:
                failures.append((relative, error_code))
                continue
            source = self.namespace.path(parts)
            key = association.repository.key(parts[len(association.parts) :])
            self.store.upload(association.repository.bucket, key, source, _export_metadata(source))
        charge()
        return failures


class ImportWork(TaskWork):
    """Materializes the linked S3 objects below the task's paths as files."""

    report_name = "report.csv"

    def items(self):
        return [
            (target_parts, key)
            for association, parts in self.task.targets
            for target_parts, is_directory, key in _linked_objects(self.backend.account_id, association, parts)
            if not is_directory
        ]

    def process(self, items):
        for target_parts, key in items:
            S3Store.download(key, self.namespace.path(target_parts))
        return []


class ReleaseWork(TaskWork):
    """Releasing only frees Lustre space; the sandbox's files stay readable, so there is nothing to change."""

    def process(self, items):
        return []


fsx_extension_backends = BackendDict(FsxExtensionBackend, "fsx")


# --- the API -------------------------------------------------------------------------------------------------------
def _serialized(method):
    @functools.wraps(method)
    def locked(self):
        with _LOCK:
            return method(self)

    return locked


def _extension_action(collection, operation, key=None):
    """A response action answering with the extension's ``<collection>.<operation>(request)``, under ``key`` if given."""

    @_serialized
    def action(self):
        result = getattr(getattr(self.extension, collection), operation)(self._request())
        return ActionResult(result if key is None else {key: result})

    return action


def _extension_page(collection, key):
    """A Describe response action: one page of the extension's ``<collection>.describe(request)`` under ``key``."""

    @_serialized
    def action(self):
        items, token = getattr(self.extension, collection).describe(self._request())
        return ActionResult({key: items, "NextToken": token})

    return action


class FsxResponse(FSxResponse):
    """moto's FSx responses plus DRAs and tasks, and file systems shown the way AWS shows them."""

    @property
    def extension(self):
        return fsx_extension_backends[self.current_account][self.region]

    def _request(self):
        return json.loads(self.body or "{}")

    @_serialized
    def create_file_system(self):
        created = json.loads(super().create_file_system())["FileSystem"]
        file_system = self.extension.file_systems.adopt(created["FileSystemId"])
        return json.dumps({"FileSystem": self.extension.file_systems.show(file_system.to_dict())})

    @_serialized
    def describe_file_systems(self):
        missing = [i for i in self._request().get("FileSystemIds") or [] if i not in self.fsx_backend.file_systems]
        if missing:
            raise FileSystemNotFound(f"File system '{missing[0]}' does not exist.")
        answer = json.loads(super().describe_file_systems())
        answer["FileSystems"] = [self.extension.file_systems.show(shown) for shown in answer["FileSystems"]]
        if not answer.get("NextToken"):
            answer.pop("NextToken", None)
        return json.dumps(answer)

    @_serialized
    def delete_file_system(self):
        return self.extension.delete_file_system(self._request().get("FileSystemId"), super().delete_file_system)

    # The association and task actions hand the request to the extension and answer with what it returns.
    create_data_repository_association = _extension_action("associations", "create", "Association")
    describe_data_repository_associations = _extension_page("associations", "Associations")
    update_data_repository_association = _extension_action("associations", "update", "Association")
    delete_data_repository_association = _extension_action("associations", "delete")
    create_data_repository_task = _extension_action("tasks", "create", "DataRepositoryTask")
    describe_data_repository_tasks = _extension_page("tasks", "DataRepositoryTasks")
    cancel_data_repository_task = _extension_action("tasks", "cancel")


# --- control routes ------------------------------------------------------------------------------------------------
def _file_system_views():
    """(file system id, extension backend) for every file system in every account and region."""
    for account_id, regions in list(fsx_backends.items()):
        for region, backend in list(regions.items()):
            for file_system_id in list(backend.file_systems):
                yield file_system_id, fsx_extension_backends[account_id][region]


def control_file_system(method, payload):
    with _LOCK:
        if method == "GET":
            return 200, [
                {"file_system_id": fs_id, "lifecycle": extension.file_systems.view(fs_id).lifecycle}
                for fs_id, extension in _file_system_views()
            ]
        if method != "POST":
            return 405, {"error": "use GET or POST"}
        if payload.get("lifecycle") not in FILE_SYSTEM_LIFECYCLES:
            raise ValueError(f"lifecycle must be one of {', '.join(FILE_SYSTEM_LIFECYCLES)}")
        for fs_id, extension in _file_system_views():
            if fs_id == payload["file_system_id"]:
                view = extension.file_systems.view(fs_id)
                view.lifecycle, view.failure = payload["lifecycle"], payload.get("message")
                return 200, {"file_system_id": fs_id, "lifecycle": view.lifecycle, "message": view.failure}
        return 404, {"error": f"no file system {payload['file_system_id']}"}


def control_outcomes(method, payload):
    with _LOCK:
        if method == "POST":
            RUNTIME.outcomes.add(payload)
        elif method == "DELETE":
            RUNTIME.outcomes.clear()
        return 200, RUNTIME.outcomes.snapshot()


def control_task_timing(method, payload):
    with _LOCK:
        if method == "POST":
            if "advance" in payload:
                RUNTIME.clock_offset += float(payload["advance"])
            if "seconds" in payload:
                if float(payload["seconds"]) <= 0:
                    raise ValueError("seconds must be positive")
                RUNTIME.timed_tasks.append({"seconds": payload["seconds"], "count": int(payload.get("count", 1))})
            if "advance" not in payload and "seconds" not in payload:
                raise ValueError("give seconds (the next tasks' duration) or advance (seconds to move the clock on)")
        elif method == "DELETE":
            _clear_task_timing()
        return 200, {"timed_tasks": list(RUNTIME.timed_tasks), "clock_offset": RUNTIME.clock_offset}


def _clear_task_timing():
    RUNTIME.timed_tasks.clear()
    RUNTIME.clock_offset = 0.0


def _register_default_transitions():
    for model in MODELS:
        state_manager.unset_transition(model)
        state_manager.register_default_transition(model, transition={"progression": "immediate"})


def _on_reset():
    with _LOCK:
        _register_default_transitions()
        RUNTIME.outcomes.clear()
        _clear_task_timing()


def install(state):
    """Route moto's FSx to FsxResponse and register models and control routes. Idempotent.

    Must run before the server builds its FSx app (on the first FSx request), as server.install_extensions() does.
    """
    RUNTIME.state = state
    fsx_urls.url_paths[URL_PATH] = FsxResponse.dispatch
    _register_default_transitions()
    state.add_control("fsx-filesystem", control_file_system)
    state.add_control("fsx-outcomes", control_outcomes)
    state.add_control("fsx-task-timing", control_task_timing)
    if _on_reset not in state.reset_hooks:
        state.on_reset(_on_reset)
