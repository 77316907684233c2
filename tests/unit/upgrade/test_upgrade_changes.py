"""Is a run an upgrade? The running workloads' images against the release manifest's (upgrade_changes)."""

from ansible_collections.airgap.dify_platform.plugins.filter.upgrade_changes import split_reference, upgrade_changes

HARBOR = "harbor.example.internal/dify-platform"
A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64
IMAGES = {
    "dify_api": "%s/langgenius/dify-api@%s" % (HARBOR, B),
    "dify_web": "%s/langgenius/dify-web@%s" % (HARBOR, "sha256:" + "d" * 64),
    "redis": "%s/library/redis@%s" % (HARBOR, "sha256:" + "c" * 64),
}


def workload(kind, name, containers, init=(), namespace="dify-platform"):
    return {"kind": kind, "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": {"spec": {"containers": [{"name": n, "image": i} for n, i in containers],
                                           "initContainers": [{"name": n, "image": i} for n, i in init]}}}}


def test_a_first_install_is_no_upgrade():
    assert upgrade_changes([], IMAGES) == []


def test_the_same_manifest_again_is_no_upgrade():
    live = [workload("Deployment", "dify-api", [("api", IMAGES["dify_api"])]),
            workload("StatefulSet", "redis", [("redis", IMAGES["redis"])])]
    assert upgrade_changes(live, IMAGES) == []


def test_the_same_digest_under_another_registry_is_no_upgrade():
    moved = "registry.other.internal:5000/mirror/langgenius/dify-api@%s" % B
    assert upgrade_changes([workload("Deployment", "dify-api", [("api", moved)])], IMAGES) == []


def test_a_new_digest_is_an_upgrade_naming_the_workload_the_container_and_both_images():
    old = "%s/langgenius/dify-api@%s" % (HARBOR, A)
    live = [workload("Deployment", "dify-api", [("api", old)]),
            workload("Deployment", "dify-web", [("web", IMAGES["dify_web"])])]
    assert upgrade_changes(live, IMAGES) == [{
        "workload": "Deployment dify-platform/dify-api", "container": "api", "image": "dify_api",
        "from": old, "to": IMAGES["dify_api"]}]


def test_the_pair_is_the_repository_with_the_longest_common_tail():
    images = {"a": "h/x/langgenius/dify-api@%s" % B, "b": "h/x/other/dify-api@%s" % B}
    live = [workload("Deployment", "api", [("api", "h/y/langgenius/dify-api@%s" % A)])]
    assert [c["image"] for c in upgrade_changes(live, images)] == ["a"]


def test_init_containers_count_and_images_no_entry_pairs_with_are_left_out():
    old = "%s/langgenius/dify-api@%s" % (HARBOR, A)
    live = [workload("Deployment", "dify-worker", [("sidecar", "quay.io/someone/unrelated@" + A)], init=[("wait", old)])]
    changes = upgrade_changes(live, IMAGES)
    assert [(c["container"], c["image"]) for c in changes] == [("wait", "dify_api")]


def test_split_reference_drops_the_registry_host_and_keeps_the_digest_or_tag():
    assert split_reference("host:5443/p/langgenius/dify-api@" + A) == (["p", "langgenius", "dify-api"], A)
    assert split_reference("library/redis:8@" + A) == (["library", "redis"], A)
    assert split_reference("localhost/x/y:1.0") == (["x", "y"], "1.0")
    assert split_reference("redis") == (["redis"], "")


def test_each_container_is_compared_with_its_own_entry_not_with_any_digest_of_the_manifest():
    # The api running the web's digest is still an api that changes (a set of all digests would miss it).
    wrong = "%s/langgenius/dify-api@%s" % (HARBOR, IMAGES["dify_web"].split("@")[1])
    assert [c["image"] for c in upgrade_changes([workload("Deployment", "dify-api", [("api", wrong)])], IMAGES)] == ["dify_api"]
