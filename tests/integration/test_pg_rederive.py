#!/usr/bin/python3
"""Re-deriving accepted messages on PostgreSQL (lib/store_pg_rederive.c)
against SQLite's (lib/store_rederive.c), docs/replay.md.

pg_feed takes the same messages through the real ingest into a SQLite
file and a private PostgreSQL (pg.py): test_pg_write.py's set (every
native event kind, the vendor profiles' examples, ticket versions) and a
vendor's ("scaleco") that reads its tonnes as kilograms and names a
vehicle and a facility by its own ids. The profile is fixed (tonnes, the
ids mapped to the registry's: two rows change key) and pg_rederive runs
the replay of accepted messages (lib/replay.c) on both: a dry run writes
nothing, the run gives the same counters on both, worked out by hand,
and leaves every table and view the same in both; a second run changes
nothing; a profile that names other tickets is a conflict on every one
of them and changes nothing either.

And end to end: a daemon on PostgreSQL (the cluster's configuration, one
instance) takes a vendor's tickets in kilograms from mosquitto, its
profile is fixed and reloaded (SIGHUP), and `wastetrackctl replay
--accepted` has it correct them: a dry run writes nothing, the run
corrects every ticket once, a second run changes nothing."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pg  # noqa: E402
import pgcompare  # noqa: E402
import test_pg_write as W  # noqa: E402
import test_rederive  # noqa: E402

# The dry run's writes are rolled back, but PostgreSQL's identities are
# not: the reconciliation queue's rows the re-derivation adds after it
# have higher ids than SQLite's, which reuses the rolled-back rowids.
W.IGNORED[("reconcile_tickets", "id")] = "identity taken by a dry run"

REDERIVE = os.environ.get("WT_PG_REDERIVE", "build/tests/pg_rederive")
CTL = os.environ.get("WASTETRACKCTL", "build/tools/wastetrackctl")
H = W.H
T = W.T
NOW = W.NOW + 3600000   # the re-derivation's now: rederived_ms

# The vendor's profile: %(unit)s its masses' unit, %(ticket)s the member
# its ticket number is read from, %(veh)s and %(fac)s its vehicle's and
# facility's ids, %(site)s its clinic's (mapped to the registry's, or
# not).
PROFILE = """profiles:
  - name: scaleco
    tables:
      fac_ids: {TS9: CC-TS-02}
      veh_ids: {KW-1: KW-0001}
      site_ids: {CL1: NG-CL-001}
    kinds:
      - kind: weighing
        topic: "scaleco/{fac}/ticket"
        fields:
          facility: {topic: fac}
          ticket: %(ticket)s
          version: ver
          plate: plate
          direction: dir
          gross_kg: {path: gross, unit: %(unit)s}
          tare_kg: {path: tare, unit: %(unit)s}
          first_ts: t1
          second_ts: t2
          waste: waste
          status: st
      - kind: vehicle_event
        topic: "scaleco/{veh}/event"
        fields:
          vehicle: %(veh)s
          type: type
          plate: plate
          site: %(site)s
          ts: ts
          waste: waste
          mass_kg: {path: mass, unit: %(unit)s}
      - kind: facility_status
        topic: "scaleco/{fac}/status"
        fields:
          facility: %(fac)s
          ts: ts
          state: state
          inventory_kg: {path: stock, unit: %(unit)s}
"""

WRONG = dict(unit="kg", ticket="no", veh="{topic: veh}", fac="{topic: fac}",
             site="site")
FIXED = dict(unit="t", ticket="no", veh="{topic: veh, map: veh_ids}",
             fac="{topic: fac, map: fac_ids}",
             site="{path: site, map: site_ids}")
# The fix, but the ticket number read from another member: every ticket
# named is none of the stored ones.
OTHER = dict(FIXED, ticket="alt")


def ticket(no, ver, gross, first_ms, space=""):
    """A ticket in tonnes at CC-TS-02: gross, tare 4.5."""
    return ("scaleco/CC-TS-02/ticket", W.js(
        no="A%d" % no, alt="Z%d" % no, ver=ver, plate="吉A%05d" % no,
        dir="in", gross=gross, tare=4.5, t1=first_ms,
        t2=first_ms + 300000, waste="msw.food", st="complete") + space)


def scaleco():
    """Ten tickets A1..A10 (net 6 t), version 2 of A1 (net 8 t: version
    1 to history), a load of 7.5 t by KW-1 at the vendor's clinic CL1
    (plate 吉A00003: ticket A3 of that plate later that day comes from
    it once CL1 is mapped to the registry's NG-CL-001), a stock report of
    120 t at TS9, and A2 again with a byte more (a re-send that wrote
    nothing): 14 messages, 13 of them with rows."""
    out = [ticket(i, 1, 10.5, T + 14 * H + i * 600000)
           for i in range(1, 11)]
    out.append(ticket(1, 2, 12.5, T + 14 * H + 600000))
    out.append(("scaleco/KW-1/event", W.js(
        type="load", ts=T + 8 * H, plate="吉A00003", site="CL1",
        waste="msw.food", mass=7.5)))
    out.append(("scaleco/TS9/status", W.js(
        ts=T + 3 * H, state="running", stock=120)))
    out.append(ticket(2, 1, 10.5, T + 14 * H + 1200000, space=" "))
    return out


def write_configs(d):
    """wastetrack.yaml (test_pg_write's, with scaleco subscribed) and
    the three versions of the profile: the path of each config."""
    base = W.CONFIG.replace(
        '  - {topic: "wt/v1/#", profile: wastetrack}\n',
        '  - {topic: "wt/v1/#", profile: wastetrack}\n'
        '  - {topic: "scaleco/#", profile: scaleco}\n')
    shipped = os.path.join(os.path.abspath(W.SOURCE), "conf", "profiles",
                           "*.yaml")
    out = {}
    for name, vals in (("wrong", WRONG), ("fixed", FIXED),
                       ("other", OTHER)):
        prof = os.path.join(d, "scaleco-%s.yaml" % name)
        with open(prof, "w") as f:
            f.write(PROFILE % vals)
        conf = os.path.join(d, "wastetrack-%s.yaml" % name)
        with open(conf, "w") as f:
            f.write(base % {"profiles": '"%s", "%s"' % (shipped, prof),
                            "db": os.path.join(d, "wt.db")})
        out[name] = conf
    return out


def rederive(conf, backend, where, passfile=None, extra=()):
    argv = [REDERIVE, "--now", str(NOW), *extra, conf, backend, where]
    if passfile:
        argv.append(passfile)
    p = subprocess.run(argv, capture_output=True, encoding="utf-8",
                       errors="replace",
                       timeout=120 * harness.TIMEOUT_SCALE)
    assert p.returncode == 0, "pg_rederive %s failed:\n%s%s" % (
        backend, p.stdout, p.stderr)
    warnings = [ln for ln in p.stderr.splitlines() if "<3>" in ln]
    assert not warnings, "pg_rederive %s: errors:\n%s" % (backend,
                                                         p.stderr)
    c = {k: int(v) for k, v in (ln.split() for ln in p.stdout.splitlines())}
    c.pop("steps")
    return c


def both(confs, name, tmp, db, extra=()):
    """The re-derivation on both backends: the same counters."""
    a = rederive(confs[name], "sqlite", os.path.join(tmp, "wt.db"),
                 extra=extra)
    b = rederive(confs[name], "postgresql", db.url, db.passfile, extra)
    assert a == b, "counters differ:\n  sqlite:     %s\n  postgresql: %s" \
        % (a, b)
    return b


def snapshot(lite, db):
    """Every relation of PostgreSQL, all columns: to compare with itself."""
    return {n: db.query(pgcompare.select(n, cols, "encode({0}, 'hex')"))
            for n, cols in W.relations(lite).items()}


def same(before, after):
    errors = []
    for n in before:
        errors += pgcompare.compare_rows(n, before[n], after[n])
    assert not errors, "PostgreSQL changed:\n" + "\n".join(errors)


def changed(c):
    return [c["changed_" + t] for t in ("weighings", "weighings_history",
                                        "vehicle_events", "facility_status")]


def q1(db, sql):
    return db.query(sql)[0][0]


A3_ORIGIN = ("SELECT origin_district, origin_source, round(kg)"
             " FROM ticket_origins o JOIN weighings w ON w.id = o.ticket_id"
             " WHERE w.ticket = 'A3'")


def check_corrected(lite, db):
    """The rows the fix corrected, on PostgreSQL, by hand; SQLite the
    same (compared whole after)."""
    first = lambda s: lite.execute(s).fetchall()[0][0]  # noqa: E731
    for run in (first, lambda s: q1(db, s)):
        # A1 8 t, A2..A10 6 t; A1 version 1 (6 t) in history.
        assert run("SELECT round(sum(net_kg)) FROM weighings WHERE"
                   " ticket LIKE 'A%'") == 62000
        assert run("SELECT round(sum(net_kg)) FROM weighings_history"
                   " WHERE ticket = 'A1'") == 6000
        # The load moved to the registry's vehicle, 7.5 t.
        assert run("SELECT mass_kg FROM vehicle_events WHERE"
                   " vehicle = 'KW-0001'") == 7500
        assert run("SELECT count(*) FROM vehicle_events WHERE"
                   " vehicle = 'KW-1'") == 0
        # Its ticket A3 (6 t) now comes from the clinic's district.
        assert [tuple(r) for r in (lite.execute(A3_ORIGIN).fetchall()
                                   if run is first else
                                   db.query(A3_ORIGIN))] == \
            [("南关区", "generator", 6000)]
        # The report moved to CC-TS-02: a known facility now, 120 t.
        assert run("SELECT inventory_kg FROM facility_status WHERE"
                   " facility = 'CC-TS-02' AND ts_ms = %d"
                   % (T + 3 * H)) == 120000
        assert run("SELECT count(*) FROM facility_status WHERE"
                   " facility = 'TS9'") == 0
        assert run("SELECT count(*) FROM messages WHERE"
                   " rederived_ms = %d" % NOW) == 13


def test_rederive_parity(tmp):
    confs = write_configs(tmp)
    inp = os.path.join(tmp, "messages.tsv")
    W.write_input(inp, W.messages() + scaleco())
    W.feed(confs["wrong"], "sqlite", os.path.join(tmp, "wt.db"), inp)
    lite = sqlite3.connect(os.path.join(tmp, "wt.db"))
    with pg.Postgres("rederive") as db:
        W.feed(confs["wrong"], "postgresql", db.url, inp,
               passfile=db.passfile)
        W.compare(lite, db)
        # Accepted with masses a thousand times too small.
        assert q1(db, "SELECT sum(net_kg) FROM weighings WHERE ticket"
                  " LIKE 'A%'") == 62
        # A3 from the vehicle's district: the vendor's clinic is no
        # generator of the registry.
        assert [tuple(r) for r in db.query(A3_ORIGIN)] != \
            [("南关区", "generator", 6)]
        n = q1(db, "SELECT count(*) FROM messages WHERE profile ="
               " 'scaleco'")
        assert n == 14, n

        # The dry run: what would change, nothing written.
        before = snapshot(lite, db)
        dry = both(confs, "fixed", tmp, db, ["--dry-run"])
        same(before, snapshot(lite, db))
        W.compare(lite, db)

        # Every accepted message: only scaleco's 13 with rows change;
        # A2's re-send names a ticket of another message (unchanged).
        done = both(confs, "fixed", tmp, db)
        assert done == dry, (done, dry)
        assert done["rederived"] == 13, done
        assert done["conflict"] == 0 and done["pruned"] == 0, done
        assert changed(done) == [10, 1, 1, 1], done
        assert done["selected"] == q1(db, "SELECT count(*) FROM"
                                      " messages"), done
        print("re-derived: %s" % done)
        check_corrected(lite, db)
        seen = W.compare(lite, db)
        print("compared %d relations, %d rows" % (len(seen),
                                                  sum(seen.values())))

        # Again: nothing to change, row for row.
        before = snapshot(lite, db)
        again = both(confs, "fixed", tmp, db)
        assert again["rederived"] == 0 and changed(again) == [0] * 4, again
        assert again["unchanged"] == done["unchanged"] + 13, (again, done)
        same(before, snapshot(lite, db))

        # Tickets read from another member: every scaleco ticket (11
        # with rows, and the re-send) names no stored ticket: a conflict
        # each, the load and the report unchanged; nothing written.
        other = both(confs, "other", tmp, db, ["--profile", "scaleco"])
        assert (other["selected"], other["conflict"], other["unchanged"],
                other["rederived"]) == (14, 12, 2, 0), other
        same(before, snapshot(lite, db))
        W.compare(lite, db)


# test_rederive.py's vendor: tonnes read as kilograms (%s: the unit).
VENDORY = test_rederive.PROFILE


def vy_ticket(i):
    """Ticket i at CC-KWP-01: net 7.5 t plus i eighths (exact), this
    morning (inside every retention and the ingest's clock checks)."""
    t1 = (int(time.time()) // 86400 * 86400 - 86400) * 1000 \
        + i * 60000
    return ("vy/wb/CC-KWP-01", W.js(
        no="T%03d" % i, plate="吉A5G%03d" % i, gross=12.5 + 7.5 + i / 8,
        tare=12.5, t1=t1, t2=t1 + 30000))


def ctl(d, *args):
    p = subprocess.run([CTL, "-c", d.conf, *args], capture_output=True,
                       text=True, timeout=120 * harness.TIMEOUT_SCALE)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.stdout


def test_ctl_replay_accepted():
    n = 24
    tmp = harness.make_dir("wt-pgrederive-ctl-")
    prof = os.path.join(tmp, "vendory.yaml")
    with open(prof, "w") as f:
        f.write(VENDORY % ("kg", "kg"))
    with pg.Postgres("rederive-ctl") as db:
        broker = harness.Broker(tmp).start()
        d = harness.Daemon(
            tmp, broker.port, client_id="wt-rd",
            subscriptions=[("wt/v1/#", "wastetrack"), ("vy/#", "vendory")],
            include=[prof],
            store={"backend": "postgresql", "url": db.url,
                   "password_file": db.passfile},
            extra='ingest:\n  spool_dir: "%s"\n'
            % os.path.join(tmp, "spool"))
        try:
            d.start()
            pub = harness.Publisher(broker.port)
            try:
                pub.publish_all([vy_ticket(i) for i in range(n)])
            finally:
                pub.close()
            want = sum(7500 + i * 125 for i in range(n))
            harness.wait_for(lambda: q1(db, "SELECT count(*) FROM"
                                        " weighings") == n, 30,
                             "%d tickets" % n)
            assert q1(db, "SELECT sum(net_kg) FROM weighings") == \
                want / 1000

            with open(prof, "w") as f:
                f.write(VENDORY % ("t", "t"))
            k = d.log_text().count("configuration reloaded")
            d.proc.send_signal(signal.SIGHUP)
            harness.wait_for(lambda: d.log_text().count(
                "configuration reloaded") > k, 20, "the reload")

            rows = "SELECT id, net_kg, fingerprint FROM weighings ORDER BY id"
            before = db.query(rows)
            dry = json.loads(ctl(d, "replay", "--accepted", "--dry-run",
                                 "--format", "json"))
            assert (dry["selected"], dry["rederived"]) == (n, n), dry
            assert db.query(rows) == before
            assert q1(db, "SELECT count(*) FROM messages WHERE"
                      " rederived_ms IS NOT NULL") == 0

            done = json.loads(ctl(d, "replay", "--accepted", "--format",
                                  "json"))
            assert (done["selected"], done["rederived"], done["unchanged"],
                    done["conflict"]) == (n, n, 0, 0), done
            assert done["changed"]["weighings"] == n, done
            assert q1(db, "SELECT sum(net_kg) FROM weighings") == want
            assert [r[0] for r in db.query(rows)] == \
                [r[0] for r in before]
            assert q1(db, "SELECT round(sum(kg)) FROM ticket_origins") \
                == want
            assert q1(db, "SELECT count(*) FROM messages WHERE"
                      " rederived_ms IS NOT NULL") == n

            after = db.query(rows)
            marks = db.query("SELECT id, rederived_ms FROM messages")
            again = json.loads(ctl(d, "replay", "--accepted", "--format",
                                   "json"))
            assert (again["rederived"], again["unchanged"]) == (0, n), again
            assert db.query(rows) == after
            assert db.query("SELECT id, rederived_ms FROM messages") == \
                marks
            print("end to end: %d tickets re-derived, %d kg" % (n, want))
            d.stop()
        finally:
            if d.proc is not None and d.proc.poll() is None:
                d.stop()
            broker.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    d = harness.make_dir("wt-pgrederive-")

    def parity():
        test_rederive_parity(d)
        shutil.rmtree(d, ignore_errors=True)  # kept when it failed

    parity.__name__ = "test_rederive_parity"
    harness.run([parity, test_ctl_replay_accepted])


if __name__ == "__main__":
    main()
