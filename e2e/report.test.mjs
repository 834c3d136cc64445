// End-to-end tests of the report page in real headless Chromium (Debian's), driven by
// playwright-core. scripts/e2e.sh starts two dev stacks and passes their JSON lines:
//   E2E_STACK       a stack that allows this machine, seeded with the sample tickets
//   E2E_DENY_STACK  a stack whose gatekeeper ACL denies loopback
// Screenshots are saved to E2E_ARTIFACTS as test artifacts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const stack = JSON.parse(process.env.E2E_STACK ?? "null");
const denyStack = JSON.parse(process.env.E2E_DENY_STACK ?? "null");
const artifacts = process.env.E2E_ARTIFACTS ?? "target/e2e-artifacts";
assert.ok(stack && denyStack, "run through scripts/e2e.sh, which starts the dev stacks");
mkdirSync(artifacts, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run"],
  });
});
after(async () => { await browser?.close(); });

async function page() {
  const context = await browser.newContext({ viewport: { width: 1200, height: 1600 } });
  const p = await context.newPage();
  p.on("pageerror", (error) => { throw error; });
  return p;
}

async function signIn(p, base, user = "alice", password = "alice-demo") {
  await p.goto(base);
  await p.getByLabel("Username").fill(user);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.getByRole("heading", { name: "Your tickets" }).waitFor();
}

test("sign in, open a ticket, see decrypted screenshots, text and verified receipts", async () => {
  const p = await page();
  await p.goto(stack.page);
  await p.getByRole("heading", { name: "Sign in" }).waitFor();
  await p.screenshot({ path: join(artifacts, "01-sign-in.png") });
  await signIn(p, stack.page);
  await p.getByRole("button", { name: "Open ticket 1001" }).click();
  await p.locator("#report").waitFor({ state: "visible", timeout: 30_000 });

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
  await p.screenshot({ path: join(artifacts, "02-ticket-1001.png"), fullPage: true });
});

test("a file uploaded from the page round-trips, encrypted in the browser", async () => {
  const p = await page();
  await signIn(p, stack.page);
  await p.getByRole("button", { name: "Open ticket 1002" }).click();
  await p.locator("#report").waitFor({ state: "visible", timeout: 30_000 });
  const name = `note-${Date.now()}.txt`;
  const content = `Customer called back at ${new Date().toISOString()}: issue resolved.\n`;
  await p.getByLabel("File", { exact: true }).setInputFiles({ name, mimeType: "text/plain", buffer: Buffer.from(content) });
  await p.getByRole("button", { name: "Encrypt and upload" }).click();
  const item = p.locator(`#attachments li[data-key="tickets/1002/${name}"]`);
  await item.waitFor({ timeout: 30_000 });
  await item.getByRole("button", { name: "Decrypt" }).click();
  const link = item.getByRole("link", { name: `Download ${name}` });
  await link.waitFor();
  const roundTrip = await link.evaluate(async (a) => (await fetch(a.href)).text());
  assert.equal(roundTrip, content);
  await p.screenshot({ path: join(artifacts, "03-upload.png"), fullPage: true });
});

test("a gatekeeper that denies this machine shows the denial", async () => {
  const p = await page();
  await signIn(p, denyStack.page);
  await p.getByRole("button", { name: "Open ticket 1001" }).click();
  const error = p.locator("#error");
  await error.waitFor({ state: "visible", timeout: 30_000 });
  assert.equal(await error.getAttribute("data-code"), "acl_denied_ip");
  assert.match(await error.textContent(), /Blocked by the customer's gatekeeper/);
  assert.equal(await p.locator("#report").isVisible(), false, "nothing from the ticket is shown");
  await p.screenshot({ path: join(artifacts, "04-denied.png"), fullPage: true });
});

test("a wrong password and a stranger's ticket are refused with clear messages", async () => {
  const p = await page();
  await p.goto(stack.page);
  await p.getByLabel("Username").fill("alice");
  await p.getByLabel("Password").fill("wrong");
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.locator("#error").waitFor({ state: "visible" });
  assert.equal(await p.locator("#error").getAttribute("data-code"), "bad_credentials");
  await signIn(p, stack.page, "bob", "bob-demo");
  assert.equal(await p.getByRole("button", { name: "Open ticket 1001" }).count(), 0);
  await p.screenshot({ path: join(artifacts, "05-refusals.png") });
});
