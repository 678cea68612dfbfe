// babelforge review page. No framework, no build step.
//
// Offsets: the server speaks code points (Python's str indices); JavaScript strings count UTF-16
// units. Every text is rendered as segments that each carry their starting code point
// (data-start), so a DOM selection maps back to exact code points whatever the script: emoji,
// CJK, Thai, combining marks, right-to-left text. Selections are widened to whole graphemes and
// trimmed of surrounding white space.
//
// Every text from the data is set with textContent, never innerHTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { annotator: null, labels: [], label: null, item: null, spans: [], chosen: null, history: [] };

// ---- code points ------------------------------------------------------------------------

function codePoints(text) { return Array.from(text); }

function unitsToCodePoints(text, units) {
  let cp = 0, u = 0;
  for (const ch of text) { if (u >= units) break; u += ch.length; cp += 1; }
  return cp;
}

function graphemeBounds(text) {
  const bounds = [0];
  if (!(window.Intl && Intl.Segmenter)) { return codePoints(text).map((_, i) => i + 1).concat([0]); }
  let cp = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) {
    cp += codePoints(segment).length;
    bounds.push(cp);
  }
  return bounds;
}

function snap(text, start, end) {
  const chars = codePoints(text);
  while (start < end && /\s/u.test(chars[start])) start += 1;
  while (end > start && /\s/u.test(chars[end - 1])) end -= 1;
  if (start >= end) return null;
  const bounds = graphemeBounds(text);
  start = Math.max(...bounds.filter((b) => b <= start));
  end = Math.min(...bounds.filter((b) => b >= end));
  return [start, end];
}

// ---- rendering --------------------------------------------------------------------------

function labelClass(label) {
  const i = state.labels.indexOf(label);
  return i >= 0 && i < 9 ? "lab-" + i : "lab-x";
}

function renderText(el, text, spans, clickable) {
  el.textContent = "";
  const chars = codePoints(text);
  const cuts = new Set([0, chars.length]);
  spans.forEach(([s, e]) => { cuts.add(s); cuts.add(e); });
  const points = [...cuts].sort((a, b) => a - b);
  for (let k = 0; k + 1 < points.length; k += 1) {
    const [s, e] = [points[k], points[k + 1]];
    const covering = spans.map((span, i) => [span, i]).filter(([span]) => span[0] <= s && span[1] >= e);
    const node = document.createElement(covering.length ? "mark" : "span");
    node.dataset.start = String(s);
    node.textContent = chars.slice(s, e).join("");
    if (covering.length) {
      const [span, index] = covering[covering.length - 1];
      node.className = labelClass(span[2]) + (clickable && state.chosen === index ? " chosen" : "");
      node.title = covering.map(([c]) => c[2]).join(" + ");
      node.dataset.span = String(index);
      if (span[1] === e) node.dataset.label = span[2];
    }
    el.appendChild(node);
  }
}

function renderItem() {
  const item = state.item;
  $("meta").textContent = "";
  addChips($("meta"), { id: item.id, language: item.language, split: item.split, method: item.method,
    score: item.score === null ? null : Number(item.score).toFixed(3) });
  $("metrics").textContent = "";
  addChips($("metrics"), item.metrics || {});
  $("prompt-box").hidden = !item.prompt;
  $("prompt").textContent = item.prompt || "";
  const side = item.source_side;
  $("source-box").hidden = !side;
  if (side) {
    $("source-lang").textContent = side.language || "";
    renderText($("source"), side.text || "", side.spans || [], false);
  }
  const titles = { chat: ["", "Response"], codemix: ["Original", "Code-mixed"], qa: ["", "Context"] };
  const [sourceTitle, targetTitle] = titles[item.kind] || ["Source", side ? "Target" : "Text"];
  $("source-title").textContent = sourceTitle || "Source";
  $("target-title").textContent = targetTitle;
  $("target-lang").textContent = item.language || "";
  renderText($("target"), item.text, state.spans, true);
  $("labels").hidden = $("span-list").hidden = !item.editable;
  renderSpanList();
  renderLabels();
}

function addChips(el, values) {
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined || value === "") continue;
    const chip = document.createElement("span");
    chip.textContent = key + ": " + (typeof value === "object" ? JSON.stringify(value) : value);
    el.appendChild(chip);
  }
}

function renderSpanList() {
  const body = $("span-list").querySelector("tbody");
  body.textContent = "";
  const chars = codePoints(state.item.text);
  state.spans.forEach(([s, e, label], i) => {
    const row = body.insertRow();
    row.insertCell().textContent = label;
    row.insertCell().textContent = chars.slice(s, e).join("");
    row.insertCell().textContent = s + "–" + e;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.title = "delete this span";
    remove.addEventListener("click", () => deleteSpan(i));
    row.insertCell().appendChild(remove);
  });
}

function renderLabels() {
  const box = $("labels");
  box.textContent = "";
  state.labels.forEach((label, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = labelClass(label) + (state.label === label ? " current" : "");
    button.textContent = (i < 9 ? (i + 1) + " " : "") + label;
    button.addEventListener("mousedown", (e) => e.preventDefault()); // keep the text selection
    button.addEventListener("click", () => applyLabel(label));
    box.appendChild(button);
  });
}

// ---- selection to code points -----------------------------------------------------------

function pointToCodePoint(container, node, offset) {
  const total = codePoints(state.item.text).length;
  if (node.nodeType === Node.TEXT_NODE) {
    const segment = node.parentElement.closest("[data-start]");
    return Number(segment.dataset.start) + unitsToCodePoints(node.data, offset);
  }
  if (node === container) {
    const child = container.childNodes[offset];
    return child ? Number(child.dataset.start) : total;
  }
  const segment = node.closest("[data-start]");
  return Number(segment.dataset.start) + (offset > 0 ? codePoints(segment.textContent).length : 0);
}

function selectedRange() {
  const selection = window.getSelection();
  if (!selection.rangeCount || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  const target = $("target");
  if (!target.contains(range.startContainer) || !target.contains(range.endContainer)) return null;
  const a = pointToCodePoint(target, range.startContainer, range.startOffset);
  const b = pointToCodePoint(target, range.endContainer, range.endOffset);
  return snap(state.item.text, Math.min(a, b), Math.max(a, b));
}

// ---- editing ----------------------------------------------------------------------------

function applyLabel(label) {
  state.label = label;
  const range = state.item && state.item.editable ? selectedRange() : null;
  if (range) {
    const exists = state.spans.some(([s, e, l]) => s === range[0] && e === range[1] && l === label);
    if (!exists) state.spans = [...state.spans, [range[0], range[1], label]].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    window.getSelection().removeAllRanges();
    say("added " + label + " at " + range[0] + "–" + range[1]);
  }
  renderItem();
}

function deleteSpan(index) {
  state.spans = state.spans.filter((_, i) => i !== index);
  state.chosen = null;
  renderItem();
}

function edited() {
  return JSON.stringify(state.spans) !== JSON.stringify(state.item.spans);
}

// ---- server -----------------------------------------------------------------------------

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const data = await response.json().catch(() => ({ detail: response.statusText }));
  if (!response.ok) throw new Error(typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail));
  return data;
}

function filterQuery() {
  const q = new URLSearchParams({ annotator: state.annotator });
  const pairs = { language: $("f-language").value, label: $("f-label").value, method: $("f-method").value,
    min_score: $("f-min").value, max_score: $("f-max").value };
  for (const [k, v] of Object.entries(pairs)) if (v !== "") q.set(k, v);
  if ($("f-low").checked) q.set("low_first", "true");
  return q.toString();
}

async function loadNext() {
  show(await api("/api/next?" + filterQuery()));
}

async function loadItem(n) {
  show(await api("/api/items/" + n + "?" + new URLSearchParams({ annotator: state.annotator })));
}

function show(data) {
  showProgress(data.progress);
  state.item = data.item;
  state.chosen = null;
  $("reject-box").hidden = true;
  $("item").dataset.n = data.item ? String(data.item.n) : "";
  if (!data.item) {
    $("sides").hidden = true;
    $("actions").hidden = true;
    say("nothing left to review with these filters: thank you");
    return;
  }
  $("sides").hidden = $("actions").hidden = false;
  const mine = data.item.mine;
  state.spans = mine && mine.spans ? mine.spans : data.item.spans.map((s) => s.slice());
  $("comment").value = mine && mine.comment ? mine.comment : "";
  say(mine ? "you answered " + mine.decision + (mine.reason ? " (" + mine.reason + ")" : "") + "; a new answer replaces it" : "");
  renderItem();
}

function showProgress(p) {
  $("bar").max = Math.max(p.total, 1);
  $("bar").value = p.done;
  $("progress-text").textContent = p.done + " of " + p.total + " items done · " + p.mine + " by you";
}

async function decide(decision, reason) {
  if (!state.item) return;
  const body = { annotator: state.annotator, decision, comment: $("comment").value || null };
  if (reason) body.reason = reason;
  if (decision === "accept" && state.item.editable && edited()) body.spans = state.spans;
  try {
    await api("/api/items/" + state.item.n + "/decision", body);
    state.history.push(state.item.n);
    await loadNext();
  } catch (error) { fail(error); }
}

function say(text) { $("status").textContent = text; $("status").className = ""; }
function fail(error) { $("status").textContent = String(error.message || error); $("status").className = "error"; }

// ---- reject, keys, panels ---------------------------------------------------------------

function openReject() {
  $("reject-box").hidden = false;
  $("reject-detail").focus();
}

function confirmReject() {
  const detail = $("reject-detail").value.trim();
  const reason = $("reject-reason").value + (detail ? ": " + detail : "");
  $("reject-detail").value = "";
  decide("reject", reason);
}

function onKey(event) {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (event.key === "Escape") { document.activeElement.blur(); $("reject-box").hidden = true; return; }
  if (typing) {
    if (event.key === "Enter" && !$("reject-box").hidden && document.activeElement.id === "reject-detail") {
      event.preventDefault();
      confirmReject();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const actions = {
    a: () => decide("accept"), r: openReject, s: () => decide("skip"), b: back,
    c: () => $("comment").focus(), x: deleteChosen, Delete: deleteChosen, Backspace: deleteChosen,
  };
  if (/^[1-9]$/.test(event.key) && state.labels[Number(event.key) - 1]) {
    event.preventDefault();
    applyLabel(state.labels[Number(event.key) - 1]);
  } else if (actions[event.key]) {
    event.preventDefault();
    actions[event.key]();
  }
}

function deleteChosen() { if (state.chosen !== null) deleteSpan(state.chosen); }

async function back() {
  const n = state.history.pop();
  if (n !== undefined) await loadItem(n).catch(fail);
}

function onTargetClick(event) {
  const mark = event.target.closest("mark[data-span]");
  if (!mark || !window.getSelection().isCollapsed) return;
  state.chosen = Number(mark.dataset.span);
  renderItem();
  say("span chosen: x or Delete removes it");
}

async function loadStats() {
  const box = $("stats");
  try {
    const stats = await api("/api/stats");
    box.textContent = "";
    const agreement = stats.agreement.overall;
    table(box, ["figure", "value"], [
      ["items reviewed", stats.reviewed + " of " + stats.items],
      ["Fleiss' kappa", fmt(agreement.fleiss_kappa)],
      ["Cohen's kappa (mean of pairs)", fmt(agreement.cohen_kappa_mean)],
      ["span F1 between annotators", fmt(agreement.span_f1)],
      ["items with overlap", stats.agreement.items_with_overlap],
    ]);
    table(box, ["method", "language", "acc.", "rej.", "rate"],
      stats.acceptance.map((r) => [r.method, r.language, r.accepted, r.rejected, fmt(r.rate)]));
    table(box, ["language", "Fleiss", "span F1"], Object.entries(stats.agreement.languages).map(
      ([lang, f]) => [lang, fmt(f.fleiss_kappa), fmt(f.span_f1)]));
    table(box, ["label", "span F1"], Object.entries(stats.agreement.labels).map(([l, f]) => [l, fmt(f)]));
  } catch (error) { box.textContent = String(error.message || error); }
}

function fmt(x) { return x === null || x === undefined ? "–" : Number(x).toFixed(3); }

function table(parent, head, rows) {
  const t = document.createElement("table");
  const h = t.createTHead().insertRow();
  head.forEach((name) => { const th = document.createElement("th"); th.textContent = name; h.appendChild(th); });
  const body = t.createTBody();
  rows.forEach((r) => { const row = body.insertRow(); r.forEach((v) => { row.insertCell().textContent = String(v); }); });
  parent.appendChild(t);
}

function fillSelect(select, values) {
  values.forEach((v) => { const o = document.createElement("option"); o.value = o.textContent = v; select.appendChild(o); });
}

// ---- start ------------------------------------------------------------------------------

async function start() {
  const session = await api("/api/session");
  document.title = $("title").textContent = session.title;
  $("guidelines").innerHTML = session.guidelines_html || "<p>No guidelines in this manifest.</p>"; // markdown-it output, raw HTML escaped
  state.labels = session.labels;
  fillSelect($("f-language"), session.facets.languages);
  fillSelect($("f-label"), session.facets.labels);
  fillSelect($("f-method"), session.facets.methods);
  const query = new URLSearchParams(location.search);
  if (query.has("token")) { // the cookie now carries it: keep the secret out of history and bookmarks
    query.delete("token");
    history.replaceState(null, "", location.pathname + (query.toString() ? "?" + query : ""));
  }
  // a per-annotator token fixes the name: the server refuses any other
  state.annotator = session.annotator_locked ? session.annotator
    : query.get("annotator") || localStorage.getItem("babelforge-annotator") || session.annotator;
  if (!state.annotator) {
    $("login").hidden = false;
    $("name").focus();
    return;
  }
  begin();
}

async function begin() {
  localStorage.setItem("babelforge-annotator", state.annotator);
  $("who").textContent = "annotator: " + state.annotator;
  try {
    // "back" reaches what this annotator answered before a reload or a restart too
    state.history = (await api("/api/recent?" + new URLSearchParams({ annotator: state.annotator }))).items;
    await loadNext();
  } catch (error) { fail(error); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("accept").addEventListener("click", () => decide("accept"));
  $("reject").addEventListener("click", openReject);
  $("reject-confirm").addEventListener("click", confirmReject);
  $("skip").addEventListener("click", () => decide("skip"));
  $("back").addEventListener("click", back);
  $("target").addEventListener("click", onTargetClick);
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); loadNext().catch(fail); });
  $("stats-panel").addEventListener("toggle", () => { if ($("stats-panel").open) loadStats(); });
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.annotator = $("name").value.trim();
    $("login").hidden = true;
    begin();
  });
  document.addEventListener("keydown", onKey);
  start().catch(fail);
});
