"""A private PostgreSQL for tests, started the way harness.py starts
mosquitto: a fresh cluster (initdb) in a temp dir under the run's root, a
free loopback port, the Unix socket in the same dir, fsync off, waiting
on a condition (pg_isready) with a timeout, and nothing left running
however the test ends.

PostgreSQL refuses to run as root and the suite runs as root, so the
cluster belongs to an unprivileged user (WT_PG_USER, by default nobody;
run by another user, to that user).
The server runs in the foreground through harness.spawn(): its own
process group, a parent-death signal (set again after the change of
user, which clears it), and a command line naming the data dir under
WT_TEST_TMP, so check_orphans.py finds it if anything goes wrong.
`pg_ctl start` would detach it from all of that; pg_ctl stops it.

    with Postgres("name") as pg:
        pg.psql("SELECT 1")            # as the superuser, on the socket
        pg.url                         # the test role, over TCP
        pg.restart()                   # same port, same data
"""

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys

import harness

BIN = os.environ.get("WT_PG_BIN", "/usr/lib/postgresql/15/bin")
USER = os.environ.get("WT_PG_USER", "nobody")
ROLE = "wastetrack"
DB = "wastetrack"
SUPER = "postgres"


def _tool(name):
    return os.path.join(BIN, name)


class Postgres:
    def __init__(self, name, port=None):
        self.dir = harness.make_dir("wt-pg-%s-" % name)
        self.data = os.path.join(self.dir, "data")
        self.port = port or harness.free_port()
        self.password = "pw-%d-%s" % (os.getpid(), os.urandom(6).hex())
        self.proc = None
        self.log = os.path.join(self.dir, "postgres.log")
        # Run by a user other than root, the cluster is simply theirs.
        pw = pwd.getpwnam(USER) if os.geteuid() == 0 else None
        self.uid = pw.pw_uid if pw else os.geteuid()
        self.gid = pw.pw_gid if pw else os.getegid()
        os.chown(self.dir, self.uid, self.gid)
        # The socket path is bound by sun_path (108 bytes).
        sock = os.path.join(self.dir, ".s.PGSQL.%d" % self.port)
        assert len(sock) < 100, "socket path too long: %s" % sock
        self.passfile = os.path.join(self.dir, "db.password")
        with open(self.passfile, "w") as f:
            f.write(self.password + "\n")
        os.chmod(self.passfile, 0o600)
        self.ok = False

    @property
    def url(self):
        return "postgresql://%s@127.0.0.1:%d/%s" % (ROLE, self.port, DB)

    def _as_user(self, argv):
        # --pdeathsig after the uid change: the change clears it.
        user = (["--reuid=%d" % self.uid, "--regid=%d" % self.gid,
                 "--clear-groups"] if os.geteuid() == 0 else [])
        return ["setpriv"] + user + ["--pdeathsig", "KILL", "--"] + argv

    def init(self):
        """initdb: trust on the socket (the harness), passwords on TCP."""
        p = subprocess.run(
            self._as_user([_tool("initdb"), "-D", self.data, "-U", SUPER,
                           "-E", "UTF8", "--locale=C.UTF-8",
                           "--auth-local=trust",
                           "--auth-host=scram-sha-256", "--no-sync"]),
            cwd=self.dir, capture_output=True, text=True,
            timeout=120 * harness.TIMEOUT_SCALE)
        if p.returncode != 0:
            raise AssertionError("initdb failed:\n%s%s"
                                 % (p.stdout, p.stderr))
        return self

    def start(self):
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self.init()
        logf = open(self.log, "ab")
        self.proc = harness.spawn(
            self._as_user([_tool("postgres"), "-D", self.data,
                           "-p", str(self.port), "-k", self.dir,
                           "-c", "listen_addresses=127.0.0.1",
                           "-c", "fsync=off", "-c", "full_page_writes=off",
                           "-c", "synchronous_commit=off",
                           "-c", "max_connections=40"]),
            cwd=self.dir, stdout=logf, stderr=logf)
        logf.close()
        try:
            harness.wait_for(self._ready, 60,
                             "postgres on port %d" % self.port, 0.05)
            if not self._has_db():
                self.psql("CREATE ROLE %s LOGIN PASSWORD '%s'"
                          % (ROLE, self.password), db="postgres")
                self.psql("CREATE DATABASE %s OWNER %s" % (DB, ROLE),
                          db="postgres")
        except BaseException:
            self.kill()
            raise
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("postgres exited (%s):\n%s"
                                 % (self.proc.returncode, self.log_text()))
        return subprocess.run(
            [_tool("pg_isready"), "-q", "-h", self.dir, "-p", str(self.port),
             "-U", SUPER, "-d", "postgres"]).returncode == 0

    def _has_db(self):
        return self.query("SELECT 1 FROM pg_database WHERE datname = '%s'"
                          % DB, db="postgres") != []

    def log_text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def stop(self):
        """A fast shutdown (pg_ctl waits for it); SIGKILL if it hangs."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            subprocess.run(self._as_user([_tool("pg_ctl"), "stop", "-D",
                                          self.data, "-m", "fast", "-w",
                                          "-t", "30"]),
                           cwd=self.dir, capture_output=True)
        harness.kill_group(self.proc)
        self.proc = None

    def kill(self):
        """A crash: the whole process group SIGKILLed."""
        if self.proc is not None:
            harness.kill_group(self.proc, signal.SIGKILL)
        self.proc = None

    def restart(self, crash=False):
        if crash:
            self.kill()
        else:
            self.stop()
        return self.start()

    def psql(self, sql, db=DB):
        """Run sql as the superuser on the socket; stdout."""
        p = subprocess.run(
            [_tool("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", self.dir, "-p", str(self.port), "-U", SUPER, "-d", db],
            input=sql, capture_output=True, text=True,
            timeout=120 * harness.TIMEOUT_SCALE)
        if p.returncode != 0:
            raise AssertionError("psql failed: %s\n%s" % (p.stderr.strip(),
                                                          sql[:2000]))
        return p.stdout

    def query(self, sql, db=DB):
        """Rows of sql as lists, through JSON: NULL stays None, numbers
        numbers, and the columns keep their order."""
        out = self.psql("SELECT coalesce(json_agg(q), '[]') FROM (%s) q"
                        % sql, db)
        rows = json.loads(out or "[]",
                          object_pairs_hook=lambda kv: [v for _, v in kv])
        return rows

    def columns(self, relation, db=DB):
        """The column names of a table or view, in order."""
        return [r[0] for r in self.query(
            "SELECT attname FROM pg_attribute WHERE attrelid = '%s'::regclass"
            " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            % relation, db)]

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            self.stop()
        finally:
            if exc_type is None:
                shutil.rmtree(self.dir, ignore_errors=True)
            else:
                print("postgres files kept in %s\n%s"
                      % (self.dir, self.log_text()), file=sys.stderr)
        return False
