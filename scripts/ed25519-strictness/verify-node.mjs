// Node's crypto.verify (OpenSSL) on the checks measure.py writes to stdin: one answer per check,
// "accept", "refuse", or "refuse (key)" when the public key does not import. Used by measure.py.
import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";

// DER SubjectPublicKeyInfo for an Ed25519 key (RFC 8410), followed by the 32 key bytes.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

const cases = JSON.parse(readFileSync(0, "utf8"));
const answers = cases.map((c) => {
  let key;
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(c.public_key, "hex")]), format: "der", type: "spki" });
  } catch {
    return "refuse (key)";
  }
  const ok = verify(null, Buffer.from(c.message, "hex"), key, Buffer.from(c.signature, "hex"));
  return ok ? "accept" : "refuse";
});
process.stdout.write(JSON.stringify(answers));
