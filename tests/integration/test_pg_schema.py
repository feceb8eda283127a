#!/usr/bin/python3
"""The PostgreSQL schema (lib/store_pg_schema.c) against SQLite's.

A private PostgreSQL (pg.py) gets the schema from pg_migrate, three at
once (one migrates, the others find it done); the real daemon builds a
SQLite file with the real migrations. Then: every table and view of the
SQLite file exists in PostgreSQL with the same columns in the same order;
the same hand-written day (weighings, loads and unloads, manifests,
links, muck findings) goes into the base tables of both with plain SQL,
and every view, and every table the triggers keep, has the same rows,
floats within 1e-9 relative. Then the same corrections, deletions and a
retention-like delete of load events (the freeze trigger), and the same
comparison again. Every difference fails, named by relation and row."""

import datetime
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pg  # noqa: E402
from pgcompare import compare_rows  # noqa: E402

MIGRATE = os.environ.get("WT_PG_MIGRATE", "build/tests/pg_migrate")

# Relations PostgreSQL has and SQLite has not, and why.
PG_ONLY = {
    "schema_version": "the versions applied (SQLite: PRAGMA user_version)",
    "positions_default": "partition of positions outside the created days",
    "rejects_default": "partition of rejects outside the created months",
}
# Views whose rows may differ, with the reason (none so far).
EXPECTED_DIFF = {}

# Local day 2026-12-07 at +08:00.
DAY = "2026-12-07"
PREV = "2026-12-06"
T0 = int(datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone(
    datetime.timedelta(hours=8))).timestamp() * 1000)
H = 3600000


def ms(hours):
    return T0 + int(hours * H)


def q(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def insert(table, cols, rows):
    cols = [c.strip() for c in cols.split(",")]
    return ["INSERT INTO %s(%s) VALUES(%s)" % (table, ", ".join(cols),
                                               ", ".join(q(v) for v in r))
            for r in rows]


def fixture():
    """One statement per row: PostgreSQL fires AFTER row triggers at the
    end of the statement, SQLite after each row (the daemon writes one
    row per statement)."""
    s = []
    s += insert("facilities", "id, name, kind, district, harmless,"
                " clear_threshold_kg", [
                    ("CC-INC-01", "焚烧厂", "incinerator", "朝阳区", 1, None),
                    ("CC-KWP-01", "厨余厂", "food_waste_plant", "朝阳区", 1,
                     None),
                    ("CC-REC-01", "回收中心", "recycling_center", "南关区", 0,
                     None),
                    ("CC-TS-02", "中转站", "transfer_station", "南关区", 0,
                     500.0),
                    ("CC-TS-03", "中转站3", "transfer_station", "绿园区", 0,
                     None),
                    ("CC-CWR-01", "建筑垃圾再生", "cw_recycling", "二道区", 0,
                     None),
                    ("CC-CWD-01", "消纳场", "cw_disposal_site", "二道区", 0,
                     None)])
    s += insert("generators", "id, name, kind, district,"
                " max_pickup_interval_h, registered_ms", [
                    ("G-CLINIC-1", "诊所一", "clinic", "朝阳区", 48, ms(-100)),
                    ("G-CLINIC-2", "诊所二", "clinic", "南关区", 24, ms(-100)),
                    ("G-CLINIC-3", "诊所三", "clinic", "南关区", 24, ms(-100)),
                    ("G-FILM-1", "地膜点", "farm_film_point", "双阳区", None,
                     ms(-100)),
                    ("G-STRAW-1", "秸秆点", "straw_point", "双阳区", None,
                     ms(-100)),
                    ("G-SITE-1", "工地", "construction_site", "二道区", None,
                     ms(-100)),
                    ("G-RES-1", "小区一", "residential", "宽城区", None,
                     ms(-100)),
                    ("G-RES-2", "小区二", "residential", "朝阳区", None,
                     ms(-100))])
    s += insert("vehicle_registry", "plate, kind, district", [
        ("吉A10001", "compactor", "朝阳区"),
        ("吉A20002", "muck_truck", "二道区"),
        ("吉A30003", "compactor", None)])
    ev = "type, vehicle, plate, ts_ms, site, facility, waste, mass_kg," \
        " dq_flags, day, site_district, count, count_unit"
    s += insert("vehicle_events", ev, [
        ("load", "v1", "吉A10001", ms(7), "G-RES-1", None, "msw.residual",
         None, 0, DAY, "宽城区", None, None),
        ("load", "v5", "吉A50005", ms(6), "G-RES-1", None, "msw.residual",
         3000.0, 0, DAY, "宽城区", None, None),
        ("load", "v5", "吉A50005", ms(6.5), "G-RES-2", None, "msw.residual",
         1000.0, 0, DAY, "朝阳区", None, None),
        ("load", "v2", "吉A20002", ms(5), "G-SITE-1", None, "cw.excavated_soil",
         None, 0, DAY, "二道区", None, None),
        ("load", "v8", "吉A80008", ms(9), "G-FILM-1", None, "agri.film",
         120.0, 0, DAY, "双阳区", 3, "bag"),
        ("load", "v8", "吉A80008", ms(10), "G-STRAW-1", None, "agri.straw",
         None, 0, DAY, "双阳区", None, None),
        ("load", "v9", "吉A90009", ms(11), "G-CLINIC-1", None, "mw", 15.5, 0,
         DAY, "朝阳区", 2, "box"),
        ("load", "v9", "吉A90009", ms(12), "G-CLINIC-2", None, "mw", 4.0, 0,
         DAY, "南关区", 1, "bag"),
        ("load", "v9", "吉A90009", ms(-20), "G-CLINIC-1", None, "mw", 3.0, 0,
         PREV, "朝阳区", None, None),
        ("unload", "v2", "吉A20002", ms(8), None, "CC-CWD-01",
         "cw.excavated_soil", None, 0, DAY, None, None, None),
        ("unload", "v2", "吉A20002", ms(13), None, "X-UNKNOWN",
         "cw.demolition", None, 262144, DAY, None, None, None),
        ("unload", "v1", "吉A10001", ms(9), None, "CC-INC-01", "msw.residual",
         None, 0, DAY, None, None, None)])
    # The loads of a trip without masses come after its ticket: the
    # load trigger derives the ticket's origins again.
    w = "facility, ticket, day, version, plate, direction, net_kg, first_ms," \
        " second_ms, waste, origin, status, dq_flags, fingerprint, key_day," \
        " district, facility_kind, harmless, vehicle_district"
    s += insert("weighings", w, [
        ("CC-INC-01", "T1", DAY, 1, "吉A10001", "in", 8000.0, ms(9), ms(9.2),
         "msw.residual", None, "complete", 0, "f1", DAY, "朝阳区",
         "incinerator", 1, "朝阳区"),
        ("CC-KWP-01", "T2", DAY, 1, "吉A30003", "in", 3000.0, ms(10), ms(10.1),
         "msw.food", None, "complete", 0, "f2", DAY, "朝阳区",
         "food_waste_plant", 1, None),
        ("CC-REC-01", "T3", DAY, 1, "吉A40004", "in", 1000.0, ms(11), ms(11.1),
         "msw.recyclable", None, "complete", 0, "f3", DAY, "南关区",
         "recycling_center", 0, None),
        ("CC-INC-01", "T4", DAY, 1, "吉A10001", "in", None, ms(12), None,
         "msw.residual", None, "open", 0, "f4", DAY, "朝阳区", "incinerator",
         1, "朝阳区"),
        ("CC-INC-01", "T5", DAY, 1, "吉A10001", "in", 99999.0, ms(13),
         ms(13.1), "msw.residual", None, "complete", 2048, "f5", DAY,
         "朝阳区", "incinerator", 1, "朝阳区"),
        ("CC-TS-02", "T8", PREV, 1, "吉A30003", "in", 600.0, ms(-10),
         ms(-9.9), "msw.residual", None, "complete", 0, "f8", PREV, "南关区",
         "transfer_station", 0, None),
        ("CC-TS-02", "T6", DAY, 1, "吉A30003", "in", 2000.0, ms(8), ms(8.1),
         "msw.residual", None, "complete", 0, "f6", DAY, "南关区",
         "transfer_station", 0, None),
        ("CC-TS-02", "T7", DAY, 1, "吉A30003", "out", 1200.0, ms(15),
         ms(15.1), "msw.residual", None, "complete", 0, "f7", DAY, "南关区",
         "transfer_station", 0, None),
        ("CC-TS-03", "T9", DAY, 1, "吉A30003", "in", 500.0, ms(16), ms(16.1),
         "msw.residual", None, "complete", 0, "f9", DAY, "绿园区",
         "transfer_station", 0, None),
        ("CC-CWR-01", "T10", DAY, 1, "吉A20002", "in", 10000.0, ms(7),
         ms(7.1), "cw.demolition", "G-SITE-1", "complete", 0, "f10", DAY,
         "二道区", "cw_recycling", 0, "二道区"),
        ("CC-CWD-01", "T11", DAY, 1, "吉A20002", "in", 15000.0, ms(7.5),
         ms(7.6), "cw.excavated_soil", None, "complete", 0, "f11", DAY,
         "二道区", "cw_disposal_site", 0, "二道区"),
        ("CC-INC-01", "T12", DAY, 1, "吉A50005", "in", 6000.0, ms(8), ms(8.2),
         "msw.residual", None, "complete", 0, "f12", DAY, "朝阳区",
         "incinerator", 1, None),
        ("CC-KWP-01", "T13", DAY, 1, "吉A60006", "in", 1000.0, ms(14),
         ms(14.1), "msw.food", None, "complete", 0, "f13", DAY, "朝阳区",
         "food_waste_plant", 1, None),
        ("CC-INC-01", "T14", DAY, 1, "吉A70007", "in", 4000.0, ms(15),
         ms(15.2), "msw.residual", None, "complete", 0, "f14", DAY, "朝阳区",
         "incinerator", 1, None)])
    s += insert("vehicle_events", ev, [
        ("load", "v6", "吉A60006", ms(12), "G-RES-1", None, "msw.food", None,
         0, DAY, "宽城区", None, None),
        ("load", "v6", "吉A60006", ms(13), "G-RES-2", None, "msw.food", None,
         0, DAY, "朝阳区", None, None)])
    m = "scheme, manifest_no, version, status, plate, generator_code," \
        " generator_district, receiver_facility, departed_ms, updated_ms," \
        " dq_flags, local_offset_min, receiver_district"
    s += insert("manifests", m, [
        ("CN_MSW", "M1", 3, "closed", "吉A40004", "G-X", "南关区",
         "CC-REC-01", ms(9), ms(12), 0, 480, "南关区"),
        ("CN_MSW", "M2", 2, "received", "吉A70007", None, "绿园区",
         "CC-INC-01", ms(10), ms(16), 0, 480, "朝阳区"),
        ("CN_MSW", "M3", 1, "in_transit", "吉A70007", None, "南关区",
         "CC-INC-01", ms(10.5), ms(11), 0, 480, "朝阳区"),
        ("CN_MW", "M4", 1, "created", "吉A90009", "G-CLINIC-3", None,
         "CC-HW-01", None, ms(11), 0, None, None),
        ("CN_MW", "M5", 2, "in_transit", "吉A90009", "G-CLINIC-2", "南关区",
         "CC-HW-01", ms(-30), ms(1), 0, 480, None)])
    s += insert("manifest_events", "scheme, manifest_no, version, status,"
                " ts_ms, applied, dq_flags", [
                    ("CN_MW", "M4", 1, "created", ms(-0.5), 1, 0)])
    s += insert("reconciliation_results", "scheme, manifest_no, declared_kg,"
                " received_kg, diff_pct, method, verdict, derived_ms", [
                    ("CN_MSW", "M1", 1000.0, 1000.0, 0.0, "ticket_ref", "ok",
                     ms(12)),
                    ("CN_MSW", "M2", 3000.0, 2000.0, -33.3, "plate_window",
                     "discrepancy", ms(17)),
                    ("CN_MSW", "M3", 500.0, None, None, None, "overdue",
                     ms(14)),
                    ("CN_MW", "M4", None, None, None, None, "pending", None)])
    s += insert("reconciliation_links", "scheme, manifest_no, facility,"
                " ticket, day, method, allocated_kg", [
                    ("CN_MSW", "M1", "CC-REC-01", "T3", DAY, "ticket_ref",
                     1000.0),
                    ("CN_MSW", "M2", "CC-INC-01", "T14", DAY, "plate_window",
                     None),
                    ("CN_MSW", "M3", "CC-INC-01", "T14", DAY, "plate_window",
                     None)])
    s += insert("manifest_tickets", "scheme, manifest_no, facility, ticket",
                [("CN_MSW", "M1", "CC-REC-01", "T3")])
    s += insert("unloads", "vehicle, plate, ts_ms, since_ms, day, lat, lon,"
                " how, state, site, site_kind, district, waste, origin, muck,"
                " authorised", [
                    ("v2", "吉A20002", ms(17), ms(16.8), DAY, 43.9, 125.3,
                     "dwell", "unload", None, None, "二道区", "cw.demolition",
                     "G-SITE-1", 1, 0),
                    ("v2", "吉A20002", ms(18), ms(17.9), DAY, 43.9, 125.3,
                     "dwell", "candidate", None, None, "二道区", None, None,
                     1, 0)])
    s += insert("muck_violations", "kind, subject, day, reason, vehicle,"
                " plate, ts_ms, district, waste", [
                    ("night_window", "吉A20002/" + DAY, DAY, "", "v2",
                     "吉A20002", ms(1), "二道区", "cw.demolition"),
                    ("permit", "吉A20002", DAY, "expired", "v2", "吉A20002",
                     ms(5), "二道区", "cw.excavated_soil")])
    s += insert("positions", "vehicle, device, plate, ts_ms, lat, lon,"
                " speed_kmh, heading_deg, alt_m, load_state, dq_flags,"
                " message_id", [
                    ("v2", "013912345678", "吉A20002", ms(16.9), 43.9, 125.3,
                     0.0, 90.0, 210.5, "full", 0, 1),
                    ("v2", "013912345678", "吉A20002", ms(17), None, None,
                     12.5, None, None, "empty", 64, 2)])
    s += insert("daily_unload_results", "day, unloads, authorised",
                [("2026-12-01", 5, 4)])
    return s


def corrections():
    """Statements that fire the update and delete triggers."""
    return [
        "UPDATE weighings SET net_kg = 2500.0, version = 2"
        " WHERE facility = 'CC-TS-02' AND ticket = 'T6'",
        "DELETE FROM weighings WHERE facility = 'CC-TS-03' AND ticket = 'T9'",
        "UPDATE manifests SET generator_district = '宽城区'"
        " WHERE manifest_no = 'M1'",
        "DELETE FROM reconciliation_links WHERE manifest_no = 'M3'",
        "UPDATE reconciliation_links SET allocated_kg = 700.0"
        " WHERE manifest_no = 'M1'",
        # Retention of load events: the freeze trigger stores the agri
        # and clinic days first.
        "DELETE FROM vehicle_events WHERE type = 'load' AND site = 'G-FILM-1'",
    ]


# meta is untyped in SQLite (numbers stay numbers) and text here.
META = [("local_offset_min", 480), ("clearance_tolerance_pct", 5),
        ("reconcile_current_ms", T0 + 20 * H)]


# Payloads: bytes, written as each dialect spells a blob, read as hex.
PAYLOADS = [
    ("messages", "topic, profile, received_ms, sha256, outcome, kind,"
     " payload", ("wt/v1/positions/v1", "wastetrack", T0 + H, "ab" * 32,
                  "stored", "position", b'{"lat":43.9}')),
    ("messages", "topic, profile, received_ms, sha256, outcome, kind,"
     " payload", ("wt/v1/positions/v1", "wastetrack", T0 + 2 * H, "cd" * 32,
                  "duplicate", "position", None)),
    ("rejects", "topic, profile, received_ms, payload, reason, detail",
     ("wt/v1/x", None, T0 + H, b"\xff\xfe", "bad_utf8", "byte 0")),
]
BLOBS = {"messages": "payload", "rejects": "payload"}


def blob_inserts(spell):
    out = []
    for table, cols, row in PAYLOADS:
        vals = [spell(v) if isinstance(v, bytes) else q(v) for v in row]
        out.append("INSERT INTO %s(%s) VALUES(%s)"
                   % (table, cols, ", ".join(vals)))
    return out


def sqlite_select(name):
    if name in BLOBS:
        return "SELECT *, CASE WHEN {0} IS NOT NULL THEN lower(hex({0}))" \
            " END FROM {1}".format(BLOBS[name], name)
    return "SELECT * FROM %s" % name


def pg_select(name):
    if name in BLOBS:
        return "SELECT *, encode(%s, 'hex') FROM %s" % (BLOBS[name], name)
    return "SELECT * FROM %s" % name


def sqlite_meta():
    return ["DELETE FROM meta WHERE key <> 'db_id'"] + [
        "INSERT INTO meta(key, value) VALUES(%s, %s)" % (q(k), q(v))
        for k, v in META]


def pg_meta():
    return ["DELETE FROM meta"] + [
        "INSERT INTO meta(key, value) VALUES(%s, %s)" % (q(k), q(str(v)))
        for k, v in META]


def sqlite_relations(con):
    rels = {}
    for name, kind in con.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN"
            " ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"):
        cols = [r[1] for r in con.execute("PRAGMA table_info(%s)" % name)]
        rels[name] = (kind, cols)
    return rels


def pg_relations(db):
    rels = {}
    for name, kind in db.query(
            "SELECT c.relname, CASE WHEN c.relkind = 'v' THEN 'view'"
            " ELSE 'table' END FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
            " AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition"
            " OR c.relname IN ('positions_default', 'rejects_default')"):
        rels[name] = (kind, db.columns(name))
    return rels


def check_relations(lite, db):
    a, b = sqlite_relations(lite), pg_relations(db)
    errors = []
    for name, (kind, cols) in sorted(a.items()):
        if name not in b:
            errors.append("%s %s: missing in PostgreSQL" % (kind, name))
            continue
        if b[name][0] != kind:
            errors.append("%s: a %s in SQLite, a %s in PostgreSQL"
                          % (name, kind, b[name][0]))
        if b[name][1] != cols:
            errors.append("%s: columns differ\n  sqlite:     %s\n"
                          "  postgresql: %s" % (name, cols, b[name][1]))
    for name in sorted(set(b) - set(a)):
        if name not in PG_ONLY:
            errors.append("%s: in PostgreSQL only" % name)
    assert not errors, "\n".join(errors)
    # What the comparison of rows covers: every view, and the tables.
    # meta is compared by key below: untyped in SQLite, text here.
    return sorted(n for n, (k, _) in a.items() if k == "view"), \
        sorted(n for n, (k, _) in a.items() if k == "table" and n != "meta")


def compare_all(lite, db, views, tables, stage):
    errors, seen = [], {}
    for name in views + tables:
        a = lite.execute(sqlite_select(name)).fetchall()
        b = db.query(pg_select(name))
        if name in BLOBS:  # compared as hex, the last column
            i = [c[0] for c in lite.execute(
                "SELECT * FROM %s" % name).description].index(BLOBS[name])
            a = [r[:i] + r[i + 1:] for r in a]
            b = [r[:i] + r[i + 1:] for r in b]
        seen[name] = len(a)
        diff = compare_rows(name, a, b)
        if diff and name in EXPECTED_DIFF:
            print("expected difference in %s: %s"
                  % (name, EXPECTED_DIFF[name]))
            continue
        errors += diff
    assert not errors, ("after %s:\n" % stage) + "\n".join(errors)
    return seen


def migrate_concurrently(db):
    procs = [subprocess.Popen([MIGRATE, db.url, db.passfile],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120 * harness.TIMEOUT_SCALE)
        assert p.returncode == 0, "pg_migrate failed: %s" % err
        assert err == "", err
        outs.append(out.split())
    # One of them migrated from nothing, the others found it done.
    assert sorted(outs) == [["0", "15"], ["15", "15"], ["15", "15"]], outs
    assert sorted(db.query("SELECT version FROM schema_version")) == [
        [14], [15]]


def sqlite_file():
    """A database of the real migrations: the daemon's own, stopped."""
    with harness.Env("pgschema") as env:
        env.daemon.start()
        env.daemon.stop()
        lite = sqlite3.connect(env.daemon.db)
        data = lite.execute("PRAGMA user_version").fetchone()[0]
        assert data == 15, data
        mem = sqlite3.connect(":memory:")
        lite.backup(mem)
        lite.close()
        return mem


def test_parity():
    lite = sqlite_file()
    with pg.Postgres("schema") as db:
        migrate_concurrently(db)
        views, tables = check_relations(lite, db)
        for t in ["facilities", "generators", "vehicle_registry",
                  "reconcile_queue", "reconcile_tickets"]:
            lite.execute("DELETE FROM %s" % t)
        for st in sqlite_meta() + fixture() + blob_inserts(
                lambda b: "X'%s'" % b.hex()):
            lite.execute(st)
        lite.commit()
        db.psql(";\n".join(pg_meta() + fixture() + blob_inserts(
            lambda b: "'\\x%s'::bytea" % b.hex())) + ";")
        seen = compare_all(lite, db, views, tables, "the fixture")
        # The fixture reaches the views it is for (figures by hand):
        # T1 8000 (generator 宽城区) + T2 3000 (facility 朝阳区) + T3 1000
        # (manifest 南关区) + T12 6000 + T13 1000 + T14 4000 = 23000 kg.
        city = lite.execute("SELECT collected_kg, fallback_kg FROM"
                            " daily_collected WHERE day = ? AND district ="
                            " '全市'", (DAY,)).fetchall()
        assert city == [(23000.0, 3000.0)], city
        for v in ["daily_collected", "daily_indicators", "daily_unloads",
                  "daily_muck", "daily_cw_origins", "daily_agri",
                  "daily_clinic_pickups", "daily_station_clearance",
                  "daily_manifests", "reconciliations", "ticket_origins"]:
            assert seen[v] > 0, "%s is empty: the fixture misses it" % v
        for st in corrections():
            lite.execute(st)
        lite.commit()
        db.psql(";\n".join(corrections()) + ";")
        seen = compare_all(lite, db, views, tables, "the corrections")
        assert seen["daily_agri_results"] > 0
        assert seen["daily_clinic_results"] > 0
        key = "SELECT value FROM meta WHERE key = 'streams_frozen_day'"
        frozen = lite.execute(key).fetchall()
        # The film load of 12-07, clinics' longest interval 48 h: 2 + 2.
        assert frozen == [("2026-12-11",)], frozen
        assert db.query(key) == [["2026-12-11"]], db.query(key)
        print("compared %d views and %d tables, %d rows"
              % (len(views), len(tables), sum(seen.values())))
    lite.close()


def test_password_file():
    """store_pg_open reads database.password_file as mqtt's is read;
    store_pg_migrate keeps to its version."""
    with pg.Postgres("passwd") as db:
        bad = os.path.join(db.dir, "bad.password")
        for content, msg in [("", "empty"), ("wrong\n", "password "
                                                        "authentication"),
                             ("x" * 5000, "longer than")]:
            with open(bad, "w") as f:
                f.write(content)
            p = subprocess.run([MIGRATE, db.url, bad], capture_output=True,
                               text=True)
            assert p.returncode == 1 and msg in p.stderr, (content[:10],
                                                           p.stderr)
            assert "wrong" not in p.stderr
        p = subprocess.run([MIGRATE, db.url, db.passfile],
                           capture_output=True, text=True)
        assert p.returncode == 0 and p.stdout.split() == ["0", "15"], p
        # A restart keeps the schema, and so does a crash (SIGKILL, then
        # recovery): the next start has nothing to do.
        for crash in (False, True):
            old = db.proc.pid
            db.restart(crash=crash)
            assert db.proc.pid != old
            p = subprocess.run([MIGRATE, db.url, db.passfile],
                               capture_output=True, text=True)
            assert p.returncode == 0 and p.stdout.split() == ["15", "15"], p
        # A database of a later version is left alone.
        db.psql("INSERT INTO schema_version VALUES(16, 0)")
        p = subprocess.run([MIGRATE, db.url, db.passfile],
                           capture_output=True, text=True)
        assert p.returncode == 1 and "newer than this" in p.stderr, p
        assert db.query("SELECT max(version) FROM schema_version") == [[16]]


def test_partitions():
    """Positions by day: created ahead, rows parked in the default
    partition moved into a new day, old days dropped whole."""
    with pg.Postgres("parts") as db:
        subprocess.run([MIGRATE, db.url, db.passfile], check=True,
                       capture_output=True)
        now = T0 + 12 * H  # 2026-12-07 04:00 UTC
        day_ms = 86400000
        utc0 = now - now % day_ms
        db.psql("INSERT INTO positions(vehicle, ts_ms) VALUES"
                " ('a', %d), ('a', %d), ('b', %d), ('b', %d)"
                % (utc0 - 3 * day_ms + 5, utc0 + 7, utc0 + day_ms + 5 * H,
                   utc0 - 400 * day_ms))
        n = db.query("SELECT wt_partitions('positions', %d, 2, NULL)"
                     % now)[0][0]
        assert n == 3, n
        parts = db.query("SELECT tableoid::regclass::text, count(*)"
                         " FROM positions GROUP BY 1 ORDER BY 1")
        assert parts == [["positions_default", 2],
                         ["positions_p20261207", 1],
                         ["positions_p20261208", 1]], parts
        # The unique key holds across partitions.
        db.psql("INSERT INTO positions(vehicle, ts_ms) VALUES ('a', %d)"
                " ON CONFLICT DO NOTHING" % (utc0 + 7))
        assert db.query("SELECT count(*) FROM positions")[0][0] == 4
        # Two days later, keeping one day (cutoff 12-08 04:00): 12-07
        # goes whole, the default partition's old rows go, 12-08 stays
        # (it straddles the cutoff) with its row after it.
        n = db.query("SELECT wt_partitions('positions', %d, 1, 1)"
                     % (now + 2 * day_ms))[0][0]
        rows = db.query("SELECT tableoid::regclass::text, vehicle"
                        " FROM positions ORDER BY 1")
        assert rows == [["positions_p20261208", "b"]], rows
        assert db.query("SELECT to_regclass('positions_p20261207')")[0][0] \
            is None
        assert n == 2, n  # 12-10 created, 12-07 dropped
        n = db.query("SELECT wt_partitions('rejects', %d, 40, 0)" % now)[0][0]
        assert n == 2, n  # 2026-12 and 2027-01


if __name__ == "__main__":
    harness.run([test_parity, test_password_file, test_partitions])
