# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The cluster delete gate (DESIGN §6): the public face of the private ``_teardown`` package; import from here.

* ``_teardown.analyses`` -- the analysis directories under ``<mount>/analysis_results/`` from one inventory, and the
  export destinations where each may have been exported (``export_checks``, which ``export_receipt`` re-verifies);
* ``_teardown.resources`` -- what the gate reads about a cluster (pcluster and FSx, read-only);
* ``_teardown.gate`` -- the decision: blockers and how to unblock them, the named override, the plan;
* ``_teardown.deletion_receipt`` -- the deletion receipt ``cluster_deletion.yaml`` and its layout.
"""

from __future__ import annotations

# pylint: disable=unused-import  # a facade: these names are its public interface
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._teardown import analyses as _analyses
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._teardown import deletion_receipt as _receipt
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._teardown import gate as _gate
from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._teardown import resources as _resources

# the analysis directories and their export checks
ANALYSIS_ROOT = _analyses.ANALYSIS_ROOT
split_inventory = _analyses.split_inventory
export_checks = _analyses.export_checks
normalize_roots = _analyses.normalize_roots

# what the gate reads
cluster_facts = _resources.cluster_facts

# the decision
OVERRIDABLE = _gate.OVERRIDABLE
OverrideError = _gate.OverrideError
check_override = _gate.check_override
decide = _gate.decide
table = _gate.table
refusal_message = _gate.refusal_message

# the deletion receipt
RECEIPT_FILENAME = _receipt.FILENAME
RECEIPT_TOP_KEY = _receipt.TOP_KEY
RECEIPT_PHASES = _receipt.PHASES
receipt_local_path = _receipt.local_path
receipt_s3_uri = _receipt.s3_uri
build_receipt = _receipt.build
dump_receipt = _receipt.dump
