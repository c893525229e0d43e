// One invoice: its payments, refunds, event trail, refundable balance, and
// the Refund form. While a refund is in flight the page polls.
import { call, can, newKey } from "./api.js";
import { amount, badge, el, fields, json, table, time } from "./fmt.js";
import { claimActions, claimBox } from "./claim_link.js";
import { refundTable } from "./refund_table.js";

const POLL_MS = 1500;
const FIELDS = ["amount_sats", "destination", "reason", "reference"];

// Which field an API error concerns: the message begins with its name, or
// the code says it.
function fieldOf(err) {
  const m = /^([a-z_]+):/.exec(err.message || "");
  if (m && FIELDS.includes(m[1])) return m[1];
  if (/amount|refundable|refunded/.test(err.code)) return "amount_sats";
  if (/destination/.test(err.code)) return "destination";
  for (const f of FIELDS) if ((err.message || "").includes(f)) return f;
  return null;
}

function refundForm(inv, summary, onDone) {
  let key = newKey("dash_");
  const input = (name, label, attrs) => {
    const id = "rf-" + name;
    const help = el("p", { class: "help", id: id + "-help" }, attrs.help || "");
    const error = el("p", { class: "field-error", id: id + "-error", role: "alert" });
    const i = el("input", { id, name, "aria-describedby": `${id}-help ${id}-error`,
                            autocomplete: "off", ...attrs.input });
    return { i, error, node: el("div", { class: "field" }, el("label", { for: id }, label), i, help, error) };
  };
  const max = summary.refundable_sats;
  const amt = input("amount_sats", "Amount (sat)", {
    input: { inputmode: "numeric", pattern: "[0-9]+", required: true },
    help: "at most " + max + " sat refundable" });
  const dest = input("destination", "Destination", {
    input: { value: inv.refund_destination || "", spellcheck: "false" },
    help: inv.refund_destination ? "the invoice's refund destination; change it if needed"
                                 : "a bolt11 invoice, Lightning address, LNURL or bitcoin address" });
  // A claimable refund: no destination, the customer gives it on the claim
  // page (docs/claims.md).
  const claim = el("input", { type: "checkbox", id: "rf-claim", name: "claim",
                              "aria-describedby": "rf-claim-help" });
  const claimNode = el("div", { class: "field check" },
    el("label", { for: "rf-claim" }, claim, " Let the customer choose where (claim link)"),
    el("p", { class: "help", id: "rf-claim-help" },
       "qpayd makes a link and a QR code for the customer, who gives a bitcoin address or " +
       "Lightning destination, or scans it with a Lightning wallet."));
  claim.addEventListener("change", () => {
    dest.node.hidden = claim.checked;
    dest.i.disabled = claim.checked;
  });
  const reason = input("reason", "Reason (optional)", { input: { maxlength: "500" } });
  const ref = input("reference", "Reference (optional)", {
    input: { maxlength: "100" }, help: "your own order or ticket number" });
  const formError = el("p", { class: "error", id: "rf-error", role: "alert" });
  const submit = el("button", { type: "submit", id: "rf-submit" }, "Refund");
  const maxBtn = el("button", { type: "button", class: "link", id: "rf-max" }, "Use maximum");
  maxBtn.addEventListener("click", () => { amt.i.value = String(max); amt.i.focus(); });
  const form = el("form", { class: "card", id: "refund-form", novalidate: true },
    el("h2", {}, "Refund"), amt.node, maxBtn, claimNode, dest.node, reason.node, ref.node, formError, submit);
  const errs = { amount_sats: amt.error, destination: dest.error, reason: reason.error,
                 reference: ref.error };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const x of Object.values(errs)) x.textContent = "";
    formError.textContent = "";
    const body = { amount_sats: amt.i.value.trim() };
    if (!/^[0-9]+$/.test(body.amount_sats)) {
      amt.error.textContent = "amount_sats: a whole number of satoshis";
      amt.i.focus();
      return;
    }
    if (claim.checked) body.claim = true;
    else if (dest.i.value.trim()) body.destination = dest.i.value.trim();
    if (reason.i.value) body.reason = reason.i.value;
    if (ref.i.value) body.reference = ref.i.value;
    submit.disabled = true;
    try {
      // The key stays until a refund is made: a retry after a lost answer
      // replays it instead of paying twice.
      const r = await call("refund_create", "POST",
                           `/invoices/${encodeURIComponent(inv.id)}/refunds`, body,
                           { "Idempotency-Key": key });
      key = newKey("dash_");
      form.reset();
      formError.textContent = "";
      onDone(r);
    } catch (x) {
      const f = fieldOf(x);
      (f ? errs[f] : formError).textContent = x.message;
      if (f === "amount_sats") amt.i.focus();
      else if (f === "destination") dest.i.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function invoiceFields(inv) {
  return fields([
    ["Status", badge(inv.status)],
    ["Amount", amount(inv.amount_sats)],
    ["Paid", amount(inv.amount_paid_sats)],
    ["Refunded", amount(inv.amount_refunded_sats)],
    ["Description", inv.description || "—"],
    ["Metadata", json(inv.metadata)],
    ["Refund destination", inv.refund_destination || "—"],
    ["Created", time(inv.created_at)],
    ["Paid at", time(inv.paid_at)],
    ["Expires", time(inv.expires_at)],
  ]);
}

function payments(inv) {
  return table("Payments", ["Method", "Reference", "Amount", "Confirmations", "State", "Seen"],
    inv.payments.map((p) => el("tr", {},
      el("td", {}, p.method), el("td", {}, el("code", {}, p.reference)),
      el("td", { class: "num" }, amount(p.amount_sats)),
      el("td", { class: "num" }, String(p.confirmations)), el("td", {}, badge(p.state)),
      el("td", {}, time(p.first_seen_at)))));
}

function events(evs) {
  return table("Event trail", ["When", "Actor", "Event", "Status", "Detail"],
    evs.map((e) => el("tr", {},
      el("td", {}, time(e.created_at)), el("td", {}, e.actor), el("td", {}, e.event),
      el("td", {}, e.to_status ? (e.from_status || "—") + " → " + e.to_status : ""),
      el("td", {}, json(e.detail)))));
}

function summaryFields(s) {
  return fields([
    ["Refundable", amount(s.refundable_sats)],
    ["Refunded", amount(s.refunded_sats)],
    ["Processing", amount(s.processing_sats)],
    ["Pending", amount(s.pending_sats)],
    ["Refund window", s.refund_window_ends_at
      ? el("span", {}, s.refund_window_open ? "open until " : "closed at ",
           time(s.refund_window_ends_at)) : "no window"],
  ]);
}

export async function invoicePage({ view, alive }, id) {
  const path = "/invoices/" + encodeURIComponent(id);
  view.append(el("p", {}, el("a", { href: "#/invoices" }, "← Invoices")),
              el("h1", {}, "Invoice ", el("code", {}, id)));
  const top = el("section", { "aria-label": "Invoice" });
  const money = el("section", { id: "refunds", "aria-live": "polite", "aria-label": "Refunds" });
  // The claim link stays here while the refunds above are drawn again.
  const claimSlot = el("section", { id: "claim-slot", "aria-live": "polite",
                                    "aria-label": "Claim link" });
  const formSlot = el("section", { "aria-label": "Refund form" });
  const trail = el("section", { "aria-label": "Event trail" });
  view.append(top, money, claimSlot, formSlot, trail);
  const show = (node) => claimSlot.replaceChildren(node);
  const readRefunds = can("refunds_read");
  let formShown = false;
  let timer = null;

  async function load() {
    clearTimeout(timer);
    timer = null;
    try {
      const [inv, evs, summary, refunds] = await Promise.all([
        call("invoices", "GET", path),
        call("invoices", "GET", path + "/events"),
        readRefunds ? call("refunds_read", "GET", path + "/refund-summary") : null,
        readRefunds ? call("refunds_read", "GET", path + "/refunds") : null,
      ]);
      if (!alive()) return;
      top.replaceChildren(invoiceFields(inv), payments(inv));
      trail.replaceChildren(events(evs.data));
      if (!readRefunds) {
        money.replaceChildren(el("p", { class: "help" },
          "Sign in with the admin or payout token too to see and make refunds."));
        return;
      }
      const awaiting = can("refund_create") &&
        refunds.data.some((r) => r.status === "awaiting_destination");
      money.replaceChildren(el("h2", {}, "Refunds"), summaryFields(summary),
                            refundTable("Refunds of this invoice, oldest first", refunds.data,
                                        awaiting ? "Action" : null,
                                        awaiting ? (r) => claimActions(r, show, load) : null));
      if (!formShown && can("refund_create") && summary.refundable_sats > 0) {
        formShown = true;
        formSlot.replaceChildren(refundForm(inv, summary, (r) => {
          formShown = false; // drawn again with the new balance
          if (r.claim_url) show(claimBox(r));
          // a replay of the same Idempotency-Key answers without the link
          else if (r.status === "awaiting_destination")
            show(el("p", { class: "warn", id: "claim-note" }, `Refund ${r.id} was made ` +
                    "before; its link was shown then. Use New claim link if it is lost."));
          load();
        }));
      } else if (formShown && summary.refundable_sats <= 0) {
        formShown = false;
        formSlot.replaceChildren(el("p", { class: "help" }, "Nothing is left to refund."));
      }
      // In flight: processing, or pending for the executor. One waiting for
      // an approval or for a person (manual) can wait for days: no polling.
      const inFlight = refunds.data.some((r) => r.status === "processing" ||
        (r.status === "pending" && r.execution === "auto" && r.approval_status !== "required"));
      if (inFlight && alive()) timer = setTimeout(() => alive() && load(), POLL_MS);
    } catch (x) {
      if (alive()) top.replaceChildren(el("p", { class: "error", role: "alert" }, x.message));
    }
  }
  await load();
}
