// Formatting and DOM building. Every value from the API goes into the page
// as text (textContent, text nodes), never as HTML.

const SATS_PER_BTC = 100000000n;

// Digits with thin groups: "1234567" -> "1,234,567". s is a string of digits.
function group(s) {
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// Exact: integer arithmetic on a BigInt, never a floating-point division.
export function btc(sats) {
  const v = BigInt(sats);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const whole = (a / SATS_PER_BTC).toString();
  const frac = (a % SATS_PER_BTC).toString().padStart(8, "0");
  return (neg ? "-" : "") + whole + "." + frac;
}

export function sats(n) {
  if (n === null || n === undefined) return "—";
  const s = BigInt(n).toString();
  return (s.startsWith("-") ? "-" + group(s.slice(1)) : group(s)) + " sat";
}

// "10,000 sat" with "0.00010000 BTC" beside it.
export function amount(n) {
  if (n === null || n === undefined) return text("—");
  return el("span", { class: "amount" }, sats(n), " ",
            el("span", { class: "btc" }, btc(n) + " BTC"));
}

// Local time, UTC on hover.
export function time(iso) {
  if (!iso) return text("—");
  const d = new Date(iso);
  return el("time", { datetime: iso, title: iso.replace("T", " ").replace("Z", " UTC") },
            d.toLocaleString());
}

export function age(iso, now = Date.now()) {
  if (!iso) return "—";
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  return Math.floor(s / 86400) + " d";
}

export function text(s) {
  return document.createTextNode(s === null || s === undefined ? "" : String(s));
}

// el("a", {href: "#x", class: "c"}, "text", node, …): attributes set with
// setAttribute, children strings become text nodes.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : text(c));
  }
  return e;
}

// What a status reads as where its name says little to a support person.
const LABELS = { awaiting_destination: "awaiting customer" };

export function badge(status) {
  return el("span", { class: "badge s-" + String(status).replace(/[^a-z_]/g, ""),
                      title: LABELS[status] ? status : null }, LABELS[status] || status);
}

export function table(caption, head, rows) {
  return el("div", { class: "scroll" },
            el("table", {},
               el("caption", {}, caption),
               el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
               el("tbody", {}, rows.length ? rows
                 : el("tr", {}, el("td", { colspan: head.length, class: "empty" }, "None")))));
}

// A definition list of [label, value] pairs.
export function fields(pairs) {
  return el("dl", { class: "fields" },
            pairs.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

export function json(v) {
  return v === null || v === undefined ? "—" : el("code", { class: "json" }, JSON.stringify(v));
}
