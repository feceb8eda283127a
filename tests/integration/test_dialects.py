#!/usr/bin/python3
"""Every vendor dialect through a real broker: each example of
tests/fixtures/payloads/ becomes exactly the canonical rows the tests state
describes, field by field."""

import math
import os
import sys

from harness import Env, Publisher, read_tsv, run, wait_for

SOURCE = os.environ.get("WT_SOURCE", ".")
PROFILES = [os.path.join(os.path.abspath(SOURCE), "conf", "profiles",
                         "*.yaml")]
SUBS = [("wt/v1/#", "wastetrack"), ("zwc/vendorA/v2/#", "vendor-a"),
        ("huanwei/cc/#", "vendor-b"), ("legacy/wb/#", "legacy-wb"),
        ("jt808/+/+/up", "jt808-emqx")]

GATE = (43.883412, 125.314567)


def metres(a, b):
    """Distance between two (lat, lon) points in metres (haversine)."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) *
         math.sin((lo2 - lo1) / 2) ** 2)
    return 2 * 6371000 * math.asin(math.sqrt(h))


def ingest(name):
    env = Env(name, subscriptions=SUBS, include=PROFILES)
    try:
        d = env.daemon.start()
        msgs = read_tsv(name + ".tsv")
        pub = Publisher(env.broker.port)
        pub.publish_all(msgs)
        pub.close()
        wait_for(lambda: d.status()["ingest"]["received"] >= len(msgs), 20,
                 "%d %s messages" % (len(msgs), name))
        rejects = d.query("SELECT topic, reason, detail FROM rejects")
        assert rejects == [], rejects
    except BaseException:
        # The caller's `with env` is not entered yet: stop both here.
        env.__exit__(*sys.exc_info())
        raise
    return env, d


def test_vendor_a():
    env, d = ingest("vendor-a")
    with env:
        (vehicle, plate, ts, lat, lon, speed, heading, load, dq), = d.query(
            "SELECT vehicle, plate, ts_ms, lat, lon, speed_kmh, heading_deg,"
            " load_state, dq_flags FROM positions")
        assert (vehicle, plate, ts, speed, heading, load) == \
            ("KW-0217", "吉A5G217", 1691388178000, 32.5, 87.0, "full")
        # GCJ-02 converted back: within 5 m of the gate, flagged (128).
        assert metres((lat, lon), GATE) < 5, (lat, lon)
        assert dq & 128
        ev = d.query("SELECT type, vehicle, plate, ts_ms, facility, waste,"
                     " mass_kg, manifest_no FROM vehicle_events")
        assert ev == [("unload", "KW-0217", "吉A5G217", 1691388760000,
                       "CC-KWP-01", "msw.food", 4750.0, None)], ev
        man = d.query("SELECT scheme, manifest_no, version, status, plate,"
                      " generator_code, receiver_facility, declared_kg,"
                      " departed_ms FROM manifests")
        assert man == [("CN_HW", "20232201000153", 3, "in_transit",
                        "吉A02851D", "91220101MA0XXXXXX1", "CC-HW-01",
                        1200.0, 1691370720000)], man
        lines = d.query("SELECT line, waste_code, hw_category, waste, qty,"
                        " unit, qty_kg FROM manifest_lines")
        assert lines == [(1, "900-249-08", "HW08", "hw", 1.2, "t",
                          1200.0)], lines


def test_vendor_b():
    env, d = ingest("vendor-b")
    with env:
        wb = d.query("SELECT facility, ticket, version, plate, direction,"
                     " gross_kg, tare_kg, net_kg, first_ms, second_ms,"
                     " waste, origin, status, dq_flags FROM weighings")
        # Naive local times are flagged TZ_ASSUMED (4).
        assert wb == [("CC-KWP-01", "0153", 1, "吉A5G217", "in", 18070.0,
                       13320.0, 4750.0, 1691388202000, 1691389265000,
                       "msw.food", "朝阳区环卫所", "complete", 4)], wb
        pos = d.query("SELECT vehicle, device, plate, ts_ms, lat, lon,"
                      " speed_kmh, heading_deg, alt_m, load_state, dq_flags"
                      " FROM positions")
        assert pos == [("吉A5G217", "013912345678", "吉A5G217",
                        1691388178000, 43.883412, 125.314567, 32.5, 87.0,
                        221.0, "full", 4)], pos
        man = d.query("SELECT scheme, manifest_no, status, plate,"
                      " receiver_facility, declared_kg, received_kg,"
                      " departed_ms, arrived_ms FROM manifests")
        assert man == [("CN_KW", "KW20230807-0153", "closed", "吉A5G217",
                        "CC-KWP-01", 4900.0, 4750.0, 1691370720000,
                        1691388202000)], man
        tickets = d.query("SELECT facility, ticket FROM manifest_tickets")
        assert tickets == [("CC-KWP-01", "0153")], tickets
        # Reconciled against weighbridge ticket 0153: -3.06 %, within 10 %.
        rec = wait_for(lambda: d.query(
            "SELECT scheme, manifest_no, declared_kg, received_kg,"
            " round(diff_pct, 2), method, verdict FROM reconciliations"),
            10, "the reconciliation")
        assert rec == [("CN_KW", "KW20230807-0153", 4900.0, 4750.0, -3.06,
                        "ticket_ref", "ok")], rec


def test_legacy_wb():
    env, d = ingest("legacy-wb")
    with env:
        cur = d.query("SELECT facility, ticket, version, plate, direction,"
                      " gross_kg, tare_kg, net_kg, first_ms, second_ms,"
                      " waste, origin, status FROM weighings")
        assert cur == [("CC-KWP-01", "0153", 2, "吉A5G217", "in", 18070.0,
                        13300.0, 4770.0, 1691388202000, 1691389265000,
                        "msw.food", "CHAOYANG-HWS", "complete")], cur
        hist = d.query("SELECT version, status, plate, net_kg, second_ms,"
                       " dq_flags & 32 FROM weighings_history ORDER BY id")
        # F opened it (JIA → 吉 through the profile's table: ALIASED 32),
        # T completed version 1, C made version 2.
        assert hist == [(1, "open", "吉A5G217", None, None, 32),
                        (1, "complete", "吉A5G217", 4750.0, 1691389265000,
                         0)], hist


def test_legacy_wb_checksum_and_gbk():
    """A GBK line with a correct checksum is transcoded; a bad checksum is
    rejected; a batch with one bad record is rejected whole."""
    line = "T;ST02;0154;20230807;150000;151500;吉A5G217;18000;13000;5000;" \
           "KG;QT;CHAOYANG-HWS;OP07;"

    def signed(text, enc):
        raw = text.encode(enc)
        x = 0
        for b in raw:
            x ^= b
        return raw + b"%02X" % x

    env = Env("legacy-gbk", subscriptions=SUBS, include=PROFILES)
    with env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        good = signed(line, "gbk")
        bad = good[:-2] + b"00"
        batch = signed(line.replace("0154", "0155"), "utf-8") + b"\r\n" + bad
        pub.publish_all([("legacy/wb/ST02/out", good),
                         ("legacy/wb/ST02/out", bad),
                         ("legacy/wb/ST02/out", batch)])
        pub.close()
        wait_for(lambda: d.status()["ingest"]["received"] >= 3, 20, "3")
        rows = d.query("SELECT ticket, plate, waste, net_kg FROM weighings")
        assert rows == [("0154", "吉A5G217", "msw.residual", 5000.0)], rows
        rej = d.query("SELECT reason FROM rejects ORDER BY id")
        assert rej == [("bad_checksum",), ("bad_checksum",)], rej


def test_jt808():
    env, d = ingest("jt808-emqx")
    with env:
        b = d.query("SELECT device, plate, plate_color FROM device_bindings")
        assert b == [("013912345678", "吉A5G217", "yellow")], b
        pos = d.query("SELECT vehicle, device, plate, ts_ms, lat, lon,"
                      " speed_kmh, heading_deg, alt_m, load_state"
                      " FROM positions")
        assert pos == [("013912345678", "013912345678", "吉A5G217",
                        1691388178000, 43.883412, 125.314567, 32.5, 87.0,
                        221.0, "full")], pos


if __name__ == "__main__":
    run([test_vendor_a, test_vendor_b, test_legacy_wb,
         test_legacy_wb_checksum_and_gbk, test_jt808])
