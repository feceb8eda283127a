#!/usr/bin/python3
"""Space with real processes and real files.

A spool filesystem smaller than one spool segment fills up again and again
with messages that are already committed: the daemon must give that space
back by itself, and every number published is stored exactly once.

Payloads over ingest.max_payload are dead-lettered as too_large with a
bounded prefix, their size and their digest: the database, its WAL and the
spool grow by a few KiB per message, not by the payload, and the daemon's
memory stays well below what was published.

WT_SPACE_N scales the numbered stream, WT_BIG_MB the oversized payloads."""

import hashlib
import json
import os
import subprocess
import threading
import time

from harness import SANITIZED, Env, Publisher, run, wait_for

N = int(os.environ.get("WT_SPACE_N", "6000"))
# 4 MiB: the database of 6 000 numbered positions (no payloads kept) and
# its schema (v12: ~370 KiB empty) need ~2 MiB of it; a 2 MiB filesystem,
# enough before v11, could no longer hold the committed rows at all.
FS_MB = int(os.environ.get("WT_SPACE_FS_MB", "4"))
BIG_MB = int(os.environ.get("WT_BIG_MB", "20"))
BASE_MS = 1691388000000
PREFIX_MAX = 4096


def numbered(i, pad):
    return ("wt/v1/vehicles/SEQ-0001/position",
            json.dumps({"ts": BASE_MS + i * 1000, "lat": 43.88,
                        "lon": 125.31, "seq": i, "pad": pad}))


def mount_tmpfs(path, size):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size,
                           "tmpfs", path], capture_output=True).returncode == 0


def move_database(d, data, retention_days):
    """Put the database (and so its spool) under data."""
    with open(d.conf) as f:
        conf = f.read()
    old = 'path: "%s"' % d.db
    d.db = os.path.join(data, "wt.db")
    conf = conf.replace(old, 'path: "%s"\n  raw_retention_days: %d'
                        % (d.db, retention_days))
    with open(d.conf, "w") as f:
        f.write(conf)


class HealthWatch:
    """Polls /healthz on a thread: every state seen, and how long the
    longest spell of non-200 lasted."""

    def __init__(self, d):
        self.d = d
        self.states = {}
        self.worst = 0.0
        self.spells = 0
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        bad_since = None
        while not self.stop.is_set():
            try:
                code, body = self.d.http("/healthz")
            except OSError:
                code, body = 0, "no answer"
            key = "%d %s" % (code, body.strip()[:120])
            self.states[key] = self.states.get(key, 0) + 1
            now = time.monotonic()
            if code != 200 and bad_since is None:
                bad_since = now
                self.spells += 1
            elif code == 200 and bad_since is not None:
                self.worst = max(self.worst, now - bad_since)
                bad_since = None
            time.sleep(0.05)
        if bad_since is not None:
            self.worst = max(self.worst, time.monotonic() - bad_since)

    def close(self):
        self.stop.set()
        self.t.join(10)


def test_small_spool_filesystem():
    """A 4 MiB filesystem (WT_SPACE_FS_MB) holds the database and the
    spool; 64 MiB segments would fill it with committed records for good,
    and 4 MiB of WAL would leave the database no room to grow."""
    with Env("space") as env:
        data = os.path.join(env.dir, "data")
        os.mkdir(data)
        if not mount_tmpfs(data, "%dm" % FS_MB):
            print("skip: cannot mount a tmpfs here")
            return
        watch = None
        try:
            d = env.daemon
            move_database(d, data, 0)
            d.start()
            pad = "x" * 6000
            total = 0
            pub = Publisher(env.broker.port)
            watch = HealthWatch(d)
            t0 = time.monotonic()
            # Each published byte goes through the spool: N * 6 KB is
            # several times the filesystem.
            pub.publish_all([numbered(i, pad) for i in range(N)],
                            timeout=120)
            total = sum(len(p) for _, p in
                        (numbered(i, pad) for i in range(N)))
            wait_for(lambda: d.count("positions") >= N, 180,
                     "all %d numbers stored" % N)
            elapsed = time.monotonic() - t0
            wait_for(lambda: d.http("/healthz")[0] == 200, 30,
                     "healthz 200 at the end")
            watch.close()
            ts = [r[0] for r in d.query(
                "SELECT ts_ms FROM positions ORDER BY ts_ms")]
            assert ts == [BASE_MS + i * 1000 for i in range(N)], \
                "gaps or doubles: %d rows, want %d" % (len(ts), N)
            log = d.log_text()
            fills = log.count("spool write failed")
            # The scenario happened: the filesystem did fill up.
            assert fills >= 1, "the spool never filled its filesystem"
            assert total > 2 * (FS_MB << 20), total
            st = d.status()
            assert st["ingest"]["received"] == N, st["ingest"]
            assert st["ingest"]["spool_corrupt"] == 0, st["ingest"]
            # The full segments went once committed: what is left is the
            # segment being written (and perhaps the one before it).
            segs = [f for f in os.listdir(d.db + ".spool")
                    if f.endswith(".spool")]
            assert len(segs) <= 2, segs
            assert d.stop() == 0
            # A restart replays nothing twice and loses nothing.
            d.start()
            assert d.count("positions") == N
            assert d.status()["ingest"]["received"] == 0
            assert d.stop() == 0
            print("small filesystem: %d sent (%.1f MiB through a %d MiB "
                  "tmpfs), %d stored, 0 lost, %d fills, %d non-200 "
                  "spells, longest %.2fs, all stored in %.1fs; healthz "
                  "said: %s" % (N, total / 1048576.0, FS_MB, len(ts), fills,
                                watch.spells, watch.worst, elapsed,
                                sorted(watch.states.items(),
                                       key=lambda kv: -kv[1])))
        finally:
            if watch is not None:
                watch.close()
            try:
                if env.daemon.proc and env.daemon.proc.poll() is None:
                    env.daemon.stop()
            finally:
                subprocess.run(["umount", "-l", data])


def tree_bytes(path):
    n = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                n += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return n


def store_bytes(d):
    return sum(os.path.getsize(d.db + s) if os.path.exists(d.db + s) else 0
               for s in ("", "-wal")) + tree_bytes(d.db + ".spool")


def vm_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def test_oversized_payloads():
    """Three payloads of BIG_MB MiB each, over ingest.max_payload."""
    with Env("oversized") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all([numbered(0, "warm")])
        wait_for(lambda: d.count("positions") >= 1, 30, "a first row")
        before = store_bytes(d)
        rss0 = vm_kib(d.proc.pid, "VmRSS")
        size = BIG_MB << 20
        bigs = []
        for k in range(3):
            head = json.dumps({"ts": BASE_MS, "lat": 43.88, "lon": 125.31,
                               "k": k, "pad": ""})[:-2]
            body = (head + "x" * (size - len(head) - 2) + '"}').encode()
            bigs.append(body)
        t0 = time.monotonic()
        pub.publish_all([("wt/v1/vehicles/BIG-%d/position" % k, b)
                         for k, b in enumerate(bigs)], timeout=120)
        pub.publish_all([numbered(1, "after")])
        wait_for(lambda: d.count("rejects", "reason = 'too_large'") >= 3,
                 60, "three too_large rejects")
        wait_for(lambda: d.count("positions") >= 2, 30, "the row after")
        took = time.monotonic() - t0
        peak = vm_kib(d.proc.pid, "VmHWM")
        rows = d.query("SELECT topic, length(payload), payload, detail"
                       " FROM rejects WHERE reason = 'too_large'"
                       " ORDER BY topic")
        assert len(rows) == 3, rows
        for k, (topic, plen, payload, detail) in enumerate(rows):
            assert topic == "wt/v1/vehicles/BIG-%d/position" % k, topic
            assert plen is not None and 0 < plen <= PREFIX_MAX, plen
            assert bytes(payload) == bigs[k][:plen]
            assert str(size) in detail, detail
            assert hashlib.sha256(bigs[k]).hexdigest() in detail, detail
        code, body = d.http("/healthz")
        assert code == 200, body
        st = d.status()
        assert st["ingest"]["rejected_by_reason"]["too_large"] == 3, st["ingest"]
        grown = store_bytes(d) - before
        # A few pages per message, not three payloads.
        assert grown < 4 << 20, "database, WAL and spool grew %d" % grown
        growth_kib = peak - rss0
        if not SANITIZED:
            # paho reads one message into its receive buffer and hands
            # over a copy of it: the peak may hold one message about
            # twice, never the three, and stays below what was published.
            assert growth_kib * 1024 < size * 5 // 2, \
                "VmHWM grew %d KiB for 3 x %d MiB" % (growth_kib, BIG_MB)
            assert peak * 1024 < 3 * size, \
                "VmHWM %d KiB for %d MiB published" % (peak, 3 * BIG_MB)
        pub.close()
        assert d.stop() == 0
        print("oversized: 3 x %d MiB rejected as too_large in %.1fs; "
              "prefixes of %s bytes; database+WAL+spool grew %d KiB; "
              "VmRSS %d KiB before, VmHWM %d KiB (+%d KiB); healthz %d %s"
              % (BIG_MB, took, [r[1] for r in rows], grown // 1024, rss0,
                 peak, growth_kib, code, body.strip()))


if __name__ == "__main__":
    run([test_small_spool_filesystem, test_oversized_payloads])
