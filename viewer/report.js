// The release's own renderer for the isolated viewer: every object under the report's prefix,
// decrypted in the frame and shown by kind (images, text, JSON, other files as downloads), the
// verified receipts, and an upload form whose file is encrypted in the frame.
//
// A renderer is a module exporting `render(view)`, where `view` is { root, prefix, client,
// status(text), fail(error), clearError() } and `client` is a GatekeeperClient whose co-signatures
// go through the parent. It runs in the frame, so it sees plaintext: it runs only when the customer
// has pinned its SHA-384. It builds the page with DOM calls only (never HTML from data).

const IMAGES = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" };
const TEXT = new Set(["txt", "log", "md", "csv"]);
const urls = [];

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "dataset") Object.assign(node.dataset, value);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

function extension(name) {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
}

let cards = 0;
function card(title, ...content) {
  cards += 1;
  const heading = el("h2", { id: `viewer-card-${cards}` }, title);
  const section = el("section", { className: "card" }, heading, ...content);
  section.setAttribute("aria-labelledby", heading.id);
  return section;
}

async function objectView(object, name) {
  const kind = extension(name);
  if (Object.hasOwn(IMAGES, kind)) {
    const url = await object.blobUrl(IMAGES[kind]);
    urls.push(url);
    return el("figure", {}, el("img", { src: url, alt: `Image ${name}` }), el("figcaption", {}, name));
  }
  if (kind === "json") {
    const value = await object.json();
    return el("pre", { className: "scroll", tabIndex: 0 }, JSON.stringify(value, null, 2));
  }
  if (TEXT.has(kind)) {
    return el("pre", { className: "scroll", tabIndex: 0 }, await object.text());
  }
  const open = el("button", { type: "button" }, `Decrypt ${name}`);
  open.addEventListener("click", async () => {
    const url = await object.blobUrl("application/octet-stream");
    urls.push(url);
    const link = el("a", { href: url, download: name }, `Download ${name}`);
    open.replaceWith(link);
    link.focus();
  });
  return el("p", { dataset: { key: object.key } }, `${name} (${object.size} bytes encrypted) `, open);
}

function receiptsTable(receipts, prefix) {
  const head = el("tr", {}, ...["Object", "Vendor key", "Gatekeeper key", "Audit #", "Signatures"]
    .map((text) => el("th", { scope: "col" }, text)));
  const rows = receipts.map((r) => el("tr", {},
    el("td", {}, r.key.startsWith(prefix) ? r.key.slice(prefix.length) || prefix : r.key),
    el("td", {}, r.vendorKeyId), el("td", {}, r.gatekeeperKeyId), el("td", {}, String(r.sequence)),
    el("td", { className: r.verified ? "ok" : "bad" }, r.verified ? "✓ vendor + gatekeeper verified" : "✗ not verified")));
  return el("table", { className: "table", id: "viewer-receipts" }, el("thead", {}, head), el("tbody", {}, ...rows));
}

function uploadForm(view, reload) {
  const input = el("input", { id: "viewer-upload-file", type: "file", required: true });
  const form = el("form", {}, el("label", { htmlFor: "viewer-upload-file" }, "File"), input,
    el("button", { type: "submit" }, "Encrypt and upload"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    view.clearError();
    const file = input.files[0];
    if (!file) return;
    try {
      view.status(`Encrypting ${file.name} in this frame and uploading…`);
      const name = file.name.replace(/[^A-Za-z0-9._-]/g, "_");
      const type = (file.type || "").toLowerCase();
      const options = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? { contentType: type } : undefined;
      await view.client.putObject(`${view.prefix}${name}`, new Uint8Array(await file.arrayBuffer()), options);
      await reload();
      view.status(`Uploaded ${name}.`);
      const item = [...document.querySelectorAll("[data-key]")].find((p) => p.dataset.key === `${view.prefix}${name}`);
      item?.querySelector("button")?.focus();
    } catch (error) {
      view.fail(error);
    }
  });
  return form;
}

export async function render(view) {
  const { root, prefix, client } = view;
  const reload = async () => {
    view.status(`Loading ${prefix}: asking the vendor and the customer's gatekeeper…`);
    const report = await client.readPrefix(prefix);
    view.status(`Decrypting ${report.objects.length} objects in this frame…`);
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
    const objects = [...report.objects].sort((a, b) => (a.key < b.key ? -1 : 1));
    const receipts = [report.receipt, ...objects.map((object) => object.receipt)];
    const sections = await Promise.all(objects.map(async (object) => {
      const name = object.key.slice(prefix.length);
      return card(name, await objectView(object, name));
    }));
    root.replaceChildren(
      el("h1", {}, `Report ${prefix}`),
      el("p", { className: "muted" }, "Decrypted in a frame on the customer's gatekeeper: the vendor's page never sees this data."),
      ...sections,
      card("Attach a file", el("p", { className: "muted" }, "The file is encrypted in this frame before it is uploaded."),
        uploadForm(view, reload)),
      card("Access receipts", receiptsTable(receipts, prefix)),
    );
    view.status("");
  };
  await reload();
}
