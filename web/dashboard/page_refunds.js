// Refunds by status, newest first; the processing ones with their age.
import { call, qs } from "./api.js";
import { el } from "./fmt.js";
import { refundTable } from "./refund_table.js";

const STATUSES = ["", "pending", "processing", "succeeded", "failed", "canceled"];

export async function refundsPage({ view, params, alive }) {
  const status = el("select", { id: "r-status", name: "status" },
    STATUSES.map((s) => el("option", { value: s, selected: (params.get("status") || "") === s },
                           s || "any")));
  const form = el("form", { class: "filters", role: "search" },
    el("div", {}, el("label", { for: "r-status" }, "Status"), status),
    el("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = "#/refunds" + qs({ status: status.value });
  });
  const out = el("div", { "aria-live": "polite" }, el("p", {}, "Loading…"));
  view.append(el("h1", {}, "Refunds"), form, out);
  const filters = { status: params.get("status") };
  try {
    const page = await call("refunds_read", "GET", "/refunds" +
                            qs({ ...filters, limit: "50", cursor: params.get("cursor") }));
    if (!alive()) return;
    const processing = page.data.filter((r) => r.status === "processing").length;
    const pager = el("nav", { class: "pager", "aria-label": "Pages of refunds" });
    if (params.get("cursor")) pager.append(el("a", { href: "#/refunds" + qs(filters) }, "First page"));
    if (page.has_more)
      pager.append(el("a", { href: "#/refunds" + qs({ ...filters, cursor: page.next_cursor }) },
                      "Next page"));
    out.replaceChildren(
      processing ? el("p", { class: "warn" }, `${processing} processing on this page: the ` +
        "executor has sent them or is sending them; an old one needs qpayd-executor reconcile.")
                 : "",
      refundTable("Newest first", page.data), pager);
  } catch (x) {
    if (alive()) out.replaceChildren(el("p", { class: "error", role: "alert" }, x.message));
  }
}
