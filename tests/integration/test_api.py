#!/usr/bin/python3
"""The JSON API under /api/v1 (docs/openapi.yaml) and the endpoint's access
rules and headers (docs/http.md), against the real daemon fed through a
real broker with the city day of test_scenario.py (the figures worked out
by hand there and in test_ctl.py), plus trucks and a weighing of today.

Every JSON answer, errors included, is validated against the schema the
OpenAPI document gives for its path and status (python3-jsonschema: the
document's 3.0 `nullable` read as JSON Schema's null type). Then: exact
values for the known day, the bounds (93 days refused), bad parameters
(400) and unknown manifests and plates (404); bearer and basic
credentials (401 without or wrong, 200 with either), /healthz open; the
security headers on every answer (200, 401, 404, 405, 503, the page's
paths); charset=utf-8 on every text; HEAD; and the configuration checks
at start (a non-loopback listen without credentials, an auth file others
can read, a bad line) with their exit status 78.
"""

import base64
import http.client
import json
import os
import shutil
import stat
import subprocess
import time
import urllib.parse

import jsonschema
import yaml

from harness import (DAEMON, Broker, Daemon, TIMEOUT_SCALE, make_dir,
                     publish_counted, run, wait_for)
import test_ctl as tc
import test_scenario as sc

SRC = os.environ.get("WT_SOURCE", os.path.join(os.path.dirname(__file__),
                                               "..", ".."))
OPENAPI = os.path.join(SRC, "docs", "openapi.yaml")
CITY = "全市"
TOKEN = "wt-test-token-0123456789abcdef"
USER, PASSWORD = "值班员", "correct horse battery staple"
TILES = "https://{s}.tiles.example.gov.cn/{z}/{x}/{y}.png"
CSP = ("default-src 'self'; img-src 'self' data: "
       "https://*.tiles.example.gov.cn; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")
NOW_MS = int(time.time() * 1000)

# The registry's geometry (the fields /api/v1/facilities passes on): the
# disposal site a circle, the hazardous-waste plant a square with a
# square hole, a clinic and a construction site among the generators.
GEOMETRY = {
    "CWD-CY": ", lat: 43.80, lon: 125.20, geofence: {radius_m: 300},"
              " accepts: [\"cw.*\"]",
    "HW-LY": ", lat: 43.90, lon: 125.25, geofence: {polygon: [[43.89,"
             " 125.24], [43.89, 125.26], [43.91, 125.26], [43.91, 125.24]],"
             " holes: [[[43.899, 125.249], [43.899, 125.251], [43.901,"
             " 125.251], [43.901, 125.249]]]}",
}
GENERATORS = (
    "generators:\n"
    "  - {id: NG-CL-001, name: \"南关区某社区卫生服务站\", kind: clinic,"
    " district: \"南关区\", lat: 43.86, lon: 125.35}\n"
    "  - {id: CY-CS-001, name: \"朝阳区某工地\", kind: construction_site,"
    " district: \"朝阳区\", permit_from: \"2026-01-01\","
    " permit_to: \"2026-12-31\"}\n")


def config():
    facilities = "facilities:\n" + "".join(
        '  - {id: "%s", name: "%s", kind: %s, district: "%s"%s%s}\n'
        % (fid, name, kind, district,
           "" if harmless is None else ", harmless: %s"
           % str(harmless).lower(), GEOMETRY.get(fid, ""))
        for fid, kind, district, harmless, name in sc.FACILITIES)
    head, tail = sc.CONFIG.split("facilities:\n", 1)
    rest = tail[tail.index("reconcile:"):]
    return (head + facilities + GENERATORS + rest + tc.RETENTION +
            "alerts:\n  interval_s: 1\n"
            "page:\n  tile_url: \"%s\"\n" % TILES)


def write_auth(path, text, mode=0o640):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def hash_password(pw):
    out = subprocess.run(["mkpasswd", "-m", "yescrypt", "--stdin"],
                         input=pw.encode(), capture_output=True, check=True)
    return out.stdout.decode().strip()


# ---- fresh data: today's weighing and the trucks' positions ----

def local_iso(ms, offset_h=8):
    t = time.gmtime(ms / 1000 + offset_h * 3600)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + "+%02d:00" % offset_h


def position(vehicle, plate, ms, lat, lon, load):
    return ("wt/v1/vehicles/%s/position" % vehicle,
            json.dumps({"ts": ms, "lat": lat, "lon": lon, "plate": plate,
                        "speed_kmh": 30.5, "heading_deg": 90,
                        "load_state": load}, ensure_ascii=False))


# V-A: two points in the last minutes (loaded); V-B: one 2 h ago (empty,
# stale: older than 600 s); V-C: 25 h ago, outside the 24 h window.
T_A1, T_A2 = NOW_MS - 120000, NOW_MS - 60000
T_B = NOW_MS - 2 * 3600 * 1000
T_C = NOW_MS - 25 * 3600 * 1000
FRESH = [
    position("V-A", "吉A70001", T_A1, 43.81, 125.31, "full"),
    position("V-A", "吉A70001", T_A2, 43.82, 125.32, "full"),
    position("V-B", "吉A70002", T_B, 43.70, 125.40, "empty"),
    position("V-C", "吉A70003", T_C, 43.60, 125.50, "empty"),
    # Today at the incinerator: 16000 - 14000 = 2000 kg of residual.
    ("wt/v1/facilities/INC-CY/weighings", json.dumps({
        "ticket": "I-TODAY", "plate": "吉A70001", "direction": "in",
        "gross_kg": 16000, "tare_kg": 14000,
        "first_ts": local_iso(NOW_MS - 300000),
        "second_ts": local_iso(NOW_MS - 240000),
        "waste": "msw.residual", "status": "complete"})),
]

S = {"env": None, "d": None, "received": 0, "spec": None, "auth": None,
     "timings": {}}


class ApiDaemon(Daemon):
    """The harness's daemon, its own requests (status, waits) with the
    token."""

    def http(self, path, method="GET"):
        code, _, body, _ = request(path, method=method, port=self.http_port)
        return code, body.decode()


class ApiEnv(sc.CityEnv):
    def __init__(self):
        self.dir = make_dir("wt-api-")
        self.auth = os.path.join(self.dir, "http.auth")
        write_auth(self.auth, "# test credentials\ntoken:%s\n%s:%s\n"
                   % (TOKEN, USER, hash_password(PASSWORD)))
        self.broker = Broker(self.dir).start()
        # The harness writes the http section: the key joins it from an
        # included file.
        inc = os.path.join(self.dir, "auth.yaml")
        with open(inc, "w") as f:
            f.write("http:\n  auth_file: \"%s\"\n" % self.auth)
        self.daemon = ApiDaemon(self.dir, self.broker.port, extra=config(),
                                facilities=False, include=[inc])
        self.ok = False


# ---- HTTP ----

def request(path, auth="token", method="GET", headers=None, port=None,
            source=None):
    """(status, headers (lower-case names, repeated ones joined), body,
    seconds). source: the local address to connect from (127/8)."""
    h = dict(headers or {})
    if auth == "token":
        h["Authorization"] = "Bearer " + TOKEN
    elif auth == "basic":
        h["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % (USER, PASSWORD)).encode()).decode()
    elif auth is not None:
        h["Authorization"] = auth
    c = http.client.HTTPConnection("127.0.0.1", port or S["d"].http_port,
                                   timeout=10 * TIMEOUT_SCALE,
                                   source_address=(source, 0) if source
                                   else None)
    try:
        t0 = time.monotonic()
        c.request(method, path, headers=h)
        r = c.getresponse()
        body = r.read()
        dt = time.monotonic() - t0
        hdrs = {}
        for k, v in r.getheaders():
            k = k.lower()
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        return r.status, hdrs, body, dt
    finally:
        c.close()


def enc(s):
    return urllib.parse.quote(s, safe="")


# ---- OpenAPI ----

def to_json_schema(node):
    """OpenAPI 3.0 schema to JSON Schema: `nullable` becomes a null type;
    examples dropped."""
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items()
           if k not in ("nullable", "example")}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
    return out


def load_spec():
    with open(OPENAPI, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    assert spec["openapi"].startswith("3.0"), spec["openapi"]
    return spec


def template_of(path):
    """The OpenAPI path template a concrete path matches."""
    p = path.split("?", 1)[0]
    for t in S["spec"]["paths"]:
        parts, tparts = p.split("/"), t.split("/")
        if len(parts) == len(tparts) and all(
                a == b or b.startswith("{") for a, b in zip(parts, tparts)):
            return t
    return None


def validate(path, status, body):
    """Validate body against the schema of (path, status); the doc."""
    spec = S["spec"]
    t = template_of(path)
    if t is None:  # an unknown path under /api/: the Error body
        resp = spec["components"]["responses"]["NotFound"]
        assert status == 404, (path, status)
    else:
        resp = spec["paths"][t]["get"]["responses"].get(str(status))
    assert resp is not None, "%s: status %d not documented" % (t, status)
    if "$ref" in resp:
        resp = spec["components"]["responses"][resp["$ref"].split("/")[-1]]
    schema = resp["content"]["application/json"]["schema"]
    doc = json.loads(body)
    full = {"components": {"schemas": to_json_schema(
        spec["components"]["schemas"])}}
    full.update(to_json_schema(schema))
    jsonschema.Draft7Validator(
        full, format_checker=jsonschema.FormatChecker()).validate(doc)
    return doc


def api(path, status=200, auth="token"):
    code, hdrs, body, dt = request(path, auth)
    assert code == status, (path, code, body)
    assert hdrs["content-type"] == "application/json; charset=utf-8", hdrs
    assert hdrs["cache-control"] == "no-store", hdrs
    check_security(hdrs, path)
    S["timings"].setdefault(template_of(path) or "(unknown)", []).append(dt)
    return validate(path, status, body)


def check_security(hdrs, what):
    assert hdrs.get("content-security-policy") == CSP, (what, hdrs)
    assert hdrs.get("x-content-type-options") == "nosniff", (what, hdrs)
    assert hdrs.get("x-frame-options") == "DENY", (what, hdrs)
    assert hdrs.get("referrer-policy") == "no-referrer", (what, hdrs)


# ---- the tests ----

def test_openapi_examples():
    # The document's own examples fit its schemas (they are what a reader
    # copies); every operation answers GET and documents 401.
    spec = S["spec"] = load_spec()
    n = 0
    for path, item in spec["paths"].items():
        assert list(item) == ["get"], path
        responses = item["get"]["responses"]
        assert "401" in responses, path
        for code, resp in responses.items():
            if "$ref" in resp:
                resp = spec["components"]["responses"][
                    resp["$ref"].split("/")[-1]]
            c = resp["content"]["application/json"]
            if "example" in c:
                validate(path.replace("{", "").replace("}", ""), int(code),
                         json.dumps(c["example"]))
                n += 1
    assert n >= 29, n

def test_build_database():
    env = ApiEnv()
    S["env"] = env
    S["d"] = env.daemon.start()
    publish_counted(S, sc.PHASE1)
    publish_counted(S, sc.LATE_MANIFEST)
    publish_counted(S, sc.CORRECTION + tc.POSITIONS + FRESH)
    sc.wait_reconciled(S["d"])
    rej = S["d"].query("SELECT topic, reason, detail FROM rejects")
    assert rej == [], rej
    # The alert rules ran over everything (interval 1 s).
    t = time.time() * 1000
    wait_for(lambda: S["d"].count("alerts") > 0 and
             json.loads(request("/status")[2])["alerts"]["synced_ms"] > t,
             30, "an alert sync after the last message")


def test_indicators_known_day():
    doc = api("/api/v1/indicators?from=%s&to=%s" % (sc.DAY, sc.NEXT_DAY))
    assert (doc["from"], doc["to"]) == (sc.DAY, sc.NEXT_DAY)
    cols = tc.REPORT_COLS
    # The 7th as test_ctl.py works it out, then the 8th: I-005 at INC-CY,
    # 14000 - 10000 = 4000 kg of residual (msw 4000, collected 4000,
    # recycling 0.0, harmless 1.0; no manifests, no unloads).
    eighth = [sc.NEXT_DAY, sc.CY, 4000.0, 0, 0, 0, 0, 4000.0, 0.0, 1.0,
              None, None, 0, 0, None, 0, None, 0, None]
    want = tc.report_rows_7th() + [eighth, [sc.NEXT_DAY, CITY] + eighth[2:]]
    got = [[r[c] for c in cols] for r in doc["days"]]
    assert len(got) == len(want), got
    for g, w in zip(got, want):
        assert g[:2] == w[:2], (g, w)
        for c, a, b in list(zip(cols, g, w))[2:]:
            assert (a is None and b is None) or (
                a is not None and b is not None and abs(a - b) < 1e-9), \
                (g[:2], c, a, b)
    # The period: 朝阳区 msw 20000 + 4000 = 24000, recycling 9000 / 24000
    # = 0.375; the city collected 44000 + 4000 = 48000, recycling
    # 13800 / 48000 = 0.2875, 7 manifests, unloads 7 of 8 authorised.
    tot = {r["district"]: r for r in doc["totals"]}
    assert "day" not in tot[CITY]
    assert [r["district"] for r in doc["totals"]] == [sc.NG, sc.CY, sc.LY,
                                                      CITY]
    assert (tot[sc.CY]["msw_kg"], tot[sc.CY]["recycling_rate"]) == \
        (24000, 0.375), tot[sc.CY]
    assert (tot[CITY]["collected_kg"], tot[CITY]["recycling_rate"],
            tot[CITY]["manifests"], tot[CITY]["authorised_unload_share"]) \
        == (48000, 0.2875, 7, 0.875), tot[CITY]


def test_indicators_bounds():
    # 2023-06-01 .. 2023-08-31 is 30 + 31 + 31 = 92 days: allowed; one
    # more is refused, with the count in words.
    doc = api("/api/v1/indicators?from=2023-06-01&to=2023-08-31")
    assert {r["day"] for r in doc["days"]} == {sc.DAY, sc.NEXT_DAY}
    doc = api("/api/v1/indicators?from=2023-05-31&to=2023-08-31", 400)
    assert doc == {"status": 400, "error":
                   "from..to spans 93 days; at most 92"}, doc
    for q in ["", "?from=2023-08-07", "?to=2023-08-07",
              "?from=2023-02-29&to=2023-03-01", "?from=2023-8-7&to=2023-08-08",
              "?from=2023-08-08&to=2023-08-07", "?from=%00&to=x"]:
        api("/api/v1/indicators" + q, 400)
    # A range without data: empty lists, not an error.
    doc = api("/api/v1/indicators?from=2024-01-01&to=2024-01-31")
    assert doc["days"] == [] and doc["totals"] == [], doc


def test_manifest():
    # HW-SHARE-A as test_ctl.py has it: versions 1 in_transit, 2 closed;
    # ticket H-006 (1050 kg) shared by declared mass: 1050 * 600 / 1000
    # = 630 allocated; +5 % within 10 % -> ok.
    doc = api("/api/v1/manifests/HW-SHARE-A")
    assert doc["manifest_no"] == "HW-SHARE-A"
    (m,) = doc["manifests"]
    assert (m["scheme"], m["status"], m["version"], m["plate"],
            m["declared_kg"], m["generator_district"]) == \
        ("CN_HW", "closed", 2, "吉A50006", 600.0, sc.LY), m
    assert [(v["version"], v["status"], v["applied"])
            for v in doc["versions"]] == [(1, "in_transit", True),
                                          (2, "closed", True)], doc
    assert [(l["facility"], l["ticket"], l["method"], l["allocated_kg"],
             l["net_kg"]) for l in doc["links"]] == [
        ("HW-LY", "H-006", "ticket_ref", 630.0, 1050.0)], doc["links"]
    (v,) = doc["verdicts"]
    assert (v["declared_kg"], v["received_kg"], v["diff_pct"],
            v["verdict"], v["queued"]) == (600.0, 630.0, 5.0, "ok", False), v
    assert "settings" not in v
    assert v["why"] == ("received 630 kg against 600 kg declared: +5.00 %, "
                        "within the tolerance of 10 %"), v["why"]
    assert doc["lines"][0]["waste_code"] == "900-249-08"
    # HW-DISC: 1200 declared, 1050 weighed: -12.50 %.
    (v,) = api("/api/v1/manifests/HW-DISC")["verdicts"]
    assert v["verdict"] == "discrepancy" and v["why"] == (
        "received 1050 kg against 1200 kg declared: -12.50 %, beyond the "
        "tolerance of 10 %"), v
    (v,) = api("/api/v1/manifests/HW-OVERDUE")["verdicts"]
    assert v["verdict"] == "overdue" and "in_transit more than 48 h" in \
        v["why"], v
    doc = api("/api/v1/manifests/HW-NONE", 404)
    assert doc == {"status": 404, "error": "no manifest HW-NONE"}, doc
    api("/api/v1/manifests/" + enc("编号-不存在"), 404)
    api("/api/v1/manifests/%zz", 400)
    api("/api/v1/manifests/" + "X" * 70, 400)


def test_vehicles():
    doc = api("/api/v1/vehicles")
    assert doc["stale_after_s"] == 600 and doc["truncated"] is False
    assert abs(doc["now_ms"] - time.time() * 1000) < 60000, doc["now_ms"]
    assert doc["since_ms"] == doc["now_ms"] - 86400000
    # V-A's newer point, then V-B (2 h old: stale); V-C (25 h) and the
    # scenario's truck of 2023 are outside the window.
    assert [(v["vehicle"], v["plate"], v["ts_ms"], v["lat"], v["lon"],
             v["load_state"], v["speed_kmh"], v["stale"])
            for v in doc["vehicles"]] == [
        ("V-A", "吉A70001", T_A2, 43.82, 125.32, "full", 30.5, False),
        ("V-B", "吉A70002", T_B, 43.70, 125.40, "empty", 30.5, True)], doc


def test_positions():
    path = "/api/v1/vehicles/%s/positions" % enc("吉A70001")
    # Default: the last hour, oldest first.
    doc = api(path)
    assert doc["plate"] == "吉A70001" and doc["truncated"] is False
    assert [(p["vehicle"], p["ts_ms"], p["lat"]) for p in doc["positions"]] \
        == [("V-A", T_A1, 43.81), ("V-A", T_A2, 43.82)], doc
    # since as epoch ms, and as a local time with its offset (%2B: '+').
    doc = api(path + "?since=%d" % (T_A1 + 1))
    assert [p["ts_ms"] for p in doc["positions"]] == [T_A2], doc
    doc = api(path + "?since=" + enc(local_iso(T_A1 + 1000)))
    assert [p["ts_ms"] for p in doc["positions"]] == [T_A2], doc
    # By vehicle id too; V-B's point is 2 h old: outside the default hour.
    assert api("/api/v1/vehicles/V-B/positions")["positions"] == []
    doc = api("/api/v1/vehicles/V-B/positions?since=%d" % (T_B - 1))
    assert [p["ts_ms"] for p in doc["positions"]] == [T_B], doc
    # More than 24 h back, no offset, not a time: 400; unknown: 404.
    api(path + "?since=%d" % T_C, 400)
    api(path + "?since=2026-12-07T08:00:00", 400)
    api(path + "?since=yesterday", 400)
    doc = api("/api/v1/vehicles/%s/positions" % enc("吉Z99999"), 404)
    assert doc["error"] == "no vehicle 吉Z99999", doc
    api("/api/v1/vehicles//positions", 404)


def test_alerts():
    doc = api("/api/v1/alerts")
    rows = S["d"].query("SELECT id, kind, subject, district, opened_ms"
                        " FROM alerts WHERE resolved_ms IS NULL"
                        " ORDER BY id DESC")
    assert doc["open"] == len(rows) and doc["truncated"] is False, doc
    assert [(a["id"], a["kind"], a["subject"], a["district"],
             a["opened_ms"]) for a in doc["alerts"]] == \
        [tuple(r) for r in rows], doc
    kinds = {(a["kind"], a["subject"]) for a in doc["alerts"]}
    assert ("discrepancy", "CN_HW/HW-DISC") in kinds, kinds
    assert ("overdue_manifest", "CN_HW/HW-OVERDUE") in kinds, kinds
    disc = [a for a in doc["alerts"] if a["kind"] == "discrepancy"][0]
    assert isinstance(disc["evidence"], dict), disc


def test_today():
    doc = api("/api/v1/today")
    status = json.loads(request("/status")[2])
    # Today's local day at +08:00; the incinerator's 2000 kg of residual.
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    assert doc["day"] == day and doc["city"]["day"] == day, doc
    assert {"district": sc.CY, "waste": "msw.residual", "kg": 2000} in \
        doc["city"]["tonnage"], doc["city"]["tonnage"]
    cy = [d for d in doc["city"]["districts"] if d["district"] == sc.CY][0]
    assert (cy["collected_kg"], cy["recycling_rate"], cy["harmless_rate"]) \
        == (2000, 0, 1), cy
    # The same figures as /status (the alerts' sync time moves on).
    assert doc["city"] == status["city"], (doc["city"], status["city"])
    for k in ("open", "opened_total", "open_by_kind"):
        assert doc["alerts"][k] == status["alerts"][k], k
    assert doc["healthy"] is True and doc["health_reason"] is None
    assert 0 <= doc["last_message_age_s"] < 600, doc
    assert 0 <= doc["last_commit_age_s"] < 600, doc


def test_facilities_and_config():
    doc = api("/api/v1/facilities")
    fac = {f["id"]: f for f in doc["facilities"]}
    assert list(fac) == [f[0] for f in sc.FACILITIES]
    assert fac["CWD-CY"] == {
        "id": "CWD-CY", "name": "朝阳区渣土消纳场", "kind": "cw_disposal_site",
        "district": sc.CY, "harmless": False, "lat": 43.8, "lon": 125.2,
        "fence": {"kind": "circle", "radius_m": 300}, "accepts": ["cw.*"]}
    f = fac["HW-LY"]["fence"]
    assert f["kind"] == "polygon" and f["polygon"][0] == [43.89, 125.24] \
        and len(f["polygon"]) >= 4 and len(f["holes"]) == 1, f
    assert fac["TS-NG"]["fence"] == {"kind": "none"} and \
        fac["TS-NG"]["lat"] is None and fac["TS-NG"]["accepts"] == []
    gen = {g["id"]: g for g in doc["generators"]}
    assert gen["NG-CL-001"] == {
        "id": "NG-CL-001", "name": "南关区某社区卫生服务站", "kind": "clinic",
        "district": sc.NG, "lat": 43.86, "lon": 125.35,
        "fence": {"kind": "none"}, "permit_from": None, "permit_to": None}
    assert (gen["CY-CS-001"]["permit_from"], gen["CY-CS-001"]["lat"]) == \
        ("2026-01-01", None)
    doc = api("/api/v1/config")
    # Code-point order: 南 U+5357, 朝 U+671D, 绿 U+7EFF.
    assert doc["districts"] == [sc.NG, sc.CY, sc.LY], doc
    assert (doc["recycling_target"], doc["tile_url"], doc["city_district"],
            doc["local_offset"], doc["stale_after_s"]) == \
        (0.4025, TILES, CITY, "+08:00", 600), doc
    assert doc["limits"] == {"max_days": 92, "max_vehicles": 5000,
                             "max_alerts": 500, "max_positions": 10000,
                             "positions_window_s": 86400}, doc


def refused(a, source=None):
    """a is refused (401); a 503 (this address's password checks for the
    second are spent) is retried when its Retry-After says."""
    for _ in range(3):
        code, hdrs, body, _ = request("/api/v1/config", auth=a,
                                      source=source)
        if code != 503:
            break
        assert hdrs.get("retry-after") == "1", hdrs
        time.sleep(1)
    assert code == 401, (a, code, body)
    check_security(hdrs, a)
    assert validate("/api/v1/config", 401, body) == {
        "status": 401, "error": "credentials refused"}, a


def basic(user, password):
    return "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode()


def test_auth_budget():
    """Wrong passwords as fast as one address can send them: two are
    checked a second, the others answered 503 with Retry-After: 1 (not
    401, which makes a browser drop the password it holds); another
    address still has its own checks (401 for a wrong one, not 503)."""
    codes = []
    for i in range(12):
        code, hdrs, body, _ = request("/api/v1/config",
                                      auth=basic(USER, "guess%d" % i),
                                      source="127.0.0.3")
        codes.append(code)
        if code == 503:
            assert hdrs.get("retry-after") == "1", hdrs
            check_security(hdrs, "503")
            assert json.loads(body) == {
                "status": 503,
                "error": "busy: too many password checks"}, body
            break
    assert codes[-1] == 503 and set(codes[:-1]) <= {401}, codes
    refused(basic(USER, "other-address"), source="127.0.0.2")


def test_auth():
    for path in ["/api/v1/config", "/status", "/metrics", "/",
                 "/static/app.js", "/nowhere"]:
        code, hdrs, body, _ = request(path, auth=None)
        assert code == 401, (path, code)
        check_security(hdrs, path)
        assert hdrs["www-authenticate"] == (
            'Bearer realm="wastetrack", Basic realm="wastetrack", '
            'charset="UTF-8"'), hdrs
    assert api("/api/v1/config", 401, auth=None) == {
        "status": 401, "error": "credentials required"}
    # Basic with the user's password passes (twice: the second is the
    # remembered digest); the token passes.
    for _ in range(2):
        assert request("/api/v1/config", auth="basic")[0] == 200
    assert request("/api/v1/config", auth="BEARER " + TOKEN)[0] == 200
    wrong = [
        "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD + "x"))
                                    .encode()).decode(),
        "Basic " + base64.b64encode(b"nobody:" + PASSWORD.encode()).decode(),
        "Basic " + base64.b64encode(("token:" + TOKEN).encode()).decode(),
        "Basic !!!!", "Basic " + base64.b64encode(USER.encode()).decode(),
        "Bearer " + TOKEN[:-1] + "0", "Bearer " + TOKEN[:-1],
        "Bearer " + TOKEN + "0", "Bearer ", "Token " + TOKEN, TOKEN,
    ]
    for a in wrong:
        refused(a)
    # /healthz stays open for monitoring.
    code, hdrs, body, _ = request("/healthz", auth=None)
    assert (code, body) == (200, b"ok\n"), (code, body)
    check_security(hdrs, "/healthz")


def test_headers_and_charset():
    code, hdrs, body, _ = request("/metrics")
    assert code == 200
    assert hdrs["content-type"] == \
        "text/plain; version=0.0.4; charset=utf-8", hdrs
    assert 'wastetrack_today_kg{district="朝阳区",waste="msw.residual"} ' \
        '2000.000' in body.decode("utf-8")
    code, hdrs, _, _ = request("/status")
    assert (code, hdrs["content-type"]) == (
        200, "application/json; charset=utf-8"), hdrs
    code, hdrs, _, _ = request("/healthz")
    assert hdrs["content-type"] == "text/plain; charset=utf-8", hdrs
    for path in ["/status", "/metrics", "/healthz"]:
        check_security(request(path)[1], path)
        assert request(path)[1]["cache-control"] == "no-store"
    # Not found, on the API (JSON) and elsewhere (text).
    assert api("/api/v1/nothing", 404) == {"status": 404,
                                           "error": "not found"}
    code, hdrs, body, _ = request("/nothing")
    assert (code, hdrs["content-type"], body) == (
        404, "text/plain; charset=utf-8", b"not found\n")
    check_security(hdrs, "/nothing")
    # Other methods: 405 with Allow, the headers too.
    for m in ["POST", "DELETE", "OPTIONS"]:
        code, hdrs, body, _ = request("/api/v1/config", method=m)
        assert code == 405 and hdrs["allow"] == "GET, HEAD", (m, hdrs)
        check_security(hdrs, m)
        assert json.loads(body) == {"status": 405,
                                    "error": "method not allowed"}
    # The page's paths get them too, whoever answers them.
    for path in ["/", "/static/app.js", "/static/none.js"]:
        code, hdrs, _, _ = request(path)
        check_security(hdrs, path)
        if hdrs.get("content-type", "").startswith("text/"):
            assert "charset=utf-8" in hdrs["content-type"], (path, hdrs)


def test_abandoned_requests():
    # Clients that hang up before the API's thread has answered: the
    # answers find no connection (evhttp frees the request); the endpoint
    # goes on, and the sanitizers (test_stop) see no use after free.
    import socket
    for i in range(40):
        s = socket.create_connection(("127.0.0.1", S["d"].http_port), 5)
        s.sendall(("GET /api/v1/indicators?from=2023-06-01&to=2023-08-31"
                   " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "\r\n" % TOKEN).encode())
        if i % 2:
            s.shutdown(socket.SHUT_WR)
        s.close()
    # Meanwhile the queue may be full (32; more: 503 busy), while
    # /healthz answers from memory; then the API answers again.
    code, _, body, _ = request("/healthz")
    assert (code, body) == (200, b"ok\n")
    code, _, body, _ = request("/api/v1/alerts")
    assert code == 200 or json.loads(body) == {
        "status": 503, "error": "busy: too many API requests waiting"}, body
    wait_for(lambda: request("/api/v1/alerts")[0] == 200, 30,
             "the API's queue to drain")
    assert api("/api/v1/alerts")["truncated"] is False


def test_head():
    for path in ["/api/v1/config", "/api/v1/indicators?from=%s&to=%s"
                 % (sc.DAY, sc.DAY), "/metrics"]:
        code, hdrs, body, _ = request(path)
        hcode, hhdrs, hbody, _ = request(path, method="HEAD")
        assert (hcode, hbody) == (code, b""), (path, hcode, hbody)
        assert hhdrs["content-type"] == hdrs["content-type"]
        check_security(hhdrs, "HEAD " + path)


def test_unhealthy_503_headers():
    # The broker goes away: /healthz says so (503), with every header;
    # the API still answers from the database.
    S["env"].broker.stop()
    wait_for(lambda: request("/healthz")[0] == 503, 30, "/healthz 503")
    code, hdrs, body, _ = request("/healthz")
    assert (code, body) == (503, b"broker disconnected\n")
    check_security(hdrs, "/healthz 503")
    doc = api("/api/v1/today")
    assert (doc["healthy"], doc["health_reason"]) == (
        False, "broker disconnected"), doc
    api("/api/v1/alerts")


def check_config(name, text, auth_text=None, auth_mode=0o640):
    """wastetrackd -n on a configuration: (exit status, stderr)."""
    d = make_dir("wt-api-check-")
    try:
        auth = os.path.join(d, "http.auth")
        if auth_text is not None:
            write_auth(auth, auth_text, auth_mode)
        conf = os.path.join(d, "wastetrack.yaml")
        with open(conf, "w") as f:
            f.write(text.replace("AUTH", auth))
        p = subprocess.run([DAEMON, "-n", "-c", conf], capture_output=True,
                           timeout=30 * TIMEOUT_SCALE)
        return p.returncode, p.stderr.decode(), conf, auth
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_start_checks():
    # Listening beyond loopback without credentials: refused, at the key.
    rc, err, conf, _ = check_config(
        "open", "database: {path: /nonexistent/wt.db}\n"
                "http:\n  listen: \"0.0.0.0:8080\"\n")
    assert rc == 78 and (
        "%s:3:3: http.listen \"0.0.0.0:8080\" is not a loopback address"
        % conf) in err, err
    rc, err, _, _ = check_config(
        "v6", "http:\n  listen: \"[::]:8080\"\n")
    assert rc == 78 and "not a loopback address" in err, err
    # With credentials it is accepted; loopback alone is too.
    ok = "token:%s\n" % TOKEN
    assert check_config("auth", "http:\n  listen: \"0.0.0.0:8080\"\n"
                        "  auth_file: \"AUTH\"\n", ok)[0] == 0
    assert check_config("lo", "http:\n  listen: \"[::1]:8080\"\n")[0] == 0
    # An auth file others can read is refused, as an ssh key would be.
    rc, err, _, auth = check_config(
        "mode", "http:\n  auth_file: \"AUTH\"\n", ok, 0o644)
    assert rc == 78 and ("%s:1:1: the auth file is readable or writable by "
                         "others (mode 0644)" % auth) in err, err
    # Mistakes are reported at their line and column, all at once.
    rc, err, _, auth = check_config(
        "lines", "http:\n  auth_file: \"AUTH\"\n",
        "# c\ntoken: short\nops:$1$abc$def\nnot a line\n" + ok)
    assert rc == 78, err
    assert "%s:2:8: a token has 16 characters at least" % auth in err, err
    assert "%s:3:5: not a supported crypt(3) hash" % auth in err, err
    assert "%s:4:1: want token:VALUE or NAME:HASH" % auth in err, err
    rc, err, _, auth = check_config(
        "empty", "http:\n  auth_file: \"AUTH\"\n", "# nobody\n")
    assert rc == 78 and "has no token or user" in err, err
    rc, err, _, _ = check_config(
        "tiles", "page:\n  tile_url: \"ftp://x/{z}/{x}/{y}\"\n")
    assert rc == 78 and "invalid tile URL" in err, err
    rc, err, _, _ = check_config(
        "target", "page:\n  recycling_target: 1.5\n")
    assert rc == 78, err


def test_report_timings():
    # The response time of each path on this database (the benchmark's
    # figures are its own): the median of the requests above.
    for t, v in sorted(S["timings"].items()):
        v = sorted(v)
        print("  %-40s %6.2f ms (median of %d)"
              % (t, v[len(v) // 2] * 1000, len(v)))


def test_stop():
    env = S["env"]
    assert env.daemon.stop() == 0
    env.daemon.check_sanitizers()
    shutil.rmtree(env.dir, ignore_errors=True)
    S["env"] = None


if __name__ == "__main__":
    try:
        run([test_openapi_examples, test_build_database, test_indicators_known_day,
             test_indicators_bounds, test_manifest, test_vehicles,
             test_positions, test_alerts, test_today,
             test_facilities_and_config, test_auth, test_auth_budget,
             test_headers_and_charset, test_abandoned_requests, test_head, test_start_checks,
             test_unhealthy_503_headers, test_report_timings, test_stop])
    finally:
        if S["env"] is not None:
            if S["env"].daemon.proc and S["env"].daemon.proc.poll() is None:
                S["env"].daemon.proc.kill()
            S["env"].broker.stop()
            print("test files kept in %s" % S["env"].dir)
