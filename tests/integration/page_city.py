"""A small city with figures known by hand, for the operator page's tests
(test_page.py) and its benchmark (tools/bench/page).

The daemon's wall clock is set (WT_TEST_CLOCK_OFFSET_FILE, lib/clock.c)
to 16:00 local (+08:00) on DAY, so "today" is DAY whatever the real date
and the trucks' positions are minutes old by the daemon's clock. Two
districts, seven facilities with positions and fences, yesterday and
today's tickets, two hazardous-waste manifests (one ok, one 20 % short)
and three trucks.

The figures the page must show, worked out from the tickets below
(collected = household waste at final facilities, by the facility's
district since nothing registers an origin; docs/indicators.md):

  朝阳区: collected I-1 8000 + K-1 4000 = 12000 kg (12.0 t);
          recycled K-1 4000 (food at a food-waste plant) -> 4000/12000
          = 33.3 %; harmless 12000/12000 = 100.0 %;
          manifests HW-OK (generator in 朝阳区), closed -> closure 1/1
          = 100.0 %, discrepancy 0/1 = 0.0 %, overdue 0;
          station TS-CY in 4000, out 0 -> 4000 kg left > 1000 kg
          threshold: not cleared -> clearance 0/1 = 0.0 %.
  南关区: collected L-1 5000 + R-1 3000 = 8000 kg (8.0 t);
          recycled R-1 3000 -> 37.5 %; harmless L-1 5000 -> 62.5 %;
          HW-DISC (generator in 南关区) received, not closed -> closure
          0/1 = 0.0 %, discrepancy 1/1 = 100.0 %, overdue 0;
          station TS-NG in 6000, out 5500 -> 500 kg <= 1000 kg:
          cleared -> clearance 100.0 %.
  全市:   collected 20000 kg (20.0 t); recycled 7000 -> 35.0 %;
          harmless 17000 -> 85.0 %; closure 1/2 = 50.0 %; discrepancy
          1/2 = 50.0 %; clearance 1 of 2 stations = 50.0 %.
  By class (transfer stations excluded): 其他垃圾 I-1 8000 + L-1 5000
          = 13.0 t, 厨余垃圾 4.0 t, 可回收物 3.0 t, 危险废物 H-1 1000 +
          H-2 800 = 1.8 t.
  Yesterday (the trend's second point): I-0 5000 + K-0 2500 = 7500 kg
          collected, recycled 2500 -> 33.3 %.
  HW-DISC: 1.0 t declared, H-2 weighed 9800 - 9000 = 800 kg ->
          (800 - 1000) / 1000 = -20 % beyond 10 %: discrepancy.
  HW-OK:   1.0 t declared, H-1 10000 - 9000 = 1000 kg -> 0 %: ok.
"""

import calendar
import json
import os
import time

from harness import Broker, Daemon, Env, make_dir, publish_counted, wait_for

DAY = "2026-06-15"
YESTERDAY = "2026-06-14"
CY, NG, CITY = "朝阳区", "南关区", "全市"
# The daemon's "now": 16:00 local on DAY, as UTC epoch ms.
NOW_MS = (calendar.timegm(time.strptime(DAY + " 08:00", "%Y-%m-%d %H:%M"))
          * 1000)
RECYCLING_TARGET = 0.4025   # page.recycling_target's default

FACILITIES = [
    # id, kind, district, harmless, name, lat, lon, fence
    ("INC-CY", "incinerator", CY, True, "朝阳区生活垃圾焚烧发电厂",
     43.905, 125.290, "{radius_m: 300}"),
    ("KWP-CY", "food_waste_plant", CY, True, "朝阳区厨余垃圾处理厂",
     43.885, 125.360, "{radius_m: 250}"),
    ("TS-CY", "transfer_station", CY, None, "朝阳区红旗中转站",
     43.875, 125.310, "{radius_m: 150}"),
    ("LF-NG", "sanitary_landfill", NG, True, "南关区卫生填埋场",
     43.8305, 125.390, "{polygon: [[43.828, 125.386], [43.828, 125.394],"
     " [43.833, 125.394], [43.833, 125.386]]}"),
    ("RC-NG", "recycling_center", NG, False, "南关区再生资源分拣中心",
     43.850, 125.335, "{radius_m: 200}"),
    ("TS-NG", "transfer_station", NG, None, "南关区南湖中转站",
     43.855, 125.350, "{radius_m: 150}"),
    ("HW-NG", "hw_facility", NG, True, "南关区危险废物处置中心",
     43.840, 125.370, "{radius_m: 200}"),
]

CONFIG = ('time:\n  local_offset: "+08:00"\nfacilities:\n' + "".join(
    '  - {id: "%s", name: "%s", kind: %s, district: "%s"%s, lat: %s,'
    ' lon: %s, geofence: %s}\n'
    % (fid, name, kind, district,
       "" if harmless is None else ", harmless: %s" % str(harmless).lower(),
       lat, lon, fence)
    for fid, kind, district, harmless, name, lat, lon, fence in FACILITIES)
    # One generator: drawn as a small mark, named only on hover.
    + 'generators:\n  - {id: "NG-MK-001", name: "南关区农贸市场", kind: market,'
    ' district: "%s", lat: 43.850, lon: 125.340}\n' % NG
    + "reconcile:\n  tolerance_pct: 10\n  overdue_h: 48\n"
    # alerts evaluated every second, not every 10 s: the test waits less.
    "alerts:\n  interval_s: 1\n")


def t(hhmm, day=DAY):
    return "%sT%s:00+08:00" % (day, hhmm)


def weighing(facility, ticket, plate, direction, gross, tare, first, waste,
             day=DAY, **extra):
    p = {"ticket": ticket, "plate": plate, "direction": direction,
         "gross_kg": gross, "tare_kg": tare, "first_ts": t(first, day),
         "second_ts": t(first[:3] + "30", day), "waste": waste,
         "status": "complete"}
    p.update(extra)
    return ("wt/v1/facilities/%s/weighings" % facility,
            json.dumps(p, ensure_ascii=False))


def manifest(no, plate, district, versions):
    out = []
    for version, status, hhmm in versions:
        p = {"scheme": "CN_HW", "status": status, "version": version,
             "ts": t(hhmm), "plate": plate,
             "generator": {"code": "GEN-" + no,
                           "name": "%s某产废单位" % district,
                           "district": district},
             "carrier": {"name": "长春某危废运输公司"},
             "receiver": {"facility": "HW-NG"},
             "lines": [{"line": 1, "waste_code": "HW08/900-249-08",
                        "waste": "危险废物", "qty": 1.0, "unit": "t"}]}
        out.append(("wt/v1/manifests/%s" % no,
                    json.dumps(p, ensure_ascii=False)))
    return out


WEIGHINGS = [
    weighing("INC-CY", "I-0", "吉A10001", "in", 17000, 12000, "10:00",
             "其他垃圾", day=YESTERDAY),                          # 5000
    weighing("KWP-CY", "K-0", "吉A10003", "in", 9500, 7000, "11:00",
             "厨余垃圾", day=YESTERDAY),                          # 2500
    weighing("INC-CY", "I-1", "吉A10001", "in", 20000, 12000, "09:00",
             "其他垃圾"),                                         # 8000
    weighing("KWP-CY", "K-1", "吉A10003", "in", 11000, 7000, "08:00",
             "厨余垃圾"),                                         # 4000
    weighing("LF-NG", "L-1", "吉A40101", "in", 15000, 10000, "12:00",
             "其他垃圾"),                                         # 5000
    weighing("RC-NG", "R-1", "吉A40002", "in", 9000, 6000, "08:00",
             "可回收物"),                                         # 3000
    weighing("TS-NG", "S-1", "吉A40001", "in", 14000, 8000, "07:00",
             "其他垃圾"),                                         # 6000
    weighing("TS-NG", "S-2", "吉A40101", "out", 13500, 8000, "11:00",
             "其他垃圾"),                                         # 5500
    weighing("TS-CY", "T-1", "吉A20001", "in", 12000, 8000, "07:00",
             "其他垃圾"),                                         # 4000
    weighing("HW-NG", "H-1", "吉A50001", "in", 10000, 9000, "10:00",
             "危险废物", manifest_no="HW-OK"),                    # 1000
    weighing("HW-NG", "H-2", "吉A50002", "in", 9800, 9000, "11:00",
             "hw", manifest_no="HW-DISC"),                        # 800
]

MANIFESTS = (
    manifest("HW-OK", "吉A50001", CY, [(1, "in_transit", "08:00"),
                                      (2, "received", "10:30"),
                                      (3, "closed", "11:00")]) +
    manifest("HW-DISC", "吉A50002", NG, [(1, "in_transit", "09:00"),
                                        (2, "received", "12:00")]))

# Trucks: (vehicle, plate, lat, lon, load_state, seconds before "now").
# KW-01 was empty 5 min ago and is loaded now; ZT-09 has not been heard
# of for 3 h (stale: the API's stale_after_s is 10 min).
POSITIONS = [
    ("KW-01", "吉A10001", 43.880, 125.320, "empty", 300),
    ("KW-01", "吉A10001", 43.895, 125.300, "full", 60),
    ("KW-02", "吉A10002", 43.860, 125.340, "empty", 90),
    ("ZT-09", "吉A30009", 43.870, 125.380, "full", 3 * 3600),
]
# Published while the page is open: one more ticket at RC-NG, 4800 - 3800
# = 1000 kg of recyclables in 南关区, and KW-02 loaded a little further
# north. 南关区: 9000 kg collected, recycled 4000 -> 44.4 %; 全市: 21000
# kg (21.0 t), recycled 8000 -> 38.1 %.
LATER_TICKET = weighing("RC-NG", "R-2", "吉A40002", "in", 4800, 3800,
                        "13:00", "可回收物")
LATER_POSITION = ("KW-02", "吉A10002", 43.900, 125.340, "full")

TRUCKS = {"吉A10001": ("loaded", False), "吉A10002": ("empty", False),
          "吉A30009": ("loaded", True)}


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def positions(now_ms):
    return [("wt/v1/vehicles/%s/position" % v,
             json.dumps({"ts": iso(now_ms - ago * 1000), "plate": plate,
                         "lat": lat, "lon": lon, "load_state": load,
                         "speed_kmh": 20}, ensure_ascii=False))
            for v, plate, lat, lon, load, ago in POSITIONS]


def later(now_ms):
    v, plate, lat, lon, load = LATER_POSITION
    return [LATER_TICKET, ("wt/v1/vehicles/%s/position" % v, json.dumps(
        {"ts": iso(now_ms - 5000), "plate": plate, "lat": lat, "lon": lon,
         "load_state": load, "speed_kmh": 20}, ensure_ascii=False))]


class CityEnv(Env):
    """A broker and a daemon on this city's registry, the daemon's clock
    set to 16:00 local on DAY."""

    def __init__(self, name="page", extra=""):
        self.dir = make_dir("wt-%s-" % name)
        self.broker = Broker(self.dir).start()
        self.daemon = Daemon(self.dir, self.broker.port,
                             extra=CONFIG + extra, facilities=False)
        self.offset_file = os.path.join(self.dir, "clock.offset")
        with open(self.offset_file, "w") as f:
            f.write("%d\n" % (NOW_MS - int(time.time() * 1000)))
        self.ok = False

    def start(self):
        env = dict(os.environ, WT_TEST_CLOCK_OFFSET_FILE=self.offset_file)
        return self.daemon.start(env=env)

    def daemon_now_ms(self):
        with open(self.offset_file) as f:
            return int(time.time() * 1000) + int(f.read())

    def api(self, path):
        code, body = self.daemon.http(path)
        assert code == 200, (path, code, body)
        return json.loads(body)

    def feed(self):
        """Publish the whole city and wait until today's figures, the
        verdicts and the alerts say so."""
        self.state = {"env": self, "d": self.daemon, "received": 0}
        publish_counted(self.state, WEIGHINGS + MANIFESTS +
                        positions(self.daemon_now_ms()))
        assert self.daemon.query(
            "SELECT topic, reason, detail FROM rejects") == []

        def ready():
            today = self.api("/api/v1/today")
            city = today["city"]
            rows = {r["district"]: r for r in city["districts"]}
            alerts = self.api("/api/v1/alerts")["alerts"]
            return (city["day"] == DAY and CITY in rows and
                    rows[CITY]["collected_kg"] == 20000 and
                    city["discrepancies"] == 1 and
                    rows[CITY]["manifest_closure_rate"] == 0.5 and
                    any((a.get("evidence") or {}).get("manifest_no") ==
                        "HW-DISC" for a in alerts))
        wait_for(ready, 30, "today's figures, the verdicts and the alert")
