# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``pcluster`` CLI (AWS ParallelCluster 3): one small function per command, its JSON answer parsed.

Private to :mod:`..pcluster`; import the facade, not this module.

The CLI prints one JSON document on stdout, on success (exit 0) and on failure (exit 1, ``{"message": ...}``); a
dry run that would succeed also exits 1, with :data:`DRY_RUN_SUCCESS` as its message. Nothing here reads the text
meant for people.
"""

from __future__ import annotations

import json

DRY_RUN_SUCCESS = "Request would have succeeded, but DryRun flag is set."
NOT_FOUND_MARK = "does not exist"


class PclusterError(Exception):
    """The CLI failed or answered with something else than JSON. ``answer`` is its JSON answer, if any."""

    def __init__(self, message, answer=None, command=None):
        super().__init__(message)
        self.message = message
        self.answer = answer if answer is not None else {}
        self.command = command or []


class PclusterCli:
    """Runs ``command`` (the pcluster executable, a path or a name on PATH) with ``run`` (``module.run_command``:
    ``run(argv) -> (rc, stdout, stderr)``) in ``region``."""

    def __init__(self, command, run, region=None):
        self.command, self.run, self.region = command, run, region

    def call(self, *args):
        """(exit code, JSON answer) of one command."""
        argv = [self.command, *args] + (["--region", self.region] if self.region else [])
        try:
            rc, stdout, stderr = self.run(argv)
        except OSError as err:
            raise PclusterError("Cannot run %s: %s" % (self.command, err), command=argv) from None
        try:
            answer = json.loads(stdout) if stdout.strip() else {}
        except ValueError:
            raise PclusterError(
                "%s %s did not answer with JSON (exit %d): %s %s"
                % (self.command, args[0], rc, stdout.strip()[-2000:], stderr.strip()[-2000:]),
                command=argv,
            ) from None
        return rc, answer

    def checked(self, *args):
        rc, answer = self.call(*args)
        if rc != 0:
            message = answer.get("message") if isinstance(answer, dict) else None
            raise PclusterError(
                "pcluster %s failed: %s" % (args[0], message or json.dumps(answer)), answer, [self.command, *args]
            )
        return answer

    def dry_run(self, name, config_path, suppress_validators=()):
        """The dry run's answer (its ``message`` is :data:`DRY_RUN_SUCCESS` when a create would pass)."""
        args = ["create-cluster", "--cluster-name", name, "--cluster-configuration", config_path, "--dryrun", "true"]
        if suppress_validators:
            args += ["--suppress-validators", *suppress_validators]
        return self.call(*args)[1]

    def create(self, name, config_path, suppress_validators=()):
        args = ["create-cluster", "--cluster-name", name, "--cluster-configuration", config_path]
        if suppress_validators:
            args += ["--suppress-validators", *suppress_validators]
        return self.checked(*args)["cluster"]

    def describe(self, name):
        """describe-cluster's answer; None when the cluster does not exist."""
        rc, answer = self.call("describe-cluster", "--cluster-name", name)
        if rc != 0 and NOT_FOUND_MARK in str(answer.get("message", "")):
            return None
        if rc != 0:
            raise PclusterError("pcluster describe-cluster failed: %s" % answer.get("message", answer), answer)
        return answer

    def instances(self, name):
        return self.checked("describe-cluster-instances", "--cluster-name", name).get("instances", [])

    def list_clusters(self):
        return self.checked("list-clusters").get("clusters", [])

    def delete(self, name):
        return self.checked("delete-cluster", "--cluster-name", name)["cluster"]
