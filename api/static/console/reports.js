// The KPI page: a Jalali date range, figure cards, and charts drawn here as SVG (no chart library, no CDN).
"use strict";

(() => {
  const { api, el, fill, fa, percent, duration, toast } = P;
  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function jalaliInput(iso) {
    return fa(iso.replaceAll("-", "/"));
  }

  function card(label, value, note) {
    return el("div", { class: "card" }, el("div", { class: "card-label" }, label),
      el("div", { class: "card-value" }, value), note ? el("div", { class: "card-note" }, note) : null);
  }

  function times(t) {
    return t.count ? "میانه " + duration(t.median_s) : "—";
  }

  function timesNote(t) {
    return t.count ? "صدک ۹۰: " + duration(t.p90_s) + " · " + fa(t.count) + " مورد" : "داده‌ای نیست";
  }

  function cards(totals) {
    const c = totals.csat;
    fill(document.getElementById("cards"),
      card("گفتگوها", fa(totals.conversations), fa(totals.handed_over) + " واگذار شده"),
      card("مهار ربات", percent(totals.containment_rate), fa(totals.contained) + " گفتگو بدون کارشناس"),
      card("نرخ واگذاری", percent(totals.handoff_rate)),
      card("زمان اولین پاسخ", times(totals.first_response), timesNote(totals.first_response)),
      card("زمان حل", times(totals.resolution), timesNote(totals.resolution)),
      card("رضایت (۴ و ۵)", percent(c.share),
        c.count ? fa(c.count) + " پاسخ · میانگین " + fa(c.average) + " از ۵" : "پاسخی نیست"));
  }

  // Horizontal bars, labels on the right. SVG text inherits the page's right-to-left direction, so
  // text-anchor "start" is a text's right edge: labels and values both grow leftwards from x.
  function hbars(box, rows, empty) {
    if (!rows.length) {
      fill(box, el("p", { class: "muted" }, empty));
      return;
    }
    const width = 520, labelWidth = 120, valueWidth = 130, bar = 22, gap = 10;
    const height = rows.length * (bar + gap) + gap;
    const max = Math.max(...rows.map((r) => r.value), 1);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "svg" });
    rows.forEach((r, i) => {
      const y = gap + i * (bar + gap);
      const right = width - labelWidth;
      const length = Math.max(2, (r.value / max) * (right - valueWidth));
      chart.append(svg("text", { x: width - 4, y: y + bar * 0.7, "text-anchor": "start", class: "label" }, r.label));
      chart.append(svg("rect", { x: right - length, y, width: length, height: bar, rx: 3, class: "bar" }));
      chart.append(svg("text", { x: right - length - 6, y: y + bar * 0.7, "text-anchor": "start", class: "value" },
        r.text));
    });
    fill(box, chart);
  }

  // Conversations per day (light) with the handed-over part (dark), newest day on the left.
  function dayBars(box, days) {
    const width = 900, height = 220, bottom = 28, top = 18, side = 40;
    const max = Math.max(...days.map((d) => d.conversations), 1);
    const step = (width - 2 * side) / days.length;
    const barWidth = Math.max(2, step * 0.7);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "svg" });
    const scale = (v) => ((height - top - bottom) * v) / max;
    chart.append(svg("line", { x1: side, x2: width - side, y1: height - bottom, y2: height - bottom, class: "axis" }));
    chart.append(svg("text", { x: width - 4, y: top + 4, class: "value", "text-anchor": "start" }, fa(max)));
    const labelEvery = Math.ceil(days.length / 15);
    days.forEach((d, i) => {
      const x = width - side - (i + 1) * step + (step - barWidth) / 2;
      const all = scale(d.conversations), handed = scale(d.handed_over);
      const title = svg("title", {}, d.day_jalali + ": " + d.conversations + " / " + d.handed_over);
      const rect = svg("rect", { x, y: height - bottom - all, width: barWidth, height: all, class: "bar light" });
      rect.append(title);
      chart.append(rect);
      chart.append(svg("rect", { x, y: height - bottom - handed, width: barWidth, height: handed, class: "bar" }));
      if (i % labelEvery === 0) {
        chart.append(svg("text", { x: x + barWidth / 2, y: height - 8, "text-anchor": "middle", class: "tick" },
          fa(Number(d.day_jalali.slice(8))) + "/" + fa(Number(d.day_jalali.slice(5, 7)))));
      }
    });
    const legend = el("p", { class: "legend" }, el("span", { class: "key light" }), " همهٔ گفتگوها  ",
      el("span", { class: "key" }), " واگذارشده به کارشناس");
    fill(box, chart, legend);
  }

  function table(id, head, rows) {
    fill(document.getElementById(id), el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.length ? rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))
        : el("tr", {}, el("td", { colspan: head.length, class: "muted" }, "داده‌ای نیست"))));
  }

  function render(report) {
    const p = report.period;
    document.getElementById("from").value = jalaliInput(p.from_jalali);
    document.getElementById("to").value = jalaliInput(p.to_jalali);
    document.getElementById("period").textContent = "از " + jalaliInput(p.from_jalali) + " تا " +
      jalaliInput(p.to_jalali) + " (روزها به وقت تهران)";
    cards(report.totals);
    hbars(document.getElementById("chart-channels"), report.by_channel.map((c) => ({
      label: P.CHANNELS[c.channel] || c.channel, value: c.conversations,
      text: fa(c.conversations) + " (واگذاری " + percent(c.handoff_rate) + ")",
    })), "گفتگویی در این بازه نیست.");
    hbars(document.getElementById("chart-reasons"), report.handoff_reasons.map((r) => ({
      label: P.reason(r.reason), value: r.count, text: fa(r.count) + " (" + percent(r.share) + ")",
    })), "واگذاری‌ای در این بازه نیست.");
    dayBars(document.getElementById("chart-days"), report.per_day);
    table("days-table", ["روز", "گفتگو", "واگذاری", "اولین پاسخ (میانه)", "زمان حل (میانه)", "رضایت"],
      report.per_day.filter((d) => d.conversations || d.first_response.count || d.csat.count).map((d) => [
        jalaliInput(d.day_jalali), fa(d.conversations), fa(d.handed_over), duration(d.first_response.median_s),
        duration(d.resolution.median_s), d.csat.count ? percent(d.csat.share) + " از " + fa(d.csat.count) : "—",
      ]));
    table("agents-table", ["کارشناس", "اولین پاسخ", "میانه / صدک ۹۰", "حل‌شده", "میانه / صدک ۹۰", "رضایت"],
      report.per_agent.map((a) => [
        a.name, fa(a.first_response.count),
        duration(a.first_response.median_s) + " / " + duration(a.first_response.p90_s),
        fa(a.resolution.count), duration(a.resolution.median_s) + " / " + duration(a.resolution.p90_s),
        a.csat.count ? percent(a.csat.share) + " از " + fa(a.csat.count) : "—",
      ]));
  }

  async function load(from, to) {
    const query = new URLSearchParams();
    if (from) query.set("from", from);
    if (to) query.set("to", to);
    try {
      render(await api("GET", "/api/v1/reports/summary?" + query.toString()));
      history.replaceState(null, "", query.toString() ? "?" + query.toString() : location.pathname);
    } catch (e) {
      toast(e.message, "error");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const params = new URLSearchParams(location.search);
    load(params.get("from"), params.get("to"));
    document.getElementById("range").addEventListener("submit", (e) => {
      e.preventDefault();
      load(document.getElementById("from").value.trim(), document.getElementById("to").value.trim());
    });
  });
})();
