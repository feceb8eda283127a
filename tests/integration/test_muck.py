#!/usr/bin/python3
"""Muck trucks through a real broker and the real daemon (docs/geofence.md):
a registry of two authorised construction-waste sites, a construction
site and, outside every fence, a field; five trucks with hand-written
tracks — an authorised night trip, a dump in the field, a daytime run, an
expired permit (explicit load and unload events), a truck with only a
dwell, confirmed by an empty weighing. The unloads, the violations, the
daily views, the alerts and /status are checked against figures worked out
by hand below; the same messages again and a restart change nothing.

The daemon's clock is set (WT_TEST_CLOCK_OFFSET_FILE) to 2026-12-08 09:00
local (+08:00), so that the day's events are recent for the alert rules,
whatever the time the test runs."""

import calendar
import json
import os
import shutil
import signal
import subprocess
import time

from harness import Env, Publisher, run, wait_for

NOW_MS = 1796691600000        # 2026-12-08T09:00:00+08:00
D, D1 = "2026-12-07", "2026-12-08"
CY, NG, KC, LY, SY = "朝阳区", "南关区", "宽城区", "绿园区", "双阳区"
CITY = "全市"
FIELD = (43.70, 125.10)

REGISTRY = """facilities:
  - {id: CW-A, name: "朝阳区建筑垃圾消纳场", kind: cw_disposal_site,
     district: "朝阳区", lat: 43.80, lon: 125.20,
     geofence: {radius_m: 300}, accepts: ["cw.*"]}
  - {id: CW-B, name: "宽城区建筑垃圾资源化厂", kind: cw_recycling,
     district: "宽城区", geofence: {polygon: [[43.900, 125.300],
       [43.900, 125.306], [43.904, 125.306], [43.904, 125.300]]},
     accepts: ["cw.demolition", "cw.renovation"]}
generators:
  - {id: CS-1, name: "南关区某工地", kind: construction_site,
     district: "南关区", lat: 43.85, lon: 125.25,
     geofence: {radius_m: 200}, permit_from: "2026-01-01",
     permit_to: "2026-12-31"}
vehicles:
  - {plate: "吉A11111", kind: muck_truck, district: "朝阳区",
     waste: ["cw.*"], permit_from: "2026-01-01", permit_to: "2027-12-31"}
  - {plate: "吉A22222", kind: muck_truck, district: "南关区",
     waste: ["cw.*"], permit_from: "2026-01-01", permit_to: "2027-12-31"}
  - {plate: "吉A33333", kind: muck_truck, district: "宽城区",
     waste: ["cw.*"], permit_from: "2026-01-01", permit_to: "2027-12-31"}
  - {plate: "吉A44444", kind: muck_truck, district: "绿园区",
     waste: ["cw.*"], permit_from: "2025-01-01", permit_to: "2026-06-30"}
  - {plate: "吉A55555", kind: muck_truck, district: "双阳区",
     waste: ["cw.*"], permit_from: "2026-01-01", permit_to: "2027-12-31"}
"""

# Added on SIGHUP: the field becomes a disposal site.
FIELD_SITE = """  - {id: CW-F, kind: cw_disposal_site, district: "双阳区",
     lat: 43.70, lon: 125.10, geofence: {radius_m: 100}, accepts: ["cw.*"]}
"""

EXTRA = """alerts:
  interval_s: 1
supervision:
  muck_hours: "22:00-06:00"
  unload_dwell_s: 120
"""


def ts(day, hm):
    return "%sT%s+08:00" % (day, hm if hm.count(":") == 2 else hm + ":00")


def ms(day, hm):
    """Epoch ms of local day and "HH:MM[:SS]" (+08:00)."""
    t = time.strptime("%s %s" % (day, hm if hm.count(":") == 2
                                 else hm + ":00"), "%Y-%m-%d %H:%M:%S")
    return (calendar.timegm(t) - 8 * 3600) * 1000


def pos(v, plate, day, hm, lat, lon, speed, load=None):
    p = {"ts": ts(day, hm), "lat": lat, "lon": lon, "plate": plate,
         "speed_kmh": speed}
    if load is not None:
        p["load_state"] = load
    return ("wt/v1/vehicles/%s/position" % v, json.dumps(p))


def event(v, plate, day, typ, hm, **kw):
    e = dict(type=typ, ts=ts(day, hm), plate=plate, **kw)
    return ("wt/v1/vehicles/%s/events" % v, json.dumps(e))


def weighing(fac, ticket, plate, day, first, second, gross, tare, waste):
    w = {"ticket": ticket, "plate": plate, "direction": "in",
         "gross_kg": gross, "tare_kg": tare, "net_kg": gross - tare,
         "first_ts": ts(day, first), "second_ts": ts(day, second),
         "waste": waste, "status": "complete"}
    return ("wt/v1/facilities/%s/weighings" % fac, json.dumps(w))


def messages():
    m = []
    # V1: loads at CS-1 at night (its load state rises inside the
    # fence: the origin is CS-1), unloads at CW-A: authorised. Then a
    # 60 km jump in 10 s: a speed outlier, flagged on the stored row.
    a = ("V1", "吉A11111", D)
    m += [pos(*a, "22:30", 43.85, 125.25, 0, "empty"),
          pos(*a, "22:40", 43.8501, 125.2501, 0, "full"),
          pos(*a, "22:50", 43.83, 125.23, 40, "full"),
          pos(*a, "23:00", 43.80, 125.20, 0, "full"),
          pos(*a, "23:05", 43.8001, 125.2001, 0, "empty"),
          pos(*a, "23:15", 43.81, 125.21, 35, "empty"),
          pos(*a, "23:15:10", 44.30, 125.70, 35, "empty"),
          pos(*a, "23:15:20", 43.8101, 125.2101, 35, "empty")]
    # V2: loads at CS-1, empties in the field after midnight.
    a = ("V2", "吉A22222", D)
    b = ("V2", "吉A22222", D1)
    m += [pos(*a, "23:30", 43.85, 125.25, 0, "empty"),
          pos(*a, "23:40", 43.85, 125.25, 0, "full"),
          pos(*a, "23:55", 43.78, 125.18, 45, "full"),
          pos(*b, "00:10", *FIELD, 0, "full"),
          pos(*b, "00:15", *FIELD, 0, "empty"),
          pos(*b, "00:25", 43.71, 125.11, 30, "empty")]
    # V3: the same trip by day: moving loaded at 14:20, outside
    # 22:00-06:00; the unload at CW-A is authorised all the same.
    a = ("V3", "吉A33333", D)
    m += [pos(*a, "14:00", 43.85, 125.25, 0, "empty"),
          pos(*a, "14:10", 43.85, 125.25, 0, "full"),
          pos(*a, "14:20", 43.83, 125.23, 40, "full"),
          pos(*a, "14:30", 43.80, 125.20, 0, "full"),
          pos(*a, "14:35", 43.80, 125.20, 0, "empty")]
    # V4: permit ended 2026-06-30; explicit load at CS-1 and unload at
    # CW-B (which takes demolition waste), at night, weighed at CW-B.
    a = ("V4", "吉A44444", D)
    m += [event(*a, "load", "22:00", site="CS-1", waste="cw.demolition",
                mass_kg=12000),
          pos(*a, "22:05", 43.85, 125.25, 30),
          pos(*a, "22:30", 43.902, 125.303, 0),
          weighing("CW-B", "T-4", "吉A44444", D, "22:32", "22:40",
                   26000, 14000, "cw.demolition"),
          event(*a, "unload", "22:35", facility="CW-B",
                waste="cw.demolition", lat=43.902, lon=125.303),
          pos(*a, "22:45", 43.91, 125.31, 30)]
    # V5: no load state, no events: a 5-minute stop in the field, then
    # an empty weighing at CW-A confirms it was an unload.
    a = ("V5", "吉A55555", D)
    m += [pos(*a, "15:00", 43.705, 125.105, 30),
          pos(*a, "15:01", *FIELD, 0),
          pos(*a, "15:05", 43.70001, 125.10001, 0),
          pos(*a, "15:06", 43.705, 125.105, 25),
          weighing("CW-A", "T-5", "吉A55555", D, "16:00", "16:05",
                   14000, 14000, "cw.engineering")]
    return m


# (vehicle, how, state, day, site, origin district, authorised, muck)
UNLOADS = [
    ("V1", "load_state", "unload", D, "CW-A", NG, 1, 1),
    ("V2", "load_state", "unload", D1, None, NG, 0, 1),
    ("V3", "load_state", "unload", D, "CW-A", NG, 1, 1),
    ("V4", "event", "unload", D, "CW-B", NG, 1, 1),
    # No origin known: the vehicle's district.
    ("V5", "dwell", "unload", D, None, SY, 0, 1),
]

# daily_muck: (day, district, trips, authorised, unauthorised, night,
# permit). Unloads by origin district (CS-1's 南关区 for V1-V4);
# violations by the vehicle's district.
MUCK_ROWS = [
    (D, KC, 0, 0, 0, 1, 0),      # V3's daytime run
    (D, NG, 3, 3, 0, 0, 0),      # V1, V3 at CW-A, V4 at CW-B
    (D, SY, 1, 0, 1, 0, 0),      # V5's dwell in the field
    (D, LY, 0, 0, 0, 0, 1),      # V4's expired permit
    (D, CITY, 4, 3, 1, 1, 1),
    (D1, NG, 1, 0, 1, 0, 0),     # V2's dump, 00:15 on the 8th
    (D1, CITY, 1, 0, 1, 0, 0),
]


def expected_alerts():
    return [
        ("night_window", "吉A33333/" + D, KC),
        ("permit", "吉A44444", LY),
        ("unauthorised_unload", "吉A22222@%d" % ms(D1, "00:15"), NG),
        ("unauthorised_unload", "吉A55555@%d" % ms(D, "15:06"), SY),
    ]


def check_rows(d):
    got = d.query("SELECT vehicle, how, state, day, site, district,"
                  " authorised, muck FROM unloads ORDER BY vehicle")
    assert got == UNLOADS, got
    got = d.query("SELECT day, district, trips, authorised_unloads,"
                  " unauthorised_unloads, night_window_violations,"
                  " permit_violations FROM daily_muck"
                  " ORDER BY day, district = '全市', district")
    assert got == sorted(MUCK_ROWS, key=lambda r: (r[0], r[1] == CITY,
                                                   r[1])), got
    # City-wide, every unload: 7th 4 (V1, V3, V4 authorised, V5 not),
    # 8th 1 (V2, not).
    got = d.query("SELECT * FROM daily_unloads ORDER BY day")
    assert got == [(D, 4, 3), (D1, 1, 0)], got
    # 3 of the 7th's 4 unloads authorised, on every indicator row of the
    # day: the weighings at CW-A (朝阳区) and CW-B (宽城区) make them.
    got = d.query("SELECT district, authorised_unload_share"
                  " FROM daily_indicators WHERE day = ? ORDER BY district",
                  (D,))
    assert got == [(CITY, 0.75), (KC, 0.75), (CY, 0.75)], got
    # Construction waste by origin site: T-4 came from CS-1 (V4's load
    # event); T-5 from nowhere known (V5 loaded nowhere we saw).
    got = d.query("SELECT day, district, site, kg, tickets"
                  " FROM daily_cw_origins ORDER BY site IS NULL, site")
    assert got == [(D, NG, "CS-1", 12000.0, 1), (D, None, None, 0.0, 1)], \
        got
    got = d.query("SELECT kind, subject, reason, district"
                  " FROM muck_violations ORDER BY kind")
    assert got == [("night_window", "吉A33333/" + D, "", KC),
                   ("permit", "吉A44444", "expired", LY)], got
    # Only V1's jump is an outlier (SPEED_OUTLIER, 256).
    got = d.query("SELECT vehicle, ts_ms FROM positions"
                  " WHERE (dq_flags & 256) <> 0")
    assert got == [("V1", ms(D, "23:15:10"))], got


def check_alerts(d):
    got = d.query("SELECT kind, subject, district FROM alerts"
                  " WHERE resolved_ms IS NULL ORDER BY kind, subject")
    assert got == expected_alerts(), got
    assert d.count("alerts") == 4, d.query("SELECT * FROM alerts")
    ev = json.loads(d.query("SELECT evidence FROM alerts WHERE subject"
                            " LIKE '吉A22222@%'")[0][0])
    # The track: V2's 5 fixes up to the empty one and the one after.
    assert ev["how"] == "load_state" and ev["site"] is None, ev
    assert [p[0] for p in ev["track"]] == [
        ms(D, "23:30"), ms(D, "23:40"), ms(D, "23:55"), ms(D1, "00:10"),
        ms(D1, "00:15"), ms(D1, "00:25")], ev
    assert ev["origin"] == "CS-1" and ev["lat"] == FIELD[0], ev


# The muck module's counters after the day, once (docs/http.md):
# unloads written V1, V2, V3 (load state) and V4 (event); V5's dwell a
# candidate; V1's jump the one outlier; V3's night window and V4's
# permit the violations; five vehicles tracked, none refused.
MUCK_COUNTERS = {"vehicles": 5, "unloads": 4, "candidates": 1, "merged": 0,
                 "outliers": 1, "violations": 2, "untracked": 0,
                 "evicted": 0}


def check_counters(d):
    got = wait_for(lambda: d.status()["ingest"].get("muck")
                   if d.status()["ingest"].get("muck", {}).get("unloads")
                   == 4 else None, 20, "/status to show ingest.muck")
    assert got == MUCK_COUNTERS, got
    code, metrics = d.http("/metrics")
    assert code == 200, code
    for k, v in MUCK_COUNTERS.items():
        name = ("wastetrack_muck_vehicles" if k == "vehicles"
                else "wastetrack_muck_%s_total" % k)
        assert "\n%s %d\n" % (name, v) in metrics, (name, metrics)
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr
    else:
        print("  (promtool not installed: metrics checked by hand only)")


def test_muck():
    msgs = messages()
    with Env("muck", extra=EXTRA, include=["muck-registry.yaml"]) as env:
        with open(os.path.join(env.dir, "muck-registry.yaml"), "w") as f:
            f.write(REGISTRY)
        offset = os.path.join(env.dir, "clock-offset")
        off = NOW_MS - int(time.time() * 1000)
        with open(offset, "w") as f:
            f.write("%d\n" % off)
        denv = dict(os.environ, WT_TEST_CLOCK_OFFSET_FILE=offset)
        d = env.daemon.start(env=denv)
        pub = Publisher(env.broker.port)
        pub.publish_all(msgs)
        wait_for(lambda: d.status()["ingest"]["received"] >= len(msgs), 30,
                 "the messages taken")
        assert d.count("rejects") == 0, d.query("SELECT * FROM rejects")
        check_rows(d)
        check_counters(d)
        wait_for(lambda: d.count("alerts") >= 4, 30, "the alerts")
        check_alerts(d)
        # /status: today is the 8th for the daemon: V2's dump.
        wait_for(lambda: d.status()["city"]["muck"]["trips"] == 1, 20,
                 "the city block")
        assert d.status()["city"]["muck"] == {
            "trips": 1, "authorised_unloads": 0, "unauthorised_unloads": 1,
            "night_window_violations": 0, "permit_violations": 0}
        # The city thread refreshes about once a second after a change.
        st = wait_for(lambda: d.status()["alerts"]["open_by_kind"]
                      if d.status()["alerts"]["open"] == 4 else None, 20,
                      "/status to show the alerts")
        assert st["unauthorised_unload"] == 2 and st["permit"] == 1, st
        assert st["night_window"] == 1, st

        # The same messages again: duplicates, nothing new.
        before = d.status()["ingest"]["duplicates"]
        pub.publish_all(msgs)
        wait_for(lambda: d.status()["ingest"]["duplicates"]
                 >= before + len(msgs), 30, "the redelivered messages")
        # A restart, then a few of the tracks' positions once more as
        # new messages (a vendor resending them with another member
        # order): the tracks start afresh and find the same unloads.
        d.stop()
        d.start(env=denv)
        again = [(t, json.dumps(json.loads(p), sort_keys=True,
                                separators=(",", ":")))
                 for t, p in msgs if "/V2/" in t or "/V5/" in t]
        pub.publish_all(again)
        wait_for(lambda: d.status()["ingest"]["received"] >= len(again),
                 30, "the resent messages")
        t = int(time.time() * 1000) + off
        wait_for(lambda: d.status()["alerts"]["synced_ms"] > t, 30,
                 "a sync after them")
        check_rows(d)
        check_alerts(d)

        # SIGHUP with a disposal site drawn around the field: the fences
        # are swapped with the configuration. V1's next dump there, at
        # 01:30 on the 8th, is authorised; V2's, stored before, keeps
        # the answer of its time.
        with open(os.path.join(env.dir, "muck-registry.yaml"), "w") as f:
            f.write(REGISTRY.replace("generators:\n",
                                     FIELD_SITE + "generators:\n"))
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: d.count("facilities", "id = 'CW-F'") == 1, 20,
                 "the reloaded registry")
        a = ("V1", "吉A11111", D1)
        pub.publish_all([pos(*a, "01:00", 43.85, 125.25, 0, "full"),
                         pos(*a, "01:20", 43.71, 125.11, 40, "full"),
                         pos(*a, "01:25", *FIELD, 0, "full"),
                         pos(*a, "01:30", *FIELD, 0, "empty"),
                         pos(*a, "01:40", 43.71, 125.11, 30, "empty")])
        got = wait_for(lambda: d.query(
            "SELECT site, authorised, district, origin FROM unloads"
            " WHERE vehicle = 'V1' AND ts_ms = ?", (ms(D1, "01:30"),)),
            20, "V1's second unload")
        assert got == [("CW-F", 1, NG, "CS-1")], got
        got = d.query("SELECT site, authorised FROM unloads"
                      " WHERE vehicle = 'V2'")
        assert got == [(None, 0)], got
        pub.close()


if __name__ == "__main__":
    run([test_muck])
