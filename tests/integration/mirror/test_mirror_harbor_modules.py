"""harbor_project and harbor_robot against the fake Harbor: create, no-op, check mode, diff, update, errors.

Every task runs through ansible-playbook, the way users run it, with the connection
set once per play through the action group (module_defaults: group/airgap.dify_platform.harbor).
"""

import base64
import json
import urllib.request

from mirror_support import HARBOR_ADMIN_PASSWORD, lab  # noqa: F401  # pylint: disable=unused-import

from helpers.playbook import run_tasks

GROUP = "group/airgap.dify_platform.harbor"


def connection(lab, **extra):  # noqa: F811
    options = {"harbor_url": lab.harbor.url, "harbor_password": HARBOR_ADMIN_PASSWORD,
               "ca_path": str(lab.ca.cert_path), "retries": 0, "timeout": 20}
    options.update(extra)
    return options


def run(lab, tasks, check=False, diff=True, **conn):  # noqa: F811
    return run_tasks(tasks, check=check, diff=diff, module_defaults={GROUP: connection(lab, **conn)})


def task(module, title, **options):
    return {"name": title, "airgap.dify_platform.%s" % module: options, "register": "result"}


def ok(result_run, name):
    result = result_run.result(name)
    assert not result.get("failed"), "%s failed: %s\n%s" % (name, result.get("msg"), result_run.stderr[-2000:])
    return result


def token_login(lab, username, password):  # noqa: F811
    """What a registry client does: ask Harbor's token service for a token with Basic credentials."""
    req = urllib.request.Request(lab.harbor.url  # noqa: S310
                                  + "/service/token?service=harbor-registry",
                                 headers={"Authorization": "Basic " + base64.b64encode(
                                     ("%s:%s" % (username, password)).encode()).decode()})
    try:
        with urllib.request.urlopen(req, context=lab.ca.ssl_context(), timeout=10) as resp:  # noqa: S310
            return resp.status == 200
    except urllib.error.HTTPError:
        return False


def test_project_lifecycle(lab):  # noqa: F811
    name = lab.unique("proj")
    check = run(lab, [task("harbor_project", "create", name=name, public=False)], check=True)
    created = ok(check, "create")
    assert created["changed"] is True and created["project_id"] is None
    assert lab.harbor.project(name) is None, "check mode must not create the project"
    assert created["diff"]["after"]["metadata"]["public"] == "false"

    first = run(lab, [task("harbor_project", "create", name=name, public=False, auto_scan=True),
                      task("harbor_project", "again", name=name, public=False, auto_scan=True)])
    made, again = ok(first, "create"), ok(first, "again")
    assert made["changed"] is True and made["msg"] == "Project %s created." % name
    assert made["project"]["metadata"] == {"public": "false", "auto_scan": "true"}
    assert again["changed"] is False and again["changes"] == []
    assert lab.harbor.project(name)["metadata"]["auto_scan"] == "true"

    # Only declared fields are compared: leaving auto_scan out changes nothing.
    flip = run(lab, [task("harbor_project", "public", name=name, public=True)], check=True)
    result = ok(flip, "public")
    assert result["changed"] is True and result["changes"] == ["public"]
    assert result["diff"] == {"before": {"metadata": {"public": "false"}}, "after": {"metadata": {"public": "true"}}}
    assert lab.harbor.project(name)["metadata"]["public"] == "false"
    done = ok(run(lab, [task("harbor_project", "public", name=name, public=True, severity="high")]), "public")
    assert sorted(done["changes"]) == ["public", "severity"]
    assert lab.harbor.project(name)["metadata"]["severity"] == "high"

    gone = run(lab, [task("harbor_project", "delete", name=name, state="absent"),
                     task("harbor_project", "delete again", name=name, state="absent")])
    assert ok(gone, "delete")["changed"] is True and ok(gone, "delete again")["changed"] is False
    assert lab.harbor.project(name) is None


def test_project_errors_are_clear(lab):  # noqa: F811
    wrong = run(lab, [task("harbor_project", "p", name="whatever")], harbor_password="not-the-password")
    result = wrong.result("p")
    assert result["failed"] is True
    assert "refused the credentials of user 'admin' (HTTP 401)" in result["msg"]
    assert "not-the-password" not in json.dumps(wrong.data), "the password must never show"
    bad = run(lab, [task("harbor_project", "p", name="Bad_Name")]).result("p")
    assert bad["failed"] is True and "not a valid Harbor project name" in bad["msg"]


def test_robot_lifecycle_and_secret(lab):  # noqa: F811
    project = lab.unique("robots")
    lab.harbor_project(project)
    name = lab.unique("pusher")
    perms = [{"project": project, "access": ["push", "pull"]}]
    check = run(lab, [task("harbor_robot", "r", name=name, secret="First-Secret-1", permissions=perms, duration=-1)],
                check=True)
    assert ok(check, "r")["changed"] is True and lab.harbor.robot("robot$" + name) is None

    made = run(lab, [task("harbor_robot", "r", name=name, secret="First-Secret-1", permissions=perms, duration=-1),
                     task("harbor_robot", "again", name=name, secret="First-Secret-1",
                          permissions=[{"project": project, "access": ["repository:pull", "push"]}], duration=-1)])
    created, again = ok(made, "r"), ok(made, "again")
    assert created["changed"] is True and created["name"] == "robot$" + name
    assert created["robot"]["permissions"] == {project: ["repository:pull", "repository:push"]}
    assert "secret" not in created, "a declared secret is never returned"
    assert again["changed"] is False and again["secret_verified"] is True
    assert token_login(lab, "robot$" + name, "First-Secret-1")
    assert "First-Secret-1" not in json.dumps(made.data)

    # A new secret: found by logging in, reported (masked) as a change, and set.
    rotate_check = ok(run(lab, [task("harbor_robot", "r", name=name, secret="Second-Secret-2", permissions=perms)],
                          check=True), "r")
    assert rotate_check["changes"] == ["secret"]
    assert rotate_check["diff"]["after"]["secret"] == "******** (changed)"
    assert token_login(lab, "robot$" + name, "First-Secret-1"), "check mode must not change the secret"
    rotated = run(lab, [task("harbor_robot", "r", name=name, secret="Second-Secret-2", permissions=perms)])
    assert ok(rotated, "r")["changes"] == ["secret"]
    assert token_login(lab, "robot$" + name, "Second-Secret-2")
    assert not token_login(lab, "robot$" + name, "First-Secret-1")
    assert "Second-Secret-2" not in json.dumps(rotated.data)

    # Permissions compare as a set; a narrower access is a change.
    narrower = ok(run(lab, [task("harbor_robot", "r", name=name, secret="Second-Secret-2",
                                 permissions=[{"project": project, "access": ["pull"]}])]), "r")
    assert narrower["changes"] == ["permissions"]
    assert narrower["diff"]["after"]["permissions"] == {project: ["repository:pull"]}

    removed = run(lab, [task("harbor_robot", "r", name=name, state="absent"),
                        task("harbor_robot", "again", name=name, state="absent")])
    assert ok(removed, "r")["changed"] is True and ok(removed, "again")["changed"] is False


def test_robot_without_secret_returns_the_generated_one(lab):  # noqa: F811
    project = lab.unique("gen")
    lab.harbor_project(project)
    name = lab.unique("gen")
    made = ok(run(lab, [task("harbor_robot", "r", name=name, permissions=[{"project": project, "access": ["pull"]}])]), "r")
    assert made["changed"] is True and len(made["secret"]) >= 8
    assert token_login(lab, "robot$" + name, made["secret"])


def test_robot_refuses_weak_secret_and_unknown_project(lab):  # noqa: F811
    weak = run(lab, [task("harbor_robot", "r", name="weak", secret="short",
                          permissions=[{"project": "library", "access": ["pull"]}])]).result("r")
    assert weak["failed"] is True and "8-128 characters" in weak["msg"]
    missing = run(lab, [task("harbor_robot", "r", name="orphan", secret="Fine-Secret-1",
                             permissions=[{"project": "no-such-project", "access": ["pull"]}])]).result("r")
    assert missing["failed"] is True and "project no-such-project not found" in missing["msg"]
