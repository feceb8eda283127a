#!/usr/bin/python3
"""Replay after a profile fix (docs/replay.md), end to end through a real
broker and the real daemon: a vendor renames a field, its weighings land
in `rejects` as missing_field; the profile is fixed and reloaded (SIGHUP);
`wastetrackctl replay` has the daemon turn them into rows, the day's
tonnage grows by exactly their net weights, a second replay changes
nothing; a dry run writes nothing; a daemon killed in the middle of a
replay keeps what it committed and the next replay finishes the rest with
nothing stored twice."""

import json
import os
import signal
import subprocess

from harness import Env, Publisher, run, wait_for

CTL = os.environ["WASTETRACKCTL"]
# 2023-08-07 08:00 +08:00; every ticket of the test is on that local day.
BASE_MS = 1691366400000
DAY = "2023-08-07"

PROFILE = """profiles:
  - name: vendorx
    kinds:
      - kind: weighing
        topic: "vx/wb/{station}"
        fields:
          facility: {topic: station}
          ticket: %s
          plate: plate
          direction: {value: in}
          gross_kg: gross
          tare_kg: tare
          net_kg: net
          first_ts: t1
          second_ts: t2
          waste: {value: msw.food}
          status: {value: complete}
"""
OLD, NEW = "ticketNo", "ticket_no"


def weighing(i, field):
    net = 1000 + (i % 7) * 10
    t1 = BASE_MS + i * 60000
    return ("vx/wb/CC-KWP-01",
            json.dumps({field: "T%05d" % i, "plate": "吉A5G%03d" % (i % 1000),
                        "gross": 13000 + net, "tare": 13000, "net": net,
                        "t1": t1, "t2": t1 + 30000}))


def net_of(i):
    return 1000 + (i % 7) * 10


def ctl(env, *args):
    return subprocess.run([CTL, "-c", env.daemon.conf] + list(args),
                          capture_output=True, text=True, timeout=120)


def write_profile(env, field):
    with open(os.path.join(env.dir, "vendorx.yaml"), "w") as f:
        f.write(PROFILE % field)


def reload(env, field):
    write_profile(env, field)
    n = env.daemon.log_text().count("configuration reloaded")
    env.daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: env.daemon.log_text().count("configuration reloaded")
             > n, 20, "the reload")


def make_env(name):
    env = Env(name, subscriptions=[("wt/v1/#", "wastetrack"),
                                   ("vx/#", "vendorx")],
              include=["vendorx.yaml"])
    write_profile(env, OLD)
    env.daemon.start()
    return env


def tonnage(env, day=DAY):
    """Net kg received at CC-KWP-01 on day (None: every day)."""
    return env.daemon.query("SELECT coalesce(sum(net_kg), 0) FROM weighings"
                            " WHERE (?1 IS NULL OR day = ?1)"
                            " AND facility = 'CC-KWP-01'", (day,))[0][0]


def publish(env, items):
    pub = Publisher(env.broker.port)
    try:
        pub.publish_all(items)
    finally:
        pub.close()


def test_replay_after_fix():
    with make_env("replay") as env:
        d = env.daemon
        # 40 tickets before the vendor's change, 300 after it.
        publish(env, [weighing(i, OLD) for i in range(40)] +
                [weighing(i, NEW) for i in range(40, 340)])
        wait_for(lambda: d.count("weighings") + d.count("rejects") == 340,
                 30, "340 messages stored")
        assert d.count("weighings") == 40
        assert d.count("rejects", "reason = 'missing_field'") == 300
        before = tonnage(env)
        assert before == sum(net_of(i) for i in range(40))

        # Replaying before the fix changes no row of data.
        r = ctl(env, "replay", "--reason", "missing_field", "--format",
                "json")
        assert r.returncode == 0, r.stderr
        done = json.loads(r.stdout)
        assert (done["selected"], done["stored"], done["rejected"]) == \
            (300, 0, 300), done
        assert d.count("weighings") == 40

        reload(env, NEW)
        # A dry run says what would change and writes nothing.
        r = ctl(env, "replay", "--dry-run")
        assert r.returncode == 0, r.stderr
        assert "dry run" in r.stdout
        assert "became rows                          300" in r.stdout, \
            r.stdout
        assert d.count("weighings") == 40

        r = ctl(env, "replay", "--topic", "vx/wb/+", "--since",
                "2023-08-07", "--format", "json")
        assert r.returncode == 0, r.stderr
        done = json.loads(r.stdout)
        assert (done["selected"], done["stored"], done["rows"]) == \
            (300, 300, 300), done
        assert d.count("weighings") == 340
        assert tonnage(env) == sum(net_of(i) for i in range(340))
        # Each replayed message names its reject; the rejects say so.
        assert d.count("messages", "replay_of IS NOT NULL") == 300
        assert d.count("rejects", "replay_outcome = 'stored'") == 300
        assert "replay done" in d.log_text()

        # Again: nothing is selected and nothing changes.
        r = ctl(env, "replay", "--format", "json")
        done = json.loads(r.stdout)
        assert (done["selected"], done["marked"], done["rows"]) == \
            (0, 0, 0), done
        assert d.count("weighings") == 340
        env.ok = True


def test_killed_mid_replay():
    n = 20000
    with make_env("replay-kill") as env:
        d = env.daemon
        publish(env, [weighing(i, NEW) for i in range(n)])
        wait_for(lambda: d.count("rejects") == n, 120, "%d rejects" % n)
        reload(env, NEW)
        p = subprocess.Popen([CTL, "-c", d.conf, "replay", "--format",
                              "json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        wait_for(lambda: d.count("rejects", "replay_outcome = 'stored'")
                 > 0, 60, "the replay's first slice", interval=0.002)
        d.kill()
        out, err = p.communicate(timeout=60)
        done_before = d.count("rejects", "replay_outcome = 'stored'")
        assert 0 < done_before < n, done_before
        assert p.returncode == 75, (p.returncode, out, err)
        assert "run the replay again" in err
        # What committed is whole: every stored reject has its row.
        assert d.count("weighings") == done_before
        d.start()
        r = ctl(env, "replay", "--format", "json")
        assert r.returncode == 0, r.stderr
        done = json.loads(r.stdout)
        assert done["selected"] == n - done_before, (done, done_before)
        assert d.count("weighings") == n
        assert d.count("messages", "replay_of IS NOT NULL") == n
        assert d.query("SELECT count(DISTINCT replay_of) FROM messages")[0][0] \
            == n
        assert tonnage(env, None) == sum(net_of(i) for i in range(n))
        env.ok = True


def test_daemon_not_running():
    with make_env("replay-down") as env:
        env.daemon.stop()
        r = ctl(env, "replay")
        assert r.returncode == 69, (r.returncode, r.stderr)
        assert "does not answer" in r.stderr
        r = ctl(env, "replay", "--since", "yesterday")
        assert r.returncode == 64
        r = ctl(env, "replay", "--help")
        assert r.returncode == 0 and "--dry-run" in r.stdout
        env.ok = True


if __name__ == "__main__":
    run([test_replay_after_fix, test_killed_mid_replay,
         test_daemon_not_running])
