#!/usr/bin/python3
"""The PostgreSQL backend's write path (lib/store_pg_write.c and the
files beside it) against SQLite's.

pg_feed takes the same messages through the daemon's own ingest (the
spool, ingest_batch, one transaction per batch) into a SQLite file and
into a private PostgreSQL (pg.py): every event kind of the native dialect
and the shipped vendor profiles' examples, exact and semantic
duplicates, corrected weighing versions, manifest versions (late, a
regression), device bindings, rejects. Every table and view must then
hold the same rows in both, but for the columns listed in IGNORED with
the reason. Then: the payloads' hold and pruning give the same on both;
the same messages fed again by another instance store nothing and come
back as late duplicates; a message another writer stored first is a late
duplicate and none of its events is stored; 2500 positions in one
transaction (several statements of rows) are SQLite's rows; pruning past
the hold drops every payload.

The muck trucks' store operations (lib/store_pg_muck.c) must be written:
ingest tracks every vehicle's positions through them."""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pg  # noqa: E402
import pgcompare  # noqa: E402

FEED = os.environ.get("WT_PG_FEED", "build/tests/pg_feed")
SOURCE = os.environ.get("WT_SOURCE", ".")
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "payloads")

# Columns that differ between the backends by design.
IGNORED = {
    # The wall-clock time of each run's registry sync (SQLite's
    # julianday('now'), PostgreSQL's clock_timestamp()).
    ("generators", "registered_ms"): "the time of each run's sync",
    # A corrected ticket's current row is deleted and inserted again:
    # SQLite gives the new row max(id) + 1, which is the deleted row's
    # id again when it was the last; PostgreSQL's identity never gives
    # an id twice. The rows are compared by their key instead.
    ("weighings", "id"): "SQLite reuses the last rowid",
    ("ticket_origins", "ticket_id"): "weighings.id",
    ("ticket_origins_calc", "ticket_id"): "weighings.id",
    # An INSERT ... ON CONFLICT DO NOTHING (or DO UPDATE) takes the next
    # value of the identity even when it writes nothing (a duplicate),
    # SQLite's rowid does not; nothing refers to these ids.
    ("positions", "id"): "identity taken by a conflicting insert",
    ("vehicle_events", "id"): "identity taken by a conflicting insert",
    ("facility_status", "id"): "identity taken by a conflicting insert",
    ("manifest_events", "id"): "identity taken by a conflicting insert",
    ("unloads", "id"): "identity taken by a conflicting insert",
}

H = 3600000
T = 1691337600000          # 2023-08-07 00:00 +08:00
RECEIVED = T + 48 * H      # every message received then
NOW = RECEIVED + 60000     # the ingest's now (bindings learnt then)

CONFIG = """mqtt:
  url: "tcp://127.0.0.1:1883"
  client_id: "pgw"
include: [%(profiles)s]
subscriptions:
  - {topic: "wt/v1/#", profile: wastetrack}
  - {topic: "zwc/vendorA/v2/#", profile: vendor-a}
  - {topic: "huanwei/cc/#", profile: vendor-b}
  - {topic: "legacy/wb/#", profile: legacy-wb}
  - {topic: "jt808/+/+/up", profile: jt808-emqx}
database:
  path: "%(db)s"
  raw_retention_days: 30
time:
  local_offset: "+08:00"
supervision:
  unload_dwell_s: 0
facilities:
  - {id: "CC-KWP-01", name: "长春市厨余垃圾处理厂", kind: food_waste_plant,
     district: "朝阳区", harmless: true}
  - {id: "CC-HW-01", name: "长春某危险废物处置中心", kind: hw_facility,
     district: "绿园区", harmless: true}
  - id: "CC-TS-02"
    name: "中转站"
    kind: transfer_station
    district: "南关区"
    alarms:
      load_pct: {max: 95}
  - id: "CC-INC-02"
    name: "焚烧厂"
    kind: incinerator
    district: "绿园区"
    harmless: true
    accepts: ["msw.*"]
    alarms:
      furnace_temp_c: {min: 850, severity: critical}
generators:
  - {id: "NG-CL-001", name: "卫生服务站", kind: clinic, district: "南关区",
     lat: 43.86, lon: 125.35, max_pickup_interval_h: 48}
  - {id: "SY-FF-001", name: "农膜回收点", kind: farm_film_point,
     district: "双阳区"}
vehicles:
  - {plate: "吉A5G217", fleet: "朝阳区环卫所", kind: kitchen_waste_truck,
     district: "朝阳区", waste: ["msw.food"]}
  - {plate: "吉A7B300", fleet: "南关区环卫所", kind: compactor,
     district: "南关区"}
"""


def js(**kw):
    import json
    return json.dumps(kw, ensure_ascii=False, separators=(",", ":"))


def pos(vehicle, hours, **kw):
    body = dict(ts=T + int(hours * H), lat=43.88 + hours / 1000,
                lon=125.31, speed_kmh=30.0, load_state="full")
    body.update(kw)
    return ("wt/v1/vehicles/%s/position" % vehicle, js(**body))


def jt808_bind(phone, plate, sn):
    return ("jt808/%s/%s/up" % (phone, phone), js(
        header=dict(msg_id=256, encrypt=0, len=45, phone=phone, msg_sn=sn),
        body=dict(province=22, city=100, manufacturer="XXXXX",
                  model="JT-A1", dev_id="0000002", color=2,
                  license_number=plate)))


def jt808_pos(phone, hms, sn):
    return ("jt808/%s/%s/up" % (phone, phone), js(
        header=dict(msg_id=512, encrypt=0, len=37, phone=phone, msg_sn=sn),
        body=dict(alarm=0, status=787203, latitude=43870000 + sn,
                  longitude=125300000, altitude=200, speed=300,
                  direction=90, time="230807" + hms)))


def weighing(facility, ticket, first_h, **kw):
    body = dict(ticket=ticket, plate="吉A5G217", direction="in",
                first_ts=T + int(first_h * H), waste="msw.food",
                status="complete")
    body.update(kw)
    return ("wt/v1/facilities/%s/weighings" % facility, js(**body))


def manifest(no, version, status, hours, **kw):
    body = dict(scheme="CN_HW", status=status, version=version,
                ts=T + int(hours * H), plate="吉A02851D",
                generator=dict(code="91220101MA0XXXXXX1", name="某厂",
                               district="绿园区"),
                carrier=dict(name="某运输公司"),
                receiver=dict(facility="CC-HW-01", name="处置中心"))
    body.update(kw)
    return ("wt/v1/manifests/%s" % no, js(**body))


def vevent(vehicle, type_, hours, **kw):
    body = dict(type=type_, ts=T + int(hours * H), plate="吉A5G217",
                waste="msw.food", mass_kg=4000)
    body.update(kw)
    return ("wt/v1/vehicles/%s/events" % vehicle, js(**body))


def status(facility, hours, **kw):
    body = dict(ts=T + int(hours * H), state="open", inventory_kg=1000)
    body.update(kw)
    return ("wt/v1/facilities/%s/status" % facility, js(**body))


def native():
    """Every event kind, with what each must become in a comment."""
    lines = [(75, "CN_HW", "900-249-08", 1.2, "t"),
             (2, None, None, 300, "kg")]
    m_lines = [dict(line=n, waste="hw", qty=q, unit=u,
                    **({"waste_code": c} if c else {}))
               for n, _, c, q, u in lines]
    out = [
        # Positions of KW-0217: five new, then the same time re-sent with
        # another speed (a semantic duplicate: the message's outcome is
        # "duplicate"), then an exact re-send (a duplicate message).
        *[pos("KW-0217", 8 + i / 360, plate="吉A5G217",
              device="013912345678") for i in range(5)],
        pos("KW-0217", 8, plate="吉A5G217", device="013912345678",
            speed_kmh=55.0),
        # A terminal registered without a time (holds from the start),
        # two positions taking its plate, then a re-binding (holds from
        # NOW): the earlier positions keep the first plate.
        jt808_bind("013900000002", "吉A7B300", 1),
        jt808_pos("013900000002", "080000", 2),
        jt808_pos("013900000002", "080010", 3),
        jt808_bind("013900000002", "吉A7B300", 4),   # the same: nothing
        jt808_bind("013900000002", "吉A7B301", 5),
        jt808_pos("013900000002", "080020", 6),
        # Vehicle events: a load at a clinic (its district), unloads at a
        # known and an unknown facility (UNKNOWN_FACILITY), containers, a
        # semantic duplicate.
        vevent("KW-0217", "load", 7, site="NG-CL-001", count=12,
               count_unit="bin"),
        vevent("KW-0217", "unload", 9, facility="CC-KWP-01"),
        vevent("KW-0217", "unload", 10, facility="CC-XX-99"),
        vevent("KW-0217", "unload", 9, facility="CC-KWP-01", mass_kg=4100),
        # Facility statuses: known, unknown, a semantic duplicate.
        status("CC-TS-02", 12),
        status("CC-ZZ-01", 12),
        status("CC-TS-02", 12, inventory_kg=2000),
        status("CC-INC-02", 13, extra=None, state="alarm"),
        # Ticket T100 at the transfer station: opened, completed (same
        # version), re-sent in another key order (a duplicate), corrected
        # (version 2), an older explicit version (history, LATE), voided
        # (version 3); the same number the next day is another ticket.
        weighing("CC-TS-02", "T100", 9, status="open", gross_kg=15000),
        weighing("CC-TS-02", "T100", 9, gross_kg=15000, tare_kg=10000,
                 net_kg=5000, second_ts=T + int(9.3 * H)),
        ("wt/v1/facilities/CC-TS-02/weighings", js(
            status="complete", net_kg=5000, tare_kg=10000, gross_kg=15000,
            first_ts=T + 9 * H, second_ts=T + int(9.3 * H),
            waste="msw.food", direction="in", plate="吉A5G217",
            ticket="T100")),
        weighing("CC-TS-02", "T100", 9, gross_kg=15000, tare_kg=9900,
                 net_kg=5100, second_ts=T + int(9.3 * H)),
        weighing("CC-TS-02", "T100", 9, gross_kg=15000, tare_kg=11000,
                 net_kg=4000, second_ts=T + int(9.3 * H), version=1),
        weighing("CC-TS-02", "T100", 9, status="void", version=3),
        weighing("CC-TS-02", "T100", 33, gross_kg=9000, tare_kg=4000,
                 net_kg=5000, second_ts=T + int(33.2 * H)),
        weighing("CC-TS-02", "T101", 15, direction="out", gross_kg=14000,
                 tare_kg=9000, net_kg=5000, second_ts=T + 15 * H + 600000),
        weighing("CC-XX-99", "T900", 11, gross_kg=12000, tare_kg=9000,
                 net_kg=3000, second_ts=T + 11 * H + 600000),
        # Manifest M-1: created, in transit, re-sent (a duplicate),
        # arrived, received with its ticket, a late version 2 (history),
        # a regression (ignored), closed. M-2: an unknown receiver.
        manifest("M-1", 1, "created", 7, lines=m_lines),
        manifest("M-1", 2, "in_transit", 8),
        manifest("M-1", 2, "in_transit", 8, carrier=dict(name="又一个")),
        manifest("M-1", 3, "arrived", 10),
        manifest("M-1", 4, "received", 11,
                 tickets=[dict(facility="CC-HW-01", ticket="T300")]),
        manifest("M-1", 2, "in_transit", 8.5),
        manifest("M-1", 5, "in_transit", 12),
        manifest("M-1", 6, "closed", 13),
        manifest("M-2", 1, "in_transit", 8,
                 receiver=dict(facility="CC-YY-01", name="?"),
                 lines=m_lines[:1]),
        weighing("CC-HW-01", "T300", 11, plate="吉A02851D", gross_kg=11300,
                 tare_kg=10000, net_kg=1300, second_ts=T + 11 * H + 60000,
                 waste="hw"),
        # Rejects: bad JSON, no profile, a missing field, a time in the
        # future, bad UTF-8.
        ("wt/v1/vehicles/KW-0217/position", "{"),
        ("nowhere/at/all", "{}"),
        ("wt/v1/vehicles/KW-0217/position", js(ts=T, lon=125.3)),
        pos("KW-0217", 72),
        ("wt/v1/vehicles/KW-0217/position", b"\xff\xfe"),
    ]
    return out


def fixtures():
    out = []
    for name in sorted(os.listdir(FIXTURES)):
        with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line:
                    out.append(tuple(line.split("\t", 1)))
    return out


BATCH = 7


def messages():
    """The fixtures, then native(), the exact re-send of a position in
    the same batch as the original: SQLite finds it at once, and so does
    PostgreSQL within a transaction (across transactions it is a late
    duplicate, which uses up a message id: twice() tests that)."""
    out = fixtures() + native()
    i = out.index(pos("KW-0217", 8 + 1 / 360, plate="吉A5G217",
                      device="013912345678"))
    while (i + 1) % BATCH == 0:
        i += 1
    out.insert(i + 1, out[out.index(pos("KW-0217", 8 + 1 / 360,
                                        plate="吉A5G217",
                                        device="013912345678"))])
    return out


def write_input(path, msgs):
    with open(path, "wb") as f:
        for topic, payload in msgs:
            if isinstance(payload, str):
                payload = payload.encode()
            f.write(topic.encode() + b"\t%d\t" % RECEIVED + payload + b"\n")


def write_config(d):
    profiles = os.path.join(os.path.abspath(SOURCE), "conf", "profiles",
                            "*.yaml")
    conf = os.path.join(d, "wastetrack.yaml")
    with open(conf, "w") as f:
        f.write(CONFIG % {"profiles": '"%s"' % profiles,
                          "db": os.path.join(d, "wt.db")})
    return conf


def feed(conf, backend, where, inp, instance="a", passfile=None,
         batch=BATCH,
         extra=()):
    argv = [FEED, "--instance", instance, "--batch", str(batch), "--now",
            str(NOW), "--input", inp, *extra, conf, backend, where]
    if passfile:
        argv.append(passfile)
    # The log may quote a cut value (a broken character): replaced.
    p = subprocess.run(argv, capture_output=True, encoding="utf-8",
                       errors="replace",
                       timeout=120 * harness.TIMEOUT_SCALE)
    assert p.returncode == 0, "pg_feed %s failed:\n%s%s" % (
        backend, p.stdout, p.stderr)
    warnings = [ln for ln in p.stderr.splitlines() if "<4>" in ln
                or "<3>" in ln]
    assert not warnings, "pg_feed %s warned:\n%s" % (backend, p.stderr)
    return {k: int(v) for k, v in (ln.split() for ln in
                                   p.stdout.splitlines())}


def relations(lite):
    rels = pgcompare.sqlite_relations(lite)
    return {n: cols for n, (_, cols) in rels.items() if n != "meta"}


def compare(lite, db):
    errors, seen = [], {}
    for name, cols in sorted(relations(lite).items()):
        keep = [c for c in cols if (name, c) not in IGNORED]
        a = pgcompare.sqlite_rows(lite, name, keep)
        b = pgcompare.pg_rows(db, name, keep)
        seen[name] = len(a)
        errors += pgcompare.compare_rows(name, a, b)
    # meta: the settings the views read, as numbers.
    for key in ["local_offset_min", "tolerance_pct",
                "clearance_tolerance_pct"]:
        a = lite.execute("SELECT value FROM meta WHERE key = ?",
                         (key,)).fetchall()
        b = db.query("SELECT value FROM meta WHERE key = '%s'" % key)
        if [[float(r[0]) for r in a]] != [[float(r[0]) for r in b]]:
            errors.append("meta %s: %s against %s" % (key, a, b))
    assert not errors, "\n".join(errors)
    return seen


def counts(db, tables):
    return {t: db.query("SELECT count(*) FROM %s" % t)[0][0]
            for t in tables}


def test_parity_twice_late(tmp):
    conf = write_config(tmp)
    inp = os.path.join(tmp, "messages.tsv")
    msgs = messages()
    write_input(inp, msgs)
    lite_c = feed(conf, "sqlite", os.path.join(tmp, "wt.db"), inp)
    lite = sqlite3.connect(os.path.join(tmp, "wt.db"))
    with pg.Postgres("write") as db:
        pg_c = feed(conf, "postgresql", db.url, inp, passfile=db.passfile)
        seen = compare(lite, db)
        check_by_hand(lite, db, lite_c, pg_c, len(msgs))
        print("compared %d relations, %d rows"
              % (len(seen), sum(seen.values())))
        hold(conf, tmp, db, lite)
        twice(conf, inp, db, lite)
        late(conf, tmp, db)
        volume(conf, tmp, db)
        prune(conf, tmp, db)


def check_by_hand(lite, db, lite_c, pg_c, n):
    """Figures worked out from the messages above."""
    # 5 rejects; 1 exact duplicate (the re-sent position); the rest
    # stored as messages.
    assert lite_c["received"] == n and pg_c["received"] == n
    assert lite_c["rejected"] == 5 and pg_c["rejected"] == 5, pg_c
    nmsg = lite.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert nmsg == n - 5 - 1, (nmsg, n)
    # Within a batch of 7 the exact re-send is found at once (SQLite:
    # always; PostgreSQL: in the same transaction, else late).
    assert pg_c["duplicates"] + pg_c["late_duplicates"] >= 1
    q = "SELECT outcome, count(*) FROM messages GROUP BY outcome" \
        " ORDER BY outcome"
    got = db.query(q)
    assert got == [list(r) for r in lite.execute(q)], got
    # Semantic duplicates: of native(), the position, the binding, the
    # unload, the status, the re-sent ticket and manifest (6); of the
    # fixtures, which tell one scenario in several dialects, the native
    # position, unload and manifest after vendor-a's (3). History: the
    # late T100, the late and the regressed M-1 (3), the native ticket
    # 0153 (version 1) after legacy-wb's version 2 (1).
    outcomes = dict(map(tuple, got))
    assert outcomes["duplicate"] == 9 and outcomes["history"] == 4, got
    # T100: current version 3 (void), its history 1 (open, v1), 1
    # (complete, v1), 2, and the late version 1 flagged LATE (2).
    cur = db.query("SELECT version, status FROM weighings WHERE ticket ="
                   " 'T100' AND day = '2023-08-07'")
    assert cur == [[3, "void"]], cur
    hist = db.query("SELECT version, status, net_kg, dq_flags & 2 FROM"
                    " weighings_history WHERE ticket = 'T100'"
                    " ORDER BY id")
    assert hist == [[1, "open", None, 0], [1, "complete", 5000, 0],
                    [1, "complete", 4000, 2], [2, "complete", 5100, 0]], \
        hist
    # M-1: closed at version 6; 8 updates recorded, 5 applied; the
    # regression flagged (32768), the late one LATE (2).
    man = db.query("SELECT version, status, departed_ms, arrived_ms,"
                   " closed_ms FROM manifests WHERE manifest_no = 'M-1'")
    assert man == [[6, "closed", T + 8 * H, T + 10 * H, T + 13 * H]], man
    ev = db.query("SELECT version, applied, dq_flags & 32770 FROM"
                  " manifest_events WHERE manifest_no = 'M-1' ORDER BY id")
    assert ev == [[1, 1, 0], [2, 1, 0], [3, 1, 0], [4, 1, 0], [2, 0, 2],
                  [5, 0, 32768], [6, 1, 0]], ev
    # The terminal's positions: the plate of the first binding, the
    # last one too (its time, 08:00:20, is before NOW's re-binding).
    plates = db.query("SELECT plate FROM positions WHERE device ="
                      " '013900000002' ORDER BY ts_ms")
    assert plates == [["吉A7B300"]] * 3, plates
    binds = db.query("SELECT valid_from_ms, plate FROM device_bindings"
                     " WHERE device = '013900000002' ORDER BY 1")
    assert binds == [[0, "吉A7B300"], [NOW, "吉A7B301"]], binds
    unknown = db.query("SELECT count(*) FROM (SELECT dq_flags FROM"
                       " vehicle_events UNION ALL SELECT dq_flags FROM"
                       " weighings UNION ALL SELECT dq_flags FROM"
                       " facility_status UNION ALL SELECT dq_flags FROM"
                       " manifests) x WHERE dq_flags & 262144 <> 0")
    assert unknown == [[4]], unknown


TABLES = ["messages", "positions", "vehicle_events", "weighings",
          "weighings_history", "facility_status", "manifests",
          "manifest_events", "manifest_lines", "manifest_tickets",
          "device_bindings", "vehicles", "rejects"]


def twice(conf, inp, db, lite):
    """Fed again by another instance: nothing new but the rejects (a
    reject is not deduplicated, in SQLite either)."""
    before = counts(db, TABLES)
    again = feed(conf, "postgresql", db.url, inp, instance="b",
                 passfile=db.passfile)
    after = counts(db, TABLES)
    nmsg = before["messages"]
    before["rejects"] += 5
    assert after == before, (before, after)
    # Every message is found stored: late, or at once for a re-send
    # within the batch.
    assert again["late_duplicates"] + again["duplicates"] >= nmsg, again
    assert again["late_duplicates"] == nmsg, again


def late(conf, tmp, db):
    """A message another writer stored first: a late duplicate, none of
    its events stored."""
    msgs = [pos("LATE-1", 20), weighing("CC-TS-02", "T777", 20,
                                        gross_kg=9000, tare_kg=4000,
                                        net_kg=5000,
                                        second_ts=T + 20 * H + 60000),
            pos("LATE-1", 20.01), vevent("LATE-1", "unload", 20.02,
                                         facility="CC-KWP-01")]
    # And a reject whose detail quotes a value cut inside a character
    # ("%.32s" keeps the first byte of 废): PostgreSQL takes no broken
    # UTF-8, so that byte becomes '?' rather than the batch failing at
    # every retry.
    cut = "A" * 31 + "废"
    bad = manifest("M-9", 1, "created", 20, lines=[dict(
        line=1, waste="hw", qty=1, unit="t", waste_code=cut)])
    inp = os.path.join(tmp, "late.tsv")
    write_input(inp, msgs + [bad])
    # Another writer's rows for the first two, committed.
    for i, (topic, payload) in enumerate(msgs[:2]):
        sha = hashlib.sha256(payload.encode()).hexdigest()
        db.psql("INSERT INTO messages(id, topic, profile, received_ms,"
                " sha256, outcome) VALUES(%d, '%s', 'wastetrack', %d,"
                " '%s', 'stored')" % (900000 + i, topic, RECEIVED, sha))
    got = feed(conf, "postgresql", db.url, inp, instance="c",
               passfile=db.passfile, batch=10)
    assert got["late_duplicates"] == 2, got
    assert got["rejected"] == 1, got
    detail = db.query("SELECT reason, detail FROM rejects WHERE topic ="
                      " 'wt/v1/manifests/M-9'")
    assert detail == [["bad_value", "\"lines[0].waste_code\" \"%s?\""
                       " is not a hazardous-waste code" % cut[:31]]], \
        detail
    rows = db.query("SELECT ts_ms FROM positions WHERE vehicle = 'LATE-1'")
    assert rows == [[T + int(20.01 * H)]], rows
    assert db.query("SELECT count(*) FROM weighings WHERE ticket ="
                    " 'T777'") == [[0]]
    assert db.query("SELECT count(*) FROM vehicle_events WHERE vehicle ="
                    " 'LATE-1'") == [[1]]
    seen = db.query("SELECT first_seen_ms, last_seen_ms FROM vehicles"
                    " WHERE vehicle = 'LATE-1'")
    assert seen == [[T + int(20.01 * H), T + int(20.02 * H)]], seen


def hold(conf, tmp, db, lite):
    """The payloads held (a clock step): nothing older than the hold is
    pruned before a cutoff passes it, in both."""
    empty = os.path.join(tmp, "empty.tsv")
    open(empty, "w").close()
    args = ("--hold", str(RECEIVED + 10), "--prune", str(RECEIVED + 5))
    a = feed(write_config(tmp), "sqlite", os.path.join(tmp, "wt.db"),
             empty, extra=args)
    b = feed(conf, "postgresql", db.url, empty, instance="h",
             passfile=db.passfile, extra=args)
    for c in (a, b):
        assert (c["clock_newest"], c["clock_behind"], c["pruned"]) == \
            (RECEIVED, 1, 0), c
    compare(lite, db)


def volume(conf, tmp, db):
    """pg_feed's bench: 2500 positions of 50 vehicles in one transaction,
    three statements of rows (store_pg_batch.c's BATCH_ROWS 1024): the
    same rows as SQLite's."""
    path = os.path.join(tmp, "volume.db")
    args = ("--bench", "2500", "--batch", "5000")
    a = feed(conf, "sqlite", path, os.devnull, extra=args)
    b = feed(conf, "postgresql", db.url, os.devnull, instance="v",
             passfile=db.passfile, extra=args)
    assert a["stored"] == b["stored"] == 2500, (a, b)
    assert b["commits"] == 1, b
    lite = sqlite3.connect(path)
    for sql in ["SELECT vehicle, device, plate, ts_ms, lat, lon, speed_kmh,"
                " heading_deg, alt_m, load_state, dq_flags FROM positions"
                " WHERE vehicle LIKE 'B-%'",
                "SELECT * FROM vehicles WHERE vehicle LIKE 'B-%'",
                "SELECT topic, received_ms, sha256, outcome, kind FROM"
                " messages WHERE topic LIKE 'wt/v1/vehicles/B-%'"]:
        x, y = lite.execute(sql).fetchall(), db.query(sql)
        assert len(x) in (50, 2500), (sql, len(x))
        diff = pgcompare.compare_rows(sql, x, y)
        assert not diff, "\n".join(diff[:5])


def prune(conf, tmp, db):
    """A cutoff past the hold prunes every payload."""
    empty = os.path.join(tmp, "empty.tsv")
    n = db.query("SELECT count(*) FROM messages WHERE payload IS NOT"
                 " NULL")[0][0]
    # Every message but the two another writer stored without one.
    total = db.query("SELECT count(*) FROM messages")[0][0]
    assert n == total - 2 and n > 50, (n, total)
    got = feed(conf, "postgresql", db.url, empty, instance="p",
               passfile=db.passfile, extra=("--prune", str(NOW + 1)))
    assert got["pruned"] == n, (got, n)
    assert db.query("SELECT count(*) FROM messages WHERE payload IS NOT"
                    " NULL") == [[0]]


def main():
    d = harness.make_dir("wt-pgwrite-")

    def parity():
        test_parity_twice_late(d)
        shutil.rmtree(d, ignore_errors=True)  # kept when it failed

    parity.__name__ = "test_parity_twice_late"
    harness.run([parity])


if __name__ == "__main__":
    main()
