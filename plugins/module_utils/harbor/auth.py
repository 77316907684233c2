# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP Basic authentication for Harbor's API, as the HttpClient auth hook.

Harbor's v2.0 API takes Basic credentials on every request (swagger
``securityDefinitions: basic``); there is no token to refresh, so a 401 is final.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64


def basic_header(username, password):
    raw = ("%s:%s" % (username, password)).encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


class BasicAuth:
    """``headers()`` for every request; ``refresh()`` has nothing to renew."""

    def __init__(self, username, password):
        self._header = basic_header(username, password)
        self.username = username

    def headers(self):
        return {"Authorization": self._header}

    def refresh(self, client):  # pylint: disable=unused-argument
        return False
