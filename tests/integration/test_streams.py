#!/usr/bin/python3
"""The streams of issue 14 through a real broker and the real daemon.

A small city on the local day 2023-08-07 (+08:00) with registries of
generators and vehicles: where each tonne of household waste came from
(origin attribution, the city-wide row 全市, and the flag on tonnes that
fall back to the facility's district), clinics' pickups, agricultural
collection points, a transfer station's stock carried over three days,
and an incinerator whose furnace temperature drops. Then a generator is
added to the configuration and the daemon reloads it on SIGHUP. Every
expected figure is worked out by hand in the comment above it.
"""

import json
import shutil
import signal
import time

from harness import (Broker, Daemon, Env, make_dir, publish_counted, run,
                     wait_for)

D, D1, D2 = "2023-08-07", "2023-08-08", "2023-08-09"
CY, NG, LY, KC, ED, SY, JT = ("朝阳区", "南关区", "绿园区", "宽城区",
                              "二道区", "双阳区", "九台区")
CITY = "全市"

REGISTRIES = """facilities:
  - {id: INC-CY, kind: incinerator, district: 朝阳区, harmless: true,
     alarms: {furnace_temp_c: {min: 850, severity: critical},
              load_pct: {max: 95}},
     alarm_after_s: 60, silent_after_s: 600}
  - {id: KWP-NG, kind: food_waste_plant, district: 南关区, harmless: true}
  - {id: TS-LY, kind: transfer_station, district: 绿园区,
     clear_threshold_kg: 500}
  - {id: HW-LY, kind: hw_facility, district: 绿园区, harmless: true}
generators:
  - {id: RES-KC, kind: residential, district: 宽城区}
  - {id: MKT-ED, kind: market, district: 二道区}
  - {id: CL-NG-1, kind: clinic, district: 南关区}
  - {id: CL-CY-1, kind: clinic, district: 朝阳区, max_pickup_interval_h: 24}
  - {id: FF-SY-1, kind: farm_film_point, district: 双阳区}
  - {id: PP-SY-1, kind: pesticide_pack_point, district: 双阳区}
  - {id: MN-JT-1, kind: manure_plant, district: 九台区}
vehicles:
  - {plate: "吉A11111", fleet: 宽城区环卫, kind: compactor, district: 宽城区,
     waste: ["msw.*"]}
"""
ADDED = "  - {id: CL-KC-2, kind: clinic, district: 宽城区}\n"


def t(hhmm, day=D):
    return "%sT%s:00+08:00" % (day, hhmm)


def weighing(fac, ticket, plate, direction, net, first, waste, day=D):
    p = {"ticket": ticket, "plate": plate, "direction": direction,
         "gross_kg": net + 10000, "tare_kg": 10000, "net_kg": net,
         "first_ts": t(first, day), "waste": waste, "status": "complete",
         "version": 1}
    return ("wt/v1/facilities/%s/weighings" % fac,
            json.dumps(p, ensure_ascii=False))


def load(vehicle, plate, site, mass, hhmm, waste, day=D, count=None,
         unit=None):
    p = {"type": "load", "ts": t(hhmm, day), "plate": plate, "site": site,
         "waste": waste, "mass_kg": mass}
    if count is not None:
        p.update(count=count, count_unit=unit)
    return ("wt/v1/vehicles/%s/events" % vehicle,
            json.dumps(p, ensure_ascii=False))


def status(fac, ts_ms, temp, load_pct):
    p = {"ts": ts_ms, "state": "running", "furnace_temp_c": temp,
         "load_pct": load_pct}
    return ("wt/v1/facilities/%s/status" % fac, json.dumps(p))


def clinic_manifest(no, code, district, hhmm):
    p = {"scheme": "CN_HW", "status": "in_transit", "version": 1,
         "ts": t(hhmm), "plate": "吉A40002",
         "generator": {"code": code, "district": district},
         "receiver": {"facility": "HW-LY"},
         "lines": [{"line": 1, "waste_code": "841-001-01", "waste": "mw",
                    "qty": 30, "unit": "kg"}]}
    return ("wt/v1/manifests/%s" % no, json.dumps(p, ensure_ascii=False))


S = {"env": None, "d": None, "received": 0}


class StreamsEnv(Env):
    def __init__(self):
        self.dir = make_dir("wt-streams-")
        self.broker = Broker(self.dir).start()
        self.daemon = Daemon(self.dir, self.broker.port, extra=REGISTRIES,
                             facilities=False)
        self.ok = False


def publish(msgs):
    d = S["d"]
    publish_counted(S, msgs)
    assert d.query("SELECT topic, reason, detail FROM rejects") == []


def check(actual, expected, what):
    def same(a, e):
        if isinstance(e, (tuple, list)):
            return (isinstance(a, (tuple, list)) and len(a) == len(e) and
                    all(same(x, y) for x, y in zip(a, e)))
        if isinstance(e, float) and isinstance(a, (int, float)):
            return abs(a - e) < 1e-6
        return a == e
    assert same(actual, expected), "%s:\n  got      %r\n  expected %r" % (
        what, actual, expected)


def test_start():
    env = StreamsEnv()
    S["env"] = env
    S["d"] = env.daemon.start()
    d = S["d"]
    check(d.query("SELECT id, district, max_pickup_interval_h FROM"
                  " generators WHERE kind = 'clinic' ORDER BY id"),
          [("CL-CY-1", CY, 24), ("CL-NG-1", NG, 48)], "clinics registered")
    check(d.query("SELECT plate, district, waste FROM vehicle_registry"),
          [("吉A11111", KC, '["msw.*"]')], "vehicle registry")


# Origins on D:
#   吉A10001 loads 2000 kg at RES-KC (宽城区) and 2000 kg at MKT-ED
#     (二道区), then weighs 5000 kg of food waste in at KWP-NG: shared by
#     loaded mass, 2500 each (source 'generator').
#   吉A11111 weighs 4000 in at INC-CY, no load: its registered service
#     district 宽城区 ('vehicle').
#   吉A10002 weighs 3000 in at INC-CY, nothing known: the facility's
#     朝阳区 ('facility', the flag).
#   The station TS-LY takes 2500 + 1500 in; 吉A20001 takes 3600 out and
#     weighs it in at INC-CY: counted once, at INC-CY ('facility' again).
ORIGINS = [
    load("V1", "吉A10001", "RES-KC", 2000, "07:30", "msw.food"),
    load("V1", "吉A10001", "MKT-ED", 2000, "08:00", "msw.food"),
    weighing("KWP-NG", "K1", "吉A10001", "in", 5000, "09:00", "厨余垃圾"),
    weighing("INC-CY", "I1", "吉A11111", "in", 4000, "10:00", "其他垃圾"),
    weighing("INC-CY", "I2", "吉A10002", "in", 3000, "11:00", "其他垃圾"),
    weighing("TS-LY", "S1", "吉A30001", "in", 2500, "07:00", "其他垃圾"),
    weighing("TS-LY", "S2", "吉A30002", "in", 1500, "08:00", "其他垃圾"),
    weighing("TS-LY", "S3", "吉A20001", "out", 3600, "13:00", "其他垃圾"),
    weighing("INC-CY", "I3", "吉A20001", "in", 3600, "14:00", "其他垃圾"),
]


def test_origins():
    d = S["d"]
    publish(ORIGINS)
    check(d.query("SELECT facility, origin_district, origin_source, kg"
                  " FROM ticket_origins WHERE day = ? AND direction = 'in'"
                  " AND facility <> 'TS-LY'"
                  " ORDER BY ticket_id, origin_district", (D,)),
          [("KWP-NG", ED, "generator", 2500.0),
           ("KWP-NG", KC, "generator", 2500.0),
           ("INC-CY", KC, "vehicle", 4000.0),
           ("INC-CY", CY, "facility", 3000.0),
           ("INC-CY", CY, "facility", 3600.0)], "ticket origins")
    # daily_collected (collected, recycled, harmless, fallback):
    #   二道区 2500, food at a food-waste plant: recycled 2500, harmless
    #   宽城区 2500 + 4000 = 6500, recycled 2500, harmless 6500
    #   朝阳区 3000 + 3600 = 6600, harmless, all of it by the facility
    #   全市   15600 = KWP 5000 + INC 10600 (TS-LY's 4000 in: not counted),
    #          recycled 5000, harmless 15600, fallback 6600
    check(d.query("SELECT district, collected_kg, recycled_kg, harmless_kg,"
                  " fallback_kg FROM daily_collected WHERE day = ?"
                  " ORDER BY district", (D,)),
          [(ED, 2500.0, 2500.0, 2500.0, 0.0),
           (CITY, 15600.0, 5000.0, 15600.0, 6600.0),
           (KC, 6500.0, 2500.0, 6500.0, 0.0),
           (CY, 6600.0, 0.0, 6600.0, 6600.0)], "daily_collected by origin")
    # Indicators: 全市 recycling 5000 / 15600 = 0.320513, harmless 1.0,
    # clearance TS-LY 2500 + 1500 - 3600 = 400 <= 500: 1.0 (全市 and
    # 绿园区, where nothing was collected).
    check(d.query("SELECT district, collected_kg, recycling_rate,"
                  " harmless_rate, clearance_rate FROM daily_indicators"
                  " WHERE day = ? AND district IN (?, ?, ?)"
                  " ORDER BY district", (D, CITY, KC, LY)),
          [(CITY, 15600.0, 5000 / 15600, 1.0, 1.0),
           (KC, 6500.0, 2500 / 6500, 1.0, None),
           (LY, 0.0, None, None, 1.0)], "indicators with 全市")


# TS-LY, threshold 500 kg, stock carried from day to day:
#   D    0    + 4000 - 3600 = 400   cleared
#   D+1  400  +  900        = 1300  not cleared
#   D+2  1300        - 1300 = 0     cleared
def test_station_carry_over():
    d = S["d"]
    publish([
        weighing("TS-LY", "S4", "吉A30001", "in", 900, "09:00", "其他垃圾",
                 day=D1),
        weighing("TS-LY", "S5", "吉A20001", "out", 1300, "10:00", "其他垃圾",
                 day=D2),
    ])
    check(d.query("SELECT day, opening_kg, in_kg, out_kg, closing_kg,"
                  " cleared FROM daily_station_clearance"
                  " WHERE facility = 'TS-LY' ORDER BY day"),
          [(D, 0, 4000.0, 3600.0, 400.0, 1),
           (D1, 400.0, 900.0, 0.0, 1300.0, 0),
           (D2, 1300.0, 0.0, 1300.0, 0.0, 1)], "station stock")
    check(d.query("SELECT district, clearance_rate FROM daily_indicators"
                  " WHERE day = ? ORDER BY district", (D1,)),
          [(CITY, 0.0), (LY, 0.0)], "clearance on D+1")


# Clinics: CL-NG-1 (南关区, 48 h) picked up by a load at D 10:00 and D+2
# 09:00; CL-CY-1 (朝阳区, 24 h) by a manifest departing D 08:00.
#   D   (ends D+1 00:00): CL-NG-1 14 h, CL-CY-1 16 h: both served.
#   D+2 (ends D+3 00:00): CL-NG-1 15 h, served; CL-CY-1 64 h: not.
# Containers: the D 10:00 load counts 3 boxes (15 kg stays the mass):
# 3 boxes for 南关区 and 全市 on D; nothing counted anywhere else.
def test_clinics():
    d = S["d"]
    publish([
        load("MW1", "吉A40001", "CL-NG-1", 15, "10:00", "mw", count=3,
             unit="box"),
        clinic_manifest("MW-CY-1", "CL-CY-1", CY, "08:00"),
        load("MW1", "吉A40001", "CL-NG-1", 12, "09:00", "mw", day=D2),
    ])
    check(d.query("SELECT day, district, clinics, served FROM"
                  " daily_clinic_pickups ORDER BY day, district"),
          [(D, CITY, 2, 2), (D, NG, 1, 1), (D, CY, 1, 1),
           (D2, CITY, 2, 1), (D2, NG, 1, 1), (D2, CY, 1, 0)],
          "daily_clinic_pickups")
    check(d.query("SELECT day, district, containers, container_unit FROM"
                  " daily_clinic_pickups ORDER BY day, district"),
          [(D, CITY, 3, "box"), (D, NG, 3, "box"), (D, CY, None, None),
           (D2, CITY, None, None), (D2, NG, None, None),
           (D2, CY, None, None)], "containers at clinics")
    check(d.query("SELECT mass_kg, count, count_unit FROM vehicle_events"
                  " WHERE site = 'CL-NG-1' ORDER BY ts_ms"),
          [(15.0, 3, "box"), (12.0, None, None)], "stored counts")


# Agriculture on D: FF-SY-1 farm film 300 + 250 kg; PP-SY-1 pesticide
# packaging 40 kg; straw 1000 kg at ST-X, not registered (no district).
# Points: 双阳区 2 registered, 2 active; 九台区 MN-JT-1, never: 1, 0.
def test_agri():
    d = S["d"]
    publish([
        load("AG1", "吉A60001", "FF-SY-1", 300, "09:00", "农膜"),
        load("AG1", "吉A60001", "FF-SY-1", 250, "11:00", "废旧农膜"),
        load("AG2", "吉A60002", "PP-SY-1", 40, "10:00", "农药包装废弃物"),
        load("AG3", "吉A60003", "ST-X", 1000, "12:00", "秸秆"),
    ])
    check(d.query("SELECT district, point, category, kg, loads FROM"
                  " daily_agri WHERE day = ? ORDER BY point", (D,)),
          [(SY, "FF-SY-1", "agri.film", 550.0, 2),
           (SY, "PP-SY-1", "agri.pesticide_pack", 40.0, 1),
           (None, "ST-X", "agri.straw", 1000.0, 1)], "daily_agri")
    check(d.query("SELECT district, points, active_points FROM"
                  " daily_agri_points WHERE day = ? ORDER BY district",
                  (D,)),
          [(JT, 1, 0), (SY, 2, 2)], "agri points")


# INC-CY's furnace falls below 850 °C for the last 3 minutes (now), and
# its load stays within 95 %: the readings the facility_alarm rule reads
# are stored, member by member, with the thresholds.
def test_facility_alarm():
    d = S["d"]
    now = int(time.time() * 1000)
    publish([status("INC-CY", now - m * 60000, temp, 80)
             for m, temp in ((5, 900), (3, 840), (2, 830), (1, 820))])
    check(d.query("SELECT json_extract(extra, '$.furnace_temp_c') FROM"
                  " facility_status WHERE facility = 'INC-CY'"
                  " ORDER BY ts_ms"), [(900,), (840,), (830,), (820,)],
          "furnace readings")
    check(d.query("SELECT value, min, max, severity FROM facility_alarms"
                  " ORDER BY value"),
          [("furnace_temp_c", 850.0, None, "critical"),
           ("load_pct", None, 95.0, "warning")], "thresholds")
    check(d.query("SELECT alarm_after_s, silent_after_s FROM facilities"
                  " WHERE id = 'INC-CY'"), [(60, 600)], "alarm times")
    # The alarm opens: below 850 for more than 60 s, the report in force
    # 60 s ago (840 at -3 min) out of bounds; critical, as configured.
    wait_for(lambda: d.query(
        "SELECT severity FROM alerts WHERE kind = 'facility_alarm'"
        " AND subject = 'INC-CY/furnace_temp_c'"
        " AND resolved_ms IS NULL") == [("critical",)], 30,
        "the furnace alarm")


# A clinic added to the file is registered on SIGHUP, and a load there
# is attributed to its district from then on.
def test_reload():
    d = S["d"]
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("vehicles:\n", ADDED + "vehicles:\n"))
    d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: d.query("SELECT district FROM generators WHERE"
                             " id = 'CL-KC-2'") == [(KC,)], 20,
             "the added clinic")
    publish([load("MW2", "吉A40003", "CL-KC-2", 9, "15:00", "mw", day=D2)])
    check(d.query("SELECT site_district FROM vehicle_events WHERE"
                  " site = 'CL-KC-2'"), [(KC,)], "stamped district")
    # D+2: three clinics now; CL-KC-2 picked up at 15:00: served.
    check(d.query("SELECT district, clinics, served FROM"
                  " daily_clinic_pickups WHERE day = ? ORDER BY district",
                  (D2,)), [(CITY, 3, 2), (NG, 1, 1), (KC, 1, 1),
                           (CY, 1, 0)], "clinics after reload")


def test_stop():
    env = S["env"]
    assert env.daemon.stop() == 0
    env.broker.stop()
    shutil.rmtree(env.dir, ignore_errors=True)
    S["env"] = None


if __name__ == "__main__":
    run([test_start, test_origins, test_station_carry_over, test_clinics,
         test_agri, test_facility_alarm, test_reload, test_stop])
