// A claimable refund's link to hand to the customer (docs/claims.md): the
// link, a copy button, the QR the API drew (claim_qr_svg, shown as an image
// from a data: URL, so it is never markup in this page), and the claim page.
// The API shows a link once only: a lost one is replaced by a new one.
import { call, newKey } from "./api.js";
import { el } from "./fmt.js";

// The box for r, the refund with its links, from refund create or
// claim-link; note says what happened (the old link stopped, for one).
export function claimBox(r, note) {
  const status = el("p", { class: "help", id: "claim-copy-status", role: "status" });
  const link = el("input", { id: "claim-url", readonly: true, value: r.claim_url,
                             "aria-label": "Claim link", spellcheck: "false" });
  const copy = el("button", { type: "button", id: "claim-copy" }, "Copy link");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(r.claim_url);
      status.textContent = "Copied.";
    } catch {
      // no clipboard (a plain-HTTP origin, or permission refused): select it
      link.select();
      status.textContent = "Selected: copy it with Ctrl+C.";
    }
  });
  const qr = r.claim_qr_svg
    ? el("img", { id: "claim-qr", class: "qr", width: "220", height: "220",
                  alt: "QR code of the claim (LNURL-withdraw) for a Lightning wallet",
                  src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(r.claim_qr_svg) })
    : null;
  return el("div", { class: "card claim", id: "claim-box", role: "region",
                     "aria-label": "Claim link" },
    el("h2", {}, "Claim link for refund ", el("code", {}, r.id)),
    note ? el("p", { class: "warn", id: "claim-note" }, note) : null,
    el("p", { class: "help" },
       "Send this link to the customer, or let them scan the QR with a Lightning wallet. " +
       "It is shown only now: qpayd keeps no copy."),
    link, copy, status, qr,
    el("p", {}, el("a", { id: "claim-open", href: r.claim_url, target: "_blank",
                          rel: "noreferrer noopener" }, "Open the claim page")));
}

// The buttons of an awaiting_destination refund (payout token): a new
// claim link, cancel.
// show(node) puts a result in the page; done() draws the refunds again.
export function claimActions(r, show, done) {
  if (r.status !== "awaiting_destination") return null;
  const cancelKey = newKey("dash_cancel_");
  const renew = el("button", { type: "button", class: "renew", "data-refund": r.id },
                   "New claim link");
  const cancel = el("button", { type: "button", class: "cancel", "data-refund": r.id },
                    "Cancel");
  const act = async (what) => {
    renew.disabled = cancel.disabled = true;
    try {
      await what();
      done();
    } catch (x) {
      show(el("p", { class: "error", role: "alert", id: "claim-error" }, x.message));
      renew.disabled = cancel.disabled = false;
    }
  };
  renew.addEventListener("click", () => act(async () => {
    // claim-link takes no Idempotency-Key: each call makes a new token; the
    // buttons stay disabled until the answer, so a double click makes one.
    const n = await call("refund_create", "POST",
                         `/refunds/${encodeURIComponent(r.id)}/claim-link`);
    show(claimBox(n, "A new link: the one given before no longer works."));
  }));
  cancel.addEventListener("click", () => act(async () => {
    await call("refund_create", "POST", `/refunds/${encodeURIComponent(r.id)}/cancel`,
               undefined, { "Idempotency-Key": cancelKey });
    show(el("p", { role: "status", id: "claim-note" }, `Canceled ${r.id}; its link no longer works.`));
  }));
  return el("span", { class: "actions" }, renew, " ", cancel);
}
