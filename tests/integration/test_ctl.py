#!/usr/bin/python3
"""wastetrackctl's read commands (docs/man/wastetrackctl.1) against a
database the real daemon built through a real broker from the city day of
test_scenario.py (its messages, its registry, its hand-computed figures),
plus a vehicle's positions and a few rejected messages.

Each command's output is compared with figures worked out by hand in the
comments above the assertions: `report` as exact CSV text and as JSON,
`manifest`, `vehicle`, `rejects` (exact counts), `check` on the good
database and on one whose committed spool position is ahead of the spool;
a table with Chinese district names is aligned by display width; usage
errors exit 64, an unknown manifest or vehicle 66, no daemon 69 (status);
and the commands answer while the daemon ingests a flood of positions.
"""

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import unicodedata

from harness import (Broker, Daemon, TIMEOUT_SCALE, make_dir,
                     publish_counted, run, wait_for)
import test_scenario as sc

CTL = os.environ.get("WASTETRACKCTL", "build/tools/wastetrackctl")
DAY, NEXT_DAY = sc.DAY, sc.NEXT_DAY
CY, NG, LY, CITY = sc.CY, sc.NG, sc.LY, "全市"

# KW-CY-01 (吉A10001) on the 7th: four points, two of them in the same
# minute (00:15), and one on the 8th.
POSITIONS = [
    ("wt/v1/vehicles/KW-CY-01/position",
     json.dumps({"ts": "%sT%s+08:00" % (day, hhmmss), "lat": lat,
                 "lon": lon, "plate": "吉A10001"}, ensure_ascii=False))
    for hhmmss, day, lat, lon in [("00:05:00", DAY, 43.80, 125.30),
                                  ("00:10:00", DAY, 43.85, 125.35),
                                  ("00:15:00", DAY, 43.90, 125.32),
                                  ("00:15:30", DAY, 43.89, 125.31),
                                  ("00:30:00", NEXT_DAY, 44.00, 125.40)]]

# Positions are kept for ever (so none is due for removal), and thinned
# to one a minute after 30 days (the defaults: positions_full_days 30,
# positions_thin_s 60).
RETENTION = "retention:\n  positions_days: 0\n"

# Rejected on purpose: two payloads that are not JSON, one position
# without its time, one message of a kind the dialect does not have.
REJECTS = [
    ("wt/v1/vehicles/BAD-1/position", "{not json"),
    ("wt/v1/vehicles/BAD-2/position", "[1, 2"),
    ("wt/v1/vehicles/BAD-1/position", '{"lat": 43.8, "lon": 125.3}'),
    ("wt/v1/vehicles/BAD-1/teleport", '{"ts": "2023-08-07T08:00:00Z"}'),
]

S = {"env": None, "d": None, "received": 0}


def ctl(*args, check=None, timeout=60):
    p = subprocess.run([CTL, "-c", S["d"].conf] + list(args),
                       capture_output=True, timeout=timeout * TIMEOUT_SCALE)
    out = p.stdout.decode("utf-8")
    # Under the sanitizers (a build with -Db_sanitize), a report fails.
    assert "runtime error:" not in p.stderr.decode() and \
        "Sanitizer" not in p.stderr.decode(), p.stderr.decode()
    if check is not None:
        assert p.returncode == check, (args, p.returncode, out,
                                       p.stderr.decode())
    return p.returncode, out, p.stderr.decode("utf-8")


def publish(msgs):
    publish_counted(S, msgs)


class CtlEnv(sc.CityEnv):
    """The scenario's city, with the retention above."""

    def __init__(self):
        self.dir = make_dir("wt-ctl-")
        self.broker = Broker(self.dir).start()
        self.daemon = Daemon(self.dir, self.broker.port,
                             extra=sc.CONFIG + RETENTION, facilities=False)
        self.ok = False


def test_build_database():
    env = CtlEnv()
    S["env"] = env
    S["d"] = env.daemon.start()
    publish(sc.PHASE1)
    publish(sc.LATE_MANIFEST)
    publish(sc.CORRECTION + POSITIONS + REJECTS)
    sc.wait_reconciled(S["d"])
    d = S["d"]
    assert d.count("positions") == len(POSITIONS)
    assert d.count("rejects") == len(REJECTS)


def num(v):
    """A number as wastetrackctl writes it in CSV: the shortest text that
    reads back as the same double, integers without a fraction."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return "%d" % v
    return repr(v)


REPORT_COLS = ["day", "district", "msw_kg", "cw_kg", "hw_kg", "mw_kg",
               "other_kg", "collected_kg", "recycling_rate", "harmless_rate",
               "cw_utilisation_rate", "clearance_rate", "manifests",
               "closed_manifests", "manifest_closure_rate", "discrepancies",
               "discrepancy_rate", "overdue_manifests",
               "authorised_unload_share"]


def report_rows_7th():
    """2023-08-07 after the correction, by hand (test_scenario.py has the
    ticket-by-ticket sums). Tonnage leaves transfer stations out."""
    share = 7 / 8   # city-wide: 8 unloads, 7 at registered facilities
    return [
        # 南关区: msw = RC 4800 recyclable + 1000 residual + LF 8500 + 9700
        #   = 24000; collected 24000; recycling 4800 / 24000 = 0.2;
        #   harmless 18200 / 24000; TS-NG cleared 1 of 1; manifests
        #   HW-OVERDUE + HW-LATE = 2, closed 0, closure 0 / 2 = 0.0;
        #   discrepancies 0 of 1 reconciled (HW-LATE) = 0.0; overdue 1.
        [DAY, NG, 24000.0, 0, 0, 0, 0, 24000.0, 0.2, 18200 / 24000, None,
         1.0, 2, 0, 0.0, 0, 0.0, 1, share],
        # 朝阳区: msw = INC 11000 + KWP 9000 = 20000; cw = CWR 30000 +
        #   CWD 45000 = 75000; recycling 9000 / 20000 = 0.45; harmless
        #   20000 / 20000 = 1.0; cw 30000 / 75000 = 0.4; no station;
        #   manifests HW-OK-REF + HW-DISC = 2, closed 1 -> 0.5;
        #   1 discrepancy of 2 reconciled = 0.5; overdue 0.
        [DAY, CY, 20000.0, 75000.0, 0, 0, 0, 20000.0, 0.45, 1.0, 0.4,
         None, 2, 1, 0.5, 1, 0.5, 0, share],
        # 绿园区: msw = H-007 household hazardous 200; hw = 5102; nothing
        #   collected (rates NULL); TS-LY not cleared 0 of 1; manifests 3
        #   (HW-PLATE, HW-SHARE-A, HW-SHARE-B), closed 2 -> 2 / 3; 0 of 3
        #   reconciled discrepant; overdue 0.
        [DAY, LY, 200.0, 0, 5102.0, 0, 0, 0, None, None, None, 0.0, 3, 2,
         2 / 3, 0, 0.0, 0, share],
        # 全市: msw 24000 + 20000 + 200 = 44200; cw 75000; hw 5102;
        #   collected 44000; recycling (4800 + 9000) / 44000; harmless
        #   (18200 + 20000) / 44000; cw 0.4; stations cleared 1 of 2;
        #   manifests 7, closed 3 -> 3 / 7; 1 discrepancy of 6 reconciled;
        #   overdue 1.
        [DAY, CITY, 44200.0, 75000.0, 5102.0, 0, 0, 44000.0, 13800 / 44000,
         38200 / 44000, 0.4, 0.5, 7, 3, 3 / 7, 1, 1 / 6, 1, share],
    ]


def csv_text(rows):
    out = ",".join(REPORT_COLS) + "\n"
    for r in rows:
        out += ",".join(v if isinstance(v, str) else num(v)
                        for v in r) + "\n"
    return out


def test_report_day_csv():
    _, out, _ = ctl("report", "--day", DAY, "--format", "csv", check=0)
    expected = csv_text(report_rows_7th())
    assert out == expected, "got:\n%s\nexpected:\n%s" % (out, expected)
    # Not a terminal: CSV is the default.
    assert ctl("report", "--day", DAY, check=0)[1] == expected


def test_report_range_and_month_json():
    # The 8th: I-005 at INC-CY, 14000 - 10000 = 4000 kg of residual:
    # msw 4000, collected 4000, recycling 0.0, harmless 1.0; no manifests.
    eighth = [NEXT_DAY, CY, 4000.0, 0, 0, 0, 0, 4000.0, 0.0, 1.0, None,
              None, 0, 0, None, 0, None, 0, None]
    _, out, _ = ctl("report", "--from", DAY, "--to", NEXT_DAY, "--format",
                    "csv", check=0)
    assert out == csv_text(report_rows_7th() + [
        eighth, [NEXT_DAY, CITY] + eighth[2:]]), out
    _, out, _ = ctl("report", "--month", "2023-08", "--format", "json",
                    check=0)
    rows = json.loads(out)
    assert [(r["day"], r["district"]) for r in rows] == [
        (DAY, NG), (DAY, CY), (DAY, LY), (DAY, CITY), (NEXT_DAY, CY),
        (NEXT_DAY, CITY), ("2023-08", NG), ("2023-08", CY), ("2023-08", LY),
        ("2023-08", CITY)], rows
    total = {r["district"]: r for r in rows if r["day"] == "2023-08"}
    # 朝阳区 over the month: msw 20000 + 4000 = 24000, collected 24000,
    # recycling 9000 / 24000 = 0.375, harmless 24000 / 24000 = 1.0.
    cy = total[CY]
    assert (cy["msw_kg"], cy["collected_kg"], cy["recycling_rate"],
            cy["harmless_rate"]) == (24000, 24000, 0.375, 1.0), cy
    # The city over the month: collected 44000 + 4000 = 48000, recycling
    # 13800 / 48000 = 0.2875; manifests 7; the unload share 7 / 8 (the
    # 8th has none); 全市 of the 7th as in the CSV.
    city = total[CITY]
    assert (city["collected_kg"], city["recycling_rate"], city["manifests"],
            city["authorised_unload_share"]) == (48000, 0.2875, 7, 0.875)
    assert rows[3] == dict(zip(REPORT_COLS, report_rows_7th()[3])), rows[3]
    # A month without data: the header only in CSV, [] in JSON.
    assert ctl("report", "--month", "2024-02", "--format", "json",
               check=0)[1] == "[]\n"
    assert ctl("report", "--month", "2024-02", "--format", "csv",
               check=0)[1] == ",".join(REPORT_COLS) + "\n"


def width(s):
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in s)


def test_report_table_aligned():
    _, out, _ = ctl("report", "--day", DAY, "--format", "table", check=0)
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == 5, out
    # Every column after the district is numeric and right-aligned, so
    # every line ends at the same display column; the districts are CJK
    # (two columns a character), so the lines differ in characters.
    assert len({width(line) for line in lines}) == 1, out
    assert len({len(line) for line in lines}) > 1, out
    # The district column: each line's second field starts at the same
    # display column, and so does the third (right-aligned: the end of
    # its field, which is where the fourth field's padding starts).
    assert lines[1].split()[1] == NG and lines[4].split()[1] == CITY
    # Rates as percentages, kg without fraction, NULL as "-".
    assert "45.0%" in lines[2] and "-" in lines[3].split(), out


def test_manifest():
    # HW-SHARE-A: versions 1 in_transit 13:00, 2 closed 17:00; ticket
    # H-006 (1050 kg) shared with HW-SHARE-B by declared mass:
    # 1050 * 600 / (600 + 400) = 630; (630 - 600) * 100 / 600 = +5 %
    # within 10 % -> ok.
    _, out, _ = ctl("manifest", "HW-SHARE-A", "--format", "json", check=0)
    doc = json.loads(out)
    assert list(doc) == ["manifest", "lines", "versions", "links",
                         "verdict"], doc
    m = doc["manifest"]
    assert (m["scheme"], m["status"], m["version"], m["plate"],
            m["declared_kg"]) == ("CN_HW", "closed", 2, "吉A50006", 600.0), m
    assert [(v["version"], v["status"], v["applied"])
            for v in doc["versions"]] == [(1, "in_transit", 1),
                                          (2, "closed", 1)], doc["versions"]
    assert [(l["facility"], l["ticket"], l["method"], l["allocated_kg"],
             l["net_kg"]) for l in doc["links"]] == [
        ("HW-LY", "H-006", "ticket_ref", 630.0, 1050.0)], doc["links"]
    v = doc["verdict"]
    assert (v["declared_kg"], v["received_kg"], v["diff_pct"], v["verdict"]) \
        == (600.0, 630.0, 5.0, "ok"), v
    assert "+5.00 %" in v["why"] and "within the tolerance of 10 %" in \
        v["why"], v["why"]
    assert doc["lines"][0]["waste_code"] == "900-249-08"
    # HW-DISC: 1200 declared, 1050 weighed: -12.50 %, beyond 10 %.
    _, out, _ = ctl("manifest", "HW-DISC", "--format", "json", check=0)
    v = json.loads(out)["verdict"]
    assert v["verdict"] == "discrepancy" and "-12.50 %" in v["why"] and \
        "beyond the tolerance of 10 %" in v["why"], v
    # HW-OVERDUE: in transit since 2023, overdue after 48 h.
    _, out, _ = ctl("manifest", "HW-OVERDUE", "--format", "json", check=0)
    v = json.loads(out)["verdict"]
    assert v["verdict"] == "overdue" and "in_transit more than 48 h" in \
        v["why"], v
    # CSV: one block per section, each headed "# NAME".
    _, out, _ = ctl("manifest", "HW-SHARE-B", "--format", "csv", check=0)
    blocks = out.split("\n\n")
    assert [b.split("\n", 1)[0] for b in blocks] == [
        "# manifest", "# lines", "# versions", "# links", "# verdict"], out
    versions = list(csv.DictReader(io.StringIO(blocks[2].split("\n", 1)[1])))
    # HW-SHARE-B: 1 in_transit, 2 received, 3 closed (the late one).
    assert [(r["version"], r["status"]) for r in versions] == [
        ("1", "in_transit"), ("2", "received"), ("3", "closed")], versions
    # No such manifest: EX_NOINPUT.
    rc, _, err = ctl("manifest", "HW-NONE", "--format", "json")
    assert rc == 66 and "no manifest HW-NONE" in err, (rc, err)


def test_vehicle():
    # KW-CY-01 is 吉A10001: on the 7th a load at 00:02 at CY-XQ-0031 and
    # an unload at INC-CY at 00:20 (one trip, 6000 kg), ticket I-001
    # (18000 - 12000 = 6000 kg), and four positions 00:05:00 to 00:15:30
    # (the 00:30 one is the 8th's), lat 43.80 to 43.90, lon 125.30 to
    # 125.35. The plate may be written as people do.
    _, out, _ = ctl("vehicle", "吉a·10001", "--day", DAY, "--format", "json",
                    check=0)
    doc = json.loads(out)
    assert [v["vehicle"] for v in doc["vehicles"]] == ["KW-CY-01"], doc
    assert [(e["type"], e["facility"], e["mass_kg"])
            for e in doc["events"]] == [("load", None, 6000.0),
                                        ("unload", "INC-CY", 6000.0)], doc
    assert [(w["ticket"], w["net_kg"]) for w in doc["weighings"]] == [
        ("I-001", 6000.0)], doc["weighings"]
    p, = doc["positions"]
    # 2023-08-07T00:00+08:00 = 2023-08-07T00:00Z (1691366400000) - 8 h
    start = 1691366400000 - 8 * 3600000
    assert [(t["vehicle"], t["loaded_ms"], t["site"], t["unloaded_ms"],
             t["facility"], t["mass_kg"]) for t in doc["trips"]] == [
        ("KW-CY-01", start + 2 * 60000, "CY-XQ-0031", start + 20 * 60000,
         "INC-CY", 6000.0)], doc["trips"]
    assert (p["positions"], p["first_ms"], p["last_ms"], p["lat_min"],
            p["lat_max"], p["lon_min"], p["lon_max"]) == (
        4, start + 5 * 60000, start + 15 * 60000 + 30000, 43.80, 43.90,
        125.30, 125.35), p
    # The 8th: the ticket I-005 and one position.
    doc = json.loads(ctl("vehicle", "吉A10001", "--day", NEXT_DAY,
                         "--format", "json", check=0)[1])
    assert [w["ticket"] for w in doc["weighings"]] == ["I-005"]
    assert doc["positions"][0]["positions"] == 1 and doc["events"] == []
    assert doc["trips"] == []
    rc, _, err = ctl("vehicle", "吉Z99999", "--day", DAY)
    assert rc == 66 and "no vehicle" in err, (rc, err)


def test_rejects():
    _, out, _ = ctl("rejects", "--format", "json", check=0)
    doc = json.loads(out)
    got = {r["reason"]: r["rejects"] for r in doc["reasons"]}
    # Two payloads that are not JSON; a position without "ts"; the kind
    # "teleport".
    assert got == {"bad_json": 2, "missing_field": 1, "unknown_kind": 1}, got
    # Never replayed.
    assert {(r["replayed"], r["rejected_again"]) for r in doc["reasons"]} \
        == {(0, 0)}, doc["reasons"]
    assert {x["replay_outcome"] for x in doc["samples"]} == {None}
    topics = {(r["topic"], r["reason"]): r["rejects"] for r in doc["topics"]}
    assert topics == {
        ("wt/v1/vehicles/BAD-1/position", "bad_json"): 1,
        ("wt/v1/vehicles/BAD-2/position", "bad_json"): 1,
        ("wt/v1/vehicles/BAD-1/position", "missing_field"): 1,
        ("wt/v1/vehicles/BAD-1/teleport", "unknown_kind"): 1}, topics
    assert {(r["profile"], r["reason"]): r["rejects"]
            for r in doc["profiles"]} == {
        ("wastetrack", "bad_json"): 2, ("wastetrack", "missing_field"): 1,
        ("wastetrack", "unknown_kind"): 1}, doc["profiles"]
    # Samples, newest first per reason, with the detail and the payload.
    s = [x for x in doc["samples"] if x["reason"] == "bad_json"]
    assert [x["payload"] for x in s] == ["[1, 2", "{not json"], s
    assert all(x["detail"] for x in doc["samples"]), doc["samples"]
    # --reason filters; --since in the future leaves nothing.
    doc = json.loads(ctl("rejects", "--reason", "bad_json", "--samples",
                         "1", "--format", "json", check=0)[1])
    assert [(r["reason"], r["rejects"]) for r in doc["reasons"]] == [
        ("bad_json", 2)] and len(doc["samples"]) == 1, doc
    doc = json.loads(ctl("rejects", "--since", "2099-12-31", "--format",
                         "json", check=0)[1])
    assert doc["reasons"] == [] and doc["samples"] == [], doc
    doc = json.loads(ctl("rejects", "--since", "1h", "--format", "json",
                         check=0)[1])
    assert sum(r["rejects"] for r in doc["reasons"]) == 4, doc
    # A replay (the daemon's work) of the unknown kind: still unknown, so
    # rejected again, and `rejects` says so with the new detail.
    ctl("replay", "--reason", "unknown_kind", check=0)
    doc = json.loads(ctl("rejects", "--format", "json", check=0)[1])
    assert {r["reason"]: (r["replayed"], r["rejected_again"])
            for r in doc["reasons"]} == {"bad_json": (0, 0),
                                         "missing_field": (0, 0),
                                         "unknown_kind": (0, 1)}, doc
    s, = [x for x in doc["samples"] if x["reason"] == "unknown_kind"]
    assert s["replay_outcome"] == "rejected" and "unknown_kind" in \
        s["replay_detail"], s


def test_check_good():
    rc, out, err = ctl("check", "--format", "json")
    doc = json.loads(out)
    assert rc == 0, (out, err)
    assert doc["schema"]["schema_version"] == doc["schema"]["known_version"]
    assert doc["schema"]["status"] == "ok"
    assert doc["integrity"] == [{"result": "ok"}], doc["integrity"]
    assert doc["spool"]["status"] == "ok", doc["spool"]
    assert doc["spool"]["owner"] == doc["schema"]["db_id"], doc
    due = {r["kind"]: r["due"] for r in doc["retention"]}
    # Default retention but positions kept for ever, days of 2023
    # received now: the 13 vehicle events (400 days by ts) are past their
    # cutoff, and L-001's superseded version (400 days by its first
    # weighing); messages, rejects and payloads (by receive time) are
    # not; of the positions older than 30 days, thinning keeps the first
    # of each vehicle and minute: 00:15:30 goes (00:15:00 stays).
    assert due == {"raw payloads": 0, "messages": 0, "reject payloads": 0,
                   "rejects": 0, "positions": 0, "thinned positions": 1,
                   "vehicle events": len(sc.EVENTS), "ticket versions": 1,
                   "facility statuses": 0}, due
    rc, out, _ = ctl("check", "--quick", "--format", "csv")
    assert rc == 0 and "# integrity\nresult\nok\n" in out, out


def flood():
    """Positions of 50 trucks, 200 each, published while commands run."""
    return [("wt/v1/vehicles/FLOOD-%02d/position" % (i % 50),
             json.dumps({"ts": "2023-08-09T%02d:%02d:%02d+08:00"
                         % (i // 3600 % 24, i // 60 % 60, i % 60),
                         "lat": 43.8, "lon": 125.3}))
            for i in range(10000)]


def test_while_ingesting():
    d = S["d"]
    msgs = flood()
    before = d.status()["ingest"]["received"]
    t = threading.Thread(target=publish, args=(msgs,))
    t.start()
    runs, seen = 0, []
    expected = csv_text(report_rows_7th())
    try:
        # Each command opens, reads one snapshot and leaves: the daemon's
        # commits go on meanwhile (WAL), and the figures of the 7th do
        # not move.
        while t.is_alive() or runs < 3:
            seen.append(d.status()["ingest"]["received"])
            assert ctl("report", "--day", DAY, "--format", "csv",
                       check=0)[1] == expected
            ctl("check", "--quick", "--format", "json", check=0)
            runs += 1
    finally:
        t.join()
    # Some commands ran with the flood half stored.
    assert any(before < n < before + len(msgs) for n in seen), seen
    assert d.status()["ingest"]["received"] == before + len(msgs)
    assert d.count("positions", "vehicle LIKE 'FLOOD-%'") == len(msgs)


def test_status():
    rc, out, err = ctl("status")
    assert rc == 0, (rc, out, err)
    assert "healthy" in out and "mqtt: connected" in out, out
    assert "%d received" % S["received"] in out, out
    # The broker goes away: the daemon answers that it is not healthy.
    d, broker = S["d"], S["env"].broker
    broker.stop()
    wait_for(lambda: not d.status()["healthy"], 30, "an unhealthy daemon")
    rc, out, _ = ctl("status")
    assert rc == 1 and "UNHEALTHY: broker disconnected" in out and \
        "mqtt: NOT connected" in out, (rc, out)
    broker.start()
    wait_for(lambda: d.status()["healthy"], 30, "the daemon to reconnect")


def test_usage_errors():
    bad = [["report"], ["report", "--day", "2023-13-01"],
           ["report", "--day", DAY, "--month", "2023-08"],
           ["report", "--from", DAY], ["report", "--from", NEXT_DAY,
                                        "--to", DAY],
           ["report", "--month", "2023-8"], ["report", "--bogus"],
           ["report", "--day", DAY, "--format", "xml"],
           ["manifest"], ["manifest", "A", "B"], ["vehicle"],
           ["vehicle", "吉A10001", "--day", "yesterday"],
           ["rejects", "--since", "soon"], ["rejects", "--samples", "-1"],
           ["check", "extra"], ["status", "now"], ["nosuchcommand"], []]
    for args in bad:
        rc, out, err = ctl(*args)
        assert rc == 64, (args, rc, out, err)
        assert "usage: wastetrackctl" in err, (args, err)
    for cmd in ["status", "report", "manifest", "vehicle", "rejects",
                "check", "backup", "replay"]:
        rc, out, _ = ctl(cmd, "--help")
        assert rc == 0 and out.startswith(
            "usage: wastetrackctl [-c FILE] %s" % cmd), (cmd, out)
        assert "Exit status" in out, out
    p = subprocess.run([CTL, "-c", "/nonexistent/wt.yaml", "report", "--day",
                        DAY], capture_output=True)
    assert p.returncode == 78, p


def test_daemon_stopped():
    env = S["env"]
    assert env.daemon.stop() == 0
    # No daemon: status reads the database, says so, exits 69.
    rc, out, _ = ctl("status")
    assert rc == 69 and "does not answer" in out and \
        "figures from the database" in out, (rc, out)
    # The same reads without a daemon. The daemon's close removed its
    # -wal and -shm; a reader must not make them again (root's would lock
    # the service user out of its own database): the file is read as
    # immutable.
    d = S["d"]
    logs = [d.db + "-wal", d.db + "-shm"]
    assert not any(os.path.exists(f) for f in logs)
    assert ctl("report", "--day", DAY, "--format", "csv",
               check=0)[1] == csv_text(report_rows_7th())
    assert ctl("check", "--format", "json", check=0)
    assert not any(os.path.exists(f) for f in logs), os.listdir(env.dir)
    # A reader that may not write the directory (a member of the service
    # group, here nobody) reads it too.
    if d.store.get("backend") == "postgresql":
        print("test_daemon_stopped: on PostgreSQL, no reader as nobody: "
              "what a reader may read is its role's (the password file, "
              "root's here), not a database file's mode")
    elif os.geteuid() == 0 and shutil.which("setpriv"):
        os.chmod(env.dir, 0o755)
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                            "--clear-groups", CTL, "-c", d.conf, "report",
                            "--day", DAY, "--format", "csv"],
                           capture_output=True, timeout=60 * TIMEOUT_SCALE)
        assert p.returncode == 0, p
        assert p.stdout.decode() == csv_text(report_rows_7th())
        os.chmod(env.dir, 0o700)


def test_check_damaged():
    d = S["d"]
    if d.store.get("backend") == "postgresql":
        print("test_check_damaged: skipped on PostgreSQL: it damages the "
              "SQLite file (its meta rows, PRAGMA application_id) with "
              "sqlite3")
        S["env"].__exit__(None, None, None)
        S["env"] = None
        return
    # The committed spool position moved past the end of its segment, as
    # a database restored beside a spool that never had those bytes.
    seg, off = [int(v) for v, in sqlite3.connect(d.db).execute(
        "SELECT value FROM meta WHERE key IN ('spool_seg', 'spool_off')"
        " ORDER BY key")]
    con = sqlite3.connect(d.db)
    with con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'spool_off'",
                    (off + 10 ** 9,))
    con.close()
    rc, out, _ = ctl("check", "--format", "json")
    doc = json.loads(out)
    assert rc == 1, (rc, out)
    assert "ahead of the spool" in doc["spool"]["status"], doc["spool"]
    assert doc["integrity"] == [{"result": "ok"}]
    # And a spool that belongs to another database.
    con = sqlite3.connect(d.db)
    with con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'spool_off'",
                    (off,))
    con.close()
    with open(d.db + ".spool/database-id", "w") as f:
        f.write("0123456789abcdef0123456789abcdef\n")
    rc, out, _ = ctl("check", "--format", "json")
    assert rc == 1 and "another database" in \
        json.loads(out)["spool"]["status"], out
    assert seg >= 1
    # The application id (the spool's owner file gone: the spool is
    # judged by the position alone): wastetrack's ("WTRK") is fine,
    # another program's file is not ours.
    for app_id, rc_want in ((0x5754524B, 0), (42, 1)):
        con = sqlite3.connect(d.db)
        con.execute("PRAGMA application_id = %d" % app_id)
        con.close()
        if os.path.exists(d.db + ".spool/database-id"):
            os.unlink(d.db + ".spool/database-id")
        rc, out, _ = ctl("check", "--format", "json")
        schema = json.loads(out)["schema"]
        assert (rc, schema["application_id"]) == (rc_want, app_id), out
        assert ("not a database of wastetrackd" in schema["status"]) == \
            bool(rc_want), schema
    S["env"].__exit__(None, None, None)
    S["env"] = None


if __name__ == "__main__":
    run([test_build_database, test_report_day_csv,
         test_report_range_and_month_json, test_report_table_aligned,
         test_manifest, test_vehicle, test_rejects, test_check_good,
         test_while_ingesting, test_status, test_usage_errors,
         test_daemon_stopped, test_check_damaged])
