"""A wrong wall clock must not destroy data, and a failing test must not
leave its processes behind.

The daemon's wall clock is moved through its test hook
(WT_TEST_CLOCK_OFFSET_FILE, lib/clock.c) and retention is made to run every
second (WT_TEST_PRUNE_EVERY_MS, lib/pipeline_prune.c); everything else is real:
mosquitto, the daemon binary, its SQLite file."""

import json
import os
import signal
import subprocess
import sys
import time

from harness import Env, Publisher, make_dir, run, spawn, wait_for

DAY_MS = 86400000
HERE = os.path.dirname(os.path.abspath(__file__))


def now_ms():
    return int(time.time() * 1000)


def position(vehicle, ts_ms, pad=0):
    doc = {"ts": ts_ms, "lat": 43.88, "lon": 125.31}
    if pad:
        doc["note"] = "x" * pad
    return ("wt/v1/vehicles/%s/position" % vehicle, json.dumps(doc))


class ClockEnv(Env):
    """Env whose daemon reads its wall clock offset from a file."""

    def __init__(self, name):
        super().__init__(name)
        self.offset_file = os.path.join(self.dir, "clock.offset")
        self.set_offset(0)

    def set_offset(self, ms):
        tmp = self.offset_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % ms)
        os.replace(tmp, self.offset_file)

    def start(self):
        env = dict(os.environ, WT_TEST_CLOCK_OFFSET_FILE=self.offset_file,
                   WT_TEST_PRUNE_EVERY_MS="1000")
        return self.daemon.start(env=env)


def log_count(d, text):
    return d.log_text().count(text)


PRUNED = "store: retention dropped"
STEPPED = "the wall clock stepped"


def test_clock_step_keeps_payloads():
    """The clock 10 days behind: correct messages are future_ts rejects
    (kept whole), others are stored with receive times 10 days old. The
    clock is fixed while the daemon runs: retention refuses once, holds
    the payloads, and keeps holding them after a restart."""
    with ClockEnv("clock-step") as env:
        env.set_offset(-10 * DAY_MS)
        d = env.start()
        real = now_ms()
        # Devices as wrong as the host (accepted) and right ones (whose
        # times are 10 days in the daemon's future), one of them large.
        wrong = [position("SKEW-%02d" % i, real - 10 * DAY_MS + i * 1000)
                 for i in range(20)]
        right = [position("TRUE-%02d" % i, real + i * 1000)
                 for i in range(4)]
        right.append(position("TRUE-BIG", real, pad=250000))
        pub = Publisher(env.broker.port)
        pub.publish_all(wrong + right)
        pub.close()
        wait_for(lambda: d.status()["ingest"]["received"] >= 25, 30, "25")
        assert d.count("messages", "payload IS NOT NULL") == 20
        rej = d.query("SELECT reason, payload FROM rejects ORDER BY id")
        assert [r[0] for r in rej] == ["future_ts"] * 5, rej
        assert sorted(bytes(r[1]) for r in rej) == \
            sorted(p.encode() for _, p in right), "reject payloads changed"
        # Retention runs under the wrong clock (nothing is old to it).
        wait_for(lambda: log_count(d, PRUNED) >= 2, 20, "retention runs")
        env.set_offset(0)
        t0 = time.monotonic()
        # The daemon reads the fixed clock (its uptime is wall-clock).
        wait_for(lambda: d.status()["uptime_s"] > 5 * 86400, 20,
                 "the daemon to see the fixed clock")
        t_seen = time.monotonic() - t0
        seen = log_count(d, PRUNED)
        wait_for(lambda: log_count(d, PRUNED) >= seen + 3, 20,
                 "retention runs after the clock was fixed")
        kept = d.count("messages", "payload IS NOT NULL")
        assert kept == 20, "retention deleted %d payloads" % (20 - kept)
        assert log_count(d, STEPPED) == 1, "step logged %d times" \
            % log_count(d, STEPPED)
        t_step = time.monotonic() - t0
        health = d.http("/healthz")
        print("clock fixed: daemon saw it after %.1fs, 3 prunes later "
              "(%.1fs) 20 stored, %d payloads kept, 5 rejects kept (largest "
              "%d bytes); /healthz %s" % (t_seen, t_step, kept,
                 max(len(r[1]) for r in rej), health))
        assert d.stop() == 0
        # The hold is in the database: a restart under the right clock
        # still keeps them.
        d = env.start()
        wait_for(lambda: log_count(d, PRUNED) >= seen + 6, 20,
                 "retention runs after the restart")
        assert d.count("messages", "payload IS NOT NULL") == 20
        rej2 = d.query("SELECT reason, payload FROM rejects ORDER BY id")
        assert rej2 == rej, "rejects changed"
        assert d.stop() == 0


def test_restart_onto_clock_behind():
    """Stopped with the clock right, started with it 10 days behind (a
    bad RTC at boot), stopped, started again with it fixed: the boot
    clock saw no step in any run, the database did."""
    with ClockEnv("clock-restart") as env:
        d = env.start()
        real = now_ms()
        pub = Publisher(env.broker.port)
        pub.publish_all([position("BEFORE-%02d" % i, real - i * 1000)
                         for i in range(5)])
        pub.close()
        wait_for(lambda: d.status()["ingest"]["stored"] >= 5, 30, "5")
        assert d.stop() == 0
        env.set_offset(-10 * DAY_MS)
        d = env.start()
        wait_for(lambda: log_count(d, PRUNED) >= 2, 20, "retention runs")
        pub = Publisher(env.broker.port)
        pub.publish_all([position("BEHIND-%02d" % i,
                                  real - 10 * DAY_MS + i * 1000)
                         for i in range(5)])
        pub.close()
        wait_for(lambda: d.status()["ingest"]["stored"] >= 5, 30, "5 more")
        assert d.stop() == 0
        env.set_offset(0)
        d = env.start()
        wait_for(lambda: log_count(d, PRUNED) >= 3, 20,
                 "retention runs after the restart")
        kept = d.count("messages", "payload IS NOT NULL")
        assert kept == 10, "retention deleted %d payloads" % (10 - kept)
        logs = d.log_text()
        assert logs.count("before the newest stored message") == 1, logs
        assert logs.count("behind in an earlier run, no longer is") == 1
        print("restart onto a clock 10 days behind, then fixed: 10 stored, "
              "%d payloads kept" % kept)
        assert d.stop() == 0


def test_retention_still_prunes():
    """The control: without a step seen, payloads whose receive time is
    past retention go (so the tests above can fail). This is also the
    limit of the guard: on an empty database, a clock that was behind
    from the first start and fixed while the daemon was stopped cannot
    be told from ten days of downtime."""
    with ClockEnv("clock-control") as env:
        env.set_offset(-10 * DAY_MS)
        d = env.start()
        real = now_ms()
        pub = Publisher(env.broker.port)
        pub.publish_all([position("OLD-%02d" % i,
                                  real - 10 * DAY_MS + i * 1000)
                         for i in range(5)])
        pub.close()
        wait_for(lambda: d.status()["ingest"]["stored"] >= 5, 30, "5")
        assert d.stop() == 0
        env.set_offset(0)
        d = env.start()
        wait_for(lambda: d.count("messages", "payload IS NULL") == 5, 20,
                 "retention to drop the 5 old payloads")
        assert STEPPED not in d.log_text()
        assert d.stop() == 0


# ---- a failing test leaves no process behind ----

# A test in a child interpreter: it starts a broker and a daemon through
# the harness, says their pids, then fails in one of several ways.
CHILD = r"""
import json, os, signal, sys
sys.path.insert(0, sys.argv[1])
from harness import Env
mode, out = sys.argv[2], sys.argv[3]
env = Env("orphan-" + mode)
env.daemon.start()
with open(out + ".tmp", "w") as f:
    json.dump({"broker": env.broker.proc.pid,
               "daemon": env.daemon.proc.pid, "dir": env.dir}, f)
os.replace(out + ".tmp", out)
if mode == "raise":
    raise RuntimeError("a test failing outside any with block")
if mode == "raise-in-with":
    with env:
        raise RuntimeError("a test failing inside its with block")
signal.pause()  # until the parent's signal
"""


def running(pid, marker):
    """pid runs (not a zombie) with marker in its command line."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return marker.encode() in f.read()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def orphan_case(mode, sig=None):
    d = make_dir("wt-orphan-parent-")
    out = os.path.join(d, "pids.json")
    log = open(os.path.join(d, "child.log"), "wb")
    child = spawn([sys.executable, "-c", CHILD, HERE, mode, out],
                  stdout=log, stderr=log)
    try:
        wait_for(lambda: os.path.exists(out) or child.poll() is not None,
                 60, "the child test to start its processes")
        with open(out) as f:
            pids = json.load(f)
        marker = pids["dir"]
        if sig is not None:
            assert running(pids["broker"], marker), "no broker"
            assert running(pids["daemon"], marker), "no daemon"
            child.send_signal(sig)
        rc = child.wait(60)
        t0 = time.monotonic()
        wait_for(lambda: not running(pids["broker"], marker) and
                 not running(pids["daemon"], marker), 10,
                 "the %s child's broker and daemon to be gone" % mode)
        print("%s: child exited %s, broker %d and daemon %d gone within "
              "%.2fs" % (mode, rc, pids["broker"], pids["daemon"],
                         time.monotonic() - t0))
        return rc
    finally:
        log.close()


def test_no_orphans_after_exception():
    assert orphan_case("raise") == 1
    assert orphan_case("raise-in-with") == 1


def test_no_orphans_after_sigterm():
    # What meson's timeout sends first.
    assert orphan_case("wait", signal.SIGTERM) == 128 + signal.SIGTERM


def test_no_orphans_after_sigkill():
    # What meson's timeout sends half a second later: no handler runs;
    # the children's parent-death signal still ends them.
    assert orphan_case("wait", signal.SIGKILL) == -signal.SIGKILL


if __name__ == "__main__":
    run([test_clock_step_keeps_payloads, test_restart_onto_clock_behind,
         test_retention_still_prunes,
         test_no_orphans_after_exception, test_no_orphans_after_sigterm,
         test_no_orphans_after_sigkill])
