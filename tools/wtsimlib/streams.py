"""The streams beyond the urban fleet's trips, and the city's registries.

- Medical waste: clinics (registered generators with a maximum pickup
  interval) served on multi-stop rounds by small refrigerated vans that end
  at the medical waste plant. One clinic is on no round: it is never served.
- Agricultural waste: farm-film and pesticide-packaging collection points in
  the rural districts, served on rounds that end at the recycling station.
- 日产日清: trailers haul the transfer station's stock to the incinerator,
  a little less than the station receives, so its stock is carried over.
- Facility alarms: the incinerator's furnace temperature drops below
  850 °C for 40 minutes every six hours.
- Permits: the registry gives every muck truck a permit; one has expired.

registry_yaml() prints facilities, generators, vehicles and supervision
for wastetrack.yaml, so that the daemon knows the simulated city, with the
geometry of every facility and construction site (wtsimlib.muck).
"""

from .world import (FACILITIES, RURAL_DISTRICTS, DISTRICTS, ROOT, SITE_KINDS,
                    WORDS, Obj, local_day, offset)

DAY_MS = 86_400_000
# The furnace: a dip below the 850 °C floor every DIP_EVERY, DIP_LEN long.
DIP_EVERY_MS = 6 * 3_600_000
DIP_FIRST_MS = 3_600_000
DIP_LEN_MS = 40 * 60_000
# Transfer-station trailers: how many, how often each, how much at most.
TRAILERS = 3
HAUL_EVERY_MS = 40 * 60_000
HAUL_MAX_KG = 25_000

ROUNDS = {
    # kind: fleet prefix, facility, waste choices, kg per stop, stops a
    # round, minutes at a stop, tare range kg
    "medical": dict(prefix="MW", facility="CC-MW-01", waste=["mw"],
                    mass=(5, 60), stops=4, stop_min=(4, 10),
                    tare=(3200, 3600)),
    "agri": dict(prefix="AG", facility="CC-AG-01",
                 waste=["agri.film", "agri.film", "agri.pesticide_pack"],
                 mass=(80, 600), stops=3, stop_min=(8, 20),
                 tare=(4500, 5200)),
}


def furnace_temp(rng, t, start_ms):
    """The incinerator's furnace temperature at t (°C)."""
    since = t - start_ms - DIP_FIRST_MS
    if since >= 0 and since % DIP_EVERY_MS < DIP_LEN_MS:
        return round(rng.uniform(780, 840), 1)
    return round(rng.uniform(870, 1010), 1)


class Streams:
    def __init__(self, city, nvans):
        self.city = city
        rng = city.rng
        self.clinics = self._points(
            [(d, "clinic", "CL", "%s%s诊所" % (d, w))
             for d in DISTRICTS for w in rng.sample(WORDS, 3)], 1200)
        for c in self.clinics:
            c.interval_h = 48
        self.farm_points = self._points(
            [(d, k, code, "%s%s村%s" % (d, w, name))
             for d in RURAL_DISTRICTS
             for k, code, name in (("farm_film_point", "NM", "农膜回收点"),
                                   ("farm_film_point", "NM", "农膜回收点"),
                                   ("pesticide_pack_point", "NY",
                                    "农药包装废弃物回收点"))
             for w in [rng.choice(WORDS)]], 2500)
        # The last clinic is on no round.
        served = self.clinics[:-1]
        self.vans = []
        for i in range(nvans):
            kind = "medical" if i % 2 == 0 else "agri"
            points = served if kind == "medical" else self.farm_points
            self.vans.append(self._van(kind, i, points))

    def _points(self, specs, spread_m):
        rng = self.city.rng
        out = []
        for i, (district, kind, code, name) in enumerate(specs):
            centre = (DISTRICTS.get(district) or RURAL_DISTRICTS[district])[:2]
            dcode = (DISTRICTS.get(district) or RURAL_DISTRICTS[district])[3]
            out.append(Obj(id="%s-%s-%03d" % (dcode, code, i + 1), name=name,
                           kind=kind, district=district,
                           pos=offset(rng, centre, spread_m)))
        return out

    def _van(self, kind, i, points):
        city, rng = self.city, self.city.rng
        spec = ROUNDS[kind]
        fac = city.facility[spec["facility"]]
        district = points[0].district
        depot = offset(rng, fac.gate, 400)
        plate = city.new_plate(i + 1)
        return Obj(id="%s-%04d" % (spec["prefix"], i + 1), kind=kind, spec=spec,
                   plate=plate, device=city.new_device(), district=district,
                   depot=depot, points=points, facility=fac,
                   tare=rng.randrange(spec["tare"][0], spec["tare"][1], 10),
                   cruise=rng.uniform(30, 45), alt=rng.uniform(205, 235),
                   pos=depot, heading=rng.randrange(360), load_state="empty",
                   now=city.start_ms, trips=0)

    # --- actors -------------------------------------------------------------

    def actors(self):
        out = [self.van_actor(v) for v in self.vans]
        ts = self.city.facility.get("CC-TS-02")
        inc = self.city.facility.get("CC-INC-02")
        if ts is not None and inc is not None and self.vans:
            out += [self.trailer_actor(i, ts, inc) for i in range(TRAILERS)]
        return out

    def event(self, v, t, etype, where, waste, mass):
        city = self.city
        msg = {"type": etype, "ts": city.tsfmt()(t), "plate": v.plate}
        if etype == "load":
            msg["site"] = where
        else:
            msg["facility"] = where
        msg.update(waste=waste, mass_kg=mass, lat=round(v.pos[0], 6),
                   lon=round(v.pos[1], 6))
        city.emit(t, "%s/vehicles/%s/events" % (ROOT, v.id), msg)

    def weighing(self, fac, plate, ticket, t1, t2, gross, tare, waste, origin,
                 direction="in"):
        """An open ticket at t1 (gross), completed at t2 (tare)."""
        city = self.city
        base = {"ticket": ticket, "plate": plate, "direction": direction,
                "gross_kg": gross, "waste": waste, "origin": origin}
        fmt = city.tsfmt()
        topic = "%s/facilities/%s/weighings" % (ROOT, fac.id)
        city.emit(t1, topic, dict(base, first_ts=fmt(t1), status="open"))
        city.emit(t2, topic, dict(base, tare_kg=tare, net_kg=gross - tare,
                                  first_ts=fmt(t1), second_ts=fmt(t2),
                                  status="complete", version=1))

    def ticket(self, fac):
        self.city.ticket_no[fac.id] += 1
        return "%04d" % self.city.ticket_no[fac.id]

    def van_actor(self, v):
        city, rng, spec = self.city, self.city.rng, self.spec_of(v)
        v.now = city.start_ms + rng.randrange(0, city.interval, 1000)
        yield v.now
        while True:
            loaded, waste = 0, rng.choice(spec["waste"])
            stops = rng.sample(v.points, min(spec["stops"], len(v.points)))
            for p in stops:
                yield from city.drive(v, offset(rng, p.pos, 15))
                yield from city.stay(v, rng.uniform(*spec["stop_min"]) * 60)
                mass = rng.randrange(spec["mass"][0], spec["mass"][1])
                v.load_state = "half"
                self.event(v, v.now, "load", p.id, waste, mass)
                loaded += mass
            fac = v.facility
            yield from city.drive(v, offset(rng, fac.gate, 15))
            tare = v.tare + rng.randint(-10, 10)
            t1 = v.now + rng.randint(5, 25) * 1000
            yield from city.stay(v, (t1 - v.now) / 1000 + rng.uniform(120, 300))
            v.load_state = "empty"
            self.event(v, v.now, "unload", fac.id, waste, loaded)
            yield from city.stay(v, rng.uniform(60, 180))
            t2 = v.now + rng.randint(5, 25) * 1000
            self.weighing(fac, v.plate, self.ticket(fac), t1, t2, tare + loaded,
                          tare, waste, v.district)
            city.account(fac, t2, loaded)
            v.trips += 1
            yield from city.stay(v, (t2 - v.now) / 1000 + rng.uniform(300, 900),
                                 acc_on=False)

    @staticmethod
    def spec_of(v):
        return v.spec

    def trailer_actor(self, i, ts, inc):
        """Haul the station's stock to the incinerator: weighed out at the
        station, in at the plant. No track: the trailers are not in the
        supervised fleet."""
        city, rng = self.city, self.city.rng
        plate = city.new_plate(900 + i)
        tare = rng.randrange(14000, 15000, 10)
        t = city.start_ms + (i + 1) * HAUL_EVERY_MS // TRAILERS
        yield t
        while True:
            city.roll_day(ts, t)
            net = int(min(ts.inventory, HAUL_MAX_KG) / 10) * 10
            if net >= 5000:
                ts.inventory -= net
                self.weighing(ts, plate, self.ticket(ts), t, t + 90_000,
                              tare + net, tare, "msw.residual", ts.id, "out")
                t_in = t + rng.randint(30, 45) * 60_000
                self.weighing(inc, plate, self.ticket(inc), t_in, t_in + 600_000,
                              tare + net, tare, "msw.residual", ts.id)
                city.account(inc, t_in + 600_000, net)
            t += HAUL_EVERY_MS
            yield t

    # --- registries ---------------------------------------------------------

    def registry_yaml(self):
        city = self.city
        out = ["facilities:"]
        for fid, f in FACILITIES.items():
            out.append('  - {id: "%s", name: "%s", kind: %s, district: "%s", '
                       'harmless: %s%s%s}'
                       % (fid, f[5], f[0], f[1], "true" if f[2] else "false",
                          city.muck.facility_yaml(fid),
                          FACILITY_EXTRA.get(f[0], "")))
        out.append("generators:")
        for sites in city.sites.values():
            for s in sites:
                kind = SITE_KINDS[s.id.split("-")[1]]
                out.append(self._generator(
                    s, kind, extra=city.muck.site_yaml()
                    if kind == "construction_site" else ""))
        for c in self.clinics:
            out.append(self._generator(c, c.kind, c.interval_h))
        for p in self.farm_points:
            out.append(self._generator(p, p.kind))
        out.append("vehicles:")
        expired = None
        for tr in city.trucks:
            extra = ""
            if tr.kind == "construction":
                year = local_day(city.start_ms)[:4]
                until = "%s-12-31" % year
                if expired is None:
                    # One muck truck's permit ran out a month ago.
                    expired = tr
                    d = local_day(city.start_ms - 30 * DAY_MS)
                    until = "%s-%s-%s" % (d[:4], d[4:6], d[6:])
                extra = ', permit_from: "%s-01-01", permit_to: "%s"' % (year, until)
            out.append('  - {plate: "%s", fleet: "%s", kind: %s, district: "%s", '
                       'waste: ["%s"]%s}'
                       % (tr.plate, tr.id, VEHICLE_KINDS[tr.kind], tr.district,
                          tr.spec["waste"].split(".")[0] + ".*"
                          if "." in tr.spec["waste"] else tr.spec["waste"], extra))
        for v in self.vans:
            out.append('  - {plate: "%s", fleet: "%s", kind: %s, district: "%s", '
                       'waste: ["%s"]}'
                       % (v.plate, v.id, VEHICLE_KINDS[v.kind], v.district,
                          "mw" if v.kind == "medical" else "agri.*"))
        out.append(city.muck.supervision_yaml().rstrip("\n"))
        return "\n".join(out) + "\n"

    @staticmethod
    def _generator(s, kind, interval_h=None, extra=""):
        if interval_h:
            extra += ", max_pickup_interval_h: %d" % interval_h
        return ('  - {id: "%s", name: "%s", kind: %s, district: "%s", '
                'lat: %.6f, lon: %.6f%s}'
                % (s.id, s.name, kind, s.district, s.pos[0], s.pos[1], extra))


# What the registry watches per facility kind: the furnace's legal floor
# (it dips below it, see furnace_temp), silence, the station's clearance.
FACILITY_EXTRA = {
    "incinerator": ", alarms: {furnace_temp_c: {min: 850, severity: critical}},"
                   " alarm_after_s: 600, silent_after_s: 1800",
    "transfer_station": ", clear_threshold_kg: 20000, silent_after_s: 1800",
}

VEHICLE_KINDS = {"kitchen": "kitchen_truck", "residual": "compactor",
                 "recyclable": "recycling_truck", "construction": "muck_truck",
                 "hazardous": "hw_truck", "medical": "mw_van", "agri": "agri_truck"}
