#!/usr/bin/python3
"""Several daemons on one PostgreSQL (docs/cluster.md), with real parts: a
private PostgreSQL (pg.py), one mosquitto, three wastetrackd in one shared
group (mqtt.shared_group), each with its own client id and spool.

- SQLite refuses a shared group; a SQLite daemon leads alone and keeps its
  spool where ingest.spool_dir says.
- A flood of 60 000 messages (positions of 100 trucks, 1 % of them
  published twice) while one instance is SIGKILLed and restarted: every
  message is stored exactly once, the doubles collapse, none is lost.
- The leader is SIGKILLed: another takes the lead within the bound of
  docs/cluster.md, and reconciliation goes on (a manifest and its ticket
  published after the kill get their verdict).
- PostgreSQL stopped, then killed, during a flood: /healthz says "store
  unavailable" meanwhile, the spools hold what was acknowledged, and
  afterwards everything sent is stored once.

The figures (sent, stored, duplicates collapsed, lost, takeover time) are
printed for the record."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import harness
import pg
from harness import Broker, Daemon, Publisher, make_dir, run, wait_for

GROUP = "city"
NAMES = ("wt-a", "wt-b", "wt-c")
FLOOD = int(os.environ.get("WT_CLUSTER_FLOOD", "60000"))
CTL = os.environ.get("WASTETRACKCTL", "build/tools/wastetrackctl")
TRUCKS = 100
# Positions an hour and more ago: inside every retention, never in the
# future, one second apart per truck (the key is vehicle and time).
BASE_MS = (int(time.time()) - 4 * 3600) * 1000
# The documented takeover bound (docs/cluster.md) for a leader whose
# process dies: its socket closes at once, the others try every beat.
TAKEOVER_BOUND_S = 3.0


def position(i):
    """Message i of a flood: truck i % TRUCKS, its (i // TRUCKS)-th fix."""
    truck, n = i % TRUCKS, i // TRUCKS
    return ("wt/v1/vehicles/CL-%03d/position" % truck,
            json.dumps({"ts": BASE_MS + n * 1000, "lat": 43.80 + n * 1e-5,
                        "lon": 125.30 + truck * 1e-4, "speed_kmh": 20,
                        "seq": i}))


def flood(n, doubles_every=100):
    """n messages: unique positions, of which one in doubles_every - 1 is
    published a second time (same topic, same bytes) right after itself,
    n // doubles_every doubles in all. Returns them and the unique count."""
    unique = n - n // doubles_every
    doubles = n - unique
    out = []
    for i in range(unique):
        out.append(position(i))
        if i % (doubles_every - 1) == 0 and len(out) - i - 1 < doubles:
            out.append(position(i))
    assert len(out) == n, (len(out), n)
    return out, unique


class Cluster:
    """PostgreSQL, a broker and three daemons sharing both."""

    def __init__(self, name):
        self.dir = make_dir("wt-cluster-%s-" % name)
        self.db = pg.Postgres(name).start()
        self.broker = Broker(self.dir).start()
        self.daemons = {}
        for cid in NAMES:
            sub = os.path.join(self.dir, cid)
            os.mkdir(sub)
            self.daemons[cid] = Daemon(
                sub, self.broker.port, client_id=cid,
                mqtt_extra='  shared_group: "%s"\n' % GROUP,
                store={"backend": "postgresql", "url": self.db.url,
                       "password_file": self.db.passfile},
                extra='ingest:\n  spool_dir: "%s"\n'
                % os.path.join(sub, "spool"))
        self.ok = False

    def start(self):
        for d in self.daemons.values():
            d.start()
        return self

    def count(self, table, where="true"):
        return self.db.query("SELECT count(*) FROM %s WHERE %s"
                             % (table, where))[0][0]

    def roles(self):
        out = {}
        for cid, d in self.daemons.items():
            if d.proc is not None and d.proc.poll() is None:
                out[cid] = d.status()["cluster"]["role"]
        return out

    def leader(self):
        """The one leader, once exactly one says so."""
        def one():
            r = [c for c, role in self.roles().items() if role == "leader"]
            return r[0] if len(r) == 1 else None
        return wait_for(one, 20, "exactly one leader")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            for d in self.daemons.values():
                if d.proc is not None and d.proc.poll() is None:
                    d.stop()
        finally:
            self.broker.stop()
            self.db.__exit__(exc_type, exc, tb)
        if exc_type is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("test files kept in %s" % self.dir, file=sys.stderr)
            for cid, d in self.daemons.items():
                if d.logs:
                    print("--- %s\n%s" % (cid, d.log_text()[-3000:]),
                          file=sys.stderr)
        return False


class Background(threading.Thread):
    """Publish msgs (QoS 1) on a thread; join() it, then check .error."""

    def __init__(self, port, msgs):
        super().__init__()
        self.port, self.msgs, self.error = port, msgs, None
        self.start()

    def run(self):
        pub = Publisher(self.port)
        try:
            pub.publish_all(self.msgs, timeout=600)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            pub.close()


def duplicates_seen(c):
    """Duplicates counted by the daemons running now (since their start)."""
    return sum(d.status()["ingest"]["duplicates"]
               for d in c.daemons.values()
               if d.proc is not None and d.proc.poll() is None)


# ---- SQLite: refused with a group, alone and leading otherwise ----

def test_shared_group_refused_on_sqlite():
    work = make_dir("wt-cluster-refuse-")
    try:
        d = Daemon(work, 1, mqtt_extra='  shared_group: "%s"\n' % GROUP)
        p = subprocess.run([harness.DAEMON, "-n", "-c", d.conf],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 78, (p.returncode, p.stderr)
        with open(d.conf) as f:
            line = [i + 1 for i, t in enumerate(f)
                    if "shared_group" in t][0]
        want = ("%s:%d:3: mqtt.shared_group needs database.backend: "
                "postgresql (several daemons cannot share the SQLite file "
                "%s)" % (d.conf, line, d.db))
        assert want in p.stderr, p.stderr
        assert "configuration OK" not in p.stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_sqlite_alone_leads():
    env_dir = make_dir("wt-cluster-sqlite-")
    broker = Broker(env_dir).start()
    spool = os.path.join(env_dir, "elsewhere", "spool")
    os.mkdir(os.path.dirname(spool))  # its parent, as tmpfiles.d makes it
    d = Daemon(env_dir, broker.port, client_id="wt-solo",
               extra='ingest:\n  spool_dir: "%s"\n' % spool)
    try:
        d.start()
        st = d.status()
        assert st["database"]["backend"] == "sqlite", st["database"]
        assert st["database"]["path"] == d.db
        assert st["database"]["url"] is None
        c = st["cluster"]
        assert c["instance"] == "wt-solo" and c["group"] is None, c
        assert c["role"] == "leader" and c["peers"] == [], c
        assert c["leader_since_ms"] > 1.6e12, c  # a time, set
        # The spool and its lock where configured, nothing beside the file.
        assert os.path.exists(os.path.join(spool, "lock"))
        assert not os.path.exists(d.db + ".spool")
        pub = Publisher(broker.port)
        pub.publish_all([position(i) for i in range(50)])
        pub.close()
        wait_for(lambda: d.count("positions") == 50, 20, "50 positions")
        assert os.listdir(spool), "no segment in the configured spool"
        assert d.stop() == 0
        d = None
    finally:
        if d is not None and d.proc is not None and d.proc.poll() is None:
            d.stop()
        broker.stop()
    shutil.rmtree(env_dir, ignore_errors=True)


# ---- PostgreSQL, three daemons ----

def test_flood_with_a_kill():
    msgs, unique = flood(FLOOD)
    with Cluster("flood") as c:
        c.start()
        leader = c.leader()
        st = c.daemons[leader].status()
        assert st["database"]["backend"] == "postgresql", st["database"]
        assert st["database"]["url"] == c.db.url  # no password in it
        assert st["database"]["path"] is None
        # Every instance sees the two others within a few beats.
        for cid, d in c.daemons.items():
            wait_for(lambda: sorted(p["id"] for p in
                                    d.status()["cluster"]["peers"]) ==
                     sorted(set(NAMES) - {cid}), 10,
                     "%s to see its two peers" % cid)
            assert d.status()["cluster"]["group"] == GROUP
        t = Background(c.broker.port, msgs)
        victim = [n for n in NAMES if n != leader][0]
        wait_for(lambda: c.count("positions") >= unique // 3, 300,
                 "a third of the flood stored")
        # The victim's count dies with it: kept from just before.
        killed_dups = c.daemons[victim].status()["ingest"]["duplicates"]
        assert c.daemons[victim].kill() == -9
        time.sleep(0.5)  # messages keep coming meanwhile
        c.daemons[victim].start()
        t.join(600)
        assert not t.is_alive() and t.error is None, t.error
        wait_for(lambda: c.count("messages") >= unique, 180,
                 "all %d unique messages stored" % unique)
        # Let the last redeliveries settle, then count for good.
        time.sleep(2)
        stored_msgs = c.count("messages")
        stored_pos = c.count("positions")
        distinct = c.db.query("SELECT count(DISTINCT (vehicle, ts_ms))"
                              " FROM positions")[0][0]
        seqs = c.db.query("SELECT count(DISTINCT sha256) FROM messages")[0][0]
        assert stored_msgs == unique, (stored_msgs, unique)
        assert stored_pos == unique and distinct == unique, \
            (stored_pos, distinct, unique)
        assert seqs == unique
        lost = unique - stored_msgs
        assert lost == 0
        collapsed = FLOOD - stored_msgs
        assert collapsed == FLOOD - unique
        # What the daemons counted as duplicates: the doubles (each one
        # found by whichever daemon got it second, early or at its
        # commit), the broker's redeliveries and the spool's replay. Not
        # exact: what the victim counted after its last answer died
        # with it.
        dups = killed_dups + duplicates_seen(c)
        replayed = sum(int(m) for m in re.findall(
            r"replayed (\d+) spooled messages",
            c.daemons[victim].log_text()))
        print("cluster flood: %d sent (%d unique), %d stored, %d duplicates "
              "collapsed, %d counted as duplicates by the daemons "
              "(doubles, redeliveries, replays), %d replayed from the "
              "killed instance's spool, lost %d"
              % (FLOOD, unique, stored_msgs, collapsed, dups, replayed,
                 lost))
        c.ok = True


FAC = "CC-HW-01"  # in the harness's registry: hw_facility


def manifest_and_ticket(no, plate, day):
    w = {"ticket": "T-" + no, "plate": plate, "direction": "in",
         "gross_kg": 11000, "tare_kg": 10000, "net_kg": 1000,
         "first_ts": "%sT10:00:00+08:00" % day,
         "second_ts": "%sT10:00:30+08:00" % day,
         "waste": "hw", "status": "complete"}
    m = {"scheme": "CN_HW", "status": "received", "version": 1,
         "ts": "%sT08:00:00+08:00" % day, "plate": plate,
         "receiver": {"facility": FAC}, "generator": {"district": "绿园区"},
         "lines": [{"line": 1, "waste": "hw", "qty": 1000, "unit": "kg"}],
         "tickets": [{"facility": FAC, "ticket": "T-" + no}]}
    return [("wt/v1/facilities/%s/weighings" % FAC, json.dumps(w)),
            ("wt/v1/manifests/%s" % no, json.dumps(m))]


def verdict(c, no):
    rows = c.db.query("SELECT verdict FROM reconciliations"
                      " WHERE manifest_no = '%s'" % no)
    return rows[0][0] if rows else None


def test_leader_killed():
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    with Cluster("leader") as c:
        c.start()
        old = c.leader()
        pub = Publisher(c.broker.port)
        pub.publish_all(manifest_and_ticket("BEFORE", "吉A10001", day))
        wait_for(lambda: verdict(c, "BEFORE") == "ok", 60,
                 "the first manifest's verdict")
        others = [n for n in NAMES if n != old]
        t0 = time.monotonic()
        assert c.daemons[old].kill() == -9

        def new_leader():
            r = [n for n in others
                 if c.daemons[n].status()["cluster"]["role"] == "leader"]
            return r[0] if r else None
        new = wait_for(new_leader, 30, "another leader", 0.01)
        takeover = time.monotonic() - t0
        # Sanitizers slow every daemon down, the beat included.
        assert takeover <= TAKEOVER_BOUND_S * harness.TIMEOUT_SCALE, \
            takeover
        st = c.daemons[new].status()["cluster"]
        assert st["leader_since_ms"] is not None
        # Published while the old leader is dead: mosquitto 2.0 still
        # hands it its share of the group's messages, queued in its
        # session until it returns (docs/cluster.md).
        pub.publish_all(manifest_and_ticket("AFTER", "吉A10002", day))
        c.daemons[old].start()
        wait_for(lambda: c.daemons[old].status()["cluster"]["role"] ==
                 "follower", 10, "the old leader to follow")
        # Whoever stored them, the new leader reconciles, at its next
        # tick (it asks the store's queue: a follower's writes move none
        # of its counters), not at the minute rule.
        wait_for(lambda: verdict(c, "AFTER") == "ok", 10,
                 "the verdict of the manifest published after the kill")
        wait_for(lambda: any(p["id"] == old and not p["leader"] for p in
                             c.daemons[new].status()["cluster"]["peers"]),
                 10, "the new leader to see the old one back")
        assert c.leader() == new
        pub.close()
        # A server is backed up with its own tools.
        p = subprocess.run([CTL, "-c", c.daemons[new].conf, "backup",
                            os.path.join(c.dir, "copy.db")],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode != 0 and "pg_dump" in p.stderr, \
            (p.returncode, p.stderr)
        assert not os.path.exists(os.path.join(c.dir, "copy.db"))
        print("cluster takeover: %s killed, %s leads after %.3f s (bound "
              "%.1f s)" % (old, new, takeover, TAKEOVER_BOUND_S))
        c.ok = True


def healthz_all(c, want):
    for d in c.daemons.values():
        code, body = d.http("/healthz")
        if want == "down" and not (code == 503 and
                                   body.startswith("store unavailable")):
            return False
        if want == "up" and code != 200:
            return False
    return True


def test_postgresql_restarted():
    msgs, unique = flood(min(FLOOD, 30000))
    with Cluster("restart") as c:
        c.start()
        c.leader()
        t = Background(c.broker.port, msgs)
        bodies = []
        for crash, part in ((False, 3), (True, 2)):
            wait_for(lambda: c.count("positions") >= unique // part, 300,
                     "1/%d of the flood before the %s" %
                     (part, "crash" if crash else "stop"))
            if crash:
                c.db.kill()
            else:
                c.db.stop()
            wait_for(lambda: healthz_all(c, "down"), 30,
                     "/healthz to say the store is unavailable")
            bodies.append(c.daemons[NAMES[0]].http("/healthz")[1].strip())
            st = c.daemons[NAMES[0]].status()
            assert st["database"]["writes_failing"] is True
            assert st["database"]["last_error"], st["database"]
            # Acknowledging goes on into the spools meanwhile.
            time.sleep(1)
            c.db.start()
            wait_for(lambda: healthz_all(c, "up"), 60,
                     "/healthz ok again")
        t.join(600)
        assert not t.is_alive() and t.error is None, t.error
        wait_for(lambda: c.count("messages") >= unique, 180,
                 "all %d unique messages stored" % unique)
        time.sleep(2)
        stored = c.count("messages")
        pos = c.count("positions")
        assert stored == unique and pos == unique, (stored, pos, unique)
        c.leader()
        print("cluster postgresql restarted: %d sent (%d unique), %d "
              "stored, lost %d; /healthz said %r"
              % (len(msgs), unique, stored, unique - stored, bodies[0]))
        c.ok = True


if __name__ == "__main__":
    run([test_shared_group_refused_on_sqlite, test_sqlite_alone_leads,
         test_flood_with_a_kill, test_leader_killed,
         test_postgresql_restarted])
