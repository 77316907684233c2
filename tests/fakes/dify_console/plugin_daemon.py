"""The plugin endpoints of the fake console, and the plugin daemon behind them.

Written from the upstream source:

* langgenius/dify ``api/controllers/console/workspace/plugin.py``: routes under
  ``/workspaces/current/plugin``; a ``PluginDaemonClientSideError`` becomes ``ValueError``, which the
  console answers ``400 {"code": "invalid_param", "message": str(error), "status": 400}``;
  ``api/core/plugin/impl/exc.py``: ``str(error)`` is ``"req_id: <id> <ClassName>: <daemon message>"``;
* ``api/services/plugin/plugin_service.py``: ``upload_pkg`` (verify_signature is
  restrict_to_marketplace_only, false by default) and ``install_from_local_pkg`` (decodes every
  identifier first; an unknown one is a daemon error), source ``package``;
* ``api/core/plugin/entities/plugin_daemon.py`` and ``entities/plugin.py``: ``PluginInstallTask``
  (status pending/running/success/failed, per-plugin status and message), ``PluginEntity``
  (``installation_id``, ``plugin_id``, ``plugin_unique_identifier``, ``version``, ``source``,
  ``declaration``, ...), ``PluginListResponse`` (``list``, ``total``);
* langgenius/dify-plugin-daemon ``internal/service/install_plugin.go``: ``UploadPluginPkg`` refuses
  a package whose declaration is not verified when ``FORCE_VERIFYING_SIGNATURE`` (true in Dify's
  compose) or verify_signature is set, with "plugin verification has been enabled, and the plugin
  you want to install has a bad signature"; a plugin_id installed twice is ``ErrPluginAlreadyInstalled``
  (the task fails: "Failed to create plugin, perhaps it's already installed");
* ``pkg/plugin_packager/decoder/``: the signature check (every non-directory entry's sha256 in zip
  order, then the signing time, RSA PKCS#1 v1.5 over SHA-256; the official key, or, with
  ``THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED``, the keys of
  ``THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS``) and the unique identifier
  ``author/name:version@checksum`` (``helper.go``, ``CalculateChecksum``).

The signature check and the checksum are written here again, not imported from the
collection, so that the module's own computation is checked against an independent one.
An install task moves one step per read: pending, running, then success (or failed, when a
test sets ``install_failure``), as the daemon's asynchronous install does.
"""

import base64
import hashlib
import io
import json
import re
import time
import uuid
import zipfile

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .errors import HttpError

BASE = "/workspaces/current/plugin"
VERIFICATION_FILE = ".verification.dify.json"
BAD_SIGNATURE = "plugin verification has been enabled, and the plugin you want to install has a bad signature"
MAX_PACKAGE_SIZE = 52428800  # PLUGIN_MAX_PACKAGE_SIZE in Dify's docker/.env.example


def _daemon_error(message, kind="PluginDaemonBadRequestError"):
    return HttpError(400, "invalid_param", "req_id: %s %s: %s" % (uuid.uuid4().hex[:16], kind, message))


def _checksum(archive):
    hashed = {}
    for info in archive.infolist():
        if not info.filename.endswith("/"):
            hashed[info.filename] = hashlib.sha256(archive.read(info.filename)).digest()
    data = b"".join(hashlib.sha256(k.encode()).digest() + hashed[k] for k in sorted(hashed))
    return hashlib.sha256(data).hexdigest()


def _verified(archive, keys):
    try:
        comment = json.loads(archive.comment or b"{}")
        signature = base64.b64decode(comment["signature"])
        created = int(comment["time"])
    except (ValueError, KeyError, TypeError):
        return False
    data = b"".join(hashlib.sha256(archive.read(i.filename)).digest()
                    for i in archive.infolist() if not i.filename.endswith("/")) + str(created).encode()
    for pem in keys:
        try:
            serialization.load_pem_public_key(pem).verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            continue
    return False


def parse_multipart(content_type, body):
    """{field: (filename, bytes)} of a multipart/form-data body (werkzeug's request.files)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not content_type or not content_type.startswith("multipart/form-data") or not match:
        return {}
    delimiter = b"--" + match.group(1).encode()
    fields = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _sep, content = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        filename = re.search(rb'filename="([^"]*)"', head)
        if name:
            fields[name.group(1).decode()] = (filename.group(1).decode() if filename else None,
                                              content[:-2] if content.endswith(b"\r\n") else content)
    return fields


class PluginDaemon:
    """One workspace's plugins, the packages uploaded and the install tasks."""

    def __init__(self, tenant_id):
        self.tenant_id = tenant_id
        self.force_verifying_signature = True  # FORCE_VERIFYING_SIGNATURE in Dify's compose
        self.official_keys = []  # langgenius's key is compiled into the daemon; tests may give one
        self.third_party_enabled = False  # THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED (daemon default false)
        self.third_party_keys = []  # THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS, as PEM bytes
        self.install_failure = None  # a message: the next install task fails with it
        # The workspace's TenantPluginPermission (none set: everyone may); "noone" refuses the account
        # (controllers/console/workspace/__init__.py, plugin_permission_required: werkzeug Forbidden).
        self.install_permission = "everyone"  # upload/pkg and install/pkg (install_required)
        self.debug_permission = "everyone"  # tasks/<id> and uninstall (debug_required)
        self.packages = {}  # unique identifier -> decoded package
        self.installations = {}  # plugin_id -> PluginEntity dict
        self.tasks = {}
        self.uploads = 0
        self.install_requests = 0

    def trust(self, public_pem):
        """Set the daemon up as docs/dify-plugins.md says: third-party verification on, the operator's key."""
        self.third_party_enabled = True
        self.third_party_keys.append(public_pem)

    def routes(self):
        return (
            ("GET", BASE + "/list", self.list),
            ("POST", BASE + "/upload/pkg", self._permitted("install_permission", self.upload)),
            ("POST", BASE + "/install/pkg", self._permitted("install_permission", self.install)),
            ("GET", BASE + "/tasks/(?P<task_id>[^/]+)", self._permitted("debug_permission", self.task)),
            ("POST", BASE + "/uninstall", self._permitted("debug_permission", self.uninstall)),
        )

    def _permitted(self, setting, handler):
        def wrapped(req, **groups):
            if getattr(self, setting) == "noone":  # the fake's account is the owner: "admins" lets it through
                raise HttpError(403, "forbidden", "You don't have the permission to access the requested resource. "
                                "It is either read-protected or not readable by the server.")
            return handler(req, **groups)
        return wrapped

    # -- handlers (authenticated by the server first) -------------------------------------------
    def list(self, req):
        query = req.query()
        try:
            page = int(query.get("page", "1"))
            page_size = int(query.get("page_size", "256"))
        except ValueError:
            raise HttpError(400, "invalid_param", "page and page_size must be integers") from None
        plugins = sorted(self.installations.values(), key=lambda p: p["created_at"])
        start = (page - 1) * page_size
        return 200, {"plugins": plugins[start:start + page_size], "total": len(plugins)}

    def upload(self, req):
        files = parse_multipart(req.headers.get("Content-Type"), req.body)
        if "pkg" not in files:
            # request.files["pkg"] raises werkzeug's BadRequestKeyError
            raise HttpError(400, "bad_request", "The browser (or proxy) sent a request that this server could not "
                            "understand.")
        content = files["pkg"][1]
        if len(content) > MAX_PACKAGE_SIZE:
            raise HttpError(400, "invalid_param", "File size exceeds the maximum allowed size")
        self.uploads += 1
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile:
            raise _daemon_error("difypkg: not a valid difypkg file") from None
        try:
            manifest = yaml.safe_load(archive.read("manifest.yaml"))
        except (KeyError, yaml.YAMLError) as exc:
            raise _daemon_error("failed to read manifest: %s" % exc) from None
        keys = list(self.official_keys) + (self.third_party_keys if self.third_party_enabled else [])
        verified = _verified(archive, keys)
        if self.force_verifying_signature and not verified:
            raise _daemon_error(BAD_SIGNATURE)
        verification = None
        if verified and VERIFICATION_FILE in archive.namelist():
            verification = json.loads(archive.read(VERIFICATION_FILE))
        identifier = "%s/%s:%s@%s" % (manifest["author"], manifest["name"], manifest["version"], _checksum(archive))
        declaration = dict(manifest, verified=verified, category="tool" if (manifest.get("plugins") or {}).get("tools")
                           else "extension")
        self.packages[identifier] = {"declaration": declaration, "verification": verification}
        return 200, {"unique_identifier": identifier, "manifest": declaration, "verification": verification}

    def install(self, req):
        body = req.json() or {}
        identifiers = body.get("plugin_unique_identifiers")
        if not isinstance(identifiers, list):
            raise HttpError(400, "invalid_param", "plugin_unique_identifiers: Missing required parameter in the JSON "
                            "body or the post body or the query string")
        for identifier in identifiers:
            if not isinstance(identifier, str):
                raise HttpError(400, "invalid_param", "Invalid plugin unique identifier")
            if identifier not in self.packages:
                # decode_plugin_from_identifier of an identifier never uploaded
                raise _daemon_error("plugin not found", kind="PluginNotFoundError")
        self.install_requests += 1
        pending = [i for i in identifiers if not self._installed(i)]
        if not pending:
            return 200, {"all_installed": True, "task_id": ""}
        task_id = str(uuid.uuid4())
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.tasks[task_id] = {
            "id": task_id, "created_at": now, "updated_at": now, "status": "pending",
            "total_plugins": len(pending), "completed_plugins": 0,
            "plugins": [{"plugin_unique_identifier": i, "plugin_id": i.split(":")[0], "status": "pending",
                         "message": "", "icon": "", "labels": self.packages[i]["declaration"].get("label") or {},
                         "source": "package"} for i in pending],
            "_failure": self.install_failure,
        }
        self.install_failure = None
        return 200, {"all_installed": False, "task_id": task_id}

    def _installed(self, identifier):
        plugin_id = identifier.split(":")[0]
        current = self.installations.get(plugin_id)
        return current is not None and current["plugin_unique_identifier"] == identifier

    def task(self, req, task_id):
        task = self.tasks.get(task_id)
        if task is None:
            raise _daemon_error("record not found", kind="PluginDaemonNotFoundError")
        self._advance(task)
        return 200, {"task": dict((k, v) for k, v in task.items() if not k.startswith("_"))}

    def _advance(self, task):
        if task["status"] == "pending":
            task["status"] = "running"
            for item in task["plugins"]:
                item["status"] = "running"
                item["message"] = "Installing"
            return
        if task["status"] != "running":
            return
        for item in task["plugins"]:
            if task["_failure"]:
                item["status"], item["message"] = "failed", task["_failure"]
                continue
            plugin_id = item["plugin_id"]
            if plugin_id in self.installations:
                item["status"], item["message"] = "failed", "Failed to create plugin, perhaps it's already installed"
                continue
            self._create_installation(item["plugin_unique_identifier"])
            item["status"], item["message"] = "success", "Installed"
            task["completed_plugins"] += 1
        task["status"] = "success" if task["completed_plugins"] == task["total_plugins"] else "failed"

    def _create_installation(self, identifier):
        plugin_id, _colon, rest = identifier.partition(":")
        version, _at, checksum = rest.partition("@")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.installations[plugin_id] = {
            "id": str(uuid.uuid4()), "created_at": now, "updated_at": now, "tenant_id": self.tenant_id,
            "endpoints_setups": 0, "endpoints_active": 0, "runtime_type": "local", "source": "package",
            "meta": {}, "plugin_id": plugin_id, "plugin_unique_identifier": identifier, "version": version,
            "checksum": checksum, "declaration": self.packages[identifier]["declaration"],
            "name": plugin_id.split("/", 1)[1], "installation_id": str(uuid.uuid4()),
        }

    def uninstall(self, req):
        body = req.json() or {}
        installation_id = body.get("plugin_installation_id")
        if not isinstance(installation_id, str):
            raise HttpError(400, "invalid_param", "plugin_installation_id: Missing required parameter in the JSON "
                            "body or the post body or the query string")
        for plugin_id, entity in list(self.installations.items()):
            if entity["installation_id"] == installation_id:
                del self.installations[plugin_id]
                return 200, {"success": True}
        raise _daemon_error("plugin installation not found", kind="PluginNotFoundError")
