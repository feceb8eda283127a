#!/usr/bin/python3
"""Reconciliation and alerts on PostgreSQL (lib/store_pg_recon.c,
store_pg_alert.c, store_pg_rules.c) against SQLite's.

The same hand-written rows (test_pg_schema.py's day of weighings,
loads, unloads and muck findings, and manifests of every case below)
go with plain SQL into a SQLite file the real daemon migrated and into a
private PostgreSQL (pg.py); the triggers queue the work. pg_recon runs
the same operations on both at the same NOW: incremental passes in
slices of two manifests, alert syncs one rule or slice a call, the
pending steps acknowledged. Then every view and table must hold the same
rows on both (alerts with their evidence read as JSON), and the
incremental result must be the full rebuild's. Then corrections and a
later NOW, and the same again. The verdicts and alerts expected are
worked out by hand below."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pg  # noqa: E402
import pgcompare  # noqa: E402
import test_pg_schema as base  # noqa: E402
from test_pg_schema import DAY, H, insert, ms  # noqa: E402

DRIVER = os.environ.get("WT_PG_RECON", "build/tests/pg_recon")

NOW1 = ms(20)   # 2026-12-07 20:00 local
NOW2 = ms(61)   # 2026-12-09 13:00 local

CONFIG = """reconcile:
  tolerance_pct: 10
  overdue_h: 48
  window_h: 12
"""

# Compared on their own terms below (evidence as JSON).
SKIP = {"alerts"}


def manifests():
    """One manifest per case (plate, receiver, departure, declared):
    R1 names ticket T3 (1000 kg, 1020 declared: -1.96 %, ok);
    R2 by plate and window, T12 6000 kg for 5000 (+20 %, discrepancy);
    R3 in transit since 50 h before T0 (overdue at NOW1);
    R4 in transit since 12 h (pending at NOW1, overdue at NOW2: 48 h);
    R5 names T99 that no weighing has yet (received: pending);
    R6a and R6b share T1 (8000 kg) by declared mass: 3000 + 5000, ok;
    R7 named by ticket T20 (2500 kg for 2000: +25 %, discrepancy);
    R8 cancelled: no verdict."""
    m = "scheme, manifest_no, version, status, plate, generator_code," \
        " generator_district, receiver_facility, departed_ms, updated_ms," \
        " dq_flags, local_offset_min, receiver_district, declared_kg"
    s = insert("manifests", m, [
        ("CN_MSW", "R1", 1, "closed", "吉A40004", None, "南关区",
         "CC-REC-01", ms(9), ms(12), 0, 480, "南关区", 1020.0),
        ("CN_MSW", "R2", 1, "received", "吉A50005", None, "宽城区",
         "CC-INC-01", ms(6), ms(9), 0, 480, "朝阳区", 5000.0),
        ("CN_MSW", "R3", 1, "in_transit", "吉B00001", None, "绿园区",
         "CC-INC-01", ms(-50), ms(-50), 0, 480, "朝阳区", 700.0),
        ("CN_MSW", "R4", 1, "in_transit", "吉B00002", None, "绿园区",
         "CC-INC-01", ms(12), ms(12), 0, 480, "朝阳区", 800.0),
        ("CN_MSW", "R5", 1, "received", "吉B00003", None, "二道区",
         "CC-INC-01", ms(3), ms(5), 0, 480, "朝阳区", 1000.0),
        ("CN_MSW", "R6a", 1, "closed", "吉A10001", None, "朝阳区",
         "CC-INC-01", ms(7), ms(10), 0, 480, "朝阳区", 3000.0),
        ("CN_MSW", "R6b", 1, "closed", "吉A10001", None, "宽城区",
         "CC-INC-01", ms(7.5), ms(10), 0, 480, "朝阳区", 5000.0),
        ("CN_MSW", "R7", 1, "received", "吉A88888", None, "南关区",
         "CC-INC-01", ms(11), ms(14), 0, 480, "朝阳区", 2000.0),
        ("CN_MSW", "R8", 1, "cancelled", "吉A30003", None, "朝阳区",
         "CC-KWP-01", ms(9), ms(9), 0, 480, "朝阳区", 3000.0)])
    s += insert("manifest_tickets", "scheme, manifest_no, facility, ticket", [
        ("CN_MSW", "R1", "CC-REC-01", "T3"),
        ("CN_MSW", "R5", "CC-INC-01", "T99"),
        ("CN_MSW", "R6a", "CC-INC-01", "T1"),
        ("CN_MSW", "R6b", "CC-INC-01", "T1"),
        ("CN_MSW", "R8", "CC-KWP-01", "T2")])
    s += insert("weighings", WEIGHING, [weighing("T20", "吉A88888", 2500.0,
                                                 ms(13), "R7")])
    return s


WEIGHING = "facility, ticket, day, version, plate, direction, net_kg," \
    " first_ms, second_ms, waste, status, dq_flags, fingerprint, key_day," \
    " district, facility_kind, harmless, manifest_no"


def weighing(ticket, plate, kg, at, manifest_no=None):
    return ("CC-INC-01", ticket, DAY, 1, plate, "in", kg, at, at + H // 10,
            "msw.residual", "complete", 0, "f" + ticket, DAY, "朝阳区",
            "incinerator", 1, manifest_no)


def monitoring():
    """Facility alarms, watching and status reports: CC-INC-01's
    inventory above 5000 kg for its whole hour up to NOW1 (critical) and
    its temp_c above 900 (warning, a member of extra); silent after 2 h
    without a report (not at NOW1, at NOW2)."""
    s = ["UPDATE facilities SET alarm_after_s = 3600, silent_after_s = 7200"
         " WHERE id = 'CC-INC-01'"]
    s += insert("facility_alarms", "facility, value, min, max, severity", [
        ("CC-INC-01", "inventory_kg", 0.0, 5000.0, "critical"),
        ("CC-INC-01", "temp_c", None, 900.0, "warning")])
    s += insert("facility_status", "facility, ts_ms, state, inventory_kg,"
                " extra", [
                    ("CC-INC-01", ms(18), "running", 6000.0, None),
                    ("CC-INC-01", ms(19), "running", 7000.0,
                     '{"temp_c": 950}'),
                    ("CC-INC-01", ms(19.5), "running", 6500.0,
                     '{"temp_c": 960.5}')])
    return s


def fixture():
    """test_pg_schema.py's base rows without its hand-made derived rows
    and manifests, then the cases here."""
    keep = [st for st in base.fixture() if not st.startswith((
        "INSERT INTO reconciliation_results", "INSERT INTO "
        "reconciliation_links", "INSERT INTO manifest", "INSERT INTO "
        "daily_unload_results"))]
    return keep + manifests() + monitoring()


def corrections():
    """R7 corrected (2450 declared: +2.04 %, ok); T99 weighed at last
    (1200 kg for R5's 1000: +20 %, discrepancy); R2 cancelled."""
    return [
        "UPDATE manifests SET declared_kg = 2450.0, version = 2"
        " WHERE manifest_no = 'R7'",
        "UPDATE manifests SET status = 'cancelled', version = 2"
        " WHERE manifest_no = 'R2'",
    ] + insert("weighings", WEIGHING, [weighing("T99", "吉B00003", 1200.0,
                                                ms(14))])


META = [("local_offset_min", "480"), ("clearance_tolerance_pct", "5")]


def meta_sql():
    keys = ", ".join(base.q(k) for k, _ in META)
    # What the daemon's start left in the SQLite file goes too.
    return ["DELETE FROM meta WHERE key IN (%s) OR key LIKE 'reconcile%%'"
            % keys, "DELETE FROM alerts"] + [
        "INSERT INTO meta(key, value) VALUES(%s, %s)" % (base.q(k), base.q(v))
        for k, v in META]


def drive(args, now, ops):
    p = subprocess.run([DRIVER] + args + [str(now), ops],
                       capture_output=True, text=True,
                       timeout=120 * harness.TIMEOUT_SCALE)
    assert p.returncode == 0, "pg_recon %s %s: %s%s" % (args[0], ops,
                                                        p.stdout, p.stderr)
    return p.stdout.splitlines()


def alerts_lite(lite):
    return lite.execute("SELECT kind, severity, subject, district,"
                        " opened_ms, resolved_ms, published, evidence"
                        " FROM alerts ORDER BY id").fetchall()


def alerts_pg(db):
    return db.query("SELECT kind, severity, subject, district, opened_ms,"
                    " resolved_ms, published, evidence FROM alerts"
                    " ORDER BY id")


def same_json(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same_json, a, b))
    return pgcompare.close(a, b)


def compare_alerts(lite, db, stage):
    a, b = alerts_lite(lite), alerts_pg(db)
    assert len(a) == len(b), "%s: alerts\n  sqlite:     %s\n  postgresql:" \
        " %s" % (stage, a, b)
    for x, y in zip(a, b):
        x, y = list(x), list(y)
        ex, ey = x.pop(), y.pop()
        ok = x == y and (ex is None) == (ey is None) and (
            ex is None or same_json(json.loads(ex), json.loads(ey)))
        assert ok, "%s: alert differs\n  sqlite:     %s %s\n" \
            "  postgresql: %s %s" % (stage, x, ex, y, ey)
    return a


def compare_pending(a, b, stage):
    """The lines of ack: id, step, retained, topic the same; payloads
    the same JSON."""
    a = [x for x in a if x.startswith("pending ")]
    b = [x for x in b if x.startswith("pending ")]
    assert len(a) == len(b), (stage, a, b)
    for x, y in zip(a, b):
        x, y = x.split(" ", 5), y.split(" ", 5)
        assert x[:5] == y[:5], (stage, x, y)
        assert (x[5] == "-") == (y[5] == "-"), (stage, x, y)
        if x[5] != "-":
            assert same_json(json.loads(x[5]), json.loads(y[5])), \
                (stage, x, y)
    return a


def compare_meta(lite, db, stage):
    keys = "('reconcile_params', 'reconcile_pass_ms'," \
        " 'reconcile_current_ms', 'reconcile_requeue')"
    a = sorted([k, str(v)] for k, v in lite.execute(
        "SELECT key, value FROM meta WHERE key IN %s" % keys))
    b = sorted(db.query("SELECT key, value FROM meta WHERE key IN %s"
                        % keys))
    assert a == b, (stage, a, b)


# Without derived_ms: a pass leaves the verdicts it had no reason to
# derive again as they were, the full rebuild writes every one at now.
RECON = "SELECT scheme, manifest_no, declared_kg, received_kg, diff_pct," \
    " method, verdict FROM reconciliation_results"
LINKS = "SELECT scheme, manifest_no, facility, ticket, day, method," \
    " allocated_kg FROM reconciliation_links"


def snapshot_lite(lite):
    return (lite.execute(RECON).fetchall(), lite.execute(LINKS).fetchall())


def snapshot_pg(db):
    return (db.query(RECON), db.query(LINKS))


def same_rows(name, a, b):
    diff = pgcompare.compare_rows(name, a, b)
    assert not diff, "\n".join(diff)


def verdicts(lite):
    return {n: (v, m, None if d is None else round(d, 2)) for n, v, m, d in
            lite.execute("SELECT manifest_no, verdict, method, diff_pct"
                         " FROM reconciliation_results")}


def open_alerts(lite):
    return sorted((k, s) for k, s in lite.execute(
        "SELECT kind, subject FROM alerts WHERE resolved_ms IS NULL"))


def stage(lite_path, db, lite_args, pg_args, views, tables, now, name):
    """Both backends through the same operations at now, compared."""
    out_l = drive(lite_args, now, "small,pass,behind,sync,ack")
    out_p = drive(pg_args, now, "small,pass,behind,sync,ack")
    assert "behind 0" in out_l and "behind 0" in out_p, (out_l, out_p)
    lite = sqlite3.connect(lite_path)
    try:
        base.compare_all(lite, db, [v for v in views if v not in SKIP],
                         [t for t in tables if t not in SKIP], name)
        compare_alerts(lite, db, name)
        pending = compare_pending(out_l, out_p, name)
        compare_meta(lite, db, name)
        inc_l, inc_p = snapshot_lite(lite), snapshot_pg(db)
        got = (verdicts(lite), open_alerts(lite), pending)
    finally:
        lite.close()
    # The passes gave what the full rebuild gives, on each backend.
    drive(lite_args, now, "full")
    drive(pg_args, now, "full")
    lite = sqlite3.connect(lite_path)
    try:
        full_l = snapshot_lite(lite)
    finally:
        lite.close()
    full_p = snapshot_pg(db)
    for i, what in enumerate(["reconciliation_results",
                              "reconciliation_links"]):
        same_rows("sqlite %s, passes vs full (%s)" % (what, name), inc_l[i],
                  full_l[i])
        same_rows("postgresql %s, passes vs full (%s)" % (what, name),
                  inc_p[i], full_p[i])
    print("%s: sqlite %s, postgresql %s; %s / %s; %d steps sent" % (
        name, out_l[0], out_p[0], out_l[2], out_p[2], len(got[2])))
    return got


def sqlite_file(path):
    """A database of the real migrations: the daemon's own, stopped."""
    with harness.Env("pgrecon") as env:
        env.daemon.start()
        env.daemon.stop()
        shutil.copy(env.daemon.db, path)
    lite = sqlite3.connect(path)
    assert lite.execute("PRAGMA user_version").fetchone()[0] == 15
    return lite


def expected_first():
    """Verdicts and alerts at NOW1, by hand (see manifests())."""
    v = {"R1": ("ok", "ticket_ref", -1.96),
         "R2": ("discrepancy", "plate_window", 20.0),
         "R3": ("overdue", None, None),
         "R4": ("pending", None, None),
         "R5": ("pending", None, None),
         "R6a": ("ok", "ticket_ref", 0.0),
         "R6b": ("ok", "ticket_ref", 0.0),
         "R7": ("discrepancy", "ticket_ref", 25.0)}
    a = [("clinic_pickup_overdue", "G-CLINIC-3"),  # never picked up
         ("discrepancy", "CN_MSW/R2"), ("discrepancy", "CN_MSW/R7"),
         ("facility_alarm", "CC-INC-01/inventory_kg"),
         ("facility_alarm", "CC-INC-01/temp_c"),
         ("night_window", "吉A20002/" + DAY),
         ("overdue_manifest", "CN_MSW/R3"),
         ("permit", "吉A20002"),
         ("station_not_cleared", "CC-TS-02"),  # 12-06: 600 > 500
         # the dwell of the fixture, and the unload event at an
         # unknown facility
         ("unauthorised_unload", "吉A20002@%d" % ms(13)),
         ("unauthorised_unload", "吉A20002@%d" % ms(17)),
         ("unknown_facility", "X-UNKNOWN")]
    return v, sorted(a)


def expected_second():
    """At NOW2 after the corrections: R7 ok, R5 discrepancy, R2
    cancelled (no verdict), R4 overdue; the event-like alerts are more
    than 24 h old, the alarms have no report within a day, CC-INC-01 is
    silent, clinics 1 (48 h) and 2 (24 h) are overdue too."""
    v = dict(expected_first()[0])
    del v["R2"]
    v["R4"] = ("overdue", None, None)
    v["R5"] = ("discrepancy", "ticket_ref", 20.0)
    v["R7"] = ("ok", "ticket_ref", 2.04)
    a = [("clinic_pickup_overdue", "G-CLINIC-1"),
         ("clinic_pickup_overdue", "G-CLINIC-2"),
         ("clinic_pickup_overdue", "G-CLINIC-3"),
         ("discrepancy", "CN_MSW/R5"),
         ("facility_silent", "CC-INC-01"),
         ("overdue_manifest", "CN_MSW/R3"),
         ("overdue_manifest", "CN_MSW/R4"),
         ("station_not_cleared", "CC-TS-02"),
         ("unknown_facility", "X-UNKNOWN")]
    return v, sorted(a)


def test_parity():
    work = harness.make_dir("wt-pgrecon-")
    path = os.path.join(work, "lite.db")
    conf = os.path.join(work, "recon.yaml")
    with open(conf, "w") as f:
        f.write(CONFIG)
    lite = sqlite_file(path)
    with pg.Postgres("recon") as db:
        lite_args = ["sqlite", path, "-", conf]
        pg_args = ["postgresql", db.url, db.passfile, conf]
        # Opening migrates; nothing is queued yet.
        assert drive(pg_args, NOW1, "behind") == ["behind 0"]
        views, tables = base.check_relations(lite, db)
        for t in ["facilities", "generators", "vehicle_registry",
                  "reconcile_queue", "reconcile_tickets"]:
            lite.execute("DELETE FROM %s" % t)
        for st in meta_sql() + fixture():
            lite.execute(st)
        lite.commit()
        lite.close()
        db.psql(";\n".join(meta_sql() + fixture()) + ";")
        assert drive(lite_args, NOW1, "behind") == ["behind 1"]
        assert drive(pg_args, NOW1, "behind") == ["behind 1"]

        v, a, pending = stage(path, db, lite_args, pg_args, views, tables,
                              NOW1, "first")
        ev, ea = expected_first()
        assert v == ev, v
        assert a == ea, a
        # Every alert opened: one retained step each.
        assert len(pending) == len(ea), pending
        assert all(p.split()[2:4] == ["1", "1"] for p in pending), pending

        lite = sqlite3.connect(path)
        for st in corrections():
            lite.execute(st)
        lite.commit()
        lite.close()
        db.psql(";\n".join(corrections()) + ";")
        v, a, pending = stage(path, db, lite_args, pg_args, views, tables,
                              NOW2, "second")
        ev, ea = expected_second()
        assert v == ev, v
        assert a == ea, a
        # Resolved: R2 (cancelled), R7 (corrected), the alarms, the
        # event-like ones (24 h after): a step 2 each, not retained.
        steps = sorted(p.split()[2] for p in pending)
        assert steps.count("2") == 8, pending
        assert steps.count("1") == 5, pending
        # A later sync with nothing new sends the clearing steps only.
        out_l = drive(lite_args, NOW2, "sync,ack")
        out_p = drive(pg_args, NOW2, "sync,ack")
        clear = compare_pending(out_l, out_p, "clear")
        assert len(clear) == 8 and all(p.split()[2:4] == ["3", "1"]
                                       for p in clear), clear
        # Nothing is left to send.
        assert drive(pg_args, NOW2, "ack") == []
        assert drive(lite_args, NOW2, "ack") == []

        # A wider tolerance (25 %): every manifest is queued again, two
        # a pass, and R5's +20 % is ok now: its alert resolves.
        wide = os.path.join(work, "wide.yaml")
        with open(wide, "w") as f:
            f.write(CONFIG.replace("tolerance_pct: 10", "tolerance_pct: 25"))
        v, a, pending = stage(path, db, ["sqlite", path, "-", wide],
                              ["postgresql", db.url, db.passfile, wide],
                              views, tables, NOW2, "third")
        ev, ea = expected_second()
        ev["R5"] = ("ok", "ticket_ref", 20.0)
        ea.remove(("discrepancy", "CN_MSW/R5"))
        assert v == ev, v
        assert a == ea, a
        assert [p.split()[2] for p in pending] == ["2"], pending
        # No statement failed on the server (the vacuums of the
        # temporary tables among them).
        errors = [x for x in db.log_text().splitlines() if "ERROR" in x]
        assert not errors, errors
    shutil.rmtree(work, ignore_errors=True)


def psql_session(db):
    """A psql of its own whose transaction the test holds open."""
    return subprocess.Popen(
        [pg._tool("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-h", db.dir, "-p", str(db.port), "-U", pg.SUPER, "-d", pg.DB],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def test_concurrent_writer():
    """Another instance's transaction open during a pass: the manifest
    it is writing (queued already, so its write queued nothing new)
    goes back to the queue instead of being derived from the old row,
    and its weighing's mark, not committed yet, waits for the next
    pass. After its commit, the next passes give the new figures."""
    work = harness.make_dir("wt-pgrecon-")
    conf = os.path.join(work, "recon.yaml")
    with open(conf, "w") as f:
        f.write(CONFIG)
    with pg.Postgres("reconc") as db:
        args = ["postgresql", db.url, db.passfile, conf]
        drive(args, NOW1, "behind")
        db.psql(";\n".join(meta_sql() + fixture()) + ";")
        drive(args, NOW1, "pass")
        r7 = "SELECT declared_kg, verdict FROM reconciliation_results" \
            " WHERE manifest_no = 'R7'"
        assert db.query(r7) == [[2000, "discrepancy"]]
        db.psql("UPDATE manifests SET declared_kg = 2450.0, version = 2"
                " WHERE manifest_no = 'R7'")
        b = psql_session(db)
        b.stdin.write(
            "BEGIN;\nUPDATE manifests SET declared_kg = 2600.0, version = 3"
            " WHERE manifest_no = 'R7';\n%s;\n"
            % insert("weighings", WEIGHING, [weighing(
                "T31", "吉B00001", 700.0, ms(12), "R3")])[0])
        b.stdin.flush()
        harness.wait_for(lambda: db.query(
            "SELECT count(*) FROM pg_stat_activity WHERE state ="
            " 'idle in transaction'") == [[1]], what="the open transaction")
        assert drive(args, NOW1, "pass1") == ["more 1"]
        # R7 waits again, its verdict untouched; the mark is not seen.
        assert db.query("SELECT manifest_no FROM reconcile_queue") == [
            ["R7"]]
        assert db.query(r7) == [[2000, "discrepancy"]]
        assert db.query("SELECT count(*) FROM reconcile_tickets") == [[0]]
        out, err = b.communicate("COMMIT;\n", timeout=60)
        assert b.returncode == 0, err
        drive(args, NOW1, "pass")
        # 2500 kg for 2600: -3.85 %; R3 now named by T31: 700 for 700.
        assert db.query(r7) == [[2600, "ok"]]
        assert db.query("SELECT verdict, method, received_kg FROM"
                        " reconciliation_results WHERE manifest_no = 'R3'"
                        ) == [["ok", "ticket_ref", 700]]
        inc = snapshot_pg(db)
        drive(args, NOW1, "full")
        full = snapshot_pg(db)
        same_rows("results, passes vs full", inc[0], full[0])
        same_rows("links, passes vs full", inc[1], full[1])
    shutil.rmtree(work, ignore_errors=True)


def FEED_TOPICS(topic):
    """The messages of the manifests, tickets and statuses: the muck
    trucks' store operations (positions, unloads) are another part's."""
    return topic.startswith("wt/v1/manifests/") or topic.endswith((
        "/weighings", "/status"))


def test_feed():
    """test_pg_write.py's messages through the daemon's own ingest
    (pg_feed) into both backends, then reconciled and alerted on at two
    times, compared as that test compares (its IGNORED columns), the
    alerts' evidence as JSON. By hand: M-1 declares 1.2 t + 300 kg and
    its ticket T300 weighs 1300 kg (-13.33 %, a discrepancy); M-2, in
    transit since 8 h, is overdue 48 h later."""
    import test_pg_write as tw
    tmp = harness.make_dir("wt-pgrecon-feed-")
    conf = tw.write_config(tmp)
    inp = os.path.join(tmp, "messages.tsv")
    tw.write_input(inp, [m for m in tw.messages() if FEED_TOPICS(m[0])])
    path = os.path.join(tmp, "wt.db")
    tw.feed(conf, "sqlite", path, inp)
    ignored = dict(tw.IGNORED)
    ignored[("alerts", "evidence")] = "JSON spaced otherwise: compared parsed"
    with pg.Postgres("reconfeed") as db:
        tw.feed(conf, "postgresql", db.url, inp, passfile=db.passfile)
        lite_args = ["sqlite", path, "-", conf]
        pg_args = ["postgresql", db.url, db.passfile, conf]
        for now, m2 in [(tw.NOW, "pending"), (tw.NOW + 24 * H, "overdue")]:
            out_l = drive(lite_args, now, "pass,sync,ack")
            out_p = drive(pg_args, now, "pass,sync,ack")
            lite = sqlite3.connect(path)
            try:
                saved = dict(tw.IGNORED)
                tw.IGNORED.update(ignored)
                try:
                    tw.compare(lite, db)
                finally:
                    tw.IGNORED.clear()
                    tw.IGNORED.update(saved)
                compare_alerts(lite, db, "feed")
                compare_pending(out_l, out_p, "feed")
                v = {n: (x, None if d is None else round(d, 2)) for n, x, d
                     in lite.execute("SELECT manifest_no, verdict, diff_pct"
                                     " FROM reconciliation_results")}
                kinds = open_alerts(lite)
            finally:
                lite.close()
            assert v["M-1"] == ("discrepancy", -13.33), v
            assert v["M-2"] == (m2, None), v
            assert ("discrepancy", "CN_HW/M-1") in kinds, kinds
            assert ("unknown_facility", "CC-XX-99") in kinds, kinds
            assert (("overdue_manifest", "CN_HW/M-2") in kinds) == (
                m2 == "overdue"), kinds
            print("feed at %d: %s; open %s" % (now, v, kinds))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.run([test_parity, test_concurrent_writer, test_feed])
