/* 运营看板 — vanilla JavaScript, no library, no CDN.
 * Login (OAuth2 password grant), tokens in sessionStorage, refresh-token renewal, the summary
 * every minute, a plain-SVG coverage chart, a detail panel for records. All text set with
 * textContent (never innerHTML), so data cannot inject markup. */
"use strict";

(function () {
  const { API, $, zhOf, el, pct, num, money } = window.DashboardCommon;
  const REFRESH_MS = 60 * 1000;
  const DISTRICT_ROLES = ["district_admin", "district_leader", "auditor"];
  const FULL_INCIDENT_READERS = ["district_admin", "auditor"];

  // Labels come from the service's one glossary (app/kit/glossary.py, served as
  // /dashboard/glossary.js): the page spells every code as the exports and the API do.
  const ZH = {
    category: zhOf("category"),
    placement: zhOf("placement"),
    status: zhOf("incident_status"),
    kind: zhOf("incident_kind"),
    // The nine situations of the 2020 opinion on mandatory reporting (art. 4), shortened;
    // the full wording is the title of each line and is in the incident's own API.
    situation: {
      genital_injury: ["一", "生殖器官或隐私部位非正常损伤", "未成年人的生殖器官或隐私部位遭受或疑似遭受非正常损伤的"],
      girl_under_14_sexual_assault_or_pregnancy: ["二", "不满十四周岁女性遭受性侵害、怀孕、流产", "不满十四周岁的女性未成年人遭受或疑似遭受性侵害、怀孕、流产的"],
      girl_14_plus_pregnancy_after_assault: ["三", "十四周岁以上女性性侵害所致怀孕、流产", "十四周岁以上女性未成年人遭受或疑似遭受性侵害所致怀孕、流产的"],
      injuries_suggesting_violence: ["四", "多处损伤、严重营养不良、意识不清", "未成年人身体存在多处损伤、严重营养不良、意识不清，存在或疑似存在受到家庭暴力、欺凌、虐待、殴打或者被人麻醉等情形的"],
      disability_or_death_by_harm: ["五", "非正常原因导致伤残、死亡", "未成年人因自杀、自残、工伤、中毒、被人麻醉、殴打等非正常原因导致伤残、死亡情形的"],
      abandonment_or_no_care: ["六", "被遗弃或长期无人照料", "未成年人被遗弃或长期处于无人照料状态的"],
      unknown_origin_missing_or_trafficked: ["七", "来源不明、失踪或被拐卖、收买", "发现未成年人来源不明、失踪或者被拐卖、收买的"],
      organised_begging: ["八", "被组织乞讨", "发现未成年人被组织乞讨的"],
      other_serious_harm: ["九", "其他严重侵害或面临不法侵害危险", "其他严重侵害未成年人身心健康的情形或未成年人正在面临不法侵害危险的"],
    },
    followup: zhOf("difficulty"),
    followupStatus: zhOf("follow_up_status"),
    agency: zhOf("agency"),
    classification: zhOf("classification"),
    childStatus: zhOf("child_status"),
    gender: zhOf("gender"),
    scheme: zhOf("insurance_scheme"),
    insuranceStatus: zhOf("insurance_status"),
  };

  // Headline numbers: [section, field, label, kind, alert-when-positive]
  const HEADLINE = [
    ["children", "total", "困境儿童", "int", false],
    ["children", "additions", "本月新增", "int", false],
    ["children", "revocations", "本月退出", "int", false],
    ["visits", "ratio", "本月探访覆盖率", "ratio", false],
    ["visits", "not_visited_count", "本月尚未探访", "int", false],
    ["follow_ups", "open", "未办结跟进", "int", false],
    ["follow_ups", "overdue", "逾期跟进", "int", true],
    ["incidents", "open", "在办强制报告", "int", false],
    ["incidents", "unacknowledged_referrals", "未签收转介", "int", true],
    ["incidents", "escalated_referrals", "超时升级", "int", true],
    ["protection", "residents", "保护中心在站", "int", false],
    ["protection", "escalated_deadlines", "保护中心超期", "int", true],
    ["institution", "residents", "福利院在院儿童", "int", false],
    ["institution", "without_counselling", "逾期未获心理咨询", "int", true],
    ["casework", "open", "在办精准帮扶个案", "int", false],
    ["casework", "reviews_overdue", "个案复评逾期", "int", true],
    ["discovery", "awaiting_decision", "主动发现待研判", "int", false],
    ["screening", "total", "摸排儿童", "int", false],
    ["screening", "not_in_school_compulsory_age", "适龄未入学", "int", true],
    ["screening_referrals", "unacknowledged_overdue", "摸排转介逾期未签收", "int", true],
    ["subsidies", "spent", "本年保障支出", "money", false],
    ["pairings", "active", "爱心妈妈结对", "int", false],
    ["pairings", "unmatched_wishes", "待结对儿童", "int", true],
    ["parent_classes", "families_this_year", "本年参加家长课堂的家庭", "int", false],
    ["education_aid", "children_paid", "本年教育帮扶儿童", "int", false],
    ["education_aid", "paid", "本年教育帮扶金额", "money", false],
    ["holiday_gifts", "not_delivered", "节日礼品未送达", "int", true],
    ["community_activities", "children_without_activity", "本年未参加社区活动的儿童", "int", true],
    ["training", "untrained", "本年未参加培训的工作人员", "int", true],
    ["training", "never_trained_on_mandatory_reporting", "从未接受强制报告培训", "int", true],
    ["charity", "open", "在办慈善项目", "int", false],
    ["charity", "awaiting_final_report", "慈善项目待提交结项报告", "int", true],
    ["standard_review", "review_due", "生活补贴标准到期待调整", "bool", true],
    ["areas", "villages_without_director", "无儿童主任的村居", "int", true],
  ];

  const state = { tokens: null, me: null, summary: null, timer: null, monthChosen: false };
  const { api, showLogin, showBoard, boot, loadSummary } = window.DashboardCommon.session(state, start);

  function svg(tag, attrs, text) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function age(hours) {
    if (hours === null || hours === undefined) return "—";
    return hours >= 48 ? Math.floor(hours / 24) + " 天" : hours.toFixed(1) + " 小时";
  }

  // ---------------------------------------------------------------- login

  async function start() {
    state.me = await api(API + "/auth/me");
    // The city's offices have their own page (each district a row); the same tokens serve it.
    if (state.me.kind === "user" && ["city_admin", "city_viewer"].includes(state.me.role)) {
      window.location.assign("/dashboard/city");
      return;
    }
    if (state.me.kind !== "user" || (!DISTRICT_ROLES.includes(state.me.role) && state.me.role !== "town_supervisor")) {
      showLogin("当前账户无权查看运营看板");
      return;
    }
    showBoard();
    $("skeleton").hidden = false;
    await setupAreas();
    await load();
    $("skeleton").hidden = true;
    clearInterval(state.timer);
    state.timer = setInterval(load, REFRESH_MS);
  }

  async function setupAreas() {
    const select = $("area");
    select.textContent = "";
    if (!DISTRICT_ROLES.includes(state.me.role)) {
      $("area-picker").hidden = true;
      return;
    }
    $("area-picker").hidden = false;
    select.append(el("option", { value: "", text: "全区" }));
    const towns = await api(API + "/areas?level=town&limit=500");
    for (const t of towns.items) select.append(el("option", { value: t.code, text: t.name }));
  }

  // ---------------------------------------------------------------- loading and rendering

  const load = () => loadSummary("/dashboard/summary", render, (params) => {
    if ($("area").value) params.set("area_code", $("area").value);
  });

  function render(s) {
    const sec = s.sections;
    $("scope-name").textContent = s.area.name + " · " + s.month;
    if (!state.monthChosen) $("month").value = s.month;
    document.querySelectorAll("[data-section]").forEach((node) => {
      node.hidden = !sec[node.getAttribute("data-section")];
    });
    renderHeadline(sec);
    if (sec.visits) renderCoverage(sec.visits, sec.trends ? sec.trends.visit_target : 1);
    if (sec.trends) renderTrends(sec.trends);
    if (sec.incidents) renderIncidents(sec.incidents);
    if (sec.follow_ups) renderFollowUps(sec.follow_ups);
    if (sec.children) renderChildren(sec.children);
    if (sec.screening) renderScreening(sec.screening);
    if (sec.subsidies) renderSpending(sec.subsidies);
    if (sec.insurance) renderInsurance(sec.insurance);
    if (sec.standard_review) renderStandardReview(sec.standard_review);
    if (sec.areas) renderAreas(sec.areas);
  }

  function renderHeadline(sec) {
    const box = $("headline");
    box.textContent = "";
    for (const [section, field, label, kind, alert] of HEADLINE) {
      if (!sec[section] || sec[section][field] === undefined) continue;
      const v = sec[section][field];
      const text = kind === "ratio" ? pct(v) : kind === "bool" ? (v ? "是" : "否")
        : kind === "money" ? money(v) : kind === "int" ? num(v) : v === null ? "—" : String(v);
      box.append(el("div", {
        class: "metric" + (alert && Number(v) > 0 ? " alert" : ""),
        "data-metric": section + "." + field,
        "data-value": v === null ? "" : String(v),
      }, el("div", { class: "label", text: label }), el("div", { class: "value", text })));
    }
  }

  // A horizontal bar per town (district) or village (town supervisor), sorted by coverage,
  // lowest first; the target line and a legend; colour only for the bars below the target.
  function renderCoverage(v, target) {
    const box = $("coverage-chart");
    box.textContent = "";
    const byVillage = state.summary && state.summary.area.level === "town";
    const items = (byVillage ? v.villages || [] : v.towns).slice()
      .sort((a, b) => (a.ratio === null ? 2 : a.ratio) - (b.ratio === null ? 2 : b.ratio) || a.code.localeCompare(b.code));
    $("coverage-title").textContent = byVillage ? "本月探访覆盖率（按村居）" : "本月探访覆盖率（按镇街）";
    legend("coverage-legend", target);
    for (const t of items) {
      const r = t.ratio === null ? 0 : t.ratio;
      const below = t.ratio !== null && t.ratio < target;
      const fill = el("span", { class: "fill" + (below ? " below" : "") });
      fill.style.width = (r * 100).toFixed(1) + "%";
      const mark = el("i", { class: "target", title: "目标 " + pct(target) });
      mark.style.left = (target * 100).toFixed(1) + "%";
      box.append(el("div", { class: "hbar", [byVillage ? "data-village" : "data-town"]: t.code, "data-ratio": t.ratio === null ? "" : t.ratio },
        el("span", { class: "name", text: t.name }),
        el("span", { class: "track" }, fill, mark),
        el("span", { class: "value", text: `${pct(t.ratio)}（${num(t.visited)}/${num(t.due)}）` })));
    }
    if (!items.length) box.append(el("p", { class: "muted", text: "本月无应探访儿童" }));
    table("coverage-table", [byVillage ? "村居" : "镇街", "应探访", "已探访", "覆盖率"],
      items.map((t) => [t.name, num(t.due), num(t.visited), pct(t.ratio)]));

    const list = $("not-visited");
    list.textContent = "";
    for (const c of v.not_visited) {
      list.append(el("li", { "data-child": c.child_id },
        recordLink("child", c.child_id, c.name, { 姓名: c.name, 村居: c.village_name || c.village_code }),
        el("span", { class: "grow muted", text: c.village_name || c.village_code || "" })));
    }
    if (v.not_visited_count > v.not_visited.length) {
      list.append(el("li", { class: "muted", text: `……共 ${v.not_visited_count} 名` }));
    }
    if (!v.not_visited.length) list.append(el("li", { class: "muted", text: "本月应探访儿童均已探访" }));
    const behind = $("villages-behind");
    behind.textContent = "";
    for (const b of v.villages_behind) {
      behind.append(el("li", {},
        el("span", { class: "grow", text: b.name }),
        el("span", { text: `${pct(b.ratio)}（未探访 ${b.not_visited}/${b.due}）` })));
    }
    if (!v.villages_behind.length) behind.append(el("li", { class: "muted", text: "无" }));
  }

  function legend(id, target, series) {
    const box = $(id);
    box.textContent = "";
    for (const s of series || [{ name: "达到目标", cls: "s-ok" }, { name: "低于目标", cls: "s-below" }]) {
      box.append(el("span", { class: "key" }, el("i", { class: "swatch " + s.cls }), s.name));
    }
    if (target !== null && target !== undefined) {
      box.append(el("span", { class: "key" }, el("i", { class: "swatch s-target" }), typeof target === "string" ? target : "目标 " + pct(target)));
    }
  }

  // A column chart of months: `stack` is a list of {cls, values}; `line` an optional target per
  // month (a mark on each column); `below(i)` colours a column as below its target.
  function columns(id, months, stack, opts) {
    const box = $(id);
    box.textContent = "";
    const totals = months.map((_, i) => stack.reduce((sum, s) => sum + (Number(s.values[i]) || 0), 0));
    const line = opts.line || [];
    const max = Math.max(1e-9, ...totals, ...line.map((x) => Number(x) || 0), opts.max || 0);
    months.forEach((m, i) => {
      const col = el("div", { class: "col", "data-month": m, title: opts.title(i) });
      const bar = el("div", { class: "stack" });
      for (const s of stack) {
        const part = el("span", { class: "seg " + (opts.below && opts.below(i) ? "s-below" : s.cls) });
        part.style.height = (((Number(s.values[i]) || 0) / max) * 100).toFixed(2) + "%";
        bar.append(part);
      }
      if (line[i] !== null && line[i] !== undefined) {
        const mark = el("i", { class: "target" });
        mark.style.bottom = ((Number(line[i]) / max) * 100).toFixed(2) + "%";
        bar.append(mark);
      }
      col.append(el("span", { class: "top", text: opts.top(i) }), bar, el("span", { class: "month", text: Number(m.slice(5)) + "月" }));
      box.append(col);
    });
  }

  function renderTrends(t) {
    const months = t.months;
    // Visit coverage against the target.
    const cov = t.visit_coverage;
    legend("trend-coverage-legend", t.visit_target);
    columns("trend-coverage-chart", months, [{ cls: "s-ok", values: cov.map((p) => p.ratio || 0) }], {
      max: 1, line: months.map(() => t.visit_target),
      below: (i) => cov[i].ratio !== null && cov[i].ratio < t.visit_target,
      top: (i) => (cov[i].ratio === null ? "—" : Math.round(cov[i].ratio * 100) + "%"),
      title: (i) => `${months[i]} 覆盖率 ${pct(cov[i].ratio)}（${cov[i].visited}/${cov[i].due}）`,
    });
    table("trend-coverage-table", ["月份", "应探访", "已探访", "覆盖率"],
      months.map((m, i) => [m, num(cov[i].due), num(cov[i].visited), pct(cov[i].ratio)]));
    // The ledger by category, stacked.
    const cats = Object.keys(ZH.category);
    const catCls = ["c1", "c2", "c3", "c4"];
    legend("trend-ledger-legend", null, cats.map((c, k) => ({ name: ZH.category[c], cls: catCls[k] })));
    const size = (i) => cats.reduce((sum, c) => sum + ((t.ledger_by_category[c] || [])[i] || 0), 0);
    columns("trend-ledger-chart", months, cats.map((c, k) => ({ cls: catCls[k], values: t.ledger_by_category[c] || [] })), {
      top: (i) => num(size(i)),
      title: (i) => months[i] + " " + cats.map((c) => `${ZH.category[c]} ${(t.ledger_by_category[c] || [])[i] || 0}`).join("，"),
    });
    table("trend-ledger-table", ["月份", ...cats.map((c) => ZH.category[c]), "合计"],
      months.map((m, i) => [m, ...cats.map((c) => num((t.ledger_by_category[c] || [])[i] || 0)), num(size(i))]));
    // Incidents reported, with the median hours to acknowledgement.
    const inc = t.incidents;
    legend("trend-incidents-legend", null, [{ name: "报告事件数", cls: "s-ok" }]);
    columns("trend-incidents-chart", months, [{ cls: "s-ok", values: inc.map((p) => p.reported) }], {
      top: (i) => num(inc[i].reported),
      title: (i) => `${months[i]} 报告 ${inc[i].reported} 件，受理时长中位数 ${age(inc[i].median_ack_hours)}`,
    });
    table("trend-incidents-table", ["月份", "报告事件", "已受理", "受理时长（中位数）"],
      months.map((m, i) => [m, num(inc[i].reported), num(inc[i].acknowledged), age(inc[i].median_ack_hours)]));
    // Spending against the monthly budget (district only).
    const card = $("trend-spending-card");
    card.hidden = !t.spending;
    if (t.spending) {
      const sp = t.spending;
      legend("trend-spending-legend", "月度预算", [{ name: "当月支出", cls: "s-ok" }]);
      columns("trend-spending-chart", months, [{ cls: "s-ok", values: sp.map((p) => Number(p.spent)) }], {
        line: sp.map((p) => (p.budget === null ? null : Number(p.budget))),
        top: (i) => money(sp[i].spent).replace(" 万元", "万").replace(" 元", ""),
        title: (i) => `${months[i]} 支出 ${money(sp[i].spent)}，月度预算 ${money(sp[i].budget)}`,
      });
      table("trend-spending-table", ["月份", "当月支出", "月度预算"],
        months.map((m, i) => [m, money(sp[i].spent), money(sp[i].budget)]));
    }
  }

  function renderIncidents(inc) {
    $("incident-summary").textContent =
      `在办 ${inc.open} 件；未签收转介 ${inc.unacknowledged_referrals} 件；超时升级 ${inc.escalated_referrals} 件；` +
      `最久未结 ${age(inc.oldest_open_age_hours)}`;
    const list = $("incident-board");
    list.textContent = "";
    for (const it of inc.board) {
      const badges = [];
      if (it.immediate_danger) badges.push(el("span", { class: "badge danger", text: "现实危险" }));
      else if (it.urgent) badges.push(el("span", { class: "badge warn", text: "紧急" }));
      if (it.escalated) badges.push(el("span", { class: "badge danger", text: "已升级" }));
      if (it.unacknowledged_referrals) badges.push(el("span", { class: "badge warn", text: `${it.unacknowledged_referrals} 个转介未签收` }));
      const kinds = it.kinds.map((k) => ZH.kind[k] || k).join("、");
      const situations = (it.situations || [])
        .map((c) => (ZH.situation[c] ? "情形" + ZH.situation[c][0] : c)).join("、");
      const facts = {
        状态: ZH.status[it.status] || it.status, 法定情形: situations || "—", 类型: kinds,
        地点: it.area_name || it.area_code || "—",
        报告时间: it.reported_at || "—", 已历时: age(it.age_hours),
      };
      list.append(el("li", { "data-incident": it.id },
        recordLink("incident", it.id, ZH.status[it.status] || it.status, facts),
        el("span", { class: "grow", text: kinds }), ...badges,
        el("span", { class: "muted", text: (it.area_name || "") + " · " + age(it.age_hours) })));
    }
    if (!inc.board.length) list.append(el("li", { class: "muted", text: "暂无在办事件" }));
    const bySituation = $("incident-situations");
    bySituation.textContent = "";
    for (const [code, n] of Object.entries(inc.by_situation || {})) {
      const [number, label, text] = ZH.situation[code] || ["", code, code];
      bySituation.append(el("li", { "data-situation": code, "data-value": String(n), title: text },
        el("span", { class: "grow", text: (number ? "情形" + number + "　" : "") + label }),
        el("span", { text: String(n) })));
    }
  }

  function renderFollowUps(f) {
    const list = $("overdue-followups");
    list.textContent = "";
    for (const it of f.overdue_items) {
      const facts = {
        儿童: it.child_name, 困难类型: ZH.followup[it.kind] || it.kind,
        状态: ZH.followupStatus[it.status] || it.status, 应办结日期: it.due_on, 逾期天数: String(it.days_overdue),
      };
      list.append(el("li", { "data-follow-up": it.id },
        recordLink("child", it.child_id, it.child_name, facts),
        el("span", { class: "grow", text: ZH.followup[it.kind] || it.kind }),
        el("span", { class: "badge warn", text: `逾期 ${it.days_overdue} 天` })));
    }
    if (f.overdue > f.overdue_items.length) list.append(el("li", { class: "muted", text: `……共 ${f.overdue} 件` }));
    if (!f.overdue_items.length) list.append(el("li", { class: "muted", text: "暂无逾期跟进" }));
  }

  function table(id, head, rows) {
    const t = $(id);
    t.textContent = "";
    const thead = el("tr", {}, ...head.map((h, i) => el("th", { class: i ? "num" : null, text: h })));
    t.append(el("thead", {}, thead));
    const body = el("tbody");
    for (const r of rows) body.append(el("tr", {}, ...r.map((c, i) => el("td", { class: i ? "num" : null, text: String(c) }))));
    t.append(body);
  }

  function renderChildren(c) {
    const rows = Object.keys(ZH.category).map((cat) => {
      const n = (pl) => (c.by_category_and_placement.find((m) => m.category === cat && m.placement === pl) || { count: 0 }).count;
      return [ZH.category[cat], n("dispersed"), n("institution"), c.by_category[cat] || 0];
    });
    rows.push(["合计", c.by_placement.dispersed || 0, c.by_placement.institution || 0, c.total]);
    table("children-table", ["类别", ZH.placement.dispersed, ZH.placement.institution, "合计"], rows);
  }

  function renderScreening(s) {
    const rows = Object.entries(s.by_classification).map(([k, n]) => [ZH.classification[k] || k, n]);
    rows.push(["合计", s.total]);
    if (s.flagged !== null) rows.push(["待核实（标记）", s.flagged]);
    rows.push(["适龄（6–15 岁）未入学", s.not_in_school_compulsory_age]);
    table("screening-table", ["类别", "人数"], rows);
  }

  function renderSpending(sp) {
    const box = $("spending");
    box.textContent = "";
    const budget = sp.budget === null ? null : Number(sp.budget);
    const head = budget === null
      ? `${sp.year} 年累计支出 ${money(sp.spent)}（未设年度预算）`
      : `${sp.year} 年预算 ${money(sp.budget)}，截至 ${sp.through_month} 累计支出 ${money(sp.spent)}（${pct(Number(sp.share_spent))}），结余 ${money(sp.remaining)}`;
    box.append(el("p", { "data-spent": sp.spent, text: head }));
    if (budget) {
      const bar = el("div", { class: "progress", title: "竖线：按时间进度应达到的支出比例" });
      bar.append(el("span", { style: null }));
      bar.firstChild.style.width = Math.min(100, Number(sp.share_spent) * 100).toFixed(1) + "%";
      const mark = el("i");
      mark.style.left = (Number(sp.share_of_year_elapsed) * 100).toFixed(1) + "%";
      bar.append(mark);
      box.append(bar);
    }
    const max = Math.max(1, ...sp.by_benefit.map((b) => Number(b.amount)));
    for (const b of sp.by_benefit) {
      const bar = el("div", { class: "progress" }, el("span"));
      bar.firstChild.style.width = ((Number(b.amount) / max) * 100).toFixed(1) + "%";
      box.append(el("div", { class: "spend-row", "data-benefit": b.benefit },
        el("span", { text: b.benefit_zh }), bar, el("span", { class: "num", text: money(b.amount) })));
    }
  }

  // Per scheme: a coverage bar (enrolled of eligible) and, as a table, every count; then the
  // year's premiums against the budget (the district only: null on a town's dashboard).
  function renderInsurance(ins) {
    const st = (code) => ZH.insuranceStatus[code] || code;
    $("insurance-title").textContent = `${ins.year} 年度医疗保险参保情况`;
    const legend = $("insurance-legend");
    legend.textContent = "";
    legend.append(el("span", { text: `条形：${st("enrolled")}人数占应参保人数的比例` }));
    const chart = $("insurance-chart");
    chart.textContent = "";
    const rows = [];
    for (const s of ins.schemes) {
      const name = ZH.scheme[s.scheme] || s.scheme_zh || s.scheme;
      if (!s.parameters_set) {
        chart.append(el("p", { class: "muted", "data-scheme": s.scheme, text: `${name}：${ins.year} 年度参数尚未设定` }));
        rows.push([name, "—", "—", "—", "—", "—", "—"]);
        continue;
      }
      const ratio = s.coverage === null ? null : Number(s.coverage);
      const bar = el("div", { class: "progress" }, el("span"));
      bar.firstChild.style.width = ((ratio || 0) * 100).toFixed(1) + "%";
      chart.append(el("div", { class: "spend-row", "data-scheme": s.scheme, "data-coverage": s.coverage === null ? "" : s.coverage },
        el("span", { text: name }), bar,
        el("span", { class: "num", text: `${pct(ratio)}（${num(s.enrolled)}/${num(s.eligible)}）` })));
      rows.push([name, num(s.eligible), num(s.enrolled), num(s.submitted), num(s.not_required), num(s.due), pct(ratio)]);
    }
    table("insurance-table", ["险种", "应参保", st("enrolled"), st("submitted"), st("not_required"), st("due"), "参保率"], rows);
    const box = $("insurance-premiums");
    box.textContent = "";
    if (ins.premiums === null) return;
    const text = ins.budget === null
      ? `${ins.year} 年度代缴保费 ${money(ins.premiums)}（未设年度预算）`
      : `${ins.year} 年度代缴保费 ${money(ins.premiums)}，占年度预算 ${money(ins.budget)} 的 ${pct(Number(ins.premiums_share_of_budget))}`;
    box.append(el("p", { "data-premiums": ins.premiums, text }));
    if (ins.budget !== null && ins.premiums_share_of_budget !== null) {
      const bar = el("div", { class: "progress", title: "代缴保费占年度预算的比例" }, el("span"));
      bar.firstChild.style.width = Math.min(100, Number(ins.premiums_share_of_budget) * 100).toFixed(1) + "%";
      box.append(bar);
    }
  }

  function renderStandardReview(r) {
    const box = $("standard-review");
    box.textContent = "";
    box.setAttribute("data-review-due", r.review_due ? "true" : "false");
    if (r.value === null) {
      box.append(el("p", { class: "muted", text: "暂无生效的生活补贴标准" }));
      return;
    }
    box.append(el("p", { text: `现行标准 ${r.value} 元/人/月，自 ${r.in_force_since} 起执行（已执行 ${r.months_in_force} 个月）` }));
    if (r.next_effective_from) {
      box.append(el("p", { text: `已确定新标准，自 ${r.next_effective_from} 起执行` }));
    } else if (r.review_due) {
      box.append(el("p", { class: "badge danger", role: "alert", text: `标准已执行满24个月（${r.review_due_on} 到期），应按自然增长机制调整` }));
    } else {
      box.append(el("p", { class: "muted", text: `按每两年调整一次，${r.review_due_on} 到期` }));
    }
  }

  function renderAreas(a) {
    table("areas-table", ["项目", "数量"], [
      ["镇街", a.towns], ["村居", a.villages], ["镇街督导员", a.town_supervisors],
      ["儿童主任", a.village_directors], ["无儿童主任的村居", a.villages_without_director],
    ]);
  }

  // ---------------------------------------------------------------- record detail panel

  function recordLink(kind, id, text, facts) {
    const a = el("a", { href: "#" + kind + "/" + id, "data-kind": kind, "data-id": id, text });
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      openDetail(kind, id, facts);
    });
    return a;
  }

  function fill(facts) {
    const dl = $("detail-body");
    for (const [k, v] of Object.entries(facts)) {
      if (v === null || v === undefined || v === "") continue;
      dl.append(el("dt", { text: k }), el("dd", { text: String(v) }));
    }
  }

  async function openDetail(kind, id, facts) {
    $("detail").hidden = false;
    $("detail-title").textContent = kind === "incident" ? "强制报告事件" : "儿童记录";
    $("detail-body").textContent = "";
    fill(facts);
    const links = (state.summary && state.summary.links) || {};
    const template = links[kind];
    if (!template) return;
    if (kind === "incident" && !FULL_INCIDENT_READERS.includes(state.me.role)) return;
    const path = template.replace(/\{[^}]+\}/, encodeURIComponent(id));
    try {
      const rec = await api(path);
      $("detail-body").append(el("dt", { text: "——" }), el("dd", { text: "记录详情" }));
      if (kind === "child") {
        fill({
          姓名: rec.name, 身份证号: rec.id_number, 性别: ZH.gender[rec.gender] || rec.gender,
          出生日期: rec.birth_date, 类别: ZH.category[rec.category] || rec.category,
          安置方式: ZH.placement[rec.placement] || rec.placement, 村居代码: rec.village_code,
          认定日期: rec.approved_on, 状态: ZH.childStatus[rec.status] || rec.status,
        });
      } else {
        fill({ 状态: ZH.status[rec.status] || rec.status, 描述: rec.description, 发现地点: rec.location });
      }
      $("detail").setAttribute("data-loaded", id);
    } catch (e) {
      fill({ 提示: "详情加载失败：" + e.message });
    }
  }

  // ---------------------------------------------------------------- wiring

  boot(load, () => {
    $("area").addEventListener("change", load);
    $("detail-close").addEventListener("click", () => { $("detail").hidden = true; $("detail").removeAttribute("data-loaded"); });
    $("detail").addEventListener("click", (ev) => { if (ev.target === $("detail")) $("detail").hidden = true; });
  });
})();
