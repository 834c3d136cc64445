//! Helpers for the browser tests: the dev stack's coordinates, the demo login, clients, and
//! reading the `code` of a rejected promise.

use js_sys::{Object, Reflect};
use s3_gatekeeper_client::GatekeeperClient;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit};

/// The dev stack's `--json` line, passed at compile time by `scripts/browser-tests.sh`.
pub(crate) fn stack() -> Value {
    let Some(line) = option_env!("S3GK_DEVSTACK_JSON") else {
        panic!("S3GK_DEVSTACK_JSON is not set: run scripts/browser-tests.sh, which starts the dev stack");
    };
    serde_json::from_str(line).expect("S3GK_DEVSTACK_JSON is the dev stack's JSON line")
}

/// A field of the stack's JSON line.
pub(crate) fn field(stack: &Value, name: &str) -> String {
    stack[name].as_str().unwrap_or_else(|| panic!("the stack line has no {name}")).to_owned()
}

/// The JS config object of a client for `stack`, pinning `public_key`.
pub(crate) fn config(stack: &Value, public_key: &str) -> JsValue {
    let config = Object::new();
    let set = |k: &str, v: &str| Reflect::set(&config, &k.into(), &v.into()).expect("plain object");
    set("gatekeeperUrl", &field(stack, "gatekeeper"));
    set("gatekeeperId", &field(stack, "gatekeeper_id"));
    set("gatekeeperPublicKey", public_key);
    set("gatekeeperKeyId", &field(stack, "gatekeeper_key_id"));
    set("cosignUrl", &format!("{}/api/cosign", field(stack, "vendor")));
    set("credentials", "include");
    config.into()
}

/// A client for the stack, pinning its real gatekeeper key.
pub(crate) fn client(stack: &Value) -> GatekeeperClient {
    GatekeeperClient::new(config(stack, &field(stack, "gatekeeper_public_key"))).expect("valid config")
}

/// Logs in to the demo vendor as `user` (the session cookie then rides on `credentials: include`).
pub(crate) async fn login(stack: &Value, user: &str) {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(RequestCredentials::Include);
    let headers = web_sys::Headers::new().expect("headers");
    headers.append("content-type", "application/json").expect("header");
    init.set_headers(&headers);
    let body = format!(r#"{{"username":"{user}","password":"{user}-demo"}}"#);
    init.set_body(&JsValue::from_str(&body));
    let url = format!("{}/api/login", field(stack, "vendor"));
    let request = web_sys::Request::new_with_str_and_init(&url, &init).expect("request");
    let window = web_sys::window().expect("a window");
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_request(&request)).await.expect("login reachable").unchecked_into();
    assert_eq!(response.status(), 200, "demo login as {user}");
}

/// The `code` of a rejected promise's error, checking it is a `GatekeeperError`.
pub(crate) fn code(error: JsValue) -> String {
    let error: js_sys::Error = error.dyn_into().expect("every failure is an Error");
    assert_eq!(String::from(error.name()), "GatekeeperError");
    let code = Reflect::get(&error, &"code".into()).expect("code property");
    code.as_string().expect("code is a string")
}

/// The message of a rejected promise's error.
pub(crate) fn message(error: &JsValue) -> String {
    error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default()
}

/// A unique suffix, so reruns against a persistent stack never collide (objects are never
/// overwritten).
pub(crate) fn unique() -> String {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).expect("randomness");
    hex::encode(bytes)
}
