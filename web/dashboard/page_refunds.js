// Refunds by status, newest first; the processing ones with their age.
import { call, can, qs } from "./api.js";
import { claimActions } from "./claim_link.js";
import { el } from "./fmt.js";
import { refundTable } from "./refund_table.js";

const STATUSES = ["", "awaiting_destination", "pending", "processing", "succeeded", "failed",
                  "canceled"];
const LABELS = { "": "any", awaiting_destination: "awaiting customer" };

export async function refundsPage({ view, params, alive }) {
  const status = el("select", { id: "r-status", name: "status" },
    STATUSES.map((s) => el("option", { value: s, selected: (params.get("status") || "") === s },
                           LABELS[s] || s)));
  const form = el("form", { class: "filters", role: "search" },
    el("div", {}, el("label", { for: "r-status" }, "Status"), status),
    el("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = "#/refunds" + qs({ status: status.value });
  });
  const out = el("div", { "aria-live": "polite" }, el("p", {}, "Loading…"));
  const claimSlot = el("section", { id: "claim-slot", "aria-live": "polite",
                                    "aria-label": "Claim link" });
  view.append(el("h1", {}, "Refunds"), form, claimSlot, out);
  const show = (node) => claimSlot.replaceChildren(node);
  const filters = { status: params.get("status") };
  await load();

  async function load() {
    try {
      const page = await call("refunds_read", "GET", "/refunds" +
                              qs({ ...filters, limit: "50", cursor: params.get("cursor") }));
      if (!alive()) return;
      const awaiting = can("refund_create") &&
        page.data.some((r) => r.status === "awaiting_destination");
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
        refundTable("Newest first", page.data, awaiting ? "Action" : null,
                    awaiting ? (r) => claimActions(r, show, () => alive() && load()) : null),
        pager);
    } catch (x) {
      if (alive()) out.replaceChildren(el("p", { class: "error", role: "alert" }, x.message));
    }
  }
}
