#!/usr/bin/python3
"""End to end through a real broker: every native example becomes the rows
this file expects; bad input lands in rejects with its reason;
redelivery and restarts never double a row; the endpoint answers."""

import json
import os
import re
import shutil
import subprocess

from harness import Env, Publisher, read_tsv, run, wait_for


def schema_version():
    """The version this source migrates to (lib/store.h)."""
    path = os.path.join(os.environ["WT_SOURCE"], "lib", "store.h")
    m = re.search(r"#define STORE_SCHEMA_VERSION (\d+)", open(path).read())
    return int(m.group(1))

EXPECTED_TOTAL = 6          # messages in wastetrack.tsv


def publish_examples(env):
    pub = Publisher(env.broker.port)
    n = pub.publish_all(read_tsv("wastetrack.tsv"))
    pub.close()
    return n


def wait_received(d, n):
    wait_for(lambda: d.status()["ingest"]["received"] >= n, 20,
             "%d messages to be processed" % n)


def check_expected_rows(d):
    pos = d.query("SELECT vehicle, device, plate, ts_ms, lat, lon, speed_kmh,"
                  " heading_deg, alt_m, load_state, dq_flags FROM positions")
    assert pos == [("KW-0217", "013912345678", "吉A5G217", 1691388178000,
                    43.883412, 125.314567, 32.5, 87.0, 221.0, "full", 0)], pos
    ev = d.query("SELECT type, vehicle, plate, ts_ms, site, facility, waste,"
                 " mass_kg, manifest_no FROM vehicle_events ORDER BY ts_ms")
    assert ev == [("load", "KW-0217", "吉A5G217", 1691370720000, "CY-XQ-0031",
                   None, "msw.food", 4900.0, "KW20230807-0153"),
                  ("unload", "KW-0217", "吉A5G217", 1691388760000, None,
                   "CC-KWP-01", "msw.food", 4750.0, "KW20230807-0153")], ev
    wb = d.query("SELECT facility, ticket, version, plate, direction,"
                 " gross_kg, tare_kg, net_kg, first_ms, second_ms, waste,"
                 " origin, status, dq_flags FROM weighings")
    assert wb == [("CC-KWP-01", "0153", 1, "吉A5G217", "in", 18070.0,
                   13320.0, 4750.0, 1691388202000, 1691389265000,
                   "msw.food", "朝阳区环卫所", "complete", 0)], wb
    fs = d.query("SELECT facility, ts_ms, state, inventory_kg, throughput_kg"
                 " FROM facility_status")
    assert fs == [("CC-KWP-01", 1691423940000, "open", 1200.0, 412000.0)], fs
    man = d.query("SELECT scheme, manifest_no, version, status, plate,"
                  " generator_code, receiver_facility, declared_kg,"
                  " departed_ms FROM manifests")
    assert man == [("CN_HW", "20232201000153", 3, "in_transit", "吉A02851D",
                    "91220101MA0XXXXXX1", "CC-HW-01", 1200.0,
                    1691370785000)], man
    lines = d.query("SELECT line, waste_code, hw_category, waste, qty, unit,"
                    " qty_kg FROM manifest_lines")
    assert lines == [(1, "900-249-08", "HW08", "hw", 1.2, "t", 1200.0)], lines
    msgs = d.query("SELECT count(*), count(DISTINCT sha256), min(outcome),"
                   " max(outcome) FROM messages")
    assert msgs == [(EXPECTED_TOTAL, EXPECTED_TOTAL, "stored", "stored")], msgs
    # Provenance: every canonical row points at its message.
    for table in ("positions", "vehicle_events", "weighings",
                  "facility_status", "manifests"):
        orphans = d.count(table, "message_id NOT IN (SELECT id FROM messages)")
        assert orphans == 0, table


def row_counts(d):
    return {t: d.count(t) for t in ("messages", "positions", "vehicle_events",
                                    "weighings", "weighings_history",
                                    "facility_status", "manifests",
                                    "manifest_lines", "manifest_events",
                                    "rejects")}


def test_examples_and_redelivery():
    with Env("examples") as env:
        d = env.daemon.start()
        publish_examples(env)
        wait_received(d, EXPECTED_TOTAL)
        check_expected_rows(d)
        before = row_counts(d)
        # The same bytes again: exact duplicates, nothing new.
        publish_examples(env)
        wait_received(d, 2 * EXPECTED_TOTAL)
        assert row_counts(d) == before
        st = d.status()["ingest"]
        assert st["duplicates"] == EXPECTED_TOTAL, st
        assert st["stored"] == EXPECTED_TOTAL, st
        # Restart: nothing lost or doubled; the session resumes.
        assert d.stop() == 0
        d.start()
        assert row_counts(d) == before
        publish_examples(env)
        wait_received(d, EXPECTED_TOTAL)
        assert row_counts(d) == before
        check_expected_rows(d)


BAD = [
    # (topic, payload, reason)
    ("wt/v1/vehicles/B1/position", b"{bad", "bad_json"),
    ("wt/v1/vehicles/B1/position", b"[1, 2]", "bad_type"),
    ("wt/v1/vehicles/B1/position", b'{"lat": 43.1, "lon": 125.1}',
     "missing_field"),
    ("wt/v1/vehicles/B1/position",
     b'{"ts": "yesterday", "lat": 43.1, "lon": 125.1}', "bad_time"),
    ("wt/v1/vehicles/B1/position",
     b'{"ts": "2099-01-01T00:00:00Z", "lat": 43.1, "lon": 125.1}',
     "future_ts"),
    ("wt/v1/vehicles/B1/position",
     b'{"ts": 1691388178000, "lat": 43.1, "lon": 125.1, "speed_kmh": "fast"}',
     "bad_type"),
    ("wt/v1/vehicles/B1/unknown", b'{"ts": 1691388178000}', "unknown_kind"),
    ("wt/v1/vehicles/B1/position", b'\xff\xfe{"ts": 1}', "bad_utf8"),
    ("wt/v1/vehicles/B1/position", b'{"ts": 1691388178000,\x00 "lat": 1}',
     "bad_utf8"),
    ("wt/v1/vehicles/B1/position", b'{"ts": 1691388178000, "lat": 43.1, '
     b'"lon": 125.1, "pad": "' + b"x" * 5000 + b'"}', "too_large"),
    ("wt/v1/facilities/F1/weighings", b'{"ticket": "1", "plate": "A",'
     b' "direction": "sideways", "first_ts": 1691388178000, "waste":'
     b' "msw.food", "status": "open"}', "bad_value"),
    ("wt/v1/manifests/M1", b'{"scheme": "CN_HW", "status": "created",'
     b' "version": 1, "ts": 1691388178000, "lines": [{"waste": "hw",'
     b' "qty": 1.2}]}', "bad_unit"),
    ("wt/v1/manifests/M2", b'{"scheme": "CN_HW", "status": "created",'
     b' "ts": 1691388178000}', "missing_field"),
    ("wt/v1/vehicles/B1/events", b'{"type": "teleport", "ts": 1691388178000,'
     b' "waste": "msw.food"}', "bad_value"),
]


def test_rejects():
    with Env("rejects", extra="ingest:\n  max_payload: 4096\n") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all([(t, p) for t, p, _ in BAD])
        wait_received(d, len(BAD))
        rows = d.query("SELECT topic, payload, reason, detail, received_ms"
                       " FROM rejects ORDER BY id")
        assert len(rows) == len(BAD), rows
        for (topic, payload, reason), row in zip(BAD, rows):
            # Over the limit only a prefix is kept (size and digest in
            # the detail); every other reject keeps the payload whole.
            kept = payload[:4096] if reason == "too_large" else payload
            assert row[0] == topic and bytes(row[1]) == kept, row
            assert row[2] == reason, (reason, row)
            assert row[3], "every reject says why"
            assert row[4] > 0
        st = d.status()["ingest"]
        assert st["rejected"] == len(BAD)
        for reason in set(r for _, _, r in BAD):
            assert st["rejected_by_reason"][reason] == \
                sum(1 for _, _, r in BAD if r == reason), reason
        assert d.count("messages") == 0 and d.count("positions") == 0
        # Still alive and healthy, and a good message still goes through.
        assert d.http("/healthz") == (200, "ok\n")
        pub.publish_all([("wt/v1/vehicles/B1/position",
                          '{"ts": 1691388178000, "lat": 95, "lon": 125.1,'
                          ' "plate": "吉a·5g217"}')])
        wait_received(d, len(BAD) + 1)
        row = d.query("SELECT lat, lon, plate, dq_flags FROM positions")
        # Out-of-range coordinates are NULL with COORD_INVALID (64).
        assert row == [(None, None, "吉A5G217", 64)], row
        pub.close()
        log = d.log_text()
        assert "rejected message on wt/v1/vehicles/B1/position: bad_json" \
            in log, log


def test_versions_and_lifecycle():
    base = {"ticket": "0200", "plate": "吉A5G217", "direction": "in",
            "first_ts": "2023-08-07T10:00:00+08:00", "waste": "厨余垃圾",
            "gross_kg": 18000}
    opened = dict(base, status="open")
    done = dict(base, status="complete", tare_kg=13000,
                second_ts="2023-08-07T10:20:00+08:00")
    fixed = dict(done, tare_kg=13100, version=2)
    late = dict(done, tare_kg=12000, version=1)
    topic = "wt/v1/facilities/CC-KWP-01/weighings"
    man = "wt/v1/manifests/HW-1"
    m = {"scheme": "CN_HW", "plate": "吉A02851D", "lines": [
        {"line": 1, "waste_code": "HW08/900-249-08", "waste": "危险废物",
         "qty": 1200, "unit": "kg"}]}
    with Env("versions") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        msgs = [(topic, json.dumps(x)) for x in (opened, done, fixed, late)]
        msgs += [(man, json.dumps(dict(m, status=s, version=v, ts=ts)))
                 for s, v, ts in (("created", 1, 1691370000000),
                                  ("received", 4, 1691390000000),
                                  ("in_transit", 3, 1691380000000))]
        # A facility missing from the registry: kept, and flagged.
        msgs.append(("wt/v1/facilities/ZZ-NOWHERE/weighings",
                     json.dumps(dict(done, ticket="9"))))
        pub.publish_all(msgs)
        wait_received(d, len(msgs))
        cur = d.query("SELECT version, status, tare_kg, net_kg, waste"
                      " FROM weighings WHERE ticket = '0200'")
        assert cur == [(2, "complete", 13100.0, 4900.0, "msw.food")], cur
        hist = d.query("SELECT version, status, tare_kg, dq_flags & 2"
                       " FROM weighings_history ORDER BY id")
        assert hist == [(1, "open", None, 0), (1, "complete", 13000.0, 0),
                        (1, "complete", 12000.0, 2)], hist
        st = d.query("SELECT status, version, departed_ms, received_ms"
                     " FROM manifests WHERE manifest_no = 'HW-1'")
        assert st == [("received", 4, 1691390000000, 1691390000000)], st
        evs = d.query("SELECT status, applied, dq_flags & 2 FROM"
                      " manifest_events ORDER BY id")
        assert evs == [("created", 1, 0), ("received", 1, 0),
                       ("in_transit", 0, 2)], evs
        assert d.status()["ingest"]["history"] == 2
        unknown = d.query("SELECT dq_flags & 262144, net_kg FROM weighings"
                          " WHERE facility = 'ZZ-NOWHERE'")
        assert unknown == [(262144, 5000.0)], unknown
        known = d.query("SELECT dq_flags & 262144 FROM weighings"
                        " WHERE facility = 'CC-KWP-01'")
        assert known == [(0,)], known
        pub.close()


def test_http():
    with Env("http") as env:
        d = env.daemon.start()
        publish_examples(env)
        wait_received(d, EXPECTED_TOTAL)
        assert d.http("/healthz") == (200, "ok\n")
        code, body = d.http("/healthz", "HEAD")
        assert code == 200 and body == ""
        st = d.status()
        for key in ("version", "uptime_s", "mqtt", "ingest", "database",
                    "city"):
            assert key in st, key
        assert st["database"]["schema_version"] == schema_version()
        if d.store.get("backend") == "postgresql":
            # A server has no file: /status names its URI instead.
            assert st["database"]["path"] is None, st["database"]
            assert st["database"]["url"] == d.store["url"], st["database"]
        else:
            assert st["database"]["path"] == d.db
        assert st["mqtt"]["subscriptions"] == ["wt/v1/#"]
        assert st["ingest"]["stored_by_kind"]["weighing"] == 1
        # The city block has its own thread, refreshed after changes.
        wait_for(lambda: d.status()["city"]["open_manifests"] == 1, 20,
                 "the city figures to catch up")
        code, metrics = d.http("/metrics")
        assert code == 200
        assert "wastetrack_messages_received_total 6" in metrics
        assert 'wastetrack_rows_stored_total{kind="position"} 1' in metrics
        if shutil.which("promtool"):
            p = subprocess.run(["promtool", "check", "metrics"],
                               input=metrics.encode(), capture_output=True)
            assert p.returncode == 0, p.stdout + p.stderr
        assert d.http("/status", "POST")[0] == 405
        assert d.http("/nothing")[0] == 404
        # The health check goes red when the broker goes away.
        env.broker.stop()
        wait_for(lambda: d.http("/healthz")[0] == 503, 20, "healthz 503")
        assert "broker disconnected" in d.http("/healthz")[1]
        assert d.status()["mqtt"]["connected"] is False


def test_vehicles_seen():
    """`vehicles` keeps the first and last time each vehicle was seen and
    its latest known plate and device, whatever order positions arrive in
    and however many share a transaction."""
    base = 1691388000000
    with Env("vehicles") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        msgs = []
        for i, ts in enumerate([5, 1, 9, 3, 7]):
            body = {"ts": base + ts * 1000, "lat": 43.88, "lon": 125.31}
            if i == 1:
                body["plate"] = "吉A5G217"
            if i == 3:
                body["plate"] = "吉A5G218"
                body["device"] = "013900000001"
            msgs.append(("wt/v1/vehicles/V-SEEN/position", json.dumps(body)))
        msgs.append(("wt/v1/vehicles/V-OTHER/position",
                     json.dumps({"ts": base, "lat": 43.9, "lon": 125.3})))
        pub.publish_all(msgs)
        wait_received(d, len(msgs))
        rows = d.query("SELECT vehicle, plate, device, first_seen_ms,"
                       " last_seen_ms FROM vehicles ORDER BY vehicle")
        assert rows == [("V-OTHER", None, None, base, base),
                        ("V-SEEN", "吉A5G218", "013900000001",
                         base + 1000, base + 9000)], rows
        # A later, older position moves first_seen back, never last_seen.
        pub.publish_all([("wt/v1/vehicles/V-SEEN/position",
                          json.dumps({"ts": base - 1000, "lat": 43.88,
                                      "lon": 125.31, "plate": "吉A5G219"}))])
        wait_received(d, len(msgs) + 1)
        rows = d.query("SELECT plate, first_seen_ms, last_seen_ms FROM"
                       " vehicles WHERE vehicle = 'V-SEEN'")
        assert rows == [("吉A5G219", base - 1000, base + 9000)], rows
        # A backlog of 1 500 vehicles, two positions each, drained in big
        # batches (more vehicles than one batch keeps in memory).
        d.stop()
        fleet = [("wt/v1/vehicles/F%04d/position" % (i % 1500),
                  json.dumps({"ts": base + (i // 1500) * 60000 + i,
                              "lat": 43.88, "lon": 125.31}))
                 for i in range(3000)]
        pub.publish_all(fleet)
        d.start()
        wait_for(lambda: d.count("positions", "vehicle LIKE 'F%'") == 3000,
                 60, "the fleet's positions")
        rows = d.query("SELECT count(*), min(last_seen_ms - first_seen_ms),"
                       " max(last_seen_ms - first_seen_ms) FROM vehicles"
                       " WHERE vehicle LIKE 'F%'")
        assert rows == [(1500, 61500, 61500)], rows
        pub.close()


def test_mqtt5_session():
    """MQTT 5 with a persistent session: what is published while the
    daemon is down is delivered when it comes back."""
    with Env("mqtt5", mqtt_extra="  mqtt5: true\n  session_expiry_s: 600\n") \
            as env:
        d = env.daemon.start()
        assert d.stop() == 0
        publish_examples(env)
        d.start()
        wait_received(d, EXPECTED_TOTAL)
        check_expected_rows(d)


if __name__ == "__main__":
    run([test_examples_and_redelivery, test_mqtt5_session, test_rejects,
         test_versions_and_lifecycle, test_http, test_vehicles_seen])
