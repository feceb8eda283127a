"""Malformed messages and duplicates; the numbered crash-test mode."""

import json
import random

from .world import ROOT


# --- numbered mode (crash tests) -------------------------------------------

NUMBERED_VEHICLE = "SEQ-0001"
NUMBERED_PLATE = "吉AS0001"


def numbered_messages(prefix, base_ms, first):
    """Positions of one vehicle, message i at base + i s with "seq": i."""
    prefix = prefix.rstrip("/")
    if prefix.endswith("/position"):
        topic = prefix
    else:
        topic = "%s/vehicles/%s/position" % (prefix, NUMBERED_VEHICLE)
    i = first
    while True:
        yield topic, {"ts": base_ms + i * 1000,
                      "lat": round(43.85 + (i // 1000 % 100) * 0.0005, 6),
                      "lon": round(125.25 + (i % 1000) * 0.0001, 6),
                      "plate": NUMBERED_PLATE, "device": "013900000001",
                      "speed_kmh": 30.0, "heading_deg": 90, "load_state": "empty",
                      "seq": i}
        i += 1


# --- faults ----------------------------------------------------------------

def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def topic_kind(topic):
    parts = topic.split("/")
    if len(parts) >= 3 and parts[2] == "manifests":
        return "manifest"
    return parts[-1] if len(parts) >= 5 else "?"


REQUIRED = {"position": ["ts", "lat", "lon"], "events": ["type", "ts"],
            "weighings": ["ticket", "first_ts", "status"], "status": ["ts", "state"],
            "manifest": ["scheme", "status", "version"]}
WRONG_TYPES = {
    "position": [("lat", "north"), ("lon", [125.3]), ("ts", True), ("speed_kmh", "fast")],
    "events": [("type", 5), ("mass_kg", "heavy"), ("ts", {"t": 0})],
    "weighings": [("gross_kg", "n/a"), ("ticket", ["0001"]), ("first_ts", False),
                  ("status", 1)],
    "status": [("ts", [1, 2]), ("inventory_kg", "lots"), ("state", {"open": True})],
    "manifest": [("version", "three"), ("lines", "none"), ("scheme", 42),
                 ("ts", ["yesterday"])],
}
STRING_FIELD = {"position": "plate", "events": "plate", "weighings": "plate",
                "status": "state", "manifest": "plate"}
BAD_UTF8 = [b"\xe5\x90A5G217",  # 吉 cut short
            b"\xff\xfe", b"\xc0\xaf",  # never valid / overlong '/'
            b"\xed\xa0\x80",  # UTF-16 surrogate
            b"A\x80B"]  # stray continuation byte
MARK = "@@WTSIM_BAD@@"


def make_bad(rng, topic, obj):
    """Replace a good message by a malformed one; returns (topic, payload bytes)."""
    kind = topic_kind(topic)
    fault = rng.choice(["json", "missing", "utf8", "topic", "types"])
    if fault == "json":
        p = dumps(obj)
        how = rng.randrange(4)
        if how == 0:  # truncated (at an ASCII byte, so still valid UTF-8)
            cuts = [i for i in range(1, len(p) - 1) if p[i] < 0x80]
            return topic, p[:rng.choice(cuts)]
        if how == 1:
            return topic, p[:-1] + b",}"
        if how == 2:
            return topic, p.replace(b":", b"=", 1)
        return topic, p.replace(b'"', b"'")
    if fault == "missing" and kind in REQUIRED:
        o = dict(obj)
        o.pop(rng.choice(REQUIRED[kind]), None)
        return topic, dumps(o)
    if fault == "utf8" and kind in STRING_FIELD:
        o = dict(obj)
        o[STRING_FIELD[kind]] = MARK
        return topic, dumps(o).replace(MARK.encode(), rng.choice(BAD_UTF8))
    if fault == "types" and kind in WRONG_TYPES:
        o = dict(obj)
        k, v = rng.choice(WRONG_TYPES[kind])
        o[k] = v
        return topic, dumps(o)
    # Unknown topic kind, with an otherwise valid payload.
    parts = topic.split("/")
    if parts[2] == "facilities":
        return "%s/facilities/%s/unknown" % (ROOT, parts[3]), dumps(obj)
    vehicle = parts[3] if parts[2] == "vehicles" else "X"
    return "%s/vehicles/%s/unknown" % (ROOT, vehicle), dumps(obj)


class Stream:
    """Sim messages -> serialised, with faults and duplicates injected."""

    def __init__(self, source, seed, bad_pct, dup_pct):
        self.source = source
        self.rng = random.Random("%s/faults" % seed)
        self.bad_pct = bad_pct
        self.dup_pct = dup_pct
        self.pending = []  # (due index, topic, payload) of duplicates to send
        self.n = self.bad = self.dup = 0

    def __iter__(self):
        rng = self.rng
        for topic, obj in self.source:
            while self.pending and self.pending[0][0] <= self.n:
                _, t, p = self.pending.pop(0)
                self.dup += 1
                self.n += 1
                yield t, p
            if self.bad_pct and rng.random() * 100 < self.bad_pct:
                topic, payload = make_bad(rng, topic, obj)
                self.bad += 1
            else:
                payload = dumps(obj)
            self.n += 1
            yield topic, payload
            if self.dup_pct and rng.random() * 100 < self.dup_pct:
                due = self.n + rng.randint(0, 20)
                self.pending.append((due, topic, payload))
                self.pending.sort(key=lambda x: x[0])
