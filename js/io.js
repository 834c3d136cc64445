// Upload I/O the WebAssembly module drives (imported by the generated glue as a snippet):
// staging the ciphertext of an upload on disk, and the presigned PUT with upload progress.
//
// A presigned PUT binds the whole length, and browsers cannot stream a request body to S3
// (HTTP/1.1), so the ciphertext is staged first: in the Origin Private File System where the
// browser has it (written through to disk: a 1 GiB upload never sits in memory), else as a Blob
// built from small parts. This file must never see plaintext or key material: only sealed chunks.

const FOLD_PARTS = 64;

/** Where one upload's ciphertext is staged. */
export class Staging {
  static async open() {
    try {
      const root = await globalThis.navigator.storage.getDirectory();
      const name = `s3gk-upload-${crypto.randomUUID()}`;
      const handle = await root.getFileHandle(name, { create: true });
      const writable = await handle.createWritable();
      return new Staging(root, name, handle, writable);
    } catch {
      return new Staging(null, null, null, null);
    }
  }

  constructor(root, name, handle, writable) {
    this.root = root;
    this.name = name;
    this.handle = handle;
    this.writable = writable;
    this.blob = new Blob([]);
    this.parts = [];
  }

  /** "disk" or "memory". */
  get kind() {
    return this.writable ? "disk" : "memory";
  }

  async write(chunk) {
    if (this.writable) {
      await this.writable.write(chunk);
      return;
    }
    this.parts.push(chunk);
    if (this.parts.length >= FOLD_PARTS) this.fold();
  }

  fold() {
    this.blob = new Blob([this.blob, ...this.parts]);
    this.parts = [];
  }

  /** The staged ciphertext, as a Blob (a File on disk). */
  async finish() {
    if (this.writable) {
      await this.writable.close();
      this.writable = null;
      return await this.handle.getFile();
    }
    this.fold();
    return this.blob;
  }

  /** Removes the staged file, if any. */
  async discard() {
    try {
      if (this.writable) await this.writable.abort();
    } catch {}
    try {
      if (this.root) await this.root.removeEntry(this.name);
    } catch {}
    this.blob = new Blob([]);
    this.parts = [];
  }
}

/** True where a request body cannot be streamed and uploads are staged (browsers). */
export function stagesUploads() {
  return typeof globalThis.XMLHttpRequest === "function";
}

/** A presigned PUT of a Blob with XMLHttpRequest (fetch reports no upload progress). Resolves
 *  to the HTTP status; rejects with "network" or "aborted". */
export function putBlob(url, headers, blob, onSent, signal) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [name, value] of headers) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onSent(event.loaded);
    xhr.onload = () => resolve(xhr.status);
    xhr.onerror = () => reject("network");
    xhr.onabort = () => reject("aborted");
    if (signal) {
      if (signal.aborted) return reject("aborted");
      signal.addEventListener("abort", () => xhr.abort(), { once: true });
    }
    xhr.send(blob);
  });
}
