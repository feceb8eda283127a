"""A small driver for headless Chromium over the DevTools protocol.

Only what the page tests need: start Debian's chromium headless with a
fresh profile in a test's temp dir (through harness.spawn, so it dies with
the test whatever happens), open one tab, evaluate JavaScript, click like
a mouse, take a screenshot, and record every console message, exception
and network request of the tab. One WebSocket (python3-websocket) in the
protocol's flat session mode: commands and events of the tab carry its
sessionId.

Waiting is always on a condition with a deadline (harness.wait_for's
style): events are read off the socket while a command's answer is
awaited and kept in `events`.
"""

import base64
import json
import os
import shutil
import time

import websocket

from harness import TIMEOUT_SCALE, kill_group, spawn

CHROMIUM = os.environ.get("WT_CHROMIUM") or shutil.which("chromium") \
    or "/usr/bin/chromium"


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, workdir, width=1600, height=1000):
        self.dir = os.path.join(workdir, "chromium")
        os.makedirs(self.dir, exist_ok=True)
        self.log = open(os.path.join(workdir, "chromium.log"), "wb")
        # No sandbox: the tests run as root, which chromium's sandbox
        # refuses. Everything that would reach the network on its own
        # (updates, sync, metrics, field trials) is off: only the page
        # under test may ask for anything, and the test checks it.
        self.proc = spawn([
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--user-data-dir=" + self.dir, "--remote-debugging-port=0",
            "--remote-allow-origins=*", "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions",
            "--disable-dev-shm-usage", "--metrics-recording-only",
            "--disable-features=Translate,MediaRouter,OptimizationHints",
            "--window-size=%d,%d" % (width, height), "about:blank"],
            stdout=self.log, stderr=self.log)
        self.ws = None
        self.next_id = 0
        self.events = []
        try:
            self._connect()
        except BaseException:
            self.close()
            raise

    def _connect(self):
        # Chromium writes the port it bound and the browser's WebSocket
        # path to DevToolsActivePort in the profile once it listens.
        path = os.path.join(self.dir, "DevToolsActivePort")
        deadline = time.monotonic() + 30 * TIMEOUT_SCALE
        while True:
            if self.proc.poll() is not None:
                raise CDPError("chromium exited with %s" % self.proc.returncode)
            try:
                with open(path) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[1]:
                    break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise CDPError("chromium did not start listening")
            time.sleep(0.05)
        self.ws = websocket.create_connection(
            "ws://127.0.0.1:%s%s" % (lines[0], lines[1]),
            timeout=30 * TIMEOUT_SCALE, suppress_origin=True)

    def _read(self, timeout):
        self.ws.settimeout(max(timeout, 0.01))
        try:
            return json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("no answer to %s" % method)
            m = self._read(left)
            if m is None:
                continue
            if m.get("id") == mid:
                if "error" in m:
                    raise CDPError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def pump(self, seconds=0.0):
        """Read the events that arrived, for at most `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            m = self._read(max(deadline - time.monotonic(), 0.01))
            if m is not None and "method" in m:
                self.events.append(m)
            if m is None and time.monotonic() >= deadline:
                return

    def new_tab(self):
        t = self.call("Target.createTarget", {"url": "about:blank"})
        s = self.call("Target.attachToTarget",
                      {"targetId": t["targetId"], "flatten": True})
        return Tab(self, s["sessionId"])

    def close(self):
        if self.ws is not None:
            try:
                self.call("Browser.close", timeout=5)
            except Exception:  # noqa: BLE001 - killed below anyway
                pass
            self.ws.close()
            self.ws = None
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None
        self.log.close()


class Tab:
    def __init__(self, browser, session):
        self.b = browser
        self.session = session
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(domain + ".enable")

    def call(self, method, params=None, timeout=30):
        return self.b.call(method, params, self.session, timeout)

    def events(self, method):
        return [e["params"] for e in self.b.events
                if e.get("sessionId") == self.session
                and e["method"] == method]

    def navigate(self, url):
        n = len(self.events("Page.loadEventFired"))
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise CDPError("navigate %s: %s" % (url, r["errorText"]))
        self.wait(lambda: len(self.events("Page.loadEventFired")) > n, 30,
                  "the load event of " + url)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr,
                                           "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise CDPError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait(self, cond, timeout=20.0, what="condition"):
        """Poll cond() (reading events in between) until true."""
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        while True:
            v = cond()
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError("timed out after %.0fs waiting for %s"
                                     % (timeout * TIMEOUT_SCALE, what))
            self.b.pump(0.05)

    def wait_js(self, expr, timeout=20.0, what=None):
        return self.wait(lambda: self.eval(expr), timeout, what or expr)

    def click(self, selector):
        """A left click in the middle of the element, as a mouse does."""
        box = self.eval(
            "(() => { const e = document.querySelector(%s); if (!e) "
            "return null; e.scrollIntoView({block: 'center'}); "
            "const r = e.getBoundingClientRect(); "
            "return [r.x + r.width / 2, r.y + r.height / 2]; })()"
            % json.dumps(selector))
        if box is None:
            raise CDPError("nothing matches " + selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent",
                      {"type": kind, "x": box[0], "y": box[1],
                       "button": "left", "clickCount": 1})

    def screenshot(self, path, full=False):
        """A PNG of the viewport, or of the whole page when full."""
        params = {"format": "png"}
        if full:
            # Captured beyond the viewport the page is laid out without
            # a scroll bar: as wide as the window, as tall as its content.
            m = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True, clip={
                "x": 0, "y": 0, "height": m["height"], "scale": 1,
                "width": max(m["width"], self.eval("innerWidth"))})
        r = self.call("Page.captureScreenshot", params)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return path

    def problems(self):
        """Console errors and warnings, uncaught exceptions, log entries
        of level error (CSP violations, failed loads), as strings."""
        out = []
        for p in self.events("Runtime.consoleAPICalled"):
            if p["type"] in ("error", "warning", "assert"):
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description")))
                    for a in p["args"])))
        for p in self.events("Runtime.exceptionThrown"):
            d = p["exceptionDetails"]
            out.append("exception: %s" % d.get("exception", {}).get(
                "description", d.get("text")))
        for p in self.events("Log.entryAdded"):
            e = p["entry"]
            if e["level"] == "error":
                out.append("log: %s %s" % (e.get("text"), e.get("url", "")))
        return out

    def requests(self):
        """Every URL the tab asked for."""
        return [p["request"]["url"]
                for p in self.events("Network.requestWillBeSent")]
