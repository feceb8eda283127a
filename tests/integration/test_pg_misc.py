#!/usr/bin/python3
"""Muck writes, retention and replay on PostgreSQL against SQLite.

pg_misc (tests/integration/pg_misc.c) runs store.h's operations from a
script on either backend and prints what each returned. The same
hand-written rows go into a SQLite file and a private PostgreSQL
(pg.py), the same script runs on both, and the outputs and the tables
must be the same (figures worked out by hand are checked too):

- the muck writes: unloads upserted, candidates settled by weighings,
  unloads absorbed by an event's, violations once per local day, a
  vehicle's recent track and current load;
- a retention round with a fixed now over 400 days of every kind: the
  same counters and rows left; on PostgreSQL the partitions before the
  cutoffs are gone (pg_inherits) and a slice changes at most max_rows
  rows or drops one partition alone;
- replay: rejects paged by (time, id) with their skip and pruned flags,
  the outcome marked once; accepted messages paged for re-derivation,
  whose correction PostgreSQL refuses (not ported);
- a slice after a restart of PostgreSQL fails once, the next connects
  again."""

import datetime
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pg  # noqa: E402

MISC = os.environ.get("WT_PG_MISC", "build/tests/pg_misc")
MIGRATE = os.environ.get("WT_PG_MIGRATE", "build/tests/pg_migrate")

H = 3600000
M = 60000
DAY = 86400000
# Local midnight of 2026-12-07 at +08:00 (the muck script's day).
T0 = int(datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone(
    datetime.timedelta(hours=8))).timestamp() * 1000)
# Retention's fixed now: 2026-12-07 12:00 UTC.
NOWDAY = int(datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc)
             .timestamp() * 1000)
NOW = NOWDAY + 12 * H
DAYS = 400


def q(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def insert(table, cols, rows):
    return ["INSERT INTO %s(%s) VALUES(%s)" % (table, cols,
                                               ", ".join(q(v) for v in r))
            for r in rows]


class Both:
    """A SQLite file and a PostgreSQL database of the same schema."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.pg = pg.Postgres(name=self.name).__enter__()
        subprocess.run([MIGRATE, self.pg.url, self.pg.passfile],
                       check=True, capture_output=True)
        self.lite_path = os.path.join(self.pg.dir, "lite.db")
        self.run_lite("begin\ncommit\n")  # creates and migrates it
        return self

    def __exit__(self, *exc):
        return self.pg.__exit__(*exc)

    def sql(self, statements, lite_only=(), pg_only=()):
        con = sqlite3.connect(self.lite_path)
        for st in list(statements) + list(lite_only):
            con.execute(st)
        con.commit()
        con.close()
        self.pg.psql(";\n".join(list(statements) + list(pg_only)) + ";")

    def lite(self, sql):
        con = sqlite3.connect(self.lite_path)
        rows = [list(r) for r in con.execute(sql)]
        con.close()
        return rows

    def run_lite(self, script):
        return self._run(["sqlite", self.lite_path], script)

    def run_pg(self, script):
        return self._run(["postgresql", self.pg.url, self.pg.passfile],
                         script)

    def _run(self, args, script):
        p = subprocess.run([MISC] + args, input=script, text=True,
                           capture_output=True,
                           timeout=120 * harness.TIMEOUT_SCALE)
        assert p.returncode == 0, (args[0], p.stderr)
        return p.stdout, p.stderr

    def same(self, script):
        a, _ = self.run_lite(script)
        b, err = self.run_pg(script)
        assert a == b, "outputs differ\n--- sqlite\n%s--- postgresql\n%s" \
            "--- postgresql log\n%s" % (a, b, err)
        return a

    def same_rows(self, sql):
        a, b = self.lite(sql), self.pg.query(sql)
        norm = [[int(v) if isinstance(v, float) and v == int(v) else v
                 for v in r] for r in a]
        assert norm == b, "%s\n  sqlite:     %s\n  postgresql: %s" % (
            sql, a, b)
        return a


def lines(out, cmd):
    return [ln for ln in out.splitlines() if ln.startswith(cmd + " ")]


# ---- muck ----

def u(vehicle, plate, ts, since, how, cand, site, kind, district, waste,
      origin, muck, auth, mid, lat=43.1, lon=125.3):
    return " ".join(str(x) for x in [
        "unload_add", vehicle, plate, ts, since, lat, lon, how, cand, site,
        kind, district, waste, origin, muck, auth, 480, mid])


def muck_script():
    return "\n".join([
        "begin",
        # Three dwell candidates of plate 京A1, since 0:50, 2:50, 4:50.
        u("V1", "京A1", T0 + H, T0 + 50 * M, "dwell", 1, "S1", "cw_site",
          "朝阳区", "cw.mixed", "G1", 0, 0, "-"),
        u("V1", "京A1", T0 + 3 * H, T0 + 170 * M, "dwell", 1, "S1",
          "cw_site", "朝阳区", "cw.mixed", "G1", 0, 0, "-"),
        u("V1", "京A1", T0 + 5 * H, T0 + 290 * M, "dwell", 1, "S1",
          "cw_site", "朝阳区", "cw.mixed", "G1", 0, 0, "-"),
        # The first again: where it fell is rewritten (a registry
        # reload), a plate of NULL keeps the one stored.
        u("V1", "-", T0 + H, T0 + 50 * M, "dwell", 1, "S2", "cw_recycling",
          "南关区", "cw.mixed", "G1", 1, 1, 7, lat=43.2, lon=125.4),
        # Weighed empty at 4:00: the 2:50 candidate was the unload (muck
        # now 1), the 0:50 one is dropped: 2 rows.
        "unload_weighed 京A1 %d - 0 1" % (T0 + 4 * H),
        # Again: nothing left before 4:00.
        "unload_weighed 京A1 %d - 0 1" % (T0 + 4 * H),
        # Weighed loaded 6:00-6:30: none between, the 4:50 one dropped.
        "unload_weighed 京A1 %d %d 1 0" % (T0 + 6 * H, T0 + 390 * M),
        "unload_weighed - %d - 0 0" % (T0 + 6 * H),
        "unload_weighed 京A1 - - 0 0",
        # A candidate between two loaded weighings is confirmed.
        u("V1", "京A1", T0 + 7 * H, T0 + 425 * M, "dwell", 1, "-", "-",
          "朝阳区", "cw.mixed", "-", 0, 0, "-"),
        "unload_weighed 京A1 %d %d 1 1" % (T0 + 7 * H, T0 + 450 * M),
        # An event's unload and two inferred around it.
        u("V2", "京B2", T0 + 2 * H, T0 + 2 * H, "event", 0, "F1",
          "incinerator", "南关区", "msw", "-", 0, 1, 5),
        u("V2", "京B2", T0 + 2 * H + M, T0 + 2 * H, "load_state", 0, "-",
          "-", "南关区", "msw", "-", 0, 0, 6),
        u("V2", "京B2", T0 + 2 * H - M, T0 + 2 * H - 5 * M, "tipping", 0,
          "-", "-", "南关区", "msw", "-", 0, 0, 6),
        "event_near V2 %d %d" % (T0 + 2 * H - 5 * M, T0 + 2 * H + 5 * M),
        "event_near V2 %d %d" % (T0 + 3 * H, T0 + 4 * H),
        "event_near V1 %d %d" % (T0, T0 + 8 * H),
        "absorb V2 %d %d" % (T0 + 2 * H - 5 * M, T0 + 2 * H + 5 * M),
        "absorb V2 %d %d" % (T0 + 2 * H - 5 * M, T0 + 2 * H + 5 * M),
        # Violations: once per kind, subject, local day and reason.
        "violation night_window 京A1 - V1 京A1 朝阳区 cw.mixed - %d 43.1"
        " 125.3 480" % (T0 + 22 * H),
        "violation night_window 京A1 - V1 京A1 朝阳区 cw.mixed - %d 43.1"
        " 125.3 480" % (T0 + 23 * H),
        "violation permit 京A1 expired V1 京A1 朝阳区 cw.mixed G1 %d - -"
        " 480" % (T0 + 23 * H),
        "violation permit 京A1 expired V1 京A1 朝阳区 cw.mixed G1 %d - -"
        " 480" % (T0 + 25 * H),
        "violation permit 京A1 other V1 京A1 朝阳区 cw.mixed G1 %d - -"
        " 480" % (T0 + 23 * H),
        # V3's track before 10:00 (an outlier and a fix without a place
        # left out) and its load after its last unload.
        u("V3", "京C3", T0 + 2 * H, T0 + 2 * H, "load_state", 0, "-", "-",
          "绿园区", "msw", "-", 0, 0, "-"),
        "recent V3 %d 2" % (T0 + 10 * H),
        "recent V3 %d 16" % (T0 + 10 * H),
        "recent V9 %d 4" % (T0 + 10 * H),
        "load V3",
        "load V9",
        "commit",
        ""])


def muck_fixture():
    s = insert("positions", "vehicle, ts_ms, lat, lon, speed_kmh,"
               " load_state, dq_flags", [
                   ("V3", T0 + 5 * H, 43.5, 125.5, 30.5, "loaded", 0),
                   ("V3", T0 + 6 * H, 43.6, 125.6, None, "empty", 0),
                   ("V3", T0 + 7 * H, 43.7, 125.7, 900.0, "loaded", 256),
                   ("V3", T0 + 8 * H, None, None, 10.0, None, 0),
                   ("V3", T0 + 9 * H, 43.9, 125.9, 20.25, None, 0),
                   ("V3", T0 + 11 * H, 44.0, 126.0, 20.0, "loaded", 0)])
    s += insert("vehicle_events", "type, vehicle, plate, ts_ms, site,"
                " waste, day", [
                    ("load", "V3", "京C3", T0 + H, "G1", "msw", "2026-12-07"),
                    ("load", "V3", "京C3", T0 + 3 * H, "G2", "kitchen",
                     "2026-12-07")])
    return s


def test_muck():
    with Both("muck") as b:
        b.sql(muck_fixture())
        out = b.same(muck_script())
        print(out)
        got = [ln.split(" n=")[1] for ln in out.splitlines()
               if " n=" in ln]
        # By hand: 4 upserts; weighed: 2 (one confirmed, one dropped),
        # 0, 1, 0, 0; 1 upsert, 1 confirmed; 3 upserts; near: 1, 0, 0;
        # absorbed: 1 (two rows: SQLite's store_changed() says whether
        # any row changed, and so does PostgreSQL), then 0; violations
        # 1, 0, 1, 1, 1; 1 upsert.
        assert got == ["1"] * 4 + ["2", "0", "1", "0", "0"] + ["1", "1"] \
            + ["1"] * 3 + ["1", "0", "0", "1", "0"] \
            + ["1", "0", "1", "1", "1", "1"], got
        # Before 10:00: 5:00, 6:00 and 9:00 (7:00 an outlier, 8:00 no
        # place); the two newest, oldest first, then all three.
        assert "recent rc=0 got=2\n  %d " % (T0 + 6 * H) in out, out
        assert "recent rc=0 got=3\n  %d " % (T0 + 5 * H) in out, out
        assert "recent rc=0 got=0" in out
        assert "load rc=0 found=1 %d [kitchen] [G2]" % (T0 + 3 * H) in out
        assert "load rc=0 found=0" in out
        rows = b.same_rows(
            "SELECT vehicle, plate, ts_ms, since_ms, day, lat, lon, how,"
            " state, site, site_kind, district, waste, origin, muck,"
            " authorised, message_id FROM unloads"
            " ORDER BY vehicle, ts_ms, how")
        states = [(r[0], r[2] - T0, r[7], r[8], r[14]) for r in rows]
        assert states == [
            ("V1", H, "dwell", "dropped", 1),
            ("V1", 3 * H, "dwell", "unload", 1),
            ("V1", 5 * H, "dwell", "dropped", 0),
            ("V1", 7 * H, "dwell", "unload", 1),
            ("V2", 2 * H, "event", "unload", 0),
            ("V3", 2 * H, "load_state", "unload", 0)], states
        assert rows[0][1] == "京A1" and rows[0][9] == "S2", rows[0]
        b.same_rows("SELECT * FROM muck_violations ORDER BY kind, subject,"
                    " day, reason")
        n = b.lite("SELECT count(*) FROM muck_violations")[0][0]
        assert n == 4, n


# ---- retention ----

def day0(d):
    """The UTC midnight d days before the fixed now's."""
    return NOWDAY - d * DAY


def local_day(ms):
    return datetime.datetime.fromtimestamp(
        (ms + 8 * H) / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")


def retention_fixture():
    """Each of 400 days, oldest first: 8 positions (2 vehicles, 3 in one
    minute and 1 in the next), a message, a reject, a load and an unload
    event, a superseded ticket version, a facility report."""
    s = []
    for d in range(DAYS - 1, -1, -1):
        t = day0(d)
        pos = []
        for v in ("A", "B"):
            pos += [(v, t + H + k * 1000, 43.0, 125.0, d)
                    for k in (0, 20, 40, 70)]
        s += insert("positions", "vehicle, ts_ms, lat, lon, message_id",
                    pos)
        s += insert("messages", "id, topic, profile, received_ms, sha256,"
                    " outcome, kind", [
                        (DAYS - d, "t/%d" % d, "p", t + 2 * H, "h%d" % d,
                         "stored", "position")])
        s += insert("rejects", "id, topic, received_ms, reason",
                    [(DAYS - d, "t/%d" % d, t + 2 * H, "bad_json")])
        s += insert("vehicle_events", "type, vehicle, plate, ts_ms,"
                    " facility, waste, day", [
                        ("load", "A", "京A", t + H, None, "msw",
                         local_day(t + H)),
                        ("unload", "A", "京A", t + 90 * M,
                         "F1" if d % 2 else None, "msw",
                         local_day(t + 90 * M))])
        s += insert("weighings_history", "facility, ticket, day, version,"
                    " first_ms, status, fingerprint", [
                        ("F1", "T%d" % d, local_day(t), 1, t + 3 * H,
                         "complete", "f")])
        s += insert("facility_status", "facility, ts_ms, state",
                    [("F1", t + 4 * H, "open")])
    return s


def blobs():
    """Payloads in each backend's spelling."""
    lite = ["UPDATE messages SET payload = X'7b7d'",
            "UPDATE rejects SET payload = X'7b2e'"]
    pgs = ["UPDATE messages SET payload = '\\x7b7d'::bytea",
           "UPDATE rejects SET payload = '\\x7b2e'::bytea"]
    return lite, pgs


# Cutoffs in days, in store_prune_kind order.
KEEP = [7, 90, 30, 365, 190, 30, 300, 200, 90]


def retention_words(thin=True):
    cuts = [NOW - k * DAY if k and (thin or i != 5) else 0
            for i, k in enumerate(KEEP)]
    return "%d %s" % (M, " ".join(str(c) for c in cuts))


def pg_partitions(db, parent):
    return [r[0] for r in db.query(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c"
        " ON c.oid = i.inhrelid WHERE i.inhparent = '%s'::regclass"
        " ORDER BY 1" % parent)]


def due_same(b, script):
    """The counts of a round (store_query_prune_due) through a query
    handle; PostgreSQL's opener (store_pg_query.c) is another branch's:
    until it is merged, only SQLite's counts are checked here."""
    a, _ = b.run_lite(script)
    p, err = b.run_pg(script)
    if p == "due rc=-1\n" and "store_pg_query_open is not written" in err:
        print("postgresql: no query handle in this build: due not compared")
        return a
    assert a == p, (a, p, err)
    return a


def prune_round(b, max_rows, thin=True):
    script = "prune %d %s\n" % (max_rows, retention_words(thin))
    a, _ = b.run_lite(script)
    p, err = b.run_pg(script)
    return a, p, err


def slices(out):
    return [int(ln.split()[1]) for ln in out.splitlines()
            if ln.startswith("  slice ")]


def counters(out):
    ln = lines(out, "prune")[0]
    return dict(w.split("=") for w in ln.split()[1:])


def test_retention():
    with Both("retention") as b:
        # Partitions for the newest 350 days only: the 50 oldest days of
        # positions sit in the default partition, as rows written before
        # any partition was made.
        b.pg.psql("SET ROLE wastetrack; SELECT wt_partitions('positions', %d, 352, 0);"
                  " SELECT wt_partitions('rejects', %d, 400, 0)"
                  % (day0(349), day0(DAYS - 1)))
        lite_b, pg_b = blobs()
        b.sql(retention_fixture(), lite_only=lite_b, pg_only=pg_b)
        parts = {r[0]: r[1] for r in b.pg.query(
            "SELECT tableoid::regclass::text, count(*) FROM positions"
            " GROUP BY 1 UNION ALL SELECT tableoid::regclass::text,"
            " count(*) FROM rejects GROUP BY 1")}
        assert parts["positions_default"] == 50 * 8, parts
        # What a round would take, by hand: payloads of days 7..399,
        # messages 90..399 (the newest kept anyway), reject payloads
        # 30..399, rejects 365..399, positions 190..399 (8 a day),
        # thinning 2 of 4 points per vehicle on days 30..189, events of
        # days 300..399 (2 a day), versions 200..399, reports 90..399.
        due = due_same(b, "due %s\n" % retention_words())
        assert due.split()[2:] == [
            "raw_payloads=393", "messages=310", "reject_payloads=370",
            "rejects=35", "positions=1680", "thinned_positions=640",
            "vehicle_events=200", "ticket_versions=200",
            "facility_statuses=310"], due
        a, p, err = prune_round(b, 300)
        ca, cp = counters(a), counters(p)
        assert lines(a, "prune")[0].startswith("prune rc=0"), a
        assert lines(p, "prune")[0].startswith("prune rc=0"), p + err
        # The counters: every kind as due; positions and their thinning
        # take turns, so which of the two removed a point older than
        # both cutoffs depends on the order: their sum is the same.
        for k, n in [("raw_payloads", 393), ("messages", 310),
                     ("reject_payloads", 370), ("rejects", 35),
                     ("vehicle_events", 200), ("ticket_versions", 200),
                     ("facility_statuses", 310)]:
            assert int(ca[k]) == n and int(cp[k]) == n, (k, ca, cp)
        for c in (ca, cp):
            assert int(c["positions"]) + int(c["thinned_positions"]) == \
                1680 + 640, c
        # At most 300 rows a slice, but for thinning's windows of whole
        # intervals, sized from the last one's rows (store_prune.c), which
        # may pass it by a few on either backend; test_slices checks the
        # bound without thinning.
        assert max(slices(a)) <= 330 and max(slices(p)) <= 330, (a, p)
        # The same rows are left everywhere.
        for sql in [
                "SELECT count(*), count(payload) FROM messages",
                "SELECT count(*), count(payload) FROM rejects",
                "SELECT vehicle, ts_ms FROM positions ORDER BY 1, 2",
                "SELECT type, ts_ms FROM vehicle_events ORDER BY 1, 2",
                "SELECT * FROM daily_unload_results ORDER BY day",
                "SELECT * FROM daily_unloads ORDER BY day",
                "SELECT count(*) FROM unloads",
                "SELECT count(*), min(first_ms) FROM weighings_history",
                "SELECT count(*), min(ts_ms) FROM facility_status"]:
            b.same_rows(sql)
        # By hand: 90 messages (7 payloads), 365 rejects (30), 190 days
        # of positions, 30 of them whole (8) and 160 thinned (4), 200
        # events, 100 days counted (their 50 authorised: odd days).
        assert b.lite("SELECT count(*), count(payload) FROM messages") \
            == [[90, 7]]
        assert b.lite("SELECT count(*), count(payload) FROM rejects") \
            == [[365, 30]]
        assert b.lite("SELECT count(*) FROM positions") == [[30 * 8
                                                             + 160 * 4]]
        assert b.lite("SELECT count(*), sum(unloads), sum(authorised)"
                      " FROM daily_unload_results") == [[100, 100, 50]]
        # On PostgreSQL the days wholly before the positions' cutoff
        # (noon of day 190) are gone: days 191 to 349 had partitions
        # (159 dropped whole); day 190 straddles the cutoff, stays, and
        # its points (1:00) went row by row; the default partition's 50
        # old days went row by row too.
        left = pg_partitions(b.pg, "positions")
        days = sorted(x for x in left if x != "positions_default")
        oldest = "positions_p" + datetime.datetime.fromtimestamp(
            day0(190) / 1000, datetime.timezone.utc).strftime("%Y%m%d")
        assert days[0] == oldest, days[:3]
        assert b.pg.query("SELECT count(*) FROM %s" % oldest) == [[0]]
        assert "positions_default" in left
        assert b.pg.query("SELECT count(*) FROM positions_default") == [[0]]
        gone = [x for x in parts if x.startswith("positions_p")
                and x < oldest]
        assert len(gone) == 159, len(gone)
        assert not set(gone) & set(left)
        # Rejects: the months wholly before the cutoff (365 days) went.
        cut = datetime.datetime.fromtimestamp(
            (NOW - 365 * DAY) / 1000, datetime.timezone.utc)
        months = [x for x in pg_partitions(b.pg, "rejects")
                  if x != "rejects_default"]
        assert months[0] == "rejects_p%04d%02d" % (cut.year, cut.month), \
            months[:3]
        # Partitions of today and tomorrow (this host's clock) exist.
        today = datetime.datetime.now(datetime.timezone.utc)
        for dt in (today, today + datetime.timedelta(days=1)):
            assert "positions_p" + dt.strftime("%Y%m%d") in left, dt
        # A second round finds nothing to do on either.
        a, p, err = prune_round(b, 300)
        for c in (counters(a), counters(p)):
            assert all(v == "0" for k, v in c.items() if k != "prune"), c


def test_slices():
    """A slice changes at most max_rows rows; on PostgreSQL a partition
    larger than that goes alone in its slice, whole."""
    with Both("slices") as b:
        b.pg.psql("SET ROLE wastetrack; SELECT wt_partitions('positions', %d, 400, 0);"
                  " SELECT wt_partitions('rejects', %d, 400, 0)"
                  % (day0(DAYS - 1), day0(DAYS - 1)))
        lite_b, pg_b = blobs()
        b.sql(retention_fixture(), lite_only=lite_b, pg_only=pg_b)
        sizes = {r[0] for r in b.pg.query(
            "SELECT count(*) FROM positions GROUP BY tableoid UNION"
            " SELECT count(*) FROM rejects GROUP BY tableoid")}
        # Without thinning: a thinning window is of whole intervals,
        # sized from the last one's rows, and may pass the bound a little
        # on both backends (store_prune.c).
        a, p, err = prune_round(b, 7, thin=False)
        assert slices(a) and max(slices(a)) <= 7, a
        big = [n for n in slices(p) if n > 7]
        assert big and set(big) <= sizes, (big, sizes)
        assert max(slices(p)) <= max(sizes)
        b.same_rows("SELECT vehicle, ts_ms FROM positions ORDER BY 1, 2")
        b.same_rows("SELECT id FROM rejects ORDER BY 1")
        print("slices of at most 7 rows: sqlite %d, postgresql %d"
              " (%d dropping one partition alone)"
              % (len(slices(a)), len(slices(p)), len(big)))


def test_restart():
    """A retention slice after PostgreSQL restarted under the writer's
    connection fails (the connection is found lost), and the next one
    connects again and prunes: nothing stays half done."""
    with Both("restart") as b:
        b.sql(insert("positions", "vehicle, ts_ms", [
            ("A", day0(300) + H), ("A", day0(200) + H), ("A", day0(1))]))
        proc = subprocess.Popen(
            [MISC, "postgresql", b.pg.url, b.pg.passfile],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        cuts = " ".join(str(NOW - 190 * DAY) if i == 4 else "0"
                        for i in range(9))
        script = "prune 100 0 %s\n" % cuts

        def ask():
            proc.stdin.write(script)
            proc.stdin.flush()
            out = []
            while not out or not out[-1].startswith("prune "):
                out.append(proc.stdout.readline())
                assert out[-1], "pg_misc ended"
            return out[-1]
        first = ask()  # nothing to do yet, connected
        assert first.startswith("prune rc=0") and " positions=2 " in first, \
            first
        b.sql(insert("positions", "vehicle, ts_ms", [("B", day0(250))]))
        b.pg.restart()
        lost = ask()
        again = ask()
        proc.stdin.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=30) == 0
        assert lost.startswith("prune rc=-1"), (lost, err)
        assert again.startswith("prune rc=0") and " positions=1 " in again, \
            (again, err)
        assert "connected again" in err, err
        assert b.pg.query("SELECT vehicle FROM positions") == [["A"]]


# ---- replay ----

def replay_fixture():
    t = T0
    rej = [(1, "a/1", t, "bad_json", None, None),
           (2, "a/2", t + 1000, "bad_json", None, None),
           (3, "a/3", t + 1000, "too_large", None, None),
           (4, "a/4", t + 1000, "unknown_topic", None, None),
           (5, "a/5", t + 2000, "bad_json", "stored", None),
           (6, "a/6", t + 3000, "bad_json", "rejected", "x"),
           (7, "a/7", t + 4000, "bad_json", None, None)]
    s = insert("rejects", "id, topic, received_ms, reason, replay_outcome,"
               " replay_detail", rej)
    s += insert("messages", "id, topic, profile, received_ms, sha256,"
                " outcome, kind", [
                    (1, "m/1", "p1", t, "s1", "stored", "position"),
                    (2, "m/2", "p1", t + 1000, "s2", "stored", "weighing"),
                    (3, "m/3", "p2", t + 1000, "s3", "stored", "weighing"),
                    (4, "m/4", "p1", t + 2000, "s4", "stored", None)])
    lite = ["UPDATE rejects SET payload = X'01ff' WHERE id <> 7",
            "UPDATE messages SET payload = X'61' WHERE id <> 4"]
    pgs = ["UPDATE rejects SET payload = '\\x01ff'::bytea WHERE id <> 7",
           "UPDATE messages SET payload = '\\x61'::bytea WHERE id <> 4"]
    return s, lite, pgs


def test_replay():
    with Both("replay") as b:
        s, lite, pgs = replay_fixture()
        b.sql(s, lite_only=lite, pg_only=pgs)
        t = T0
        out = b.same("\n".join([
            "replay_next bad_json 0 0 0 0 3",
            "replay_next bad_json 0 0 %d 3 3" % (t + 1000),
            "replay_next bad_json 0 0 %d 6 3" % (t + 3000),
            "replay_next bad_json 0 0 %d 7 3" % (t + 4000),
            "replay_next - %d %d 0 0 10" % (t + 1000, t + 3000),
            "begin",
            "replay_mark 2 %d stored -" % (t + H),
            "replay_mark 2 %d stored -" % (t + 2 * H),
            "replay_mark 6 %d rejected x" % (t + H),
            "replay_mark 6 %d rejected y" % (t + H),
            "replay_mark 99 %d stored -" % (t + H),
            "commit",
            "replay_next bad_json 0 0 0 0 10",
            "rederive_next p1 0 0 0 0 2",
            "rederive_next p1 0 0 %d 2 10" % (t + 1000),
            "rederive_next - %d 0 0 0 10" % (t + 1000),
            ""]))
        print(out)
        pages = out.split("replay_next")
        # Paging by (time, id): 1 2 3 | 4 5 6 | 7 | end.
        assert [ln.split()[0] for ln in pages[1].splitlines()[1:]] == \
            ["1", "2", "3"]
        assert [ln.split()[0] for ln in pages[2].splitlines()[1:]] == \
            ["4", "5", "6"]
        assert "got=1" in pages[3] and "got=0" in pages[4]
        # 3 cut (too_large), 4 another reason, 5 stored already: skipped
        # without their payload; 7's payload was pruned.
        assert "  3 %d a/3 too_large skip=1 pruned=0 x\n" % (t + 1000) \
            in out
        assert "  7 %d a/7 bad_json skip=0 pruned=1 x\n" % (t + 4000) \
            in out
        assert "  2 %d a/2 bad_json skip=0 pruned=0 x01ff" % (t + 1000) \
            in out
        marks = [ln for ln in out.splitlines()
                 if ln.startswith("replay_mark")]
        assert [m.split("changed=")[1] for m in marks] == \
            ["1", "0", "0", "1", "0"], marks
        b.same_rows("SELECT id, replayed_ms, replay_outcome, replay_detail"
                    " FROM rejects ORDER BY id")
        # Re-deriving: reading works on both; correcting rows is refused
        # on PostgreSQL (not ported), said in its log.
        a, _ = b.run_lite("rederive_open\n")
        p, err = b.run_pg("rederive_open\n")
        assert a == "rederive_open rc=0\n", a
        assert p == "rederive_open rc=-1\n", p
        assert "not supported on PostgreSQL" in err, err


if __name__ == "__main__":
    harness.run([test_muck, test_retention, test_slices, test_restart,
                 test_replay])
