# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Attach and detach one data repository association: the options of ``fsx_dra`` checked before any AWS call, and
the manager that brings the association to the wanted state with the association calls, the association rules and
the one wait loop. The module keeps only its argument spec, ``ensure_present``/``ensure_absent`` and ``main``."""

import datetime
import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import paths
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import s3_prefix
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import association_rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import rules
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx import waits
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import CREATE_TOKEN_PURPOSE
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import create_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import delete_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import describe_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import describe_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import filter_associations
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import tag_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import untag_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.associations import update_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.common import normalize_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.errors import AnsibleFSxError
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.file_systems import describe_file_system
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.file_systems import (
    find_file_system_by_cluster,
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import DRA_BROKEN_LIFECYCLES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import (
    DRA_TRANSITIONAL_LIFECYCLES,
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import (
    TASK_ATTACHABLE_LIFECYCLES,
)
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import TASK_TERMINAL_LIFECYCLES
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.lifecycles import is_active_association
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import create_task
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import describe_task
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import describe_tasks
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._fsx.tasks import import_request
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils.modules import module_retry

# Each re-attach within AWS's idempotency window adds one replayed association to skip; more means something is wrong.
MAX_CREATE_TOKENS = 10
MAX_CHUNK_SIZE = 512000
_FILE_SYSTEM_ID_RE = re.compile(r"fs-[0-9a-f]{8,}")
_ASSOCIATION_ID_RE = re.compile(r"dra-[0-9a-f]{8,}")
# The listing import a recovered association still owes, durable on the association itself: set (to the time it was
# set) before the recovery's update, removed only once the import task SUCCEEDED. The import task carries it too.
IMPORT_PENDING_TAG = "daylily:import-pending"
IMPORT_TASK_TYPE = "IMPORT_METADATA_FROM_REPOSITORY"


def import_pending_since(association):
    """When the association's listing import was found owed (its IMPORT_PENDING_TAG), or None."""
    return association_rules.tag_dict(association.get("Tags")).get(IMPORT_PENDING_TAG)


def without_import_marker(association):
    """The association as the module manages it: its tags without IMPORT_PENDING_TAG."""
    tags = [tag for tag in association.get("Tags") or [] if tag["Key"] != IMPORT_PENDING_TAG]
    return dict(association, Tags=tags)


# --------------------------------------------------------------------------------------------------------------
# options
# --------------------------------------------------------------------------------------------------------------


def writeback_refusal(file_system_path, auto_export_events, allow_writeback, names):
    """Why automatic export may not be turned on at ``file_system_path`` without the admin switch, else None."""
    root = rules.read_only_root(file_system_path)
    if not auto_export_events or allow_writeback or not root:
        return None
    return (
        f"Refusing automatic export ({names('auto_export_events')}) on {file_system_path}: it lies in "
        f"{rules.describe_read_only_root(root)}, whose associations link source data that FSx never writes back. "
        f"Writeback there needs the writeback guard: {names('allow_writeback')}=true and an "
        f"{s3_prefix.WRITEBACK_MARKER} marker object at the S3 prefix or a parent prefix"
    )


def read_association_params(params, names=lambda option: option):
    """Validate and normalise the options before any AWS call; raises ValueError with a message saying what to do.

    ``names`` says how a message names an option (``DaylilyAWSModule.option_name``)."""
    want = dict(params)
    present = params["state"] == "present"
    if params["file_system_id"] is not None and not _FILE_SYSTEM_ID_RE.fullmatch(params["file_system_id"]):
        raise ValueError(
            f"file_system_id {params['file_system_id']!r} is not a file system ID such as fs-0123456789abcdef0"
        )
    if params["association_id"] is not None and not _ASSOCIATION_ID_RE.fullmatch(params["association_id"]):
        raise ValueError(
            f"association_id {params['association_id']!r} is not an association ID such as dra-0123456789abcdef0"
        )
    if params["file_system_path"] is not None:
        if not (params["file_system_id"] or params["cluster_name"]):
            raise ValueError("file_system_path needs file_system_id or cluster_name to say which file system it is on")
        want["file_system_path"] = rules.api_path(params["file_system_path"], mount_point=params["mount_point"])
    if params["data_repository_path"] is not None:
        want["data_repository_path"] = paths.normalize_s3_uri(
            params["data_repository_path"], field="data_repository_path"
        )
    elif present and params["association_id"] is None:
        raise ValueError(
            "state=present with file_system_path needs data_repository_path, the S3 prefix to link "
            "(e.g. s3://bucket/prefix/)"
        )
    for key in ("auto_import_events", "auto_export_events"):
        want[key] = association_rules.normalize_events(params[key])
    chunk = params["imported_file_chunk_size"]
    if chunk is not None and not 1 <= chunk <= MAX_CHUNK_SIZE:
        raise ValueError(f"imported_file_chunk_size must be between 1 and {MAX_CHUNK_SIZE} MiB, not {chunk}")
    refusal = want["file_system_path"] and writeback_refusal(
        want["file_system_path"], want["auto_export_events"], params["allow_writeback"], names
    )
    if refusal:
        raise ValueError(refusal)
    if params["tags"] is not None:
        reserved = sorted(key for key in params["tags"] if str(key).startswith("aws:"))
        if reserved:
            raise ValueError(
                f"tag keys starting with 'aws:' are reserved by AWS and cannot be set: {', '.join(reserved)}"
            )
        if IMPORT_PENDING_TAG in params["tags"]:
            raise ValueError(
                f"the tag key {IMPORT_PENDING_TAG} is the module's own record of a listing import still to run; "
                f"leave it out of {names('tags')}"
            )
        want["tags"] = {str(key): "" if value is None else str(value) for key, value in params["tags"].items()}
    if params["wait_timeout"] < 0:
        raise ValueError("wait_timeout must be zero or positive (seconds)")
    if params["poll_interval"] <= 0:
        raise ValueError("poll_interval must be positive (seconds)")
    if params["delete_data_in_file_system"]:
        if not params["confirm_delete_data_in_file_system"]:
            raise ValueError(
                "delete_data_in_file_system=true deletes the association's files from the file system; "
                "set confirm_delete_data_in_file_system=true as well if that is really wanted"
            )
        refusal = want["file_system_path"] and association_rules.delete_data_refusal(want["file_system_path"])
        if refusal:
            raise ValueError(f"delete_data_in_file_system=true is refused: {refusal}")
    return want


# --------------------------------------------------------------------------------------------------------------
# the resource
# --------------------------------------------------------------------------------------------------------------


class AssociationManager:
    """Brings one association to the desired state. ``changed`` is True once a mutating call has been made."""

    def __init__(self, module, client, want, sleep=None, clock=None, s3_client=None):
        self.module = module
        self.client = client
        self.want = want
        self._s3_client = s3_client  # made on first use: most runs never ask S3 anything
        self.sleep = sleep  # None: the wait loop's own (time.sleep, time.monotonic)
        self.clock = clock
        self.changed = False
        self.check_mode = False
        self.file_system_id = want["file_system_id"]
        self.file_system = None
        self.listing_import = None  # what a run did (or would do) about an owed listing import
        self.association = None

    # --- helpers ------------------------------------------------------------------------------------------------

    def error(self, message, association=None, **extra):
        return AnsibleFSxError(
            message=message, association=normalize_association(association) if association else {}, **extra
        )

    def result(self, association, before, after, **extra):
        would_change = extra.pop("would_change", False)
        self.association = association  # raw, for a caller that goes on with it (_fsx.temporary_export)
        owed = self.check_mode and bool(self.listing_import)
        result = dict(
            changed=self.changed or would_change or owed,
            created=extra.pop("created", False),
            association=normalize_association(association) if association else {},
            **extra,
        )
        if self.listing_import:
            result["listing_import"] = self.listing_import
        if self.file_system_id:
            result["file_system_id"] = self.file_system_id
        if self.module._diff:  # pylint: disable=protected-access
            result["diff"] = {"before": before, "after": after}
        return result

    def s3(self):
        if self._s3_client is None:
            self._s3_client = self.module.client("s3", retry_decorator=module_retry(self.module))
        return self._s3_client

    def name(self, option):
        return self.module.option_name(option)

    def check_source(self, association_id, file_system_path, data_repository_path, auto_export_events):
        """Before linking: the writeback guard for automatic export, and (``require_objects``) a prefix with objects."""
        refusal = writeback_refusal(file_system_path, auto_export_events, self.want["allow_writeback"], self.name)
        if refusal:
            raise self.error(refusal)
        if auto_export_events and self.want["allow_writeback"]:
            if not s3_prefix.find_writeback_marker(self.s3(), data_repository_path):
                raise self.error(
                    f"Refusing automatic export on {file_system_path}"
                    f"{' (' + association_id + ')' if association_id else ''}: "
                    f"{s3_prefix.missing_marker_message(data_repository_path)}"
                )
        if self.want["require_objects"] and association_id is None:
            if not s3_prefix.holds_objects(self.s3(), data_repository_path):
                raise self.error(
                    f"{data_repository_path} holds no objects: check the S3 URI for a typo, or upload the data first. "
                    f"Nothing was attached to {file_system_path}"
                )

    def resolve_file_system(self):
        if self.want["cluster_name"]:
            self.file_system = find_file_system_by_cluster(
                self.client, self.want["cluster_name"], names=self.want["option_names"]
            )
            self.file_system_id = self.file_system["FileSystemId"]
        return self.file_system_id

    def by_id(self):
        """The association named by association_id (None when unknown), checked against file_system_id/cluster_name."""
        association = describe_association(self.client, self.want["association_id"])
        wanted_fs = self.resolve_file_system() if (self.want["file_system_id"] or self.want["cluster_name"]) else None
        if association is None:
            return None
        if wanted_fs and association["FileSystemId"] != wanted_fs:
            raise self.error(
                f"Association {self.want['association_id']} belongs to file system {association['FileSystemId']}, "
                f"not {wanted_fs}: check association_id and file_system_id/cluster_name",
                association,
            )
        self.file_system_id = association["FileSystemId"]
        return association

    def check_prefix(self, association):
        wanted = self.want["data_repository_path"]
        if wanted and association_rules.comparable_s3(association.get("DataRepositoryPath")) != wanted:
            raise self.error(
                f"The path {association.get('FileSystemPath')} of file system {association['FileSystemId']} is already linked to "
                f"another S3 prefix by association {association_rules.describe(association)}, not to {wanted}. It is never replaced "
                f"silently: detach it first ({self.name('state')}=absent) or choose another {self.name('file_system_path')}",
                association,
            )

    def broken(self, association):
        lifecycle = association.get("Lifecycle")
        remove = (
            f"remove it with {self.name('state')}=absent and association_id={association['AssociationId']} (files stay in the file "
            "system and in S3) and re-run"
        )
        if lifecycle == "MISCONFIGURED":  # AWS recovers it once the cause is fixed
            remove = (
                f"Fix the cause (usually the S3 bucket policy, KMS key or event notifications) and re-run, or {remove}"
            )
        else:
            remove = remove[0].upper() + remove[1:]
        return self.error(
            f"Data repository association {association['AssociationId']} (path {association.get('FileSystemPath')}, prefix "
            f"{association.get('DataRepositoryPath')}) is {lifecycle}: {association_rules.failure_message(association)}. {remove}",
            association,
        )

    # --- waits --------------------------------------------------------------------------------------------------

    def deadline(self):
        return waits.Deadline(self.want["wait_timeout"], self.want["poll_interval"], sleep=self.sleep, clock=self.clock)

    def wait_available(self, association):
        """Poll until AVAILABLE; FAILED/MISCONFIGURED, disappearance and timeout raise (the association is kept)."""

        def settled(current):
            lifecycle = current.get("Lifecycle")
            if lifecycle in DRA_BROKEN_LIFECYCLES:
                raise self.broken(current)
            if lifecycle != "AVAILABLE" and lifecycle not in DRA_TRANSITIONAL_LIFECYCLES:
                raise self.error(
                    f"Data repository association {current['AssociationId']} is {lifecycle} and will not become "
                    "AVAILABLE: wait until it is gone and re-run",
                    current,
                )
            return lifecycle == "AVAILABLE"

        def refresh(current):
            latest = describe_association(self.client, current["AssociationId"])
            if latest is None:
                raise self.error(
                    f"Data repository association {current['AssociationId']} disappeared while it was "
                    f"{current.get('Lifecycle')}: someone deleted it; re-run to create it again",
                    current,
                )
            return latest

        def timed_out(current):
            return self.error(
                f"Timed out after {self.want['wait_timeout']} s waiting for data repository association "
                f"{current['AssociationId']} to become AVAILABLE; its last lifecycle was {current.get('Lifecycle')}. The "
                f"association is kept: re-run the task to keep waiting, or raise {self.name('wait_timeout')}",
                current,
            )

        return waits.wait_until(association, settled, refresh, self.deadline(), timed_out)

    def wait_deleted(self, association):
        """Poll until AWS answers DataRepositoryAssociationNotFound (= deleted); timeout raises."""

        def timed_out(current):
            details = (current.get("FailureDetails") or {}).get("Message")
            details = f" ({details})" if details else ""
            return self.error(
                f"Timed out after {self.want['wait_timeout']} s waiting for data repository association "
                f"{current['AssociationId']} to be deleted; its last lifecycle was {current.get('Lifecycle')}"
                f"{details}. The deletion goes on in AWS: re-run the task to keep waiting, "
                f"or raise {self.name('wait_timeout')}",
                current,
            )

        deadline = self.deadline()
        waits.wait_until(
            describe_association(self.client, association["AssociationId"]),
            lambda current: current is None,
            lambda current: describe_association(self.client, current["AssociationId"]),
            deadline,
            timed_out,
        )
        return "DELETED"

    # --- present ------------------------------------------------------------------------------------------------

    def present(self, check_mode, associations=None):
        """``associations``: every association of the file system, as the caller described them moments ago, used
        instead of describing them again (by file_system_path only)."""
        self.check_mode = check_mode
        if self.want["association_id"]:
            current = self.by_id()
            if current is None:
                raise self.error(
                    f"Data repository association {self.want['association_id']} does not exist. To create one, give "
                    "file_system_id or cluster_name, file_system_path and data_repository_path instead of association_id"
                )
            if not is_active_association(current) and current.get("Lifecycle") != "FAILED":
                raise self.error(
                    f"Data repository association {current['AssociationId']} is {current.get('Lifecycle')}: "
                    "it is being removed and cannot be updated",
                    current,
                )
            self.check_prefix(current)
            return self.existing(current)

        self.resolve_file_system()
        if associations is None:
            associations = describe_associations(self.client, file_system_id=self.file_system_id)
        at_path = filter_associations(associations, file_system_path=self.want["file_system_path"])
        active = [association for association in at_path if is_active_association(association)]
        if active:
            self.check_prefix(active[0])
            return self.existing(active[0])
        failed = [association for association in at_path if association.get("Lifecycle") == "FAILED"]
        if failed:
            raise self.broken(failed[-1])
        return self.create(associations)

    def existing(self, current):
        if current.get("Lifecycle") in DRA_TRANSITIONAL_LIFECYCLES and self.want["wait"]:
            current = self.wait_available(current)
        if current.get("Lifecycle") == "MISCONFIGURED" and not self.check_mode and self.want["wait"]:
            current = self.recheck(current)
        if current.get("Lifecycle") in DRA_BROKEN_LIFECYCLES:
            raise self.broken(current)
        if import_pending_since(current) and current.get("Lifecycle") == "AVAILABLE":
            current = self.finish_import(current)
        managed = without_import_marker(current)  # the marker is never compared, purged or diffed as a wanted tag

        update = association_rules.build_update_request(
            current,
            self.want["imported_file_chunk_size"],
            self.want["auto_import_events"],
            self.want["auto_export_events"],
        )
        current_tags = association_rules.tag_dict(managed.get("Tags"))
        to_set, to_unset = {}, []
        if self.want["tags"] is not None:
            to_set, to_unset = compare_aws_tags(current_tags, self.want["tags"], self.want["purge_tags"])
        after_tags = dict({key: value for key, value in current_tags.items() if key not in to_unset}, **to_set)

        before = association_rules.summarize(managed)
        after = association_rules.desired_summary(
            before,
            imported_file_chunk_size=self.want["imported_file_chunk_size"],
            auto_import_events=self.want["auto_import_events"],
            auto_export_events=self.want["auto_export_events"],
            tags=after_tags,
        )
        if not (update or to_set or to_unset):
            return self.result(current, before, after)
        if update and current.get("Lifecycle") != "AVAILABLE":
            raise self.error(
                f"Data repository association {current['AssociationId']} is {current.get('Lifecycle')}; AWS "
                f"updates only AVAILABLE associations: re-run with {self.name('wait')}=true, or later",
                current,
            )
        if after["auto_export_events"] and not before["auto_export_events"]:
            self.check_source(
                current["AssociationId"],
                before["file_system_path"],
                before["data_repository_path"],
                after["auto_export_events"],
            )
        if self.check_mode:
            return self.result(current, before, after, would_change=True)

        arn = current["ResourceARN"]
        if to_unset:
            untag_association(self.client, arn, to_unset)
            self.changed = True
        if to_set:
            tag_association(self.client, arn, to_set)
            self.changed = True
        if update:
            # No explicit token: an update sets values, so repeating it is harmless, and a token derived from the
            # values would make AWS replay an older update when the same change is made twice.
            update_association(self.client, update)
            self.changed = True
        latest = describe_association(self.client, current["AssociationId"]) or current
        if update and self.want["wait"]:
            latest = self.wait_available(latest)
        elif latest.get("Lifecycle") in DRA_BROKEN_LIFECYCLES:
            raise self.broken(latest)
        return self.result(latest, before, after)

    def recheck(self, current):
        """AWS re-checks a MISCONFIGURED association when it is updated (it would by itself within 15 minutes once
        the cause is fixed): one update with its own settings, then the wait, so a re-run converges; while the cause
        persists the wait raises broken() and the association is kept.

        With batch import, the listing import a recovery owes (see finish_import) is first recorded on the association
        (IMPORT_PENDING_TAG), so a run killed after the update and before the import leaves it for the re-run."""
        if self.want["batch_import_meta_data_on_create"] and not import_pending_since(current):
            since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            tag_association(self.client, current["ResourceARN"], {IMPORT_PENDING_TAG: since})
            self.changed = True
        update_association(self.client, {"AssociationId": current["AssociationId"]})
        self.changed = True
        return self.wait_available(describe_association(self.client, current["AssociationId"]) or current)

    def finish_import(self, association):
        """The batch import of a create runs when the association first becomes AVAILABLE: one created while its
        cause made it MISCONFIGURED never imported, and the recovery does not import either. One import task on its
        prefix does, waited for, so the mount shows its files; then IMPORT_PENDING_TAG is removed.

        The task carries the tag's value, so a task an interrupted run created for the same marker is found instead
        of a second import: a PENDING/EXECUTING one is waited for, a SUCCEEDED one only leaves the tag to remove; a
        FAILED or CANCELED one is replaced. A failure keeps the tag, so a re-run imports again. Check mode only reads
        and says in ``listing_import`` what a run would do. Returns the association as it is afterwards."""
        since = import_pending_since(association)
        prefix = association["DataRepositoryPath"]
        task = self.import_task_of(association, since)
        action = "import" if task is None else ("finish" if task.get("Lifecycle") == "SUCCEEDED" else "wait")
        self.listing_import = dict(action=action, data_repository_path=prefix, pending_since=since)
        if task is None and not self.check_mode:
            request = import_request(association["FileSystemId"], prefix, tags={IMPORT_PENDING_TAG: since})
            task = create_task(self.client, request)
            self.changed = True
        if task is not None and not self.check_mode and self.want["wait"]:
            task = self.wait_import(association, task)  # at once when it has ended
        if task is not None:
            self.listing_import.update(task_id=task["TaskId"], lifecycle=task.get("Lifecycle"))
        if self.check_mode or task.get("Lifecycle") not in TASK_TERMINAL_LIFECYCLES:
            return association  # the tag stays until a run sees the import SUCCEEDED (wait=false: a later run)
        if task.get("Lifecycle") != "SUCCEEDED":
            raise self.error(
                f"Import task {task['TaskId']} of the listing of {prefix} ended {task.get('Lifecycle')}: "
                f"{(task.get('FailureDetails') or {}).get('Message', 'no reason given')}. Fix the cause and re-run: "
                f"association {association['AssociationId']} keeps its {IMPORT_PENDING_TAG} tag, so the re-run "
                "imports again",
                association,
                listing_import=self.listing_import,
            )
        untag_association(self.client, association["ResourceARN"], [IMPORT_PENDING_TAG])
        self.changed = True
        return without_import_marker(association)

    def import_task_of(self, association, since):
        """The newest import task created for the association's marker ``since`` on its prefix that is running or
        SUCCEEDED, or None."""
        prefix = association_rules.comparable_s3(association["DataRepositoryPath"])
        found = [
            task
            for task in describe_tasks(self.client, file_system_id=association["FileSystemId"])
            if task.get("Type") == IMPORT_TASK_TYPE
            and association_rules.tag_dict(task.get("Tags")).get(IMPORT_PENDING_TAG) == since
            and [association_rules.comparable_s3(path) for path in task.get("Paths") or []] == [prefix]
            and task.get("Lifecycle") in TASK_ATTACHABLE_LIFECYCLES + ("SUCCEEDED",)
        ]
        return max(found, key=lambda task: task["CreationTime"]) if found else None

    def wait_import(self, association, task):
        """Poll the import task until it ends; a timeout raises (the association keeps its marker)."""

        def timed_out(current):
            return self.error(
                f"Timed out after {self.want['wait_timeout']} s waiting for import task {current['TaskId']} of "
                f"association {association['AssociationId']}; re-run later (the re-run waits for the same task), or "
                f"raise {self.name('wait_timeout')}",
                association,
                listing_import=dict(self.listing_import, task_id=current["TaskId"], lifecycle=current.get("Lifecycle")),
            )

        return waits.wait_until(
            task,
            lambda current: current.get("Lifecycle") in TASK_TERMINAL_LIFECYCLES,
            lambda current: describe_task(self.client, current["TaskId"]) or current,
            self.deadline(),
            timed_out,
        )

    def create(self, associations):
        path, prefix = self.want["file_system_path"], self.want["data_repository_path"]
        file_system = self.file_system or describe_file_system(self.client, self.file_system_id)
        problems = association_rules.file_system_problems(file_system)
        if problems:
            raise self.error(
                f"Refusing to create a data repository association on file system {self.file_system_id}: "
                f"{'; '.join(problems)}. Data repository associations need an AVAILABLE FSx for Lustre file system that is "
                "not SCRATCH_1 and not linked with ImportPath/ExportPath; use or create such a file system"
            )
        conflicts = association_rules.find_conflicting_associations(path, prefix, associations)
        if conflicts:
            described = "; ".join(
                f"{association_rules.describe(other)}: {', '.join(association_rules.association_conflict_reasons(path, prefix, other))}"
                for other in conflicts
            )
            raise self.error(
                f"Refusing to link {path} to {prefix} on file system {self.file_system_id}: it overlaps active association(s) "
                f"{described}. Detach the overlapping association(s) with {self.name('state')}=absent, or choose a path and prefix that "
                "overlap none",
                conflicting_associations=[normalize_association(other) for other in conflicts],
            )
        capacity = association_rules.association_capacity(associations)
        if not capacity.ok:
            raise self.error(
                f"Refusing to create a data repository association on file system {self.file_system_id}: {capacity.error}"
            )
        if capacity.warning:
            self.module.warn(f"File system {self.file_system_id}: {capacity.warning}")

        self.check_source(None, path, prefix, self.want["auto_export_events"])

        request = association_rules.build_create_request(
            self.file_system_id,
            path,
            prefix,
            self.want["batch_import_meta_data_on_create"],
            self.want["imported_file_chunk_size"],
            self.want["auto_import_events"],
            self.want["auto_export_events"],
            self.want["tags"],
        )
        after = association_rules.desired_summary(
            {},
            path,
            prefix,
            self.want["imported_file_chunk_size"],
            self.want["auto_import_events"],
            self.want["auto_export_events"],
            self.want["tags"],
        )
        if self.check_mode:
            return self.result(None, {}, after, would_change=True)

        created = self.send_create(request, {association["AssociationId"] for association in associations})
        if self.want["wait"]:
            created = self.wait_available(created)
        elif created.get("Lifecycle") in DRA_BROKEN_LIFECYCLES:
            raise self.broken(created)
        return self.result(created, {}, after, created=True)

    def send_create(self, request, known_ids):
        """CreateDataRepositoryAssociation with a token derived from (file system, path, prefix); the new association.

        AWS answers a reused token with the association it created first. When that association is one we already
        saw (FAILED, DELETING) or no longer exists, the path was attached and detached before: derive the next token
        from that association's ID, which is as deterministic for a re-run as the first token.
        """
        inputs = association_rules.create_token_inputs(
            self.file_system_id, request["FileSystemPath"], request["DataRepositoryPath"]
        )
        replayed = []
        for _attempt in range(MAX_CREATE_TOKENS):
            try:
                answer = create_association(
                    self.client,
                    dict(request, ClientRequestToken=paths.client_request_token(CREATE_TOKEN_PURPOSE, inputs)),
                )
            except AnsibleFSxError as e:
                if e.code != "IncompatibleParameterError" or "request" in inputs:
                    raise
                # The token was first used with other settings (an earlier attach of this path): include them.
                inputs = dict(
                    inputs, request={key: value for key, value in request.items() if key != "ClientRequestToken"}
                )
                continue
            association_id = answer["AssociationId"]
            latest = None if association_id in known_ids else describe_association(self.client, association_id)
            if latest is not None:
                self.changed = True
                return latest
            replayed.append(association_id)
            inputs = dict(inputs, replaces=association_id)
        raise self.error(
            f"CreateDataRepositoryAssociation kept answering with earlier associations that are gone ({', '.join(replayed)}); "
            f"wait until AWS forgets their request tokens (hours) and re-run"
        )

    # --- absent -------------------------------------------------------------------------------------------------

    def absent(self, check_mode):
        self.check_mode = check_mode
        if self.want["association_id"]:
            current = self.by_id()
            targets = [current] if current else []
        else:
            self.resolve_file_system()
            associations = describe_associations(self.client, file_system_id=self.file_system_id)
            targets = filter_associations(associations, file_system_path=self.want["file_system_path"])
        return self.detach(targets)

    def detach(self, targets):
        """Detach the raw associations ``targets`` (found by the caller), waiting until they are gone."""
        if not targets:
            return self.result(None, {}, {}, detach_lifecycle="NOT_FOUND")

        active = [association for association in targets if is_active_association(association)]
        primary = (active or targets)[-1]
        for association in targets:
            self.check_prefix(association)
            if self.want["delete_data_in_file_system"]:
                refusal = association_rules.delete_data_refusal(association.get("FileSystemPath"))
                if refusal:
                    raise self.error(
                        f"delete_data_in_file_system=true is refused for {association['AssociationId']}: {refusal}",
                        association,
                    )
        pending = [association for association in targets if association.get("Lifecycle") != "DELETING"]
        before = association_rules.summarize(primary)
        if self.check_mode:
            return self.result(
                primary,
                before,
                {},
                would_change=bool(pending),
                detach_lifecycle="DELETED" if self.want["wait"] else "DELETING",
            )
        for association in pending:
            if delete_association(self.client, association["AssociationId"], self.want["delete_data_in_file_system"]):
                self.changed = True
        detach_lifecycle = "DELETING"
        if self.want["wait"]:
            for association in targets:
                detach_lifecycle = self.wait_deleted(association)
        return self.result(primary, before, {}, detach_lifecycle=detach_lifecycle)
