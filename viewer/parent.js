// The vendor page's side of the isolated viewer: `mountViewer(element, options)` embeds the
// customer's viewer (served by the customer's gatekeeper at /v1/viewer/) in an iframe and answers
// its co-signature requests with the page's own first-party session, so no third-party cookie is
// ever needed.
//
// What crosses the boundary, and nothing else (docs/architecture.md, "The isolated viewer"):
//   frame → page  { protocol, type: "cosign", id, request }   the encoded access request (base64)
//                 { protocol, type: "height", height }         the frame's height in pixels
//                 { protocol, type: "error", code }            a stable error code
//   page → frame  { protocol, type: "cosigned", id, vendorKeyId, vendorSignature }
//                 { protocol, type: "cosign-refused", id, code }
// The page never receives an object's key material, a presigned URL or plaintext: they exist only
// in the frame. Every message is checked for the viewer's exact origin and for the iframe's own
// window; anything else, or anything outside this schema, is ignored.

export const VIEWER_PROTOCOL = "s3gk-viewer/1";

const CODE = /^[a-z][a-z0-9_]{0,63}$/;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The longest encoded request passed on, in base64 characters (a request is at most ~1.2 KB). */
export const MAX_REQUEST_CHARS = 4096;
/** At most this many co-signature requests per minute from one viewer. */
export const MAX_COSIGNS_PER_MINUTE = 60;

class ViewerError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "ViewerError";
    this.code = code;
  }
}

/** POSTs `{ request }` to the vendor's co-sign endpoint with the page's own cookies. */
async function cosignAt(url, request) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "content-type": "application/json" }, body: JSON.stringify({ request }),
  }).catch(() => { throw new ViewerError("network_error", "the co-sign endpoint could not be reached"); });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const code = body && body.error && typeof body.error.code === "string" ? body.error.code : "network_error";
    throw new ViewerError(code);
  }
  return body;
}

/**
 * Embeds the customer's viewer for the report under `prefix` in `element` (its children are
 * replaced).
 *
 * options.viewerUrl  the viewer's URL on the customer's gatekeeper, e.g. "https://gk.customer.example/v1/viewer/"
 * options.cosign     the vendor's co-sign endpoint URL (same origin as this page), or an async
 *                    function (request) => ({ vendor_key_id, vendor_signature })
 * options.prefix     the report's prefix, ending with "/"
 * options.renderer   the name of a renderer the customer pinned (default "report", the release's own)
 * options.title      the iframe's accessible title (default "Report viewer")
 * options.onError    called with { code } when the viewer reports an error
 * Returns { frame, destroy() }.
 */
export function mountViewer(element, options) {
  const { viewerUrl, cosign, prefix, renderer = "report", title = "Report viewer", onError } = options || {};
  if (typeof prefix !== "string" || !prefix.endsWith("/")) throw new ViewerError("invalid_argument", "prefix must end with /");
  if (typeof cosign !== "string" && typeof cosign !== "function") {
    throw new ViewerError("invalid_argument", "cosign must be a URL or a function");
  }
  const url = new URL(viewerUrl, location.href);
  if (!["https:", "http:"].includes(url.protocol)) throw new ViewerError("invalid_argument", "viewerUrl must be http(s)");
  const viewerOrigin = url.origin;
  url.search = new URLSearchParams({ prefix, renderer, origin: location.origin }).toString();

  const frame = document.createElement("iframe");
  frame.title = title;
  frame.className = "s3gk-viewer";
  frame.referrerPolicy = "no-referrer";
  // No popups and no navigation of this page from the frame.
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-downloads");
  frame.src = url.href;

  const recent = [];
  const reply = (message) => frame.contentWindow?.postMessage({ protocol: VIEWER_PROTOCOL, ...message }, viewerOrigin);

  async function answer(id, request) {
    const now = Date.now();
    while (recent.length && now - recent[0] > 60_000) recent.shift();
    if (recent.length >= MAX_COSIGNS_PER_MINUTE) return reply({ type: "cosign-refused", id, code: "rate_limited" });
    recent.push(now);
    try {
      const signed = typeof cosign === "function" ? await cosign(request) : await cosignAt(cosign, request);
      if (!signed || !KEY_ID.test(signed.vendor_key_id) || !SIGNATURE.test(signed.vendor_signature)) {
        throw new ViewerError("bad_response", "the co-signer's answer has the wrong shape");
      }
      reply({ type: "cosigned", id, vendorKeyId: signed.vendor_key_id, vendorSignature: signed.vendor_signature });
    } catch (error) {
      const code = error && CODE.test(error.code) ? error.code : "network_error";
      reply({ type: "cosign-refused", id, code });
    }
  }

  function onMessage(event) {
    if (event.origin !== viewerOrigin || event.source !== frame.contentWindow) return;
    const m = event.data;
    if (!m || typeof m !== "object" || m.protocol !== VIEWER_PROTOCOL) return;
    if (m.type === "cosign" && Number.isSafeInteger(m.id) && m.id > 0 && typeof m.request === "string" &&
        m.request.length <= MAX_REQUEST_CHARS && BASE64.test(m.request)) {
      answer(m.id, m.request);
    } else if (m.type === "height" && Number.isSafeInteger(m.height) && m.height >= 0 && m.height <= 100_000) {
      frame.style.height = `${m.height}px`;
    } else if (m.type === "error" && CODE.test(m.code) && typeof onError === "function") {
      onError({ code: m.code });
    }
  }

  window.addEventListener("message", onMessage);
  element.replaceChildren(frame);
  return {
    frame,
    destroy() {
      window.removeEventListener("message", onMessage);
      frame.remove();
    },
  };
}
