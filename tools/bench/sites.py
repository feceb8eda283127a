"""The registries of `tools/bench/run --sites N --trucks M` (README.md).

"with": the tools/wtsim city's registry for M trucks (its facilities and
construction sites with their fences, every generator, every vehicle, the
supervision block), plus generated sites until N fences in all. The
generated ones are the kinds wtbench-geofence times (docs/geofence.md):
spread over 43.7-44.1 N, 125.1-125.5 E; 60 % circles of 100-500 m, the
rest star-shaped polygons of 4-12 vertices and 160-800 m, one in five with
a square hole; one in fifty a landfill of 1-2 km. One in five is a
facility (a construction-waste disposal site accepting cw.*, or the
landfill accepting msw.*), the others construction sites with a permit.

"without": the same configuration with no site at all: the facilities
without position or fence (what `wtsim --print-facilities` prints, which
the weighings need), the same vehicles, the same supervision block.

strip_geometry() turns a registry into what a daemon without registry
geometry accepts (facilities without lat/lon/geofence/accepts, generators
with a position only, no supervision): there the sites are configuration
and nothing more.
"""

import math
import random
import re
import subprocess

LAT0, LON0, SPAN = 43.7, 125.1, 0.4
M_PER_DLAT = 111100.0
DISTRICTS = ["朝阳区", "南关区", "绿园区", "宽城区"]


def sections(text):
    """Top-level blocks of a flow-style registry: name -> list of lines
    (the header included)."""
    out, cur = {}, None
    for line in text.splitlines():
        if not line.startswith(" "):
            cur = line.split(":", 1)[0]
            out[cur] = []
        out[cur].append(line)
    return out


def fenced(lines):
    return sum(1 for ln in lines if "geofence:" in ln)


def ring_yaml(vs):
    return "[%s]" % ", ".join("[%.6f, %.6f]" % v for v in vs)


def fence(rng):
    """(lat, lon, geofence YAML, landfill?)"""
    lat = LAT0 + rng.random() * SPAN
    lon = LON0 + rng.random() * SPAN
    landfill = rng.random() < 0.02
    r = 1000 + 1000 * rng.random() if landfill else 100 + 400 * rng.random()
    if rng.random() < 0.6:
        return lat, lon, "{radius_m: %.0f}" % r, landfill
    r *= 1.6
    kx = M_PER_DLAT * math.cos(math.radians(lat))
    n = 4 + int(rng.random() * 9)
    outline = []
    for k in range(n):
        a = (k + 0.5) * 2 * math.pi / n
        rr = r * (0.7 + 0.3 * rng.random())
        outline.append((lat + rr * math.sin(a) / M_PER_DLAT,
                        lon + rr * math.cos(a) / kx))
    y = "{polygon: %s" % ring_yaml(outline)
    if rng.random() < 0.2:
        h = r * 0.15
        y += ", holes: [%s]" % ring_yaml(
            [(lat - h / M_PER_DLAT, lon - h / kx),
             (lat - h / M_PER_DLAT, lon + h / kx),
             (lat + h / M_PER_DLAT, lon + h / kx),
             (lat + h / M_PER_DLAT, lon - h / kx)])
    return lat, lon, y + "}", landfill


def generated(rng, i, permit):
    """(section, line) of generated site i."""
    lat, lon, geo, landfill = fence(rng)
    district = DISTRICTS[i % len(DISTRICTS)]
    if landfill or rng.random() < 0.2:
        kind, accepts, harmless = (("sanitary_landfill", "msw.*", "true")
                                   if landfill else
                                   ("cw_disposal_site", "cw.*", "false"))
        return "facilities", (
            '  - {id: "BF-%04d", name: "基准消纳场%04d", kind: %s, '
            'district: "%s", harmless: %s, lat: %.6f, lon: %.6f, '
            'geofence: %s, accepts: ["%s"]}'
            % (i, i, kind, district, harmless, lat, lon, geo, accepts))
    return "generators", (
        '  - {id: "BG-%04d", name: "基准工地%04d", kind: construction_site, '
        'district: "%s", lat: %.6f, lon: %.6f, geofence: %s%s}'
        % (i, i, district, lat, lon, geo, permit))


def registries(wtsim, seed, trucks, nsites, start):
    """{"with": text, "without": text, "fences": N, "city_fences": n}
    for the city of the mix (same seed, trucks and start)."""
    def sim(*args):
        return subprocess.run([wtsim, "--seed", str(seed), "--trucks",
                               str(trucks), "--start", start] + list(args),
                              check=True,
                              stdout=subprocess.PIPE).stdout.decode()
    city = sections(sim("--print-registry"))
    plain = sections(sim("--print-facilities"))
    own = fenced(city["facilities"]) + fenced(city["generators"])
    if nsites < own:
        raise ValueError("--sites %d: the simulated city alone has %d "
                         "fenced sites" % (nsites, own))
    m = re.search(r"(, permit_from: \"[^\"]+\", permit_to: \"[^\"]+\")",
                  "\n".join(city["generators"]))
    permit = m.group(1) if m else ""
    rng = random.Random("%s/sites" % seed)
    extra = {"facilities": [], "generators": []}
    for i in range(1, nsites - own + 1):
        sec, line = generated(rng, i, permit)
        extra[sec].append(line)
    sup = city.get("supervision", [])
    with_ = (city["facilities"] + extra["facilities"] + city["generators"]
             + extra["generators"] + city["vehicles"] + sup)
    without = plain["facilities"] + city["vehicles"] + sup
    return {"with": "\n".join(with_) + "\n",
            "without": "\n".join(without) + "\n",
            "fences": nsites, "city_fences": own}


STRIP = [re.compile(r", lat: [-0-9.]+, lon: [-0-9.]+"),
         re.compile(r", geofence: \{[^}]*\}"),
         re.compile(r", accepts: \[[^\]]*\]"),
         re.compile(r", permit_(from|to): \"[^\"]*\"")]


def strip_geometry(text):
    out, sec = [], None
    for line in text.splitlines():
        if not line.startswith(" "):
            sec = line.split(":", 1)[0]
            if sec == "supervision":
                continue
        elif sec == "facilities":
            line = STRIP[0].sub("", line)
            for rx in STRIP[1:3]:
                line = rx.sub("", line)
        elif sec == "generators":
            line = STRIP[1].sub("", line)
            line = STRIP[3].sub("", line)
        out.append(line)
    return "\n".join(out) + "\n"
