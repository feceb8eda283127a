"""Muck trucks (construction waste) under supervision, and the registry's
geometry.

The construction fleet of the city (kind "construction", registered as
`muck_truck`) loads at registered construction sites and drives loaded only
inside the supervision hours (--muck-hours, 22:00-06:00 local by default):
a trip starts only when the window stays open for TRIP_MARGIN_MS more, and
outside the window the trucks are parked at their depot. Every unload is at
CC-CW-01, inside its fence, with an unload event, the load state going to
empty and a weighing.

Scripted violations (on unless --no-muck-violations), on the first three
construction trucks of the fleet, in fleet order:

- "expired": the truck whose permit ran out a month ago (the registry says
  so) makes a normal trip straight from the start, whatever the hour;
- "dump": DUMP_AFTER_MS after the start it loads at a construction site,
  drives to a field outside every fence, stands there loaded, then reports
  empty: no unload event, no weighing (a loaded -> empty change outside
  every fence);
- "daytime": at the first moment outside the supervision hours, at least
  DAYTIME_AFTER_MS after the start, it makes a normal trip (a loaded truck
  moving outside the hours); one of its moving fixes is GLITCH_DLAT
  degrees (about 5.6 km) off to the north, a speed outlier.

A scripted violation at a time outside the hours is also a daytime run
(a dump by day, the expired truck's trip by day): that is what it is.
"""

import math
from datetime import datetime, timedelta

from .world import (CST, DISTRICTS, FACILITIES, M_PER_DEG_LAT, ROOT, dist_m,
                    local_day, offset)

DEFAULT_HOURS = "22:00-06:00"
UNLOAD_DWELL_S = 120
SITE_RADIUS_M = 150       # a construction site's fence
FACILITY_RADIUS_M = 300   # a facility's fence unless FENCE_POLYGONS has it
TRIP_MARGIN_MS = 3 * 3_600_000
DUMP_AFTER_MS = 10 * 60_000
DAYTIME_AFTER_MS = 15 * 60_000
GLITCH_AFTER_MS = 20 * 60_000
GLITCH_DLAT = 0.05
DAY_MS = 86_400_000

# Polygons, as (bearing in degrees, metres from the gate) per vertex, so
# that each is star-shaped around the gate (simple by construction) and
# holds the weighbridge and the tipping area (within 175 m of the gate).
FENCE_POLYGONS = {
    "CC-CW-01": {"outline": [(0, 380), (72, 300), (144, 420), (216, 330),
                             (288, 360)]},
    # The landfill: a pond in it (a hole), away from the tipping area.
    "CC-LF-01": {"outline": [(0, 900), (60, 750), (120, 1000), (180, 800),
                             (240, 950), (300, 700)],
                 "holes": [[(35, 290), (55, 290), (55, 420), (35, 420)]]},
}

# What each facility accepts (registry `accepts`).
ACCEPTS = {
    "CC-KWP-01": ["msw.food"], "CC-TS-02": ["msw.*"],
    "CC-INC-02": ["msw.residual"], "CC-LF-01": ["msw.*"],
    "CC-RC-01": ["msw.recyclable"], "CC-HW-01": ["hw"],
    "CC-CW-01": ["cw.*"], "CC-MW-01": ["mw"], "CC-AG-01": ["agri.*"],
}


def parse_hours(s):
    """'22:00-06:00' -> (1320, 360), minutes of the local day."""
    try:
        a, b = s.split("-")
        out = []
        for x in (a, b):
            h, m = x.split(":")
            if len(h) != 2 or len(m) != 2 or not (h + m).isdigit():
                raise ValueError
            h, m = int(h), int(m)
            if h > 23 or m > 59:
                raise ValueError
            out.append(h * 60 + m)
    except ValueError:
        raise ValueError("not HH:MM-HH:MM: %r" % s)
    if out[0] == out[1]:
        raise ValueError("an empty window: %r" % s)
    return tuple(out)


class Hours:
    """The supervision window in the city's local time (+08:00). It may
    wrap midnight; from is inside, to is not."""

    def __init__(self, spec):
        self.spec = spec
        self.lo, self.hi = parse_hours(spec)

    @staticmethod
    def minute(ms):
        d = datetime.fromtimestamp(ms / 1000, CST)
        return d.hour * 60 + d.minute

    def inside(self, ms):
        m = self.minute(ms)
        if self.lo < self.hi:
            return self.lo <= m < self.hi
        return m >= self.lo or m < self.hi

    def next_at(self, ms, minute):
        """The first time >= ms when the local clock reads `minute`:00."""
        d = datetime.fromtimestamp(ms / 1000, CST)
        t = d.replace(hour=minute // 60, minute=minute % 60, second=0,
                      microsecond=0)
        if t < d:
            t += timedelta(days=1)
        return int(t.timestamp() * 1000)

    def next_open(self, ms):
        return ms if self.inside(ms) else self.next_at(ms, self.lo)

    def next_closed(self, ms):
        return self.next_at(ms, self.hi) if self.inside(ms) else ms


def metres_to_ll(centre, north, east):
    return (centre[0] + north / M_PER_DEG_LAT,
            centre[1] + east / (M_PER_DEG_LAT * math.cos(math.radians(centre[0]))))


def polygon_ring(centre, spec):
    return [metres_to_ll(centre, r * math.cos(math.radians(b)),
                         r * math.sin(math.radians(b))) for b, r in spec]


def fence_yaml(centre, fid=None, radius=FACILITY_RADIUS_M):
    poly = FENCE_POLYGONS.get(fid)
    if poly is None:
        return "{radius_m: %d}" % radius

    def ring(vs):
        return "[%s]" % ", ".join("[%.6f, %.6f]" % v for v in vs)
    out = "{polygon: %s" % ring(polygon_ring(centre, poly["outline"]))
    if poly.get("holes"):
        out += ", holes: [%s]" % ", ".join(
            ring(polygon_ring(centre, h)) for h in poly["holes"])
    return out + "}"


def iso_day(ms):
    d = local_day(ms)
    return "%s-%s-%s" % (d[:4], d[4:6], d[6:])


class Muck:
    def __init__(self, city, hours, violations):
        self.city = city
        self.hours = Hours(hours)
        rng = city.rng
        cw = [tr for tr in city.trucks if tr.kind == "construction"]
        self.roles = {}
        if violations:
            for tr, role in zip(cw, ("expired", "dump", "daytime")):
                self.roles[tr.id] = role
        self.field = None
        dumper = [tr for tr in cw if self.roles.get(tr.id) == "dump"]
        if dumper:
            self.field = self._field(rng, dumper[0].district)

    def _field(self, rng, district):
        """A point in the fields around the district: 2 km from every
        facility's gate and 600 m from every registered place."""
        city = self.city
        places = [s.pos for lst in city.sites.values() for s in lst]
        gates = [f.gate for f in city.facility.values()]
        centre = DISTRICTS[district][:2]
        for _ in range(10000):
            p = offset(rng, centre, 8000)
            if (all(dist_m(p, g) > 2000 for g in gates) and
                    all(dist_m(p, q) > 600 for q in places)):
                return p
        raise RuntimeError("no field found around %s" % district)

    # --- registry ---------------------------------------------------------

    def facility_yaml(self, fid):
        f = FACILITIES[fid]
        return (", lat: %.6f, lon: %.6f, geofence: %s, accepts: [%s]"
                % (f[3], f[4], fence_yaml((f[3], f[4]), fid),
                   ", ".join('"%s"' % a for a in ACCEPTS.get(fid, []))))

    def site_yaml(self):
        """A construction site's fence and permit (valid around the start)."""
        s = self.city.start_ms
        return (", geofence: {radius_m: %d}, permit_from: \"%s\", "
                "permit_to: \"%s\"" % (SITE_RADIUS_M, iso_day(s - 180 * DAY_MS),
                                       iso_day(s + 180 * DAY_MS)))

    def supervision_yaml(self):
        return ('supervision: {muck_hours: "%s", unload_dwell_s: %d}\n'
                % (self.hours.spec, UNLOAD_DWELL_S))

    # --- actors -----------------------------------------------------------

    def can_start(self, t):
        return self.hours.inside(t) and self.hours.inside(t + TRIP_MARGIN_MS)

    def actor(self, tr):
        city, rng = self.city, self.city.rng
        tr.now = city.start_ms + rng.randrange(0, city.interval, 1000)
        yield tr.now
        role = self.roles.get(tr.id)
        if role == "expired":
            yield from city.trip(tr, 1.0)
        elif role == "dump":
            yield from self.park_until(tr, city.start_ms + DUMP_AFTER_MS)
            yield from self.dump(tr)
        elif role == "daytime":
            t = city.start_ms + DAYTIME_AFTER_MS
            while self.hours.inside(t) or self.hours.inside(t + 3_600_000):
                t = self.hours.next_closed(t) + 60_000
            yield from self.park_until(tr, t)
            tr.glitch_at = tr.now + GLITCH_AFTER_MS
            yield from city.trip(tr, 1.0)
        elif self.can_start(tr.now):
            phase = rng.random()
            if phase < 0.2:  # on a break at the depot
                yield from self.park_until(tr, tr.now + rng.uniform(0, 1800) * 1000)
            else:
                yield from city.trip(tr, phase)
        while True:
            if not self.can_start(tr.now):
                yield from self.home(tr)
                # Too late in the window (or outside it): the next opening.
                yield from self.park_until(
                    tr, self.hours.next_open(self.hours.next_closed(tr.now)) +
                    rng.randrange(0, 3_600_000, 1000))
                continue
            yield from city.trip(tr, 1.0)
            if rng.random() < 0.3:  # back to the depot for a break
                yield from self.home(tr)
                yield from city.stay(tr, rng.uniform(10, 60) * 60, acc_on=False)

    def home(self, tr):
        if dist_m(tr.pos, tr.depot) > 100:
            yield from self.city.drive(tr, offset(self.city.rng, tr.depot, 30))

    def park_until(self, tr, t):
        """Engine off where the truck stands (the depot before its first
        trip) until t."""
        tr.placed = True
        if t > tr.now:
            yield from self.city.stay(tr, (t - tr.now) / 1000, acc_on=False)

    def dump(self, tr):
        """Load at a site, then tip the load in a field: the load state
        goes from full to empty where no fence is; no unload event."""
        city, rng = self.city, self.city.rng
        site = rng.choice(city.sites[("construction", tr.district)])
        yield from city.drive(tr, offset(rng, site.pos, 20))
        yield from city.stay(tr, rng.uniform(10, 20) * 60)
        tr.load_state = "full"
        city.emit(tr.now, "%s/vehicles/%s/events" % (ROOT, tr.id),
                  {"type": "load", "ts": city.tsfmt()(tr.now), "plate": tr.plate,
                   "site": site.id, "waste": tr.spec["waste"],
                   "mass_kg": rng.randrange(18000, 26000, 10),
                   "lat": round(tr.pos[0], 6), "lon": round(tr.pos[1], 6)})
        yield from city.stay(tr, 60)
        yield from city.drive(tr, self.field)
        yield from city.stay(tr, 4 * 60)
        tr.load_state = "empty"
        yield from city.stay(tr, 3 * 60)
        yield from self.home(tr)

