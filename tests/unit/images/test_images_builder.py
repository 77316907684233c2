"""The builder's lock and its clean-up of superseded local images (pure logic and a real flock)."""

import fcntl
import threading

from airgap_images.builder import Builder


def stamp(recipe, **locals_by_entry):
    return {"recipe": recipe, "images": {entry: {"local": ref} for entry, ref in locals_by_entry.items()}}


def test_a_rebuild_supersedes_the_old_local_images_only():
    previous = stamp("standin", dify_api="p/dify-api:old", dify_web="p/dify-web:old")
    current = stamp("standin", dify_api="p/dify-api:new", dify_web="p/dify-web:old")
    assert Builder.superseded(previous, current) == ["p/dify-api:old"]


def test_a_warm_build_or_a_first_build_removes_nothing():
    same = stamp("redis", redis="p/redis:abc")
    assert Builder.superseded(same, stamp("redis", redis="p/redis:abc")) == []
    assert Builder.superseded(None, same) == []


def test_a_second_run_waits_for_the_recipes_lock(tmp_path):
    builder = Builder(tmp_path)
    messages, order = [], []

    def second_run():
        with builder.locked("redis", log=messages.append):
            order.append("second")

    with builder.locked("redis", log=messages.append):
        waiter = threading.Thread(target=second_run)
        waiter.start()
        waiter.join(timeout=1)
        assert waiter.is_alive(), "the second run did not wait for the lock"
        assert any("waiting for its lock" in m for m in messages)
        order.append("first done")
    waiter.join(timeout=10)
    assert order == ["first done", "second"]


def test_other_recipes_are_not_blocked(tmp_path):
    builder = Builder(tmp_path)
    with builder.locked("redis"), open(tmp_path / "images" / "locks" / "postgres.lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
