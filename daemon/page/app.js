/*
 * The operator page (docs/page.md): polls the daemon's JSON API
 * (docs/openapi.yaml) and draws today's figures, the 30-day trends, the
 * open alerts, a manifest's whole life and a map, all in plain DOM and
 * SVG: no library, no request to any other origin (tiles excepted, and
 * only when the configuration names a tile server).
 */
"use strict";
(function () {
  const POLL_MS = 5000;          /* today, alerts, vehicles */
  const FETCH_MS = 8000;         /* under the daemon's 10 s timeout */
  const TREND_MS = 60000;        /* the 30 days of indicators */
  const REGISTRY_MS = 300000;    /* configuration and facilities */
  const TREND_DAYS = 30;
  const MAX_LABELS = 80;         /* trucks on the map named beside their dot */
  const CITY = "全市";
  const SVGNS = "http://www.w3.org/2000/svg";
  const SERIES_COLOURS = ["#4dabf7", "#3fb950", "#ff9f43", "#b197fc",
    "#f783ac", "#ffd43b", "#63e6be", "#a9e34b", "#e599f7", "#74c0fc"];

  /* One colour per waste class, the same in every chart; a class without
   * one takes the next of the series colours. */
  const CLASS_COLOURS = {
    "msw.residual": "#8ea0b2", "msw.food": "#3fb950", "msw.recyclable": "#4dabf7",
    "msw.hazardous": "#f85149", "msw.mixed": "#adb5bd", "msw.bulky": "#e599f7",
    "msw.garden": "#a9e34b", hw: "#ff9f43", medical: "#f783ac",
    "cw.excavated_soil": "#c08457", "cw.engineering": "#d9a066",
    "cw.demolition": "#a47148", "cw.renovation": "#e0b084", "cw.slurry": "#8d6e63"
  };
  function classColour(k) {
    if (CLASS_COLOURS[k]) return CLASS_COLOURS[k];
    let h = 0;
    for (const ch of k) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return SERIES_COLOURS[h % SERIES_COLOURS.length];
  }

  const state = {
    lang: "zh", config: null, today: null, alerts: null, vehicles: null,
    registry: null, trend: null, reach: "unknown",
    trendAt: 0, registryAt: 0, manifestNo: null
  };

  /* ---- words and numbers ---- */

  function dict() { return window.WT_I18N[state.lang]; }
  function t(key) { const d = dict(); return key in d ? d[key] : key; }
  function sub(table, code) {
    const d = dict()[table] || {};
    return code in d ? d[code] : code;
  }
  function num(v) { return typeof v === "number" && isFinite(v); }
  function tonnes(kg) {
    if (!num(kg)) return "—";
    const t1 = kg / 1000;
    return t1.toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", {
      minimumFractionDigits: 1, maximumFractionDigits: 1 }) + " " + t("tonnes");
  }
  function kgs(kg) {
    return num(kg) ? Math.round(kg).toLocaleString("en-GB") + " kg" : "—";
  }
  function pct(r) { return num(r) ? (r * 100).toFixed(1) + "%" : "—"; }
  function age(s) {
    if (!num(s) || s < 0) return t("never");
    const v = s < 60 ? Math.round(s) + (state.lang === "zh" ? "秒" : " s")
      : s < 3600 ? Math.round(s / 60) + (state.lang === "zh" ? "分钟" : " min")
      : (s / 3600).toFixed(1) + (state.lang === "zh" ? "小时" : " h");
    return state.lang === "zh" ? v + t("ago") : v + " " + t("ago");
  }
  /* "YYYY-MM-DD HH:MM[:SS]" in the city's offset (the daemon's
   * time.local_offset), else the browser's. */
  function when(ms, secs) {
    if (!num(ms)) return "—";
    const m = /^([+-])(\d\d):?(\d\d)$/.exec(
      (state.config && state.config.local_offset) || "");
    const off = m ? (m[1] === "-" ? -1 : 1) * (m[2] * 60 + +m[3])
      : -new Date(ms).getTimezoneOffset();
    return new Date(ms + off * 60000).toISOString()
      .slice(0, secs ? 19 : 16).replace("T", " ");
  }

  /* ---- DOM ---- */

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "class") e.className = attrs[k];
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    }
    for (const c of kids) {
      if (c === null || c === undefined) continue;
      e.append(typeof c === "object" ? c : String(c));
    }
    return e;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

  /* ---- fetching ---- */

  /* A request that does not answer within FETCH_MS counts as failed:
   * a daemon that stopped answering must turn the page to "unreachable",
   * not leave it waiting. */
  async function get(path) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), FETCH_MS);
    try {
      const r = await fetch(path, { headers: { Accept: "application/json" },
        cache: "no-store", credentials: "same-origin", signal: ctl.signal });
      if (r.status === 404 && path.startsWith("/api/v1/manifests/")) return null;
      if (!r.ok) throw new Error("HTTP " + r.status);
      return await r.json();
    } finally {
      clearTimeout(timer);
    }
  }
  function list(v, key) {
    if (Array.isArray(v)) return v;
    if (v && Array.isArray(v[key])) return v[key];
    return [];
  }
  function isoDay(d) { return d.toISOString().slice(0, 10); }
  function dayMinus(day, n) {
    const d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() - n);
    return isoDay(d);
  }

  /* Today's figures decide whether the daemon is reachable; the other
   * answers keep their last value when one fails (a slow indicator query
   * answered 503 leaves the trend as it was). */
  async function poll() {
    const now = Date.now();
    const keep = (p, old) => p.catch(() => old);
    try {
      const [today, alerts, vehicles] = await Promise.all([
        get("/api/v1/today"), keep(get("/api/v1/alerts"), state.alerts),
        keep(get("/api/v1/vehicles"), state.vehicles)]);
      state.today = today;
      state.alerts = alerts;
      state.vehicles = vehicles;
      state.reach = "ok";
      state.error = null;
    } catch (e) {
      state.reach = "down";
      /* An HTTP status says something (401: credentials); a refused
       * connection has no more to say than the banner. */
      state.error = e.name === "AbortError" ? t("timeout")
        : /^HTTP /.test(e.message) ? e.message : null;
    }
    if (state.reach === "ok" && (!state.config || now - state.registryAt > REGISTRY_MS)) {
      try {
        const [config, registry] = await Promise.all([
          get("/api/v1/config"), get("/api/v1/facilities")]);
        state.config = config;
        state.registry = registry;
        state.registryAt = now;
      } catch (e) { /* next round */ }
    }
    const day = state.today && state.today.day;
    if (state.reach === "ok" && day && (!state.trend || state.trend.to !== day ||
        now - state.trendAt > TREND_MS)) {
      const from = dayMinus(day, TREND_DAYS - 1);
      try {
        const ind = await get("/api/v1/indicators?from=" + from + "&to=" + day);
        state.trend = { from: from, to: day, data: ind };
        state.trendAt = now;
      } catch (e) { /* next round */ }
    }
    render();
  }

  function loop() {
    poll().finally(() => setTimeout(loop, POLL_MS));
  }

  /* ---- today ---- */

  /* /api/v1/today has /status's `city` figures; tolerate them nested. */
  function cityOf(today) { return (today && (today.city || today)) || {}; }
  function districtRows(c) { return list(c.districts, "districts"); }

  function renderHealth() {
    const today = state.today || {};
    const hb = $("health"), banner = $("banner");
    let st, text, msg = null;
    if (state.reach === "down") {
      st = "down"; text = t("unreachable");
      msg = t("banner_unreachable") + (state.error ? " (" + state.error + ")" : "");
    } else if (state.reach === "unknown") {
      st = "unknown"; text = t("loading");
    } else if (today.healthy === false) {
      st = "bad"; text = t("unhealthy");
      const why = today.health_reason || "";
      const words = sub("reasons", why);
      msg = t("banner_unhealthy") + (words !== why ? words + " (" + why + ")" : why);
    } else {
      st = "ok"; text = t("healthy");
    }
    hb.dataset.state = st;
    hb.textContent = text;
    document.body.dataset.health = st;
    banner.hidden = msg === null;
    banner.textContent = msg || "";
    /* The ages are the daemon's at its last answer, whose time is shown
     * too: when it stops answering, they visibly stop. */
    $("fresh").textContent = t("last_message") + " " +
      age(today.last_message_age_s) + " · " + t("last_commit") + " " +
      age(today.last_commit_age_s) + " · " + t("updated") + " " +
      when(today.now_ms, true).slice(11);
    $("day").textContent = cityOf(today).day || "";
  }

  function cityRow(c) {
    return districtRows(c).find(d => d.district === CITY) || {};
  }

  function kpi(key, value, cls) {
    return el("div", { class: "kpi " + (cls || ""), "data-kpi": key },
      el("div", { class: "label" }, t(key)), el("div", { class: "value" }, value));
  }

  function renderKpis() {
    const c = cityOf(state.today), row = cityRow(c);
    const target = state.config ? state.config.recycling_target : null;
    clear($("kpis")).append(
      kpi("collected", tonnes(row.collected_kg)),
      kpi("recycling", pct(row.recycling_rate),
        num(target) && num(row.recycling_rate)
          ? (row.recycling_rate >= target ? "good" : "bad") : ""),
      kpi("harmless", pct(row.harmless_rate)),
      kpi("closure", pct(row.manifest_closure_rate)),
      kpi("discrepancies", num(c.discrepancies) ? c.discrepancies : "—",
        c.discrepancies > 0 ? "bad" : ""),
      kpi("overdue", num(c.overdue_manifests) ? c.overdue_manifests : "—",
        c.overdue_manifests > 0 ? "bad" : ""),
      kpi("open_manifests", num(c.open_manifests) ? c.open_manifests : "—"),
      kpi("clearance", pct(row.clearance_rate)));
    /* Tonnage by class over every district (transfer stations excluded
     * by the daemon already). */
    const by = {};
    for (const x of list(c.tonnage, "tonnage"))
      if (num(x.kg)) by[x.waste] = (by[x.waste] || 0) + x.kg;
    const classes = Object.keys(by).sort((a, b) => by[b] - by[a]);
    const max = Math.max(1, ...classes.map(k => by[k]));
    const box = clear($("classes"));
    if (!classes.length) box.append(el("div", { class: "empty-note" }, t("no_data")));
    for (const k of classes) {
      const fill = el("div", { class: "fill" });
      fill.style.width = (100 * by[k] / max).toFixed(1) + "%";
      fill.style.background = classColour(k);
      box.append(el("div", { class: "bar", "data-class": k },
        el("span", null, sub("cls", k)), el("div", { class: "track" }, fill),
        el("span", { class: "num" }, tonnes(by[k]))));
    }
  }

  function renderDistricts() {
    const c = cityOf(state.today);
    const rows = districtRows(c).slice().sort((a, b) =>
      (a.district === CITY) - (b.district === CITY) ||
      a.district.localeCompare(b.district, "zh-CN"));
    const tb = clear($("districts").tBodies[0]);
    for (const d of rows) {
      tb.append(el("tr", { class: d.district === CITY ? "city" : "",
        "data-district": d.district },
        el("td", null, d.district === CITY ? t("city_row") : d.district),
        el("td", null, tonnes(d.collected_kg)),
        el("td", null, pct(d.recycling_rate)),
        el("td", null, pct(d.harmless_rate)),
        el("td", null, pct(d.manifest_closure_rate)),
        el("td", null, pct(d.clearance_rate)),
        el("td", { class: d.discrepancy_rate > 0 ? "bad" : "" }, pct(d.discrepancy_rate)),
        el("td", { class: d.overdue_manifests > 0 ? "bad" : "" },
          num(d.overdue_manifests) ? d.overdue_manifests : "—")));
    }
    if (!rows.length)
      tb.append(el("tr", null, el("td", { colspan: 8 }, t("no_data"))));
    renderDistrictClasses(c);
  }

  /* Each district's tonnage by class as one stacked bar, the longest
   * district's bar full width, so that districts compare at a glance. */
  function renderDistrictClasses(c) {
    const by = {}, classes = new Set();
    for (const x of list(c.tonnage, "tonnage")) {
      if (!num(x.kg) || x.district === CITY) continue;
      (by[x.district] = by[x.district] || {})[x.waste] =
        (by[x.district][x.waste] || 0) + x.kg;
      classes.add(x.waste);
    }
    const total = d => Object.values(by[d]).reduce((a, b) => a + b, 0);
    const districts = Object.keys(by).sort((a, b) => a.localeCompare(b, "zh-CN"));
    const max = Math.max(1, ...districts.map(total));
    const order = [...classes].sort();
    const box = clear($("district-classes"));
    for (const d of districts) {
      const bar = el("div", { class: "stack" });
      for (const k of order) {
        if (!by[d][k]) continue;
        const seg = el("span", { class: "seg", "data-class": k, "data-kg": by[d][k],
          title: sub("cls", k) + " " + tonnes(by[d][k]) });
        seg.style.width = (100 * by[d][k] / max).toFixed(2) + "%";
        seg.style.background = classColour(k);
        bar.append(seg);
      }
      box.append(el("div", { class: "stackrow", "data-district": d },
        el("span", null, d), bar, el("span", { class: "num" }, tonnes(total(d)))));
    }
    const lg = clear($("district-classes-legend"));
    for (const k of order) {
      const sp = el("span", { class: "lg series" }, sub("cls", k));
      sp.style.color = classColour(k);
      lg.append(sp);
    }
  }

  /* ---- alerts and discrepancies ---- */

  /* Open alerts (GET /api/v1/alerts) and today's open discrepancies and
   * overdue manifests, one line each; a line that names a manifest opens
   * its history. An alert about a manifest is not listed twice. */
  function renderAlerts() {
    const c = cityOf(state.today), ul = clear($("alerts"));
    const seen = new Set(), items = [];
    for (const a of list(state.alerts, "alerts")) {
      const no = (a.evidence && a.evidence.manifest_no) || null;
      if (no) seen.add(no);
      items.push({ sev: a.severity || "warning", label: sub("kinds", a.kind),
        subject: a.subject, district: a.district, ms: a.opened_ms, no: no });
    }
    for (const [key, verdict] of [["open_discrepancies", "discrepancy"],
                                  ["overdue", "overdue"]]) {
      for (const m of list(c[key], key)) {
        if (seen.has(m.manifest_no)) continue;
        seen.add(m.manifest_no);
        items.push({ sev: "warning", label: sub("verdicts", verdict),
          subject: m.manifest_no, district: null, ms: m.departed_ms,
          no: m.manifest_no, extra: num(m.diff_pct) ? m.diff_pct.toFixed(1) + "%" : null });
      }
    }
    items.sort((a, b) => (b.ms || 0) - (a.ms || 0));
    for (const it of items) {
      const body = [el("span", { class: "sev " + it.sev }, it.label),
        el("span", null, it.subject + (it.district ? " · " + it.district : "") +
          (it.extra ? " · " + it.extra : "")),
        el("span", { class: "when" }, when(it.ms))];
      ul.append(el("li", null, it.no
        ? el("button", { type: "button", "data-manifest": it.no,
            onclick: () => openManifest(it.no) }, ...body)
        : el("div", { class: "items-row" }, ...body)));
    }
    if (!items.length) ul.append(el("li", { class: "empty-note" }, t("no_alerts")));
  }

  /* ---- one manifest's life ---- */

  async function openManifest(no) {
    const dlg = $("manifest"), body = clear($("manifest-body"));
    state.manifestNo = no;
    body.append(el("p", null, t("loading")));
    if (!dlg.open) dlg.showModal();
    let m;
    try {
      m = await get("/api/v1/manifests/" + encodeURIComponent(no));
    } catch (e) {
      m = undefined;
    }
    if (state.manifestNo !== no) return;
    clear(body);
    if (m === undefined) { body.append(el("p", null, t("unreachable"))); return; }
    if (m === null) { body.append(el("p", null, t("not_found") + " " + no)); return; }
    renderManifest(body, m);
  }

  function table(head, rows) {
    return el("table", null,
      el("thead", null, el("tr", null, ...head.map(h => el("th", null, t(h))))),
      el("tbody", null, ...rows.map(r => el("tr", null, ...r.map(v => el("td", null, v))))));
  }

  /* GET /api/v1/manifests/{no}: one block per scheme using the number
   * (current row and verdict), then every version received and the
   * tickets linked or named. */
  function renderManifest(body, m) {
    const verdicts = list(m.verdicts, "verdicts");
    body.append(el("h2", null, t("manifest") + " " + m.manifest_no));
    for (const cur of list(m.manifests, "manifests")) {
      const rec = verdicts.find(v => v.scheme === cur.scheme) || {};
      const verdict = rec.verdict || "";
      body.append(el("dl", { "data-scheme": cur.scheme },
        el("dt", null, t("status")), el("dd", null,
          sub("statuses", cur.status) + " (" + t("version") + " " + cur.version + ")"),
        el("dt", null, t("plate")), el("dd", null, cur.plate || "—"),
        el("dt", null, t("generator")), el("dd", null,
          [cur.generator_name, cur.generator_code, cur.generator_district].filter(Boolean).join(" · ") || "—"),
        el("dt", null, t("receiver")), el("dd", null,
          [cur.receiver_name, cur.receiver_facility].filter(Boolean).join(" · ") || "—"),
        el("dt", null, t("declared")), el("dd", null, kgs(rec.declared_kg ?? cur.declared_kg)),
        el("dt", null, t("received")), el("dd", null, kgs(rec.received_kg)),
        el("dt", null, t("diff")), el("dd", null,
          num(rec.diff_pct) ? rec.diff_pct.toFixed(1) + "%" : "—"),
        el("dt", null, t("verdict")), el("dd", { class: "verdict " + verdict,
          "data-verdict": verdict }, verdict ? sub("verdicts", verdict) : "—"),
        el("dt", null, t("why")), el("dd", { class: "why" }, rec.why || "—")));
    }
    const versions = list(m.versions, "versions");
    body.append(el("h3", null, t("versions")), table(
      ["version", "status", "time", "applied"],
      versions.map(v => [v.version, sub("statuses", v.status), when(v.ts_ms),
        v.applied ? "✓" : "✗"])));
    const links = list(m.links, "links");
    body.append(el("h3", null, t("tickets")), table(
      ["facility", "ticket", "plate", "net", "method", "allocation"],
      links.map(k => [k.facility, k.ticket, k.plate || "—", kgs(k.net_kg),
        k.method || t("not_linked"), kgs(k.allocated_kg)])));
  }

  /* ---- trends ---- */

  function trendRows() {
    return state.trend ? list(state.trend.data, "days") : [];
  }

  function days() {
    const out = [];
    if (!state.trend) return out;
    for (let i = TREND_DAYS - 1; i >= 0; i--) out.push(dayMinus(state.trend.to, i));
    return out;
  }

  /* A line chart of series {name, colour, values[day index]} with an
   * optional horizontal target line (a fraction when pctAxis). */
  function lineChart(node, series, opts) {
    const box = node.getAttribute("viewBox").split(" ");
    const W = +box[2], H = +box[3];
    const L = 44, R = 8, T = 10, B = 22, ds = days();
    clear(node);
    const vals = series.flatMap(s => s.values.filter(num));
    if (opts.target !== undefined && num(opts.target)) vals.push(opts.target);
    if (!vals.length || !ds.length) {
      node.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle",
        class: "nodata" }, t("no_data")));
      return;
    }
    /* Four steps of a round size (1, 2 or 5 times a power of ten; tonnes
     * or whole percents) above the largest value. */
    const unit = opts.pct ? 0.01 : 1000;
    const top = Math.max(...vals) / unit || 1;
    const p10 = Math.pow(10, Math.floor(Math.log10(top / 4)));
    const step = [1, 2, 5, 10].map(m => m * p10).find(v => v * 4 >= top) * unit;
    const max = opts.pct ? Math.min(1, step * 4) : step * 4;
    const x = i => L + (W - L - R) * (ds.length > 1 ? i / (ds.length - 1) : 0.5);
    const y = v => T + (H - T - B) * (1 - v / max);
    for (let k = 0; k <= 4; k++) {
      const v = max * k / 4;
      node.append(svg("line", { class: "axis", x1: L, x2: W - R, y1: y(v), y2: y(v) }),
        svg("text", { class: "tick", x: L - 6, y: y(v) + 4, "text-anchor": "end" },
          opts.pct ? +(v * 100).toFixed(1) + "%" : +(v / 1000).toFixed(1)));
    }
    for (let i = ds.length - 1; i >= 0; i -= 7)
      node.append(svg("text", { class: "tick", x: x(i), y: H - 6,
        "text-anchor": i === ds.length - 1 ? "end" : "middle" },
        ds[i].slice(5)));
    if (num(opts.target)) {
      node.append(svg("line", { class: "target", x1: L, x2: W - R,
        y1: y(opts.target), y2: y(opts.target), "data-target": opts.target }),
        svg("text", { class: "target-label", x: W - R - 4, y: y(opts.target) - 5,
          "text-anchor": "end" }, t("target") + " " + pct(opts.target)));
    }
    for (const s of series) {
      let d = "", pen = false;
      s.values.forEach((v, i) => {
        if (!num(v)) { pen = false; return; }
        d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        pen = true;
      });
      if (d) node.append(svg("path", { class: "series", d: d, stroke: s.colour,
        "data-series": s.name }));
      s.values.forEach((v, i) => {
        if (num(v)) node.append(svg("circle", { cx: x(i), cy: y(v), r: 3,
          fill: s.colour }));
      });
    }
  }

  function renderTrends() {
    const ds = days(), idx = new Map(ds.map((d, i) => [d, i]));
    const rows = trendRows();
    /* Tonnage by class per day from the city's rows: household,
     * construction, hazardous, medical, other. A day without a row had no
     * data: no point is drawn (not a zero). A class never above zero in
     * the 30 days is left out. */
    const classes = ["msw_kg", "cw_kg", "hw_kg", "mw_kg", "other_kg"];
    const byClass = {};
    for (const k of classes) byClass[k] = new Array(ds.length).fill(null);
    const rate = new Array(ds.length).fill(null);
    for (const r of rows) {
      if (r.district !== CITY || !idx.has(r.day)) continue;
      const i = idx.get(r.day);
      rate[i] = r.recycling_rate;
      for (const k of classes) byClass[k][i] = r[k];
    }
    const series = classes.filter(k => byClass[k].some(v => num(v) && v > 0))
      .map(k => ({ name: k, label: sub("cls", k),
        colour: SERIES_COLOURS[classes.indexOf(k)], values: byClass[k] }));
    lineChart($("trend-tonnage"), series, {});
    const lg = clear($("trend-tonnage-legend"));
    for (const s of series) {
      const sp = el("span", { class: "lg series" }, s.label);
      sp.style.color = s.colour;
      lg.append(sp);
    }
    lineChart($("trend-recycling"), [{ name: "recycling", colour: SERIES_COLOURS[1],
      values: rate }], { pct: true, target: state.config ? state.config.recycling_target : null });
  }

  /* ---- map ---- */

  /* Web Mercator in metres, so that tiles (when configured) line up. */
  const R_EARTH = 6378137;
  function merc(lat, lon) {
    const phi = Math.max(-85, Math.min(85, lat)) * Math.PI / 180;
    return [R_EARTH * lon * Math.PI / 180,
      R_EARTH * Math.log(Math.tan(Math.PI / 4 + phi / 2))];
  }

  /* A polygon fence's rings: the outline, then its holes. */
  function fenceRings(f) {
    const fence = f.fence || {};
    if (fence.kind !== "polygon" || !Array.isArray(fence.polygon)) return [];
    return [fence.polygon].concat(fence.holes || []);
  }

  function renderMap() {
    const node = clear($("map"));
    const W = 800, H = 560, PAD = 40;
    const reg = state.registry || {};
    /* Facilities are few and named on the map; generators (a city has
     * hundreds) get a smaller mark and their name only on hover. */
    const facs = new Set(list(reg.facilities, "facilities"));
    const sites = list(reg.facilities, "facilities").concat(list(reg.generators, "generators"))
      .filter(f => num(f.lat) && num(f.lon));
    const trucks = list(state.vehicles, "vehicles").filter(v => num(v.lat) && num(v.lon));
    const pts = [];
    for (const f of sites) {
      pts.push([f.lat, f.lon]);
      for (const ring of fenceRings(f)) for (const p of ring) pts.push(p);
    }
    for (const v of trucks) pts.push([v.lat, v.lon]);
    node.append(svg("rect", { class: "land", x: 0, y: 0, width: W, height: H }));
    if (!pts.length) {
      node.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle",
        class: "nodata", fill: "#8ea0b2" }, t("no_data")));
      return;
    }
    const ms = pts.map(p => merc(p[0], p[1]));
    let x0 = Math.min(...ms.map(p => p[0])), x1 = Math.max(...ms.map(p => p[0]));
    let y0 = Math.min(...ms.map(p => p[1])), y1 = Math.max(...ms.map(p => p[1]));
    /* Circles reach beyond their centre; and at least 2 km across. */
    const padM = Math.max(500, ...sites.map(f => ((f.fence || {}).radius_m || 0) * 1.5));
    x0 -= padM; x1 += padM; y0 -= padM; y1 += padM;
    const span = Math.max(x1 - x0, (y1 - y0) * W / H, 2000);
    const k = (W - 2 * PAD) / span; /* px per Mercator metre */
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    const P = (lat, lon) => {
      const m = merc(lat, lon);
      return [W / 2 + (m[0] - cx) * k, H / 2 - (m[1] - cy) * k];
    };
    if (state.config && state.config.tile_url) drawTiles(node, k, cx, cy, W, H);
    for (let gx = 0; gx <= W; gx += 80)
      node.append(svg("line", { class: "grid", x1: gx, x2: gx, y1: 0, y2: H }));
    for (let gy = 0; gy <= H; gy += 80)
      node.append(svg("line", { class: "grid", x1: 0, x2: W, y1: gy, y2: gy }));
    /* Ground metres per Mercator metre at the centre. */
    const latC = (2 * Math.atan(Math.exp(cy / R_EARTH)) - Math.PI / 2);
    const ground = Math.cos(latC);
    for (const f of sites) {
      const fence = f.fence || {};
      const [px, py] = P(f.lat, f.lon);
      const g = svg("g", { class: "site", "data-id": f.id, "data-kind": f.kind || "" });
      if (fence.kind === "circle" && num(fence.radius_m) && fence.radius_m > 0)
        g.append(svg("circle", { class: "fence", cx: px, cy: py, r: fence.radius_m / ground * k }));
      for (const ring of fenceRings(f))
        g.append(svg("polygon", { class: "fence",
          points: ring.map(p => P(p[0], p[1]).map(v => v.toFixed(1)).join(",")).join(" ") }));
      if (facs.has(f))
        g.append(svg("rect", { class: "fac", x: px - 5, y: py - 5, width: 10, height: 10 }),
          svg("text", { class: "fac-label", x: px + 8, y: py + 4 }, f.name || f.id));
      else
        g.append(svg("rect", { class: "gen", x: px - 3, y: py - 3, width: 6, height: 6 }));
      g.append(svg("title", {}, (f.name || f.id) + " · " + (f.kind || "") + " · " + (f.district || "")));
      node.append(g);
    }
    /* Plates beside the dots while they can be read. */
    const labels = trucks.length <= MAX_LABELS;
    for (const v of trucks) {
      const [px, py] = P(v.lat, v.lon);
      /* Stored as empty, half or full (docs/schema.md): half counts as loaded. */
      const ls = v.load_state === "empty" ? "empty"
        : ["full", "half", "loaded"].includes(v.load_state) ? "loaded" : "unknown";
      const cls = "truck " + ls + (v.stale ? " stale" : "");
      const name = v.plate || v.vehicle;
      const g = svg("g", { class: "vehicle", "data-plate": name, "data-load": ls,
        "data-stale": v.stale ? "1" : "0" });
      g.append(svg("circle", { class: cls, cx: px, cy: py, r: labels ? 8 : 4 }));
      if (labels)
        g.append(svg("text", { class: "truck-label" + (v.stale ? " stale" : ""),
          x: px + 11, y: py - 8 }, name));
      g.append(svg("title", {}, name + " · " + t(ls === "unknown" ? "no_data" : ls) +
          (v.stale ? " · " + t("stale") : "") + " · " + when(v.ts_ms)));
      node.append(g);
    }
    drawScale(node, k * ground === 0 ? 1 : k / ground, W, H);
  }

  /* A scale bar of a round length near a fifth of the width. pxPerM:
   * screen pixels per ground metre at the centre. */
  function drawScale(node, pxPerM, W, H) {
    const want = W / 5 / pxPerM;
    const p10 = Math.pow(10, Math.floor(Math.log10(want)));
    const len = [1, 2, 5, 10].map(m => m * p10).filter(v => v <= want).pop() || p10;
    const px = len * pxPerM, x = 16, y = H - 18;
    const g = svg("g", { class: "scale", "data-metres": len });
    g.append(svg("line", { x1: x, x2: x + px, y1: y, y2: y }),
      svg("line", { x1: x, x2: x, y1: y - 6, y2: y + 1 }),
      svg("line", { x1: x + px, x2: x + px, y1: y - 6, y2: y + 1 }),
      svg("text", { x: x + px + 8, y: y + 4 }, len >= 1000 ? len / 1000 + " km" : len + " m"));
    node.append(g);
  }

  /* Slippy-map tiles ({z}/{x}/{y}, {s} a subdomain a, b or c) under the
   * drawing, only when the configuration names a tile server (the CSP
   * allows its origin). */
  function drawTiles(node, k, cx, cy, W, H) {
    const url = state.config.tile_url, world = 2 * Math.PI * R_EARTH;
    const z = Math.max(0, Math.min(19, Math.round(Math.log2(k * world / 256))));
    const n = Math.pow(2, z), tileM = world / n, tpx = tileM * k;
    const mx0 = cx - W / 2 / k, mx1 = cx + W / 2 / k;
    const my0 = cy - H / 2 / k, my1 = cy + H / 2 / k;
    const tx = m => Math.floor((m + world / 2) / tileM);
    const ty = m => Math.floor((world / 2 - m) / tileM);
    for (let x = tx(mx0); x <= tx(mx1); x++) {
      for (let y = ty(my1); y <= ty(my0); y++) {
        if (x < 0 || y < 0 || x >= n || y >= n) continue;
        const left = W / 2 + (x * tileM - world / 2 - cx) * k;
        const top = H / 2 - (world / 2 - y * tileM - cy) * k;
        node.append(svg("image", { href: url.replace("{s}", "abc"[(x + y) % 3])
          .replace("{z}", z).replace("{x}", x).replace("{y}", y),
          x: left, y: top, width: tpx, height: tpx }));
      }
    }
  }

  /* ---- everything ---- */

  function applyWords() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
    $("lang").textContent = state.lang === "zh" ? "English" : "中文";
  }

  /* Redraw a part only when what it shows changed: a list being clicked
   * is not replaced under the pointer every 5 s, and a city's worth of
   * SVG is not rebuilt for nothing. */
  const drawn = {};
  function changed(part, data) {
    const sig = state.lang + JSON.stringify(data);
    if (drawn[part] === sig) return false;
    drawn[part] = sig;
    return true;
  }

  function render() {
    renderHealth();
    if (state.today) {
      const c = cityOf(state.today);
      renderKpis();
      renderDistricts();
      if (changed("alerts", [state.alerts, c.open_discrepancies, c.overdue]))
        renderAlerts();
    }
    if (changed("trends", [state.trend, state.config]))
      renderTrends();
    if (changed("map", [state.vehicles && state.vehicles.vehicles,
                        state.registry, state.config]))
      renderMap();
    const v = state.config && state.config.version;
    $("version").textContent = v ? "wastetrack " + v : "";
    document.body.dataset.polls = (+(document.body.dataset.polls || 0) + 1);
    /* When the first figures are on the screen (tools/bench/page). */
    if (state.today && !performance.getEntriesByName("wt-figures").length)
      performance.mark("wt-figures");
  }

  function init() {
    try {
      const saved = localStorage.getItem("wt.lang");
      if (saved === "en" || saved === "zh") state.lang = saved;
    } catch (e) { /* storage off: Chinese */ }
    applyWords();
    $("lang").addEventListener("click", () => {
      state.lang = state.lang === "zh" ? "en" : "zh";
      try { localStorage.setItem("wt.lang", state.lang); } catch (e) { /* session only */ }
      applyWords();
      render();
      if ($("manifest").open && state.manifestNo) openManifest(state.manifestNo);
    });
    loop();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
