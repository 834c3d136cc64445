// End-to-end tests of the report page in real headless Chromium (Debian's), driven by
// playwright-core, in embedded mode (`?mode=embedded`: the page itself decrypts); the isolated
// viewer's tests are in viewer.test.mjs. scripts/e2e.sh starts two dev stacks and passes their
// JSON lines:
//   E2E_STACK       a stack that allows this machine, seeded with the sample tickets
//   E2E_DENY_STACK  a stack whose gatekeeper ACL denies loopback
// Every page records Content-Security-Policy violations and each test asserts there were none;
// axe-core checks WCAG 2.1 A/AA on the sign-in screen, an open report and the error states.
// Screenshots are saved to E2E_ARTIFACTS as test artifacts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { assertAccessible, assertNoCspViolations, expectFocus, launch, newPage, tabTo, totals } from "./browser.mjs";

const stack = JSON.parse(process.env.E2E_STACK ?? "null");
const denyStack = JSON.parse(process.env.E2E_DENY_STACK ?? "null");
const artifacts = process.env.E2E_ARTIFACTS ?? "target/e2e-artifacts";
assert.ok(stack && denyStack, "run through scripts/e2e.sh, which starts the dev stacks");
mkdirSync(artifacts, { recursive: true });

let browser;
before(async () => { browser = await launch(); });
after(async () => {
  await browser?.close();
  console.log(`csp violations: ${totals.csp} on ${totals.pages} pages; ` +
    `axe violations: ${totals.axe} in ${totals.axeRuns} runs`);
});

// The page in embedded mode.
const embedded = (base) => `${base}?mode=embedded`;

async function signIn(p, base, user = "alice", password = "alice-demo") {
  await p.goto(embedded(base));
  await p.getByLabel("Username").fill(user);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.getByRole("heading", { name: "Your tickets" }).waitFor();
}

async function openTicket(p, id) {
  await p.getByRole("button", { name: `Open ticket ${id}` }).click();
  await p.locator("#report").waitFor({ state: "visible", timeout: 30_000 });
}

// The directives of a Content-Security-Policy header, as a map from name to its sources.
function directives(policy) {
  return Object.fromEntries(policy.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...v]) => [name, v.join(" ")]));
}

test("the page and the API answer with the strict policy and the security headers", async () => {
  const p = await newPage(browser);
  const response = await p.goto(stack.page);
  const page = response.headers();
  assert.deepEqual(directives(page["content-security-policy"]), {
    "default-src": "'none'",
    "script-src": "'self' 'wasm-unsafe-eval'",
    "connect-src": `'self' ${new URL(stack.gatekeeper).origin} ${new URL(stack.s3).origin}`,
    "img-src": "'self' blob:",
    "style-src": "'self'",
    // The customer's isolated viewer, served by the gatekeeper, and nothing else.
    "frame-src": new URL(stack.gatekeeper).origin,
    "child-src": new URL(stack.gatekeeper).origin,
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
  });
  assert.doesNotMatch(page["content-security-policy"], /'unsafe-inline'|'unsafe-eval'|\*/);
  const api = (await p.request.get(new URL("/api/config", stack.page).href)).headers();
  for (const headers of [page, api]) {
    assert.equal(headers["x-content-type-options"], "nosniff");
    assert.equal(headers["referrer-policy"], "no-referrer");
    assert.equal(headers["cross-origin-opener-policy"], "same-origin");
    assert.equal(headers["content-security-policy"], page["content-security-policy"]);
  }
  assert.equal(api["cache-control"], "no-store");
  await p.getByRole("heading", { name: "Sign in" }).waitFor();
  await assertNoCspViolations(p);
});

test("the policy blocks what the page does not need, and the tests see each violation", async () => {
  const p = await newPage(browser);
  await p.goto(stack.page);
  await p.getByRole("heading", { name: "Sign in" }).waitFor();
  const outcomes = await p.evaluate(async () => {
    const script = document.createElement("script");
    script.textContent = "window.inlineRan = true";
    document.head.append(script);
    document.body.setAttribute("style", "background: red");
    const image = new Image();
    const imageDone = new Promise((resolve) => { image.onerror = () => resolve("blocked"); image.onload = () => resolve("loaded"); });
    image.src = "http://127.0.0.1:9/tracker.png";
    const fetched = await fetch("http://127.0.0.1:9/exfiltrate").then(() => "sent", () => "blocked");
    return { inlineRan: window.inlineRan === true, fetched, image: await imageDone };
  });
  assert.deepEqual(outcomes, { inlineRan: false, fetched: "blocked", image: "blocked" });
  await p.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
  const seen = p.cspViolations.map((v) => v.directive).sort();
  assert.deepEqual(seen, ["connect-src", "img-src", "script-src-elem", "style-src-attr"], JSON.stringify(p.cspViolations));
});

test("sign in, open a ticket, see decrypted screenshots, text and verified receipts", async () => {
  const p = await newPage(browser);
  await p.goto(embedded(stack.page));
  await p.getByRole("heading", { name: "Sign in" }).waitFor();
  await assertAccessible(p, "the sign-in screen");
  await p.screenshot({ path: join(artifacts, "01-sign-in.png") });
  await signIn(p, stack.page);
  await openTicket(p, 1001);

  assert.match(await p.locator("#report-title").textContent(), /Ticket 1001/);
  assert.match(await p.locator("#meta").textContent(), /1001/);
  assert.ok((await p.locator("#sysinfo").textContent()).length > 50, "system info is decrypted text");
  assert.ok((await p.locator("#log").textContent()).split("\n").length > 5, "the log is decrypted text");

  // The screenshot is a decrypted PNG rendered from a blob: URL.
  const shot = p.locator("#shot");
  await shot.waitFor({ state: "visible" });
  assert.match(await shot.getAttribute("src"), /^blob:/);
  const width = await shot.evaluate(async (img) => { await img.decode(); return img.naturalWidth; });
  assert.ok(width > 0, "the PNG decodes");
  assert.equal(await p.locator("#shot-count").textContent(), "1 / 3");
  await p.getByRole("button", { name: "Next screenshot" }).click();
  assert.equal(await p.locator("#shot-count").textContent(), "2 / 3");

  // One receipt row per object, each verified against the pinned gatekeeper key.
  const receipts = p.locator("#receipts tbody tr");
  assert.ok((await receipts.count()) >= 6);
  for (const text of await receipts.allTextContents()) {
    assert.match(text, /vendor-dev-1/);
    assert.match(text, /✓ vendor \+ gatekeeper verified/);
  }
  // The gatekeeper's audit trail shows these grants, from this machine.
  await p.locator("#audit tbody tr").first().waitFor();
  assert.match(await p.locator("#audit tbody").textContent(), /granted/);
  assert.match(await p.locator("#audit tbody").textContent(), /127\.0\.0\.1/);
  await assertAccessible(p, "an open report");
  await p.screenshot({ path: join(artifacts, "02-ticket-1001.png"), fullPage: true });
  await assertNoCspViolations(p);
});

test("a file uploaded from the page round-trips, encrypted in the browser", async () => {
  const p = await newPage(browser);
  await signIn(p, stack.page);
  await openTicket(p, 1002);
  const name = `note-${Date.now()}.txt`;
  const content = `Customer called back at ${new Date().toISOString()}: issue resolved.\n`;
  await p.getByLabel("File", { exact: true }).setInputFiles({ name, mimeType: "text/plain", buffer: Buffer.from(content) });
  await p.getByRole("button", { name: "Encrypt and upload" }).click();
  const item = p.locator(`#attachments li[data-key="tickets/1002/${name}"]`);
  await item.waitFor({ timeout: 30_000 });
  await item.getByRole("button", { name: "Decrypt" }).click();
  const link = item.getByRole("link", { name: `Download ${name}` });
  const download = p.waitForEvent("download");
  await link.click();
  assert.equal(readFileSync(await (await download).path(), "utf8"), content);
  await p.screenshot({ path: join(artifacts, "03-upload.png"), fullPage: true });
  await assertNoCspViolations(p);
});

test("the sign-in, the slideshow and the upload work from the keyboard alone", async () => {
  const p = await newPage(browser);
  await p.goto(embedded(stack.page));
  await expectFocus(p, p.getByLabel("Username"));
  await p.keyboard.type("alice");
  await tabTo(p, p.getByLabel("Password"));
  await p.keyboard.type("alice-demo");
  await p.keyboard.press("Enter");
  await p.getByRole("heading", { name: "Your tickets" }).waitFor();
  await tabTo(p, p.getByRole("button", { name: "Open ticket 1001" }));
  await p.keyboard.press("Enter");
  await p.locator("#report").waitFor({ state: "visible", timeout: 30_000 });

  // The slideshow: Enter and Space on its buttons, wrapping at both ends.
  const count = p.locator("#shot-count");
  assert.equal(await count.textContent(), "1 / 3");
  await tabTo(p, p.getByRole("button", { name: "Next screenshot" }));
  await p.keyboard.press("Enter");
  assert.equal(await count.textContent(), "2 / 3");
  await p.keyboard.press("Space");
  assert.equal(await count.textContent(), "3 / 3");
  await p.keyboard.press("Enter");
  assert.equal(await count.textContent(), "1 / 3");
  await tabTo(p, p.getByRole("button", { name: "Previous screenshot" }), "Shift+Tab");
  await p.keyboard.press("Enter");
  assert.equal(await count.textContent(), "3 / 3");
  assert.match(await p.locator("#shot").getAttribute("alt"), /^Screenshot 3 of 3: screenshot-3\.png$/);

  // The upload: the file input opens its chooser from the keyboard, Enter uploads, and focus
  // lands on the new file's button, then on its download link.
  const name = `keyboard-${Date.now()}.txt`;
  const content = "typed, not clicked\n";
  await tabTo(p, p.getByLabel("File", { exact: true }));
  const chooser = p.waitForEvent("filechooser");
  await p.keyboard.press("Space");
  await (await chooser).setFiles({ name, mimeType: "text/plain", buffer: Buffer.from(content) });
  await tabTo(p, p.getByRole("button", { name: "Encrypt and upload" }));
  await p.keyboard.press("Enter");
  const item = p.locator(`#attachments li[data-key="tickets/1001/${name}"]`);
  await item.waitFor({ timeout: 30_000 });
  await expectFocus(p, item.getByRole("button", { name: "Decrypt" }));
  await p.keyboard.press("Enter");
  const link = item.getByRole("link", { name: `Download ${name}` });
  await link.waitFor();
  await expectFocus(p, link);
  const download = p.waitForEvent("download");
  await p.keyboard.press("Enter");
  assert.equal(readFileSync(await (await download).path(), "utf8"), content);
  await p.screenshot({ path: join(artifacts, "06-keyboard.png"), fullPage: true });
  await assertNoCspViolations(p);
});

test("a gatekeeper that denies this machine shows the denial, in both modes", async () => {
  for (const mode of ["embedded", "isolated"]) {
    const p = await newPage(browser);
    await signIn(p, denyStack.page);
    if (mode === "isolated") await p.getByLabel(/isolated viewer/).check();
    await p.getByRole("button", { name: "Open ticket 1001" }).click();
    const error = p.locator("#error");
    await error.waitFor({ state: "visible", timeout: 30_000 });
    assert.equal(await error.getAttribute("data-code"), "acl_denied_ip", mode);
    assert.match(await error.textContent(), /Blocked by the customer's gatekeeper/);
    assert.equal(await p.locator("#report").isVisible(), false, "nothing from the ticket is shown");
    if (mode === "isolated") {
      const frame = p.frameLocator("iframe.s3gk-viewer");
      assert.equal(await frame.locator("#viewer-error").getAttribute("data-code"), "acl_denied_ip");
      assert.equal(await frame.locator("#viewer-report").textContent(), "");
    }
    await assertAccessible(p, `a denial by the gatekeeper (${mode})`);
    await p.screenshot({ path: join(artifacts, `04-denied-${mode}.png`), fullPage: true });
    await assertNoCspViolations(p);
  }
});

test("a wrong password and a stranger's ticket are refused with clear messages", async () => {
  const p = await newPage(browser);
  await p.goto(embedded(stack.page));
  await p.getByLabel("Username").fill("alice");
  await p.getByLabel("Password").fill("wrong");
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.locator("#error").waitFor({ state: "visible" });
  assert.equal(await p.locator("#error").getAttribute("data-code"), "bad_credentials");
  await assertAccessible(p, "a refused sign-in");
  await signIn(p, stack.page, "bob", "bob-demo");
  assert.equal(await p.getByRole("button", { name: "Open ticket 1001" }).count(), 0);
  await p.screenshot({ path: join(artifacts, "05-refusals.png") });
  await assertNoCspViolations(p);
});
