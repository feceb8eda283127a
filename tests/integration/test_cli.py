#!/usr/bin/python3
"""The command line and configuration life cycle: -V, -n on the shipped
sample and on broken files (FILE:LINE:COL), SIGHUP with a broken and a
good file."""

import os
import re
import signal
import socket
import subprocess
import tempfile

from harness import DAEMON, TMP_ROOT, Env, run, wait_for

SOURCE = os.environ.get("WT_SOURCE", ".")


def wastetrackd(*args):
    return subprocess.run([DAEMON] + list(args), capture_output=True,
                          text=True, timeout=30)


def test_version_and_usage():
    p = wastetrackd("-V")
    assert p.returncode == 0 and re.match(r"wastetrackd \d+\.\d+", p.stdout)
    p = wastetrackd("-x")
    assert p.returncode == 1 and "usage:" in p.stderr


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
        assert p.returncode == 1
        lines = p.stderr.strip().splitlines()
        want = [path + ":3:3: ", path + ":5:16: ", path + ":7:11: "]
        assert len(lines) == 3, p.stderr
        for line, prefix in zip(lines, want):
            assert line.startswith(prefix), (line, prefix)
        assert 'unknown key "pasword_file"' in lines[0]
        p = wastetrackd("-n", "-c", os.path.join(tmp, "missing.yaml"))
        assert p.returncode == 1 and "missing.yaml" in p.stderr


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
         test_check_broken_config, test_sighup_reload, test_sd_notify])
