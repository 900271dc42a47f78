# -*- coding: utf-8 -*-

# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The collection's name and version, in one place: the user agent of AWS calls and the receipts' producer."""

# Keep in sync with galaxy.yml (a unit test checks it).
NAME = "daylily.ephemeral_cluster"
VERSION = "0.1.0"
