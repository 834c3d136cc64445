// Types of @s3-gatekeeper/client/viewer (viewer/parent.js): the vendor page's side of the
// isolated viewer.

/** The message protocol's version tag, carried by every message. */
export declare const VIEWER_PROTOCOL: "s3gk-viewer/1";
/** The longest encoded request passed on to the co-signer, in base64 characters. */
export declare const MAX_REQUEST_CHARS: number;
/** At most this many co-signature requests per minute from one viewer. */
export declare const MAX_COSIGNS_PER_MINUTE: number;

/** The vendor's co-signature of an encoded access request (docs/vendor-demo.md, POST /api/cosign). */
export interface VendorCosignature {
  vendor_key_id: string;
  vendor_signature: string;
}

export interface MountViewerOptions {
  /** The viewer on the customer's gatekeeper, e.g. "https://gatekeeper.customer.example/v1/viewer/". */
  viewerUrl: string;
  /** The vendor's co-sign endpoint on this page's origin (called with the page's own cookies), or
   *  a function that co-signs the base64 request; throw an Error with a `code` to refuse. */
  cosign: string | ((request: string) => Promise<VendorCosignature>);
  /** The report's prefix, ending with "/". */
  prefix: string;
  /** A renderer the customer pinned; default "report" (the release's own). */
  renderer?: string;
  /** The iframe's accessible title; default "Report viewer". */
  title?: string;
  /** Called with the viewer's stable error code when it cannot show the report. */
  onError?: (error: { code: string }) => void;
}

export interface MountedViewer {
  /** The iframe (on the customer's origin: its document is not readable from this page). */
  readonly frame: HTMLIFrameElement;
  /** Removes the iframe and stops answering it. */
  destroy(): void;
}

/** Embeds the customer's viewer for `prefix` in `element`, replacing its children. */
export declare function mountViewer(element: Element, options: MountViewerOptions): MountedViewer;
