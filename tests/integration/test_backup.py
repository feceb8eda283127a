#!/usr/bin/python3
"""Online backup and restore (docs/backup.md): `wastetrackctl backup`
copies the database while the daemon ingests; the copy is one committed
state in one file; restored, the daemon resumes from the spool position
committed in it, so nothing acknowledged is lost. Also the tool's command
line: help, usage errors (64), configuration errors (78), no overwrite."""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading

from harness import Env, Publisher, run, wait_for

CTL = os.environ["WASTETRACKCTL"]
BASE_MS = 1691388000000
N1, N2 = 3000, 3000


def numbered(i):
    return ("wt/v1/vehicles/BAK-0001/position",
            json.dumps({"ts": BASE_MS + i * 1000, "lat": 43.88,
                        "lon": 125.31}))


def ctl(*args):
    return subprocess.run([CTL] + list(args), capture_output=True,
                          text=True, timeout=120)


def copy_rows(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        n = con.execute("SELECT count(*) FROM positions").fetchone()[0]
        return mode, n
    finally:
        con.close()


def test_command_line():
    p = ctl("--help")
    assert p.returncode == 0 and "backup" in p.stdout, p
    p = ctl("backup", "--help")
    assert p.returncode == 0 and "DEST" in p.stdout, p
    assert ctl("-V").stdout.startswith("wastetrackctl ")
    for bad in (["frobnicate"], [], ["backup"], ["-x", "backup", "a"]):
        p = ctl(*bad)
        assert p.returncode == 64, (bad, p)
        assert "usage: wastetrackctl" in p.stderr, (bad, p.stderr)
    with Env("ctl-conf") as env:
        conf = os.path.join(env.dir, "bad.yaml")
        with open(conf, "w") as f:
            f.write("database:\n  paht: x\n")
        p = ctl("-c", conf, "backup", os.path.join(env.dir, "b.db"))
        assert p.returncode == 78, p
        assert re.search(re.escape(conf) + r":2:3: ", p.stderr), p.stderr


def test_backup_and_restore():
    with Env("backup") as env:
        d = env.daemon.start()
        pub = Publisher(env.broker.port)
        pub.publish_all([numbered(i) for i in range(N1)])
        wait_for(lambda: d.count("positions") == N1, 60, "the first batch")
        # A second batch is published while the copy is made.
        t = threading.Thread(target=pub.publish_all,
                             args=([numbered(N1 + i) for i in range(N2)],))
        t.start()
        dest = os.path.join(env.dir, "backup.db")
        p = ctl("-c", d.conf, "backup", dest)
        assert p.returncode == 0, p.stderr
        m = re.search(r"spool segment (\d+) offset (\d+)", p.stdout)
        assert m, p.stdout
        t.join(120)
        wait_for(lambda: d.count("positions") == N1 + N2, 60,
                 "the second batch")
        # One self-contained file holding one committed state.
        mode, in_copy = copy_rows(dest)
        assert mode == "delete", mode
        assert N1 <= in_copy <= N1 + N2, in_copy
        assert not os.path.exists(dest + ".partial")
        assert not os.path.exists(dest + "-wal")
        # Never over an existing file.
        before = os.stat(dest)
        p = ctl("-c", d.conf, "backup", dest)
        assert p.returncode == 1 and "already exists" in p.stderr, p
        assert os.stat(dest).st_mtime_ns == before.st_mtime_ns
        assert d.stop() == 0

        # Restore: the copy replaces the database and its log.
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(d.db + suffix):
                os.unlink(d.db + suffix)
        shutil.copyfile(dest, d.db)
        d.start()
        wait_for(lambda: d.count("positions") == N1 + N2, 60,
                 "the restored database to catch up from the spool")
        # Every number, and the spool supplied what came after the copy's
        # position (all of it, if the broker sent nothing twice).
        assert d.query("SELECT min(ts_ms), max(ts_ms) FROM positions")[0] \
            == (BASE_MS, BASE_MS + (N1 + N2 - 1) * 1000)
        replayed = sum(int(n) for n in re.findall(
            r"replayed (\d+) spooled messages", d.log_text()))
        assert replayed >= N1 + N2 - in_copy, (replayed, in_copy)
        assert d.stop() == 0
        pub.close()


if __name__ == "__main__":
    run([test_command_line, test_backup_and_restore])
