// The approvals queue (admin): pending refunds with approval required. With
// signed approvals configured the browser never holds a private key: it
// shows the `qpayd approve` command to run where the key is.
import { call, newKey, qs, session, signedApprovals } from "./api.js";
import { amount, el } from "./fmt.js";
import { refundTable } from "./refund_table.js";

function command(id) {
  const s = session();
  return `QPAYD_ADMIN_TOKEN=… qpayd approve --key /path/to/approver.key --store ${s.store} ` +
         `--url ${location.origin} ${id}`;
}

export async function approvalsPage({ view, alive }) {
  const signed = signedApprovals();
  const note = el("p", { id: "approvals-note", class: "help" }, signed
    ? "This store takes signed approvals only: run the command shown for each refund on the " +
      "machine that holds an approver's key. It fetches the refund, signs its store, id, " +
      "invoice, amount, destination and creation time, and posts the signature; this page " +
      "never sees the key."
    : "Approve lets the executor pay the refund. Check the amount and the destination first.");
  const status = el("p", { id: "approve-status", role: "status" });
  const out = el("div", { "aria-live": "polite" }, el("p", {}, "Loading…"));
  view.append(el("h1", {}, "Approvals"), note, status, out);

  async function load() {
    try {
      const page = await call("refunds_read", "GET", "/refunds" +
                              qs({ status: "pending", approval_status: "required", limit: "100" }));
      if (!alive()) return;
      if (signed) {
        out.replaceChildren(refundTable("Waiting for approval, newest first", page.data),
          el("h2", {}, "Commands"),
          ...page.data.map((r) => el("div", { class: "cmdrow", id: "cmd-" + r.id },
            el("p", {}, "Refund ", el("code", {}, r.id), ", ", amount(r.amount_sats), " to ",
               el("code", {}, r.destination), ":"),
            el("code", { class: "cmd" }, command(r.id)))));
        return;
      }
      const action = (r) => {
        const key = newKey("dash_approve_");
        const b = el("button", { type: "button", class: "approve", "data-refund": r.id },
                     "Approve " + r.id);
        b.addEventListener("click", async () => {
          b.disabled = true;
          try {
            await call("approve", "POST", `/refunds/${encodeURIComponent(r.id)}/approve`, {},
                       { "Idempotency-Key": key });
            status.textContent = `Approved ${r.id}.`;
            await load();
          } catch (x) {
            status.textContent = x.message;
            b.disabled = false;
          }
        });
        return b;
      };
      out.replaceChildren(refundTable("Waiting for approval, newest first", page.data, "Action",
                                      action));
    } catch (x) {
      if (alive()) out.replaceChildren(el("p", { class: "error", role: "alert" }, x.message));
    }
  }
  await load();
}
