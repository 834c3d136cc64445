// The ticket report page: signs in to the vendor and opens a ticket in one of two modes.
//   isolated (the default): the customer's viewer, served by the customer's gatekeeper, runs in an
//     iframe and decrypts there; this page only co-signs its requests (mountViewer) and never
//     receives plaintext, object keys or presigned URLs.
//   embedded (?mode=embedded): this page loads the whole ticket with one readPrefix call (one vendor
//     and one gatekeeper round trip), decrypts every object itself, and shows who signed what. It
//     keeps every receipt it verified, as signed, and exports them as a receipts file.
// It uses only the published npm package's API.
import init, { GatekeeperClient } from "/pkg/web/s3_gatekeeper_client.js";
import { mountViewer } from "/pkg/viewer/parent.js";
import { ReceiptsFile } from "./receipts.js";

const $ = (id) => document.getElementById(id);

// What each stable error code means for the person reading the report.
const MESSAGES = {
  not_logged_in: ["Please sign in", "Your vendor session has ended. Sign in again to open reports."],
  bad_credentials: ["Sign-in failed", "The username or password is wrong."],
  vendor_denied: ["Not your ticket", "Your vendor account may not open this ticket."],
  acl_denied_ip: ["Blocked by the customer's gatekeeper", "The customer does not allow access from your network address."],
  acl_denied_country: ["Blocked by the customer's gatekeeper", "The customer does not allow access from your country."],
  expired: ["Request expired", "The access request expired before the gatekeeper saw it. Check your computer's clock and try again."],
  not_yet_valid: ["Clock problem", "Your computer's clock is ahead of the gatekeeper's. Correct it and try again."],
  replayed_nonce: ["Request already used", "This access request was already used once. Reload the page."],
  decryption_failed: ["Data was tampered with", "An object failed its integrity check: it was changed, cut short or swapped in storage. Nothing from it is shown."],
  bad_receipt_signature: ["Untrusted gatekeeper answer", "The answer was not signed by the customer's pinned gatekeeper key. Nothing was shown."],
  receipt_mismatch: ["Untrusted gatekeeper answer", "The gatekeeper's receipt is for another request."],
  audit_unavailable: ["Gatekeeper cannot record access", "The customer's audit log is unavailable, so access is refused until it is back."],
  network_error: ["Network problem", "A server could not be reached. Check your connection and try again."],
  renderer_refused: ["Report layout not approved", "The customer's viewer refused the report layout: it is not the version the customer pinned. Nothing from it ran."],
  unknown_renderer: ["Report layout not approved", "The customer has not approved this report layout."],
  client_refused: ["Viewer could not start", "The customer's viewer could not load its pinned WebAssembly client."],
  unknown_parent: ["Viewer refused this page", "The customer's viewer does not accept this page as its vendor."],
  cosign_timeout: ["Viewer stopped waiting", "The co-signature took too long. Reload the page."],
  rate_limited: ["Too many requests", "The viewer asked for too many co-signatures. Wait a minute and reload."],
};

let client = null;
let config = null;
let viewer = null;

// The isolated viewer unless the URL asks for embedded mode (or the stack has no viewer).
function mode() {
  return config && config.viewer_url && new URLSearchParams(location.search).get("mode") !== "embedded"
    ? "isolated" : "embedded";
}

function show(id, visible) { $(id).hidden = !visible; }

function status(text) {
  $("status").textContent = text || "";
  show("status", Boolean(text));
}

function showError(error) {
  const code = (error && error.code) || "unexpected";
  const [title, advice] = MESSAGES[code] || ["Something went wrong", error && error.message ? error.message : String(error)];
  $("error-title").textContent = title;
  $("error-message").textContent = advice;
  $("error-code").textContent = code;
  $("error").dataset.code = code;
  show("error", true);
  status("");
}

function clearError() { show("error", false); delete $("error").dataset.code; }

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options,
    headers: { "content-type": "application/json", ...(options.headers || {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const failure = new Error((body.error && body.error.message) || response.statusText);
    failure.code = (body.error && body.error.code) || "network_error";
    throw failure;
  }
  return body;
}

async function start() {
  try {
    await init();
    config = await api("/api/config");
    client = new GatekeeperClient({
      gatekeeperUrl: config.gatekeeper_url,
      gatekeeperId: config.gatekeeper_id,
      gatekeeperPublicKey: config.gatekeeper_public_key,
      gatekeeperKeyId: config.gatekeeper_key_id,
      cosignUrl: new URL("/api/cosign", location.origin).href,
      credentials: "same-origin",
    });
    $("mode-isolated").disabled = !config.viewer_url;
    $(`mode-${mode()}`).checked = true;
    const session = await api("/api/session").catch(() => null);
    session ? signedIn(session) : signedOut();
  } catch (error) {
    showError(error);
  }
}

function closeTicket() {
  viewer?.destroy();
  viewer = null;
  show("isolated", false); show("report", false); show("audit-card", false);
}

for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => {
    const url = new URL(location.href);
    if (radio.value === "embedded") url.searchParams.set("mode", "embedded");
    else url.searchParams.delete("mode");
    history.replaceState(null, "", url);
    closeTicket();
  });
}

function signedOut() {
  closeTicket();
  receiptsFile.clear();
  keep();
  show("whoami", false); show("tickets", false); show("login", true);
  $("login-user").focus();
}

function signedIn(session) {
  show("login", false);
  $("username").textContent = session.user;
  show("whoami", true);
  const list = $("ticket-list");
  list.replaceChildren();
  for (const prefix of session.prefixes) {
    const id = prefix.replace(/^tickets\//, "").replace(/\/$/, "");
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Open ticket ${id}`;
    button.addEventListener("click", () => openTicket(prefix, id));
    item.append(button);
    list.append(item);
  }
  show("tickets", true);
  const wanted = new URLSearchParams(location.search).get("ticket");
  const match = session.prefixes.find((p) => p === `tickets/${wanted}/`);
  if (match) openTicket(match, wanted);
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  try {
    const session = await api("/api/login", { method: "POST",
      body: JSON.stringify({ username: $("login-user").value, password: $("login-password").value }) });
    $("login-password").value = "";
    signedIn(session);
  } catch (error) { showError(error); }
});

$("logout").addEventListener("click", async () => {
  await api("/api/logout", { method: "POST", body: "{}" }).catch(() => {});
  signedOut();
});

let shots = [];
let shotIndex = 0;

function showShot() {
  const img = $("shot");
  if (shots.length === 0) { img.hidden = true; $("shot-count").textContent = "No screenshots"; return; }
  const shot = shots[shotIndex];
  img.src = shot.url;
  img.alt = `Screenshot ${shotIndex + 1} of ${shots.length}: ${shot.name}`;
  img.hidden = false;
  $("shot-caption").textContent = shot.name;
  $("shot-count").textContent = `${shotIndex + 1} / ${shots.length}`;
}
$("shot-prev").addEventListener("click", () => { shotIndex = (shotIndex + shots.length - 1) % shots.length; showShot(); });
$("shot-next").addEventListener("click", () => { shotIndex = (shotIndex + 1) % shots.length; showShot(); });

let currentPrefix = null;

function openIsolated(prefix, id) {
  $("isolated-title").textContent = `Ticket ${id}`;
  viewer = mountViewer($("viewer-frame"), {
    viewerUrl: config.viewer_url,
    cosign: "/api/cosign",
    prefix,
    title: `Ticket ${id}, shown by the customer's gatekeeper`,
    onError: showError,
  });
  show("isolated", true);
  show("audit-card", true);
  renderAudit(prefix);
}

async function openTicket(prefix, id) {
  clearError();
  closeTicket();
  currentPrefix = prefix;
  if (mode() === "isolated") return openIsolated(prefix, id);
  status(`Loading ticket ${id}: asking the vendor and the customer's gatekeeper…`);
  try {
    const report = await client.readPrefix(prefix);
    keep(report.receipt); // the decision is logged even if an object then fails to decrypt
    const byName = new Map(report.objects.map((o) => [o.key.slice(prefix.length), o]));
    status(`Decrypting ${report.objects.length} objects in this browser…`);
    for (const old of shots) URL.revokeObjectURL(old.url);

    const [meta, sysinfo, log] = await Promise.all([
      byName.has("ticket.json") ? byName.get("ticket.json").json() : Promise.resolve({}),
      byName.has("system-info.txt") ? byName.get("system-info.txt").text() : Promise.resolve(""),
      byName.has("app.log") ? byName.get("app.log").text() : Promise.resolve(""),
    ]);
    const images = report.objects.filter((o) => o.key.endsWith(".png"));
    shots = await Promise.all(images.map(async (o) => ({ name: o.key.slice(prefix.length), url: await o.blobUrl("image/png") })));
    shotIndex = 0;

    $("report-title").textContent = meta.title ? `Ticket ${id}: ${meta.title}` : `Ticket ${id}`;
    renderMeta(meta);
    $("sysinfo").textContent = sysinfo;
    $("log").textContent = log;
    showShot();
    renderAttachments(report.objects, prefix);
    // A handle whose URL expired re-authorized its object: its receipt is then a grant of its own.
    const receipts = [report.receipt, ...report.objects.map((o) => o.receipt)];
    keep(...receipts);
    renderReceipts(receipts, prefix);
    show("report", true);
    show("audit-card", true);
    status("");
    await renderAudit(prefix);
  } catch (error) {
    showError(error);
  }
}

function renderMeta(meta) {
  const list = $("meta");
  list.replaceChildren();
  for (const [name, value] of Object.entries(meta)) {
    const dt = document.createElement("dt");
    dt.textContent = name.replace(/_/g, " ");
    const dd = document.createElement("dd");
    if (Array.isArray(value)) {
      const items = document.createElement("ul");
      for (const entry of value) {
        const li = document.createElement("li");
        li.textContent = typeof entry === "object" ? JSON.stringify(entry) : String(entry);
        items.append(li);
      }
      dd.append(items);
    } else if (value && typeof value === "object") {
      dd.textContent = Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(", ");
    } else {
      dd.textContent = String(value);
    }
    list.append(dt, dd);
  }
}

function renderAttachments(objects, prefix) {
  const known = new Set(["ticket.json", "system-info.txt", "app.log"]);
  const list = $("attachments");
  list.replaceChildren();
  for (const o of objects) {
    const name = o.key.slice(prefix.length);
    if (known.has(name) || name.endsWith(".png")) continue;
    const item = document.createElement("li");
    item.textContent = `${name} (${o.size} bytes encrypted) `;
    item.dataset.key = o.key;
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link";
    open.textContent = "Decrypt";
    open.addEventListener("click", async () => {
      try {
        const link = document.createElement("a");
        link.href = await o.blobUrl("application/octet-stream");
        keep(o.receipt);
        link.download = name;
        link.textContent = `Download ${name}`;
        open.replaceWith(link);
        link.focus(); // the button that had focus is gone: keyboard users continue from its link
      } catch (error) { showError(error); }
    });
    item.append(open);
    list.append(item);
  }
}

function renderReceipts(receipts, prefix) {
  const body = $("receipts").querySelector("tbody");
  body.replaceChildren();
  for (const r of receipts) {
    const row = document.createElement("tr");
    const cells = [r.key.startsWith(prefix) ? r.key.slice(prefix.length) || prefix : r.key, r.vendorKeyId,
      r.gatekeeperKeyId, String(r.sequence)];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      row.append(td);
    }
    const verdict = document.createElement("td");
    verdict.className = r.verified ? "ok" : "bad";
    verdict.textContent = r.verified ? "✓ vendor + gatekeeper verified" : "✗ not verified";
    row.append(verdict);
    body.append(row);
  }
}

// Every receipt verified in this session, as signed; exported as a receipts file (receipts.js).
const receiptsFile = new ReceiptsFile();
const receiptCount = (n) => `${n} signed ${n === 1 ? "receipt" : "receipts"}`;

function keep(...receipts) {
  receiptsFile.keep(...receipts);
  $("receipts-kept").textContent = `${receiptCount(receiptsFile.size)} verified in this session.`;
  $("receipts-export").disabled = receiptsFile.size === 0;
}

$("receipts-export").addEventListener("click", () => {
  status(`Exported ${receiptCount(receiptsFile.download())} to receipts.jsonl.`);
});

$("audit-refresh").addEventListener("click", () => currentPrefix && renderAudit(currentPrefix));

async function renderAudit(prefix) {
  const body = $("audit").querySelector("tbody");
  body.replaceChildren();
  try {
    const { entries } = await api(`/api/audit?prefix=${encodeURIComponent(prefix)}&limit=50`);
    for (const e of entries.slice().reverse()) {
      const row = document.createElement("tr");
      const when = new Date(Number(e.time_ms)).toLocaleString();
      const cells = [String(e.seq), when, e.operation, e.key, `${e.client_ip}${e.country ? ` (${e.country})` : ""}`];
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        row.append(td);
      }
      const decision = document.createElement("td");
      decision.className = e.decision === "granted" ? "ok" : "bad";
      decision.textContent = e.decision === "granted" ? "granted" : `denied: ${e.reason}`;
      row.append(decision);
      body.append(row);
    }
  } catch (error) {
    const row = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 6;
    td.textContent = `Audit trail unavailable (${error.code || "error"}).`;
    row.append(td);
    body.append(row);
  }
}

$("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  const file = $("upload-file").files[0];
  if (!file || !currentPrefix) return;
  try {
    status(`Encrypting ${file.name} in this browser and uploading…`);
    const data = new Uint8Array(await file.arrayBuffer());
    const name = file.name.replace(/[^A-Za-z0-9._-]/g, "_");
    // The media type is signed into the request and kept as metadata; send it only when it is a
    // plain type/subtype (the client refuses anything else).
    const type = (file.type || "").toLowerCase();
    const options = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? { contentType: type } : undefined;
    keep(await client.putObject(`${currentPrefix}${name}`, data, options));
    status(`Uploaded ${name}.`);
    $("upload-file").value = "";
    const id = currentPrefix.replace(/^tickets\//, "").replace(/\/$/, "");
    const key = `${currentPrefix}${name}`;
    await openTicket(currentPrefix, id);
    // Reloading the report took focus away from the form: give it to the new file's button.
    const item = [...$("attachments").children].find((li) => li.dataset.key === key);
    item?.querySelector("button")?.focus();
  } catch (error) {
    showError(error);
  }
});

start();
