"""joinrun.page_cache.WorkerMemory: what a worker keeps for its requests is forgotten when
its time is up and, least recently used first, when it is full."""

from joinrun.page_cache import WorkerMemory


def test_a_value_is_forgotten_when_its_time_is_up(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("joinrun.page_cache.time.monotonic", lambda: now[0])
    memory = WorkerMemory(10)
    memory.set("header", "<header>", 60)
    memory.set("rows", ["kept"])
    now[0] += 59
    assert memory.get("header") == "<header>"
    now[0] += 1
    assert memory.get("header") is None
    assert memory.get("rows") == ["kept"]  # no time given: kept until pushed out


def test_the_least_recently_used_goes_first_when_full():
    memory = WorkerMemory(2)
    memory.set("a", 1)
    memory.set("b", 2)
    assert memory.get("a") == 1  # now "b" is the least recently used
    memory.set("c", 3)
    assert (memory.get("a"), memory.get("b"), memory.get("c")) == (1, None, 3)
