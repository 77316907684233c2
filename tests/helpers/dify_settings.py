"""The environment names Dify's programs read, each with the upstream source that declares it.

The ``dify`` role renders environment variables for six containers (api, worker,
beat, the migration Job, web, the plugin daemon and the sandbox). Dify's server
cannot be installed here (it is no published package, and the Go module proxy
refuses github.com/langgenius/dify-plugin-daemon and dify-sandbox), so the names
are checked against the settings classes read from Dify's public sources with
the code index (the ``search`` tool's find_files/read_file/find_string), the
way tests/helpers/metric_catalogue.py keeps its checked-in lists.

Which revision. The release manifest pins dify-api/dify-web 1.15.0, the plugin
daemon 0.6.3-local and the sandbox 0.2.15. The index stores some revisions of
each file, not the tags, and it holds no api/pyproject.toml or
api/configs/packaging revision saying 1.15.0 (the newest found: pyproject.toml
``version = "1.13.3"`` @0055b983dc32deacc31351c13a555055ffc9b844). So no
citation below is the 1.15.0 tag: each names the commit of the revision that
was read, the nearest one the index gave. api/configs/feature/__init__.py
@0052eea6 is recent (it has the OpenAPI/difyctl and Creators Platform
settings, newer than 1.13.3); the storage, vector-store and redis files are
older revisions of files whose names have not changed since. A name is listed
only when the revision read declares it; where a revision could not be tied
to a commit (the index answered with a file id only), the file id is given.

The tables:

- ``SETTINGS[component]``: names the component's own program reads (pydantic
  settings fields and their aliases, envconfig tags, os.Getenv, the image's
  entrypoint script), each mapped to a key of ``SOURCES``.
- ``RUNTIME[component]``: names read by the runtime or a library under the
  program (Python's ssl, requests, Node, Next.js, pm2, gin, Go's crypto/x509),
  not by Dify's settings, each with the reason and a citation.
- ``KUBELET_ONLY[component]``: names no program reads; they exist for the
  kubelet's $(VAR) expansion in a later value of the same container.

A rendered name in none of the tables is unknown; ``unknown_names`` reports it
with the closest known name, so a misspelling names its intended spelling.
"""

from __future__ import annotations

import difflib

DIFY = "langgenius/dify"
DAEMON = "langgenius/dify-plugin-daemon"
SANDBOX = "langgenius/dify-sandbox"

# key -> (repository, path, revision read, what in it)
SOURCES = {
    "api.feature": (
        DIFY,
        "api/configs/feature/__init__.py",
        "0052eea61ddd066db2cad9083d36342fd79c4055",
        "FeatureConfig: SecurityConfig, CodeExecutionSandboxConfig, PluginConfig, MarketplaceConfig, "
        "EndpointConfig, FileAccessConfig, HttpConfig, LoggingConfig, UpdateConfig, "
        "CeleryScheduleTasksConfig",
    ),
    "api.hosted_app_templates": (
        DIFY,
        "api/configs/feature/hosted_service/__init__.py",
        "04d13a81168d2142fb1f3faefb992f814fb3d040",
        "HostedFetchAppTemplateConfig",
    ),
    "api.hosted_pipeline_templates": (
        DIFY,
        "api/configs/feature/hosted_service/__init__.py",
        "index file id 658059445 (commit not reported by the index)",
        "HostedFetchPipelineTemplateConfig, in HostedServiceConfig",
    ),
    "api.deploy": (DIFY, "api/configs/deploy/__init__.py", "02589846f54c65273a2f0d1e3c93d5cab3e3a6fe", "DeploymentConfig"),
    "api.middleware": (
        DIFY,
        "api/configs/middleware/__init__.py",
        "0064a2d8ff0ffba4e565271a9fd7d2a1a73bbe2b",
        "StorageConfig, VectorStoreConfig, DatabaseConfig, CeleryConfig",
    ),
    "api.redis": (DIFY, "api/configs/middleware/cache/redis_config.py", "078987b6386544cd8990dffb28218477333e7791", "RedisConfig"),
    "api.pgvector": (DIFY, "api/configs/middleware/vdb/pgvector_config.py", "05c687cb9cace4f190582e3737d80394603ef579", "PGVectorConfig"),
    "api.s3": (DIFY, "api/configs/middleware/storage/amazon_s3_storage_config.py", "0707a0d7e16a23212212af8319787b970d7fddd9", "S3StorageConfig"),
    "api.opendal": (DIFY, "api/configs/middleware/storage/opendal_storage_config.py", "2184763c0f927db90846d3bc94b8e3c581f57c03", "OpenDALStorageConfig"),
    "api.opendal_options": (
        DIFY,
        "api/extensions/storage/opendal_storage.py",
        "01c6681fa131761109aa1e899d836d24728c8471",
        "_get_opendal_kwargs: every OPENDAL_<SCHEME>_<OPTION> variable becomes the operator's <option> (fs: root)",
    ),
    "api.otel": (DIFY, "api/configs/observability/otel/otel_config.py", "2184763c0f927db90846d3bc94b8e3c581f57c03", "OTelConfig"),
    "api.entrypoint": (
        DIFY,
        "api/docker/entrypoint.sh",
        "02940a0f29cf89b846ef41d9f02b591df3009929",
        "the api image's entrypoint: MIGRATION_ENABLED, MODE (api, worker, beat, migration, job)",
    ),
    "web.entrypoint": (
        DIFY,
        "web/docker/entrypoint.sh",
        "0072d35352217298a5c0a701be90aadcbb014ac0",
        "CONSOLE_API_URL -> NEXT_PUBLIC_API_PREFIX, APP_API_URL -> NEXT_PUBLIC_PUBLIC_API_PREFIX, NEXT_TELEMETRY_DISABLED",
    ),
    "web.entrypoint_marketplace": (
        DIFY,
        "web/docker/entrypoint.sh",
        "index file id 18085389410 (a newer revision; commit not reported)",
        "MARKETPLACE_API_URL -> NEXT_PUBLIC_MARKETPLACE_API_PREFIX, MARKETPLACE_URL -> NEXT_PUBLIC_MARKETPLACE_URL_PREFIX",
    ),
    "daemon.config": (
        DAEMON,
        "internal/types/app/config.go",
        "17dfff4ac8e29cd7b13f5e3c6742a67225bfa3e4",
        "Config envconfig tags (same names in 04f44571e71bdb75c4ba14a938626297db600d2d and in the newest revision seen, index file id 53054212816)",
    ),
    "daemon.pip_mirror": (
        DAEMON,
        "cmd/server/pip_mirror.go",
        "226d6a34efdabe050add4f466995a0f58f2717e2",
        "applyPipMirrorAutoDetect reads app.Config.PipMirrorAutoDetect (probes cloudflare.com and "
        "switches to a public mirror unless off); the field's envconfig tag itself is in no "
        "config.go revision the index holds",
    ),
    "sandbox.config": (SANDBOX, "internal/static/config.go", "0970281ed4ba6ceb9677d719da6458b499eb6643", "InitConfig: os.Getenv of each name"),
}

_API = {
    "SECRET_KEY": "api.feature",
    "LOG_LEVEL": "api.feature",
    "LOG_FILE": "api.feature",
    "CONSOLE_API_URL": "api.feature",
    "CONSOLE_WEB_URL": "api.feature",
    "SERVICE_API_URL": "api.feature",
    "APP_WEB_URL": "api.feature",
    "FILES_URL": "api.feature",
    "INTERNAL_FILES_URL": "api.feature",
    "CHECK_UPDATE_URL": "api.feature",
    "MARKETPLACE_ENABLED": "api.feature",
    "ENABLE_CHECK_UPGRADABLE_PLUGIN_TASK": "api.feature",
    "CODE_EXECUTION_ENDPOINT": "api.feature",
    "CODE_EXECUTION_API_KEY": "api.feature",
    "SSRF_PROXY_HTTP_URL": "api.feature",
    "SSRF_PROXY_HTTPS_URL": "api.feature",
    "PLUGIN_DAEMON_URL": "api.feature",
    "PLUGIN_DAEMON_KEY": "api.feature",
    "INNER_API_KEY_FOR_PLUGIN": "api.feature",
    "HOSTED_FETCH_APP_TEMPLATES_MODE": "api.hosted_app_templates",
    "HOSTED_FETCH_PIPELINE_TEMPLATES_MODE": "api.hosted_pipeline_templates",
    "DEPLOY_ENV": "api.deploy",
    "STORAGE_TYPE": "api.middleware",
    "VECTOR_STORE": "api.middleware",
    "DB_TYPE": "api.middleware",
    "DB_HOST": "api.middleware",
    "DB_PORT": "api.middleware",
    "DB_USERNAME": "api.middleware",
    "DB_PASSWORD": "api.middleware",
    "DB_DATABASE": "api.middleware",
    "SQLALCHEMY_POOL_SIZE": "api.middleware",
    "SQLALCHEMY_POOL_RECYCLE": "api.middleware",
    "SQLALCHEMY_POOL_PRE_PING": "api.middleware",
    "CELERY_BROKER_URL": "api.middleware",
    "REDIS_HOST": "api.redis",
    "REDIS_PORT": "api.redis",
    "REDIS_PASSWORD": "api.redis",
    "REDIS_DB": "api.redis",
    "PGVECTOR_HOST": "api.pgvector",
    "PGVECTOR_PORT": "api.pgvector",
    "PGVECTOR_USER": "api.pgvector",
    "PGVECTOR_PASSWORD": "api.pgvector",
    "PGVECTOR_DATABASE": "api.pgvector",
    "S3_ENDPOINT": "api.s3",
    "S3_REGION": "api.s3",
    "S3_BUCKET_NAME": "api.s3",
    "S3_ACCESS_KEY": "api.s3",
    "S3_SECRET_KEY": "api.s3",
    "S3_ADDRESS_STYLE": "api.s3",
    "S3_USE_AWS_MANAGED_IAM": "api.s3",
    "OPENDAL_SCHEME": "api.opendal",
    "OPENDAL_FS_ROOT": "api.opendal_options",
    "ENABLE_OTEL": "api.otel",
    "OTLP_TRACE_ENDPOINT": "api.otel",
    "OTLP_METRIC_ENDPOINT": "api.otel",
    "OTLP_BASE_ENDPOINT": "api.otel",
    "OTEL_EXPORTER_TYPE": "api.otel",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "api.otel",
    "OTEL_SAMPLING_RATE": "api.otel",
    "MODE": "api.entrypoint",
    "MIGRATION_ENABLED": "api.entrypoint",
}

_WEB = {
    "CONSOLE_API_URL": "web.entrypoint",
    "APP_API_URL": "web.entrypoint",
    "NEXT_TELEMETRY_DISABLED": "web.entrypoint",
    "MARKETPLACE_API_URL": "web.entrypoint_marketplace",
    "MARKETPLACE_URL": "web.entrypoint_marketplace",
}

_DAEMON = dict.fromkeys(
    (
        "SERVER_PORT",
        "SERVER_KEY",
        "DIFY_INNER_API_URL",
        "DIFY_INNER_API_KEY",
        "DB_TYPE",
        "DB_HOST",
        "DB_PORT",
        "DB_DATABASE",
        "DB_USERNAME",
        "DB_PASSWORD",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_PASSWORD",
        "PLUGIN_STORAGE_TYPE",
        "PLUGIN_STORAGE_LOCAL_ROOT",
        "PLUGIN_INSTALLED_PATH",
        "PLUGIN_WORKING_PATH",
        "PERSISTENCE_STORAGE_PATH",
        "PLUGIN_PACKAGE_CACHE_PATH",
        "PLUGIN_MEDIA_CACHE_PATH",
        "FORCE_VERIFYING_SIGNATURE",
        "THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED",
        "THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS",
        "PYTHON_ENV_INIT_TIMEOUT",
        "PIP_MIRROR_URL",
        "PIP_EXTRA_ARGS",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
    ),
    "daemon.config",
)
_DAEMON["PIP_MIRROR_AUTO_DETECT"] = "daemon.pip_mirror"

_SANDBOX = dict.fromkeys(
    (
        "API_KEY",
        "SANDBOX_PORT",
        "WORKER_TIMEOUT",
        "ENABLE_NETWORK",
        "HTTP_PROXY",
        "HTTPS_PROXY",
    ),
    "sandbox.config",
)

SETTINGS = {"api": _API, "web": _WEB, "plugin_daemon": _DAEMON, "sandbox": _SANDBOX}

# Read by the runtime or a library under Dify's program, not by its settings.
_SSL_CERT_FILE = (
    "OpenSSL's default CA file, read by Python's ssl (docs.python.org/3/library/ssl.html, "
    "get_default_verify_paths: cafile from the SSL_CERT_FILE variable) and so by httpx"
)
RUNTIME = {
    "api": {
        "HOME": "the user's home (POSIX Base Definitions, 8.3 Other Environment Variables); gunicorn's and "
        "Python's per-user files go under it, and the image's user has none writable",
        "SSL_CERT_FILE": _SSL_CERT_FILE,
        "REQUESTS_CA_BUNDLE": "the CA bundle of python requests (requests.readthedocs.io, Advanced Usage, SSL Cert Verification)",
    },
    "web": {
        "HOME": "the user's home (POSIX Base Definitions, 8.3); pm2 and npm write under it",
        "PM2_HOME": "pm2's state directory, ~/.pm2 by default (pm2.keymetrics.io/docs/usage/specifics/, "
        "PM2_HOME); the web image starts Next.js under pm2 (web/docker/entrypoint.sh)",
        "PORT": "the port Next.js's standalone server.js listens on (nextjs.org/docs, next.config.js output: standalone, PORT and HOSTNAME)",
        "HOSTNAME": "the address Next.js's standalone server.js binds (same page as PORT)",
        "NODE_EXTRA_CA_CERTS": "extra CAs Node adds to its store (nodejs.org/api/cli.html, NODE_EXTRA_CA_CERTS=file)",
    },
    "plugin_daemon": {
        "HOME": "the user's home (POSIX Base Definitions, 8.3); uv and the plugins' Python write caches under it",
        "SSL_CERT_FILE": "the CA file of Go's crypto/x509 on Unix (pkg.go.dev/crypto/x509, SystemCertPool: "
        "SSL_CERT_FILE and SSL_CERT_DIR) and of the plugins' Python (" + _SSL_CERT_FILE + "); the "
        "plugins inherit the daemon's environment",
        "REQUESTS_CA_BUNDLE": "the CA bundle of python requests, used by plugins, which inherit the daemon's "
        "environment (requests.readthedocs.io, SSL Cert Verification)",
    },
    "sandbox": {
        "GIN_MODE": "gin's run mode (github.com/gin-gonic/gin mode.go, EnvGinMode = \"GIN_MODE\"); the sandbox's HTTP server is gin",
    },
}

# For the kubelet's $(VAR) expansion only: no program reads them.
KUBELET_ONLY = {
    "api": {
        "DIFY_PLATFORM_BROKER_PASSWORD": "the broker Redis's password, expanded into CELERY_BROKER_URL as "
        "$(DIFY_PLATFORM_BROKER_PASSWORD) (Kubernetes: Define dependent "
        "environment variables)",
    },
}

COMPONENTS = tuple(SETTINGS)


def known_names(component):
    """Every name the component's tables list."""
    return set(SETTINGS[component]) | set(RUNTIME.get(component, {})) | set(KUBELET_ONLY.get(component, {}))


def citation(component, name):
    """``repo path@revision (what)`` of a setting, or the reason of a runtime or kubelet-only name."""
    if name in SETTINGS[component]:
        repo, path, revision, what = SOURCES[SETTINGS[component][name]]
        return "%s %s@%s (%s)" % (repo, path, revision, what)
    return RUNTIME.get(component, {}).get(name) or KUBELET_ONLY[component][name]


def unknown_names(component, names):
    """[(name, closest known name or None)] for each of ``names`` no table of ``component`` lists."""
    known = sorted(known_names(component))
    return [(name, next(iter(difflib.get_close_matches(name, known, n=1, cutoff=0.75)), None)) for name in names if name not in known]


def describe(container, unknown):
    """One line per unknown name, with the suggestion."""
    return "\n".join(
        "%s: %s is no setting of Dify's at the pinned version%s"
        % (container, name, "; did you mean %s?" % suggestion if suggestion else " (and close to none)")
        for name, suggestion in unknown
    )
