// /readyz: the database, the executors' heartbeats, the receive backends.
import { ready } from "./api.js";
import { age, badge, el, fields, json, table, time } from "./fmt.js";

export async function statusPage({ view, alive }) {
  const out = el("div", { "aria-live": "polite" }, el("p", {}, "Loading…"));
  view.append(el("h1", {}, "Status"), out);
  try {
    const r = await ready();
    if (!alive()) return;
    const execs = (r.executors || []).map((x) => el("tr", {},
      el("td", {}, x.executor_id), el("td", {}, x.host), el("td", {}, x.version),
      el("td", {}, time(x.last_pass_at)),
      el("td", { class: x.seconds_since_last_pass > 300 ? "stale" : null },
         age(x.last_pass_at) + " ago"),
      el("td", {}, json(x.counts))));
    const recv = [];
    for (const [store, backends] of Object.entries(r.receive || {}))
      for (const [kind, b] of Object.entries(backends))
        recv.push(el("tr", {}, el("td", {}, store), el("td", {}, kind), el("td", {}, badge(b.status)),
                     el("td", {}, b.last_poll_at ? time(b.last_poll_at) : "—"),
                     el("td", {}, b.error || "")));
    out.replaceChildren(
      fields([["qpayd", badge(r.status)], ["Database", badge(r.database)],
              ["Schema", `${r.schema_version ?? "—"} (expected ${r.expected_schema_version})`],
              ["Reason", r.reason || "—"]]),
      table("Executors (heartbeats)", ["Executor", "Host", "Version", "Last pass", "Age", "Counts"], execs),
      table("Receive backends", ["Store", "Backend", "Status", "Last poll", "Error"], recv));
  } catch (x) {
    if (alive()) out.replaceChildren(el("p", { class: "error", role: "alert" }, x.message));
  }
}
