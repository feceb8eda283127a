"""Where messages go: a QoS 0/1 publisher with a bounded window, or stdout."""

import os
import sys
import threading
import time


# --- output ------------------------------------------------------------------

class Stop(Exception):
    pass


class Publisher:
    """QoS 0/1 publisher with a bounded window of unacknowledged messages."""

    WINDOW = 1000

    def __init__(self, args):
        import paho.mqtt.client as mqtt  # only needed when publishing
        self.mqtt = mqtt
        self.qos = args.qos
        self.cond = threading.Condition()
        self.sent = 0  # handed to paho
        self.acked = 0  # PUBACK received (QoS 1) or written (QoS 0)
        self.lost = 0  # QoS 0 messages paho refused while disconnected
        self.connected = threading.Event()
        self.conn_rc = None
        self.last = None
        self.stopping = ()
        self.waiting = False
        cid = args.client_id or "wtsim-%d" % os.getpid()
        c = mqtt.Client(client_id=cid, clean_session=True, protocol=mqtt.MQTTv311)
        c.max_inflight_messages_set(self.WINDOW)
        c.max_queued_messages_set(0)
        c.reconnect_delay_set(1, 10)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        if args.username:
            c.username_pw_set(args.username, args.password)
        if args.tls:
            c.tls_set()
        self.client = c
        self.host, self.port = args.host, args.port

    def _on_connect(self, client, userdata, flags, rc):
        self.conn_rc = rc
        if rc == 0:
            self.connected.set()
        else:
            print("wtsim: broker refused the connection: %s"
                  % self.mqtt.connack_string(rc), file=sys.stderr)

    def _on_disconnect(self, client, userdata, rc):
        self.connected.clear()
        if rc != 0:
            print("wtsim: disconnected (%s), reconnecting" % self.mqtt.error_string(rc),
                  file=sys.stderr)

    def _on_publish(self, client, userdata, mid):
        # Runs on paho's thread once per PUBACK: keep it cheap, wake only a waiter.
        with self.cond:
            self.acked += 1
            if self.waiting:
                self.cond.notify()

    def start(self, timeout=10.0):
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except (OSError, ValueError) as e:
            print("wtsim: cannot connect to %s:%d: %s" % (self.host, self.port, e),
                  file=sys.stderr)
            return False
        self.client.loop_start()
        if not self.connected.wait(timeout):
            print("wtsim: no CONNACK from %s:%d" % (self.host, self.port), file=sys.stderr)
            return False
        return True

    def publish(self, topic, payload):
        with self.cond:
            while self.sent - self.acked - self.lost >= self.WINDOW:
                if self.stopping:
                    raise Stop()
                self.waiting = True
                self.cond.wait(0.5)
                self.waiting = False
            self.sent += 1
        info = self.client.publish(topic, payload, qos=self.qos)
        if self.qos == 0 and info.rc != self.mqtt.MQTT_ERR_SUCCESS:
            with self.cond:
                self.lost += 1
        self.last = info

    def finish(self, timeout):
        """Wait for every ack; True when all messages were acknowledged."""
        deadline = time.monotonic() + timeout
        if self.last is not None and self.qos > 0:
            try:
                self.last.wait_for_publish(timeout)
            except (ValueError, RuntimeError) as e:
                print("wtsim: last message: %s" % e, file=sys.stderr)
        with self.cond:
            while self.acked < self.sent - self.lost:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.waiting = True
                self.cond.wait(min(left, 0.5))
                self.waiting = False
            ok = self.acked >= self.sent and self.lost == 0
            if not ok:
                print("wtsim: %d of %d messages not acknowledged"
                      % (self.sent - self.acked, self.sent), file=sys.stderr)
        self.client.disconnect()
        self.client.loop_stop()
        return ok


class Printer:
    def __init__(self):
        self.out = sys.stdout.buffer

    def publish(self, topic, payload):
        self.out.write(topic.encode() + b"\t" + payload + b"\n")

    def finish(self, timeout):
        self.out.flush()
        return True
