#!/usr/bin/python3
"""TLS to the broker: mosquitto with a certificate from a private CA made
here with openssl; the daemon verifies it with mqtt.tls.ca_file and ingests
over ssl://. A daemon trusting another CA never connects."""

import os
import shutil
import subprocess

from harness import (Broker, Daemon, Publisher, free_port, kill_group,
                     make_dir, read_tsv, run, spawn, wait_for)


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=%s" % name, "-keyout", name + ".key",
            "-out", name + ".crt", cwd=d)


def make_server_cert(d):
    make_ca(d, "ca")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr", cwd=d)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt",
            "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "san.ext", "-out", "server.crt", cwd=d)


class TlsBroker(Broker):
    def start(self):
        self.plain_port = self.port
        self.tls_port = free_port()
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("user root\nper_listener_settings false\n"
                    "allow_anonymous true\n"
                    "persistence false\nmax_queued_messages 0\n"
                    "listener %d 127.0.0.1\n"
                    "listener %d 127.0.0.1\ncafile %s/ca.crt\n"
                    "certfile %s/server.crt\nkeyfile %s/server.key\n"
                    % (self.plain_port, self.tls_port, self.dir, self.dir,
                       self.dir))
        self.log = open(os.path.join(self.dir, "mosquitto.log"), "ab")
        self.proc = spawn(["mosquitto", "-c", conf], stdout=self.log,
                          stderr=self.log)
        try:
            wait_for(self._accepts, 10, "mosquitto")
        except BaseException:
            self.stop()
            raise
        return self


def test_tls():
    if not shutil.which("openssl"):
        print("skip: no openssl")
        return
    d = make_dir("wt-tls-")
    make_server_cert(d)
    make_ca(d, "other")
    broker = TlsBroker(d).start()
    daemon = None
    try:
        tls = ('  tls: {ca_file: "%s/ca.crt"}\n' % d)
        daemon = Daemon(d, broker.tls_port, mqtt_extra=tls)
        with open(daemon.conf) as f:
            conf = f.read().replace("tcp://127.0.0.1", "ssl://127.0.0.1")
        with open(daemon.conf, "w") as f:
            f.write(conf)
        daemon.start()
        pub = Publisher(broker.plain_port)
        pub.publish_all(read_tsv("wastetrack.tsv"))
        pub.close()
        wait_for(lambda: daemon.status()["ingest"]["stored"] == 6, 20,
                 "6 rows over TLS")
        assert daemon.stop() == 0
        # The wrong CA: the daemon runs, reports, never connects.
        with open(daemon.conf, "w") as f:
            f.write(conf.replace("/ca.crt", "/other.crt"))
        daemon.start(wait_connected=False)
        wait_for(lambda: daemon.status()["mqtt"]["last_error"], 20,
                 "a connect error")
        st = daemon.status()
        assert st["mqtt"]["connected"] is False, st
        assert daemon.http("/healthz")[0] == 503
        assert daemon.stop() == 0
        shutil.rmtree(d, ignore_errors=True)
    finally:
        # Whatever failed above, neither process outlives the test.
        if daemon is not None and daemon.proc is not None:
            kill_group(daemon.proc)
        broker.stop()


if __name__ == "__main__":
    run([test_tls])
