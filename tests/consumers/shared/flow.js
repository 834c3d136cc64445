// The flow both browser apps run against the dev stack, written once (plain JS; the Vite app
// type-checks its own calls in src/main.ts). It reports each check into `window.__consumer`.
export async function runFlow(lib, stack, log) {
  const { GatekeeperClient, GatekeeperError, ERROR_CODES } = lib;
  const login = await fetch(`${stack.vendor}/api/login`, {
    method: "POST", credentials: "include", headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "alice", password: "alice-demo" }),
  });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  const client = new GatekeeperClient({
    gatekeeperUrl: stack.gatekeeper, gatekeeperId: stack.gatekeeper_id,
    gatekeeperPublicKey: stack.gatekeeper_public_key, gatekeeperKeyId: stack.gatekeeper_key_id,
    cosignUrl: `${stack.vendor}/api/cosign`, credentials: "include",
  });
  const dir = `tickets/1001/consumer-${crypto.randomUUID()}/`;
  const check = (name, ok) => { log[name] = Boolean(ok); };

  // Upload from a File, with progress, then read it back in every form.
  const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
  const file = new File([bytes], "shot.png", { type: "image/png" });
  const progress = [];
  const receipt = await client.putObject(`${dir}shot.png`, file, { contentType: "image/png", onProgress: (p) => progress.push(p) });
  check("upload receipt", receipt.verified && receipt.key === `${dir}shot.png`);
  check("upload progress", progress.length > 0 && progress.at(-1).loaded === bytes.length && progress.at(-1).total === bytes.length);
  const read = await client.getObject(`${dir}shot.png`, { onProgress: (p) => progress.push(p) });
  check("read bytes", read.data.length === bytes.length && read.data.every((b, i) => b === bytes[i]));
  check("read content type", read.contentType === "image/png");
  check("read receipt", read.receipt.verified && read.receipt.key === `${dir}shot.png`);
  check("read progress", progress.at(-1).loaded === bytes.length && progress.at(-1).total === bytes.length);
  const url = await client.getObjectUrl(`${dir}shot.png`);
  check("blob url", url.data.startsWith("blob:") && (await (await fetch(url.data)).blob()).type === "image/png");
  URL.revokeObjectURL(url.data);
  const stream = await client.getObjectStream(`${dir}shot.png`);
  let streamed = 0;
  const reader = stream.data.getReader();
  for (;;) { const { done, value } = await reader.read(); if (done) break; streamed += value.length; }
  check("stream", streamed === bytes.length);
  await client.putObject(`${dir}note.json`, new TextEncoder().encode('{"ok":true}'), { contentType: "application/json" });
  const prefix = await client.readPrefix(dir);
  const note = prefix.objects.find((o) => o.key.endsWith("note.json"));
  check("prefix handles", prefix.objects.length === 2 && note && (await note.json()).ok === true && note.expiresAt > Date.now());
  // What a receipts file keeps: each grant's receipt as signed; the objects of a prefix read have none.
  const signed = [receipt, read.receipt, prefix.receipt].map((r) => r.signed);
  check("signed receipts", signed.every((s) => s && Object.keys(s).join() === "bytes,signature,key_id,sequence" &&
    atob(s.signature).length === 64 && s.key_id === stack.gatekeeper_key_id) && signed[0].sequence === receipt.sequence &&
    prefix.objects.every((o) => !("signed" in o.receipt)));

  // Abort and the error classes.
  const aborted = await client.getObject(`${dir}shot.png`, { signal: AbortSignal.abort() }).catch((e) => e);
  check("abort", aborted instanceof GatekeeperError && aborted.code === "aborted");
  const missing = await client.getObject(`${dir}missing.bin`).catch((e) => e);
  check("not_found", missing instanceof GatekeeperError && missing.code === "not_found" && missing.status === 404);
  const again = await client.putObject(`${dir}note.json`, new Uint8Array([1])).catch((e) => e);
  check("already_exists", again instanceof GatekeeperError && again.code === "already_exists" && again.status === 412);
  check("error codes", ERROR_CODES.includes("url_expired") && ERROR_CODES.includes("decryption_failed"));
  return log;
}
