// A strict TypeScript consumer of @s3-gatekeeper/client, built with Vite. The typed calls below
// are what the type-check covers; the flow against the dev stack is shared with the webpack app.
import type { ErrorCode, GatekeeperClient, ObjectRead, Receipt, SignedReceipt } from "@s3-gatekeeper/client";
import { runFlow, type Stack } from "../../shared/flow.js";

// Compile-time checks of the public types (never called).
export async function typed(client: GatekeeperClient, file: File): Promise<string> {
  const receipt: Receipt = await client.putObject("tickets/1/a.bin", new Uint8Array([1, 2, 3]));
  await client.putObject("tickets/1/b.png", file, { contentType: "image/png", onProgress: ({ loaded, total }) => void (loaded + (total ?? 0)) });
  const read: ObjectRead<Uint8Array<ArrayBuffer>> = await client.getObject("tickets/1/a.bin", { signal: AbortSignal.timeout(5_000) });
  const digest = await crypto.subtle.digest("SHA-256", read.data);
  const blob = new Blob([read.data], { type: read.contentType ?? "application/octet-stream" });
  const { data: json } = await client.getJson<{ ok: boolean }>("tickets/1/c.json");
  const { objects } = await client.readPrefix("tickets/1/");
  const first = objects[0];
  const text = first ? await first.text() : "";
  const signed: SignedReceipt | undefined = receipt.signed;
  const line: string = signed ? `${JSON.stringify(signed)}\n` : "";
  try {
    await client.getText("tickets/1/missing");
  } catch (error) {
    const { GatekeeperError } = await import("@s3-gatekeeper/client");
    if (error instanceof GatekeeperError) {
      const code: ErrorCode | (string & {}) = error.code;
      switch (code) {
        case "not_found":
          return `${error.status ?? 0}`;
        case "aborted":
          return "aborted";
      }
    }
  }
  return `${receipt.sequence} ${digest.byteLength} ${blob.size} ${json.ok} ${text} ${line}`;
}

async function main(): Promise<void> {
  const out = document.getElementById("out");
  const stack = JSON.parse(new URLSearchParams(location.search).get("stack") ?? "null") as Stack | null;
  if (!out || !stack) return;
  const started = performance.now();
  const lib = await import("@s3-gatekeeper/client");
  const log = await runFlow(lib, stack, {});
  out.textContent = JSON.stringify({ log, ms: performance.now() - started });
  out.dataset.done = "1";
}

main().catch((error: unknown) => {
  const out = document.getElementById("out");
  if (out) {
    out.textContent = JSON.stringify({ error: String(error), code: (error as { code?: string }).code });
    out.dataset.done = "1";
  }
});
