#!/usr/bin/python3
"""Replay of accepted messages after a normaliser fix (docs/replay.md),
end to end through a real broker and the real daemon: a vendor's profile
reads its tonnes as kilograms, so its weighings are accepted with masses a
thousand times too small and the day's figures are wrong; the profile is
fixed and reloaded (SIGHUP); `wastetrackctl replay --accepted` has the
daemon correct the rows in place: the day's indicators become the
hand-computed ones, provenance marks the messages, a dry run says exactly
what would change, a second run changes nothing; a daemon killed in the
middle of a replay of several slices keeps what it committed and the next
run completes it, every row once."""

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
  - name: vendory
    kinds:
      - kind: weighing
        topic: "vy/wb/{station}"
        fields:
          facility: {topic: station}
          ticket: no
          plate: plate
          direction: {value: in}
          gross_kg: {path: gross, unit: %s}
          tare_kg: {path: tare, unit: %s}
          first_ts: t1
          second_ts: t2
          waste: {value: msw.food}
          status: {value: complete}
"""


def net_t(i):
    """Net tonnes of ticket i: 7.5 to 8.5 in eighths (exact in binary)."""
    return 7.5 + (i % 9) * 0.125


def weighing(i):
    t1 = BASE_MS + i * 60000
    return ("vy/wb/CC-KWP-01",
            json.dumps({"no": "T%05d" % i, "plate": "吉A5G%03d" % (i % 1000),
                        "gross": 12.5 + net_t(i), "tare": 12.5,
                        "t1": t1, "t2": t1 + 30000}))


def position(i):
    return ("wt/v1/vehicles/KW-%d/position" % i,
            json.dumps({"ts": BASE_MS + i * 1000, "lat": 43.88,
                        "lon": 125.31}))


def manifest():
    """A manifest (the native dialect) naming ticket T00000 and declaring
    its true mass, 7 500 kg: a discrepancy while the ticket says 7.5 kg."""
    return ("wt/v1/manifests/M-1",
            json.dumps({"scheme": "CN_KW", "status": "received",
                        "version": 1, "ts": BASE_MS - 3600000,
                        "plate": "吉A5G000",
                        "receiver": {"facility": "CC-KWP-01"},
                        "lines": [{"line": 1, "waste": "msw.food",
                                   "qty": net_t(0) * 1000, "unit": "kg"}],
                        "tickets": [{"facility": "CC-KWP-01",
                                     "ticket": "T00000"}]}))


def verdict(env):
    rows = env.daemon.query("SELECT verdict FROM reconciliations"
                            " WHERE manifest_no = 'M-1'")
    return rows[0][0] if rows else None


def ctl(env, *args):
    return subprocess.run([CTL, "-c", env.daemon.conf] + list(args),
                          capture_output=True, text=True, timeout=300)


def write_profile(env, unit):
    with open(os.path.join(env.dir, "vendory.yaml"), "w") as f:
        f.write(PROFILE % (unit, unit))


def reload(env, unit):
    write_profile(env, unit)
    n = env.daemon.log_text().count("configuration reloaded")
    env.daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: env.daemon.log_text().count("configuration reloaded")
             > n, 20, "the reload")


def make_env(name):
    env = Env(name, subscriptions=[("wt/v1/#", "wastetrack"),
                                   ("vy/#", "vendory")],
              include=["vendory.yaml"])
    write_profile(env, "kg")
    env.daemon.start()
    return env


def publish(env, items):
    pub = Publisher(env.broker.port)
    try:
        pub.publish_all(items)
    finally:
        pub.close()


def collected(env, district):
    rows = env.daemon.query("SELECT collected_kg FROM daily_indicators"
                            " WHERE day = ?1 AND district = ?2",
                            (DAY, district))
    return rows[0][0] if rows else None


def row_sets(env):
    """Every row a replay may touch, and those derived from them."""
    q = env.daemon.query
    return (q("SELECT id, ticket, version, day, gross_kg, tare_kg, net_kg,"
              " status, dq_flags, message_id, fingerprint FROM weighings"
              " ORDER BY id"),
            q("SELECT * FROM weighings_history ORDER BY id"),
            q("SELECT ticket_id, origin_district, origin_source, kg"
              " FROM ticket_origins ORDER BY ticket_id, origin_district"),
            q("SELECT id, rederived_ms FROM messages ORDER BY id"))


def expected_table(dry, selected, rederived, unchanged, not_rederivable,
                   changed_wb):
    """The table wastetrackctl prints, line for line (ctl_replay.c)."""
    head = ("dry run: nothing was written; a replay of accepted messages"
            " would give" if dry else "replay of accepted messages done")
    lines = [head]
    for what, v in (("messages selected", selected),
                    ("re-derived (rows corrected)", rederived),
                    ("unchanged", unchanged),
                    ("refused by the profiles now (kept)", 0),
                    ("naming other rows (kept)", 0),
                    ("not re-derivable (kept)", not_rederivable),
                    ("skipped: payload pruned", 0)):
        lines.append("  %-36s %d" % (what, v))
    lines.append("  %-20s %8s %8s %8s" % ("rows", "added", "removed",
                                          "changed"))
    for t, v in (("weighings", changed_wb), ("weighings_history", 0),
                 ("vehicle_events", 0), ("facility_status", 0)):
        lines.append("  %-20s %8d %8d %8d" % (t, 0, 0, v))
    return "\n".join(lines) + "\n"


def test_rederive_after_fix():
    n = 120
    with make_env("rederive") as env:
        d = env.daemon
        publish(env, [weighing(i) for i in range(n)] +
                [position(i) for i in range(2)] + [manifest()])
        wait_for(lambda: d.count("messages") == n + 3, 30,
                 "%d messages stored" % (n + 3))
        want_kg = sum(net_t(i) * 1000 for i in range(n))
        # Accepted as kilograms: the day's figures a thousand times low.
        assert d.query("SELECT sum(net_kg) FROM weighings")[0][0] == \
            want_kg / 1000
        wait_for(lambda: collected(env, "全市") == want_kg / 1000, 20,
                 "the wrong figures")
        assert collected(env, "朝阳区") == want_kg / 1000
        wait_for(lambda: verdict(env) == "discrepancy", 20,
                 "the manifest judged on 7.5 kg")

        reload(env, "t")
        before = row_sets(env)
        # The dry run: every ticket would change; the positions and the
        # manifest cannot.
        r = ctl(env, "replay", "--accepted", "--dry-run")
        assert r.returncode == 0, r.stderr
        assert r.stdout == expected_table(True, n + 3, n, 0, 3, n), r.stdout
        assert row_sets(env) == before

        r = ctl(env, "replay", "--accepted", "--profile", "vendory",
                "--since", "1d", "--format", "json")
        assert r.returncode == 0, r.stderr
        done = json.loads(r.stdout)
        assert (done["selected"], done["rederived"], done["unchanged"],
                done["conflict"], done["pruned"]) == (n, n, 0, 0, 0), done
        assert done["changed"] == {"weighings": n, "weighings_history": 0,
                                   "vehicle_events": 0,
                                   "facility_status": 0}, done
        # Corrected in place: the same rows, ids and messages.
        assert d.count("weighings") == n
        assert d.query("SELECT sum(net_kg) FROM weighings")[0][0] == want_kg
        assert [r[0] for r in d.query("SELECT id FROM weighings ORDER BY"
                                      " id")] == [r[0] for r in before[0]]
        assert d.query("SELECT sum(kg) FROM ticket_origins")[0][0] == \
            want_kg
        # The indicators follow as they do for fresh rows.
        assert collected(env, "全市") == want_kg
        assert collected(env, "朝阳区") == want_kg
        # Reconciliation follows: the manifest now agrees with its ticket.
        wait_for(lambda: verdict(env) == "ok", 20, "the verdict corrected")
        # Provenance: each corrected message says when, once.
        assert d.count("messages", "rederived_ms IS NOT NULL") == n
        assert d.count("messages", "rederived_ms IS NOT NULL AND"
                       " profile = 'vendory'") == n
        assert "replay of accepted messages done" in d.log_text()

        # Again: nothing changes, row for row.
        after = row_sets(env)
        r = ctl(env, "replay", "--accepted")
        assert r.returncode == 0, r.stderr
        assert r.stdout == expected_table(False, n + 3, 0, n, 3, 0), r.stdout
        assert row_sets(env) == after
        env.ok = True


def test_killed_mid_rederive():
    n = 20000
    with make_env("rederive-kill") as env:
        d = env.daemon
        publish(env, [weighing(i) for i in range(n)])
        wait_for(lambda: d.count("weighings") == n, 120,
                 "%d weighings" % n)
        want_kg = sum(net_t(i) * 1000 for i in range(n))
        reload(env, "t")
        p = subprocess.Popen([CTL, "-c", d.conf, "replay", "--accepted",
                              "--format", "json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        wait_for(lambda: d.count("messages", "rederived_ms IS NOT NULL")
                 > 0, 60, "the replay's first slice", interval=0.002)
        d.kill()
        out, err = p.communicate(timeout=60)
        done_before = d.count("messages", "rederived_ms IS NOT NULL")
        assert 0 < done_before < n, done_before
        assert p.returncode == 75, (p.returncode, out, err)
        # A slice commits whole: each marked message has its rows
        # corrected, every other one none.
        assert d.count("weighings", "net_kg > 1000") == done_before
        d.start()
        r = ctl(env, "replay", "--accepted", "--format", "json")
        assert r.returncode == 0, r.stderr
        done = json.loads(r.stdout)
        assert (done["rederived"], done["unchanged"]) == \
            (n - done_before, done_before), (done, done_before)
        # Every row once: n tickets, their corrected sum, no history.
        assert d.count("weighings") == n
        assert d.count("weighings_history") == 0
        assert d.query("SELECT count(DISTINCT message_id) FROM"
                       " weighings")[0][0] == n
        assert d.query("SELECT sum(net_kg) FROM weighings")[0][0] == want_kg
        assert d.query("SELECT sum(kg) FROM ticket_origins")[0][0] == \
            want_kg
        assert d.count("messages", "rederived_ms IS NOT NULL") == n
        env.ok = True


if __name__ == "__main__":
    run([test_rederive_after_fix, test_killed_mid_rederive])
