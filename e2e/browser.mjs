// Helpers for the end-to-end tests (not a test file itself): Debian's Chromium through
// playwright-core, a page that records every Content-Security-Policy violation (in every frame)
// and every message its top window receives, axe-core's WCAG check (of a page or a frame), and
// keyboard navigation with a visible-focus check.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

// What the tests saw, printed at the end: CSP violations on the pages checked, axe runs and their
// violations.
export const totals = { pages: 0, csp: 0, axeRuns: 0, axe: 0 };

export async function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run"],
  });
}

// A fresh page whose every document, in every frame, reports `securitypolicyviolation` events to
// this process, and whose top window records every message it receives (`p.messages`: origin and
// data), across navigations (the bindings survive them; the listeners are installed before any
// page script, by the test driver, so no page policy applies to them).
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 1600 } });
  const p = await context.newPage();
  p.on("pageerror", (error) => { throw error; });
  p.cspViolations = [];
  p.messages = [];
  await p.exposeFunction("__e2eCspViolation", (violation) => { p.cspViolations.push(violation); });
  await p.exposeFunction("__e2eMessage", (message) => { p.messages.push(message); });
  await p.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__e2eCspViolation({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
        line: e.lineNumber, sample: e.sample, page: location.href });
    });
    if (window.top === window) {
      window.addEventListener("message", (e) => {
        window.__e2eMessage({ origin: e.origin, data: JSON.parse(JSON.stringify(e.data ?? null)) });
      }, true);
    }
  });
  return p;
}

// Lets every frame deliver the events it has already raised.
async function settle(p) {
  for (const frame of p.frames()) {
    await frame.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0))).catch(() => {});
  }
}

// Asserts that nothing the page did so far was blocked by its policy.
export async function assertNoCspViolations(p) {
  // One round trip after the last action, in every frame, so events already raised are delivered.
  await settle(p);
  totals.pages += 1;
  totals.csp += p.cspViolations.length;
  assert.deepEqual(p.cspViolations, [], `CSP violations: ${JSON.stringify(p.cspViolations, null, 2)}`);
}

// Runs axe-core's WCAG 2.0/2.1 A and AA rules on the page (or frame) as it is now; fails on any
// violation, naming each rule and its nodes. axe's source is evaluated through the DevTools
// protocol, as the test driver's own code, so the page's policy (which would block an injected
// script) is untouched. Frames are checked on their own (`iframes: false`): a cross-origin frame
// is another document, with its own run.
export async function assertAccessible(p, state) {
  if (!(await p.evaluate(() => typeof window.axe === "object"))) await p.evaluate(AXE_SOURCE);
  const violations = await p.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"],
      iframes: false });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })) }));
  }, WCAG_TAGS);
  totals.axeRuns += 1;
  totals.axe += violations.length;
  const report = violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n` +
    v.nodes.map((n) => `  ${n.target}\n    ${(n.summary || "").replace(/\n/g, "\n    ")}`).join("\n")).join("\n");
  assert.equal(violations.length, 0, `axe on ${state}:\n${report}`);
}

// Whether the focused element shows a focus indicator (the page's `:focus-visible` outline).
async function focusIsVisible(p) {
  return p.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: "body", visible: true };
    const style = getComputedStyle(el);
    const visible = el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return { tag: `${el.tagName.toLowerCase()}#${el.id || ""} ${el.textContent.trim().slice(0, 30)}`, visible };
  });
}

// Presses `key` (Tab or Shift+Tab) until `locator` has focus, checking that every element focused
// on the way shows a visible focus indicator. Fails if it is not reached in `max` presses.
export async function tabTo(p, locator, key = "Tab", max = 40) {
  for (let presses = 1; presses <= max; presses += 1) {
    await p.keyboard.press(key);
    const { tag, visible } = await focusIsVisible(p);
    assert.ok(visible, `${tag} has focus but no visible focus indicator`);
    if (await locator.evaluate((el) => el === document.activeElement)) return presses;
  }
  assert.fail(`not reachable with ${key} in ${max} presses: ${locator}`);
}

// Waits until `locator` has focus (the page moved it there).
export async function expectFocus(p, locator) {
  const handle = await locator.elementHandle();
  await p.waitForFunction((el) => el === document.activeElement, handle, { timeout: 10_000 })
    .catch(() => assert.fail(`focus never reached ${locator}`));
  const { tag, visible } = await focusIsVisible(p);
  assert.ok(visible, `${tag} has focus but no visible focus indicator`);
}
