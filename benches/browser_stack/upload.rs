//! The large upload: a disk-backed `File` of `S3GK_BENCH_UPLOAD_MIB` MiB (default 1024), written
//! to the Origin Private File System first, uploaded with `putObject(key, file)` while the page's
//! JS heap is sampled every 50 ms (`performance.memory`, Chromium). The wasm memory's size after
//! the upload is its peak (it never shrinks). `scripts/bench-browser.sh` samples the browser's
//! processes' resident memory meanwhile. Also the small helpers that unwrap a read's `data`.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::console_log;

use s3_gatekeeper_client::GatekeeperClient;

/// The `data` of a read's `{ data, contentType, receipt }`.
pub(crate) fn data_of(read: &JsValue) -> JsValue {
    js_sys::Reflect::get(read, &"data".into()).expect("a read has data")
}

/// `getObjectStream`'s stream.
pub(crate) async fn stream_of(client: &GatekeeperClient, key: &str) -> web_sys::ReadableStream {
    data_of(&client.get_object_stream(key.to_owned(), JsValue::UNDEFINED).await.expect("stream")).unchecked_into()
}

#[wasm_bindgen(inline_js = r#"
export async function uploadFromDisk(client, key, mib) {
  const root = await navigator.storage.getDirectory();
  const handle = await root.getFileHandle("bench-source.bin", { create: true });
  const writable = await handle.createWritable();
  const piece = new Uint8Array(1 << 20).map((_, i) => i % 251);
  for (let i = 0; i < mib; i++) await writable.write(piece);
  await writable.close();
  const file = await handle.getFile();
  const heap = () => (performance.memory ? performance.memory.usedJSHeapSize : 0);
  const before = heap();
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, heap()); }, 50);
  let progressCalls = 0;
  const start = performance.now();
  try {
    await client.putObject(key, file, { onProgress: () => { progressCalls++; } });
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - start;
  await root.removeEntry("bench-source.bin");
  return { ms, before, peak, progressCalls, bytes: file.size };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = uploadFromDisk)]
    fn upload_from_disk(client: JsValue, key: &str, mib: u32) -> js_sys::Promise;
}

/// Uploads the large file and prints the figures.
pub(crate) async fn large_upload(client: JsValue, key: &str, mib: u32) {
    let result = JsFuture::from(upload_from_disk(client, key, mib)).await.expect("the large upload succeeds");
    let get = |name: &str| js_sys::Reflect::get(&result, &name.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let mb = |b: f64| b / 1_048_576.0;
    let wasm = wasm_bindgen::memory().unchecked_ref::<js_sys::WebAssembly::Memory>().buffer();
    let wasm_bytes = wasm.unchecked_ref::<js_sys::ArrayBuffer>().byte_length() as f64;
    console_log!("{} MiB upload from a disk-backed File (putObject, encrypt + stage + PUT)", mib);
    console_log!(
        "  time                                   {:>9.1} ms  {:>6.0} MB/s",
        get("ms"),
        get("bytes") / get("ms") / 1000.0
    );
    console_log!(
        "  JS heap before / peak during           {:>6.1} MiB / {:.1} MiB",
        mb(get("before")),
        mb(get("peak"))
    );
    console_log!("  wasm memory (peak, never shrinks)      {:>6.1} MiB", mb(wasm_bytes));
    console_log!("  progress callbacks                     {:>6.0}", get("progressCalls"));
}
