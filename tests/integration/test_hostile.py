#!/usr/bin/python3
"""Hostile input and long runs: mutated MQTT payloads across every
profile, abusive HTTP clients, and a soak at a steady rate. The daemon
must answer or refuse cleanly, count and keep every bad message, never
spin, and keep memory and file descriptors flat.

WT_HOSTILE_N (default 100000) mutated messages; WT_SOAK_S (default 20)
seconds of soak — set WT_SOAK_S=3600 for the long mode."""

import json
import os
import random
import resource
import socket
import time

from harness import SANITIZED, Env, Publisher, read_tsv, run, wait_for

HOSTILE_N = int(os.environ.get("WT_HOSTILE_N", "100000"))
SOAK_S = float(os.environ.get("WT_SOAK_S", "20"))
SOURCE = os.environ.get("WT_SOURCE", ".")
PROFILES = [os.path.join(os.path.abspath(SOURCE), "conf", "profiles",
                         "*.yaml")]
SUBS = [("wt/v1/#", "wastetrack"), ("zwc/vendorA/v2/#", "vendor-a"),
        ("huanwei/cc/#", "vendor-b"), ("legacy/wb/#", "legacy-wb"),
        ("jt808/+/+/up", "jt808-emqx")]
REASONS = {"too_large", "bad_utf8", "no_profile", "unknown_kind", "bad_json",
           "bad_type", "missing_field", "bad_value", "bad_time", "future_ts",
           "bad_unit", "bad_checksum", "internal"}


def proc_stat(pid):
    """(resident kB, open fds, cpu seconds) of a process."""
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = len(os.listdir("/proc/%d/fd" % pid))
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss, fds, cpu


def mutate(rng, payload):
    """One hostile variant of a valid payload."""
    b = payload if isinstance(payload, bytes) else payload.encode()
    k = rng.randrange(10)
    if k == 0:
        return b[:rng.randrange(len(b))]                 # truncated
    if k == 1:
        i = rng.randrange(len(b))
        return b[:i] + bytes([rng.randrange(256)]) + b[i + 1:]  # flipped
    if k == 2:
        return b"[" * 20000 + b"]" * 20000               # deeply nested
    if k == 3:
        return b[:len(b) // 2] + b"\xff\xfe\xc0\x80" + b[len(b) // 2:]
    if k == 4:
        return b.replace(b":", b":\x00", 1)              # NUL byte
    if k == 5:
        return b.replace(b"1", b"1e400", 1)              # out of range
    if k == 6:
        return b.replace(b'"', b'{"', 1)                 # wrong types
    if k == 7:
        return b"x" * (300 * 1024)                       # huge
    if k == 8:
        return json.dumps({"ts": [1, 2], "lat": {"a": 1}}).encode()
    return b""                                           # empty


def test_hostile_mqtt():
    rng = random.Random(20261128)
    base = []
    for name in ("wastetrack", "vendor-a", "vendor-b", "legacy-wb",
                 "jt808-emqx"):
        base += read_tsv(name + ".tsv")
    with Env("hostile", subscriptions=SUBS, include=PROFILES) as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        items = [(t, mutate(rng, p)) for t, p in
                 (rng.choice(base) for _ in range(HOSTILE_N))]
        first = HOSTILE_N // 5
        pub.publish_all(items[:first], timeout=600)
        wait_for(lambda: d.status()["ingest"]["received"] >= first, 120,
                 "the first fifth")
        rss0, fds0, _ = proc_stat(d.proc.pid)
        pub.publish_all(items[first:], timeout=600)
        wait_for(lambda: d.status()["ingest"]["received"] >= HOSTILE_N,
                 600, "all mutated messages")
        pub.close()
        rss1, fds1, _ = proc_stat(d.proc.pid)
        st = d.status()["ingest"]
        # Every message is accounted for: a row, a duplicate or a reject.
        # (The broker may redeliver a few under load: more, never fewer.)
        assert st["received"] >= HOSTILE_N, st
        assert (st["stored"] + st["duplicates"] + st["history"] +
                st["rejected"]) == st["received"], st
        assert d.count("rejects") == st["rejected"], st
        reasons = {r[0] for r in d.query("SELECT DISTINCT reason FROM"
                                         " rejects")}
        assert reasons <= REASONS, reasons
        assert d.count("rejects", "detail IS NULL OR detail = ''") == 0
        assert st["rejected"] > HOSTILE_N // 2, st
        assert d.http("/healthz") == (200, "ok\n")
        # Memory flat: the last four fifths added little.
        assert SANITIZED or rss1 - rss0 < 16 * 1024, (rss0, rss1)
        assert fds1 <= fds0 + 2, (fds0, fds1)
        print("hostile: %d sent, %d rejected by %d reasons, %d stored, "
              "RSS %d -> %d kB" % (HOSTILE_N, st["rejected"], len(reasons),
                                   st["stored"], rss0, rss1))


def raw_http(port, data, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        return out
    except (ConnectionResetError, BrokenPipeError):
        return b""
    finally:
        s.close()


def test_hostile_http():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    with Env("http-abuse") as env:
        d = env.daemon.start()
        port = d.http_port
        # Oversized headers and URLs are refused, not served.
        big = raw_http(port, b"GET /status HTTP/1.1\r\nHost: x\r\nX-A: " +
                       b"a" * 20000 + b"\r\n\r\n")
        assert not big.startswith(b"HTTP/1.1 200"), big[:80]
        url = raw_http(port, b"GET /" + b"a" * 100000 +
                       b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert not url.startswith(b"HTTP/1.1 200"), url[:80]
        assert raw_http(port, b"DELETE /status HTTP/1.1\r\nHost: x\r\n"
                        b"Connection: close\r\n\r\n").startswith(
                            b"HTTP/1.1 405")
        assert raw_http(port, b"BREW /pot HTTP/1.1\r\n\r\n")[:12] in \
            (b"HTTP/1.1 400", b"HTTP/1.1 501", b"")
        # Thousands of idle and slow connections, while messages flow.
        # (The publisher connects first: Python's paho uses select(),
        # which cannot watch a descriptor above 1023.)
        pub = Publisher(env.broker.port)
        idle = []
        for i in range(2000):
            s = socket.create_connection(("127.0.0.1", port), 5)
            if i % 2:
                s.sendall(b"GET /status HTTP/1.1\r\nHo")   # slow client
            idle.append(s)
        _, _, cpu0 = proc_stat(d.proc.pid)
        pub.publish_all([("wt/v1/vehicles/H/position",
                          json.dumps({"ts": 1691388000000 + i * 1000,
                                      "lat": 43.8, "lon": 125.3}))
                         for i in range(500)])
        wait_for(lambda: d.count("positions") >= 500, 30, "ingestion")
        assert d.http("/healthz") == (200, "ok\n")
        time.sleep(2)       # measure idle CPU over a fixed window
        _, _, cpu1 = proc_stat(d.proc.pid)
        assert cpu1 - cpu0 < 1.0, "CPU spent with idle clients: %.2fs" % (
            cpu1 - cpu0)
        for s in idle:
            s.close()
        pub.close()
        assert d.stop() == 0
        print("http: 2000 idle/slow connections, CPU %.2fs over the "
              "window" % (cpu1 - cpu0))


def test_fd_exhaustion():
    """The daemon out of file descriptors: refuses connections cleanly,
    does not spin, and still ingests."""
    with Env("nofile") as env:
        d = env.daemon
        # The daemon inherits a small limit from its parent (us).
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
        try:
            d.start()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        socks = []
        for _ in range(100):
            try:
                socks.append(socket.create_connection(
                    ("127.0.0.1", d.http_port), 2))
            except OSError:
                break
        _, _, cpu0 = proc_stat(d.proc.pid)
        time.sleep(2)
        _, _, cpu1 = proc_stat(d.proc.pid)
        assert cpu1 - cpu0 < 1.0, "spinning at EMFILE: %.2fs" % (cpu1 - cpu0)
        pub = Publisher(env.broker.port)
        pub.publish_all([("wt/v1/vehicles/F/position",
                          json.dumps({"ts": 1691388000000 + i * 1000,
                                      "lat": 43.8, "lon": 125.3}))
                         for i in range(200)])
        for s in socks:
            s.close()
        wait_for(lambda: d.count("positions") >= 200, 30, "ingestion")
        wait_for(lambda: d.http("/healthz")[0] == 200, 30, "HTTP back")
        pub.close()
        assert d.stop() == 0
        # The state is logged, not every refused accept().
        pauses = d.log_text().count("cannot accept connections")
        assert 1 <= pauses <= 10, pauses
        print("nofile: %d connections held, CPU %.2fs in 2s" % (
            len(socks), cpu1 - cpu0))


def test_soak():
    with Env("soak") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        rate, samples, i = 300, [], 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < SOAK_S:
            tick = time.monotonic()
            for _ in range(rate // 10):
                pub.publish("wt/v1/vehicles/SOAK/position", json.dumps(
                    {"ts": 1691388000000 + i * 100, "lat": 43.8,
                     "lon": 125.3}))
                i += 1
            samples.append(proc_stat(d.proc.pid))
            time.sleep(max(0, 0.1 - (time.monotonic() - tick)))
        pub.close()
        wait_for(lambda: d.count("positions") >= i, 60, "all soak rows")
        q = max(1, len(samples) // 4)
        rss_early = max(s[0] for s in samples[q:2 * q])
        rss_late = max(s[0] for s in samples[-q:])
        fds = {s[1] for s in samples[q:]}
        assert SANITIZED or rss_late - rss_early < 8 * 1024, (rss_early,
                                                              rss_late)
        assert max(fds) - min(fds) <= 2, fds
        assert d.stop() == 0
        print("soak: %d messages in %.0fs, RSS %d -> %d kB, fds %s" % (
            i, SOAK_S, rss_early, rss_late, sorted(fds)))


if __name__ == "__main__":
    run([test_hostile_mqtt, test_hostile_http, test_fd_exhaustion,
         test_soak])
