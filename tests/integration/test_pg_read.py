#!/usr/bin/python3
"""The reports' reads and the named queries on PostgreSQL against SQLite's.

The same hand-written rows (test_pg_schema.py's day, and vehicles,
positions, alerts, rejects, manifest lines and versions, meta) go into a
SQLite file made by the real daemon's migrations and into a private
PostgreSQL (pg.py) migrated by pg_migrate. pg_read then runs every read
of the reports and every store_q with fixed arguments on each backend
and prints each row with its types; the two outputs must be the same,
line for line. Some figures are checked by hand too. Then the budget: a
query made slow by a million positions, with a budget of a few ms,
reports timed out, and the next query on the same handle, without a
budget, runs whole."""

import difflib
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pg  # noqa: E402
import test_pg_schema as base  # noqa: E402

READ = os.environ.get("WT_PG_READ", "build/tests/pg_read")
MIGRATE = base.MIGRATE
DAY, T0, H, ms, insert, q = base.DAY, base.T0, base.H, base.ms, \
    base.insert, base.q
NOW = T0 + 20 * H
DB_ID = "0123456789abcdef0123456789abcdef"
SETTINGS = '{"tolerance_pct":5,"overdue_h":24}'
# 200 characters of three bytes each: SQLite's substr() keeps 160.
LONG = ("中文" * 100).encode()
# A character cut short, stray continuation bytes, then ASCII.
BROKEN = b"ab\xe4\xb8" + b"\x80\x80\x80cd\xff" + b"z" * 300


def extra_rows():
    """What the queries read beyond test_pg_schema's day, one statement
    per row, the same text for both dialects."""
    s = []
    s += insert("vehicles", "vehicle, plate, device, first_seen_ms,"
                " last_seen_ms", [
                    ("v2", "吉A20002", "013912345678", ms(-48), ms(17)),
                    ("v7", "吉A70007", None, ms(1), ms(15.5)),
                    ("v1", "吉A10001", "d1", ms(2), ms(9))])
    s += insert("positions", "vehicle, device, plate, ts_ms, lat, lon,"
                " speed_kmh, heading_deg, load_state, dq_flags", [
                    ("v7", None, "吉A70007", ms(14), 43.81, 125.31, 30.0,
                     180.0, "full", 0),
                    ("v7", None, None, ms(15), 43.82, 125.32, 0.0, None,
                     "empty", 0),
                    ("v7", None, "吉A70007", ms(15.5), None, None, 1.5, None,
                     None, 64),
                    ("v1", "d1", "吉A10001", ms(-30), 43.7, 125.2, 12.0, 90.0,
                     None, 0)])
    s += insert("alerts", "id, kind, severity, subject, district, opened_ms,"
                " resolved_ms, evidence, published", [
                    (1, "overdue_manifest", "warning", "CN_MSW/M3", "朝阳区",
                     ms(14), None, '{"hours":26,"plate":"吉A70007"}', 1),
                    (2, "silent_facility", "critical", "CC-TS-02", "南关区",
                     ms(15), None, "not json", 0),
                    (3, "overdue_manifest", "warning", "CN_MSW/M9", None,
                     ms(3), ms(5), "{}", 1),
                    (4, "unauthorised_unload", "critical", "吉A20002/x",
                     "二道区", ms(17), None, None, 0)])
    s += insert("manifest_lines", "scheme, manifest_no, line, waste_code,"
                " hw_category, waste, qty, unit, qty_kg", [
                    ("CN_MSW", "M1", 1, "900-001", None, "msw.recyclable",
                     1.5, "t", 1500.0),
                    ("CN_MSW", "M1", 2, None, None, "msw.residual", 20, "kg",
                     20.0)])
    s += insert("manifest_events", "scheme, manifest_no, version, status,"
                " ts_ms, applied, dq_flags, message_id", [
                    ("CN_MSW", "M2", 1, "created", ms(9), 1, 0, 1),
                    ("CN_MSW", "M2", 2, "received", ms(16), 1, 0, 2),
                    ("CN_MSW", "M2", 1, "created", ms(9.5), 0, 8, None)])
    return s


# (table, columns, row): bytes are spelled per dialect.
BLOB_ROWS = [
    ("rejects", "topic, profile, received_ms, payload, reason, detail,"
     " replay_outcome", ("wt/v1/weighings/x", "vendor_a", T0 + 2 * H,
                         b'{"a":1', "bad_json", "line 1", "rejected")),
    ("rejects", "topic, profile, received_ms, payload, reason, detail,"
     " replay_outcome", ("wt/v1/weighings/x", None, T0 + 3 * H, LONG,
                         "bad_json", "line 2", "stored")),
    ("rejects", "topic, profile, received_ms, payload, reason, detail,"
     " replay_outcome", ("wt/v1/weighings/y", None, T0 + 4 * H, None,
                         "bad_json", "pruned", None)),
    ("rejects", "topic, profile, received_ms, payload, reason, detail,"
     " replay_outcome", ("wt/v1/weighings/y", "vendor_a", T0 + 5 * H,
                         BROKEN, "bad_utf8", "byte 2", "history")),
    ("rejects", "topic, profile, received_ms, payload, reason, detail,"
     " replay_outcome", ("wt/v1/x", None, T0 + 6 * H, b"", "empty", None,
                         None)),
]


def blob_inserts(spell):
    out = []
    for table, cols, row in BLOB_ROWS:
        vals = [spell(v) if isinstance(v, bytes) else q(v) for v in row]
        out.append("INSERT INTO %s(%s) VALUES(%s)"
                   % (table, cols, ", ".join(vals)))
    return out


def sqlite_file(dest):
    """A database of the real migrations: the daemon's own, stopped."""
    with harness.Env("pgread") as env:
        env.daemon.start()
        env.daemon.stop()
        src = sqlite3.connect(env.daemon.db)
        out = sqlite3.connect(dest)
        src.backup(out)
        src.close()
    return out


def sqlite_statements():
    meta = [("spool_seg", 3), ("spool_off", 1234), ("payload_hold_ms", 5000),
            ("reconcile_params", SETTINGS), ("db_id", DB_ID)]
    return (["DELETE FROM %s" % t for t in [
        "facilities", "generators", "vehicle_registry", "reconcile_queue",
        "reconcile_tickets", "vehicles", "alerts"]]
        + base.sqlite_meta() + ["DELETE FROM meta WHERE key = 'db_id'"]
        + ["INSERT INTO meta(key, value) VALUES(%s, %s)" % (q(k), q(v))
           for k, v in meta]
        + base.fixture() + base.blob_inserts(lambda b: "X'%s'" % b.hex())
        + blob_inserts(lambda b: "X'%s'" % b.hex()) + extra_rows())


def pg_statements():
    meta = [("spool:pg-read", "3:1234"), ("spool:other", "9:9"),
            ("payload_hold_ms", "5000"), ("reconcile_params", SETTINGS),
            ("db_id", DB_ID)]
    spell = (lambda b: "'\\x%s'::bytea" % b.hex())
    return (base.pg_meta()
            + ["INSERT INTO meta(key, value) VALUES(%s, %s)" % (q(k), q(v))
               for k, v in meta]
            + base.fixture() + base.blob_inserts(spell)
            + blob_inserts(spell) + extra_rows())


def pg_read(*args):
    # Bytes that are not UTF-8 (a reject's payload) are compared as
    # escapes.
    p = subprocess.run([READ] + [str(a) for a in args], capture_output=True,
                       text=True, errors="backslashreplace",
                       timeout=120 * harness.TIMEOUT_SCALE)
    # Built with the sanitizers, what they find fails the test.
    assert "runtime error" not in p.stderr and "Sanitizer" not in p.stderr, \
        p.stderr
    return p.returncode, p.stdout, p.stderr


def section(out, title):
    """The lines of the section that begins with "## title"."""
    lines, on = [], False
    for line in out.splitlines():
        if line.startswith("## "):
            on = line == "## " + title
        elif on:
            lines.append(line.strip())
    return lines


def check_by_hand(out):
    day = section(out, "reader day " + DAY)
    # T1 8000 + T12 6000 + T14 4000 (T4 open, T5 flagged 2048): 18000.
    assert "tonnage|朝阳区|msw.residual|18000" in day, day
    assert "tonnage|朝阳区|msw.food|4000" in day, day  # T2 3000 + T13 1000
    assert not [x for x in day if "transfer" in x or "|中转站" in x]
    # v2's muck unloads: its events at CC-CWD-01 (a disposal site:
    # authorised) and at X-UNKNOWN, and its dwell (not authorised); one
    # night-window and one permit violation.
    assert "muck|3|1|2|1|1" in day, day
    man = section(out, "reader manifests")
    # Open: M3, M5 in transit and M4 created; M3 overdue, M2 discrepant.
    assert "counts|3|1|1" in man, man
    al = section(out, "reader alerts")
    # Newest id 4; 1, 2, 4 open; unpublished: 2 and 4 (open, step 0),
    # 3 (resolved, the resolution not sent).
    assert "counts|4|3|3" in al, al
    assert al[:3] == ["open|overdue_manifest|NULL|1",
                      "open|silent_facility|NULL|1",
                      "open|unauthorised_unload|NULL|1"], al
    alerts = section(out, "api_alerts NULL NULL NULL NULL 0 10")
    assert alerts[1].startswith("row i:4|"), alerts
    assert alerts[2].endswith("|NULL") and "i:2|" in alerts[2], alerts
    assert alerts[3].endswith('|t:{"hours":26,"plate":"吉A70007"}'), alerts
    samples = section(out, "reject_samples bad_json NULL NULL NULL 0 2")
    long_row = [x for x in samples if "line 2" in x]
    assert len(long_row) == 1 and ("|t:" + "中文" * 80 + "|") in \
        long_row[0], samples
    meta = section(out, "meta")
    assert meta[1] == ("row i:15|i:1465143883|t:%s|i:3|i:1234|i:%s|i:5000"
                       "|NULL" % (DB_ID, meta[1].split("|")[5][2:])), meta
    veh = section(out, "api_vehicles NULL NULL NULL NULL 0 -1")
    # v2's newest fix with coordinates (16.9 h), then v7's (15 h; its
    # 15.5 h fix has none), then v1's.
    assert [r.split("|")[0] for r in veh[1:]] == [
        "row t:v2", "row t:v7", "row t:v1"], veh


def test_same_rows():
    root = harness.make_dir("wt-pgread-")
    try:
        path = os.path.join(root, "lite.db")
        lite = sqlite_file(path)
        for st in sqlite_statements():
            lite.execute(st)
        lite.commit()
        lite.close()
        with pg.Postgres("read") as db:
            subprocess.run([MIGRATE, db.url, db.passfile], check=True,
                           capture_output=True)
            db.psql(";\n".join(pg_statements()) + ";")
            rc, a, err = pg_read("sqlite", path, NOW, DAY)
            assert rc == 0, "sqlite:\n" + a[-3000:] + err
            rc, b, err = pg_read("postgresql", db.url, db.passfile, NOW, DAY)
            assert rc == 0, "postgresql:\n" + b[-3000:] + err
            # No warning: every query ran.
            assert "warning" not in err.lower(), err
            diff = list(difflib.unified_diff(
                a.splitlines(), b.splitlines(), "sqlite", "postgresql",
                lineterm="", n=1))
            assert not diff, "\n".join(diff[:200])
            n = sum(1 for x in a.splitlines() if x.startswith("  row"))
            assert n > 120, n
            check_by_hand(a)
            runs = sum(1 for x in a.splitlines() if x.startswith("## "))
            print("%d queries, %d rows, the same on both backends"
                  % (runs, n))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_budget():
    with pg.Postgres("budget") as db:
        # Before any migration: a database without the schema says
        # version 0 (wastetrackctl check: "no schema"), not an error.
        rc, out, err = pg_read("--meta", "postgresql", db.url, db.passfile)
        assert rc == 0 and out.splitlines()[1] == \
            "  row i:0|i:0|NULL|NULL|NULL|i:0|NULL|NULL", out + err
        subprocess.run([MIGRATE, db.url, db.passfile], check=True,
                       capture_output=True)
        db.psql("INSERT INTO vehicles(vehicle, plate) VALUES"
                " ('vb', '吉B00001');"
                "INSERT INTO positions(vehicle, ts_ms, lat, lon)"
                " SELECT 'vb', g, 43.0 + g * 1e-7, 125.0 FROM"
                " generate_series(1, 1000000) g; ANALYZE positions")
        budget_ms = 5
        rc, out, err = pg_read("--budget", "postgresql", db.url, db.passfile,
                               budget_ms, "吉B00001", 0, 10 ** 13)
        assert rc == 0, out + err
        lines = {x.split()[0]: x.split()[1:] for x in out.splitlines()}
        b, f, p = lines["budget"], lines["free"], lines["plan"]
        # Abandoned, and said so (not logged as a failure).
        assert b[:2] == ["-1", "1"], out
        assert "warning" not in err.lower(), err
        # The next query, without a budget, runs whole: one vehicle.
        assert f[:2] == ["0", "0"] and f[3] == "1", out
        # The query is slower than the budget, so the budget cut it.
        assert int(f[2]) > budget_ms and int(b[2]) < int(f[2]), out
        # A small query, 200 times without a budget, 200 with: every
        # run answered (one row each).
        small = {x.split()[1]: x.split()[2:] for x in out.splitlines()
                 if x.startswith("small ")}
        assert small["0"][0] == small["1"][0] == "200", out
        # Every named query has a plan.
        assert p[0] == p[1] == "23", out
        print("budget %s ms: cancelled after %s ms; the whole query %s ms;"
              " a small query %s us, %s us with a budget"
              % (budget_ms, b[2], f[2], small["0"][1], small["1"][1]))


def test_restart():
    """A query handle outlives a restart of the server (the API keeps
    one): the first query after it connects again and answers."""
    with pg.Postgres("restart") as db:
        subprocess.run([MIGRATE, db.url, db.passfile], check=True,
                       capture_output=True)
        db.psql("INSERT INTO rejects(topic, received_ms, reason)"
                " VALUES ('t', 1, 'bad_json')")
        p = subprocess.Popen([READ, "--restart", "postgresql", db.url,
                              db.passfile], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        first = []
        while True:
            line = p.stdout.readline()
            assert line, p.stderr.read()
            if line == "ready\n":
                break
            first.append(line)
        old = db.proc.pid
        db.restart()
        assert db.proc.pid != old
        out, err = p.communicate("go\n", timeout=60 * harness.TIMEOUT_SCALE)
        assert p.returncode == 0, out + err
        assert "runtime error" not in err and "Sanitizer" not in err, err
        # The same row after as before: one reject since 0.
        assert "".join(first) == out and "|i:1|" in out, (first, out)
        assert "connected again" in err, err


def checks(db):
    rc, out, err = pg_read("--check", "postgresql", db.url, db.passfile)
    assert rc == 0, out + err
    return [x.strip().split(" ", 1)[1] for x in out.splitlines()]


def test_checks():
    """wastetrackctl check's queries on PostgreSQL: "ok" on a sound
    database, amcheck installed or not; an invalid index in both; a
    damaged page of a table in the whole check only (it reads every
    table), as a row, not a failure."""
    with pg.Postgres("check") as db:
        subprocess.run([MIGRATE, db.url, db.passfile], check=True,
                       capture_output=True)
        db.psql("INSERT INTO vehicles(vehicle, plate) VALUES ('v1', 'p1')")
        ok = ["integrity_check", "t:ok", "quick_check", "t:ok"]
        out = checks(db)
        assert out == ok, out
        # The extension needs a superuser, who grants its check to the
        # daemon's role; without the grant it is left out.
        db.psql("CREATE EXTENSION amcheck")
        out = checks(db)
        assert out == ok, out
        db.psql("GRANT EXECUTE ON FUNCTION bt_index_check(regclass)"
                " TO wastetrack")
        out = checks(db)
        assert out == ok, out
        db.psql("UPDATE pg_index SET indisvalid = false"
                " WHERE indexrelid = 'weighings_day'::regclass")
        bad = "t:index weighings_day is not valid"
        assert checks(db) == ["integrity_check", bad, "quick_check", bad]
        db.psql("UPDATE pg_index SET indisvalid = true"
                " WHERE indexrelid = 'weighings_day'::regclass")
        path = os.path.join(db.data, db.query(
            "SELECT pg_relation_filepath('vehicles')")[0][0])
        # A restart empties the server's cache: the next read of the
        # page is of the file, whose header is then garbage.
        db.restart()
        with open(path, "r+b") as f:
            f.write(b"\xff" * 24)
        out = checks(db)
        assert out[0] == "integrity_check" and out[2:] == ["quick_check",
                                                           "t:ok"], out
        assert "invalid page in block 0" in out[1], out


if __name__ == "__main__":
    harness.run([test_same_rows, test_budget, test_restart, test_checks])
