"""The discrete-event simulation of the city's trucks and facilities."""

import heapq
import time

from .muck import DEFAULT_HOURS, GLITCH_DLAT, Muck
from .streams import Streams, furnace_temp
from .world import (DISTRICTS, FACILITIES, INDUSTRIES, KIND_ORDER, KINDS,
                    PLATE_LETTERS, ROOT, SITE_NAMES, WORDS, Obj, bearing,
                    credit_code, dist_m, local_day, offset, rfc3339)


class City:
    """The static world (sites, depots, fleet) and the discrete-event simulation.

    Actors are generators that emit messages with timestamps >= the current
    simulated time and yield the time at which they want to run next. A single
    heap orders messages and wake-ups; ties are broken by insertion order, so the
    output depends only on the seed.
    """

    def __init__(self, rng, start_ms, ntrucks, interval_s, status_interval_s,
                 muck_hours=DEFAULT_HOURS, muck_violations=True):
        self.rng = rng
        self.start_ms = start_ms
        self.interval = interval_s * 1000
        self.park_interval = max(self.interval, 300_000)
        self.status_interval = status_interval_s * 1000
        self.heap = []
        self.seq = 0
        self.realtime = False
        self.now_ms = start_ms  # simulated time of the last message yielded
        self.ticket_no = {f: rng.randint(100, 3000) for f in FACILITIES}
        self.manifest_seq = {}
        self.facility = {}
        for fid, (kind, district, harmless, lat, lon, name, cap) in FACILITIES.items():
            self.facility[fid] = Obj(id=fid, kind=kind, district=district, name=name,
                                     gate=(lat, lon), cap_t=cap,
                                     tip=offset(rng, (lat, lon), 150),
                                     inventory=cap * 1000 * rng.uniform(0.05, 0.2),
                                     throughput=0, trucks=0, day=local_day(start_ms),
                                     last_ms=start_ms)
        self.depots = {d: (c[0] + rng.uniform(-0.01, 0.01), c[1] + rng.uniform(-0.01, 0.01))
                       for d, c in DISTRICTS.items()}
        self.carriers = {d: "长春市%s%s环卫运输有限公司" % (d[:2], rng.choice(WORDS))
                         for d in DISTRICTS}
        self.hw_carrier = "吉林%s危险货物运输有限公司" % rng.choice(WORDS)
        self.sites = self._make_sites()
        self.plates, self.devices = set(), set()
        # Vans and agricultural trucks of the other streams: 2 % of the
        # fleet, none in a fleet under 20 (the tests' small cities).
        nvans = 0 if ntrucks < 20 else max(2, ntrucks // 50)
        self.trucks = self._make_fleet(ntrucks - nvans)
        self.streams = Streams(self, nvans)
        self.muck = Muck(self, muck_hours, muck_violations)

    # --- the static world -------------------------------------------------

    def _make_sites(self):
        rng = self.rng
        sites = {}  # (kind, district) -> [site]
        counter = {}
        for kind in KIND_ORDER:
            for district, (lat, lon, admin, code) in DISTRICTS.items():
                lst = sites.setdefault((kind, district), [])
                for _ in range(6 if kind != "hazardous" else 3):
                    stype = rng.choice(KINDS[kind]["sites"])
                    key = (code, stype)
                    counter[key] = counter.get(key, rng.randint(1, 40)) + rng.randint(1, 9)
                    sid = "%s-%s-%04d" % (code, stype, counter[key])
                    word = rng.choice(WORDS)
                    if stype == "QY":
                        name = "长春%s%s有限公司" % (word, rng.choice(INDUSTRIES))
                        gen_code = credit_code(rng, admin)
                    else:
                        name = "%s%s%s" % (district, word, SITE_NAMES[stype])
                        gen_code = sid
                    pos = offset(rng, (lat, lon), 3500)
                    lst.append(Obj(id=sid, name=name, code=gen_code, district=district,
                                   pos=pos))
        return sites

    def _make_fleet(self, n):
        rng = self.rng
        counts = {k: int(n * KINDS[k]["share"]) for k in KIND_ORDER}
        if n >= len(KIND_ORDER):
            for k in KIND_ORDER:
                counts[k] = max(counts[k], 1)
        i = 0
        while sum(counts.values()) < n:
            counts[KIND_ORDER[i % 3]] += 1  # top up the bulk streams
            i += 1
        while sum(counts.values()) > n:
            k = max(KIND_ORDER, key=lambda k: counts[k])
            counts[k] -= 1
        fleet_nos = set()
        trucks = []
        districts = list(DISTRICTS)
        for kind in KIND_ORDER:
            spec = KINDS[kind]
            for _ in range(counts[kind]):
                while True:
                    no = rng.randint(1, 999)
                    if (spec["prefix"], no) not in fleet_nos:
                        break
                fleet_nos.add((spec["prefix"], no))
                plate = self.new_plate(no)
                dev = self.new_device()
                district = rng.choice(districts)
                trucks.append(Obj(
                    id="%s-%04d" % (spec["prefix"], no), kind=kind, spec=spec,
                    plate=plate, device=dev, district=district,
                    depot=self.depots[district],
                    tare=rng.randrange(spec["tare"][0], spec["tare"][1], 10),
                    cruise=rng.uniform(26, 40), alt=rng.uniform(205, 235),
                    pos=self.depots[district], heading=rng.randrange(360),
                    load_state="empty", now=self.start_ms, trips=0))
        return trucks

    def new_plate(self, no):
        """A plate not used yet: two free characters (at most one letter
        each), then the fleet number's three digits, like 吉A5G217."""
        rng = self.rng
        while True:
            head = "".join(rng.choice(PLATE_LETTERS) if rng.random() < 0.35
                           else rng.choice("0123456789") for _ in range(2))
            plate = "吉A%s%03d" % (head, no % 1000)
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    def new_device(self):
        """A terminal number (SIM-like) not used yet."""
        rng = self.rng
        while True:
            dev = "0%s%08d" % (rng.choice(["139", "138", "137", "150", "186", "133"]),
                               rng.randint(0, 99999999))
            if dev not in self.devices:
                self.devices.add(dev)
                return dev

    @staticmethod
    def facilities_yaml():
        out = ["facilities:"]
        for fid, f in FACILITIES.items():
            out.append('  - {id: "%s", name: "%s", kind: %s, district: "%s", harmless: %s}'
                       % (fid, f[5], f[0], f[1], "true" if f[2] else "false"))
        return "\n".join(out) + "\n"

    # --- the event queue --------------------------------------------------

    def emit(self, t, topic, obj):
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, topic, obj))

    def wake(self, t, actor):
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, None, actor))

    def messages(self):
        """Yield (topic, obj) forever, in simulated-time order."""
        # Every actor first runs at the start and then sleeps until its own,
        # randomly staggered, first report.
        for tr in self.trucks:
            if tr.kind == "construction":
                self.wake(self.start_ms, self.muck.actor(tr))
            else:
                self.wake(self.start_ms, self.truck_actor(tr))
        for f in self.facility.values():
            self.wake(self.start_ms, self.facility_actor(f))
        for actor in self.streams.actors():
            self.wake(self.start_ms, actor)
        while self.heap:
            t, _, topic, x = heapq.heappop(self.heap)
            # The simulated time of the message being yielded: the growth
            # benchmark (tools/bench/growth) cuts the stream into periods.
            self.now_ms = t
            if self.realtime and topic is not None:
                # Receivers reject times in the future; wait for them.
                ahead = t / 1000.0 - time.time()
                if ahead > 0:
                    time.sleep(ahead)
            if topic is None:
                try:
                    self.wake(next(x), x)
                except StopIteration:
                    pass
            else:
                yield topic, x

    def tsfmt(self):
        """Pick a time format per message: RFC 3339 with +08:00, or epoch ms."""
        return rfc3339 if self.rng.random() < 0.5 else (lambda ms: ms)

    # --- vehicles ---------------------------------------------------------

    def position(self, tr, speed, acc_on=True):
        rng = self.rng
        lat, lon = tr.pos
        if speed == 0:  # GPS jitter of a standing vehicle
            lat, lon = offset(rng, tr.pos, 2.5)
        elif getattr(tr, "glitch_at", None) is not None and tr.now >= tr.glitch_at:
            lat += GLITCH_DLAT  # one fix kilometres off: a speed outlier
            tr.glitch_at = None
        msg = {"ts": self.tsfmt()(tr.now), "lat": round(lat, 6), "lon": round(lon, 6),
               "plate": tr.plate, "device": tr.device, "speed_kmh": round(speed, 1),
               "heading_deg": int(tr.heading) % 360}
        if rng.random() < 0.9:
            msg["alt_m"] = int(tr.alt + rng.uniform(-4, 4))
        msg["load_state"] = tr.load_state
        tr.placed = True
        if not acc_on:
            msg["speed_kmh"] = 0.0
        self.emit(tr.now, "%s/vehicles/%s/position" % (ROOT, tr.id), msg)

    def drive(self, tr, dest):
        """Drive to dest along a two-leg (grid-like) route, one report per interval."""
        rng = self.rng
        a = tr.pos
        corner = (dest[0], a[1]) if rng.random() < 0.5 else (a[0], dest[1])
        corner = offset(rng, corner, 300)
        path = [corner, dest]
        while path:
            speed = min(60.0, max(4.0, rng.gauss(tr.cruise, 9)))
            if rng.random() < 0.08:
                speed = 0.0  # traffic light
            step = speed / 3.6 * self.interval / 1000
            while path and step > 0:
                d = dist_m(tr.pos, path[0])
                if d <= step:
                    if d > 1:
                        tr.heading = bearing(tr.pos, path[0])
                    tr.pos = path.pop(0)
                    step -= d
                else:
                    f = step / d
                    tr.heading = bearing(tr.pos, path[0])
                    tr.pos = (tr.pos[0] + (path[0][0] - tr.pos[0]) * f,
                              tr.pos[1] + (path[0][1] - tr.pos[1]) * f)
                    step = 0
            tr.now += self.interval
            self.position(tr, speed if path else min(speed, 8.0))
            yield tr.now

    def stay(self, tr, seconds, acc_on=True):
        """Stand still (engine on: report every interval; parked: every 5 min)."""
        every = self.interval if acc_on else self.park_interval
        end = tr.now + int(seconds * 1000)
        while tr.now + every <= end:
            tr.now += every
            self.position(tr, 0.0, acc_on)
            yield tr.now

    def manifest_no(self, tr, t):
        spec = tr.spec
        day = local_day(t)
        key = (spec["mprefix"], day)
        n = self.manifest_seq.get(key)
        n = (self.rng.randint(1, 300) if n is None else n) + 1
        self.manifest_seq[key] = n
        if spec["mprefix"] is None:  # CN_HW: year + city code + 6-digit sequence
            return "%s2201%06d" % (day[:4], n)
        return "%s%s-%04d" % (spec["mprefix"], day, n)

    def manifest_msg(self, m, status, version, t, tickets=None):
        fmt = self.tsfmt()
        line = {"line": 1}
        if m.waste == "hw":
            line["waste_code"] = "900-249-08"
        line["waste"] = m.waste
        if m.unit == "t":
            line["qty"] = round(m.declared / 1000, 3)
        else:
            line["qty"] = m.declared
        line["unit"] = m.unit
        msg = {"scheme": m.scheme, "status": status, "version": version, "ts": fmt(t),
               "plate": m.plate,
               "generator": {"code": m.site.code, "name": m.site.name,
                             "district": m.site.district},
               "carrier": {"name": m.carrier},
               "receiver": {"facility": m.facility.id, "name": m.facility.name},
               "lines": [line]}
        if tickets:
            msg["tickets"] = [{"facility": m.facility.id, "ticket": tickets}]
        self.emit(t, "%s/manifests/%s" % (ROOT, m.no), msg)

    def new_trip(self, tr, t):
        rng = self.rng
        spec = tr.spec
        site = rng.choice(self.sites[(tr.kind, tr.district)])
        fids = [f for f, w in spec["facilities"] for _ in range(w)]
        fac = self.facility[rng.choice(fids)]
        lo, hi = spec["load"]
        step = 50 if tr.kind == "hazardous" else 10
        declared = rng.randrange(lo, hi, step)
        unit = ("t" if rng.random() < 0.8 else "kg") if tr.kind == "hazardous" \
            else rng.choice(["t", "kg"])
        carrier = self.hw_carrier if tr.kind == "hazardous" else self.carriers[tr.district]
        return Obj(no=self.manifest_no(tr, t), scheme=spec["scheme"], waste=spec["waste"],
                   site=site, facility=fac, declared=declared, unit=unit,
                   plate=tr.plate, carrier=carrier)

    def vehicle_event(self, tr, t, etype, m, mass):
        fmt = self.tsfmt()
        msg = {"type": etype, "ts": fmt(t), "plate": tr.plate}
        if etype == "load":
            msg["site"] = m.site.id
        else:
            msg["facility"] = m.facility.id
        msg["waste"] = m.waste
        msg["mass_kg"] = mass
        msg["manifest_no"] = m.no
        if etype == "load" or self.rng.random() < 0.5:
            msg["lat"] = round(tr.pos[0], 6)
            msg["lon"] = round(tr.pos[1], 6)
        self.emit(t, "%s/vehicles/%s/events" % (ROOT, tr.id), msg)

    def weighing_msg(self, tr, m, t, w):
        fmt = self.tsfmt()
        msg = {"ticket": w.ticket, "plate": tr.plate, "direction": "in",
               "gross_kg": w.gross}
        if w.status != "open":
            msg["tare_kg"] = w.tare
            msg["net_kg"] = w.gross - w.tare
        msg["first_ts"] = fmt(w.first)
        if w.status != "open":
            msg["second_ts"] = fmt(w.second)
        msg["waste"] = m.waste
        msg["origin"] = (m.site.name if tr.kind in ("hazardous", "construction")
                         else "%s环卫所" % m.site.district)
        msg["status"] = w.status
        if w.version is not None:
            msg["version"] = w.version
        msg["manifest_no"] = m.no
        self.emit(t, "%s/facilities/%s/weighings" % (ROOT, m.facility.id), msg)

    def truck_actor(self, tr):
        rng = self.rng
        tr.now = self.start_ms + rng.randrange(0, self.interval, 1000)
        yield tr.now
        phase = rng.random()
        if phase < 0.2:  # on a break at the depot
            yield from self.stay(tr, rng.uniform(0, 1800), acc_on=False)
            phase = 1.0
        while True:
            yield from self.trip(tr, phase)
            phase = 1.0
            if rng.random() < 0.3:  # back to the depot for a break
                yield from self.drive(tr, offset(rng, tr.depot, 30))
                yield from self.stay(tr, rng.uniform(10, 60) * 60, acc_on=False)

    def trip(self, tr, phase=1.0):
        """One trip: to a site, load, to the facility, weighbridge, unload,
        weighbridge out. phase < 0.55: the simulation starts with the truck
        already loading at the site."""
        rng = self.rng
        spec = tr.spec
        m = self.new_trip(tr, tr.now)
        self.manifest_msg(m, "created", 1, tr.now)
        if phase < 0.55:
            # Start of the simulation: already standing at the site, loading.
            tr.pos = offset(rng, m.site.pos, 20)
            loading = rng.uniform(0, spec["loading"][1] * 60)
        else:
            if not getattr(tr, "placed", False):
                # Somewhere between the depot and the site (before its
                # first report: a jump later would be a speed outlier).
                f = rng.random()
                tr.pos = (tr.depot[0] + (m.site.pos[0] - tr.depot[0]) * f,
                          tr.depot[1] + (m.site.pos[1] - tr.depot[1]) * f)
            yield from self.drive(tr, offset(rng, m.site.pos, 20))
            loading = rng.uniform(*spec["loading"]) * 60
        yield from self.stay(tr, loading)
        t_load = tr.now + rng.randrange(0, self.interval, 1000)
        tr.load_state = "full" if m.declared > 0.5 * spec["load"][1] else "half"
        self.vehicle_event(tr, t_load, "load", m, m.declared)
        t_dep = t_load + rng.randint(30, 150) * 1000
        self.manifest_msg(m, "in_transit", 2, t_dep)
        yield from self.stay(tr, (t_dep - tr.now) / 1000)

        fac = m.facility
        yield from self.drive(tr, offset(rng, fac.gate, 15))
        yield from self.stay(tr, rng.uniform(0, 8 * 60))  # queue at the gate

        # Weighbridge: gross on the way in, tare on the way out.
        if rng.random() < 0.03:  # gross error: wrong declaration, spillage...
            factor = 1 + rng.choice([-1, 1]) * rng.uniform(0.12, 0.25)
        else:
            factor = 1 + max(-0.08, min(0.06, rng.gauss(-0.01, 0.02)))
        net = int(round(m.declared * factor / 10)) * 10
        tare = int(round((tr.tare + rng.randint(-30, 30)) / 10)) * 10
        self.ticket_no[fac.id] += 1
        w = Obj(ticket="%04d" % self.ticket_no[fac.id], gross=tare + net, tare=tare,
                first=tr.now + rng.randint(5, 25) * 1000, second=None,
                status="open", version=None)
        self.weighing_msg(tr, m, w.first, w)
        yield from self.stay(tr, (w.first - tr.now) / 1000 + rng.uniform(60, 180))
        tr.pos = offset(rng, fac.tip, 10)
        yield from self.stay(tr, rng.uniform(4, 10) * 60)
        t_unload = tr.now + rng.randrange(0, self.interval, 1000)
        tr.load_state = "empty"
        self.vehicle_event(tr, t_unload, "unload", m, net)
        yield from self.stay(tr, (t_unload - tr.now) / 1000 + rng.uniform(3, 8) * 60)
        tr.pos = offset(rng, fac.gate, 15)
        w.second = tr.now + rng.randint(5, 25) * 1000
        w.status, w.version = "complete", 1
        self.weighing_msg(tr, m, w.second, w)
        self.account(fac, w.second, net)

        # The manifest system follows in its own time; the truck moves on.
        t_recv = w.second + rng.randint(60, 900) * 1000
        self.manifest_msg(m, "received", 3, t_recv, w.ticket)
        t_close = t_recv + rng.randint(10, 120) * 60_000
        if rng.random() < 0.01:  # a corrected ticket (re-tared) before closing
            t_corr = w.second + rng.randint(10, 60) * 60_000
            w.tare += rng.choice([-1, 1]) * rng.randrange(20, 200, 10)
            w.version = 2
            self.weighing_msg(tr, m, t_corr, w)
            t_close = max(t_close, t_corr + 60_000)
        self.manifest_msg(m, "closed", 4, t_close, w.ticket)
        tr.trips += 1
        yield from self.stay(tr, (w.second - tr.now) / 1000 + rng.uniform(20, 90))

    # --- facilities -------------------------------------------------------

    def account(self, fac, t, net):
        self.roll_day(fac, t)
        fac.inventory += net
        fac.throughput += net
        fac.trucks += 1

    def roll_day(self, fac, t):
        # Processing drains the inventory at the plant's nominal capacity.
        dt = max(0, t - fac.last_ms)
        if fac.kind != "transfer_station":  # trailers empty a station
            fac.inventory = max(0.0, fac.inventory
                                - fac.cap_t * 1000 * dt / 86_400_000 * 0.9)
        fac.last_ms = max(fac.last_ms, t)
        day = local_day(t)
        if day != fac.day:
            fac.day, fac.throughput, fac.trucks = day, 0, 0

    def facility_actor(self, fac):
        rng = self.rng
        t = self.start_ms + rng.randrange(0, 60_000, 1000)
        yield t
        while True:
            self.roll_day(fac, t)
            msg = {"ts": self.tsfmt()(t), "state": "open",
                   "inventory_kg": int(fac.inventory), "throughput_kg": fac.throughput,
                   "trucks_today": fac.trucks}
            if fac.kind == "incinerator":
                msg["furnace_temp_c"] = furnace_temp(rng, t, self.start_ms)
            elif fac.kind == "food_waste_plant":
                msg["tank_level_pct"] = round(min(100.0, 100 * fac.inventory
                                                  / (fac.cap_t * 1000 * 0.5)), 1)
            self.emit(t, "%s/facilities/%s/status" % (ROOT, fac.id), msg)
            t += self.status_interval
            yield t
