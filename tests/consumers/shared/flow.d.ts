// Types of the shared browser flow (shared/flow.js).
export interface Stack {
  vendor: string;
  gatekeeper: string;
  gatekeeper_id: string;
  gatekeeper_public_key: string;
  gatekeeper_key_id: string;
}
export function runFlow(
  lib: typeof import("@s3-gatekeeper/client"),
  stack: Stack,
  log: Record<string, boolean>,
): Promise<Record<string, boolean>>;
