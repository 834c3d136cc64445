// @s3-gatekeeper/client/cosigner: the vendor co-signer of docs/protocol.md section 4.1, for Node
// (built from the same Rust protocol crate as the gatekeeper).
export { GatekeeperError, ERROR_CODES } from "./index.js";
export type { ErrorCode } from "./index.js";

/** A vendor's co-signer configuration. */
export interface CosignerConfig {
  /** The customer's gatekeeper id: requests naming any other are refused (`wrong_audience`). */
  gatekeeperId: string;
  /** The id of the vendor key, as the gatekeeper knows it. */
  vendorKeyId: string;
  /** The vendor's Ed25519 key: its 32-byte seed, as bytes or base64. It never leaves the module. */
  vendorKey: Uint8Array | string;
  /** The longest window signed, in seconds (default 300; at most the gatekeeper's). */
  maxLifetimeSecs?: number | undefined;
  /** How far the client's clock may differ from this one, in seconds (default 60). */
  maxSkewSecs?: number | undefined;
}

/** The co-sign endpoint's answer, as the browser client expects it. */
export interface CosignAnswer {
  vendor_key_id: string;
  /** Base64 of the 64-byte signature. */
  vendor_signature: string;
}

/** A request that passed the protocol's checks: read its fields for your permission check, then sign. */
export declare class CosignCandidate {
  readonly operation: "get" | "put" | "list_prefix";
  /** The object key, or the prefix of a `list_prefix` (syntax already checked). */
  readonly key: string;
  readonly gatekeeperId: string;
  /** Unix seconds. */
  readonly issuedAt: number;
  /** Unix seconds. */
  readonly expiresAt: number;
  /** A put's ciphertext length in bytes. */
  readonly contentLength: number | undefined;
  /** A put's declared media type. */
  readonly contentType: string | undefined;
  /** The client's session public key, base64. */
  readonly sessionKey: string;
  /** Signs the exact bytes checked (deterministic Ed25519). Call only after your permission check. */
  sign(): CosignAnswer;
  free(): void;
}

/** The co-signer: `check` then, after your own permission check, `sign`. */
export declare class Cosigner {
  /** Throws `GatekeeperError` with code `invalid_config`. */
  constructor(config: CosignerConfig);
  /** The vendor public key, base64 (configure it at the customer's gatekeeper). */
  readonly publicKey: string;
  /** Decodes `request` (the base64 the browser posted, or its bytes) and checks the audience, the
   *  key's syntax and the window against `now` (Unix seconds; default this machine's clock).
   *  Throws `GatekeeperError` with the refusal's code (`malformed_request`, `wrong_audience`,
   *  `key_*`, `invalid_time_window`, `lifetime_too_long`, `not_yet_valid`, `stale_request`). */
  check(request: string | Uint8Array, now?: number): CosignCandidate;
  free(): void;
}
