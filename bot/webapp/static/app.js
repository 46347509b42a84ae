/* Duban dashboard: a Telegram Mini App page (issue 12).
 *
 * The page holds no data and no words of its own: it sends Telegram's initData to
 * /api/ as `Authorization: tma <initData>` and shows what the server answers, in the
 * words the server translated. initData comes from Telegram's script when Telegram
 * provides window.Telegram.WebApp, otherwise from the URL fragment (tgWebAppData).
 * Everything is built with textContent: no server text is ever parsed as HTML.
 */
"use strict";

(function () {
  const ROOT = new URL("../", location.href);
  const STATES = ["done", "pending_review", "in_progress", "not_started", "blocked"];
  let initData = "";
  let S = {};
  let me = null;
  let charts = [];

  // ------------------------------------------------------------ Telegram

  function telegram() {
    return window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  }

  function store(key, value) {
    try { sessionStorage.setItem(key, value); } catch (e) { /* private mode */ }
  }

  function stored(key) {
    try { return sessionStorage.getItem(key) || ""; } catch (e) { return ""; }
  }

  function readInitData() {
    const tg = telegram();
    if (tg && tg.initData) return tg.initData;
    const fragment = location.hash.slice(1);
    if (fragment.indexOf("tgWebAppData=") >= 0) {
      const params = new URLSearchParams(fragment);
      store("duban.initData", params.get("tgWebAppData") || "");
      if (params.get("tgWebAppThemeParams")) store("duban.theme", params.get("tgWebAppThemeParams"));
      // The fragment is ours from here on: it carries the page's route.
      history.replaceState(null, "", location.pathname + location.search + "#/");
    }
    return stored("duban.initData");
  }

  function applyTheme() {
    const tg = telegram();
    let theme = tg && tg.themeParams ? tg.themeParams : null;
    if (!theme) {
      try { theme = JSON.parse(stored("duban.theme") || "null"); } catch (e) { theme = null; }
    }
    if (!theme) return;
    for (const key of Object.keys(theme)) {
      if (/^[a-z_]+$/.test(key) && /^#[0-9a-fA-F]{3,8}$/.test(String(theme[key]))) {
        document.documentElement.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), theme[key]);
      }
    }
  }

  function tellTelegramReady() {
    const tg = telegram();
    if (tg) { tg.ready(); tg.expand(); return; }
    const message = JSON.stringify({ eventType: "web_app_ready", eventData: {} });
    if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent("web_app_ready", "{}");
    else if (window.parent !== window) window.parent.postMessage(message, "https://web.telegram.org");
  }

  // ------------------------------------------------------------ helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "style") node.setAttribute("style", value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
  }

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  async function api(path) {
    const response = await fetch(new URL("api/" + path, ROOT), {
      headers: { Authorization: "tma " + initData },
    });
    if (!response.ok) {
      const error = new Error("HTTP " + response.status);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  function show(...nodes) {
    document.getElementById("main").replaceChildren(...nodes.filter((node) => node));
  }

  function weekLabels(weeks) {
    const years = new Set(weeks.map((w) => w.week.slice(0, 4)));
    return weeks.map((w) => (years.size > 1 ? w.week : w.week.slice(5)));
  }

  function notice(text) {
    disposeCharts();
    const main = document.getElementById("main");
    main.replaceChildren(el("p", { class: "notice", id: "notice" }, text));
  }

  function disposeCharts() {
    for (const chart of charts) chart.dispose();
    charts = [];
  }

  function stateLabel(state) {
    return S["state_" + state] || state;
  }

  function stack(counts) {
    const bar = el("div", { class: "stack", title: STATES.map((s) => stateLabel(s) + " " + counts[s]).join(" · ") });
    for (const state of STATES) {
      if (counts[state] && counts.total) {
        bar.append(el("i", { style: `width:${(100 * counts[state]) / counts.total}%;background:var(--state-${state})` }));
      }
    }
    return bar;
  }

  function legend(counts) {
    return el("div", { class: "chips" }, STATES.map((state) =>
      el("span", { class: "chip" }, el("span", { class: "sw", style: `background:var(--state-${state})` }),
        stateLabel(state) + " " + counts[state])));
  }

  function colourChips(colours) {
    return el("div", { class: "chips" }, ["red", "yellow", "green"].map((colour) =>
      el("span", { class: "chip colour-" + colour }, el("span", { class: "dot " + colour }),
        S["colour_" + colour] + " " + colours[colour])));
  }

  function doneLine(counts) {
    return fill(S.done_line, { rate: counts.rate_text, done: counts.done, total: counts.total });
  }

  function pager(page, go) {
    if (page.total <= page.limit) return null;
    const first = page.offset + 1;
    const last = Math.min(page.offset + page.limit, page.total);
    return el("div", { class: "pager" },
      el("button", { disabled: page.offset === 0 ? "" : null, onclick: () => go(Math.max(0, page.offset - page.limit)) }, S.previous),
      el("span", { class: "hint" }, fill(S.page_of, { first, last, total: page.total })),
      el("button", { disabled: last >= page.total ? "" : null, onclick: () => go(page.offset + page.limit) }, S.next));
  }

  function chart(node, option) {
    if (!window.echarts) return;
    const instance = window.echarts.init(node, null, { renderer: "canvas" });
    instance.setOption(Object.assign({
      animation: false,
      textStyle: { fontFamily: css("--font"), color: css("--text") },
    }, option));
    charts.push(instance);
    return instance;
  }

  function GRID_LINE() {
    return { lineStyle: { color: css("--hint"), opacity: 0.25 } };
  }

  function short(name, length) {
    let text = String(name);
    if ((text[0] === "区" || text[0] === "市") && text.length > 3) text = text.slice(1);
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  function itemMeta(row) {
    return el("div", null,
      el("div", { class: "meta" },
        el("span", null, stateLabel(row.status) + (row.returned ? " (" + S.returned + ")" : "")),
        el("span", null, S.last_report + " " + row.last_report),
        row.due_text ? el("span", null, S.deadline + " " + row.due_text) : null),
      supervision(row));
  }

  // Issue 22: why the colour (in the agreed order), the rectification, every extension.
  function supervision(row) {
    const lines = [];
    if (row.reasons_text) lines.push(el("div", { class: "reasons" }, "⚑ " + row.reasons_text));
    if (row.rectification_due) {
      let text = fill(S.rectification, { date: row.rectification_due });
      if (row.measures) text += "; " + fill(S.measures, { text: row.measures });
      lines.push(el("div", { class: "hint" }, "🛠 " + text));
    }
    (row.extensions || []).forEach((e) => lines.push(el("div", { class: "hint" }, "⏩ " + e.text)));
    return lines.length ? el("div", { class: "supervision" }, lines) : null;
  }

  function trendCard(trend) {
    if (!trend || !trend.lines.length) return null;
    const node = el("div", { class: "chart", id: "trend" });
    const series = trend.lines.map((line) => ({
      name: line.department, type: "line", step: "end",
      data: line.points.map((p) => [p[0], Number(p[1])]),
    }));
    if (trend.pace.length) {
      series.push({ name: S.pace_line, type: "line", lineStyle: { type: "dashed" }, symbol: "none",
        data: trend.pace.map((p) => [p[0], Number(p[1])]) });
    }
    series.push({ name: S.target_line, type: "line", symbol: "none", lineStyle: { type: "dotted" },
      data: [], markLine: { symbol: "none", data: [{ yAxis: Number(trend.target) }] } });
    const card = el("section", { class: "card" }, el("h2", null, S.trend + " · " + trend.metric), node);
    setTimeout(() => chart(node, {
      tooltip: { trigger: "axis" }, legend: { type: "scroll", bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "time" }, yAxis: { type: "value", splitLine: GRID_LINE() }, series,
    }), 0);
    return card;
  }

  function targets(row) {
    return row.targets.map((t) => el("div", { class: "target" + (t.met === false ? " miss" : "") }, t.text));
  }

  // ------------------------------------------------------------ screens

  async function showOverview(offset) {
    const [data, weekly] = await Promise.all([
      api("overview?offset=" + offset + "&limit=30"),
      api("weekly"),
    ]);
    disposeCharts();
    const main = document.getElementById("main");
    const barsNode = el("div", { class: "chart", id: "chart-departments" });
    const weeksNode = el("div", { class: "chart", id: "chart-weeks", style: "height:220px" });
    const list = el("ul", { class: "list", id: "departments" }, data.departments.map((d) =>
      el("li", { "data-department": d.id },
        el("div", { class: "row-head" },
          el("a", { class: "name", href: "#/dept/" + d.id }, d.name),
          el("span", { class: "right" }, d.counts.rate_text + " (" + d.counts.done + "/" + d.counts.total + ")")),
        stack(d.counts),
        el("div", { class: "meta" },
          el("span", null, S.last_report + " " + d.last_report),
          d.silent_days !== null ? el("span", null, fill(S.silent_days, { days: d.silent_days })) : null,
          d.colours.red ? el("span", null, S.colour_red + " " + d.colours.red) : null,
          d.colours.yellow ? el("span", null, S.colour_yellow + " " + d.colours.yellow) : null))));
    show(
      el("h1", null, data.title),
      el("div", { class: "grid two" },
        el("section", { class: "card", id: "overall" },
          el("h2", null, S.overall),
          el("div", { class: "big" }, data.totals.rate_text),
          el("div", null, doneLine(data.totals)),
          legend(data.totals)),
        el("section", { class: "card", id: "colours" },
          el("h2", null, S.colours),
          colourChips(data.colours))),
      el("section", { class: "card" }, el("h2", null, S.by_department), barsNode,
        pager(data.page, (next) => { location.hash = "#/overview/" + next; }), list),
      el("section", { class: "card" }, el("h2", null, S.per_week), weeksNode));
    const names = data.departments.map((d) => d.name);
    barsNode.style.height = Math.max(160, 26 * names.length + 70) + "px";
    const narrow = main.clientWidth < 600;
    const bars = chart(barsNode, {
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0, itemWidth: 12, itemHeight: 10, textStyle: { color: css("--text") } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: css("--hint") }, splitLine: GRID_LINE() },
      yAxis: {
        type: "category", inverse: true, data: names,
        axisLabel: { color: css("--text"), formatter: (name) => short(name, narrow ? 6 : 12) },
      },
      series: STATES.map((state) => ({
        name: stateLabel(state), type: "bar", stack: "all", barMaxWidth: 18,
        itemStyle: { color: css("--state-" + state) },
        data: data.departments.map((d) => d.counts[state]),
      })),
    });
    if (bars) bars.on("click", (event) => { location.hash = "#/dept/" + data.departments[event.dataIndex].id; });
    chart(weeksNode, {
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: weekLabels(weekly.weeks), axisLabel: { color: css("--hint") } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: css("--hint") }, splitLine: GRID_LINE() },
      series: [{ type: "bar", name: S.reports, itemStyle: { color: css("--button") }, data: weekly.weeks.map((w) => w.reports) }],
    });
  }

  async function showDepartment(id) {
    const [data, weekly] = await Promise.all([api("departments/" + id), api("weekly")]);
    disposeCharts();
    const main = document.getElementById("main");
    const items = data.items.length
      ? el("ul", { class: "list", id: "items" }, data.items.map((row) =>
        el("li", { "data-code": row.code },
          el("div", { class: "row-head" },
            el("span", { class: "dot " + row.colour, title: S["colour_" + row.colour] }),
            me.role === "liaison"
              ? el("span", { class: "name" }, row.code)
              : el("a", { class: "name", href: "#/item/" + encodeURIComponent(row.code) }, row.code),
            el("span", { class: "title" }, row.title),
            el("a", { class: "right", href: "#/binding/" + row.binding_id }, S.reports + " " + row.reports)),
          itemMeta(row), targets(row))))
      : el("p", { class: "hint" }, S.no_items);
    const weeksNode = me.role === "liaison" ? el("div", { class: "chart", id: "chart-weeks", style: "height:200px" }) : null;
    show(
      el("h1", { id: "department-name" }, data.name + " ", el("span", { class: "hint" }, fill(S.class, { dept_class: data.dept_class }))),
      el("section", { class: "card", id: "department-summary" },
        el("div", { class: "big" }, data.counts.rate_text),
        el("div", null, doneLine(data.counts)),
        el("div", { class: "meta" }, el("span", null, S.last_report + " " + data.last_report)),
        stack(data.counts), legend(data.counts)),
      el("section", { class: "card" }, el("h2", null, S.items), items),
      weeksNode ? el("section", { class: "card" }, el("h2", null, S.per_week), weeksNode) : null);
    if (weeksNode) {
      chart(weeksNode, {
        grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: weekLabels(weekly.weeks), axisLabel: { color: css("--hint") } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { color: css("--hint") }, splitLine: GRID_LINE() },
        series: [{ type: "bar", itemStyle: { color: css("--button") }, data: weekly.weeks.map((w) => w.reports) }],
      });
    }
  }

  async function showItem(code, offset) {
    const data = await api("items/" + encodeURIComponent(code) + "?offset=" + offset);
    disposeCharts();
    show(
      el("h1", null, data.code + " " + data.title),
      el("section", { class: "card" },
        el("div", { class: "item-text" }, data.text),
        data.due_text ? el("div", { class: "meta" }, el("span", null, S.deadline + " " + data.due_text)) : null,
        data.milestones && data.milestones.length
          ? el("div", { class: "hint", id: "milestones" }, "🗓 " + fill(S.milestones, { steps: data.milestones.concat([data.final_due]).join(" → ") }))
          : null,
        el("div", null, doneLine(data.counts)), stack(data.counts), legend(data.counts)),
      trendCard(data.trend),
      el("section", { class: "card" }, el("h2", null, S.departments),
        el("ul", { class: "list", id: "bindings" }, data.departments.map((row) =>
          el("li", { "data-department": row.department_id },
            el("div", { class: "row-head" },
              el("span", { class: "dot " + row.colour, title: S["colour_" + row.colour] }),
              el("a", { class: "name", href: "#/dept/" + row.department_id }, row.department),
              el("a", { class: "right", href: "#/binding/" + row.binding_id }, S.reports + " " + row.reports)),
            itemMeta(row), targets(row)))),
        pager(data.page, (next) => { location.hash = "#/item/" + encodeURIComponent(code) + "/" + next; })));
  }

  async function showOverdue(offset) {
    const data = await api("overdue?offset=" + offset + "&limit=50");
    disposeCharts();
    const rows = data.items.length
      ? el("ul", { class: "list", id: "overdue" }, data.items.map((o) =>
        el("li", null,
          el("div", { class: "row-head" },
            el("span", { class: "dot " + o.colour }),
            el("a", { class: "name", href: "#/dept/" + o.department_id }, o.department),
            el("a", { class: "title", href: "#/binding/" + o.binding_id }, o.code + " " + o.title)),
          el("div", { class: "meta" },
            o.past_deadline ? el("span", null, S.past_deadline) : null,
            o.due_text ? el("span", null, S.deadline + " " + o.due_text) : null,
            o.silent_days !== null ? el("span", null, fill(S.silent_days, { days: o.silent_days })) : null,
            el("span", null, stateLabel(o.status)),
            el("span", null, S.last_report + " " + o.last_report)))))
      : el("p", { class: "hint" }, S.nothing_overdue);
    show(
      el("h1", null, S.overdue),
      el("section", { class: "card" }, rows, pager(data.page, (next) => { location.hash = "#/overdue/" + next; })));
  }

  function evidenceTile(file) {
    const link = new URL(file.file, ROOT).href;
    const preview = file.thumb
      ? el("img", { src: new URL(file.thumb, ROOT).href, alt: file.name, loading: "lazy" })
      : el("div", { class: "icon" }, ({ pdf: "PDF", word: "DOC", excel: "XLS", image: "IMG" })[file.icon] || "FILE");
    return el("div", { class: "thumb" }, el("a", { href: link, target: "_blank", rel: "noopener" }, preview),
      el("a", { href: link, download: file.name || "" }, file.name || S.download));
  }

  async function showBinding(id, offset) {
    const data = await api("bindings/" + id + "/reports?offset=" + offset);
    disposeCharts();
    const reports = data.reports.length
      ? el("ul", { class: "list", id: "reports" }, data.reports.map((r) =>
        el("li", { "data-report": r.id },
          el("div", { class: "meta" }, el("span", null, r.created_at), el("span", null, S["state_" + r.status] || r.status)),
          r.text ? el("div", { class: "report-text" }, r.text) : null,
          r.evidence.length ? el("div", { class: "thumbs" }, r.evidence.map(evidenceTile)) : null)))
      : el("p", { class: "hint" }, S.no_reports);
    show(
      el("h1", null, data.code + " " + data.title),
      el("p", null, el("a", { href: "#/dept/" + data.department_id }, data.department)),
      el("section", { class: "card" }, el("h2", null, S.reports), reports,
        pager(data.page, (next) => { location.hash = "#/binding/" + id + "/" + next; })));
  }

  // ------------------------------------------------------------ 考核 (issue 21)

  function gradeChip(grade, tone) {
    return el("span", { class: "grade " + tone }, grade);
  }

  async function showAssessment() {
    const data = await api("assessment");
    disposeCharts();
    const sections = data.classes.map((table) => {
      const chartNode = el("div", { class: "chart", id: "chart-class-" + table.class });
      chartNode.style.height = Math.max(120, 26 * table.rows.length + 40) + "px";
      const list = el("ul", { class: "list", id: "ranking-" + table.class }, table.rows.map((row) =>
        el("li", { "data-department": row.department_id },
          el("div", { class: "row-head" },
            el("span", { class: "rank" }, row.rank === null ? "" : String(row.rank) + (row.provisional ? "*" : "")),
            el("a", { class: "name", href: "#/assess/" + row.department_id }, row.name),
            el("span", { class: "right" }, row.score + " ", gradeChip(row.grade, row.tone))),
          row.vetoes.length ? el("div", { class: "meta" }, el("span", null, S.veto + ": " + row.vetoes.join("；"))) : null)));
      return { table, chartNode, section: el("section", { class: "card" }, el("h2", null, table.label), chartNode, list) };
    });
    show(
      el("h1", null, data.title),
      el("section", { class: "card", id: "grades" },
        el("h2", null, S.ranking + " · " + (data.final ? S.final_result : S.preliminary_result)),
        el("div", { class: "chips" }, data.grades.map((g) => gradeChip(g.grade, g.tone)))),
      ...sections.map((s) => s.section));
    const narrow = document.getElementById("main").clientWidth < 600;
    for (const { table, chartNode } of sections) {
      const instance = chart(chartNode, {
        grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: { type: "value", min: 0, max: 100, axisLabel: { color: css("--hint") }, splitLine: GRID_LINE() },
        yAxis: {
          type: "category", inverse: true, data: table.rows.map((r) => r.name),
          axisLabel: { color: css("--text"), formatter: (name) => short(name, narrow ? 6 : 12) },
        },
        series: [{
          type: "bar", barMaxWidth: 18,
          label: { show: true, position: "right", color: css("--text"), formatter: (p) => table.rows[p.dataIndex].score },
          data: table.rows.map((r) => ({ value: Number(r.score), itemStyle: { color: css("--grade-" + r.tone) } })),
        }],
      });
      if (instance) instance.on("click", (event) => { location.hash = "#/assess/" + table.rows[event.dataIndex].department_id; });
    }
  }

  async function showAssessmentDepartment(id) {
    const data = await api("assessment/" + id);
    disposeCharts();
    const lines = (entries) => entries.length
      ? entries.map((a) => a.points + "：" + a.reason).join("；") : S.none;
    show(
      el("h1", { id: "assess-name" }, data.name + " ", el("span", { class: "hint" }, data.class_label)),
      el("section", { class: "card", id: "assess-summary" },
        el("div", { class: "big" }, data.score + " ", gradeChip(data.grade, data.tone)),
        el("div", { class: "meta" },
          el("span", null, S.bonus + " " + lines(data.bonus)),
          el("span", null, S.penalty + " " + lines(data.penalty)),
          el("span", null, S.veto + " " + (data.vetoes.length ? data.vetoes.join("；") : S.none)))),
      el("section", { class: "card" }, el("h2", null, S.deductions),
        el("ul", { class: "list", id: "assess-items" }, data.items.map((item) =>
          el("li", { "data-code": item.code },
            el("div", { class: "row-head" },
              el("span", { class: "name" }, item.code),
              el("span", { class: "title" }, item.title),
              el("span", { class: "right" }, (item.score === null ? S.not_scored : item.score) + " / " + item.points)),
            item.deductions.map((d) => el("div", { class: "deduction" },
              "−" + d.points + "：" + d.reason + (d.cites ? "（" + d.cites + "）" : ""))))))));
  }

  // ------------------------------------------------------------ routing

  async function route() {
    const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    const [screen, first, second] = parts;
    const number = (value) => Math.max(0, parseInt(value || "0", 10) || 0);
    document.getElementById("nav-overview").classList.toggle("active", !screen || screen === "overview");
    document.getElementById("nav-overdue").classList.toggle("active", screen === "overdue");
    document.getElementById("nav-assess").classList.toggle("active", screen === "assess");
    try {
      if (screen === "dept") await showDepartment(number(first));
      else if (screen === "item") await showItem(first, number(second));
      else if (screen === "overdue") await showOverdue(number(first));
      else if (screen === "binding") await showBinding(number(first), number(second));
      else if (screen === "assess" && first) await showAssessmentDepartment(number(first));
      else if (screen === "assess") await showAssessment();
      else if (me.role === "liaison") { location.replace("#/dept/" + me.department_id); return; }
      else await showOverview(number(first));
      document.body.dataset.screen = screen || "overview";
    } catch (error) {
      notice(error.status === 403 ? S.not_allowed : S.failed);
      document.body.dataset.screen = "error";
    }
    window.scrollTo(0, 0);
    if (!performance.getEntriesByName("duban-ready").length) performance.mark("duban-ready");
    document.body.dataset.ready = "1";
  }

  async function loadStrings(lang) {
    const response = await fetch(new URL("app/strings.json?lang=" + encodeURIComponent(lang || ""), ROOT));
    return response.json();
  }

  async function start() {
    applyTheme();
    tellTelegramReady();
    initData = readInitData();
    try {
      me = await api("me");
    } catch (error) {
      const tg = telegram();
      S = await loadStrings(tg && tg.initDataUnsafe && tg.initDataUnsafe.user ? tg.initDataUnsafe.user.language_code : "");
      document.title = S.title;
      notice(!initData || error.status === 401 ? S.open_in_telegram : error.status === 403 ? S.not_allowed : S.failed);
      document.body.dataset.screen = "refused";
      document.body.dataset.ready = "1";
      performance.mark("duban-ready");
      return;
    }
    S = me.strings;
    document.documentElement.lang = me.locale;
    document.title = S.title;
    document.getElementById("nav-overview").textContent = me.role === "liaison" ? S.items : S.overview;
    document.getElementById("nav-overdue").textContent = S.overdue;
    document.getElementById("nav-assess").textContent = S.assessment;
    document.getElementById("nav").hidden = false;
    window.addEventListener("hashchange", route);
    window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
    await route();
  }

  start();
})();
