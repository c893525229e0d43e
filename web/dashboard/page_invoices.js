// Invoices: the listing with filters and cursor pages.
import { call, qs } from "./api.js";
import { age, amount, badge, el, table, time } from "./fmt.js";

const STATUSES = ["", "unpaid", "processing", "paid", "underpaid", "overpaid", "expired",
                  "refunded"];

function filterForm(params) {
  const status = el("select", { id: "f-status", name: "status" },
    STATUSES.map((s) => el("option", { value: s, selected: params.get("status") === s },
                           s || "any")));
  const after = el("input", { id: "f-after", name: "created_after", type: "date",
                              value: params.get("created_after") || "" });
  const before = el("input", { id: "f-before", name: "created_before", type: "date",
                               value: params.get("created_before") || "" });
  const form = el("form", { class: "filters", role: "search" },
    el("div", {}, el("label", { for: "f-status" }, "Status"), status),
    el("div", {}, el("label", { for: "f-after" }, "Created from"), after),
    el("div", {}, el("label", { for: "f-before" }, "Created before"), before),
    el("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = "#/invoices" + qs({ status: status.value, created_after: after.value,
                                        created_before: before.value });
  });
  return form;
}

export async function invoicesPage({ view, params, alive }) {
  view.append(el("h1", {}, "Invoices"), filterForm(params));
  const out = el("div", { "aria-live": "polite" }, el("p", {}, "Loading…"));
  view.append(out);
  const filters = { status: params.get("status"), created_after: params.get("created_after"),
                    created_before: params.get("created_before") };
  try {
    const page = await call("invoices", "GET", "/invoices" +
                            qs({ ...filters, limit: "20", cursor: params.get("cursor") }));
    if (!alive()) return;
    const rows = page.data.map((i) => el("tr", {},
      el("td", {}, el("a", { href: "#/invoice/" + encodeURIComponent(i.id) }, i.id)),
      el("td", {}, badge(i.status)),
      el("td", { class: "num" }, amount(i.amount_sats)),
      el("td", { class: "num" }, amount(i.amount_paid_sats)),
      el("td", { class: "num" }, amount(i.amount_refunded_sats)),
      el("td", {}, i.description || ""),
      el("td", {}, time(i.created_at), el("span", { class: "age" }, " (" + age(i.created_at) + " ago)"))));
    const pager = el("nav", { class: "pager", "aria-label": "Pages of invoices" });
    if (params.get("cursor"))
      pager.append(el("a", { href: "#/invoices" + qs(filters) }, "First page"));
    if (page.has_more)
      pager.append(el("a", { href: "#/invoices" + qs({ ...filters, cursor: page.next_cursor }),
                             id: "next-page" }, "Next page"));
    out.replaceChildren(
      table("Newest first", ["Invoice", "Status", "Amount", "Paid", "Refunded", "Description",
                             "Created"], rows), pager);
  } catch (x) {
    if (alive()) out.replaceChildren(el("p", { class: "error", role: "alert" }, x.message));
  }
}
