"""A real LiteLLM proxy running the configuration the litellm role renders, on a real PostgreSQL.

The harness (tests/harness/litellm) runs LiteLLM with a fixed test configuration.
Budgets per person need more than that: the role's ``general_settings``
(``user_header_mappings``) and models that answer and cost something. So this
starts a second proxy of the same build (the harness's venv, Prisma client and
PostgreSQL), whose ``config.yaml`` is the role's ConfigMap as rendered for the
given inventory variables. Models are LiteLLM ``mock_response`` deployments with
a price per token: they answer without any backend, and their calls are charged.

The workload keys' script (``workload_keys.py``) is also taken from the rendered
ConfigMap and run as the pod's postStart hook runs it: with the proxy's URL and
master key in its environment.
"""

import os
import subprocess
import tempfile
from pathlib import Path

from harness.litellm import litellm_harness as harness
from helpers.role_render import render_role_objects

PRICED = {"input_cost_per_token": 0.0005, "output_cost_per_token": 0.0005}


def mock_model(name):
    """A model that answers with a fixed text (no backend) and costs 0.0005 a token."""
    return {"model_name": name, "model": "openai/" + name,
            "params": dict(PRICED, mock_response="%s answered." % name, api_key="not-used")}


def render_config(variables):
    """The litellm role's ConfigMap data for these variables (config.yaml, and the workload keys' files)."""
    base = {"dify_platform_namespace": "ai", "dify_platform_domain": "apps.example.test",
            "dify_platform_route_tls_termination": "edge",
            "dify_platform_images": {"litellm": "example.test/litellm@sha256:" + "a" * 64}}
    objects = render_role_objects("litellm", ("config.yml.j2",), dict(base, **variables))
    return objects[("ConfigMap", "litellm-config")]["data"]


class RoleConfiguredProxy(harness.LiteLLMProxy):
    """``litellm --config`` with the role's rendered ConfigMap instead of the harness's config: every file of its data
    beside config.yaml, as the pod mounts it (LiteLLM loads the model-access hook, model_access.py, from there)."""

    def __init__(self, venv, node_dir, database_url, files):
        super().__init__(venv, node_dir, database_url)
        self.files = files

    def start(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="litellm-role-proxy-"))
        for name, text in self.files.items():
            (self.workdir / name).write_text(text)
        port = harness.free_port()
        self.url = "http://127.0.0.1:%d" % port
        env = dict(os.environ, **harness.prisma_env(self.node_dir))
        env.update({
            "PATH": "%s:%s" % (self.venv / "bin", os.environ.get("PATH", "")),
            "DATABASE_URL": self.database_url, "LITELLM_MASTER_KEY": self.master_key,
            "LITELLM_SALT_KEY": self.salt_key, "DISABLE_SCHEMA_UPDATE": "true",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": os.environ.get("LITELLM_TEST_LOG_LEVEL", "WARNING"),
            "HOME": str(self.workdir)})
        self.log_path = self.workdir / "litellm.log"
        with open(self.log_path, "wb") as handle:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(self.venv / "bin" / "litellm"), "--config", str(self.workdir / "config.yaml"),
                 "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"],
                cwd=str(self.workdir), env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()
        return self


class RoleStack(harness.Stack):
    """PostgreSQL plus a proxy configured by the role; ``data`` is the rendered ConfigMap's data."""

    def __init__(self, variables):
        super().__init__()
        self.data = render_config(variables)
        self.venv = None

    def start(self):
        self.venv, node_dir = harness.prepare()
        self.postgres = harness.Postgres().start()
        self.postgres.apply_migrations(harness.site_packages(self.venv) / "litellm_proxy_extras" / "migrations")
        self.proxy = RoleConfiguredProxy(self.venv, node_dir, self.postgres.url, self.data).start()
        self.url, self.master_key = self.proxy.url, self.proxy.master_key
        return self

    def run_workload_keys(self, values):
        """Run the rendered workload_keys.py as the postStart hook does; ``values``: {env name: raw key}."""
        work = Path(tempfile.mkdtemp(prefix="workload-keys-"))
        try:
            (work / "workload-keys.json").write_text(self.data["workload-keys.json"])
            (work / "workload_keys.py").write_text(self.data["workload_keys.py"])
            env = dict(os.environ, LITELLM_WORKLOAD_KEYS_FILE=str(work / "workload-keys.json"),
                       LITELLM_WORKLOAD_KEYS_URL=self.url, LITELLM_MASTER_KEY=self.master_key, **values)
            return subprocess.run([str(self.venv / "bin" / "python3"), str(work / "workload_keys.py")], env=env,
                                  capture_output=True, text=True, timeout=300, check=False)
        finally:
            for path in work.iterdir():
                path.unlink()
            work.rmdir()

    def chat(self, key, model, headers=None, body=None):
        """(status, parsed answer) of one chat completion sent with ``key`` and extra headers."""
        return self.api("POST", "/v1/chat/completions", key=key, headers=headers, timeout=120,
                        body=dict({"model": model, "messages": [{"role": "user", "content": "Hello"}]}, **(body or {})))

    def spend_log(self, end_user):
        """[(model, spend, key alias)] of the spend log rows charged to ``end_user``, read in PostgreSQL."""
        # The e-mail is the test's own, quoted as a literal.
        sql = ("SELECT s.model_group, s.spend, coalesce(t.key_alias, '') FROM \"LiteLLM_SpendLogs\" s "  # noqa: S608
               "LEFT JOIN \"LiteLLM_VerificationToken\" t ON t.token = s.api_key WHERE s.end_user = '%s' "
               "ORDER BY s.\"startTime\"" % end_user.replace("'", "''"))
        proc = harness._run([str(self.postgres.bindir / "psql"), "-X", "-q", "-t", "-A", "-F", "|", "-h",
                             str(self.postgres.workdir), "-p", str(self.postgres.port), "-U", "postgres", "-d", "litellm",
                             "-c", sql], timeout=120)
        rows = [line.split("|") for line in proc.stdout.splitlines() if line.strip()]
        return [(model, float(spend), alias) for model, spend, alias in rows]
