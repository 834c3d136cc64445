// Runs the built consumer apps (vite-app/dist, webpack-app/dist) in headless Chromium against the
// dev stack, each served from its own loopback origin under the Content Security Policy the
// package README gives. scripts/consumers.sh builds the apps, starts the stack and sets:
//   S3GK_DEVSTACK_JSON   the stack's JSON line
//   CONSUMER_PORTS       "vite=PORT,webpack=PORT" (origins the stack allows)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const stack = JSON.parse(process.env.S3GK_DEVSTACK_JSON ?? "null");
const ports = Object.fromEntries((process.env.CONSUMER_PORTS ?? "").split(",").map((p) => p.split("=")));
assert.ok(stack && ports.vite && ports.webpack, "run through scripts/consumers.sh");

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
const csp = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  `connect-src 'self' ${stack.gatekeeper} ${stack.vendor} ${stack.s3} blob:`,
  "img-src 'self' blob:",
].join("; ");

function serve(dir, port) {
  const server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url, "http://x").pathname).replace(/^\/+/, "") || "index.html";
    try {
      const body = await readFile(join(dir, path));
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "content-security-policy": csp });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(Number(port), "127.0.0.1", () => resolve(server)));
}

let browser;
const servers = [];
before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run"],
  });
});
after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

for (const app of ["vite", "webpack"]) {
  test(`${app} app: reads, streams, uploads a File, aborts, reports progress and GatekeeperErrors`, async () => {
    servers.push(await serve(new URL(`./${app}-app/dist`, import.meta.url).pathname, ports[app]));
    const page = await (await browser.newContext()).newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
    const url = `http://127.0.0.1:${ports[app]}/?stack=${encodeURIComponent(JSON.stringify(stack))}`;
    await page.goto(url);
    await page.locator("#out[data-done]").waitFor({ timeout: 60_000 });
    const result = JSON.parse(await page.locator("#out").textContent());
    assert.equal(result.error, undefined, `${JSON.stringify(result)} ${problems.join(" | ")}`);
    const failed = Object.entries(result.log).filter(([, ok]) => !ok).map(([name]) => name);
    assert.deepEqual(failed, [], JSON.stringify(result.log));
    assert.equal(Object.keys(result.log).length, 14, JSON.stringify(result.log));
    console.log(`${app}: ${Object.keys(result.log).length} checks, import() to last check ${Math.round(result.ms)} ms`);
  });
}
