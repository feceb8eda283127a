#!/usr/bin/python3
"""Data that must not corrupt the figures, through a real broker.

1. Absurd masses (net 1e308 with no gross or tare, and every other mass
   of the model) are stored flagged IMPLAUSIBLE_WEIGHT and left out of
   the indicators; /status stays strict JSON and /metrics passes
   promtool.
2. A correction that moves a ticket's first weighing across midnight,
   and a next-day void, change the one ticket: it is counted once, on
   the day the correction says, or not at all.
3. Changing time.local_offset and moving a facility to another district
   (SIGHUP) leave past days' figures as they were, and the log says so.
"""

import datetime
import json
import os
import shutil
import signal
import subprocess
import tempfile

from harness import Broker, Daemon, Publisher, run, wait_for

KWP = "CC-KWP-01"  # food-waste plant, 朝阳区, in the harness's registry
HW = "CC-HW-01"    # hazardous-waste facility, 绿园区
CY, LY = "朝阳区", "绿园区"


def strict_json(text):
    """json.loads that refuses NaN and Infinity (Python accepts them)."""
    def refuse(name):
        raise ValueError("non-finite number %s in JSON" % name)
    return json.loads(text, parse_constant=refuse)


def ts(dt):
    return dt.isoformat(timespec="seconds")


def local_now(offset_h):
    tz = datetime.timezone(datetime.timedelta(hours=offset_h))
    return datetime.datetime.now(tz).replace(microsecond=0)


def earlier_today(offset_h, minutes):
    """A few minutes ago, but never before local midnight: shortly after
    midnight "a few minutes ago" is yesterday, not today's figures."""
    now = local_now(offset_h)
    midnight = now.replace(hour=0, minute=0, second=0)
    return max(now - datetime.timedelta(minutes=minutes), midnight)


def weighing(facility, ticket, first_ts, net=None, status="complete",
             version=None, waste="msw.food", plate="吉A12345", **extra):
    p = {"ticket": ticket, "plate": plate, "direction": "in",
         "first_ts": first_ts, "waste": waste, "status": status}
    if net is not None:
        p["net_kg"] = net
    if version is not None:
        p["version"] = version
    p.update(extra)
    return ("wt/v1/facilities/%s/weighings" % facility,
            json.dumps(p, ensure_ascii=False))


class Setup:
    """A broker and a daemon whose configuration the test may rewrite."""

    def __init__(self, name, extra=""):
        self.dir = tempfile.mkdtemp(prefix="wt-%s-" % name)
        self.broker = Broker(self.dir).start()
        self.daemon = Daemon(self.dir, self.broker.port, extra=extra)
        self.daemon.start()
        self.pub = Publisher(self.broker.port)

    def publish(self, items):
        return self.pub.publish_all(items)

    def stored(self, n):
        wait_for(lambda: self.daemon.status()["ingest"]["received"] >= n,
                 30, "%d messages received" % n)

    def close(self, ok):
        self.pub.close()
        try:
            if self.daemon.proc and self.daemon.proc.poll() is None:
                assert self.daemon.stop() == 0
        finally:
            self.broker.stop()
        if ok:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("test files kept in %s" % self.dir)
            print(self.daemon.log_text()[-3000:])


def city_kg(status, district, waste):
    for row in status["city"]["tonnage"]:
        if row["district"] == district and row["waste"] == waste:
            return row["kg"]
    return None


def promtool(text):
    if not shutil.which("promtool"):
        print("  (promtool not installed: metrics checked by hand only)")
        return
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_huge_masses():
    s = Setup("huge")
    ok = False
    try:
        now = earlier_today(8, 10)
        day = now.date().isoformat()
        t = ts(now)
        items = [
            weighing(KWP, "BIG-1", t, net=1e308),
            weighing(KWP, "BIG-2", t, net=1e308),
            weighing(KWP, "OK-1", t, net=1000),
            ("wt/v1/vehicles/V-BIG/events", json.dumps(
                {"type": "unload", "ts": t, "facility": KWP,
                 "waste": "msw.food", "mass_kg": 1e308})),
            ("wt/v1/facilities/%s/status" % KWP, json.dumps(
                {"ts": t, "state": "running", "inventory_kg": 1e308,
                 "throughput_kg": 1e308})),
            ("wt/v1/manifests/HUGE-1", json.dumps(
                {"scheme": "msw", "version": 1, "status": "in_transit",
                 "ts": t, "plate": "吉A12345",
                 "receiver": {"facility": KWP},
                 "lines": [{"waste": "msw.food", "qty": 1e308,
                            "unit": "kg"}]})),
        ]
        s.publish(items)
        s.stored(len(items))
        d = s.daemon
        assert d.count("weighings") == 3
        st = strict_json(d.http("/status")[1])
        assert st["ingest"]["rejected"] == 0, st["ingest"]
        # The city figures are refreshed on their own thread.
        wait_for(lambda: city_kg(strict_json(d.http("/status")[1]), CY,
                                 "msw.food") is not None,
                 20, "today's tonnage on /status")
        code, body = d.http("/status")
        assert code == 200
        st = strict_json(body)
        assert city_kg(st, CY, "msw.food") == 1000, st["city"]
        code, text = d.http("/metrics")
        assert code == 200
        for line in text.splitlines():
            if not line.startswith("#"):
                value = line.rsplit(" ", 1)[1].lower()
                assert "inf" not in value and "nan" not in value, line
        assert ('wastetrack_today_kg{district="%s",waste="msw.food"} '
                '1000.000' % CY) in text, text
        promtool(text)
        # Every absurd mass is kept and flagged.
        for table, where in (("weighings", "ticket LIKE 'BIG-%'"),
                             ("vehicle_events", "vehicle = 'V-BIG'"),
                             ("facility_status", "true"),
                             ("manifests", "manifest_no = 'HUGE-1'")):
            rows = d.query("SELECT dq_flags & 2048 FROM %s WHERE %s"
                           % (table, where))
            assert rows and all(r[0] for r in rows), (table, rows)
        assert d.query("SELECT net_kg FROM weighings WHERE ticket = 'BIG-1'"
                       )[0][0] == 1e308
        # Reconciliation judges the manifest on no absurd figure.
        assert d.query("SELECT declared_kg FROM manifests"
                       " WHERE manifest_no = 'HUGE-1'")[0][0] is None
        # Only the plausible ticket counts.
        rows = d.query("SELECT kg FROM daily_tonnage WHERE day = ?", (day,))
        assert rows == [(1000.0,)], rows
        print("  stored %d of %d, rejected 0; /status city %s msw.food "
              "%s kg" % (st["ingest"]["stored"], len(items), CY,
                         city_kg(st, CY, "msw.food")))
        ok = True
    finally:
        s.close(ok)


def day_kg(d, day):
    return d.query("SELECT coalesce(sum(kg), 0) FROM daily_tonnage"
                   " WHERE day = ?", (day,))[0][0]


def test_correction_across_midnight():
    s = Setup("midnight")
    ok = False
    try:
        items = [
            # 23:58, then version 2 moves the first weighing to 00:02
            weighing(KWP, "0153", "2023-08-07T23:58:00+08:00", net=1000,
                     version=1),
            weighing(KWP, "0153", "2023-08-08T00:02:00+08:00", net=1100,
                     version=2),
            # voided by a version 2 dated the next day
            weighing(KWP, "0154", "2023-08-07T23:59:00+08:00", net=700,
                     version=1, plate="吉A22222"),
            weighing(KWP, "0154", "2023-08-08T00:03:00+08:00", net=700,
                     version=2, status="void", plate="吉A22222"),
            # the next afternoon's ticket with the same number: another
            weighing(KWP, "0153", "2023-08-08T15:00:00+08:00", net=500,
                     version=1, plate="吉A33333"),
        ]
        s.publish(items)
        s.stored(len(items))
        d = s.daemon
        rows = d.query("SELECT day, version, status, net_kg FROM weighings"
                       " ORDER BY first_ms")
        print("  current rows: %s" % rows)
        assert rows == [("2023-08-08", 2, "complete", 1100.0),
                        ("2023-08-08", 2, "void", 700.0),
                        ("2023-08-08", 1, "complete", 500.0)], rows
        assert d.count("weighings_history") == 2
        assert day_kg(d, "2023-08-07") == 0
        assert day_kg(d, "2023-08-08") == 1600
        # A restart changes nothing (the rows are read, not recomputed).
        assert d.stop() == 0
        d.start()
        assert day_kg(d, "2023-08-07") == 0
        assert day_kg(d, "2023-08-08") == 1600
        ok = True
    finally:
        s.close(ok)


def past_figures(d):
    return {
        "tonnage": d.query("SELECT * FROM daily_tonnage WHERE day <"
                           " '2023-08-09' ORDER BY 1, 2, 3, 4"),
        "indicators": d.query("SELECT * FROM daily_indicators WHERE day <"
                              " '2023-08-09' ORDER BY 1, 2"),
        "unloads": d.query("SELECT * FROM daily_unloads WHERE day <"
                           " '2023-08-09' ORDER BY 1"),
    }


def test_config_change_keeps_the_past():
    s = Setup("config", extra='time:\n  local_offset: "+08:00"\n')
    ok = False
    try:
        d = s.daemon
        now8 = earlier_today(8, 10)
        items = [
            # 23:30 at +08:00: 00:30 the next day at +09:00
            weighing(KWP, "P1", "2023-08-07T23:30:00+08:00", net=2000),
            ("wt/v1/vehicles/V1/events", json.dumps(
                {"type": "unload", "ts": "2023-08-07T23:30:00+08:00",
                 "facility": KWP, "waste": "msw.food"})),
            weighing(KWP, "TODAY-1", ts(now8), net=500),
        ]
        s.publish(items)
        s.stored(len(items))
        before = past_figures(d)
        print("  before: %s" % before)
        assert before["tonnage"] == [("2023-08-07", CY, "food_waste_plant",
                                      "msw.food", 2000.0)], before
        assert before["unloads"] == [("2023-08-07", 1, 1)], before
        wait_for(lambda: city_kg(d.status(), CY, "msw.food") == 500, 20,
                 "today's tonnage on /status")

        with open(d.conf) as f:
            conf = f.read()
        conf = conf.replace('local_offset: "+08:00"',
                            'local_offset: "+09:00"')
        conf = conf.replace('kind: food_waste_plant, district: "%s"' % CY,
                            'kind: food_waste_plant, district: "%s"' % LY)
        with open(d.conf, "w") as f:
            f.write(conf)
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "main: configuration reloaded" in d.log_text(),
                 20, "the reload")

        now9 = earlier_today(9, 5)
        more = [
            weighing(KWP, "P2", "2023-08-09T12:00:00+09:00", net=300),
            weighing(HW, "TODAY-2", ts(now9), net=40, waste="hw"),
        ]
        s.publish(more)
        s.stored(len(items) + len(more))
        after = past_figures(d)
        print("  after:  %s" % after)
        assert after == before, (before, after)
        # New rows use the new configuration.
        assert d.query("SELECT district FROM daily_tonnage"
                       " WHERE day = '2023-08-09'") == [(LY,)]
        # /status: today's ticket from before the change stays in its
        # district (when both offsets give the same day).
        if now8.date() == local_now(9).date():
            wait_for(lambda: city_kg(d.status(), LY, "hw") == 40, 20,
                     "the city figures after the change")
            st = d.status()
            assert city_kg(st, CY, "msw.food") == 500, st["city"]
            assert city_kg(st, LY, "msw.food") is None, st["city"]
        else:
            print("  (the two offsets give different days now: /status "
                  "not compared)")
        # The operator reads that the past stays as it was.
        log = d.log_text()
        for w in ("time.local_offset changed from +08:00 to +09:00: rows "
                  "stored before keep their day",
                  "facility %s moved from district %s to %s: its past "
                  "tonnage stays in %s" % (KWP, CY, LY, CY)):
            assert w in log, w
        # And after a restart, which logs nothing new to compare.
        assert d.stop() == 0
        d.start()
        assert past_figures(d) == before
        ok = True
    finally:
        s.close(ok)


if __name__ == "__main__":
    run([test_huge_masses, test_correction_across_midnight,
         test_config_change_keeps_the_past])
