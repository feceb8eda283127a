#!/usr/bin/python3
"""Reconciliation edge cases, each once wrong in an earlier version:
a ticket number reused on another day, a shared ticket with a missing
declaration, a plate-window match that must not steal a referenced
ticket, and the day of a manifest that never departed."""

import json

from harness import Env, Publisher, run, wait_for

FAC = "CC-HW-01"     # in the harness's registry: hw_facility, 绿园区


def ticket(no, day, hhmm, plate, net, manifest_no=None):
    w = {"ticket": no, "plate": plate, "direction": "in",
         "gross_kg": 10000 + net, "tare_kg": 10000, "net_kg": net,
         "first_ts": "%sT%s:00+08:00" % (day, hhmm),
         "second_ts": "%sT%s:30+08:00" % (day, hhmm),
         "waste": "hw", "status": "complete"}
    if manifest_no:
        w["manifest_no"] = manifest_no
    return ("wt/v1/facilities/%s/weighings" % FAC, json.dumps(w))


def manifest(no, plate, status, departed, kg=None, tickets=None):
    m = {"scheme": "CN_HW", "status": status, "version": 1,
         "ts": departed, "plate": plate, "receiver": {"facility": FAC},
         "generator": {"district": "绿园区"}}
    if kg is not None:
        m["lines"] = [{"line": 1, "waste": "hw", "qty": kg, "unit": "kg"}]
    if tickets:
        m["tickets"] = [{"facility": FAC, "ticket": t} for t in tickets]
    return ("wt/v1/manifests/%s" % no, json.dumps(m))


def test_reconcile_edges():
    msgs = [
        # H-100 on the 7th (1000 kg) and again on the 8th (500 kg): the
        # manifest that departed on the 7th gets the 7th's only.
        ticket("H-100", "2023-08-07", "10:00", "吉A00001", 1000),
        ticket("H-100", "2023-08-08", "10:00", "吉A00009", 500),
        manifest("DAY", "吉A00001", "received", "2023-08-07T08:00:00+08:00",
                 1000, ["H-100"]),
        # H-200 (1000 kg) carries a declared and an undeclared manifest:
        # equal shares, 500 + 500 = the ticket, never more.
        ticket("H-200", "2023-08-07", "11:00", "吉A00002", 1000),
        manifest("DECL", "吉A00002", "received", "2023-08-07T09:00:00+08:00",
                 1000, ["H-200"]),
        manifest("NODECL", "吉A00002", "received",
                 "2023-08-07T09:00:00+08:00", None, ["H-200"]),
        # H-400 is referenced by REF; NOREF (same truck, no reference)
        # must not take it by plate: it stays pending.
        ticket("H-400", "2023-08-07", "12:00", "吉A00004", 1000),
        manifest("REF", "吉A00004", "received", "2023-08-07T11:00:00+08:00",
                 1000, ["H-400"]),
        manifest("NOREF", "吉A00004", "received",
                 "2023-08-07T10:30:00+08:00", 800),
        # Created only, never departed: counted on its own day.
        manifest("CREATED", "吉A00005", "created",
                 "2023-08-07T07:00:00+08:00", 300),
    ]
    with Env("reconcile") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all(msgs)
        pub.close()
        wait_for(lambda: d.status()["ingest"]["received"] >= len(msgs), 20,
                 "all messages")
        want = {
            "DAY": (1000.0, 1000.0, 0.0, "ticket_ref", "ok"),
            "DECL": (1000.0, 500.0, -50.0, "ticket_ref", "discrepancy"),
            "NODECL": (None, 500.0, None, "ticket_ref", "pending"),
            "REF": (1000.0, 1000.0, 0.0, "ticket_ref", "ok"),
            "NOREF": (800.0, None, None, None, "pending"),
            "CREATED": (300.0, None, None, None, "pending"),
        }

        def rows():
            return {r[0]: tuple(r[1:]) for r in d.query(
                "SELECT manifest_no, declared_kg, received_kg,"
                " round(diff_pct, 2), method, verdict FROM reconciliations")}
        wait_for(lambda: rows() == want, 20,
                 "reconciliations %r" % want)
        # Never more allocated than the ticket weighed.
        alloc = d.query("SELECT sum(allocated_kg) FROM reconciliation_links"
                        " WHERE ticket = 'H-200'")
        assert alloc == [(1000.0,)], alloc
        day = d.query("SELECT day FROM manifest_days WHERE manifest_no ="
                      " 'CREATED'")
        assert day == [("2023-08-07",)], day


if __name__ == "__main__":
    run([test_reconcile_edges])
