// The isolated viewer's frame (served by the customer's gatekeeper at /v1/viewer/): the only
// place where plaintext and per-object keys exist in isolated mode.
//
// It runs on the gatekeeper's origin under a Content-Security-Policy that lets only the scripts the
// customer pinned run (this file, the WebAssembly client and a pinned renderer, each by SHA-384),
// and lets it connect only to the gatekeeper and the bucket. Its configuration (the pinned
// gatekeeper key, the vendor origins, the client and renderer files) is rendered into the page by
// the gatekeeper, never taken from the parent.
//
// The parent (the vendor's page, `parent.js`) gets exactly four kinds of message from here, each
// sent to its exact origin: `cosign` (the encoded access request, to be co-signed with the parent's
// own first-party session), `height` (the frame's height in pixels), `error` (a stable code) and
// nothing else; and it answers `cosigned` (the vendor's key id and signature) or `cosign-refused`
// (a code). Messages from any other origin or window are ignored. This file must never post an
// object key, a presigned URL, a receipt or any byte of plaintext to the parent.

const PROTOCOL = "s3gk-viewer/1";
const CONFIG = JSON.parse(document.getElementById("viewer-config").textContent);
const COSIGN_URL = new URL("cosign", location.href).href;
const COSIGN_TIMEOUT_MS = 120_000;
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;

const params = new URLSearchParams(location.search);
const parentOrigin = params.get("origin") || "";
const prefix = params.get("prefix") || "";
const rendererName = params.get("renderer") || "report";
const $ = (id) => document.getElementById(id);

// What each code of the viewer itself means (the client's and the gatekeeper's codes keep the
// client's message).
const MESSAGES = {
  not_embedded: "The viewer must be embedded in the vendor's page.",
  unknown_parent: "The page embedding this viewer is not one the customer allows.",
  bad_parameters: "The viewer was opened without a valid report prefix.",
  unknown_renderer: "The customer has not pinned the renderer this page asked for.",
  renderer_refused: "The renderer did not load: its bytes differ from the customer's pin, or it could not be fetched. Nothing from it ran.",
  renderer_failed: "The renderer failed while showing the report.",
  client_refused: "The WebAssembly client did not load: its bytes differ from the customer's pin, or it could not be fetched.",
  cosign_timeout: "The vendor's page did not answer the co-signature request.",
};

// Only to the exact, configured parent origin: a parent that is not that origin receives nothing.
let parentChecked = false;
function post(message) {
  if (parentChecked) window.parent.postMessage({ protocol: PROTOCOL, ...message }, parentOrigin);
}

function messageFor(code) {
  return Object.hasOwn(MESSAGES, code) ? MESSAGES[code] : null;
}

function showError(code, message) {
  const box = $("viewer-error");
  $("viewer-error-message").textContent = message || messageFor(code) || "The report could not be shown.";
  $("viewer-error-code").textContent = code;
  box.dataset.code = code;
  box.hidden = false;
  $("viewer-status").textContent = "";
  document.body.removeAttribute("aria-busy");
  post({ type: "error", code: CODE.test(code) ? code : "unexpected" });
}

function codeOf(error) {
  return error && typeof error.code === "string" && CODE.test(error.code) ? error.code : "unexpected";
}

// The co-signature bridge: requests go to the parent, answers come back only from the parent
// window at the parent origin, for a request still pending.
const pending = new Map();
let nextId = 1;

window.addEventListener("message", (event) => {
  if (event.origin !== parentOrigin || event.source !== window.parent || !parentChecked) return;
  const m = event.data;
  if (!m || typeof m !== "object" || m.protocol !== PROTOCOL || !pending.has(m.id)) return;
  const waiter = pending.get(m.id);
  if (m.type === "cosigned" && KEY_ID.test(m.vendorKeyId) && SIGNATURE.test(m.vendorSignature)) {
    pending.delete(m.id);
    waiter.resolve({ vendor_key_id: m.vendorKeyId, vendor_signature: m.vendorSignature });
  } else if (m.type === "cosign-refused" && CODE.test(m.code)) {
    pending.delete(m.id);
    waiter.reject(m.code);
  }
});

function cosign(request) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { pending.delete(id); reject("cosign_timeout"); }, COSIGN_TIMEOUT_MS);
    const done = (f) => (value) => { clearTimeout(timer); f(value); };
    pending.set(id, { resolve: done(resolve), reject: done(reject) });
    post({ type: "cosign", id, request });
  });
}

function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

// The client calls its co-sign URL with `fetch`; that one URL is answered here, through the
// parent, and every other request goes out unchanged.
const networkFetch = window.fetch.bind(window);
window.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : new URL(String(input), location.href).href;
  if (url !== COSIGN_URL) return networkFetch(input, init);
  const call = new Request(input, init);
  const body = await call.json().catch(() => null);
  if (call.method !== "POST" || !body || typeof body.request !== "string" || Object.keys(body).length !== 1) {
    return json(400, { error: { code: "malformed_json", message: "not a co-sign request" } });
  }
  try {
    return json(200, await cosign(body.request));
  } catch (code) {
    return json(403, { error: { code, message: messageFor(code) || "the vendor refused to co-sign" } });
  }
};

// The frame's height, for the parent to size the iframe (an integer, sent when it changes).
let lastHeight = -1;
function reportHeight() {
  const height = Math.min(100_000, Math.ceil(document.documentElement.getBoundingClientRect().height));
  if (height !== lastHeight && parentChecked) {
    lastHeight = height;
    post({ type: "height", height });
  }
}
new ResizeObserver(reportHeight).observe(document.documentElement);

async function start() {
  if (window.parent === window) return showError("not_embedded");
  if (!CONFIG.vendorOrigins.includes(parentOrigin)) return showError("unknown_parent");
  parentChecked = true;
  reportHeight();
  if (!prefix.endsWith("/") || prefix.length > 1024) return showError("bad_parameters");
  const source = Object.hasOwn(CONFIG.renderers, rendererName) ? CONFIG.renderers[rendererName] : null;
  if (!source) return showError("unknown_renderer");

  let GatekeeperClient;
  try {
    const glue = await import(new URL(CONFIG.client.module, document.baseURI).href);
    const wasm = networkFetch(new URL(CONFIG.client.wasm, document.baseURI).href, { integrity: CONFIG.client.wasmIntegrity });
    await glue.default({ module_or_path: wasm });
    GatekeeperClient = glue.GatekeeperClient;
  } catch {
    return showError("client_refused");
  }
  let renderer;
  try {
    renderer = await import(new URL(source, document.baseURI).href);
  } catch {
    return showError("renderer_refused");
  }
  if (typeof renderer.render !== "function") return showError("renderer_failed");

  let client;
  try {
    client = new GatekeeperClient({
      gatekeeperUrl: new URL("../../", location.href).href.replace(/\/$/, ""),
      gatekeeperId: CONFIG.gatekeeperId,
      gatekeeperPublicKey: CONFIG.gatekeeperPublicKey,
      gatekeeperKeyId: CONFIG.gatekeeperKeyId,
      cosignUrl: COSIGN_URL,
      credentials: "omit",
    });
  } catch (error) {
    return showError(codeOf(error), error.message);
  }
  const view = {
    root: $("viewer-report"),
    prefix,
    client,
    status(text) { $("viewer-status").textContent = text || ""; },
    fail(error) { showError(codeOf(error), error && error.message); },
    clearError() { $("viewer-error").hidden = true; delete $("viewer-error").dataset.code; },
  };
  try {
    await renderer.render(view);
    document.body.removeAttribute("aria-busy");
  } catch (error) {
    showError(error && error.code ? codeOf(error) : "renderer_failed", error && error.message);
  }
}

start();
