# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Dify console API endpoints the modules use, over the shared http.HttpClient.

Each method is one endpoint of Dify 1.15 (controllers/console/setup.py,
init_validate.py, app/app.py, app/app_import.py, app/ops_trace.py) and turns
Dify's answers into data or typed errors; none of them decides anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six.moves import http_cookiejar

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.auth import API, ApiKeyAuth, PasswordAuth, json_of
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.exceptions import (
    ExportError,
    LoginError,
    TracingRefusedError,
    PluginDaemonError,
    SetupError,
    error_summary,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiConnectionError,
    ApiError,
    ApiResponseError,
    AuthenticationError,
    ValidationError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import RetryPolicy, client_from_params, quote_segment

PAGE_LIMIT = 100  # the most Dify's app list returns per page
MAX_PAGES = 10000


def base_url(url):
    """Accept the Dify URL with or without /console/api."""
    url = (url or "").strip().rstrip("/")
    if not url.lower().startswith(("http://", "https://")):
        raise ValidationError("url must start with http:// or https://, got %r" % url)
    if url.endswith(API):
        url = url[: -len(API)]
    return url


class DifyClient:
    """Console API calls. Build it with :meth:`from_params`; call :meth:`connect` before the first."""

    def __init__(self, http, auth=None):
        self.http = http
        self.auth = auth
        self._connected = False

    @classmethod
    def from_params(cls, params, login=True):
        cookies = http_cookiejar.CookieJar()
        auth = None
        if login:
            if params.get("admin_api_key"):
                auth = ApiKeyAuth(params["admin_api_key"], params["workspace_id"])
            elif params.get("email") and params.get("password"):
                auth = PasswordAuth(params["email"], params["password"], cookies)
            else:
                raise ValidationError("give email and password, or admin_api_key and workspace_id")
        return cls(client_from_params(base_url(params["url"]), params, auth=auth, cookies=cookies), auth)

    @property
    def request_count(self):
        return self.http.request_count

    def connect(self):
        if not self._connected and self.auth is not None:
            self.auth.login(self.http)
            self._connected = True

    def _call(self, method, path, **kwargs):
        """An authenticated request; a refused credential becomes a LoginError naming who was refused."""
        self.connect()
        try:
            return self.http.request(method, API + path, **kwargs)
        except AuthenticationError as exc:
            if isinstance(exc, LoginError) or exc.status != 401:
                raise  # 403: logged in, but the account may not do this
            raise LoginError(exc.status, exc.url, exc.body, self.auth.describe() if self.auth else "anonymous") from exc

    # -- first-run setup (no login) -------------------------------------------------------
    def setup_status(self):
        return json_of(self.http.request("GET", API + "/setup", authenticated=False))

    def init_status(self):
        return json_of(self.http.request("GET", API + "/init", authenticated=False))

    def init_validate(self, password):
        response = self.http.request(
            "POST", API + "/init", body={"password": password}, authenticated=False, expect=(400, 401, 403),
        )
        if response.status >= 400:
            raise SetupError("Dify refused the init password (HTTP %s): %s" % (response.status, error_summary(response.body)))

    def setup(self, email, name, password, language=None):
        body = {"email": email, "name": name, "password": password}
        if language:
            body["language"] = language
        return self.http.request("POST", API + "/setup", body=body, authenticated=False, expect=(400, 401, 403))

    # -- apps -----------------------------------------------------------------------------
    def list_apps(self, mode=None, name=None):
        """Every app, following Dify's pagination; ``name`` is Dify's substring filter."""
        apps = []
        page = 1
        while page <= MAX_PAGES:
            query = {"page": page, "limit": PAGE_LIMIT, "mode": mode or None, "name": name or None}
            data = json_of(self._call("GET", "/apps", query=query))
            apps.extend(data.get("data") or [])
            if not data.get("has_more"):
                return apps
            page += 1
        raise ApiResponseError(200, self.http.url(API + "/apps"), "more than %d pages of apps" % MAX_PAGES)

    def get_app(self, app_id):
        """The app's details, or None when this workspace has no such app."""
        response = self._call("GET", "/apps/%s" % quote_segment(app_id), expect=(404,))
        if response.status == 404:
            return None
        return json_of(response)

    def export_app(self, app_id, include_secret=False, workflow_id=None, label=None):
        """The app's DSL as YAML text."""
        label = label or app_id
        path = "/apps/%s/export" % quote_segment(app_id)
        query = {"include_secret": "true" if include_secret else "false", "workflow_id": workflow_id}
        try:
            response = self._call("GET", path, query=query, expect=(400,))
        except ApiResponseError as exc:
            if isinstance(exc, LoginError):
                raise
            if exc.status >= 500:
                raise ExportError(
                    "Dify answered HTTP %s to the export of app %s, also after %d attempt(s): %s. Dify answers "
                    "500 when the app has no draft workflow or when a workflow_id is unknown; the Dify API "
                    "log has the traceback." % (exc.status, label, self.http.retry.attempts, error_summary(exc.body))
                ) from exc
            raise ExportError("the export of app %s failed: %s" % (label, exc)) from exc
        if response.status == 400:
            summary = error_summary(response.body)
            if "plugin daemon" in summary.lower():
                raise PluginDaemonError(
                    "Dify could not export app %s because its plugin daemon did not answer (%s). Every DSL "
                    "export asks the plugin daemon for the app's dependencies: check that the plugin daemon "
                    "is running and reachable from the Dify API. Nothing was changed." % (label, summary)
                )
            raise ExportError("Dify refused the export of app %s: %s" % (label, summary))
        data = json_of(response)
        text = data.get("data")
        if not isinstance(text, str):
            raise ExportError("the export of app %s returned no DSL text" % label)
        return text

    def _once(self, what, method, path, **kwargs):
        """A request that must not be sent twice: creating an app is not idempotent.

        A 5xx or a lost connection may hide an app that Dify did create, so it is not
        retried; the error says what to do instead.
        """
        saved = self.http.retry
        self.http.retry = RetryPolicy(attempts=1)
        try:
            return self._call(method, path, **kwargs)
        except (ApiConnectionError, ApiResponseError) as exc:
            if isinstance(exc, LoginError) or (isinstance(exc, ApiResponseError) and exc.status < 500):
                raise
            raise ApiError(
                "%s: %s. It was not retried, because Dify may have created the app anyway; run the task again: "
                "it finds the app by name and compares it." % (what, exc)
            ) from exc
        finally:
            self.http.retry = saved

    def import_dsl(self, content, app_id=None, name=None):
        """POST /apps/imports; returns Dify's Import object (status completed, completed-with-warnings, pending or failed)."""
        body = {"mode": "yaml-content", "yaml_content": content}
        if name:
            body["name"] = name
        if app_id:
            # Overwriting the same app with the same DSL twice is harmless: retried as usual.
            body["app_id"] = app_id
            return json_of(self._call("POST", "/apps/imports", body=body, expect=(400,)))
        return json_of(self._once("the import", "POST", "/apps/imports", body=body, expect=(400,)))

    def confirm_import(self, import_id):
        path = "/apps/imports/%s/confirm" % quote_segment(import_id)
        return json_of(self._once("the confirmation of a pending import", "POST", path, expect=(400,)))

    def delete_app(self, app_id):
        """Delete the app; False when it was already gone."""
        response = self._call("DELETE", "/apps/%s" % quote_segment(app_id), expect=(404,))
        return response.status != 404

    # -- tracing (app/app.py AppTraceApi, app/ops_trace.py TraceAppConfigApi) -------------------
    def get_app_trace(self, app_id):
        """The app's tracing switch: {"enabled": bool, "tracing_provider": str or None}."""
        return json_of(self._call("GET", "/apps/%s/trace" % quote_segment(app_id)))

    def set_app_trace(self, app_id, enabled, provider):
        path = "/apps/%s/trace" % quote_segment(app_id)
        self._refusable("the tracing switch", "POST", path, body={"enabled": enabled, "tracing_provider": provider})

    def get_trace_config(self, app_id, provider):
        """The provider's config with its keys obfuscated by Dify, or None when the app has none."""
        path = "/apps/%s/trace-config" % quote_segment(app_id)
        data = json_of(self._call("GET", path, query={"tracing_provider": provider}))
        return None if data.get("has_not_configured") else data

    def create_trace_config(self, app_id, provider, config):
        path = "/apps/%s/trace-config" % quote_segment(app_id)
        self._refusable("the tracing config", "POST", path, body={"tracing_provider": provider, "tracing_config": config})

    def update_trace_config(self, app_id, provider, config):
        path = "/apps/%s/trace-config" % quote_segment(app_id)
        self._refusable("the tracing config", "PATCH", path, body={"tracing_provider": provider, "tracing_config": config})

    def delete_trace_config(self, app_id, provider):
        path = "/apps/%s/trace-config" % quote_segment(app_id)
        self._refusable("the deletion of the tracing config", "DELETE", path, query={"tracing_provider": provider})

    def _refusable(self, what, method, path, **kwargs):
        """A write Dify answers 400 to when it refuses it; the refusal becomes a TracingRefusedError.

        Dify checks a tracing config against the provider before storing it, and answers
        every failure as 400 with the reason in the message.
        """
        response = self._call(method, path, expect=(400,), **kwargs)
        if response.status == 400:
            raise TracingRefusedError(what, error_summary(response.body))
        return response
