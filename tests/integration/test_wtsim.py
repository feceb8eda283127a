#!/usr/bin/python3
"""tools/wtsim's muck trucks and registry (issue 15), read from its output.

A 40-truck city (38 trucks of the urban fleet and 2 vans: 5 of the 38 are
construction trucks, int(38 * 0.15)) from 2023-08-07 21:00 +08:00, with the
default supervision hours 22:00-06:00. The registry lists the muck trucks
in fleet order; the first three carry the scripted violations
(tools/wtsimlib/muck.py): the expired permit's trip from the start, the
dump in a field 10 minutes after the start, the daytime run at the first
moment outside the hours with an hour to spare, which from 21:15 is
06:01 the next morning. The geometry is checked with an independent
local projection, with margins far above its error. Last, the daemon must
accept the registry as configuration (`wastetrackd -n`), and the
registries of tools/bench/run --sites too.
"""

import hashlib
import json
import math
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from harness import DAEMON, make_dir, run

ROOT = os.environ.get("WT_SOURCE") or os.path.join(
    os.path.dirname(__file__), "..", "..")
WTSIM = os.path.join(ROOT, "tools", "wtsim")
CST = timezone(timedelta(hours=8))
START = "2023-08-07T21:00:00+08:00"
START_MS = int(datetime.fromisoformat(START).timestamp() * 1000)
ARGS = ["--seed", "muck", "--trucks", "40", "--start", START]
COUNT = 60000
LOADED = ("full", "half", "loaded")
S = {}


def wtsim(*extra):
    p = subprocess.run([sys.executable, WTSIM] + ARGS + list(extra),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


def ms(v):
    if isinstance(v, (int, float)):
        return int(v)
    return int(datetime.fromisoformat(v).timestamp() * 1000)


def minute_of_day(t):
    d = datetime.fromtimestamp(t / 1000, CST)
    return d.hour * 60 + d.minute


def in_hours(t):
    m = minute_of_day(t)
    return m >= 22 * 60 or m < 6 * 60


# --- geometry: metres in a local projection around a reference point --------

def xy(ref, p):
    k = 111320.0
    return ((p[1] - ref[1]) * k * math.cos(math.radians(ref[0])),
            (p[0] - ref[0]) * k)


def seg_dist(p, a, b):
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) /
                     (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def signed_dist(fence, p):
    """Metres from p to the fence's boundary: negative inside."""
    if "radius" in fence:
        x, y = xy(fence["centre"], p)
        return math.hypot(x, y) - fence["radius"]
    ref = fence["rings"][0][0]
    q = xy(ref, p)
    inside = False
    best = float("inf")
    for ring in fence["rings"]:
        pts = [xy(ref, v) for v in ring]
        for i in range(len(pts)):
            a, b = pts[i], pts[(i + 1) % len(pts)]
            best = min(best, seg_dist(q, a, b))
            if (a[1] > q[1]) != (b[1] > q[1]) and \
                    q[0] < a[0] + (q[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]):
                inside = not inside
    return -best if inside else best


# --- the registry -------------------------------------------------------------

def field(line, name, pattern=r'"?([^",}]+)"?'):
    m = re.search(r"\b%s: %s" % (name, pattern), line)
    return m.group(1) if m else None


def parse_registry(text):
    reg = {"facilities": {}, "generators": {}, "vehicles": [], "other": []}
    section = None
    for line in text.splitlines():
        if not line.startswith("  - "):
            section = line.split(":")[0]
            if section not in reg:
                reg["other"].append(line)
            continue
        e = {"line": line, "kind": field(line, "kind")}
        lat, lon = field(line, "lat"), field(line, "lon")
        if lat is not None:
            e["pos"] = (float(lat), float(lon))
        r = field(line, "radius_m", r"(\d+)")
        poly = field(line, "polygon", r"(\[\[.*?\]\])")
        holes = field(line, "holes", r"(\[\[\[.*?\]\]\])")
        if r:
            e["fence"] = {"radius": float(r), "centre": e["pos"]}
        elif poly:
            e["fence"] = {"rings": [json.loads(poly)] +
                          (json.loads(holes) if holes else [])}
        acc = field(line, "accepts", r"(\[[^\]]*\])")
        e["accepts"] = json.loads(acc) if acc else None
        for k in ("id", "plate", "fleet", "permit_from", "permit_to"):
            e[k] = field(line, k)
        if section == "vehicles":
            reg["vehicles"].append(e)
        else:
            reg[section][e["id"]] = e
    return reg


def fences(reg):
    return [(e["id"], e["fence"]) for sec in ("facilities", "generators")
            for e in reg[sec].values() if "fence" in e]


def test_registry():
    text = wtsim("--print-registry").decode()
    reg = parse_registry(text)
    S["reg"] = reg
    # Every facility has a position, a fence holding that position by at
    # least 100 m (circles of 300 m, polygons of 300 m or more around the
    # gate) and what it accepts; CC-CW-01 takes construction waste.
    assert len(reg["facilities"]) == 9, list(reg["facilities"])
    for fid, f in reg["facilities"].items():
        assert "fence" in f and f["accepts"], f["line"]
        assert signed_dist(f["fence"], f["pos"]) < -100, f["line"]
    assert reg["facilities"]["CC-CW-01"]["accepts"] == ["cw.*"]
    assert reg["facilities"]["CC-KWP-01"]["fence"]["radius"] == 300
    # The landfill's pond: a hole 290-420 m from the gate, bearing 35-55 deg.
    lf = reg["facilities"]["CC-LF-01"]
    assert len(lf["fence"]["rings"]) == 2
    g = lf["pos"]
    k = 111320.0 * math.cos(math.radians(g[0]))
    pond = (g[0] + 355 * math.cos(math.radians(45)) / 111320.0,
            g[1] + 355 * math.sin(math.radians(45)) / k)
    assert signed_dist(lf["fence"], pond) > 0, "the pond is not outside"
    # Construction sites: fences of 150 m, permits from 180 days before
    # the start (2023-02-08) to 180 days after (2024-02-03).
    sites = [e for e in reg["generators"].values()
             if e["kind"] == "construction_site"]
    assert len(sites) == 24, len(sites)   # 6 per urban district
    for s in sites:
        assert s["fence"]["radius"] == 150, s["line"]
        assert (s["permit_from"], s["permit_to"]) == \
            ("2023-02-08", "2024-02-03"), s["line"]
    S["sites"] = {s["id"] for s in sites}
    muck = [v for v in reg["vehicles"] if v["kind"] == "muck_truck"]
    assert len(muck) == 5, [v["line"] for v in muck]
    # The first one's permit ran out 30 days before the start.
    assert muck[0]["permit_to"] == "2023-07-08", muck[0]["line"]
    for v in muck[1:]:
        assert v["permit_to"] == "2023-12-31", v["line"]
    S["muck"] = [v["fleet"] for v in muck]
    assert 'supervision: {muck_hours: "22:00-06:00", unload_dwell_s: 120}' \
        in reg["other"], reg["other"]


def test_stream():
    out = wtsim("--dry-run", "--count", str(COUNT))
    again = wtsim("--dry-run", "--count", str(COUNT))
    assert hashlib.sha256(out).digest() == hashlib.sha256(again).digest(), \
        "same seed, different output"
    tracks, events = {}, {}
    for line in out.decode().splitlines():
        topic, payload = line.split("\t", 1)
        parts = topic.split("/")
        if parts[2] != "vehicles":
            continue
        o = json.loads(payload)
        o["t"] = ms(o["ts"])
        (tracks if parts[4] == "position" else events).setdefault(
            parts[3], []).append(o)
    for lst in tracks.values():
        lst.sort(key=lambda o: o["t"])
    S["tracks"], S["events"] = tracks, events
    # Nothing but the muck trucks carries construction waste.
    for v, evs in events.items():
        if v not in S["muck"]:
            assert not any(e["waste"].startswith("cw.") for e in evs), v


def unloads_by_state(track):
    """(time, position) of the last loaded fix before each loaded -> empty."""
    out, last = [], None
    for o in track:
        st = o.get("load_state")
        if st in LOADED:
            last = o
        elif st == "empty" and last is not None:
            out.append((last["t"], (last["lat"], last["lon"])))
            last = None
    return out


def test_expired():
    v = S["muck"][0]
    loads = [e for e in S["events"][v] if e["type"] == "load"]
    # Its trip starts with the simulation: loaded within the first hour
    # (21:00-22:00, outside the hours too), long after 2023-07-08.
    assert loads and loads[0]["t"] < START_MS + 3_600_000, loads[:1]
    assert loads[0]["waste"] == "cw.excavated_soil"
    assert loads[0]["site"] in S["sites"]


def test_dump():
    v = S["muck"][1]
    evs = sorted(S["events"][v], key=lambda e: e["t"])
    drops = unloads_by_state(S["tracks"][v])
    assert drops, "no loaded -> empty change"
    t, pos = drops[0]
    # Loaded at a construction site 10 minutes or more after the start,
    # then emptied at least 500 m outside every fence (the field is 2 km
    # from every facility's gate, 600 m from every place), with no unload
    # event before.
    assert evs[0]["type"] == "load" and evs[0]["site"] in S["sites"], evs[:1]
    assert START_MS + 600_000 <= evs[0]["t"] < t < START_MS + 3 * 3_600_000
    near = min((signed_dist(f, pos), fid) for fid, f in fences(S["reg"]))
    assert near[0] > 500, near
    assert not [e for e in evs if e["type"] == "unload" and e["t"] <= t]


def test_daytime():
    v = S["muck"][2]
    moving = [o for o in S["tracks"][v]
              if o.get("load_state") in LOADED and o["speed_kmh"] > 0]
    assert moving, "never moved loaded"
    # 21:15 is outside the hours but 22:15 is not: the run waits for the
    # window to close at 06:00 and starts at 06:01 on 2023-08-08.
    first = START_MS + (9 * 60 + 1) * 60_000
    assert min(o["t"] for o in moving) >= first
    assert not any(in_hours(o["t"]) for o in moving)
    cw = S["reg"]["facilities"]["CC-CW-01"]["fence"]
    ul = [e for e in S["events"][v] if e["type"] == "unload"]
    assert ul and ul[0]["facility"] == "CC-CW-01", ul
    for t, pos in unloads_by_state(S["tracks"][v]):
        assert signed_dist(cw, pos) < -20, pos


def implied_kmh(a, b):
    x, y = xy((a["lat"], a["lon"]), (b["lat"], b["lon"]))
    return math.hypot(x, y) / max(1, b["t"] - a["t"]) * 3600


def test_speed_outlier():
    # Only the daytime truck jumps: one fix 0.05 deg (5.6 km) north, so
    # two consecutive pairs (out and back) imply over 150 km/h.
    fast = {}
    for v, track in S["tracks"].items():
        for a, b in zip(track, track[1:]):
            if implied_kmh(a, b) > 150:
                fast.setdefault(v, []).append((a, b))
    assert list(fast) == [S["muck"][2]], list(fast)
    pairs = fast[S["muck"][2]]
    assert len(pairs) == 2 and pairs[0][1] is pairs[1][0], len(pairs)
    a, jump, b = pairs[0][0], pairs[0][1], pairs[1][1]
    assert 0.045 < jump["lat"] - (a["lat"] + b["lat"]) / 2 < 0.055


def test_regular():
    cw = S["reg"]["facilities"]["CC-CW-01"]["fence"]
    n = 0
    for v in S["muck"][3:]:
        for o in S["tracks"][v]:
            if o.get("load_state") in LOADED and o["speed_kmh"] > 0:
                assert in_hours(o["t"]), (v, o)
        for t, pos in unloads_by_state(S["tracks"][v]):
            assert in_hours(t) and signed_dist(cw, pos) < -20, (v, pos)
        for e in S["events"][v]:
            if e["type"] == "unload":
                n += 1
                assert e["facility"] == "CC-CW-01", e
                if "lat" in e:
                    assert signed_dist(cw, (e["lat"], e["lon"])) < -20, e
    # Two trucks over one night (22:00-06:00): at least two trips each.
    assert n >= 4, n


def test_daemon_accepts():
    rc, out = daemon_check(wtsim("--print-registry").decode())
    assert rc == 0 and "configuration OK" in out, out[-2000:]


def daemon_check(text):
    d = make_dir("wtsim-")
    conf = os.path.join(d, "wastetrack.yaml")
    with open(conf, "w") as f:
        f.write('database:\n  path: "%s/wt.db"\n' % d)
        f.write(text)
    p = subprocess.run([DAEMON, "-n", "-c", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    return p.returncode, p.stdout.decode()


def test_bench_registries():
    # tools/bench/run --sites 500 --trucks 2000: the registry with the
    # sites has exactly 500 fences (the city's 9 facilities and 24
    # construction sites, 467 generated), and the daemon takes both it and
    # the one without (none); stripped of geometry, no fence is left.
    sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
    import sites
    regs = sites.registries(WTSIM, 1, 2000, 500, START)
    assert regs["city_fences"] == 33, regs["city_fences"]
    assert regs["with"].count("geofence:") == 500
    assert regs["without"].count("geofence:") == 0
    assert regs["with"].count("holes:") > 0
    for k in ("with", "without"):
        rc, out = daemon_check(regs[k])
        assert rc == 0 and "configuration OK" in out, (k, out[-2000:])
    bare = sites.strip_geometry(regs["with"])
    assert "geofence" not in bare and "supervision" not in bare
    assert bare.count("\n  - {") == regs["with"].count("\n  - {")


def test_bad_hours():
    p = subprocess.run([sys.executable, WTSIM, "--muck-hours", "22-6",
                        "--print-registry"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 2 and b"--muck-hours" in p.stderr, p.stderr


if __name__ == "__main__":
    run([test_registry, test_stream, test_expired, test_dump, test_daytime,
         test_speed_outlier, test_regular, test_daemon_accepts,
         test_bench_registries, test_bad_hours])
