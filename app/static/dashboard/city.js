/* 市级看板 — the city's view: each district a row, the city's totals and 12-month trends.
 * Vanilla JavaScript, no library, no CDN; the same login and tokens as the district dashboard
 * (sessionStorage, refresh-token renewal). Aggregates only: no record is linked or opened.
 * All text set with textContent (never innerHTML). */
"use strict";

(function () {
  const { API, $, zhOf, el, pct, num, money } = window.DashboardCommon;
  const REFRESH_MS = 60 * 1000;
  const CITY_ROLES = ["city_admin", "city_viewer"];
  const ZH = { category: zhOf("category"), classification: zhOf("classification") };

  const state = { tokens: null, me: null, summary: null, timer: null, monthChosen: false };
  const { api, showLogin, showBoard, boot, loadSummary } = window.DashboardCommon.session(state, start);

  // ---------------------------------------------------------------- login

  async function start() {
    state.me = await api(API + "/auth/me");
    if (state.me.kind !== "user" || !CITY_ROLES.includes(state.me.role)) {
      showLogin("当前账户无权查看市级看板（区级账户请使用运营看板）");
      return;
    }
    showBoard();
    await load();
    clearInterval(state.timer);
    state.timer = setInterval(load, REFRESH_MS);
  }

  // ---------------------------------------------------------------- loading and rendering

  const load = () => loadSummary("/city/dashboard", render);

  function render(s) {
    $("scope-name").textContent = s.city.name + " · " + s.month;
    if (!state.monthChosen) $("month").value = s.month;
    renderHeadline(s.totals);
    renderDistricts(s);
    renderTrends(s.trends);
  }

  const HEADLINE = [
    ["children.total", "全市困境儿童", "int"],
    ["visits.ratio", "本月探访覆盖率", "ratio"],
    ["incidents.open", "在办强制报告", "int"],
    ["incidents.reported", "本月强制报告", "int"],
    ["screening.records", "摸排儿童", "int"],
    ["spending.spent", "本年保障支出", "money"],
  ];

  const pick = (obj, path) => path.split(".").reduce((o, k) => (o === null || o === undefined ? o : o[k]), obj);

  function renderHeadline(totals) {
    const box = $("headline");
    box.textContent = "";
    for (const [path, label, kind] of HEADLINE) {
      const v = pick(totals, path);
      const text = kind === "ratio" ? pct(v) : kind === "money" ? money(v) : num(v);
      box.append(el("div", { class: "metric", "data-metric": path, "data-value": v === null ? "" : String(v) },
        el("div", { class: "label", text: label }), el("div", { class: "value", text })));
    }
  }

  function table(id, head, rows, attrs) {
    const t = $(id);
    t.textContent = "";
    const thead = el("tr", {}, ...head.map((h, i) => el("th", { class: i ? "num" : null, text: h })));
    t.append(el("thead", {}, thead));
    const body = el("tbody");
    rows.forEach((r, k) => body.append(el("tr", (attrs && attrs[k]) || {},
      ...r.map((c, i) => el("td", { class: i ? "num" : null, text: String(c) })))));
    t.append(body);
  }

  function renderDistricts(s) {
    const cats = Object.keys(ZH.category).length ? Object.keys(ZH.category) : Object.keys(s.totals.children.by_category);
    const head = ["区", "困境儿童", ...cats.map((c) => ZH.category[c] || c), "应探访", "已探访", "覆盖率",
      "本月报告", "在办事件", "摸排儿童", "本年支出"];
    const line = (d) => [d.name, num(d.children.total), ...cats.map((c) => num(d.children.by_category[c] || 0)),
      num(d.visits.due), num(d.visits.visited), pct(d.visits.ratio), num(d.incidents.reported),
      num(d.incidents.open), num(d.screening.records), money(d.spending.spent)];
    const rows = s.districts.map(line);
    const attrs = s.districts.map((d) => ({ "data-district": d.code }));
    rows.push(line(Object.assign({}, s.totals, { name: "全市合计" })));
    attrs.push({ "data-district": "total", class: "total" });
    table("districts-table", head, rows, attrs);
    const u = s.unplaced;
    $("unplaced-note").textContent = u.children.total || u.incidents.open
      ? `未归属任何区的：机构养育儿童 ${num(u.children.total)} 人，无地点的在办事件 ${num(u.incidents.open)} 件（已计入全市合计）。`
      : "";
  }

  function columns(id, months, values, top, title) {
    const box = $(id);
    box.textContent = "";
    const max = Math.max(1e-9, ...values.map((v) => Number(v) || 0));
    months.forEach((m, i) => {
      const col = el("div", { class: "col", "data-month": m, title: title(i) });
      const bar = el("div", { class: "stack" });
      const part = el("span", { class: "seg s-ok" });
      part.style.height = (((Number(values[i]) || 0) / max) * 100).toFixed(2) + "%";
      bar.append(part);
      col.append(el("span", { class: "top", text: top(i) }), bar, el("span", { class: "month", text: Number(m.slice(5)) + "月" }));
      box.append(col);
    });
  }

  function renderTrends(t) {
    const months = t.months;
    const cov = t.visit_coverage;
    columns("trend-coverage-chart", months, cov.map((p) => p.ratio || 0),
      (i) => (cov[i].ratio === null ? "—" : Math.round(cov[i].ratio * 100) + "%"),
      (i) => `${months[i]} 覆盖率 ${pct(cov[i].ratio)}（${cov[i].visited}/${cov[i].due}）`);
    table("trend-coverage-table", ["月份", "应探访", "已探访", "覆盖率"],
      months.map((m, i) => [m, num(cov[i].due), num(cov[i].visited), pct(cov[i].ratio)]));
    const cats = Object.keys(t.ledger_by_category);
    const size = (i) => cats.reduce((sum, c) => sum + (t.ledger_by_category[c][i] || 0), 0);
    columns("trend-ledger-chart", months, months.map((_, i) => size(i)), (i) => num(size(i)),
      (i) => months[i] + " " + cats.map((c) => `${ZH.category[c] || c} ${t.ledger_by_category[c][i] || 0}`).join("，"));
    table("trend-ledger-table", ["月份", ...cats.map((c) => ZH.category[c] || c), "合计"],
      months.map((m, i) => [m, ...cats.map((c) => num(t.ledger_by_category[c][i] || 0)), num(size(i))]));
    const inc = t.incidents;
    columns("trend-incidents-chart", months, inc.map((p) => p.reported), (i) => num(inc[i].reported),
      (i) => `${months[i]} 报告 ${inc[i].reported} 件`);
    table("trend-incidents-table", ["月份", "报告事件", "已受理"],
      months.map((m, i) => [m, num(inc[i].reported), num(inc[i].acknowledged)]));
    const sp = t.spending || [];
    columns("trend-spending-chart", months, sp.map((p) => Number(p.spent)),
      (i) => money(sp[i].spent).replace(" 万元", "万").replace(" 元", ""),
      (i) => `${months[i]} 支出 ${money(sp[i].spent)}`);
    table("trend-spending-table", ["月份", "当月支出"], months.map((m, i) => [m, money(sp[i].spent)]));
  }

  // ---------------------------------------------------------------- wiring

  boot(load);
})();
