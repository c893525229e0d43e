// The dashboard's shell: sign-in, navigation by the URL's hash, and which
// pages the signed-in tokens may see.
import { can, session, signIn, signOut } from "./api.js";
import { el } from "./fmt.js";
import { approvalsPage } from "./page_approvals.js";
import { invoicePage } from "./page_invoice.js";
import { invoicesPage } from "./page_invoices.js";
import { refundsPage } from "./page_refunds.js";
import { statusPage } from "./page_status.js";

const main = document.getElementById("main");
// Bumped on every navigation: a page's late answers and polls see that they
// are stale and stop.
let generation = 0;

function signInPage(view) {
  const err = el("p", { class: "error", id: "signin-error", role: "alert" });
  const store = el("input", { id: "store", name: "store", required: true, value: "main",
                              autocomplete: "off", spellcheck: "false" });
  const token = el("input", { id: "token", name: "token", type: "password", required: true,
                              autocomplete: "off", "aria-describedby": "token-help" });
  const token2 = el("input", { id: "token2", name: "token2", type: "password",
                               autocomplete: "off", "aria-describedby": "token-help" });
  const form = el("form", { class: "card narrow", id: "signin" },
    el("h1", {}, "Sign in"),
    el("label", { for: "store" }, "Store"), store,
    el("label", { for: "token" }, "Token"), token,
    el("label", { for: "token2" }, "Second token (optional)"), token2,
    el("p", { id: "token-help", class: "help" },
       "The api token shows invoices; the payout token refunds; the admin token reads " +
       "refunds and approves. Give two to do both. They are kept in this tab only " +
       "(sessionStorage) until you sign out."),
    err,
    el("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    const tokens = [token.value.trim(), token2.value.trim()].filter((t) => t);
    try {
      await signIn(store.value.trim(), tokens);
      const next = can("invoices") ? "#/invoices" : can("refunds_read") ? "#/refunds"
                                                                       : "#/status";
      if (location.hash === next) render();
      else location.hash = next; // hashchange renders it

    } catch (x) {
      err.textContent = x.message;
    }
  });
  view.append(form);
  store.focus();
}

function chrome() {
  const s = session();
  const nav = document.getElementById("nav");
  nav.hidden = !s;
  for (const a of nav.querySelectorAll("a[data-cap]")) a.hidden = !can(a.dataset.cap);
  const here = location.hash.split("?")[0];
  for (const a of nav.querySelectorAll("a")) {
    if (here.startsWith(a.getAttribute("href"))) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.getElementById("who").textContent =
    s ? `${s.store} · ${s.tokens.map((t) => t.role).join(" + ")}` : "";
  document.getElementById("signout").hidden = !s;
}

function render() {
  const gen = ++generation;
  const alive = () => gen === generation;
  chrome();
  const view = el("div", { class: "view" });
  main.replaceChildren(view);
  main.dataset.page = location.hash; // which page is drawn (the browser tests wait for it)
  if (!session()) {
    signInPage(view);
    return;
  }
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter((p) => p);
  const page = parts[0] || (can("invoices") ? "invoices" : "status");
  const ctx = { view, params, alive };
  if (page === "invoices" && can("invoices")) invoicesPage(ctx);
  else if (page === "invoice" && parts[1] && can("invoices")) invoicePage(ctx, parts[1]);
  else if (page === "refunds" && can("refunds_read")) refundsPage(ctx);
  else if (page === "approvals" && can("approve")) approvalsPage(ctx);
  else if (page === "status") statusPage(ctx);
  else view.append(el("p", { class: "error" }, "This page is not available to the signed-in token."));
}

document.getElementById("signout").addEventListener("click", () => {
  signOut();
  if (location.hash === "" || location.hash === "#") render();
  else location.hash = ""; // hashchange renders the sign-in form
});
window.addEventListener("hashchange", render);
render();
