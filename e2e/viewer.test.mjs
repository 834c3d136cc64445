// End-to-end tests of the isolated viewer (the default mode of the report page): the customer's
// gatekeeper serves the viewer, the vendor's page embeds it and only co-signs. In real headless
// Chromium against the dev stack of scripts/e2e.sh (E2E_STACK, with the vendor renderers `plain`
// and `leaky` pinned by its gatekeeper). Every page records CSP violations in every frame and the
// messages its top window receives (browser.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { assertAccessible, assertNoCspViolations, launch, newPage, totals } from "./browser.mjs";

const stack = JSON.parse(process.env.E2E_STACK ?? "null");
const artifacts = process.env.E2E_ARTIFACTS ?? "target/e2e-artifacts";
assert.ok(stack && stack.viewer, "run through scripts/e2e.sh, which starts a dev stack with the viewer");
mkdirSync(artifacts, { recursive: true });
const gatekeeperOrigin = new URL(stack.gatekeeper).origin;
const PROTOCOL = "s3gk-viewer/1";

let browser;
before(async () => { browser = await launch(); });
after(async () => {
  await browser?.close();
  console.log(`viewer tests: csp violations: ${totals.csp} on ${totals.pages} pages; ` +
    `axe violations: ${totals.axe} in ${totals.axeRuns} runs`);
});

async function signIn(p, user = "alice", password = "alice-demo") {
  await p.goto(stack.page);
  await p.getByLabel("Username").fill(user);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.getByRole("heading", { name: "Your tickets" }).waitFor();
}

// The viewer's frame (a Playwright Frame: the test driver, not the page, reads it).
async function viewerFrame(p) {
  const handle = await p.waitForSelector("iframe.s3gk-viewer");
  const frame = await handle.contentFrame();
  await frame.waitForLoadState();
  return frame;
}

// Mounts the viewer from the page's own script with mountViewer (as a vendor integrates it), with
// `renderer`, errors recorded in `window.__viewerErrors`, and co-signatures held until
// `window.__releaseCosign()` when `hold` is set.
async function mount(p, prefix, { renderer = "report", hold = false } = {}) {
  await p.evaluate(async ({ viewerUrl, prefix, renderer, hold }) => {
    const { mountViewer } = await import("/pkg/viewer/parent.js");
    window.__viewerErrors = [];
    window.__cosignCalls = [];
    let release;
    const gate = hold ? new Promise((resolve) => { release = resolve; }) : Promise.resolve();
    window.__releaseCosign = () => release();
    const box = document.createElement("div");
    document.querySelector("main").append(box);
    mountViewer(box, {
      viewerUrl, prefix, renderer, title: `Test viewer (${renderer})`,
      onError: (error) => window.__viewerErrors.push(error.code),
      cosign: async (request) => {
        window.__cosignCalls.push(request);
        await gate;
        const response = await fetch("/api/cosign", { method: "POST", credentials: "same-origin",
          headers: { "content-type": "application/json" }, body: JSON.stringify({ request }) });
        return response.json();
      },
    });
  }, { viewerUrl: stack.viewer, prefix, renderer, hold });
}

function directives(policy) {
  return Object.fromEntries(policy.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...v]) => [name, v.join(" ")]));
}

test("the viewer answers with its strict policy: scripts by hash only, the gatekeeper and S3, framed by the vendor only", async () => {
  const p = await newPage(browser);
  const response = await p.request.get(stack.viewer);
  const headers = response.headers();
  const page = new URL(stack.page).origin;
  const d = directives(headers["content-security-policy"]);
  assert.deepEqual(Object.keys(d), ["default-src", "script-src", "style-src", "img-src", "connect-src", "frame-ancestors",
    "base-uri", "form-action", "sandbox"]);
  assert.equal(d["default-src"], "'none'");
  const scripts = d["script-src"].split(" ");
  assert.equal(scripts.pop(), "'wasm-unsafe-eval'");
  assert.ok(scripts.length >= 5 && scripts.every((s) => /^'sha384-[A-Za-z0-9+/]{64}'$/.test(s)), d["script-src"]);
  assert.equal(d["style-src"], "'self'");
  assert.equal(d["img-src"], "blob:");
  assert.equal(d["connect-src"], `'self' ${new URL(stack.s3).origin}`);
  assert.equal(d["frame-ancestors"], `${page} ${page.replace("127.0.0.1", "localhost")}`);
  assert.equal(d["base-uri"], "'none'");
  assert.equal(d["form-action"], "'none'");
  assert.equal(d.sandbox, "allow-scripts allow-same-origin allow-forms allow-downloads", "no popups, no top navigation");
  assert.equal(headers["x-content-type-options"], "nosniff");
  assert.equal(headers["referrer-policy"], "no-referrer");
  assert.equal(headers["cross-origin-resource-policy"], "cross-origin");
  const frameJs = (await p.request.get(new URL("frame.js", stack.viewer).href)).headers();
  assert.equal(frameJs["cross-origin-resource-policy"], "same-origin");
  assert.equal(frameJs["content-security-policy"], headers["content-security-policy"]);
});

test("a newcomer sees the isolated viewer: images, text, receipts and an upload, all inside the frame", async () => {
  const p = await newPage(browser);
  await signIn(p);
  assert.equal(await p.getByLabel(/isolated viewer/).isChecked(), true, "isolated mode is the default");
  await p.getByRole("button", { name: "Open ticket 1001" }).click();
  const frame = await viewerFrame(p);
  assert.equal(new URL(frame.url()).origin, gatekeeperOrigin);
  await frame.locator("#viewer-receipts").waitFor({ timeout: 30_000 });

  const texts = await frame.locator("pre").allTextContents();
  assert.ok(texts.some((t) => t.includes("Invoice export crashes after the 4.2 update")), "ticket.json is decrypted");
  assert.ok(texts.some((t) => t.includes("NW-FRONTDESK-07") && t.split("\n").length > 5), "the log is decrypted text");
  const images = frame.locator("img");
  assert.equal(await images.count(), 3);
  for (const img of await images.all()) {
    assert.match(await img.getAttribute("src"), /^blob:/);
    assert.ok(await img.evaluate(async (el) => { await el.decode(); return el.naturalWidth; }) > 0, "the PNG decodes");
  }
  const receipts = frame.locator("#viewer-receipts tbody tr");
  assert.ok((await receipts.count()) >= 7);
  for (const text of await receipts.allTextContents()) assert.match(text, /vendor-dev-1.*gk-dev-1.*✓ vendor \+ gatekeeper verified/);
  // The parent sized the iframe from the frame's height messages.
  assert.ok(parseInt(await p.locator("iframe.s3gk-viewer").evaluate((f) => f.style.height), 10) > 1000);

  // An upload from the frame: chosen and encrypted there, then read back there.
  const name = `frame-note-${Date.now()}.txt`;
  const content = `Uploaded from the isolated viewer at ${new Date().toISOString()}.\n`;
  await frame.getByLabel("File", { exact: true }).setInputFiles({ name, mimeType: "text/plain", buffer: Buffer.from(content) });
  await frame.getByRole("button", { name: "Encrypt and upload" }).click();
  await frame.getByRole("heading", { name }).waitFor({ timeout: 30_000 });
  assert.ok((await frame.locator("pre").allTextContents()).includes(content));
  assert.equal(await frame.locator("#viewer-status").textContent(), `Uploaded ${name}.`);

  await assertAccessible(p, "the page with the isolated viewer");
  await assertAccessible(frame, "the isolated viewer");
  await p.screenshot({ path: join(artifacts, "07-isolated-viewer.png"), fullPage: true });
  await assertNoCspViolations(p);
});

// A second frame of the page's, at `url` (on the viewer's origin, but not the viewer), and its Frame.
async function sibling(p, url) {
  await p.evaluate((url) => new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.title = "sibling";
    frame.src = url;
    frame.onload = resolve;
    document.querySelector("main").append(frame);
  }), url);
  return p.frames().find((f) => f.url() === url);
}

// Strings of `text` worth searching for: every line of 12 characters or more.
function lines(text) {
  return text.split("\n").map((l) => l.trim()).filter((l) => l.length >= 12);
}

// 24-character pieces of the base64 of `bytes`, at each of the three byte alignments.
function base64Pieces(bytes) {
  const pieces = [];
  for (let shift = 0; shift < 3; shift += 1) {
    const text = Buffer.from(bytes.subarray(shift)).toString("base64");
    for (let i = 0; i + 24 <= text.length - 4; i += 24) pieces.push(text.slice(i, i + 24));
  }
  return pieces;
}

test("the parent cannot read the frame and receives only co-sign requests, heights and codes", async () => {
  const p = await newPage(browser);
  const grants = [];
  p.on("response", async (response) => {
    if (response.url().endsWith("/v1/authorize") && response.status() === 200) grants.push(await response.json());
  });
  await signIn(p);
  await p.getByRole("button", { name: "Open ticket 1001" }).click();
  const frame = await viewerFrame(p);
  await frame.locator("#viewer-receipts").waitFor({ timeout: 30_000 });

  // Script in the parent page has no way into the frame's document.
  const access = await p.evaluate(() => {
    const iframe = document.querySelector("iframe.s3gk-viewer");
    const attempts = {
      contentDocument: iframe.contentDocument === null ? "null" : "readable",
      document: (() => { try { return iframe.contentWindow.document ? "readable" : "null"; } catch (e) { return e.name; } })(),
      location: (() => { try { return iframe.contentWindow.location.href; } catch (e) { return e.name; } })(),
      body: (() => { try { return frames[0].document.body.innerText; } catch (e) { return e.name; } })(),
    };
    return attempts;
  });
  assert.deepEqual(access, { contentDocument: "null", document: "SecurityError", location: "SecurityError", body: "SecurityError" });

  // What the report's plaintext and keys are: read by the test driver, in the frame and the network.
  // The images' bytes are read from their blob: URLs by a document of the frame's origin without
  // the viewer's policy (which lets the frame itself fetch nothing but the gatekeeper and S3).
  const plaintexts = (await frame.locator("pre").allTextContents()).flatMap(lines);
  const sources = await frame.locator("img").evaluateAll((images) => images.map((img) => img.src));
  const reader = await sibling(p, `${stack.gatekeeper}/healthz`);
  const images = await reader.evaluate(async (urls) => Promise.all(urls.map(async (url) =>
    Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())))), sources);
  assert.equal(images.length, 3);
  assert.ok(grants.length >= 1, "the frame's grant was seen on the network");
  const secrets = grants.flatMap((g) => g.objects.flatMap((o) => [o.url, new URL(o.url).searchParams.get("X-Amz-Signature"),
    ...o.key_material.map((k) => k.key), ...o.key_material.map((k) => Buffer.from(k.key, "base64").toString("hex"))]));
  assert.ok(secrets.length >= 7 * 4 && plaintexts.length > 20, `${secrets.length} secrets, ${plaintexts.length} lines`);
  // The frame keeps its receipts: neither a signature nor the signed bytes go to the page.
  const receipts = grants.flatMap((g) => [g.receipt.signature, g.receipt.bytes,
    Buffer.from(g.receipt.signature, "base64").toString("hex")]);

  const messages = p.messages.filter((m) => m.origin === gatekeeperOrigin);
  const kinds = messages.map((m) => m.data.type);
  console.log(`messages the parent received in a full report load (${messages.length}):`);
  for (const m of messages) console.log(`  ${JSON.stringify(m.data).slice(0, 160)}`);
  assert.ok(kinds.includes("cosign") && kinds.includes("height"), kinds.join());
  const shapes = { cosign: ["id", "protocol", "request", "type"], height: ["height", "protocol", "type"], error: ["code", "protocol", "type"] };
  for (const { data } of messages) {
    assert.equal(data.protocol, PROTOCOL);
    assert.deepEqual(Object.keys(data).sort(), shapes[data.type], JSON.stringify(data));
  }
  assert.equal(p.messages.length, messages.length, "no message from anywhere else");

  // Nothing of the data or the keys in any message, raw or inside the base64 of the request.
  const haystack = messages.map((m) => JSON.stringify(m.data)).join("\n");
  const decoded = messages.filter((m) => m.data.type === "cosign").map((m) => Buffer.from(m.data.request, "base64"));
  const haystacks = [haystack, ...decoded.map((b) => b.toString("latin1")), ...decoded.map((b) => b.toString("hex"))];
  const needles = [...plaintexts, ...secrets, ...receipts, ...images.flatMap((bytes) => base64Pieces(Buffer.from(bytes))),
    ...images.map((bytes) => Buffer.from(bytes).subarray(8, 40).toString("latin1"))];
  for (const needle of needles) {
    for (const text of haystacks) assert.ok(!text.includes(needle), `a message carries ${needle.slice(0, 40)}`);
  }
  // Each co-sign request is an access request for the ticket's prefix, which the vendor signs anyway.
  for (const bytes of decoded) assert.ok(bytes.toString("latin1").includes("tickets/1001/"));
  await assertNoCspViolations(p);
});

test("messages from a wrong origin or from another window are ignored, on both sides", async () => {
  const p = await newPage(browser);
  await signIn(p, "alice", "alice-demo");
  await mount(p, "tickets/1002/", { hold: true });
  const frame = await viewerFrame(p);
  await p.waitForFunction(() => window.__cosignCalls.length === 1);

  // A sibling frame on the viewer's own origin, which is not the viewer's window.
  const other = await sibling(p, `${stack.gatekeeper}/healthz`);
  const forgedRequest = { protocol: PROTOCOL, type: "cosign", id: 7, request: "AAAA" };
  const forgedAnswer = { protocol: PROTOCOL, type: "cosigned", id: 1, vendorKeyId: "vendor-dev-1", vendorSignature: `${"A".repeat(86)}==` };
  const forgedError = { protocol: PROTOCOL, type: "cosign-refused", id: 1, code: "vendor_denied" };
  // To the parent: from the right origin but another window, and from the parent's own window
  // (wrong origin and window). Neither reaches the co-signer.
  await other.evaluate((m) => { parent.postMessage(m, "*"); parent.postMessage({ ...m, type: "height", height: 1 }, "*"); }, forgedRequest);
  await p.evaluate((m) => window.postMessage(m, "*"), forgedRequest);
  // To the frame: answers from the sibling (wrong origin, wrong window) and from a window of the
  // parent's own origin that is not the parent (a popup it opened).
  await other.evaluate(([a, e]) => { for (const m of [a, e]) parent.frames[0].postMessage(m, "*"); }, [forgedAnswer, forgedError]);
  const [popup] = await Promise.all([p.waitForEvent("popup"), p.evaluate((url) => { window.open(url); }, stack.page)]);
  await popup.waitForLoadState();
  await popup.evaluate(([a, e]) => { for (const m of [a, e]) opener.frames[0].postMessage(m, "*"); }, [forgedAnswer, forgedError]);
  await popup.close();
  for (const f of [frame, p.mainFrame()]) await f.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));

  assert.equal(await p.evaluate(() => window.__cosignCalls.length), 1, "the forged requests were not co-signed");
  assert.notEqual(await p.locator("iframe.s3gk-viewer").evaluate((f) => f.style.height), "1px");
  // Had the frame taken a forged answer, its request would have failed with that signature or code.
  await p.evaluate(() => window.__releaseCosign());
  await frame.locator("#viewer-receipts").waitFor({ timeout: 30_000 });
  assert.equal(await frame.locator("#viewer-error").isVisible(), false);
  assert.deepEqual(await p.evaluate(() => window.__viewerErrors), []);
  assert.equal(await p.evaluate(() => window.__cosignCalls.length), 1);
  await assertNoCspViolations(p);
});

test("a renderer whose bytes differ from its pin does not run, and the viewer shows a coded error", async () => {
  const p = await newPage(browser);
  await signIn(p);
  // The pinned renderer as the vendor serves it runs.
  await mount(p, "tickets/1001/", { renderer: "plain" });
  let frame = await viewerFrame(p);
  await frame.locator("#plain-objects li").first().waitFor({ timeout: 30_000 });
  assert.ok((await frame.locator("#plain-objects").textContent()).includes("ticket.json"));
  await p.evaluate(() => document.querySelectorAll("iframe.s3gk-viewer").forEach((f) => f.parentElement.remove()));

  // The vendor changes it: nothing of it runs until the customer pins the new digest.
  const original = readFileSync("e2e/renderers/plain.js", "utf8");
  await p.context().route("**/renderers/plain.js", (route) => route.fulfill({
    status: 200, headers: { "content-type": "text/javascript", "access-control-allow-origin": gatekeeperOrigin },
    body: original.replace('heading.textContent = "Objects";', 'heading.textContent = "Objects (changed)";'),
  }));
  await mount(p, "tickets/1001/", { renderer: "plain" });
  frame = await viewerFrame(p);
  const error = frame.locator("#viewer-error");
  await error.waitFor({ state: "visible", timeout: 30_000 });
  assert.equal(await error.getAttribute("data-code"), "renderer_refused");
  assert.equal(await frame.locator("#plain-objects").count(), 0);
  await p.waitForFunction(() => window.__viewerErrors.length > 0);
  assert.deepEqual(await p.evaluate(() => window.__viewerErrors), ["renderer_refused"]);
  await assertAccessible(frame, "a refused renderer");
  await p.screenshot({ path: join(artifacts, "08-renderer-refused.png"), fullPage: true });

  // A renderer the customer never pinned is not even fetched.
  await p.evaluate(() => document.querySelectorAll("iframe.s3gk-viewer").forEach((f) => f.parentElement.remove()));
  await mount(p, "tickets/1001/", { renderer: "unpinned" });
  frame = await viewerFrame(p);
  await frame.locator("#viewer-error").waitFor({ state: "visible" });
  assert.equal(await frame.locator("#viewer-error").getAttribute("data-code"), "unknown_renderer");
  await assertNoCspViolations(p);
});

test("a pinned renderer that tries to send the data elsewhere is blocked by the viewer's policy", async () => {
  const p = await newPage(browser);
  await signIn(p);
  await mount(p, "tickets/1001/", { renderer: "leaky" });
  const frame = await viewerFrame(p);
  const outcomes = frame.locator("#leaky-outcomes");
  await outcomes.waitFor({ timeout: 30_000 });
  const result = JSON.parse(await outcomes.textContent());
  assert.deepEqual({ fetch: result.fetch, image: result.image, script: result.script },
    { fetch: "blocked", image: "blocked", script: "blocked" });
  await frame.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
  const seen = p.cspViolations.filter((v) => v.blocked.startsWith("http://127.0.0.1:9/"));
  assert.ok(seen.every((v) => new URL(v.page).origin === gatekeeperOrigin), JSON.stringify(seen));
  assert.deepEqual([...new Set(seen.map((v) => v.directive))].sort(), ["connect-src", "img-src", "script-src-elem"],
    JSON.stringify(p.cspViolations));
  assert.ok(seen.filter((v) => v.directive === "connect-src").length >= 2, "the fetch and the beacon");
  assert.equal(p.cspViolations.length, seen.length, "nothing else was blocked");
});

test("embedding the viewer from an origin that is not a configured vendor is refused by frame-ancestors", async () => {
  const viewerUrl = `${stack.viewer}?prefix=tickets%2F1001%2F&renderer=report`;
  const server = createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/html" });
    response.end(`<!doctype html><title>not the vendor</title><iframe title="viewer" src="${viewerUrl}&origin=${encodeURIComponent(`http://127.0.0.1:${server.address().port}`)}"></iframe>`);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const p = await newPage(browser);
    const refused = p.waitForEvent("console", { predicate: (m) => /frame-ancestors/.test(m.text()), timeout: 30_000 });
    await p.goto(`http://127.0.0.1:${server.address().port}/`);
    assert.match((await refused).text(), /violates the following Content Security Policy directive: "frame-ancestors .*blocked/s);
    const child = p.frames().find((f) => f !== p.mainFrame());
    const viewerRan = await child.evaluate(() => Boolean(document.getElementById("viewer-config"))).catch(() => false);
    assert.equal(viewerRan, false, "no viewer document in the frame");
  } finally {
    server.close();
  }
});
