//! The `gatekeeper` command. At this stage it only reports the protocol version it speaks.

fn main() {
    println!("s3-gatekeeper: protocol v{}", s3gk_gatekeeper::PROTOCOL_VERSION);
}
