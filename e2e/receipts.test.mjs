// End-to-end test of the report page's receipts export (embedded mode), in real headless Chromium
// against the dev stack of scripts/e2e.sh (E2E_STACK). The page keeps every receipt it verified in
// a session, as the gatekeeper signed it, and "Export receipts" downloads them as a receipts file
// (JSON Lines of the `receipt` objects of POST /v1/authorize, docs/api.md). The test reads each
// downloaded file as the customer's tools would: every line has exactly the four fields, its
// signature verifies under the gatekeeper's public key over the signed bytes of docs/protocol.md
// section 4 (WebCrypto Ed25519 in Node), its sequence is the one inside the signed bytes and names
// the audit entry of that decision, and a copy with one byte changed no longer verifies. Then the
// customer's own check: `gatekeeper audit verify --receipts` (E2E_GATEKEEPER) accepts the file
// against the stack's audit log, refuses a file with one byte of a receipt changed, and catches a
// copy of the log whose tail was cut together with its checkpoints, which the chain alone accepts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertAccessible, assertNoCspViolations, launch, newPage, tabTo, totals } from "./browser.mjs";

const stack = JSON.parse(process.env.E2E_STACK ?? "null");
const gatekeeper = process.env.E2E_GATEKEEPER;
const artifacts = process.env.E2E_ARTIFACTS ?? "target/e2e-artifacts";
assert.ok(stack && gatekeeper, "run through scripts/e2e.sh, which starts the dev stack and builds the gatekeeper");
mkdirSync(artifacts, { recursive: true });
const auditDb = join(stack.data_dir, "audit.db");

let browser;
let work;
before(async () => { browser = await launch(); work = mkdtempSync(join(tmpdir(), "s3gk-receipts-")); });
after(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`receipts tests: csp violations: ${totals.csp} on ${totals.pages} pages; ` +
    `axe violations: ${totals.axe} in ${totals.axeRuns} runs`);
});

async function signIn(p, user, password) {
  await p.goto(`${stack.page}?mode=embedded`);
  await p.getByLabel("Username").fill(user);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.getByRole("heading", { name: "Your tickets" }).waitFor();
}

async function openTicket(p, id) {
  await p.getByRole("button", { name: `Open ticket ${id}` }).click();
  await p.locator("#report").waitFor({ state: "visible", timeout: 30_000 });
}

// Presses `key` on the focused export button and returns the downloaded file's text.
async function exportWith(p, key) {
  const download = p.waitForEvent("download");
  await p.keyboard.press(key);
  const file = await download;
  assert.equal(file.suggestedFilename(), "receipts.jsonl");
  return readFileSync(await file.path(), "utf8");
}

// PAE of docs/protocol.md section 2.
function pae(parts) {
  const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  return Buffer.concat([u32(parts.length), ...parts.flatMap((part) => [u32(part.length), Buffer.from(part)])]);
}

// The fields of an encoded receipt (docs/protocol.md 4.3) up to its sequence number.
function decodeReceipt(bytes) {
  let at = 0;
  const take = (n) => {
    assert.ok(at + n <= bytes.length, "the receipt is cut short");
    at += n;
    return bytes.subarray(at - n, at);
  };
  const bytes16 = () => take(take(2).readUInt16BE(0));
  assert.equal(bytes16().toString("latin1"), "s3-gatekeeper/v1 receipt");
  assert.equal(take(1)[0], 1, "version 1");
  const request = bytes16();
  const vendorKeyId = bytes16().toString("latin1");
  take(128); // the vendor's and the client's signatures
  return { request, vendorKeyId, sequence: Number(take(8).readBigUInt64BE(0)) };
}

const gatekeeperKey = () => crypto.subtle.importKey("raw", Buffer.from(stack.gatekeeper_public_key, "base64"),
  { name: "Ed25519" }, false, ["verify"]);

// Whether a line's signature verifies over its bytes and key id under the gatekeeper's key.
async function verifies(line) {
  const message = pae([Buffer.from("s3-gatekeeper/v1 receipt-signature"), Buffer.from(line.key_id),
    Buffer.from(line.bytes, "base64")]);
  return crypto.subtle.verify({ name: "Ed25519" }, await gatekeeperKey(), Buffer.from(line.signature, "base64"), message);
}

// Every line of a receipts file, checked on its own; returns them parsed, with what their bytes say.
async function readReceiptsFile(text) {
  assert.ok(text.endsWith("\n"), "every line ends with a newline");
  const lines = text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
  for (const line of lines) {
    assert.deepEqual(Object.keys(line), ["bytes", "signature", "key_id", "sequence"]);
    assert.equal(line.key_id, stack.gatekeeper_key_id);
    assert.equal(Buffer.from(line.signature, "base64").length, 64);
    assert.ok(Number.isSafeInteger(line.sequence) && line.sequence >= 1);
    assert.ok(await verifies(line), `receipt ${line.sequence} verifies under the gatekeeper's key`);
    const inside = decodeReceipt(Buffer.from(line.bytes, "base64"));
    assert.equal(inside.sequence, line.sequence, "the sequence is the signed one");
    assert.equal(inside.vendorKeyId, stack.vendor_key_id);
    line.request = inside.request.toString("latin1");
  }
  const sequences = lines.map((l) => l.sequence);
  assert.deepEqual(sequences, [...new Set(sequences)].sort((a, b) => a - b), "once each, in audit order");
  return lines;
}

// `gatekeeper audit verify` of the SQLite log `db` under the gatekeeper's key, with the receipts
// file `receipts` (text) if given.
function auditVerify(db, receipts) {
  const args = ["audit", "verify", "--db", db, "--public-key", stack.gatekeeper_public_key];
  if (receipts !== undefined) {
    writeFileSync(join(work, "receipts.jsonl"), receipts);
    args.push("--receipts", join(work, "receipts.jsonl"));
  }
  const run = spawnSync(gatekeeper, args, { encoding: "utf8", env: { ...process.env, RUST_LOG: "warn" } });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

// A copy of the live log (SQLite's backup API, consistent while the gatekeeper writes) with every
// entry from `seq` on deleted, and every checkpoint over them: a shorter log, valid on its own.
function cutCopy(seq) {
  const copy = join(work, `cut-${seq}.db`);
  const script = [
    "import sqlite3, sys",
    "source = sqlite3.connect(f'file:{sys.argv[1]}?mode=ro', uri=True)",
    "copy = sqlite3.connect(sys.argv[2])",
    "source.backup(copy)",
    "copy.execute('DELETE FROM audit_entries WHERE seq >= ?', (int(sys.argv[3]),))",
    "copy.execute('DELETE FROM audit_checkpoints WHERE seq >= ?', (int(sys.argv[3]),))",
    "copy.commit()",
    "copy.close()",
  ].join("\n");
  const run = spawnSync("python3", ["-c", script, auditDb, copy, String(seq)], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return copy;
}

// The sequence number of the table's first row: the prefix read's own receipt.
async function tableSequence(p, prefix) {
  const cells = await p.locator("#receipts tbody tr").first().locator("td").allTextContents();
  assert.equal(cells[0], prefix, "the first row is the prefix's receipt");
  return Number(cells[3]);
}

test("the receipts of a session export as a file that verifies under the gatekeeper's key and matches its audit log", async () => {
  const p = await newPage(browser);
  await signIn(p, "alice", "alice-demo");
  await openTicket(p, 1001);
  const prefix = "tickets/1001/";
  const kept = p.locator("#receipts-kept");
  assert.equal(await kept.textContent(), "1 signed receipt verified in this session.");

  // One open: one receipt, the prefix read's (its objects have no receipt of their own).
  const exportButton = p.getByRole("button", { name: "Export receipts" });
  await tabTo(p, exportButton);
  const first = await readReceiptsFile(await exportWith(p, "Enter"));
  assert.equal(first.length, 1);
  assert.equal(first[0].sequence, await tableSequence(p, prefix));
  assert.ok(first[0].request.includes(prefix), "the signed request names the prefix");
  assert.equal(await p.locator("#status").textContent(), "Exported 1 signed receipt to receipts.jsonl.");

  // One byte of the receipt changed (here, in its sequence number), or of its signature: it no
  // longer verifies.
  const bytes = Buffer.from(first[0].bytes, "base64");
  bytes[bytes.length - 20] ^= 1;
  assert.equal(await verifies({ ...first[0], bytes: bytes.toString("base64") }), false);
  const signature = Buffer.from(first[0].signature, "base64");
  signature[10] ^= 1;
  assert.equal(await verifies({ ...first[0], signature: signature.toString("base64") }), false);

  // An upload, whose page then reads the ticket again: three grants, three receipts.
  const name = `receipt-${Date.now()}.txt`;
  await p.getByLabel("File", { exact: true }).setInputFiles({ name, mimeType: "text/plain", buffer: Buffer.from("kept\n") });
  await p.getByRole("button", { name: "Encrypt and upload" }).click();
  await p.locator(`#attachments li[data-key="${prefix}${name}"]`).waitFor({ timeout: 30_000 });
  await kept.filter({ hasText: "3 signed receipts verified in this session." }).waitFor();
  await tabTo(p, exportButton);
  const text = await exportWith(p, "Space");
  const all = await readReceiptsFile(text);
  assert.equal(all.length, 3);
  assert.deepEqual(all[0], first[0], "the first receipt, unchanged");
  assert.ok(all[1].request.includes(`${prefix}${name}`), "the second is the upload's");
  assert.equal(all[2].sequence, await tableSequence(p, prefix), "the third is the table's");

  // The customer's check: the file against the log, then a file with one byte of a receipt changed.
  const checked = auditVerify(auditDb, text);
  assert.equal(checked.code, 0, checked.out);
  assert.match(checked.out, /^ok: .*; 3 receipts match their entries$/m);
  const altered = Buffer.from(all[1].bytes, "base64");
  altered[altered.length - 20] ^= 1;
  const forged = text.replace(all[1].bytes, altered.toString("base64"));
  const refused = auditVerify(auditDb, forged);
  assert.equal(refused.code, 2, refused.out);
  assert.match(refused.out, /receipts_file_invalid: receipts file line 2: the signature does not verify/);
  // A log cut from the upload on, checkpoints included: the chain alone accepts it, the receipts do not.
  const cut = cutCopy(all[1].sequence);
  const alone = auditVerify(cut);
  assert.equal(alone.code, 0, alone.out);
  const witnessed = auditVerify(cut, text);
  assert.equal(witnessed.code, 1, witnessed.out);
  assert.match(witnessed.out, new RegExp(`TAMPERED: seq ${all[1].sequence}: a kept receipt names this entry, but the log ends before it`));

  // Each names the audit entry of its decision: granted, for the key its request names.
  const answer = await p.request.get(new URL(`/api/audit?prefix=${prefix}&limit=1000`, stack.page).href);
  const entries = new Map((await answer.json()).entries.map((e) => [Number(e.seq), e]));
  const operations = all.map((line) => {
    const entry = entries.get(line.sequence);
    assert.ok(entry, `audit entry ${line.sequence}`);
    assert.equal(entry.decision, "granted");
    assert.ok(line.request.includes(entry.key), `${entry.key} is the key the receipt's request names`);
    return entry.operation;
  });
  assert.deepEqual(operations, ["list_prefix", "put", "list_prefix"]);
  await assertAccessible(p, "a report after exporting its receipts");
  await p.screenshot({ path: join(artifacts, "09-receipts-export.png"), fullPage: true });

  // Signing out forgets them: the next user's file holds only their own.
  await p.getByRole("button", { name: "Sign out" }).click();
  await signIn(p, "bob", "bob-demo");
  await openTicket(p, 2001);
  await tabTo(p, exportButton);
  const bobs = await readReceiptsFile(await exportWith(p, "Enter"));
  assert.equal(bobs.length, 1);
  assert.ok(bobs[0].request.includes("tickets/2001/") && bobs[0].sequence > all[2].sequence);
  await assertNoCspViolations(p);
});
