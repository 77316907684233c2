# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""First-run setup of Dify: the admin account (controllers/console/setup.py, init_validate.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.exceptions import SetupError, error_summary
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError

# libs/password.py: at least 8 characters with a letter and a digit.
PASSWORD_RE = re.compile(r"^(?=.*[a-zA-Z])(?=.*\d).{8,}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 30
MAX_INIT_PASSWORD = 30
NEEDS_INIT_STEP = ("this Dify sets INIT_PASSWORD, so its first setup needs it: set init_password "
                   "(the value of the INIT_PASSWORD environment variable of the Dify API)")


def validate_setup_input(email, name, password, init_password=None):
    """Refuse what Dify would refuse, before any request, without repeating a secret."""
    if not email or not password:
        raise ValidationError("the setup needs email and password: the admin account to create")
    if not email or not EMAIL_RE.match(email):
        raise ValidationError("email %r is not an email address" % email)
    if not name or len(name) > MAX_NAME:
        raise ValidationError("admin_name must be 1 to %d characters long" % MAX_NAME)
    if not password or not PASSWORD_RE.match(password):
        raise ValidationError("password does not meet Dify's policy: at least 8 characters, with letters and digits")
    if init_password is not None and len(init_password) > MAX_INIT_PASSWORD:
        raise ValidationError("init_password is longer than the %d characters Dify accepts" % MAX_INIT_PASSWORD)


class SetupService:
    def __init__(self, client):
        self.client = client
        self.warnings = []

    def ensure(self, email, name, password, init_password=None, language=None, check_mode=False):
        validate_setup_input(email, name, password, init_password)
        status = self.client.setup_status()
        result = dict(changed=False, step=status.get("step"), setup_at=status.get("setup_at"), email=email)
        if status.get("step") == "finished":
            return result
        result["changed"] = True
        # GET /init answers "finished" when INIT_PASSWORD is unset or already validated
        # (controllers/console/init_validate.py get_init_validate_status).
        init_done = self.client.init_status().get("status") == "finished"
        if not init_done and not init_password:
            raise SetupError(NEEDS_INIT_STEP)
        if check_mode:
            return result

        if not init_done:
            self.client.init_validate(init_password)
        response = self.client.setup(email, name, password, language=language)
        code = response.status
        # Dify 1.15 answers /setup errors without a "code" field ({"type": "authentication_error",
        # "message": "Unauthorized"} for a 401, issue 17), so the status and a re-read decide.
        if code == 403 and self.client.setup_status().get("step") == "finished":
            # Another run finished the setup between our GET and POST: nothing left to do.
            self.warnings.append("Dify reported that the setup was finished by someone else meanwhile")
            result["changed"] = False
        elif code == 401:
            # POST /setup needs no login: its only 401 is "init password not validated in this session".
            raise SetupError(NEEDS_INIT_STEP if not init_password else
                             "Dify answered HTTP 401 to the setup although it accepted init_password: "
                             "the session cookie that proves it was lost (a proxy that drops cookies, or "
                             "several Dify API replicas without a shared session store)")
        elif code >= 400:
            raise SetupError("Dify refused the setup (HTTP %s): %s" % (code, error_summary(response.body)))
        final = self.client.setup_status()
        result.update(step=final.get("step"), setup_at=final.get("setup_at"))
        return result
