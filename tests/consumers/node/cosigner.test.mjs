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
