//! Writers never read (`docs/protocol.md` 7.1): a put grant releases only the write key of a salt
//! the gatekeeper drew, so a customer whose reads are stricter than its writes leaks nothing
//! through writes. Reproduces the finding with real ACLs, a real S3 and real objects.
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::*;
use s3gk_protocol::object::{self, ObjectHeader, ObjectKeyMaterial, SealFramer, HEADER_FIXED_LEN};
use s3gk_protocol::Operation;

/// Reads only from 127.0.0.3 (the office); writes from anywhere (field technicians).
const READS_FROM_THE_OFFICE: &str = r#"
[acl.get]
allow_cidrs = ["127.0.0.3/32"]
[acl.list_prefix]
allow_cidrs = ["127.0.0.3/32"]
"#;

#[tokio::test]
async fn a_put_grant_opens_no_object_stored_earlier() {
    let stack = Stack::start(Options { acl: READS_FROM_THE_OFFICE.into(), ..Options::default() }).await;
    let office = stack.client(Some("127.0.0.3".parse().unwrap()));
    let field = stack.client(Some("127.0.0.2".parse().unwrap()));
    let key = "tickets/31/patient-notes.txt";
    let secret = b"stored earlier: readable from the office only".repeat(40);
    let stored = put_encrypted(&office, key, &secret).await;

    // From the field, a read is refused by the ACL...
    let (status, answer) = field.authorize(&field.request(Operation::Get, key)).await;
    assert_eq!((status, code(&answer)), (403, "acl_denied_ip"), "{answer}");
    // ...and a put of the same key is granted.
    let put = Operation::Put { content_length: 100, sha256: None, content_type: None };
    let (status, grant) = field.authorize(&field.request(put, key)).await;
    assert_eq!(status, 200, "{grant}");
    let object = &grant["objects"][0];
    assert!(object.get("key_material").is_none(), "a put releases no per-object key: {object}");
    let released = write_key(object);

    // Whatever the put released opens nothing stored: not as K_obj...
    let as_object_key = ObjectKeyMaterial::from_bytes(released.master_key_id().clone(), *released.as_bytes());
    assert_eq!(object::decrypt(&[as_object_key], &stored), Err(s3gk_protocol::ObjectError::Decryption));
    // ...nor as the write key of the stored object's own salt (the commitment differs).
    let header_len = HEADER_FIXED_LEN + usize::from(stored[9]);
    let header = ObjectHeader::decode(&stored[..header_len]).unwrap();
    assert_ne!(header.salt(), released.salt(), "every put gets a salt of its own");
    let as_stored_salt = s3gk_protocol::object::WriteKey::from_bytes(
        released.master_key_id().clone(),
        *header.salt(),
        *released.as_bytes(),
    );
    let forged = SealFramer::new(as_stored_salt, header.chunk_size()).unwrap();
    assert_ne!(forged.header_bytes(), &stored[..header_len]);

    // The office still reads the stored object with the per-object key a read releases.
    let (status, grant) = office.authorize(&office.request(Operation::Get, key)).await;
    assert_eq!(status, 200, "{grant}");
    let keys = key_material(&grant["objects"][0]);
    assert_eq!(object::decrypt(&keys, &stored).unwrap(), secret);
    stack.stop().await;
}

#[tokio::test]
async fn what_a_put_writes_is_read_with_the_object_key_and_salts_never_repeat() {
    let stack = Stack::start(Options::default()).await;
    let client = stack.client(None);
    let mut salts = std::collections::HashSet::new();
    for i in 0..5 {
        let key = format!("tickets/32/upload-{i}.bin");
        let plain = format!("upload {i}").repeat(100).into_bytes();
        let stored = put_encrypted(&client, &key, &plain).await;
        let header = ObjectHeader::decode(&stored[..HEADER_FIXED_LEN + usize::from(stored[9])]).unwrap();
        assert!(salts.insert(*header.salt()), "a salt came back twice");
        let (status, grant) = client.authorize(&client.request(Operation::Get, &key)).await;
        assert_eq!(status, 200, "{grant}");
        assert_eq!(object::decrypt(&key_material(&grant["objects"][0]), &stored).unwrap(), plain);
    }
    stack.stop().await;
}
