"""The PostgreSQL Cluster's pods pull the operand with the platform's pull secret.

CloudNativePG runs the instance pods under a ServiceAccount of its own (named after the Cluster), not
one of the foundation wave's, whose ``imagePullSecrets`` name the pull secret. It gives that account the
Cluster's ``spec.imagePullSecrets`` (github.com/cloudnative-pg/cloudnative-pg@v1.30.1
api/v1/cluster_types.go, ``ImagePullSecrets``). Without them, on kind the pods could not pull from the
registry that stands in for Harbor (docs/molecule-kind.md):
``failed to authorize: failed to fetch anonymous token: unexpected status ... 401 Unauthorized``.
"""

import pytest

from helpers.role_render import render_role_objects

BASE = {"dify_platform_namespace": "ai", "dify_platform_domain": "apps.example.test",
        "dify_platform_storage_class": "",
        "dify_platform_images": {"postgres": "harbor.example.test/p/postgresql:17.11-1@sha256:" + "a" * 64}}


def cluster(variables):
    objects = render_role_objects("postgres", ("cluster.yml.j2",), dict(BASE, **variables))
    [found] = [obj for (kind, _name), obj in objects.items() if kind == "Cluster"]
    return found


def test_a_registry_with_credentials_gives_the_cluster_the_pull_secret():
    spec = cluster({"dify_platform_registry_username": "robot$dify-platform+pull"})["spec"]
    assert spec["imagePullSecrets"] == [{"name": "dify-platform-pull"}]


def test_the_foundation_secret_name_is_followed():
    spec = cluster({"dify_platform_registry_username": "robot", "foundation_pull_secret_name": "harbor-pull"})["spec"]
    assert spec["imagePullSecrets"] == [{"name": "harbor-pull"}]


@pytest.mark.parametrize("variables", [{}, {"dify_platform_registry_username": ""},
                                       {"dify_platform_registry_username": "robot", "postgres_image_pull_secret": ""}])
def test_no_credentials_no_pull_secret(variables):
    assert "imagePullSecrets" not in cluster(variables)["spec"]
