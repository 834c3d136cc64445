// A webpack 5 consumer of @s3-gatekeeper/client (asyncWebAssembly), loaded with import().
import { runFlow } from "../../shared/flow.js";

async function main() {
  const out = document.getElementById("out");
  const stack = JSON.parse(new URLSearchParams(location.search).get("stack") ?? "null");
  if (!stack) return;
  const started = performance.now();
  const lib = await import("@s3-gatekeeper/client");
  const log = await runFlow(lib, stack, {});
  out.textContent = JSON.stringify({ log, ms: performance.now() - started });
  out.dataset.done = "1";
}

main().catch((error) => {
  const out = document.getElementById("out");
  out.textContent = JSON.stringify({ error: String(error), code: error?.code });
  out.dataset.done = "1";
});
