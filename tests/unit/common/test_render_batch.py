"""The batch of role renders (tests/helpers/render_batch.py) gives each render what a run of its own gives."""

import json

import pytest

from helpers import render_batch
from helpers.playbook import run_tasks
from helpers.redis_render import BASE
from helpers.render_batch import render_many, render_tasks, spec_key, template_dir

REDIS = ("redis", ["redis.yml.j2"], BASE)
# No image for redis: the template fails on an undefined key.
BROKEN = ("redis", ["redis.yml.j2"], dict(BASE, dify_platform_images={}))
OTHER_POLICY = ("redis", ["redis.yml.j2"], dict(BASE, redis_maxmemory_policy="allkeys-lfu"))


def alone(spec):
    return run_tasks(render_tasks(spec[0], spec[1], spec[2], template_dir(spec[0]))).result("render")


def test_each_render_of_a_batch_is_its_render_alone_and_a_failure_stays_its_own():
    """A failing render between two others: the others are still rendered, each exactly as alone,
    with its own facts (the second gets its own eviction policy, not the first's)."""
    first, broken, second = render_many([REDIS, BROKEN, OTHER_POLICY])
    assert broken is None
    assert alone(BROKEN).get("failed")
    assert first["msg"] == alone(REDIS)["msg"]
    assert [cache_policy(first), cache_policy(second)] == ["allkeys-lru", "allkeys-lfu"]


def cache_policy(result):
    [cache] = [obj for obj in result["msg"] if obj["kind"] == "StatefulSet" and obj["metadata"]["name"] == "redis"]
    [args] = [container["args"] for container in cache["spec"]["template"]["spec"]["containers"] if container["name"] == "redis"]
    return args[args.index("--maxmemory-policy") + 1]


class FakeBatch:
    """render_many's stand-in for the plan's bookkeeping: each spec's result names the spec."""

    def __init__(self, failing=()):
        self.calls, self.failing = [], failing

    def __call__(self, specs):
        self.calls.append(specs)
        return [None if spec in self.failing else {"msg": [spec]} for spec in specs]


@pytest.fixture
def plan(tmp_path, monkeypatch):
    path = tmp_path / "plan.json"
    monkeypatch.setattr(render_batch, "PLAN", path)
    return path


def key(spec):
    return spec_key(*spec)


def test_the_plan_batches_what_the_collected_files_asked_for_each_result_once(plan, monkeypatch):
    here = "tests/unit/common/test_render_batch.py"
    plan.write_text(json.dumps({here: {key(REDIS): 2, key(BROKEN): 1}, "tests/unit/not_collected.py": {key(OTHER_POLICY): 1}}))
    fake = FakeBatch(failing=[list(BROKEN)])
    monkeypatch.setattr(render_batch, "render_many", fake)
    session = render_batch._Session()
    session.start({here}, set())
    assert session.take(*REDIS) == {"msg": [list(REDIS)]}
    assert session.take(*REDIS) == {"msg": [list(REDIS)]}
    assert session.take(*REDIS) is None, "a third request was not planned: it renders alone"
    assert session.take(*BROKEN) is None, "a render that failed in the batch renders alone"
    assert session.take(*OTHER_POLICY) is None, "another file's plan is not rendered when that file is not collected"
    assert len(fake.calls) == 1 and sorted(key(spec) for spec in fake.calls[0]) == sorted([key(BROKEN), key(REDIS), key(REDIS)])
    session.save()
    saved = json.loads(plan.read_text())
    assert saved[here] == {key(REDIS): 3, key(BROKEN): 1, key(OTHER_POLICY): 1}
    assert saved["tests/unit/not_collected.py"] == {key(OTHER_POLICY): 1}


def test_a_file_run_in_part_keeps_its_plan_and_an_inactive_session_renders_alone(plan, monkeypatch):
    here = "tests/unit/common/test_render_batch.py"
    plan.write_text(json.dumps({here: {key(OTHER_POLICY): 1}}))
    monkeypatch.setattr(render_batch, "render_many", FakeBatch())
    assert render_batch._Session().take(*REDIS) is None
    session = render_batch._Session()
    session.start({here}, {here})
    session.take(*REDIS)
    session.save()
    assert json.loads(plan.read_text())[here] == {key(REDIS): 1, key(OTHER_POLICY): 1}
    assert spec_key("redis", ["redis.yml.j2"], {(1, 2): "a tuple key"}) is None
