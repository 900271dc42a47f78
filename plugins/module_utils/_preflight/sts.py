# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Preflight's STS calls. STS: who the caller is."""

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._preflight.errors import service_handler

STSHandler = service_handler("STS")


@STSHandler.common_error_handler("get the caller identity")
def caller_identity(client):
    return client.get_caller_identity()
