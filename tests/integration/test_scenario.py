#!/usr/bin/python3
"""A whole day of a small city through a real broker.

Local day 2023-08-07 at +08:00 in three districts (朝阳区, 南关区, 绿园区):
household waste weighed at a transfer station and at final facilities,
excavated soil at a recycling plant and a disposal site, hazardous waste
under seven transfer manifests, and the trucks' load/unload events. Every
indicator the views compute is asserted against a number worked out by
hand in the comment right above the assertion; then a weighbridge
correction arrives late and the indicators are asserted again.

The test steps share one daemon and run in order; each step is one phase
of the day:
  1. everything but one manifest and the correction: a ticket that names
     a manifest the daemon has not seen yet stays unlinked;
  2. that manifest arrives after its ticket and reconciles;
  3. tonnage, reconciliations, indicators, station balance, unloads,
     /status — all against the hand-computed numbers;
  4. a tare re-keyed at the landfill (version 2) and a manifest closed
     late: the views recompute.
"""

import atexit
import functools
import json

from harness import (Broker, Daemon, Env, make_dir, publish_counted, run,
                     wait_for)

DAY = "2023-08-07"
NEXT_DAY = "2023-08-08"
CY, NG, LY = "朝阳区", "南关区", "绿园区"
# The city-wide row of the indicators (issue 14). Without generators or
# vehicles registered every tonne falls back to its facility's district,
# so the district rows stay what they were.
CITY = "全市"
EPS = 1e-6

# The city's registry: (id, kind, district, harmless, name). 南关区 has a
# transfer station that clears its day, 绿园区 one that does not; the
# recycling center is the only final facility that is not a
# harmless-treatment one.
FACILITIES = [
    ("TS-NG", "transfer_station", NG, None, "南关区南湖垃圾中转站"),
    ("TS-LY", "transfer_station", LY, None, "绿园区西新垃圾中转站"),
    ("INC-CY", "incinerator", CY, True, "朝阳区生活垃圾焚烧发电厂"),
    ("KWP-CY", "food_waste_plant", CY, True, "朝阳区厨余垃圾处理厂"),
    ("LF-NG", "sanitary_landfill", NG, True, "南关区生活垃圾卫生填埋场"),
    ("RC-NG", "recycling_center", NG, False, "南关区再生资源分拣中心"),
    ("CWR-CY", "cw_recycling", CY, None, "朝阳区建筑垃圾资源化利用厂"),
    ("CWD-CY", "cw_disposal_site", CY, None, "朝阳区渣土消纳场"),
    ("HW-LY", "hw_facility", LY, True, "绿园区危险废物处置中心"),
]

CONFIG = ('time:\n  local_offset: "+08:00"\nfacilities:\n' + "".join(
    '  - {id: "%s", name: "%s", kind: %s, district: "%s"%s}\n'
    % (fid, name, kind, district,
       "" if harmless is None else ", harmless: %s" % str(harmless).lower())
    for fid, kind, district, harmless, name in FACILITIES) +
    # tolerance 10 % for manifests, 5 % for a station's day, overdue after
    # 48 h in transit, plate matching within 24 h of departure.
    "reconcile:\n  tolerance_pct: 10\n  overdue_h: 48\n"
    "  clearance_tolerance_pct: 5\n  window_h: 24\n")


def t(hhmm, day=DAY):
    return "%sT%s:00+08:00" % (day, hhmm)


def weighing(facility, ticket, plate, direction, gross, tare, first, second,
             waste, status="complete", day=DAY, **extra):
    p = {"ticket": ticket, "plate": plate, "direction": direction,
         "gross_kg": gross, "first_ts": t(first, day), "waste": waste,
         "status": status}
    if tare is not None:
        p["tare_kg"] = tare
    if second is not None:
        p["second_ts"] = t(second, day)
    p.update(extra)
    return ("wt/v1/facilities/%s/weighings" % facility,
            json.dumps(p, ensure_ascii=False))


def manifest(no, plate, district, qty, unit, versions, tickets=None,
             code="HW08/900-249-08"):
    """One message per (version, status, hh:mm) of the manifest."""
    out = []
    for version, status, hhmm in versions:
        p = {"scheme": "CN_HW", "status": status, "version": version,
             "ts": t(hhmm), "plate": plate,
             "generator": {"code": "GEN-" + no,
                           "name": "%s某产废单位" % district,
                           "district": district},
             "carrier": {"name": "长春某危废运输公司"},
             "receiver": {"facility": "HW-LY"},
             "lines": [{"line": 1, "waste_code": code, "waste": "危险废物",
                        "qty": qty, "unit": unit}]}
        if tickets:
            p["tickets"] = [{"facility": f, "ticket": k} for f, k in tickets]
        out.append(("wt/v1/manifests/%s" % no,
                    json.dumps(p, ensure_ascii=False)))
    return out


def event(vehicle, kind, hhmm, plate, waste, mass, facility=None, site=None,
          manifest_no=None, day=DAY):
    p = {"type": kind, "ts": t(hhmm, day), "plate": plate, "waste": waste,
         "mass_kg": mass}
    if facility:
        p["facility"] = facility
    if site:
        p["site"] = site
    if manifest_no:
        p["manifest_no"] = manifest_no
    return ("wt/v1/vehicles/%s/events" % vehicle,
            json.dumps(p, ensure_ascii=False))


# ---- the day's weighbridge tickets (net = gross - tare) ----

WEIGHINGS = [
    # 朝阳区, incinerator INC-CY (harmless).
    # I-001 at 00:10 local is still 2023-08-06 in UTC: it must count on
    # the 7th, which only the configured offset can tell.
    weighing("INC-CY", "I-001", "吉A10001", "in", 18000, 12000, "00:10",
             "00:25", "其他垃圾"),                         # 6000
    weighing("INC-CY", "I-002", "吉A10002", "in", 16000, 11000, "09:00",
             "09:15", "msw.residual"),                     # 5000
    # Tare keyed above gross: NET_NEGATIVE (1024), never counted.
    weighing("INC-CY", "I-003", "吉A10004", "in", 9000, 12000, "10:00",
             "10:12", "其他垃圾"),                         # -3000
    # 00:05 on the 8th local is 16:05 on the 7th in UTC: the 8th's.
    weighing("INC-CY", "I-005", "吉A10001", "in", 14000, 10000, "00:05",
             "00:20", "其他垃圾", day=NEXT_DAY),           # 4000
    # 朝阳区, food-waste plant KWP-CY (harmless).
    weighing("KWP-CY", "K-001", "吉A10003", "in", 13000, 9000, "08:30",
             "08:45", "厨余垃圾"),                         # 4000
    weighing("KWP-CY", "K-002", "吉A10003", "in", 14000, 9000, "15:00",
             "15:20", "厨余垃圾"),                         # 5000
    # 朝阳区, excavated soil: recycled at CWR-CY, disposed at CWD-CY.
    weighing("CWR-CY", "C-001", "吉A30001", "in", 45000, 15000, "09:20",
             "09:35", "渣土"),                             # 30000
    weighing("CWD-CY", "D-001", "吉A30002", "in", 40000, 15000, "10:20",
             "10:30", "渣土"),                             # 25000
    weighing("CWD-CY", "D-002", "吉A30002", "in", 35000, 15000, "14:20",
             "14:30", "cw.excavated_soil"),                # 20000
    # 南关区, transfer station TS-NG: in 6000 + 6000 + 8000 = 20000,
    # out 9500 + 9700 = 19200.
    weighing("TS-NG", "S-001", "吉A40001", "in", 14000, 8000, "07:00",
             "07:20", "其他垃圾"),                         # 6000
    weighing("TS-NG", "S-002", "吉A40003", "in", 15000, 9000, "07:30",
             "07:50", "其他垃圾"),                         # 6000
    weighing("TS-NG", "S-003", "吉A40004", "in", 16000, 8000, "08:00",
             "08:20", "其他垃圾"),                         # 8000
    weighing("TS-NG", "S-101", "吉A40101", "out", 25000, 15500, "11:00",
             "11:30", "其他垃圾"),                         # 9500
    weighing("TS-NG", "S-102", "吉A40102", "out", 25200, 15500, "16:00",
             "16:30", "其他垃圾"),                         # 9700
    # 南关区, landfill LF-NG (harmless) receives the station's two loads.
    weighing("LF-NG", "L-001", "吉A40101", "in", 25000, 15500, "12:00",
             "12:20", "其他垃圾"),                         # 9500
    weighing("LF-NG", "L-002", "吉A40102", "in", 25200, 15500, "17:00",
             "17:20", "其他垃圾"),                         # 9700
    # Still on the bridge at midnight: open, never counted.
    weighing("LF-NG", "L-003", "吉A40103", "in", 21000, None, "18:00",
             None, "其他垃圾", status="open"),
    # 南关区, recycling center RC-NG (not harmless).
    weighing("RC-NG", "R-001", "吉A40002", "in", 8000, 5000, "08:00",
             "08:15", "可回收物"),                         # 3000
    weighing("RC-NG", "R-002", "吉A40002", "in", 6800, 5000, "13:00",
             "13:15", "msw.recyclable"),                   # 1800
    weighing("RC-NG", "R-003", "吉A40005", "in", 6000, 5000, "14:00",
             "14:10", "其他垃圾"),                         # 1000
    # 绿园区, transfer station TS-LY: in 6000 + 4000 = 10000, out 8000.
    weighing("TS-LY", "Y-001", "吉A60001", "in", 16000, 10000, "07:00",
             "07:15", "其他垃圾"),                         # 6000
    weighing("TS-LY", "Y-002", "吉A60002", "in", 14000, 10000, "08:00",
             "08:15", "其他垃圾"),                         # 4000
    weighing("TS-LY", "Y-101", "吉A60101", "out", 23000, 15000, "12:00",
             "12:30", "其他垃圾"),                         # 8000
    # 绿园区, hazardous-waste facility HW-LY.
    # H-009: 吉A50004 before HW-PLATE departs (10:00): outside its window.
    weighing("HW-LY", "H-009", "吉A50004", "in", 9300, 9000, "07:30",
             "07:40", "危险废物"),                         # 300
    weighing("HW-LY", "H-001", "吉A50001", "in", 9980, 9000, "10:00",
             "10:20", "危险废物"),                         # 980
    # H-002 names its manifest itself.
    weighing("HW-LY", "H-002", "吉A50002", "in", 10050, 9000, "11:00",
             "11:20", "hw", manifest_no="HW-DISC"),        # 1050
    # H-004: the first ticket of 吉A50004 after HW-PLATE departs.
    weighing("HW-LY", "H-004", "吉A50004", "in", 9812, 9000, "11:30",
             "11:45", "危险废物"),                         # 812
    # H-005 names HW-LATE, which is published only in phase 2.
    weighing("HW-LY", "H-005", "吉A50005", "in", 9510, 9000, "13:30",
             "13:45", "hw", manifest_no="HW-LATE"),        # 510
    # H-006 carries two manifests, HW-SHARE-A and HW-SHARE-B.
    weighing("HW-LY", "H-006", "吉A50006", "in", 10050, 9000, "14:00",
             "14:20", "危险废物"),                         # 1050
    # Household hazardous waste: MSW, but not at a collecting facility.
    weighing("HW-LY", "H-007", "吉A60003", "in", 3200, 3000, "15:00",
             "15:10", "有害垃圾"),                         # 200
    # H-008: 吉A50004 again, in the window but not the first: ignored.
    weighing("HW-LY", "H-008", "吉A50004", "in", 9400, 9000, "16:00",
             "16:10", "危险废物"),                         # 400
]

# The late correction: L-001's tare was keyed 1000 kg short; version 2
# re-keys it, net 25000 - 16500 = 8500 instead of 9500.
# HW-SHARE-B's receiver closes it the same evening, reported late too.
CORRECTION = [weighing("LF-NG", "L-001", "吉A40101", "in", 25000, 16500,
                       "12:00", "12:20", "其他垃圾", version=2)] + \
    manifest("HW-SHARE-B", "吉A50006", LY, 400, "kg",
             [(3, "closed", "18:00")], tickets=[("HW-LY", "H-006")])

# ---- hazardous-waste transfer manifests, all received at HW-LY ----

MANIFESTS = (
    # Linked by its own `tickets` reference; received, then closed.
    manifest("HW-OK-REF", "吉A50001", CY, 1.0, "t",
             [(1, "in_transit", "08:00"), (2, "received", "10:30"),
              (3, "closed", "15:00")], tickets=[("HW-LY", "H-001")]) +
    # Linked by the ticket's manifest_no; 1.2 t declared, 1050 kg weighed.
    manifest("HW-DISC", "吉A50002", CY, 1.2, "t",
             [(1, "in_transit", "08:30"), (2, "received", "11:30")]) +
    # Left at 01:00 local (17:00 UTC on the 6th) and never arrived.
    manifest("HW-OVERDUE", "吉A50003", NG, 700, "kg",
             [(1, "created", "00:40"), (2, "in_transit", "01:00")]) +
    # No reference either way: plate + receiving facility within 24 h.
    manifest("HW-PLATE", "吉A50004", LY, 800, "kg",
             [(1, "in_transit", "10:00"), (2, "received", "12:30")],
             code="900-041-49") +
    # Two manifests on one truck, one ticket (H-006).
    manifest("HW-SHARE-A", "吉A50006", LY, 0.6, "t",
             [(1, "in_transit", "13:00"), (2, "closed", "17:00")],
             tickets=[("HW-LY", "H-006")]) +
    manifest("HW-SHARE-B", "吉A50006", LY, 400, "kg",
             [(1, "in_transit", "13:05"), (2, "received", "16:30")],
             tickets=[("HW-LY", "H-006")]))

# Published after its ticket H-005 has been stored and reconciled.
LATE_MANIFEST = manifest("HW-LATE", "吉A50005", NG, 0.5, "t",
                         [(1, "in_transit", "12:00"),
                          (2, "received", "14:00")])

# ---- the trucks: unloads count toward the authorised-unload share ----

EVENTS = [
    event("KW-CY-01", "load", "00:02", "吉A10001", "其他垃圾", 6000,
          site="CY-XQ-0031"),
    # 00:20 local = 16:20 UTC on the 6th: the 7th's by the offset.
    event("KW-CY-01", "unload", "00:20", "吉A10001", "其他垃圾", 6000,
          facility="INC-CY"),
    event("KW-CY-03", "load", "08:00", "吉A10003", "厨余垃圾", 4000,
          site="CY-XQ-0102"),
    event("KW-CY-03", "unload", "08:40", "吉A10003", "厨余垃圾", 4000,
          facility="KWP-CY"),
    event("ZT-01", "load", "08:50", "吉A30001", "渣土", 30000,
          site="CY-GD-0012"),
    event("ZT-01", "unload", "09:30", "吉A30001", "渣土", 30000,
          facility="CWR-CY"),
    event("ZT-02", "unload", "10:25", "吉A30002", "渣土", 25000,
          facility="CWD-CY"),
    event("ZT-03", "load", "10:40", "吉A30003", "渣土", 28000,
          site="CY-GD-0012"),
    # A muck truck tipping where no registered facility is.
    event("ZT-03", "unload", "11:15", "吉A30003", "渣土", 28000,
          facility="ZT-UNKNOWN-07"),
    event("TS-01", "unload", "07:10", "吉A40001", "其他垃圾", 6000,
          facility="TS-NG"),
    event("RC-01", "unload", "08:10", "吉A40002", "可回收物", 3000,
          facility="RC-NG"),
    event("HW-01", "load", "08:00", "吉A50001", "危险废物", 1000,
          site="CY-HW-GEN-01", manifest_no="HW-OK-REF"),
    event("HW-01", "unload", "10:10", "吉A50001", "危险废物", 980,
          facility="HW-LY", manifest_no="HW-OK-REF"),
]

PHASE1 = WEIGHINGS + MANIFESTS + EVENTS

# ---- shared state of the ordered steps ----

S = {"env": None, "d": None, "received": 0, "failed": False}


class CityEnv(Env):
    """Env with this scenario's own facilities and reconcile settings
    (the harness's default facilities block is left out)."""

    def __init__(self):
        self.dir = make_dir("wt-scenario-")
        self.broker = Broker(self.dir).start()
        self.daemon = Daemon(self.dir, self.broker.port, extra=CONFIG,
                             facilities=False)
        self.ok = False


def _cleanup_at_exit():
    env = S["env"]
    if env is None:
        return
    if env.daemon.proc and env.daemon.proc.poll() is None:
        env.daemon.proc.kill()
        env.daemon.proc.wait(10)
    env.broker.stop()


atexit.register(_cleanup_at_exit)


def step(fn):
    @functools.wraps(fn)
    def wrapper():
        if fn.__name__ != "test_phase1_ticket_before_manifest" and \
                S["d"] is None:
            raise AssertionError("the scenario's daemon did not start")
        try:
            fn()
        except BaseException:
            S["failed"] = True
            raise
    return wrapper


def wait_reconciled(d):
    """The daemon reconciles on its tick when weighings or manifests
    changed (once a minute otherwise), and its tick reconciles before it
    drains. A manifest's updated_ms is the clock of the batch that stored
    it, so a reconciliation stamped strictly later ran after that commit
    and saw all of it (each phase therefore applies at least one manifest
    update)."""
    nman = d.count("manifests", "status <> 'cancelled'")

    def reconciled():
        (count, oldest, batch), = d.query(
            "SELECT count(*), min(updated_ms), (SELECT max(updated_ms)"
            " FROM manifests) FROM reconciliations")
        return count == nman and oldest is not None and oldest > batch
    wait_for(reconciled, 75, "a reconciliation after the last commit")


def publish(msgs):
    d = S["d"]
    publish_counted(S, msgs)
    wait_reconciled(d)
    assert d.query("SELECT topic, reason, detail FROM rejects") == []


def same(actual, expected):
    """Equal, floats within EPS, element by element for rows."""
    if isinstance(expected, (tuple, list)):
        return (isinstance(actual, (tuple, list)) and
                len(actual) == len(expected) and
                all(same(a, e) for a, e in zip(actual, expected)))
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and
                sorted(actual, key=str) == sorted(expected, key=str) and
                all(same(actual[k], expected[k]) for k in expected))
    if isinstance(expected, float):
        return (isinstance(actual, (int, float)) and
                not isinstance(actual, bool) and
                abs(actual - expected) < EPS)
    return actual == expected


def check(actual, expected, what):
    assert same(actual, expected), "%s:\n  got      %r\n  expected %r" % (
        what, actual, expected)


INDICATOR_COLS = ("collected_kg", "recycling_rate", "harmless_rate",
                  "cw_utilisation_rate", "clearance_rate", "manifests",
                  "manifest_closure_rate", "discrepancy_rate",
                  "overdue_manifests", "authorised_unload_share")


def indicators(day):
    rows = S["d"].query("SELECT district, %s FROM daily_indicators"
                        " WHERE day = ?" % ", ".join(INDICATOR_COLS), (day,))
    return {r[0]: r[1:] for r in rows}


def check_indicators(day, expected):
    got = indicators(day)
    check(sorted(got, key=str), sorted(expected, key=str),
          "districts of %s" % day)
    for district, exp in expected.items():
        for col, a, e in zip(INDICATOR_COLS, got[district], exp):
            check(a, e, "%s %s %s" % (day, district, col))


def reconciliations():
    rows = S["d"].query("SELECT manifest_no, declared_kg, received_kg,"
                        " round(diff_pct, 2), method, verdict"
                        " FROM reconciliations ORDER BY manifest_no")
    return {r[0]: r[1:] for r in rows}


def tonnage(day):
    return S["d"].query("SELECT district, facility_kind, waste, kg"
                        " FROM daily_tonnage WHERE day = ?"
                        " ORDER BY district, facility_kind, waste", (day,))


# ---- phase 1: all but one manifest; its ticket waits for it ----

@step
def test_phase1_ticket_before_manifest():
    env = CityEnv()
    S["env"] = env
    S["d"] = env.daemon.start()
    d = S["d"]
    publish(PHASE1)
    # The registry reached the facilities table the views join.
    check(d.query("SELECT id, kind, district, harmless FROM facilities"
                  " ORDER BY id"),
          sorted((f, k, dist, int(bool(h))) for f, k, dist, h, _ in
                 FACILITIES), "facilities")
    # 31 tickets, one current row each (UNIQUE facility, ticket, day).
    check(d.count("weighings"), len(WEIGHINGS), "weighings")
    check(d.count("weighings_history"), 0, "history before the correction")
    check(d.count("vehicle_events"), len(EVENTS), "vehicle events")
    # Canonical waste names and the computed nets of the flagged/open ones.
    check(d.query("SELECT waste, net_kg, dq_flags & 1024 FROM weighings"
                  " WHERE ticket = 'I-003'"),
          [("msw.residual", -3000.0, 1024)], "I-003 NET_NEGATIVE")
    check(d.query("SELECT status, net_kg FROM weighings WHERE ticket ="
                  " 'L-003'"), [("open", None)], "L-003 open")
    # Tickets get the local day of their first weighing: I-001 at 00:10
    # (+08:00) is on the 7th, I-005 at 00:05 on the 8th.
    check(d.query("SELECT ticket, day FROM weighings WHERE ticket IN"
                  " ('I-001', 'I-005') ORDER BY ticket"),
          [("I-001", DAY), ("I-005", NEXT_DAY)], "ticket days")
    # HW-LATE is not known yet: H-005 names it but nothing links.
    check(d.count("manifests", "manifest_no = 'HW-LATE'"), 0, "no HW-LATE")
    check(d.count("reconciliation_links", "ticket = 'H-005'"), 0,
          "H-005 unlinked")
    rec = reconciliations()
    check(sorted(rec), ["HW-DISC", "HW-OK-REF", "HW-OVERDUE", "HW-PLATE",
                        "HW-SHARE-A", "HW-SHARE-B"], "reconciled manifests")
    # 南关区 on the 7th has only HW-OVERDUE so far (departed 01:00 local,
    # 17:00 UTC on the 6th — on the 7th by the offset):
    #   manifests 1, closed 0 -> closure 0/1 = 0.0,
    #   reconciled (ok|discrepancy) 0 -> discrepancy_rate 0/NULL = NULL,
    #   overdue 1.
    ng = indicators(DAY)[NG]
    check((ng[5], ng[6], ng[7], ng[8]), (1, 0.0, None, 1),
          "南关区 manifests before HW-LATE")


# ---- phase 2: the manifest arrives after its ticket ----

@step
def test_phase2_late_manifest_reconciles():
    d = S["d"]
    publish(LATE_MANIFEST)
    # H-005 (gross 9510 - tare 9000 = 510 kg) names HW-LATE: linked by
    # reference, one manifest on the ticket -> allocated 510 * 1.0 = 510.
    check(d.query("SELECT manifest_no, facility, ticket, day, method,"
                  " allocated_kg FROM reconciliation_links"
                  " WHERE ticket = 'H-005'"),
          [("HW-LATE", "HW-LY", "H-005", DAY, "ticket_ref", 510.0)],
          "H-005 link")
    # Declared 0.5 t = 500 kg; received 510 kg;
    # diff (510 - 500) * 100 / 500 = +2.00 % <= 10 % -> ok.
    check(reconciliations()["HW-LATE"],
          (500.0, 510.0, 2.0, "ticket_ref", "ok"), "HW-LATE")


# ---- phase 3: the whole day against the numbers computed by hand ----

@step
def test_daily_tonnage():
    # Complete inbound tickets without a distrusted weight, by the
    # receiving facility's district, kind and waste (outbound, open and
    # NET_NEGATIVE tickets excluded; I-005 is the 8th's):
    expected = [
        # (SQLite orders the districts by code point: 南 < 朝 < 绿.)
        # RC-NG: R-001 3000 + R-002 1800 = 4800
        (NG, "recycling_center", "msw.recyclable", 4800.0),
        # RC-NG: R-003 6000 - 5000 = 1000
        (NG, "recycling_center", "msw.residual", 1000.0),
        # LF-NG: L-001 9500 + L-002 9700 = 19200 (L-003 open, out)
        (NG, "sanitary_landfill", "msw.residual", 19200.0),
        # TS-NG inbound only: S-001 6000 + S-002 6000 + S-003 8000 = 20000
        (NG, "transfer_station", "msw.residual", 20000.0),
        # CWD-CY: D-001 25000 + D-002 20000 = 45000
        (CY, "cw_disposal_site", "cw.excavated_soil", 45000.0),
        # CWR-CY: C-001 45000 - 15000 = 30000
        (CY, "cw_recycling", "cw.excavated_soil", 30000.0),
        # KWP-CY: K-001 4000 + K-002 5000 = 9000
        (CY, "food_waste_plant", "msw.food", 9000.0),
        # INC-CY: I-001 6000 + I-002 5000 = 11000 (I-003 -3000 flagged out)
        (CY, "incinerator", "msw.residual", 11000.0),
        # HW-LY hw: H-009 300 + H-001 980 + H-002 1050 + H-004 812
        #   + H-005 510 + H-006 1050 + H-008 400 = 5102
        (LY, "hw_facility", "hw", 5102.0),
        # HW-LY household hazardous: H-007 3200 - 3000 = 200
        (LY, "hw_facility", "msw.hazardous", 200.0),
        # TS-LY inbound only: Y-001 6000 + Y-002 4000 = 10000
        (LY, "transfer_station", "msw.residual", 10000.0),
    ]
    check(tonnage(DAY), expected, "daily_tonnage %s" % DAY)
    # The 8th: I-005 14000 - 10000 = 4000 only.
    check(tonnage(NEXT_DAY), [(CY, "incinerator", "msw.residual", 4000.0)],
          "daily_tonnage %s" % NEXT_DAY)


@step
def test_reconciliations():
    d = S["d"]
    # H-006 (10050 - 9000 = 1050 kg) carries HW-SHARE-A (0.6 t = 600 kg)
    # and HW-SHARE-B (400 kg): declared 600 + 400 = 1000, so
    #   A gets 1050 * 600 / 1000 = 630, B gets 1050 * 400 / 1000 = 420.
    # HW-PLATE's link is H-004, the first 吉A50004 ticket at HW-LY in
    # [10:00, 10:00 + 24 h] (H-009 at 07:30 is before, H-008 at 16:00 later).
    check(d.query("SELECT manifest_no, ticket, method, allocated_kg"
                  " FROM reconciliation_links ORDER BY manifest_no"),
          [("HW-DISC", "H-002", "ticket_ref", 1050.0),
           ("HW-LATE", "H-005", "ticket_ref", 510.0),
           ("HW-OK-REF", "H-001", "ticket_ref", 980.0),
           ("HW-PLATE", "H-004", "plate_window", 812.0),
           ("HW-SHARE-A", "H-006", "ticket_ref", 630.0),
           ("HW-SHARE-B", "H-006", "ticket_ref", 420.0)],
          "reconciliation_links")
    # (declared_kg, received_kg, round(diff_pct, 2), method, verdict),
    # tolerance 10 %:
    expected = {
        # 1.2 t = 1200 declared, H-002 1050 received:
        #   (1050 - 1200) * 100 / 1200 = -12.50 %, |-12.5| > 10 -> discrepancy
        "HW-DISC": (1200.0, 1050.0, -12.5, "ticket_ref", "discrepancy"),
        # 0.5 t = 500, H-005 510: (510 - 500) * 100 / 500 = +2.00 % -> ok
        "HW-LATE": (500.0, 510.0, 2.0, "ticket_ref", "ok"),
        # 1.0 t = 1000, H-001 980: (980 - 1000) * 100 / 1000 = -2.00 % -> ok
        "HW-OK-REF": (1000.0, 980.0, -2.0, "ticket_ref", "ok"),
        # 700 declared, no ticket, still in_transit since 2023-08-07 01:00,
        # more than overdue_h = 48 h before now (2026) -> overdue
        "HW-OVERDUE": (700.0, None, None, None, "overdue"),
        # 800, H-004 812: (812 - 800) * 100 / 800 = +1.50 % -> ok
        "HW-PLATE": (800.0, 812.0, 1.5, "plate_window", "ok"),
        # 600, 630: (630 - 600) * 100 / 600 = +5.00 % -> ok
        "HW-SHARE-A": (600.0, 630.0, 5.0, "ticket_ref", "ok"),
        # 400, 420: (420 - 400) * 100 / 400 = +5.00 % -> ok
        "HW-SHARE-B": (400.0, 420.0, 5.0, "ticket_ref", "ok"),
    }
    got = reconciliations()
    check(sorted(got), sorted(expected), "reconciled manifests")
    for no, exp in expected.items():
        check(got[no], exp, "reconciliation of %s" % no)


def expected_indicators_before_correction():
    # Columns: collected_kg, recycling_rate, harmless_rate,
    # cw_utilisation_rate, clearance_rate, manifests,
    # manifest_closure_rate, discrepancy_rate, overdue_manifests,
    # authorised_unload_share.
    return {
        # 朝阳区:
        #   collected = INC 6000 + 5000 + KWP 4000 + 5000 = 20000
        #   recycling = KWP food 9000 / 20000 = 0.45
        #   harmless  = (INC 11000 + KWP 9000) / 20000 = 1.0
        #   cw        = CWR 30000 / (30000 + CWD 45000) = 0.4
        #   clearance = no transfer station -> NULL
        #   manifests = HW-OK-REF + HW-DISC = 2; closed 1 -> 1/2 = 0.5
        #   discrepancy = 1 (HW-DISC) / 2 reconciled = 0.5; overdue 0
        #   unloads: city-wide (below) 7/8 = 0.875
        CY: (20000.0, 0.45, 1.0, 0.4, None, 2, 0.5, 0.5, 0, 0.875),
        # 南关区:
        #   collected = LF 9500 + 9700 + RC 3000 + 1800 + 1000 = 25000
        #     (TS-NG's 20000 inbound is pass-through, not counted)
        #   recycling = RC recyclable 4800 / 25000 = 0.192
        #   harmless  = LF 19200 / 25000 = 0.768 (RC not harmless)
        #   cw        = none -> NULL
        #   clearance = TS-NG in 20000 - out 19200 = 800
        #               <= 5 % * 20000 = 1000 -> cleared, 1/1 = 1.0
        #   manifests = HW-OVERDUE + HW-LATE = 2; closed 0 -> 0/2 = 0.0
        #   discrepancy = 0 / 1 reconciled (HW-LATE ok) = 0.0; overdue 1
        #   unloads: city-wide 0.875
        NG: (25000.0, 0.192, 0.768, None, 1.0, 2, 0.0, 0.0, 1, 0.875),
        # 绿园区:
        #   collected = 0 (no final MSW facility; H-007's 200 kg of
        #     household hazardous waste went to an hw_facility) -> rates NULL
        #   cw        = NULL
        #   clearance = TS-LY in 10000 - out 8000 = 2000
        #               > 5 % * 10000 = 500 -> not cleared, 0/1 = 0.0
        #   manifests = HW-PLATE + HW-SHARE-A + HW-SHARE-B = 3;
        #     closed 1 (HW-SHARE-A) -> 1/3 = 0.333333...
        #   discrepancy = 0 / 3 reconciled = 0.0; overdue 0
        #   unloads: city-wide 0.875
        LY: (0.0, None, None, None, 0.0, 3, 1 / 3, 0.0, 0, 0.875),
        # 全市, the whole city:
        #   collected = 20000 + 25000 + 0 = 45000
        #   recycling = (9000 + 4800) / 45000 = 0.306667
        #   harmless  = (20000 + 19200) / 45000 = 0.871111
        #   cw        = 30000 / (30000 + 45000) = 0.4
        #   clearance = TS-NG cleared, TS-LY not: 1/2 = 0.5 (stock at the
        #     end of the day 800 and 2000 against 1000 kg, the default)
        #   manifests = 2 + 2 + 3 = 7; closed 1 + 0 + 1 = 2 -> 2/7
        #   discrepancy = 1 / (2 + 1 + 3) reconciled = 1/6; overdue 1
        CITY: (45000.0, 13800 / 45000, 39200 / 45000, 0.4, 0.5, 7, 2 / 7,
               1 / 6, 1, 0.875),
        # The authorised-unload share is city-wide: an unload at an
        # unregistered facility (ZT-UNKNOWN-07) has no district to be
        # counted in. The city's 8 unloads on the 7th: INC-CY, KWP-CY,
        # CWR-CY, CWD-CY, TS-NG, RC-NG, HW-LY registered, ZT-UNKNOWN-07
        # not: 7 / 8 = 0.875 on every district row of the day.
    }


@step
def test_daily_indicators():
    check_indicators(DAY, expected_indicators_before_correction())
    # The 8th: I-005 at INC-CY only: collected 4000, recycling 0 / 4000
    # = 0.0, harmless 4000 / 4000 = 1.0, nothing else.
    check_indicators(NEXT_DAY, {
        CY: (4000.0, 0.0, 1.0, None, None, 0, None, None, 0, None),
        CITY: (4000.0, 0.0, 1.0, None, None, 0, None, None, 0, None)})


@step
def test_station_balance_and_unloads():
    d = S["d"]
    # TS-NG: in 6000 + 6000 + 8000 = 20000, out 9500 + 9700 = 19200,
    #   20000 - 19200 = 800 <= 0.05 * 20000 = 1000 -> cleared 1.
    # TS-LY: in 6000 + 4000 = 10000, out 8000,
    #   10000 - 8000 = 2000 > 0.05 * 10000 = 500 -> cleared 0.
    check(d.query("SELECT district, facility, in_kg, out_kg, cleared"
                  " FROM daily_station_balance WHERE day = ?"
                  " ORDER BY facility", (DAY,)),
          [(LY, "TS-LY", 10000.0, 8000.0, 0),
           (NG, "TS-NG", 20000.0, 19200.0, 1)], "daily_station_balance")
    # Unloads on the 7th (local): 朝阳区 INC-CY (00:20 local, the 6th in
    # UTC), KWP-CY, CWR-CY, CWD-CY = 4, all registered; 南关区 TS-NG,
    # RC-NG = 2; 绿园区 HW-LY = 1; ZT-UNKNOWN-07 = 1, not authorised.
    # City-wide: 4 + 2 + 1 + 1 = 8 unloads, 7 authorised.
    check(d.query("SELECT unloads, authorised FROM daily_unloads"
                  " WHERE day = ?", (DAY,)), [(8, 7)], "daily_unloads")
    check(d.count("vehicle_events", "type = 'unload'"), 8, "unloads")


@step
def test_status_city():
    d = S["d"]
    # The city block is refreshed by its own thread, about once a second
    # after the data changed: wait for it to show the reconciliation.
    wait_for(lambda: d.status()["city"]["discrepancies"] == 1, 20,
             "the city figures to catch up")
    city = d.status()["city"]
    # Open: status created|in_transit|arrived -> HW-OVERDUE only = 1;
    # overdue: in transit since 2023 > 48 h -> HW-OVERDUE = 1;
    # discrepancies: HW-DISC = 1.
    db = {
        "open": d.count("manifests", "status IN ('created', 'in_transit',"
                        " 'arrived')"),
        "overdue": d.count("reconciliations", "verdict = 'overdue'"),
        "discrepancies": d.count("reconciliations",
                                 "verdict = 'discrepancy'"),
    }
    check(db, {"open": 1, "overdue": 1, "discrepancies": 1}, "DB counts")
    check((city["open_manifests"], city["overdue_manifests"],
           city["discrepancies"]),
          (db["open"], db["overdue"], db["discrepancies"]), "/status city")
    # The items behind the counts: HW-DISC declared 1200, received 1050,
    # (1050 - 1200) * 100 / 1200 = -12.5 %; HW-OVERDUE declared 700,
    # nothing received, departed 2023-08-07T01:00+08:00
    # = 2023-08-06T17:00Z = 1691366400000 - 7 * 3600000 = 1691341200000.
    check([(i["manifest_no"], i["declared_kg"], i["received_kg"],
            i["diff_pct"]) for i in city["open_discrepancies"]],
          [("HW-DISC", 1200.0, 1050.0, -12.5)], "/status discrepancies")
    check([(i["manifest_no"], i["declared_kg"], i["received_kg"],
            i["departed_ms"]) for i in city["overdue"]],
          [("HW-OVERDUE", 700.0, None, 1691341200000)], "/status overdue")
    # The rest of the city block is for today (2026): nothing of 2023.
    check((city["tonnage"], city["districts"]), ([], []), "today's city")


# ---- phase 4: a late correction; the views recompute ----

@step
def test_late_correction():
    d = S["d"]
    publish(CORRECTION)
    # L-001 version 2: net 25000 - 16500 = 8500; version 1 (9500) kept in
    # history.
    check(d.query("SELECT version, tare_kg, net_kg FROM weighings"
                  " WHERE ticket = 'L-001'"), [(2, 16500.0, 8500.0)],
          "L-001 current")
    check(d.query("SELECT version, tare_kg, net_kg FROM weighings_history"
                  " WHERE ticket = 'L-001'"), [(1, 15500.0, 9500.0)],
          "L-001 history")
    # LF-NG residual: 8500 + 9700 = 18200 (was 19200).
    check(d.query("SELECT kg FROM daily_tonnage WHERE day = ? AND"
                  " district = ? AND facility_kind = 'sanitary_landfill'",
                  (DAY, NG)), [(18200.0,)], "LF-NG tonnage corrected")
    exp = expected_indicators_before_correction()
    # 南关区 after the correction:
    #   collected = LF 8500 + 9700 + RC 3000 + 1800 + 1000 = 24000
    #   recycling = 4800 / 24000 = 0.2
    #   harmless  = 18200 / 24000 = 0.758333...
    #   the rest unchanged (the station, manifests and unloads).
    exp[NG] = (24000.0, 0.2, 18200 / 24000, None, 1.0, 2, 0.0, 0.0, 1,
               0.875)
    # 绿园区: HW-SHARE-B closed too -> closed 2 (HW-SHARE-A, HW-SHARE-B)
    #   of 3 manifests = 2/3 = 0.666667; the rest unchanged.
    exp[LY] = (0.0, None, None, None, 0.0, 3, 2 / 3, 0.0, 0, 0.875)
    # 全市: collected 20000 + 24000 = 44000, recycled 13800,
    #   harmless 20000 + 18200 = 38200, closed 1 + 0 + 2 = 3 of 7.
    exp[CITY] = (44000.0, 13800 / 44000, 38200 / 44000, 0.4, 0.5, 7, 3 / 7,
                 1 / 6, 1, 0.875)
    check_indicators(DAY, exp)
    # No manifest rides on L-001: every reconciliation stays as it was
    # (HW-DISC -12.5 % discrepancy, HW-OVERDUE overdue, the rest ok).
    rec = reconciliations()
    check(rec["HW-DISC"], (1200.0, 1050.0, -12.5, "ticket_ref",
                           "discrepancy"), "HW-DISC after correction")
    check(sorted(v[4] for v in rec.values()),
          ["discrepancy", "ok", "ok", "ok", "ok", "ok", "overdue"],
          "verdicts after correction")


@step
def test_clean_shutdown():
    env = S["env"]
    ok = False
    try:
        # SIGTERM: drain, commit, exit 0; no sanitizer report in the log.
        assert env.daemon.stop() == 0
        ok = True
    finally:
        # Keeps the temp dir and prints the log tail when any step failed.
        env.__exit__(None if ok and not S["failed"] else AssertionError,
                     None, None)
        S["env"] = None


if __name__ == "__main__":
    run([test_phase1_ticket_before_manifest,
         test_phase2_late_manifest_reconciles,
         test_daily_tonnage,
         test_reconciliations,
         test_daily_indicators,
         test_station_balance_and_unloads,
         test_status_city,
         test_late_correction,
         test_clean_shutdown])
