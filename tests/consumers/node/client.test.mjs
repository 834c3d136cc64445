// The package in Node 20+, imported the way server-side code imports it (the `node` condition):
// the whole flow against the dev stack with a session cookie passed as cosignHeaders.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

const stack = JSON.parse(process.env.S3GK_DEVSTACK_JSON ?? "null");
assert.ok(stack, "run through scripts/consumers.sh, which starts a dev stack (S3GK_DEVSTACK_JSON)");

let client;
let lib;
before(async () => {
  lib = await import("@s3-gatekeeper/client");
  const login = await fetch(`${stack.vendor}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "alice", password: "alice-demo" }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.get("set-cookie").split(";")[0];
  client = new lib.GatekeeperClient({
    gatekeeperUrl: stack.gatekeeper,
    gatekeeperId: stack.gatekeeper_id,
    gatekeeperPublicKey: stack.gatekeeper_public_key,
    gatekeeperKeyId: stack.gatekeeper_key_id,
    cosignUrl: `${stack.vendor}/api/cosign`,
    cosignHeaders: { cookie },
  });
});

const unique = () => randomBytes(6).toString("hex");

test("put a stream with progress, read it back as bytes, text and a stream", async () => {
  const key = `tickets/1001/${unique()}/node.txt`;
  const body = new TextEncoder().encode("hello from node ".repeat(10_000));
  const stream = new Blob([body]).stream();
  const seen = [];
  const receipt = await client.putObject(key, stream, {
    length: body.length, contentType: "text/plain", onProgress: (p) => seen.push(p),
  });
  assert.equal(receipt.key, key);
  assert.equal(receipt.verified, true);
  assert.equal(seen.at(-1).loaded, body.length);
  assert.equal(seen.at(-1).total, body.length);

  const read = await client.getObject(key);
  assert.deepEqual(read.data, body);
  assert.equal(read.contentType, "text/plain");
  assert.equal(read.receipt.key, key);
  const { data: text } = await client.getText(key);
  assert.equal(text.length, body.length);
  const { data: plain } = await client.getObjectStream(key);
  let n = 0;
  for await (const part of plain) n += part.length;
  assert.equal(n, body.length);
});

test("errors are GatekeeperErrors with codes and statuses", async () => {
  const missing = await client.getObject(`tickets/1001/${unique()}/none`).catch((e) => e);
  assert.ok(missing instanceof lib.GatekeeperError);
  assert.equal(missing.code, "not_found");
  assert.equal(missing.status, 404);
  const key = `tickets/1001/${unique()}/once.bin`;
  await client.putObject(key, new Uint8Array([1, 2, 3]));
  const again = await client.putObject(key, new Uint8Array([4])).catch((e) => e);
  assert.equal(again.code, "already_exists");
  assert.equal(again.status, 412);
  const denied = await client.getObject("tickets/2001/x").catch((e) => e);
  assert.equal(denied.party, "vendor");
  const aborted = await client.getObject(key, { signal: AbortSignal.abort() }).catch((e) => e);
  assert.equal(aborted.code, "aborted");
  assert.ok(lib.ERROR_CODES.includes("url_expired"));
});
