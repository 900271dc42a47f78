# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command classes and what each implies for a command's other fields (invariant 18).

Private to :mod:`..catalog`; import the facade, not this module.
"""

from __future__ import annotations

from collections import namedtuple

COMMAND_CLASSES = ("sample_analysis", "run_analysis", "utility")
SOURCE_MOUNT_MODES = ("none", "default_mounted", "run_dra_required")
#: Sample data modes of a staged manifest (``dyec samples stage``); commands list the ones they accept.
DATA_MODES = (
    "ilmn_solo",
    "complete_genomics_solo",
    "ultima_solo",
    "ont_solo",
    "pacbio_solo",
    "roche_solo",
    "hybrid_ilmn_ont",
    "hybrid_ug_ont",
)
#: ``input_contract`` of commands that read no input tables (utility commands).
NO_INPUT_CONTRACT = "none"


class ClassRule(namedtuple("ClassRule", "input_contract requires_staging requires_run_mount source_mount_mode reason")):
    """What a command class implies for the other command fields."""


#: sample_analysis <=> sample_manifest <=> staging; run_analysis <=> run_context <=> run mount <=> run_dra_required;
#: utility <=> source mode none. As the classes partition the commands, checking each command against the rule of
#: its class enforces every direction of these equivalences.
CLASS_RULES = {
    "sample_analysis": ClassRule(
        "sample_manifest",
        True,
        False,
        "default_mounted",
        "sample_analysis commands read staged sample manifests (samples.tsv + units.tsv) and validate against "
        "default-mounted test data",
    ),
    "run_analysis": ClassRule(
        "run_context",
        False,
        True,
        "run_dra_required",
        "run_analysis commands read a sequencing run folder that a run DRA mounts, described by runs.tsv",
    ),
    "utility": ClassRule(
        NO_INPUT_CONTRACT,
        False,
        False,
        "none",
        "utility commands take no input data",
    ),
}
