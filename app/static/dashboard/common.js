/* What the district dashboard (dashboard.js) and the city's (city.js) share: DOM and number
 * helpers, the login (OAuth2 password grant), tokens in sessionStorage with refresh-token renewal,
 * the bearer-token API call and the page's start-up wiring. Vanilla JavaScript, no library, no
 * CDN; all text set with textContent (never innerHTML). Loaded before the page's own script. */
"use strict";

window.DashboardCommon = (function () {
  const API = "/api/v1";
  const STORE = "dashboard.tokens";
  const $ = (id) => document.getElementById(id);

  // Labels come from the service's one glossary (app/kit/glossary.py, served as /dashboard/glossary.js).
  const G = window.GLOSSARY || {};
  const zhOf = (group) => Object.fromEntries(Object.entries(G[group] || {}).map(([c, l]) => [c, l.zh]));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  const pct = (r) => (r === null || r === undefined ? "—" : (r * 100).toFixed(1) + "%");
  // Numbers as a Chinese office reads them: separators; money in 元, or 万元 from 10,000 on.
  const NF = new Intl.NumberFormat("zh-CN");
  const NF2 = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const num = (v) => (v === null || v === undefined ? "—" : NF.format(Number(v)));
  function money(v) {
    if (v === null || v === undefined) return "—";
    const n = Number(v);
    return Math.abs(n) >= 10000 ? NF2.format(n / 10000) + " 万元" : NF2.format(n) + " 元";
  }
  const hhmmss = (d) => d.toTimeString().slice(0, 8);

  // One page's session: `state` holds tokens, me and timer; `start` runs once signed in.
  function session(state, start) {
    function saveTokens(t) {
      state.tokens = t;
      if (t) sessionStorage.setItem(STORE, JSON.stringify(t));
      else sessionStorage.removeItem(STORE);
    }

    async function tokenRequest(form) {
      const r = await fetch(API + "/auth/token", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form).toString(),
      });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(body.detail || body.title || "登录失败");
      return {
        access: body.access_token,
        refresh: body.refresh_token,
        expires: Date.now() + (body.expires_in || 0) * 1000,
      };
    }

    async function renew() {
      if (!state.tokens || !state.tokens.refresh) return false;
      try {
        saveTokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: state.tokens.refresh }));
        return true;
      } catch (e) {
        saveTokens(null);
        return false;
      }
    }

    async function api(path) {
      if (state.tokens && state.tokens.expires - Date.now() < 30 * 1000) await renew();
      if (!state.tokens) throw new Error("未登录");
      const call = () => fetch(path, {
        headers: { Authorization: "Bearer " + state.tokens.access, Accept: "application/json" },
      });
      let r = await call();
      if (r.status === 401 && (await renew())) r = await call();
      if (r.status === 401) {
        showLogin("登录已过期，请重新登录");
        throw new Error("登录已过期");
      }
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(body.detail || body.title || "请求失败（" + r.status + "）");
      return body;
    }

    function showLogin(message) {
      clearInterval(state.timer);
      state.timer = null;
      saveTokens(null);
      $("board-view").hidden = true;
      $("session-bar").hidden = true;
      $("login-view").hidden = false;
      const err = $("login-error");
      err.hidden = !message;
      err.textContent = message || "";
    }

    async function onLogin(ev) {
      ev.preventDefault();
      $("login-button").disabled = true;
      try {
        saveTokens(await tokenRequest({
          grant_type: "password",
          username: $("username").value.trim(),
          password: $("password").value,
        }));
        $("password").value = "";
        await start();
      } catch (e) {
        showLogin(e.message);
      } finally {
        $("login-button").disabled = false;
      }
    }

    // Signed in: the board and the session bar replace the login.
    function showBoard() {
      $("login-view").hidden = true;
      $("board-view").hidden = false;
      $("session-bar").hidden = false;
      $("who").textContent = state.me.name;
    }

    // On DOMContentLoaded: the login form, logout, refresh and month controls, then the page's
    // own `wire()`, then a saved session resumes or the login shows.
    function boot(load, wire) {
      document.addEventListener("DOMContentLoaded", () => {
        $("login-form").addEventListener("submit", onLogin);
        $("logout").addEventListener("click", () => showLogin(""));
        $("refresh").addEventListener("click", load);
        $("month").addEventListener("change", () => { state.monthChosen = true; load(); });
        if (wire) wire();
        const saved = sessionStorage.getItem(STORE);
        if (saved) {
          try {
            state.tokens = JSON.parse(saved);
            start().catch(() => showLogin(""));
            return;
          } catch (e) {
            saveTokens(null);
          }
        }
        showLogin("");
      });
    }

    // The page's summary at `path` for the chosen month (and what `more(params)` adds), rendered;
    // the time of the last update, or the load error, shows under the toolbar.
    async function loadSummary(path, render, more) {
      const params = new URLSearchParams();
      // The current month is the server's (Beijing) until the user picks another.
      if (state.monthChosen && $("month").value) params.set("month", $("month").value);
      if (more) more(params);
      try {
        const s = await api(API + path + "?" + params.toString());
        state.summary = s;
        render(s);
        $("load-error").hidden = true;
        $("last-updated").textContent = "最后更新：" + hhmmss(new Date());
      } catch (e) {
        $("load-error").hidden = false;
        $("load-error").textContent = "数据加载失败：" + e.message;
      }
    }

    return { api, showLogin, showBoard, boot, loadSummary };
  }

  return { API, $, zhOf, el, pct, num, money, hhmmss, session };
})();
