"""Real parts for integration tests: a private mosquitto on an ephemeral
loopback port, the real wastetrackd binary, its real SQLite file, and HTTP
over a real socket. Waiting is always on a condition with a timeout.

Every process a test starts goes through spawn(): its own process group,
killed with its parent (a parent-death signal, so even a runner killed
with SIGKILL takes it along), a command line naming a directory under
TMP_ROOT (the suite looks for leftovers by it: check_orphans.py), and a
registry that an atexit hook and a SIGTERM handler (meson's timeout) empty
whatever the test did."""

import atexit
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import paho.mqtt.client as mqtt

# WT_TEST_BACKEND=postgresql runs the same tests on PostgreSQL: every
# daemon whose test names no store of its own writes into a private
# PostgreSQL (pg.py), one per test directory, started beside the broker.
BACKEND = os.environ.get("WT_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise SystemExit("WT_TEST_BACKEND must be sqlite or postgresql, not %r"
                     % BACKEND)

DAEMON = os.environ.get("WASTETRACKD", "build/daemon/wastetrackd")
# e.g. "valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
WRAPPER = os.environ.get("WT_DAEMON_WRAPPER", "").split()
FIXTURES = os.environ.get("WT_FIXTURES", os.path.join(
    os.path.dirname(__file__), "..", "fixtures"))
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:",
                   "ERROR: LeakSanitizer", "Invalid read", "Invalid write",
                   "uninitialised value", "definitely lost: [1-9]")


# The run's temp root: meson sets it to a directory of the build tree, so
# a process whose command line names it belongs to this build's tests.
TMP_ROOT = os.environ.get("WT_TEST_TMP") or None
if TMP_ROOT:
    os.makedirs(TMP_ROOT, exist_ok=True)


def make_dir(prefix):
    """A temp dir for one test, under the run's root."""
    return tempfile.mkdtemp(prefix=prefix, dir=TMP_ROOT)


_children = []
# setpriv (util-linux) sets the parent-death signal and execs the command:
# the pid is the command's own.
_PDEATHSIG = (["setpriv", "--pdeathsig", "KILL", "--"]
              if shutil.which("setpriv") else [])


def spawn(argv, **kw):
    """Popen in a new process group that dies with this process."""
    p = subprocess.Popen(_PDEATHSIG + list(argv), start_new_session=True,
                         **kw)
    _children.append(p)
    return p


def kill_group(p, sig=signal.SIGKILL):
    """Signal p's process group (p leads it) and wait for p."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        pass


def reap_all():
    """Kill every process spawn() started that still runs; their pids."""
    left = [p.pid for p in _children if p.poll() is None]
    for p in _children:
        kill_group(p)
    return left


def _at_exit():
    _stop_all_postgres()
    left = reap_all()
    if left:
        print("harness: killed leftover processes %s" % left,
              file=sys.stderr)


def _on_sigterm(signum, frame):
    # meson's timeout: SIGTERM, then SIGKILL half a second later. Kill
    # the children first, then unwind (finally blocks print the logs).
    reap_all()
    sys.exit(128 + signum)


atexit.register(_at_exit)
signal.signal(signal.SIGTERM, _on_sigterm)


def free_port():
    # mosquitto 2.0 cannot bind port 0, so the harness picks the port.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Slower daemons (valgrind, sanitizers) get proportionally more time.
TIMEOUT_SCALE = float(os.environ.get("WT_TIMEOUT_SCALE", "1"))
# Under sanitizers the allocator keeps freed memory in quarantine, so
# resident memory says nothing about leaks there.
SANITIZED = os.environ.get("WT_SANITIZED", "") == "1"


def wait_for(cond, timeout=20.0, what="condition", interval=0.02):
    timeout *= TIMEOUT_SCALE
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


class Broker:
    def __init__(self, workdir, persistence=True, port=None):
        self.dir = workdir
        self.port = port or free_port()
        self.persistence = persistence
        self.proc = None

    def start(self):
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            # As root mosquitto would drop to its own user, which cannot
            # read or write this private temp dir.
            f.write("user root\nlistener %d 127.0.0.1\nallow_anonymous true\n"
                    "max_queued_messages 0\nmax_inflight_messages 0\n"
                    "persistence %s\npersistence_location %s/\n"
                    "autosave_interval 1\n"
                    % (self.port, "true" if self.persistence else "false",
                       self.dir))
        self.log = open(os.path.join(self.dir, "mosquitto.log"), "ab")
        self.proc = spawn(["mosquitto", "-c", conf], stdout=self.log,
                          stderr=self.log)
        try:
            wait_for(self._accepts, 10, "mosquitto on port %d" % self.port)
        except BaseException:
            self.stop()
            raise
        return self

    def _accepts(self):
        if self.proc.poll() is not None:
            raise AssertionError("mosquitto exited: see %s/mosquitto.log"
                                 % self.dir)
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            kill_group(self.proc)
        self.proc = None


class Daemon:
    """wastetrackd with a configuration written for this test."""

    def __init__(self, workdir, broker_port, extra="", client_id=None,
                 facilities=True, mqtt_extra="", subscriptions=None,
                 include=None, store=None):
        # store: more keys of database: (backend, url, password_file),
        # e.g. {"backend": "postgresql", "url": pg.url, "password_file":
        # pg.passfile}; path stays written (SQLite's, unused otherwise).
        self.dir = workdir
        self.db = os.path.join(workdir, "wt.db")
        # With WT_TEST_BACKEND=postgresql and no store named by the test:
        # the test directory's private PostgreSQL (test_postgres()), and
        # the spool where SQLite's would be, so tests that look at it
        # find it.
        self.pg = None
        if not store and BACKEND == "postgresql":
            self.pg = test_postgres(workdir)
            store = {"backend": "postgresql", "url": self.pg.url,
                     "password_file": self.pg.passfile}
        self.store = dict(store or {})
        self.port_file = os.path.join(workdir, "http.port")
        self.conf = os.path.join(workdir, "wastetrack.yaml")
        self.proc = None
        self.logs = []
        subs = "".join('  - {topic: "%s", profile: %s}\n' % t
                       for t in (subscriptions or
                                 [("wt/v1/#", "wastetrack")]))
        if include:
            extra = "include: %s\n%s" % (json.dumps(include), extra)
        fac = ""
        if facilities:
            fac = """facilities:
  - {id: "CC-KWP-01", name: "长春市厨余垃圾处理厂", kind: food_waste_plant, district: "朝阳区", harmless: true}
  - {id: "CC-HW-01", name: "长春某危险废物处置中心", kind: hw_facility, district: "绿园区", harmless: true}
  - {id: "CC-TS-02", name: "中转站", kind: transfer_station, district: "南关区"}
"""
        text = """mqtt:
  url: "tcp://127.0.0.1:%d"
  client_id: "%s"
  keepalive_s: 5
  reconnect_min_s: 1
  reconnect_max_s: 2
%ssubscriptions:
%sdatabase:
  path: "%s"
%shttp:
  listen: "127.0.0.1:0"
  port_file: "%s"
%s%s""" % (broker_port, client_id or "wt-test-%d" % os.getpid(),
           mqtt_extra, subs, self.db,
           "".join("  %s: %s\n" % (k, json.dumps(v))
                   for k, v in self.store.items()),
           self.port_file, fac, extra)
        if self.pg is not None:
            text = _merge_section(text, "ingest", '  spool_dir: "%s.spool"\n'
                                  % self.db)
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self, wait_connected=True, env=None):
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        log = os.path.join(self.dir, "daemon.%d.log" % len(self.logs))
        self.logs.append(log)
        self.logf = open(log, "wb")
        self.proc = spawn(WRAPPER + [DAEMON, "-c", self.conf, "-v"],
                          stdout=self.logf, stderr=self.logf, env=env)
        wait_for(lambda: self._alive() and os.path.exists(self.port_file),
                 30, "the daemon's port file")
        with open(self.port_file) as f:
            self.http_port = int(f.read())
        if wait_connected:
            # Subscribed, not just connected: on a new session, messages
            # published before the SUBACK have nowhere to go.
            wait_for(lambda: self.status()["mqtt"]["subscribed"], 20,
                     "the daemon to subscribe")
        return self

    def _alive(self):
        if self.proc.poll() is not None:
            raise AssertionError("wastetrackd exited with %s:\n%s"
                                 % (self.proc.returncode, self.log_text()))
        return True

    def log_text(self):
        out = ""
        for name in self.logs:
            with open(name, "rb") as f:
                out += f.read().decode("utf-8", "replace")
        return out

    def check_sanitizers(self):
        text = self.log_text()
        for mark in SANITIZER_MARKS:
            assert not re.search(mark, text), "sanitizer report:\n" + text

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stop; returns the exit status (negative for a signal)."""
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        finally:
            kill_group(self.proc)
            self.logf.close()
        if sig != signal.SIGKILL:
            self.check_sanitizers()
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def http(self, path, method="GET"):
        req = urllib.request.Request("http://127.0.0.1:%d%s"
                                     % (self.http_port, path), method=method)
        try:
            with urllib.request.urlopen(req, timeout=10 * TIMEOUT_SCALE) \
                    as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def status(self):
        code, body = self.http("/status")
        assert code == 200, (code, body)
        return json.loads(body)

    def query(self, sql, args=()):
        if self.store.get("backend") == "postgresql":
            return pg_query(self.store, sql, args)
        # A separate reader, as other tools are: read-only, WAL mode.
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True,
                              timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def count(self, table, where="1"):
        if self.store.get("backend") == "postgresql" and where == "1":
            where = "true"          # PostgreSQL's WHERE takes a boolean
        return self.query("SELECT count(*) FROM %s WHERE %s"
                          % (table, where))[0][0]


class Publisher:
    """A QoS 1 publisher that knows when the broker has acked."""

    def __init__(self, port, client_id=None):
        self.c = mqtt.Client(client_id=client_id or "", clean_session=True)
        self.c.max_inflight_messages_set(200)
        self.c.max_queued_messages_set(0)
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def publish(self, topic, payload, qos=1):
        if isinstance(payload, str):
            payload = payload.encode()
        return self.c.publish(topic, payload, qos=qos)

    def publish_all(self, items, qos=1, timeout=60):
        # Message ids are 16 bits: never have more than a chunk of them
        # outstanding, or paho refuses a colliding id.
        items = list(items)
        for start in range(0, len(items), 20000):
            infos = [self.publish(t, p, qos)
                     for t, p in items[start:start + 20000]]
            for i in infos:
                i.wait_for_publish(timeout)
                assert i.is_published()
        return len(items)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def publish_counted(state, msgs, timeout=30):
    """Publish msgs (QoS 1) through state["env"]'s broker and wait until
    state["d"], the daemon, has taken them all: state["received"] counts
    every message a test has published so far."""
    pub = Publisher(state["env"].broker.port)
    try:
        pub.publish_all(msgs)
    finally:
        pub.close()
    state["received"] += len(msgs)
    n = state["received"]
    wait_for(lambda: state["d"].status()["ingest"]["received"] >= n, timeout,
             "%d messages to be processed" % n)


def read_tsv(name):
    out = []
    with open(os.path.join(FIXTURES, "payloads", name), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                topic, payload = line.split("\t", 1)
                out.append((topic, payload))
    return out


class Env:
    """A temp dir with a broker and a daemon; cleaned up unless it failed."""

    def __init__(self, name, persistence=True, extra="", mqtt_extra="",
                 subscriptions=None, include=None):
        self.dir = make_dir("wt-%s-" % name)
        self.broker = Broker(self.dir, persistence).start()
        try:
            self.daemon = Daemon(self.dir, self.broker.port, extra=extra,
                                 mqtt_extra=mqtt_extra,
                                 subscriptions=subscriptions,
                                 include=include)
        except BaseException:
            self.broker.stop()
            raise
        self.ok = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if self.daemon.proc and self.daemon.proc.poll() is None:
                self.daemon.stop()
        finally:
            self.broker.stop()
            stop_test_postgres(self.dir, exc_type is None)
        if exc_type is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("test files kept in %s" % self.dir, file=sys.stderr)
            if self.daemon.logs:
                print(self.daemon.log_text()[-4000:], file=sys.stderr)
        return False


def run(tests):
    """Run test functions in order; print one line each; exit 0/1."""
    failed = 0
    for t in tests:
        t0 = time.monotonic()
        try:
            t()
            print("ok   %s (%.1fs)" % (t.__name__, time.monotonic() - t0))
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            import traceback
            traceback.print_exc()
            print("FAIL %s: %s" % (t.__name__, e))
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)


# --- the PostgreSQL backend (WT_TEST_BACKEND=postgresql) -------------------

_postgres = {}          # test directory -> its pg.Postgres
_pg_conns = {}          # database URL -> a psycopg2 connection


def test_postgres(workdir):
    """The private PostgreSQL of the test directory workdir, started on
    first use: every Daemon made on that directory (a restart with a new
    configuration, a second daemon) writes into the same database, as it
    would into the same SQLite file."""
    key = os.path.realpath(workdir)
    if key not in _postgres:
        import pg      # tests/integration/pg.py; it imports this module
        _postgres[key] = pg.Postgres(os.path.basename(key)[:12]).start()
        print("harness: WT_TEST_BACKEND=postgresql: the daemons of %s "
              "write into %s" % (key, _postgres[key].url), file=sys.stderr)
    return _postgres[key]


def stop_test_postgres(workdir, ok):
    """Stop the PostgreSQL test_postgres() started for workdir; its files
    go when the test passed, and stay (with its log) when it failed."""
    db = _postgres.pop(os.path.realpath(workdir), None)
    if db is None:
        return
    con = _pg_conns.pop(db.url, None)
    if con is not None:
        con.close()
    db.__exit__(None if ok else AssertionError, None, None)


def _stop_all_postgres():
    """At exit, the test PostgreSQL servers still running (tests that
    remove their directory themselves, or keep it, without Env): stopped,
    and their files removed with the test directory they belong to, kept
    beside it."""
    for key in list(_postgres):
        try:
            stop_test_postgres(key, not os.path.exists(key))
        except Exception as e:  # noqa: BLE001 - reap_all kills it then
            print("harness: stopping the PostgreSQL of %s: %s" % (key, e),
                  file=sys.stderr)


def _merge_section(text, section, lines):
    """Put `lines` (indented "  key: value" lines) into the top-level
    block mapping `section` of the YAML text: into it where the text has
    one (a test's extra may), as a new section otherwise. A key may
    appear only once in the daemon's configuration."""
    head = re.compile(r"^%s:[ \t]*(#.*)?$" % re.escape(section), re.M)
    m = head.search(text)
    if m is None:
        return text + "%s:\n%s" % (section, lines)
    assert not re.search(r"^%s:[ \t]*\S" % re.escape(section), text,
                         re.M), "flow-style %s: cannot merge" % section
    return text[:m.end() + 1] + lines + text[m.end() + 1:]


# The two SQLite functions the tests' own SQL uses, spelled for
# PostgreSQL with the same results: round() of a double (PostgreSQL rounds
# only numeric) and json_extract() of a member (jsonb gives back a number
# as a number, as SQLite does).
_PG_SPELLING = (
    (re.compile(r"\bround\(([^()]+), (\d+)\)"), r"round((\1)::numeric, \2)"),
    (re.compile(r"\bjson_extract\((\w+), '\$\.(\w+)'\)"),
     r"((\1)::jsonb -> '\2')"),
)


def _pg_sql(sql, args):
    """SQLite's placeholders as psycopg2's: ? as %s, ?N as %(pN)s (then
    the arguments by name); with arguments, a literal % doubled
    (psycopg2 formats the whole text then)."""
    for pattern, spelling in _PG_SPELLING:
        sql = pattern.sub(spelling, sql)
    if not args:
        return sql, None
    out = []
    quote = None
    numbered = False
    i = 0
    while i < len(sql):
        ch = sql[i]
        i += 1
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            m = re.match(r"\d+", sql[i:])
            if m:
                numbered = True
                out.append("%%(p%s)s" % m.group(0))
                i += m.end()
            else:
                out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    if numbered:
        return "".join(out), {"p%d" % (k + 1): v for k, v in enumerate(args)}
    return "".join(out), tuple(args)


def _pg_value(v):
    """A value as sqlite3 would return it: numeric as int or float, bytea
    as bytes."""
    import decimal
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, memoryview):
        return v.tobytes()
    return v


def pg_query(store, sql, args=()):
    """Run a test's SQL on the PostgreSQL of a daemon's store (its url and
    password_file), read-only and autocommitted (each query sees what the
    daemon has committed), on a connection kept per database and opened
    again after a restart of the server."""
    import psycopg2     # Debian: python3-psycopg2
    q, a = _pg_sql(sql, args)
    url = store["url"]
    for attempt in (0, 1):
        con = _pg_conns.get(url)
        if con is None or con.closed:
            password = None
            if store.get("password_file"):
                with open(store["password_file"]) as f:
                    password = f.read().rstrip("\n")
            con = psycopg2.connect(url, password=password,
                                   connect_timeout=10)
            con.set_session(readonly=True, autocommit=True)
            _pg_conns[url] = con
        try:
            with con.cursor() as cur:
                cur.execute(q, a)
                rows = cur.fetchall() if cur.description else []
            return [tuple(_pg_value(v) for v in r) for r in rows]
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            con.close()
            if attempt:
                raise
