# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""First-run setup of Dify: the admin account (controllers/console/setup.py, init_validate.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.auth import json_of
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.exceptions import SetupError, error_summary
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError

# libs/password.py: at least 8 characters with a letter and a digit.
PASSWORD_RE = re.compile(r"^(?=.*[a-zA-Z])(?=.*\d).{8,}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 30
MAX_INIT_PASSWORD = 30


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
        if check_mode:
            return result

        if init_password and self.client.init_status().get("status") != "finished":
            self.client.init_validate(init_password)
        response = self.client.setup(email, name, password, language=language)
        code = response.status
        body = json_of(response)
        if code == 403 and body.get("code") == "already_setup":
            # Another run finished the setup between our GET and POST: nothing left to do.
            self.warnings.append("Dify reported that the setup was finished by someone else meanwhile")
            result["changed"] = False
        elif code == 401 and body.get("code") == "not_init_validated":
            raise SetupError(
                "this Dify sets INIT_PASSWORD, so the setup needs init_password first%s"
                % (" (the one given was accepted but the session was lost)" if init_password else "")
            )
        elif code >= 400:
            raise SetupError("Dify refused the setup (HTTP %s): %s" % (code, error_summary(response.body)))
        final = self.client.setup_status()
        result.update(step=final.get("step"), setup_at=final.get("setup_at"))
        return result
