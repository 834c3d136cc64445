// The package's Node co-signer against the spec's cosign vectors: every refusal with its code,
// every signature byte for byte (deterministic Ed25519).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Cosigner, GatekeeperError } from "@s3-gatekeeper/client/cosigner";

const vectorsDir = process.env.S3GK_VECTORS ?? new URL("../../../vectors", import.meta.url).pathname;

function fields(text) {
  return Object.fromEntries(text.split("\n").filter((l) => l.includes(": ")).map((l) => {
    const at = l.indexOf(": ");
    return [l.slice(0, at), l.slice(at + 2)];
  }));
}

const vectors = readdirSync(vectorsDir).filter((f) => f.startsWith("cosign-")).map((f) => [f, fields(readFileSync(join(vectorsDir, f), "utf8"))]);

test("every cosign vector: refused with its code, or signed byte for byte", () => {
  assert.ok(vectors.length >= 17, `found ${vectors.length} cosign vectors`);
  for (const [file, v] of vectors) {
    const cosigner = new Cosigner({
      gatekeeperId: v.gatekeeper_id,
      vendorKeyId: v.vendor_key_id,
      vendorKey: Buffer.from(v.vendor_seed, "hex").toString("base64"),
      maxLifetimeSecs: Number(v.max_lifetime),
      maxSkewSecs: Number(v.max_skew),
    });
    const request = new Uint8Array(Buffer.from(v.request, "hex"));
    if (v.expect === "ok") {
      const candidate = cosigner.check(request, Number(v.now));
      assert.ok(["get", "put", "list_prefix"].includes(candidate.operation), file);
      const answer = candidate.sign();
      assert.equal(answer.vendor_key_id, v.vendor_key_id, file);
      assert.equal(Buffer.from(answer.vendor_signature, "base64").toString("hex"), v.vendor_signature, file);
    } else {
      assert.throws(() => cosigner.check(request, Number(v.now)), (e) => {
        assert.ok(e instanceof GatekeeperError, `${file}: ${e}`);
        assert.equal(e.code, v.expect, file);
        return true;
      });
    }
  }
});

test("a bad configuration is invalid_config", () => {
  assert.throws(() => new Cosigner({ gatekeeperId: "g", vendorKeyId: "k", vendorKey: "AAAA" }),
    (e) => e instanceof GatekeeperError && e.code === "invalid_config");
});

test("a live gatekeeper accepts what the package's co-signer signs, through the package's client", async (t) => {
  const stack = JSON.parse(process.env.S3GK_DEVSTACK_JSON ?? "null");
  const seed = process.env.S3GK_VENDOR_SEED;
  if (!stack || !seed) return t.skip("needs the dev stack (scripts/consumers.sh)");
  const { createServer } = await import("node:http");
  const { GatekeeperClient } = await import("@s3-gatekeeper/client");
  const cosigner = new Cosigner({ gatekeeperId: stack.gatekeeper_id, vendorKeyId: stack.vendor_key_id, vendorKey: seed });
  assert.equal(cosigner.publicKey, stack.vendor_public_key);
  const asked = [];
  // A vendor backend in a few lines: its own permission check is "tickets/1001/ only".
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      try {
        const candidate = cosigner.check(JSON.parse(body).request);
        asked.push(candidate.operation);
        if (!candidate.key.startsWith("tickets/1001/")) {
          res.writeHead(403, { "content-type": "application/json" });
          return res.end(JSON.stringify({ error: { code: "vendor_denied", message: "not yours" } }));
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(candidate.sign()));
      } catch (e) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: e.code ?? "bad_request", message: e.message } }));
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const client = new GatekeeperClient({
      gatekeeperUrl: stack.gatekeeper, gatekeeperId: stack.gatekeeper_id,
      gatekeeperPublicKey: stack.gatekeeper_public_key, gatekeeperKeyId: stack.gatekeeper_key_id,
      cosignUrl: `http://127.0.0.1:${server.address().port}/cosign`,
    });
    const key = `tickets/1001/node-cosigner-${Date.now()}.txt`;
    const receipt = await client.putObject(key, new TextEncoder().encode("signed in node"), { contentType: "text/plain" });
    assert.equal(receipt.vendorKeyId, stack.vendor_key_id);
    assert.equal((await client.getText(key)).data, "signed in node");
    const refused = await client.getObject("tickets/2001/x").catch((e) => e);
    assert.equal(refused.code, "vendor_denied");
    assert.deepEqual(asked, ["put", "get", "get"]);
  } finally {
    server.close();
  }
});
