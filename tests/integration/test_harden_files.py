#!/usr/bin/python3
"""The database, its spool and the processes on them: a new or older
database beside a spool that is not its own, two daemons on one
configuration, the database file deleted under a running daemon. Every
test publishes numbered QoS 1 streams and checks each number is stored
exactly once, or says which numbers are expected to be missing."""

import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time

from harness import (DAEMON, SANITIZER_MARKS, TIMEOUT_SCALE, WRAPPER, Env,
                     Publisher, run, wait_for)

BASE_MS = 1691388000000
EX_DATAERR = 65   # the spool belongs to another database
EX_TEMPFAIL = 75  # another daemon holds the database and its spool


def numbered(i, vehicle="SEQ-0001"):
    return ("wt/v1/vehicles/%s/position" % vehicle,
            json.dumps({"ts": BASE_MS + i * 1000, "lat": 43.88,
                        "lon": 125.31, "seq": i}))


def stored_seqs(d, vehicle="SEQ-0001"):
    return [(r[0] - BASE_MS) // 1000 for r in d.query(
        "SELECT ts_ms FROM positions WHERE vehicle = ? ORDER BY ts_ms",
        (vehicle,))]


def assert_stored(d, want, timeout=120):
    """Exactly the numbers in want, each once."""
    want = sorted(want)
    wait_for(lambda: d.count("positions") >= len(want), timeout,
             "%d numbers stored (have %d)" % (len(want),
                                              d.count("positions")))
    got = stored_seqs(d)
    assert got == want, "gaps or doubles: %d rows, want %d" % (len(got),
                                                              len(want))


def run_once(d, *args, timeout=30):
    """The daemon on d's configuration with extra options, expected to
    exit by itself: (exit status, its log)."""
    p = subprocess.run(WRAPPER + [DAEMON, "-c", d.conf, "-v"] + list(args),
                       capture_output=True, text=True,
                       timeout=timeout * TIMEOUT_SCALE)
    log = p.stdout + p.stderr
    for mark in SANITIZER_MARKS:
        assert not re.search(mark, log), "sanitizer report:\n" + log
    return p.returncode, log


def start_with(d, *args):
    """Start d with extra options: the harness runs WRAPPER + [DAEMON,
    "-c", conf, "-v"], so a shell in front appends them."""
    saved = WRAPPER[:]
    try:
        WRAPPER[:] = ["/bin/sh", "-c", 'exec %s "$0" "$@" %s'
                      % (" ".join(saved), " ".join(args))]
        return d.start()
    finally:
        WRAPPER[:] = saved


def spool_files(d):
    """Name -> (inode, size) of every segment of the spool."""
    out = {}
    for path in glob.glob(d.db + ".spool/*.spool"):
        st = os.stat(path)
        out[os.path.basename(path)] = (st.st_ino, st.st_size)
    return out


def remove_database(d):
    """rm wt.db*: the files, not the spool directory."""
    for path in glob.glob(d.db + "*"):
        if os.path.isfile(path):
            os.unlink(path)


def test_new_database_beside_old_spool():
    """2 000 stored, stop, rm wt.db*, restart: the daemon refuses (status
    65) and touches nothing; started with -A it imports the old spool
    with a log line, then 2 000 more are all stored and /healthz is
    200. Moving the spool away instead starts afresh."""
    with Env("newdb") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all([numbered(i) for i in range(2000)])
        assert_stored(d, range(2000))
        assert d.stop() == 0
        remove_database(d)
        before = spool_files(d)
        t0 = time.monotonic()
        rc, log = run_once(d)
        print("new database: refused with status %d in %.2fs" %
              (rc, time.monotonic() - t0))
        assert rc == EX_DATAERR, (rc, log)
        assert "belongs to another database" in log, log
        assert spool_files(d) == before, "the refused start touched the spool"
        # -A: import it, then carry on with new messages.
        start_with(d, "-A")
        assert "importing the spool" in d.log_text(), d.log_text()
        t0 = time.monotonic()
        pub.publish_all([numbered(i) for i in range(2000, 4000)])
        assert_stored(d, range(4000))
        took = time.monotonic() - t0
        assert d.http("/healthz")[0] == 200, d.http("/healthz")
        print("new database -A: 2000 imported, 2000 new, %d stored, "
              "%.1fs, /healthz %d" % (d.count("positions"), took,
                                       d.http("/healthz")[0]))
        assert d.stop() == 0
        # The other way out: the spool moved away, a fresh start.
        remove_database(d)
        shutil.move(d.db + ".spool", d.db + ".spool.old")
        d.start()
        pub.publish_all([numbered(i) for i in range(4000, 4500)])
        assert_stored(d, range(4000, 4500))
        assert d.http("/healthz")[0] == 200
        pub.close()


def backup(d, dest):
    """An online copy, as sqlite3's .backup makes it."""
    src = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=10)
    dst = sqlite3.connect(dest)
    src.backup(dst)
    dst.close()
    src.close()


def test_older_backup_after_rotation():
    """A backup taken after 500 messages is restored once the spool has
    moved on to later segments: the daemon imports what the spool still
    holds, with a log line naming what may be missing, and goes on."""
    with Env("backup") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all([numbered(i) for i in range(500)])
        assert_stored(d, range(500))
        saved = os.path.join(env.dir, "backup.db")
        backup(d, saved)
        pub.publish_all([numbered(i) for i in range(500, 1000)])
        assert_stored(d, range(1000))
        assert d.stop() == 0
        # Each start writes a new segment; the old one goes once the
        # committed position is past it.
        d.start()
        pub.publish_all([numbered(i) for i in range(1000, 1500)])
        assert_stored(d, range(1500))
        assert d.stop() == 0
        remove_database(d)
        shutil.copy(saved, d.db)
        d.start()
        assert "older than its spool" in d.log_text(), d.log_text()
        pub.publish_all([numbered(i) for i in range(1500, 2000)])
        # 500..999 lived only in the removed segment: not in the backup.
        want = list(range(500)) + list(range(1000, 2000))
        assert_stored(d, want)
        assert d.http("/healthz")[0] == 200
        print("older backup: %d stored of 2000 sent; 500 (the removed "
              "segment's) missing as logged" % d.count("positions"))
        pub.close()


def publish_in_background(port, items):
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


def test_two_instances():
    """A second daemon on the same configuration refuses (status 75,
    naming the first one's pid) and leaves its files alone; 5 000
    published across two SIGKILLs of the first are all stored once."""
    n = 5000
    with Env("two") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all([numbered(i) for i in range(100)])
        assert_stored(d, range(100))
        before = spool_files(d)
        rc, log = run_once(d)
        print("second instance: status %d" % rc)
        assert rc == EX_TEMPFAIL, (rc, log)
        assert "another wastetrackd (pid %d) holds" % d.proc.pid in log, log
        after = spool_files(d)
        for name, (ino, size) in before.items():
            assert name in after and after[name][0] == ino, (before, after)
        assert d.http("/healthz")[0] == 200
        t, done, pub2 = publish_in_background(
            env.broker.port, [numbered(i) for i in range(100, n)])
        at = []
        for frac in (3, 2):
            wait_for(lambda: d.count("positions") >= n // frac, 120,
                     "1/%d stored" % frac)
            d.kill()
            at.append(d.count("positions"))
            t0 = time.monotonic()
            d.start()
            at.append(round(time.monotonic() - t0, 2))
        t.join(300)
        assert done.is_set()
        assert_stored(d, range(n))
        assert d.http("/healthz")[0] == 200
        print("two instances: %d sent, %d stored exactly once, 0 lost; "
              "SIGKILLs at %d and %d stored, subscribed again in %.2fs "
              "and %.2fs" % (n, d.count("positions"), at[0], at[2], at[1],
                              at[3]))
        pub.close()
        pub2.close()


def test_database_deleted_while_running():
    """The database file is unlinked under the daemon: within a tick or
    two /healthz is 503 and /status says why, once in the log; messages
    stay in the spool instead of going to the unlinked file. After a
    restart the spool is not the new database's (status 65), and -A
    imports it."""
    with Env("deleted") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all([numbered(i) for i in range(200)])
        assert_stored(d, range(200))
        os.unlink(d.db)
        t0 = time.monotonic()
        wait_for(lambda: d.http("/healthz")[0] == 503, 10,
                 "healthz 503 once the database file is gone")
        noticed = time.monotonic() - t0
        body = d.http("/healthz")[1]
        assert body.strip() == "database file removed or replaced", body
        st = d.status()
        assert st["database"]["writes_failing"] is True, st["database"]
        assert "removed or replaced" in st["database"]["last_error"], st
        pub.publish_all([numbered(i) for i in range(200, 400)])
        time.sleep(2)  # a few ticks: the message must not repeat
        assert d.http("/healthz")[0] == 503
        assert d.log_text().count("removed or replaced") == 1, d.log_text()
        print("deleted database: noticed in %.2fs, /healthz 503 %r" %
              (noticed, body.strip()))
        rc = d.stop()
        assert "stay in the spool" in d.log_text()
        print("deleted database: stopped with status %d" % rc)
        rc, log = run_once(d)
        assert rc == EX_DATAERR, (rc, log)
        start_with(d, "-A")
        assert_stored(d, range(400))
        assert d.http("/healthz")[0] == 200
        print("deleted database: after restart -A, %d of 400 stored" %
              d.count("positions"))
        pub.close()


if __name__ == "__main__":
    run([test_new_database_beside_old_spool,
         test_older_backup_after_rotation,
         test_two_instances,
         test_database_deleted_while_running])
