// The receipts file the report page exports (JSON Lines): each receipt the page verified, exactly
// as the gatekeeper signed it (`receipt.signed`: the `receipt` of a grant from POST /v1/authorize,
// with `bytes`, `signature`, `key_id` and `sequence`), once each, in audit order. The customer, or
// anyone holding the gatekeeper's public key, checks such a file against the audit log with
// `gatekeeper audit verify --receipts FILE`. The objects of a prefix read have no receipt of their
// own (the prefix's covers them), so they add nothing. Receipts are no secret, but this module must
// never send them anywhere: they leave the page only by the user's own download.

export class ReceiptsFile {
  #signed = new Map();
  #url = null;

  // Keeps the signed form of each receipt that has one (de-duplicated by key id and sequence).
  keep(...receipts) {
    for (const receipt of receipts) {
      const signed = receipt && receipt.signed;
      if (signed) this.#signed.set(`${signed.key_id} ${signed.sequence}`, signed);
    }
  }

  // Forgets every receipt (at sign-out) and the last download's URL.
  clear() {
    this.#signed.clear();
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = null;
  }

  get size() { return this.#signed.size; }

  // The file's lines, lowest sequence first, each ending with a newline.
  lines() {
    return [...this.#signed.values()].sort((a, b) => a.sequence - b.sequence)
      .map(({ bytes, signature, key_id: keyId, sequence }) => `${JSON.stringify({ bytes, signature, key_id: keyId, sequence })}\n`);
  }

  // Downloads the file as `name` from a blob: URL, which stays valid until the next download or
  // clear() (so the download never races its revocation). Returns how many receipts it holds.
  download(name = "receipts.jsonl") {
    const lines = this.lines();
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = URL.createObjectURL(new Blob(lines, { type: "application/jsonl" }));
    const link = document.createElement("a");
    link.href = this.#url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    return lines.length;
  }
}
