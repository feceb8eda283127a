#!/usr/bin/python3
"""The operator page in a real browser: headless chromium (Debian's) over
the DevTools protocol (cdp.py), a real broker and the real daemon fed the
city of page_city.py, whose figures are worked out by hand there.

What a person would see is asserted from the rendered page (innerText of
visible elements, the SVG drawn): the city's figures, a district's rates,
an open discrepancy that opens the manifest's history, the trucks on the
map; then the English switch kept across a reload; then the broker
stopped (the page says the daemon is unhealthy) and the daemon stopped
(unreachable), without a reload. Throughout: no console error or
exception, and every request the tab made went to the daemon's origin.
Screenshots are kept under the build's test-tmp (paths printed).
"""

import http.server
import json
import math
import os
import re
import struct
import sys
import threading
import urllib.error
import urllib.request
import zlib

from cdp import Browser
from harness import TMP_ROOT, publish_counted, run
from page_city import (CITY, CY, DAY, FACILITIES, NG, RECYCLING_TARGET,
                       TRUCKS, CityEnv, later)

ARTEFACTS = TMP_ROOT or os.path.join(os.getcwd(), "test-tmp")


def artefact(name):
    os.makedirs(ARTEFACTS, exist_ok=True)
    return os.path.join(ARTEFACTS, name)


def texts(tab, selector):
    """innerText of each visible element matching selector."""
    return tab.eval(
        "[...document.querySelectorAll(%s)].filter(e => e.checkVisibility())"
        ".map(e => e.innerText.trim())" % json.dumps(selector))


def kpi(tab, key):
    return texts(tab, '[data-kpi="%s"] .value' % key)


def cells(tab, district):
    return texts(tab, 'tr[data-district="%s"] td' % district)


def check_own_origin(tab, base):
    urls = tab.requests()
    assert urls, "no request recorded"
    foreign = [u for u in urls if not u.startswith(base + "/")]
    assert not foreign, "requests outside %s: %s" % (base, foreign)
    return urls


def check_no_problems(tab):
    tab.b.pump(0.1)
    problems = tab.problems()
    assert not problems, "console errors or exceptions:\n" + "\n".join(
        problems)


ASSETS = {"/": "text/html; charset=utf-8",
          "/static/app.js": "text/javascript; charset=utf-8",
          "/static/i18n.js": "text/javascript; charset=utf-8",
          "/static/app.css": "text/css; charset=utf-8",
          "/static/icon.svg": "image/svg+xml; charset=utf-8"}


def fetch(base, path, method="GET", headers=None):
    req = urllib.request.Request(base + path, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def check_assets(base):
    """The embedded files: their types with charset, revalidation by
    ETag (304, no body), HEAD, the security policy, unknown names."""
    for path, ctype in ASSETS.items():
        code, h, body = fetch(base, path)
        assert code == 200 and h["Content-Type"] == ctype, (path, code, h)
        assert h["Cache-Control"] == "no-cache" and h["ETag"], (path, h)
        body.decode("utf-8")
        assert int(h["Content-Length"]) == len(body) > 0, path
        csp = h["Content-Security-Policy"] or ""
        assert "default-src 'self'" in csp, (path, csp)
        assert h["X-Content-Type-Options"] == "nosniff", (path, h)
        code, h2, body = fetch(base, path, headers={"If-None-Match":
                                                    h["ETag"]})
        assert code == 304 and body == b"" and h2["ETag"] == h["ETag"], \
            (path, code)
        code, h2, body = fetch(base, path, "HEAD")
        assert code == 200 and body == b"" and \
            h2["Content-Type"] == ctype, (path, code)
    # The page names only its own files, no inline script or style.
    _, _, html = fetch(base, "/")
    html = html.decode()
    assert "<script>" not in html and "<style" not in html and \
        " style=" not in html and "http://" not in html and \
        "https://" not in html, html
    for path in ("/static/nope.js", "/static/../index.html",
                 "/static/", "/static/app.js/x"):
        code, h, body = fetch(base, path)
        assert (code, h["Content-Type"], body) == (
            404, "text/plain; charset=utf-8", b"not found\n"), (path, code)
        assert "default-src 'self'" in h["Content-Security-Policy"], path


def test_page():
    with CityEnv() as env:
        env.start()
        env.feed()
        d = env.daemon
        base = "http://127.0.0.1:%d" % d.http_port
        check_assets(base)
        browser = Browser(env.dir)
        try:
            tab = browser.new_tab()
            tab.navigate(base + "/")
            see_today(tab)
            see_districts(tab)
            see_trends(tab)
            see_map(tab)
            tab.screenshot(artefact("page.png"), full=True)
            see_screens(tab)
            see_manifest(tab)
            tab.screenshot(artefact("page-manifest.png"))
            tab.eval("document.getElementById('manifest').close()")
            check_no_problems(tab)
            see_update(tab, env)
            see_english(tab, base)
            urls = check_own_origin(tab, base)
            check_no_problems(tab)
            # Every 2xx/304: nothing the page asked for failed.
            failed = [(r["response"]["url"], r["response"]["status"])
                      for r in tab.events("Network.responseReceived")
                      if r["response"]["status"] not in (200, 304)]
            assert not failed, failed
            see_unhealthy(tab, env)
            check_own_origin(tab, base)
            print("page: %d requests, all to %s; screenshots in %s"
                  % (len(urls), base, ARTEFACTS))
        finally:
            browser.close()


def see_today(tab):
    # The first poll drew the city: 20000 kg collected = 20.0 t.
    tab.wait(lambda: kpi(tab, "collected") == ["20.0 吨"], 20,
             "the city's collected tonnage on the page")
    assert tab.eval("document.getElementById('day').innerText") == DAY
    # 全市: recycled 7000/20000 = 35.0 %, below the 40.25 % target, so
    # marked bad; harmless 17000/20000 = 85.0 %; closure 1/2 = 50.0 %;
    # one discrepancy, nothing overdue; one of two stations cleared.
    assert kpi(tab, "recycling") == ["35.0%"]
    assert tab.eval("document.querySelector('[data-kpi=recycling]')"
                    ".classList.contains('bad')")
    assert 0.35 < RECYCLING_TARGET
    assert kpi(tab, "harmless") == ["85.0%"]
    assert kpi(tab, "closure") == ["50.0%"]
    assert kpi(tab, "discrepancies") == ["1"]
    assert kpi(tab, "overdue") == ["0"]
    assert kpi(tab, "clearance") == ["50.0%"]
    # By class: 13.0 t residual, 4.0 t food, 3.0 t recyclables, 1.8 t
    # hazardous, largest first.
    bars = texts(tab, "#classes .bar")
    assert bars == ["其他垃圾\n13.0 吨", "厨余垃圾\n4.0 吨",
                    "可回收物\n3.0 吨", "危险废物\n1.8 吨"], bars
    # Freshness: the header says how old the last message and commit are.
    fresh = tab.eval("document.getElementById('fresh').innerText")
    assert "最后消息" in fresh and "最后入库" in fresh and "前" in fresh, fresh
    # ... as of the daemon's clock, 16:00 local and a few seconds.
    assert "更新于 16:00:" in fresh, fresh
    assert tab.eval("document.getElementById('health').innerText") == \
        "运行正常"
    assert tab.eval("document.getElementById('banner').hidden")


def see_districts(tab):
    # district, collected, recycling, harmless, closure, clearance,
    # discrepancy rate, overdue (page_city.py's table).
    assert cells(tab, NG) == ["南关区", "8.0 吨", "37.5%", "62.5%", "0.0%",
                              "100.0%", "100.0%", "0"], cells(tab, NG)
    assert cells(tab, CY) == ["朝阳区", "12.0 吨", "33.3%", "100.0%",
                              "100.0%", "0.0%", "0.0%", "0"], cells(tab, CY)
    assert cells(tab, CITY) == ["全市", "20.0 吨", "35.0%", "85.0%",
                                "50.0%", "50.0%", "50.0%", "0"]
    # Tonnage by class per district (the receiving facility's district,
    # transfer stations excluded): 南关区 L-1 5000 residual, R-1 3000
    # recyclables, H-1 + H-2 1800 hazardous = 9.8 t; 朝阳区 I-1 8000
    # residual, K-1 4000 food = 12.0 t, the longest bar.
    stacks = tab.eval(
        "Object.fromEntries([...document.querySelectorAll("
        "'#district-classes .stackrow')].filter(r => r.checkVisibility())"
        ".map(r => [r.dataset.district, [r.querySelector('.num').innerText,"
        " Object.fromEntries([...r.querySelectorAll('.seg')].map(s => "
        "[s.dataset.class, [+s.dataset.kg, s.title, "
        "+s.style.width.replace('%', '')]]))]]))")
    assert stacks == {
        NG: ["9.8 吨", {"msw.residual": [5000, "其他垃圾 5.0 吨", 41.67],
                       "msw.recyclable": [3000, "可回收物 3.0 吨", 25],
                       "hw": [1800, "危险废物 1.8 吨", 15]}],
        CY: ["12.0 吨", {"msw.residual": [8000, "其他垃圾 8.0 吨", 66.67],
                        "msw.food": [4000, "厨余垃圾 4.0 吨", 33.33]}]}, \
        stacks


def see_trends(tab):
    # Two days of data in the 30: yesterday 33.3 %, today 35.0 %; the
    # target line at the configured 40.25 %.
    pts = tab.wait_js(
        "document.querySelectorAll('#trend-recycling circle').length", 10,
        "the recycling trend")
    assert pts == 2, pts
    assert tab.eval("+document.querySelector('#trend-recycling .target')"
                    ".dataset.target") == RECYCLING_TARGET
    assert "40.3%" in tab.eval(
        "document.querySelector('#trend-recycling .target-label')"
        ".textContent")
    # Tonnage: household waste (7.5 t and 20 t) and hazardous (1.8 t
    # today) drawn; no construction or medical waste in the city.
    series = tab.eval("[...document.querySelectorAll('#trend-tonnage "
                      "path.series')].map(p => p.dataset.series)")
    assert series == ["msw_kg", "hw_kg"], series


def see_map(tab):
    trucks = tab.wait_js(
        "(() => { const o = {}; for (const g of document.querySelectorAll("
        "'#map g.vehicle')) { const c = g.querySelector('circle'); "
        "o[g.dataset.plate] = [g.dataset.load, g.dataset.stale === '1', "
        "+c.getAttribute('cx'), +c.getAttribute('cy'), "
        "getComputedStyle(c).fill]; } "
        "return Object.keys(o).length ? o : null; })()", 10, "the trucks")
    assert {p: tuple(v[:2]) for p, v in trucks.items()} == TRUCKS, trucks
    # KW-01 (43.895 N, 125.300 E) is north-west of KW-02 (43.860 N,
    # 125.340 E): left of it and above it on the map.
    a, b = trucks["吉A10001"], trucks["吉A10002"]
    assert a[2] < b[2] and a[3] < b[3], (a, b)
    # Loaded orange, empty blue, the stale one grey (app.css).
    assert a[4] == "rgb(255, 159, 67)", a
    assert b[4] == "rgb(77, 171, 247)", b
    assert trucks["吉A30009"][4] == "rgb(107, 119, 133)", trucks
    # Seven facilities, each with its fence: six circles and a polygon;
    # and the market, a generator: a small mark, no label.
    assert tab.eval("document.querySelectorAll('#map g.site').length") == 8
    assert tab.eval("document.querySelectorAll('#map g.site text.fac-label')"
                    ".length") == 7
    assert tab.eval("document.querySelectorAll('#map g.site rect.gen')"
                    ".length") == 1
    assert "南关区农贸市场" not in tab.eval(
        "Array.from(document.querySelectorAll('#map text'))"
        ".map(e => e.textContent).join(' ')")
    assert tab.eval("document.querySelectorAll('#map g.site circle.fence')"
                    ".length") == 6
    assert tab.eval("document.querySelectorAll('#map g.site polygon.fence')"
                    ".length") == 1
    assert "南关区卫生填埋场" in tab.eval(
        "document.getElementById('map').textContent")
    # A scale bar of a round length, no tiles (none configured).
    metres = tab.eval("+document.querySelector('#map .scale').dataset.metres")
    assert metres in (500, 1000, 2000, 5000), metres
    assert tab.eval("document.querySelectorAll('#map image').length") == 0


def see_screens(tab):
    """Readable from a phone-sized window to a 4K wall screen: nothing
    wider than the window, the figures on screen, and on the wall the
    figures large."""
    for w, h in ((800, 1000), (1280, 800), (1920, 1080), (3840, 2160)):
        tab.call("Emulation.setDeviceMetricsOverride", {
            "width": w, "height": h, "deviceScaleFactor": 1,
            "mobile": False})
        tab.wait(lambda: tab.eval("innerWidth") == w, 5, "a %d px window" % w)
        over = tab.eval("document.documentElement.scrollWidth - innerWidth")
        assert over <= 0, "%d px: %d px too wide" % (w, over)
        # The districts' table fits its panel: no column scrolled away.
        over = tab.eval("(e => e.scrollWidth - e.clientWidth)("
                        "document.querySelector('.tablewrap'))")
        assert over <= 0, "%d px: the table is %d px too wide" % (w, over)
        assert kpi(tab, "collected") == ["20.0 吨"], w
        assert tab.eval("document.querySelectorAll('#map g.vehicle')"
                        ".length") == 3, w
        size = tab.eval("parseFloat(getComputedStyle(document.querySelector("
                        "'[data-kpi=collected] .value')).fontSize)")
        # 1.7 rem of a root size of 0.6 vw + 8 px, at most 30 px.
        assert size >= (45 if w >= 3840 else 23), (w, size)
        if w == 1280:
            tab.screenshot(artefact("page-laptop.png"))
    tab.call("Emulation.clearDeviceMetricsOverride")
    tab.wait(lambda: tab.eval("innerWidth") == 1600, 5, "the window back")


def see_manifest(tab):
    # The open discrepancy is listed; clicking it shows HW-DISC's life.
    tab.wait_js("document.querySelector('#alerts [data-manifest=\"HW-DISC\"]')"
                " !== null", 10, "HW-DISC in the alerts")
    tab.click('#alerts [data-manifest="HW-DISC"]')
    tab.wait_js("document.getElementById('manifest').open && "
                "document.querySelector('#manifest-body .verdict') !== null",
                10, "the manifest's history")
    body = tab.eval("document.getElementById('manifest-body').innerText")
    assert "HW-DISC" in body, body
    # Declared 1.0 t, received 800 kg (H-2), -20 %: 差异 with the reason.
    assert tab.eval("document.querySelector('#manifest-body .verdict')"
                    ".innerText") == "差异"
    assert "1,000 kg" in body and "800 kg" in body, body
    assert "-20.0%" in body, body
    assert "-20" in tab.eval(
        "document.querySelector('#manifest-body .why').innerText")
    # Both versions, in order, and the linked ticket.
    rows = texts(tab, "#manifest-body table:nth-of-type(1) tbody tr")
    assert [r.split("\t")[:2] for r in rows] == [["1", "运输中"],
                                                 ["2", "已接收"]], rows
    links = texts(tab, "#manifest-body table:nth-of-type(2) tbody tr")
    assert len(links) == 1 and "H-2" in links[0] and "800 kg" in links[0], \
        links


def see_update(tab, env):
    """New data shows up by itself: the page polls, it does not reload."""
    tab.eval("window.wtMarker = 'before'")
    y0 = tab.eval("+document.querySelector('#map g.vehicle[data-plate="
                  "\"吉A10002\"] circle').getAttribute('cy')")
    publish_counted(env.state, later(env.daemon_now_ms()))
    # page_city.py: 全市 21.0 t, 38.1 %; 南关区 9.0 t, 44.4 %.
    tab.wait(lambda: kpi(tab, "collected") == ["21.0 吨"], 20,
             "the new ticket on the page")
    assert kpi(tab, "recycling") == ["38.1%"]
    assert cells(tab, NG)[:3] == ["南关区", "9.0 吨", "44.4%"]
    # KW-02 is loaded now, and further north: higher on the map.
    tab.wait_js("document.querySelector('#map g.vehicle[data-plate="
                "\"吉A10002\"]').dataset.load == 'loaded'", 10,
                "KW-02 loaded on the map")
    y1 = tab.eval("+document.querySelector('#map g.vehicle[data-plate="
                  "\"吉A10002\"] circle').getAttribute('cy')")
    assert y1 < y0, (y0, y1)
    assert tab.eval("window.wtMarker") == "before"


def see_english(tab, base):
    tab.click("#lang")
    tab.wait(lambda: kpi(tab, "collected") == ["21.0 t"], 5,
             "the page in English")
    assert tab.eval("document.querySelector('h1').innerText") == \
        "Municipal solid waste supervision"
    assert tab.eval("document.documentElement.lang") == "en"
    # Kept in localStorage: a reload stays English.
    assert tab.eval("localStorage.getItem('wt.lang')") == "en"
    tab.navigate(base + "/")
    tab.wait(lambda: kpi(tab, "collected") == ["21.0 t"], 20,
             "English after a reload")
    assert cells(tab, CITY)[0] == "City"
    tab.click("#lang")
    tab.wait(lambda: kpi(tab, "collected") == ["21.0 吨"], 5,
             "back in Chinese")


def see_unhealthy(tab, env):
    # The page polls: a marker set now survives if it never reloads.
    tab.eval("window.wtMarker = 1")
    env.broker.stop()
    tab.wait(lambda: tab.eval("document.body.dataset.health") == "bad", 20,
             "the page to say unhealthy")
    banner = tab.eval("document.getElementById('banner').checkVisibility()"
                      " && document.getElementById('banner').innerText")
    assert banner and "运行异常" in banner and "broker" in banner, banner
    assert tab.eval("document.getElementById('health').innerText") == \
        "运行异常"
    tab.screenshot(artefact("page-unhealthy.png"))
    env.daemon.stop()
    tab.wait(lambda: tab.eval("document.body.dataset.health") == "down", 20,
             "the page to say unreachable")
    banner = tab.eval("document.getElementById('banner').innerText")
    assert "无法连接" in banner, banner
    # The last figures stay on the screen, and nothing reloaded.
    assert kpi(tab, "collected") == ["21.0 吨"]
    assert tab.eval("window.wtMarker") == 1


def png(width, height, rgb):
    """A plain PNG of one colour (zlib and struct: no imaging library)."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0,
                                       0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class TileServer:
    """A tile server on loopback, in a thread of the test: answers
    /tiles/{z}/{x}/{y}.png with a plain tile and records each path."""

    def __init__(self):
        tile, paths = png(256, 256, (28, 44, 60)), []
        self.paths = paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                paths.append(self.path)
                ok = re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", self.path)
                body = tile if ok else b""
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                   Handler)
        self.origin = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def tile_of(lat, lon, z):
    """The Web Mercator tile holding a point at zoom z."""
    n, phi = 2 ** z, math.radians(lat)
    return (int((lon + 180) / 360 * n),
            int((1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi)
                / 2 * n))


def test_tiles():
    """With page.tile_url set the map draws that server's tiles under the
    facilities, the CSP lets them in, and nothing else leaves the
    daemon's origin."""
    tiles = TileServer()
    extra = 'page:\n  tile_url: "%s/tiles/{z}/{x}/{y}.png"\n' % tiles.origin
    try:
        with CityEnv("page-tiles", extra) as env:
            env.start()
            base = "http://127.0.0.1:%d" % env.daemon.http_port
            csp = fetch(base, "/")[1]["Content-Security-Policy"]
            assert "img-src 'self' data: %s" % tiles.origin in csp, csp
            browser = Browser(env.dir)
            try:
                tab = browser.new_tab()
                tab.navigate(base + "/")
                n = tab.wait_js("document.querySelectorAll('#map g.site')"
                                ".length == 8 && document.querySelectorAll("
                                "'#map image').length", 20, "the tiles")
                tab.wait(lambda: len([
                    r for r in tab.events("Network.loadingFinished")]) >=
                    len(tab.events("Network.requestWillBeSent")) and
                    len(tiles.paths) >= n, 10, "the tiles to load")
                got = {tuple(map(int, re.findall(r"\d+", p)))
                       for p in tiles.paths}
                zooms = {z for z, _, _ in got}
                assert len(zooms) == 1 and len(got) == n, (zooms, got, n)
                z = zooms.pop()
                # Every facility lies on a tile that was drawn.
                for f in FACILITIES:
                    x, y = tile_of(f[5], f[6], z)
                    assert (z, x, y) in got, (f[0], z, x, y, got)
                foreign = [u for u in tab.requests()
                           if not u.startswith(base + "/") and
                           not u.startswith(tiles.origin + "/tiles/")]
                assert not foreign, foreign
                check_no_problems(tab)
                tab.screenshot(artefact("page-tiles.png"))
                print("tiles: zoom %d, %d tiles" % (z, n))
            finally:
                browser.close()
    finally:
        tiles.close()


if __name__ == "__main__":
    print("screenshots go to %s" % ARTEFACTS, file=sys.stderr)
    run([test_page, test_tiles])
