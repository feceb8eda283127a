#!/usr/bin/python3
"""The PostgreSQL backend's connection layer (lib/store_pg_conn.c and
store_pg_handle.c) against a private PostgreSQL (pg.py), through the
driver pg_conn: thousands of statements in one pipelined transaction
with a question in the middle, a failing statement failing the commit
and the rollback undoing the rest (the spool position included), two
instances with spool positions of their own and one database id, and a
server restart (fast, then a crash) after which the next transaction
reconnects."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pg  # noqa: E402

DRIVER = os.environ.get("WT_PG_CONN", "build/tests/pg_conn")


def run_once(crash):
    with pg.Postgres("conn") as db:
        p = subprocess.Popen([DRIVER, db.url, db.passfile],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        out = []
        try:
            for line in p.stdout:
                out.append(line.rstrip("\n"))
                if line.startswith("restart"):
                    db.restart(crash=crash)
                    p.stdin.write("go\n")
                    p.stdin.flush()
            rc = p.wait(60)
        finally:
            if p.poll() is None:
                p.kill()
        err = p.stderr.read()
        text = "\n".join(out)
        assert rc == 0 and "done" in out, "pg_conn:\n%s\n%s" % (text, err)
        assert not [x for x in out if x.startswith("FAIL")], text
        # The failure and the reconnection were told, with a reason.
        assert "INSERT INTO meta(key, value) VALUES(NULL" in err, err
        assert "connected again" in err, err
        return len([x for x in out if x.startswith("ok ")])


def test_conn():
    n = run_once(crash=False)
    assert n >= 20, n


def test_conn_crash():
    n = run_once(crash=True)
    assert n >= 20, n


if __name__ == "__main__":
    harness.run([test_conn, test_conn_crash])
