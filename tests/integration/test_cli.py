#!/usr/bin/python3
"""The command line and configuration life cycle: -h/--help, -V/--version,
usage errors (64), -n on the shipped sample and on broken files
(FILE:LINE:COL at error priority, exit 78), log line prefixes with and
without the journal, SIGHUP with a broken and a good file, sd_notify."""

import os
import re
import signal
import socket
import subprocess
import tempfile

from harness import DAEMON, TMP_ROOT, Env, run, wait_for

SOURCE = os.environ.get("WT_SOURCE", ".")


# "<3>2026-12-07T15:41:00.123Z ": priority, then UTC time to the ms.
STAMPED = r"<(\d)>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
EX_USAGE, EX_CONFIG = 64, 78


def wastetrackd(*args, env=None):
    return subprocess.run([DAEMON] + list(args), capture_output=True,
                          text=True, timeout=30, env=env)


def test_version_and_usage():
    for flag in ("-V", "--version"):
        p = wastetrackd(flag)
        assert p.returncode == 0 and p.stderr == "", (flag, p.stderr)
        assert re.fullmatch(r"wastetrackd \d+\.\d+\.\d+\n", p.stdout), p.stdout
    for flag in ("-h", "--help"):
        p = wastetrackd(flag)
        assert p.returncode == 0 and p.stderr == "", (flag, p.stderr)
        # The full usage: every option, long and short, and the statuses.
        for opt in ("-c, --config FILE", "-n, --check", "-A, --adopt-spool",
                    "-v, --verbose", "-V, --version", "-h, --help", " 78 "):
            assert opt in p.stdout, (opt, p.stdout)
    for bad in (["-x"], ["--bogus"], ["-c"], ["stray"]):
        p = wastetrackd(*bad)
        assert p.returncode == EX_USAGE, (bad, p.returncode)
        assert p.stdout == "" and "usage: wastetrackd" in p.stderr, bad


def test_check_sample_config():
    p = wastetrackd("-n", "-c", os.path.join(SOURCE, "conf",
                                            "wastetrack.yaml"))
    assert p.returncode == 0, p.stderr
    assert p.stdout == "configuration OK\n"


def test_check_broken_config():
    with tempfile.TemporaryDirectory(dir=TMP_ROOT) as tmp:
        path = os.path.join(tmp, "bad.yaml")
        with open(path, "w") as f:
            f.write("mqtt:\n  url: \"tcp://127.0.0.1:1883\"\n"
                    "  pasword_file: /etc/secret\n"
                    "database:\n  synchronous: sometimes\n"
                    "http:\n  listen: 8080\n")
        p = wastetrackd("-n", "-c", path)
        assert p.returncode == EX_CONFIG and p.stdout == ""
        lines = p.stderr.strip().splitlines()
        want = [path + ":3:3: ", path + ":5:16: ", path + ":7:11: "]
        assert len(lines) == 3, p.stderr
        for line, prefix in zip(lines, want):
            # At error priority, so `journalctl -p err` shows them.
            assert re.match(STAMPED + re.escape(prefix), line), (line, prefix)
            assert line.startswith("<3>"), line
        assert 'unknown key "pasword_file"' in lines[0]
        p = wastetrackd("-n", "-c", os.path.join(tmp, "missing.yaml"))
        assert p.returncode == EX_CONFIG and "missing.yaml" in p.stderr
        # The same refusal when starting for real, not only with -n.
        p = wastetrackd("-c", path)
        assert p.returncode == EX_CONFIG, p.stderr


def test_journal_stream():
    """With stderr on the journal ($JOURNAL_STREAM names its device and
    inode) lines carry only the priority; anywhere else also the time."""
    with tempfile.TemporaryDirectory(dir=TMP_ROOT) as tmp:
        path = os.path.join(tmp, "bad.yaml")
        with open(path, "w") as f:
            f.write("bogus: 1\n")
        out = os.path.join(tmp, "stderr")
        for journal in (False, True):
            with open(out, "w") as err:
                st = os.fstat(err.fileno())
                env = dict(os.environ)
                env.pop("JOURNAL_STREAM", None)
                if journal:
                    env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
                p = subprocess.run([DAEMON, "-n", "-c", path], stderr=err,
                                   stdout=subprocess.DEVNULL, env=env,
                                   timeout=30)
            assert p.returncode == EX_CONFIG
            line = open(out).read()
            if journal:
                assert line.startswith("<3>" + path + ":1:1: "), line
            else:
                assert re.match(STAMPED + re.escape(path), line), line
        # A stream that is not stderr (a redirect under systemd) is not
        # the journal: timestamps again.
        with open(out, "w") as err:
            env = dict(os.environ, JOURNAL_STREAM="1:1")
            subprocess.run([DAEMON, "-n", "-c", path], stderr=err,
                           stdout=subprocess.DEVNULL, env=env, timeout=30)
        assert re.match(STAMPED, open(out).read())


def test_sighup_reload():
    with Env("reload") as env:
        d = env.daemon.start()
        assert d.count("facilities") == 3
        good = open(d.conf).read()
        with open(d.conf, "a") as f:
            f.write("bogus_key: 1\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "new configuration refused" in d.log_text(), 10,
                 "the refusal in the log")
        assert re.search(r"wastetrack\.yaml:\d+:1: unknown key \"bogus_key\"",
                         d.log_text()), d.log_text()
        assert d.http("/healthz")[0] == 200
        assert d.count("facilities") == 3
        with open(d.conf, "w") as f:
            f.write(good.replace("facilities:\n", "facilities:\n"
                                 "  - {id: \"CC-INC-02\", kind: incinerator,"
                                 " district: \"宽城区\", harmless: true}\n"))
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: d.count("facilities") == 4, 10, "4 facilities")
        assert d.stop() == 0


def test_sd_notify():
    """Under systemd: READY=1 once serving, STATUS and WATCHDOG=1 while
    running, STOPPING=1 on SIGTERM."""
    with Env("notify") as env:
        path = os.path.join(env.dir, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(10)
        env_vars = dict(os.environ, NOTIFY_SOCKET=path,
                        WATCHDOG_USEC="2000000")
        d = env.daemon.start(env=env_vars)
        seen = []

        def received(prefix):
            while not any(m.startswith(prefix) for m in seen):
                seen.append(sock.recv(512).decode())
            return True

        # Opening the database may migrate it: the start timeout is
        # extended first, with a status saying what start-up is doing.
        assert received("EXTEND_TIMEOUT_USEC=")
        ext = [m for m in seen if m.startswith("EXTEND_TIMEOUT_USEC=")][0]
        assert "STATUS=opening " in ext, ext
        assert not any(m.startswith("READY=1") for m in seen), seen
        assert received("READY=1")
        assert received("STATUS=received ")
        assert received("WATCHDOG=1")
        d.proc.send_signal(signal.SIGTERM)
        assert received("STOPPING=1")
        assert d.proc.wait(30) == 0
        d.check_sanitizers()
        sock.close()


if __name__ == "__main__":
    run([test_version_and_usage, test_check_sample_config,
         test_check_broken_config, test_journal_stream, test_sighup_reload,
         test_sd_notify])
