// The public API with the tokens the user pasted. They live in
// sessionStorage only (never a cookie or the URL) and leave on sign-out.

const KEY = "qpayd.session";

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function send(method, path, token, body, headers) {
  const h = Object.assign({ Accept: "application/json" }, headers || {});
  if (token) h.Authorization = "Bearer " + token;
  if (body !== undefined) h["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers: h, cache: "no-store", credentials: "omit",
                              body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "network", "qpayd did not answer: " + e.message);
  }
  let doc = null;
  try {
    doc = await res.json();
  } catch {
    doc = null;
  }
  if (!res.ok && !(path === "/readyz" && doc)) {
    const err = doc && doc.error ? doc.error : {};
    throw new ApiError(res.status, err.code || "http_" + res.status,
                       err.message || "HTTP " + res.status);
  }
  return doc;
}

// Signs in with one or more tokens of one store: each is asked what it may do.
export async function signIn(store, tokens) {
  const list = [];
  for (const token of tokens) {
    const who = await send("GET", `/v1/stores/${encodeURIComponent(store)}/whoami`, token);
    list.push({ token, role: who.role, can: who.can, signed: who.signed_approvals });
  }
  const s = { store, tokens: list };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

// What the signed-in tokens may do together.
export function can(cap) {
  const s = session();
  return !!s && s.tokens.some((t) => t.can[cap]);
}

export function signedApprovals() {
  const s = session();
  return !!s && s.tokens.some((t) => t.signed);
}

// A call under capability cap, with the first token that has it.
export function call(cap, method, rest, body, headers) {
  const s = session();
  const t = s && s.tokens.find((x) => x.can[cap]);
  if (!t) return Promise.reject(new ApiError(401, "unauthorized", "no signed-in token may do this"));
  return send(method, `/v1/stores/${encodeURIComponent(s.store)}` + rest, t.token, body, headers);
}

export function ready() {
  return send("GET", "/readyz");
}

// A fresh Idempotency-Key: one per form, so a double submit makes one refund.
export function newKey(prefix) {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return prefix + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) u.set(k, v);
  const s = u.toString();
  return s ? "?" + s : "";
}
