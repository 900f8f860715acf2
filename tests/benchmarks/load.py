"""Serving and loading for tests/benchmarks/site_speed.py: gunicorn with the site's settings
(for the site and for the one-file app), a page loaded in turns beside the one-file app,
wrk when /usr/bin/wrk exists or a small Python load generator, and what each request cost
the server's workers in CPU time (read from /proc, so another program busy on the machine
does not count).

    python tests/benchmarks/load.py --load URL SECONDS CONNECTIONS HEADERS-JSON
"""

import contextlib
import http.client
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a file, the project root is not on the path
    sys.path.insert(0, str(ROOT))

from tests.served import stop  # noqa: E402 (the path above first)

WRK = "/usr/bin/wrk"


@contextlib.contextmanager
def serve(env, log_path, *, app=None, check="/healthz"):
    """gunicorn with joinrun/gunicorn.conf.py and ``env`` (its GUNICORN_BIND, its
    WEB_CONCURRENCY), serving ``app`` when given, else the site; yields (base URL, pid of
    gunicorn's master) once ``check`` answers 200."""
    base = "http://" + env["GUNICORN_BIND"]
    with open(log_path, "w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "joinrun/gunicorn.conf.py",
             *([app] if app else [])],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while not _answers(base + check):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start:\n{Path(log_path).read_text()}")
                time.sleep(0.1)
            yield base, server.pid
        finally:
            stop(server)


def _answers(url):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("GET", parts.path)
        return connection.getresponse().status == 200
    except OSError:  # not listening yet, or a worker still loading Django
        return False
    finally:
        connection.close()


def workers_cpu(master):
    """Seconds of CPU the worker processes of gunicorn's ``master`` have used, or None
    where there is no /proc."""
    total, found = 0, False
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == master:
            found = True
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK") if found else None


def side_by_side(url, app, seconds, connections, headers=None):
    """(figures for ``url``, figures for the one-file app), each (URL, gunicorn master),
    loaded in turns, each for ``seconds`` in all: rates are the means of the turns, p50
    their mean, p99 their largest, CPU per request over all of them."""
    turns = max(2, round(seconds / 2))
    page, limit = [], []
    for _ in range(turns):
        limit.append(load_page(*app, seconds / turns, connections))
        page.append(load_page(*url, seconds / turns, connections, headers))
    return combined(page), combined(limit)


def combined(turns):
    requests = sum(turn["requests"] for turn in turns)
    cpu = [turn["cpu"] for turn in turns]
    return {
        "tool": turns[0]["tool"],
        "requests": requests,
        "rate": sum(turn["rate"] for turn in turns) / len(turns),
        "p50": sum(turn["p50"] for turn in turns) / len(turns),
        "p99": max(turn["p99"] for turn in turns),
        "failed": sum(turn["failed"] for turn in turns),
        "socket_errors": sum(turn["socket_errors"] for turn in turns),
        "cpu": None if None in cpu else sum(cpu),
        "cpu_ms": None if None in cpu or not requests else sum(cpu) / requests * 1000,
    }


def load_page(url, master, seconds, connections, headers=None):
    """{"rate", "requests", "p50", "p99" (ms), "failed", "tool", "cpu" (seconds the
    workers of gunicorn ``master`` spent)} for ``url`` under load from another process,
    each request with ``headers`` (a cookie, an If-None-Match)."""
    before = workers_cpu(master)
    if os.path.exists(WRK):
        figures = wrk(url, seconds, connections, headers)
    else:
        done = subprocess.run(
            [sys.executable, __file__, "--load", url, str(seconds), str(connections),
             json.dumps(headers or {})],
            capture_output=True, text=True, check=True,
        )
        figures = json.loads(done.stdout)
    after = workers_cpu(master)
    figures["cpu"] = None if None in (before, after) else after - before
    return figures


def wrk(url, seconds, connections, headers=None):
    threads = min(2, connections)
    options = ["-H", "Accept-Encoding: gzip"]
    for name, value in (headers or {}).items():
        options += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", *options,
         url],
        capture_output=True, text=True, check=True,
    )
    out = done.stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "tool": f"wrk, {threads} threads",
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "requests": int(re.search(r"(\d+) requests in", out)[1]),
        "p50": wrk_ms(re.search(r"50%\s+([\d.]+\w+)", out)[1]),
        "p99": wrk_ms(re.search(r"99%\s+([\d.]+\w+)", out)[1]),
        "failed": int(failed[1]) if failed else 0,
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
    }


def wrk_ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def python_load(url, seconds, connections, extra_headers=None):
    """The fallback load generator: ``connections`` threads, each reusing its connection
    while the server keeps it open."""
    headers = {"Accept-Encoding": "gzip", **(extra_headers or {})}
    parts = urlsplit(url)
    path = parts.path or "/"
    latencies, failures, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def visitor():
        mine, failed, connection = [], 0, None
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                            timeout=30)
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failed += 1
                if connection is not None:
                    connection.close()
                connection = None
                continue
            mine.append(time.perf_counter() - started)
            failed += response.status >= 400
            if response.will_close:
                connection.close()
                connection = None
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    began = time.monotonic()
    threads = [threading.Thread(target=visitor) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies.sort()

    def percentile(p):
        if not latencies:
            return float("nan")
        return latencies[max(math.ceil(p / 100 * len(latencies)) - 1, 0)] * 1000

    return {"tool": f"Python, {connections} threads", "rate": len(latencies) / elapsed,
            "requests": len(latencies), "p50": percentile(50), "p99": percentile(99),
            "failed": failures[0], "socket_errors": 0}


if __name__ == "__main__" and sys.argv[1:2] == ["--load"]:
    url, seconds, connections = sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(python_load(url, seconds, connections, json.loads(sys.argv[5]))))
