#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: analysis_inventory
short_description: Count, size and optionally checksum the files of an analysis directory
version_added: 0.1.0
description:
  - Walks a directory tree on the host the task runs on (the cluster headnode, where C(/fsx/analysis_results/<entity>/<analysis_id>/)
    lives) and returns its file count, byte total, directory and symlink counts and, optionally, every file with its size
    and SHA-256.
  - The export receipt (M(daylily.ephemeral_cluster.export_receipt)) compares these totals with the objects the FSx export
    wrote to S3; Dewey registration uses the SHA-256 values as evidence.
  - The walk is iterative (no recursion limit) and streams; with O(return_files=false) and O(manifest_path) a tree of
    millions of files never sits in memory.
  - SHA-256 is computed by O(workers) threads with 1 MiB reads.
  - Regular files count in RV(file_count) and RV(total_bytes). Symlinks are listed as symlinks (type V(symlink), the
    size C(lstat) reports and the link target), counted in RV(symlink_count) and never followed unless O(follow_symlinks).
    Sockets, FIFOs and devices are only counted, in RV(special_count). The root directory is not in RV(directory_count).
  - This is not an AWS module and needs no AWS credentials or boto3. It runs on Python 3.9 or later.
  - It only reads the tree. It reports a change only when it writes a different O(manifest_path). Check mode returns the
    same result without writing the manifest.
author:
  - Daylily ephemeral cluster maintainers (!UNKNOWN)
options:
  path:
    description:
      - The directory to inventory, for example V(/fsx/analysis_results/alice/run42).
      - The module fails when it does not exist, is not a directory or any entry below it cannot be read, because an
        incomplete inventory could make an incomplete export look verified.
    type: path
    required: true
  checksum:
    description:
      - Compute the SHA-256 of every regular file (RV(files[].sha256) and the manifest).
      - Reads every byte of the tree; leave it off when only counts are needed.
    type: bool
    default: false
  workers:
    description:
      - Threads hashing files when O(checksum=true). Defaults to the number of CPUs, at most 8.
    type: int
  return_files:
    description:
      - Return every entry in RV(files).
      - Set to V(false) for trees of 100k files and more; only the totals are returned then (use O(manifest_path) for the list).
    type: bool
    default: true
  manifest_path:
    description:
      - Also write every entry as JSON Lines to this file (one C({"path", "size", "type", "sha256"?, "target"?}) object per
        line, sorted by path), streamed while the tree is walked.
      - Missing parent directories are created. The file is replaced atomically, and only when its content changes.
      - It must lie outside O(path).
    type: path
  follow_symlinks:
    description:
      - Follow symlinks. A link to a file is then listed (and hashed) as that file and a link to a directory is walked,
        each directory once (link loops are cut). Dangling links are still listed as symlinks.
      - By default symlinks are listed as symlinks and never followed, which is how FSx for Lustre exports them.
    type: bool
    default: false
notes:
  - Run it where the files are, usually the headnode through the C(daylily.ephemeral_cluster.ssm) connection.
  - Paths are relative to O(path) and use C(/). Names that are not valid UTF-8 are shown with C(\\xNN) escapes and a warning.
"""

EXAMPLES = r"""
- name: Count the files of an analysis directory on the headnode
  daylily.ephemeral_cluster.analysis_inventory:
    path: /fsx/analysis_results/alice/run42
    return_files: false
  register: fsx_inventory

- name: Checksum every file and keep the list in a manifest instead of the task result
  daylily.ephemeral_cluster.analysis_inventory:
    path: /fsx/analysis_results/alice/run42
    checksum: true
    workers: 8
    return_files: false
    manifest_path: /home/ubuntu/daylily-runs/run42/export/fsx_inventory.jsonl
  register: fsx_inventory

- name: Write the export receipt with the FSx totals
  daylily.ephemeral_cluster.export_receipt:
    receipt: "{{ export_receipt_fields }}"
    fsx_inventory: "{{ fsx_inventory }}"
    output_dir: "{{ playbook_dir }}/receipts/alice/run42"
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: The absolute path of the directory that was walked.
  returned: always
  type: str
  sample: /fsx/analysis_results/alice/run42
file_count:
  description: Number of regular files (symlinks and special files excluded).
  returned: always
  type: int
  sample: 1234
total_bytes:
  description: Sum of the sizes of the regular files.
  returned: always
  type: int
  sample: 987654321
directory_count:
  description: Number of directories below O(path) (O(path) itself excluded).
  returned: always
  type: int
  sample: 17
symlink_count:
  description: Number of symlinks met, followed or not.
  returned: always
  type: int
  sample: 0
special_count:
  description: Number of sockets, FIFOs and device files (counted, not listed).
  returned: always
  type: int
  sample: 0
files:
  description: Every regular file and symlink, sorted by path.
  returned: when O(return_files=true)
  type: list
  elements: dict
  contains:
    path:
      description: Path relative to O(path), with C(/) separators.
      returned: always
      type: str
      sample: results/day/hg38/reports/multiqc.html
    size:
      description: Size in bytes (for a symlink, the length of its target).
      returned: always
      type: int
      sample: 52311
    type:
      description: V(file) or V(symlink).
      returned: always
      type: str
      sample: file
    sha256:
      description: SHA-256 of the file content, 64 hex digits.
      returned: when O(checksum=true) and the entry is a file
      type: str
      sample: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    target:
      description: The symlink's target, as stored in the link.
      returned: when the entry is a symlink
      type: str
      sample: ../shared/config.yaml
manifest_path:
  description: The JSON Lines manifest that was written (or, in check mode, would be written).
  returned: when O(manifest_path) is given
  type: str
  sample: /home/ubuntu/daylily-runs/run42/export/fsx_inventory.jsonl
manifest_sha256:
  description: SHA-256 of the manifest content.
  returned: when O(manifest_path) is given
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
elapsed_seconds:
  description: Wall-clock time of the walk (and hashing), in seconds.
  returned: always
  type: float
  sample: 12.5
"""

import hashlib
import json
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import digests
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import inventory

_WARN_PATHS = 5


class ManifestWriter:
    """Streams JSON Lines to a temporary file next to the target (or only hashes them, in check mode)."""

    def __init__(self, target, check_mode):
        self.target = target
        self.digest = hashlib.sha256()
        self.handle = None
        self.temp_path = None
        if not check_mode:
            parent = os.path.dirname(target)
            os.makedirs(parent, exist_ok=True)
            fd, self.temp_path = tempfile.mkstemp(prefix=".%s." % os.path.basename(target), suffix=".tmp", dir=parent)
            self.handle = os.fdopen(fd, "wb")

    def write(self, record):
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        self.digest.update(line)
        if self.handle is not None:
            self.handle.write(line)

    def discard(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        if self.temp_path and os.path.exists(self.temp_path):
            os.unlink(self.temp_path)

    def finish(self, module):
        """Replace the target when the content differs; return (changed, sha256)."""
        new = self.digest.hexdigest()
        changed = not (os.path.isfile(self.target) and digests.sha256_file(self.target) == new)
        if self.handle is not None:
            self.handle.close()
            self.handle = None
            if changed:
                module.atomic_move(self.temp_path, self.target)
            else:
                os.unlink(self.temp_path)
        return changed, new


def check_manifest_path(root, manifest_path):
    """The manifest must not be inside the walked tree (its temporary file would be inventoried)."""
    manifest = os.path.abspath(manifest_path)
    if os.path.isdir(manifest):
        return "manifest_path %s is a directory; give a file name such as %s" % (
            ascii(manifest),
            ascii(os.path.join(manifest, "fsx_inventory.jsonl")),
        )
    real_root = os.path.realpath(root)
    real_parent = os.path.realpath(os.path.dirname(manifest))
    if real_parent == real_root or real_parent.startswith(real_root + os.sep):
        return (
            "manifest_path %s lies inside path %s and would be inventoried itself; write it outside the analysis directory"
            % (ascii(manifest), ascii(root))
        )
    return None


def run(module):
    params = module.params
    root = inventory.check_root(params["path"])
    workers = params["workers"]
    if workers is not None and workers < 1:
        module.fail_json(msg="workers must be at least 1, got %d" % workers)
    writer = None
    if params["manifest_path"]:
        problem = check_manifest_path(root, params["manifest_path"])
        if problem:
            module.fail_json(msg=problem)
        writer = ManifestWriter(os.path.abspath(params["manifest_path"]), module.check_mode)

    counts = inventory.TreeCounts()
    files = [] if params["return_files"] else None
    started = time.monotonic()
    try:
        for record in inventory.scan_tree(
            root, checksum=params["checksum"], workers=workers, counts=counts, follow_symlinks=params["follow_symlinks"]
        ):
            if files is not None:
                files.append(record)
            if writer is not None:
                writer.write(record)
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    elapsed = round(time.monotonic() - started, 3)

    result = dict(changed=False, path=root, elapsed_seconds=elapsed, **counts.as_dict())
    if files is not None:
        result["files"] = files
    if writer is not None:
        result["changed"], result["manifest_sha256"] = writer.finish(module)
        result["manifest_path"] = writer.target
    if counts.undecodable_paths:
        shown = ", ".join(counts.undecodable_paths[:_WARN_PATHS])
        module.warn(
            "%d path(s) are not valid UTF-8 and are shown with \\xNN escapes (S3 keys must be UTF-8, so FSx cannot "
            "export them under these names): %s" % (counts.undecodable_count, shown)
        )
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            checksum=dict(type="bool", default=False),
            workers=dict(type="int"),
            return_files=dict(type="bool", default=True),
            manifest_path=dict(type="path"),
            follow_symlinks=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except inventory.InventoryError as err:
        module.fail_json(msg=str(err))
    except OSError as err:  # e.g. the manifest cannot be written
        module.fail_json(msg="cannot write the manifest %s: %s" % (module.params["manifest_path"], err))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
