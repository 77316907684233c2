"""The image recipes against the release manifest, the role templates and the docs."""

import re
import shutil
from pathlib import Path

import pytest
import yaml
from airgap_images import recipe as recipes
from airgap_images.recipe import LABEL_STAND_IN, Recipe, RecipeError
from airgap_images.table import differences_table

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"
NAMES = recipes.names()


def test_every_priority_image_has_a_recipe():
    assert {"redis", "postgres", "squid", "oauth2-proxy", "keycloak", "standin"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_recipe_is_valid_and_serves_manifest_entries(name):
    recipe = Recipe(name)
    manifest = recipes.load_manifest()
    assert recipe.entries
    for entry in recipe.entries:
        assert entry in manifest
        config = recipe.image_config(entry, "x", "0" * 64)
        uid, gid = config["User"].split(":")
        assert int(uid) > 0 and gid == "0"
        assert any(env.startswith("PATH=") for env in config["Env"])
        assert config["Labels"][LABEL_STAND_IN] == ("true" if recipe.kind == "stand-in" else "false")
        assert config.get("Entrypoint") or config.get("Cmd"), "the image must run something"


def _copy(tmp_path, name):
    shutil.copytree(recipes.IMAGES_DIR / name, tmp_path / name)
    return tmp_path / name / "recipe.yml"


@pytest.mark.parametrize("user", ["0:0", "root:0", "999", "999:999", ""])
def test_a_root_or_non_group_0_user_is_refused(tmp_path, user):
    path = _copy(tmp_path, "redis")
    data = yaml.safe_load(path.read_text())
    data["config"]["user"] = user
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RecipeError, match="numeric non-root UID with group 0"):
        Recipe("redis", images_dir=tmp_path)


def test_an_entry_missing_from_the_manifest_is_refused(tmp_path):
    path = _copy(tmp_path, "redis")
    data = yaml.safe_load(path.read_text())
    data["manifest"] = "no_such_component"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RecipeError, match=r"not an entry of release/manifest\.yml"):
        Recipe("redis", images_dir=tmp_path)


def test_content_hash_follows_recipe_files_and_the_manifest_version(tmp_path):
    _copy(tmp_path, "keycloak")
    manifest = recipes.load_manifest()
    base = Recipe("keycloak", manifest=manifest, images_dir=tmp_path).content_hash(["tool 1"])
    assert Recipe("keycloak", manifest=manifest, images_dir=tmp_path).content_hash(["tool 1"]) == base
    assert Recipe("keycloak", manifest=manifest, images_dir=tmp_path).content_hash(["tool 2"]) != base
    bumped = dict(manifest, keycloak=dict(manifest["keycloak"], version="99.0.0"))
    assert Recipe("keycloak", manifest=bumped, images_dir=tmp_path).content_hash(["tool 1"]) != base
    script = tmp_path / "keycloak" / "customize.sh"
    script.write_text(script.read_text() + "\n# changed\n")
    assert Recipe("keycloak", manifest=manifest, images_dir=tmp_path).content_hash(["tool 1"]) != base


def test_versions_come_from_the_manifest():
    recipe = Recipe("oauth2-proxy")
    version = recipes.load_manifest()["oauth2_proxy"]["version"]
    go = recipe.expand(recipe.data["go"])[0]
    assert go["version"] == version
    assert go["ldflags"].endswith("VERSION=%s" % version)
    keycloak = Recipe("keycloak")
    assert keycloak.expand(keycloak.data["maven"])[0]["version"] == recipes.load_manifest()["keycloak"]["version"]


def test_stand_ins_are_labelled_and_distinct_per_entry():
    recipe = Recipe("standin")
    components = set()
    for entry in recipe.entries:
        config = recipe.image_config(entry, "stand-in", "0" * 64)
        assert config["Labels"][LABEL_STAND_IN] == "true"
        assert "STAND-IN" in config["Labels"]["org.opencontainers.image.description"]
        env = dict(item.split("=", 1) for item in config["Env"])
        components.add(env["STANDIN_COMPONENT"])
    assert len(components) == len(recipe.entries)


# --- the contract the role templates rely on -------------------------------------------------

def test_squid_command_and_config_match_the_dify_role():
    recipe = Recipe("squid")
    workloads = (ROLES / "dify" / "templates" / "workloads.yml.j2").read_text()
    command = re.search(r"'image': dify_images\.ssrf_proxy,.*?'command': (\[[^\]]*\])", workloads, re.S).group(1)
    assert yaml.safe_load(command) == recipe.data["config"]["cmd"]
    role = (ROLES / "dify" / "templates" / "config.yml.j2").read_text()
    block = role.split("squid.conf: |", 1)[1].split("{% macro", 1)[0]
    rendered = [line.strip() for line in block.splitlines()
                if line.strip() and "{%" not in line and "sandbox" not in line and "8194" not in line]
    smoke = [line.strip() for line in (recipe.dir / "smoke" / "squid.conf").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert smoke == rendered, "hack/images/squid/smoke/squid.conf drifted from the dify role's squid.conf"


def test_redis_smoke_runs_the_roles_command_verbatim():
    template = (ROLES / "dify_platform" / "templates" / "platform" / "redis.j2").read_text()
    block = template.split("command:", 1)[1].split("args:", 1)[0]
    command = yaml.safe_load(block.replace("\n          ", "\n"))
    recipe = Recipe("redis")
    smoke = recipe.expand(recipe.data["smoke"]["serve"])  # what the smoke run passes ({{ }} in the recipe are braces)
    assert command == smoke[:len(command)], "hack/images/redis smoke drifted from the role's redis command"
    assert "redis-server" in Recipe("redis").packages()


def test_oauth2_proxy_role_passes_args_only_so_the_entrypoint_is_the_binary():
    template = (ROLES / "oauth2_proxy" / "templates" / "oauth2-proxy.yml.j2").read_text()
    container = template.split("image: {{ oauth2_proxy_image }}", 1)[1].split("ports:", 1)[0]
    assert "args:" in container and "command:" not in container
    assert Recipe("oauth2-proxy").data["config"]["entrypoint"] == ["/bin/oauth2-proxy"]


def test_stand_in_shims_cover_the_commands_the_roles_run():
    script = (recipes.IMAGES_DIR / "standin" / "customize.sh").read_text()
    beat = (ROLES / "dify" / "templates" / "workloads.yml.j2").read_text()
    assert "'command': ['celery'," in beat and "/usr/local/bin/celery" in script
    migrate = (ROLES / "dify" / "templates" / "migrate.yml.j2").read_text()
    assert "command: [flask, upgrade-db]" in migrate and "/usr/local/bin/flask" in script
    clickhouse = (ROLES / "langfuse" / "templates" / "clickhouse.yml.j2").read_text()
    assert "command: [/usr/bin/clickhouse]" in clickhouse and "/usr/bin/clickhouse" in script


def test_docs_table_is_generated_from_the_recipes():
    docs = (REPO / "docs" / "kind-images.md").read_text()
    assert differences_table(NAMES) in docs, "regenerate it: hack/images/build.py table"


def test_smoke_and_docs_text_do_not_change_the_hash(tmp_path):
    path = _copy(tmp_path, "squid")
    manifest = recipes.load_manifest()
    base = Recipe("squid", manifest=manifest, images_dir=tmp_path).content_hash()
    data = yaml.safe_load(path.read_text())
    data["differences"]["user"] = "reworded"
    data["smoke"]["command"] = ["squid", "-v", "-v"]
    path.write_text(yaml.safe_dump(data))
    (tmp_path / "squid" / "smoke" / "squid.conf").write_text("# other\n")
    assert Recipe("squid", manifest=manifest, images_dir=tmp_path).content_hash() == base
    data["packages"].append("squidclient")
    path.write_text(yaml.safe_dump(data))
    assert Recipe("squid", manifest=manifest, images_dir=tmp_path).content_hash() != base


def test_reformatting_a_shaping_module_does_not_change_the_hash(tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    shutil.copytree(recipes.HERE, lib)
    monkeypatch.setattr(recipes, "HERE", lib)
    base = Recipe("redis").content_hash()
    oci_py = lib / "oci.py"
    oci_py.write_text(oci_py.read_text() + "\n# a comment\n")
    assert Recipe("redis").content_hash() == base
    oci_py.write_text(oci_py.read_text().replace("level=1", "level=2"))
    assert Recipe("redis").content_hash() != base
