// A table of refunds, as the invoice page and the refunds page show them:
// the processing ones stand out with how long they have been processing.
import { age, amount, badge, el, table, time } from "./fmt.js";

export function refundRow(r, extra) {
  const stuck = r.status === "processing";
  return el("tr", { class: stuck ? "processing" : null, id: "refund-" + r.id },
    el("td", {}, el("code", { class: "id" }, r.id)),
    el("td", {}, el("a", { href: "#/invoice/" + encodeURIComponent(r.invoice_id) }, r.invoice_id)),
    el("td", { class: "num" }, amount(r.amount_sats)),
    el("td", {}, badge(r.status), stuck ? el("span", { class: "age" }, " for " + age(r.updated_at)) : null),
    el("td", {}, r.approval_status === "not_required" ? "—" : badge(r.approval_status)),
    el("td", { class: "dest" }, r.destination),
    el("td", {}, r.reason || ""),
    el("td", {}, r.last_error || r.failure_reason || ""),
    el("td", {}, time(r.created_at)),
    extra ? el("td", {}, extra) : null);
}

export function refundTable(caption, refunds, extraHead, extra) {
  const head = ["Refund", "Invoice", "Amount", "Status", "Approval", "Destination", "Reason",
                "Why waiting / failed", "Created"];
  if (extraHead) head.push(extraHead);
  return table(caption, head, refunds.map((r) => refundRow(r, extra ? extra(r) : null)));
}
