// A table of refunds, as the invoice page and the refunds page show them:
// the processing ones stand out with how long they have been processing, a
// claimable one shows its claim's expiry or when it was claimed.
import { age, amount, badge, el, table, time } from "./fmt.js";

// A claimable refund: until when the customer may claim it, then the
// destination they gave and when.
function destination(r) {
  if (r.status === "awaiting_destination")
    return el("span", { class: "claim-expires" }, "customer's choice; claim by ",
              time(r.claim_expires_at));
  if (!r.claimed_at) return r.destination;
  return [r.destination, el("span", { class: "claimed" }, " (claimed by the customer ",
                            time(r.claimed_at), ")")];
}

export function refundRow(r, extra) {
  const stuck = r.status === "processing";
  return el("tr", { class: stuck ? "processing" : null, id: "refund-" + r.id },
    el("td", {}, el("code", { class: "id" }, r.id)),
    el("td", {}, el("a", { href: "#/invoice/" + encodeURIComponent(r.invoice_id) }, r.invoice_id)),
    el("td", { class: "num" }, amount(r.amount_sats)),
    el("td", {}, badge(r.status), stuck ? el("span", { class: "age" }, " for " + age(r.updated_at)) : null),
    el("td", {}, r.approval_status === "not_required" ? "—" : badge(r.approval_status)),
    el("td", { class: "dest" }, destination(r)),
    el("td", {}, r.reason || ""),
    el("td", {}, r.last_error || r.failure_reason || ""),
    el("td", {}, time(r.created_at)),
    extra ? el("td", {}, extra) : null);
}

export function refundTable(caption, refunds, extraHead, extra) {
  const head = ["Refund", "Invoice", "Amount", "Status", "Approval", "Destination", "Reason",
                "Why waiting / failed", "Created"];
  if (extraHead) head.push(extraHead);
  // a row without an action still has its cell: the columns stay in line
  return table(caption, head,
               refunds.map((r) => refundRow(r, extra ? extra(r) || el("span") : null)));
}
