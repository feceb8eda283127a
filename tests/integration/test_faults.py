#!/usr/bin/python3
"""Faults with real processes: the broker goes away and comes back, the
daemon is stopped mid-flood, a reader holds a long transaction, the disk
fills up. Every test publishes a numbered QoS 1 stream and checks that
each number is stored exactly once. WT_FAULT_N scales the streams."""

import json
import os
import sqlite3
import subprocess
import threading
import time

from harness import TIMEOUT_SCALE, Env, Publisher, run, wait_for

N = int(os.environ.get("WT_FAULT_N", "4000"))
BASE_MS = 1691388000000


def numbered(i, vehicle="SEQ-0001"):
    return ("wt/v1/vehicles/%s/position" % vehicle,
            json.dumps({"ts": BASE_MS + i * 1000, "lat": 43.88,
                        "lon": 125.31, "seq": i}))


def publish_in_background(port, items):
    """Publish on a thread; returns (thread, done event, publisher)."""
    pub = Publisher(port)
    done = threading.Event()

    def go():
        try:
            pub.publish_all(items, timeout=300)
        finally:
            done.set()
    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t, done, pub


def assert_all_stored(d, n, first=0, vehicle="SEQ-0001"):
    wait_for(lambda: d.count("positions", "vehicle = '%s'" % vehicle) >= n,
             180, "%d numbers stored" % n)
    ts = [r[0] for r in d.query("SELECT ts_ms FROM positions WHERE"
                                " vehicle = ? ORDER BY ts_ms", (vehicle,))]
    want = [BASE_MS + i * 1000 for i in range(first, first + n)]
    assert ts == want, "gaps or doubles: %d rows, want %d" % (len(ts), n)


def test_broker_outage():
    with Env("outage") as env:
        d = env.daemon.start()
        t, done, pub = publish_in_background(
            env.broker.port, [numbered(i) for i in range(N)])
        wait_for(lambda: d.count("positions") >= N // 4, 60, "a quarter")
        down_at = time.monotonic()
        env.broker.stop()
        wait_for(lambda: d.http("/healthz")[0] == 503, 20, "healthz 503")
        assert "broker disconnected" in d.http("/healthz")[1]
        st = d.status()
        assert st["mqtt"]["connected"] is False and st["healthy"] is False
        assert st["mqtt"]["down_for_s"] >= 0
        env.broker.start()            # same port, persistence on
        wait_for(lambda: d.status()["mqtt"]["connected"], 30, "reconnect")
        recovery = time.monotonic() - down_at
        t.join(300)
        assert done.is_set()
        pub.close()
        assert_all_stored(d, N)
        st = d.status()
        assert st["mqtt"]["reconnects"] >= 1, st["mqtt"]
        assert d.http("/healthz")[0] == 200
        print("outage: %d sent, %d stored, %d duplicates, recovered in"
              " %.1fs" % (N, d.count("positions"),
                          st["ingest"]["duplicates"], recovery))


def test_sigterm_during_flood():
    with Env("sigterm") as env:
        d = env.daemon.start()
        t, done, pub = publish_in_background(
            env.broker.port, [numbered(i) for i in range(N)])
        wait_for(lambda: d.count("positions") >= N // 3, 60, "a third")
        t0 = time.monotonic()
        assert d.stop() == 0
        stop_s = time.monotonic() - t0
        assert stop_s < 30, "stopped in %.1fs" % stop_s
        assert "draining and stopping" in d.log_text()
        d.start()
        t.join(300)
        pub.close()
        assert_all_stored(d, N)
        print("sigterm: stopped in %.2fs, %d stored" % (stop_s, N))


def test_slow_reader():
    with Env("reader") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all([numbered(i) for i in range(100)])
        wait_for(lambda: d.count("positions") >= 100, 30, "100 rows")
        reader = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM positions").fetchone()
        # Enough bytes to grow the WAL well past its 32 MiB limit.
        pad = "x" * 3000
        m = max(N, 14000)
        pub.publish_all([(t, p[:-1] + ', "pad": "%s"}' % pad)
                         for t, p in (numbered(i) for i in range(100, m))])
        # Ingestion goes on while the reader holds its snapshot.
        assert_all_stored(d, m)
        held = d.status()["database"]["wal_bytes"]
        assert held > 32 << 20, held
        reader.execute("ROLLBACK")
        reader.close()
        # Once the reader is gone the WAL is checkpointed and shrinks
        # back to the journal size limit (32 MiB).
        pub.publish_all([numbered(i) for i in range(m, m + 2000)])
        assert_all_stored(d, m + 2000)
        wait_for(lambda: d.status()["database"]["wal_bytes"] <= 32 << 20,
                 30, "the WAL to shrink")
        pub.close()
        print("reader: WAL %d bytes while held, %d after" %
              (held, d.status()["database"]["wal_bytes"]))


def mount_tmpfs(path, size):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size,
                           "tmpfs", path], capture_output=True).returncode == 0


def test_disk_full():
    """The database's filesystem fills up: nothing more is acknowledged,
    /healthz says so, one log line per state change; space returns and
    everything is stored."""
    with Env("diskfull") as env:
        data = os.path.join(env.dir, "data")
        os.mkdir(data)
        if not mount_tmpfs(data, "3m"):
            print("skip: cannot mount a tmpfs here")
            return
        try:
            d = env.daemon
            with open(d.conf) as f:
                conf = f.read()
            d.db = os.path.join(data, "wt.db")
            with open(d.conf, "w") as f:
                f.write(conf.replace(os.path.join(env.dir, "wt.db"), d.db))
            d.start()
            big = "x" * 1500
            items = [(t, p[:-1] + ', "pad": "%s"}' % big)
                     for t, p in (numbered(i) for i in range(N))]
            t, done, pub = publish_in_background(env.broker.port, items)
            # The 503's own reason: on a disk this small the spool fills
            # and frees again within milliseconds, so a second request
            # may already find the daemon healthy.
            seen = {}

            def full():
                code, seen["body"] = d.http("/healthz")
                return code == 503
            wait_for(full, 120, "healthz 503 on a full disk")
            assert "writes failing" in seen["body"], seen["body"]
            stuck = d.count("positions")
            assert stuck < N
            subprocess.run(["mount", "-o", "remount,size=256m", data],
                           check=True)
            wait_for(lambda: d.http("/healthz")[0] == 200, 60,
                     "recovery after space returns")
            t.join(300)
            pub.close()
            assert_all_stored(d, N)
            log = d.log_text()
            # One line when writes start failing and one when they work
            # again, never one per attempt. The spool leaves a full
            # segment for a new one, so the disk may fill several times:
            # count episodes, not lines.
            store_fail = log.count("store: writes failing")
            store_ok = log.count("store: writes work again")
            spool_fail = log.count("spool write failed")
            spool_ok = log.count("spool writes work again")
            assert store_fail + spool_fail >= 1, "never failed:\n" + log
            assert store_fail <= store_ok + 1 and \
                spool_fail <= spool_ok + 1, \
                "one line per state change:\n" + log
            assert d.stop() == 0
            print("disk full: stuck at %d of %d, all stored after space "
                  "returned" % (stuck, N))
        finally:
            subprocess.run(["umount", "-l", data])


def test_endpoint_while_writer_blocked():
    """Another process holds the database's write lock: the loop waits in
    SQLite's busy handler (5 s a try), yet /healthz answers at once from
    its own thread and then says the writes fail; once the lock is gone
    everything is stored and /healthz is 200 again."""
    with Env("blocked") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all([numbered(i) for i in range(100)])
        assert_all_stored(d, 100)
        locker = sqlite3.connect(d.db, timeout=10, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        t, done, pub2 = publish_in_background(
            env.broker.port, [numbered(i) for i in range(100, 600)])
        worst, answers, failing = 0.0, 0, False
        end = time.monotonic() + 15 * TIMEOUT_SCALE
        while time.monotonic() < end and not failing:
            t0 = time.monotonic()
            code, body = d.http("/healthz")
            worst = max(worst, time.monotonic() - t0)
            answers += 1
            failing = code == 503 and "database writes failing" in body
            time.sleep(0.02)
        locker.execute("ROLLBACK")
        locker.close()
        assert failing, "healthz never reported the blocked writes"
        # The loop spent the whole window inside SQLite; the endpoint did
        # not wait for it.
        assert worst < 1.0 * TIMEOUT_SCALE, worst
        t.join(300)
        pub.close()
        pub2.close()
        assert_all_stored(d, 600)
        wait_for(lambda: d.http("/healthz")[0] == 200, 30, "healthz 200")
        print("blocked writer: %d /healthz answers, slowest %.3f s"
              % (answers, worst))


if __name__ == "__main__":
    run([test_broker_outage, test_sigterm_during_flood, test_slow_reader,
         test_disk_full, test_endpoint_while_writer_blocked])
