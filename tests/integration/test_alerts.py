#!/usr/bin/python3
"""Alerts through a real broker and the real daemon (docs/alerts.md):
a discrepancy opens one alert, published retained on
wt/v1/alerts/discrepancy/<id>; the same messages again and a restart
open no second one; the corrected manifest resolves it and clears the
retained message; an alert that opens while the broker is down is
published once the daemon is connected again."""

import json
import os
import threading
import time
import uuid

import paho.mqtt.client as mqtt

from harness import Env, Publisher, run, wait_for
from test_reconcile import FAC, ticket

EXTRA = "alerts:\n  interval_s: 1\n"


def manifest(no, plate, status, departed, kg, version=1, tickets=None,
             district="绿园区"):
    m = {"scheme": "CN_HW", "status": status, "version": version,
         "ts": departed, "plate": plate, "receiver": {"facility": FAC},
         "generator": {"district": district},
         "lines": [{"line": 1, "waste": "hw", "qty": kg, "unit": "kg"}]}
    if tickets:
        m["tickets"] = [{"facility": FAC, "ticket": t} for t in tickets]
    return ("wt/v1/manifests/%s" % no, json.dumps(m))


class Watcher:
    """Every message on wt/v1/alerts/# as it arrives (a live subscriber,
    as an SMS gateway would be)."""

    def __init__(self, port):
        self.msgs = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.c = mqtt.Client(client_id="watch-%s" % uuid.uuid4().hex[:8],
                             clean_session=True)
        self.c.on_message = self._on_message
        self.c.on_subscribe = lambda *a: self.subscribed.set()
        self.c.on_connect = lambda c, u, f, rc: c.subscribe(
            "wt/v1/alerts/#", qos=1)
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        assert self.subscribed.wait(10), "watcher not subscribed"

    def _on_message(self, c, u, m):
        with self.lock:
            self.msgs.append((m.topic, m.payload.decode(), m.retain))

    def on(self, topic):
        with self.lock:
            return [(p, r) for t, p, r in self.msgs if t == topic]

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def retained(port):
    """The retained messages under wt/v1/alerts/ now: a fresh subscriber
    gets them right after subscribing, before a marker it publishes
    itself once the subscription is acknowledged."""
    marker = "test/marker/%s" % uuid.uuid4().hex
    got, done = {}, threading.Event()
    c = mqtt.Client(client_id="snap-%s" % uuid.uuid4().hex[:8],
                    clean_session=True)

    def on_message(c, u, m):
        if m.topic == marker:
            done.set()
        elif m.retain:
            got[m.topic] = m.payload.decode()

    c.on_message = on_message
    c.on_subscribe = lambda c, u, mid, q: c.publish(marker, b"x", qos=1)
    c.on_connect = lambda c, u, f, rc: c.subscribe(
        [("wt/v1/alerts/#", 1), (marker, 1)])
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        assert done.wait(10), "marker never came back"
    finally:
        c.loop_stop()
        c.disconnect()
    return got


def synced_after(d, t_ms):
    """A complete sync of the alerts ran after t_ms (the daemon's own
    clock, which is the test's here)."""
    return d.status()["alerts"]["synced_ms"] > t_ms


def alert_rows(d, kind):
    return d.query("SELECT id, subject, district, resolved_ms, published"
                   " FROM alerts WHERE kind = ? ORDER BY id", (kind,))


def test_alert_lifecycle():
    msgs = [
        # 1000 kg declared, the ticket it names weighed 500: -50 %.
        ticket("H-1", "2023-08-07", "10:00", "吉A10001", 500),
        manifest("DISC", "吉A10001", "received",
                 "2023-08-07T08:00:00+08:00", 1000, tickets=["H-1"]),
        # In transit since 2023: overdue long ago.
        manifest("LATE", "吉A10002", "in_transit",
                 "2023-08-07T08:00:00+08:00", 300),
    ]
    with Env("alerts", extra=EXTRA) as env:
        d = env.daemon.start()
        port = env.broker.port
        watch = Watcher(port)
        pub = Publisher(port)
        pub.publish_all(msgs)
        wait_for(lambda: [r[1:4] for r in alert_rows(d, "discrepancy")]
                 == [("CN_HW/DISC", "绿园区", None)], 30,
                 "the discrepancy alert")
        (aid, _, _, _, _), = alert_rows(d, "discrepancy")
        topic = "wt/v1/alerts/discrepancy/%d" % aid
        # Acknowledged by the broker, then recorded as published.
        wait_for(lambda: alert_rows(d, "discrepancy")[0][4] == 1, 20,
                 "the alert's PUBACK recorded")
        (body, live), = wait_for(lambda: watch.on(topic), 10,
                                 "the alert on " + topic)
        assert not live, "a live subscriber gets it as a new message"
        a = json.loads(body)
        assert a["id"] == aid and a["kind"] == "discrepancy", a
        assert a["severity"] == "warning" and a["subject"] == "CN_HW/DISC"
        assert a["district"] == "绿园区", a
        assert a["evidence"]["declared_kg"] == 1000.0, a
        assert a["evidence"]["received_kg"] == 500.0, a
        assert a["evidence"]["diff_pct"] == -50.0, a
        assert "resolved_ms" not in a, a
        late = wait_for(lambda: alert_rows(d, "overdue_manifest"), 20,
                        "the overdue alert")
        assert [r[1] for r in late] == ["CN_HW/LATE"], late
        wait_for(lambda: d.count("alerts", "published = 1") == 2, 20,
                 "both alerts acknowledged")
        snap = retained(port)
        assert json.loads(snap[topic]) == a, snap
        assert "wt/v1/alerts/overdue_manifest/%d" % late[0][0] in snap, snap
        assert len(snap) == 2, snap

        # The same messages again: duplicates, and no second alert.
        before = d.status()["ingest"]["duplicates"]
        pub.publish_all(msgs)
        wait_for(lambda: d.status()["ingest"]["duplicates"] >= before + 3,
                 20, "the redelivered messages")
        t = int(time.time() * 1000)
        wait_for(lambda: synced_after(d, t), 20, "a sync after them")
        assert d.count("alerts") == 2, d.query("SELECT * FROM alerts")
        assert len(retained(port)) == 2

        # A restart: nothing opened again, nothing sent again.
        d.stop()
        d.start()
        t = int(time.time() * 1000)
        wait_for(lambda: synced_after(d, t), 20, "a sync after restart")
        assert d.count("alerts") == 2, d.query("SELECT * FROM alerts")
        assert d.count("alerts", "resolved_ms IS NULL") == 2
        wait_for(lambda: d.status()["alerts"]["open"] == 2, 20,
                 "/status after the restart")
        assert d.status()["alerts"]["unpublished"] == 0
        assert len(watch.on(topic)) == 1, watch.on(topic)
        st = d.status()["alerts"]
        assert st["open"] == 2 and st["open_by_kind"]["discrepancy"] == 1, st
        assert st["open_by_kind"]["clinic_pickup_overdue"] == 0, st
        assert [x["id"] for x in st["newest"]] == [late[0][0], aid], st
        code, metrics = d.http("/metrics")
        assert code == 200
        assert 'wastetrack_alerts_open{kind="discrepancy"} 1\n' in metrics
        assert 'wastetrack_alerts_open{kind="unknown_facility"} 0\n' \
            in metrics
        assert "wastetrack_alerts_opened_total 2\n" in metrics

        # The corrected manifest (500 kg declared, as weighed): resolved,
        # a notice with resolved_ms, then the retained message cleared.
        pub.publish_all([manifest("DISC", "吉A10001", "received",
                                  "2023-08-07T08:00:00+08:00", 500,
                                  version=2, tickets=["H-1"])])
        wait_for(lambda: alert_rows(d, "discrepancy")[0][3] is not None,
                 30, "the alert resolved")
        wait_for(lambda: alert_rows(d, "discrepancy")[0][4] == 3, 20,
                 "the clear acknowledged")
        # The broker acknowledges before it forwards.
        got = wait_for(lambda: len(watch.on(topic)) == 3 and watch.on(topic),
                       10, "the notice and the clear on " + topic)
        notice, kept = got[1]
        n = json.loads(notice)
        assert not kept and n["id"] == aid, got
        assert n["resolved_ms"] == alert_rows(d, "discrepancy")[0][3], n
        assert got[2] == ("", False), got
        snap = retained(port)
        assert topic not in snap and len(snap) == 1, snap
        assert d.count("alerts") == 2
        wait_for(lambda: d.status()["alerts"]["open"] == 1, 20,
                 "/status to show one open")
        pub.close()
        watch.close()
        # The daemon took none of its own alerts for telemetry.
        assert d.count("rejects") == 0, d.query("SELECT * FROM rejects")


def test_alert_while_broker_down():
    with Env("alerts-down", extra=EXTRA) as env:
        offset = os.path.join(env.dir, "clock-offset")
        with open(offset, "w") as f:
            f.write("0\n")
        d = env.daemon.start(env=dict(os.environ,
                                      WT_TEST_CLOCK_OFFSET_FILE=offset))
        port = env.broker.port
        # In transit for 47 hours of the 48 allowed: not overdue yet.
        departed = time.time() - 47 * 3600
        ts = time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                           time.gmtime(departed))
        pub = Publisher(port)
        pub.publish_all([manifest("SLOW", "吉A20001", "in_transit", ts,
                                  200)])
        pub.close()
        wait_for(lambda: d.query("SELECT verdict FROM reconciliations"
                                 " WHERE manifest_no = 'SLOW'")
                 == [("pending",)], 20, "the manifest pending")
        t = int(time.time() * 1000)
        wait_for(lambda: synced_after(d, t), 20, "a sync")
        assert d.count("alerts") == 0

        # The broker goes; two hours pass for the daemon: overdue now.
        env.broker.stop()
        wait_for(lambda: not d.status()["mqtt"]["connected"], 20,
                 "the daemon to see the broker gone")
        with open(offset, "w") as f:
            f.write("%d\n" % (2 * 3600 * 1000))
        wait_for(lambda: d.count("alerts", "kind = 'overdue_manifest'")
                 == 1, 30, "the overdue alert")
        # /status reads the database on its own thread: a second late.
        wait_for(lambda: (d.status()["alerts"]["unpublished"],
                          d.status()["alerts"]["open"]) == (1, 1), 20,
                 "/status to show the alert unpublished")
        (aid, pubd), = d.query("SELECT id, published FROM alerts")
        assert pubd == 0

        # Back: published once connected, and recorded.
        env.broker.start()
        wait_for(lambda: d.query("SELECT published FROM alerts")
                 == [(1,)], 30, "the alert published after reconnect")
        snap = retained(port)
        topic = "wt/v1/alerts/overdue_manifest/%d" % aid
        a = json.loads(snap[topic])
        assert a["subject"] == "CN_HW/SLOW" and a["severity"] == "critical"
        wait_for(lambda: d.status()["alerts"]["unpublished"] == 0, 20,
                 "/status to show it published")


if __name__ == "__main__":
    run([test_alert_lifecycle, test_alert_while_broker_down])
