//! `s3-local`: run the in-process S3-compatible test server by hand.
//!
//! ```text
//! S3_LOCAL_ACCESS_KEY=... S3_LOCAL_SECRET_KEY=... \
//!   s3-local --root DIR [--bind 127.0.0.1:9000] [--region us-east-1] [--bucket NAME]... [--cors-origin ORIGIN]...
//! ```
//!
//! Credentials come from the environment, never from the command line (where `ps` would show them).
//! It must never print the secret key, and it listens on loopback unless told otherwise.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use s3gk_s3_local::{LocalS3, LocalS3Config};

/// An S3-compatible server that checks SigV4, for tests and demos (never expose it). The
/// credentials come from S3_LOCAL_ACCESS_KEY and S3_LOCAL_SECRET_KEY.
#[derive(Debug, Parser)]
#[command(name = "s3-local", version)]
struct Args {
    /// The directory holding the buckets (created if missing).
    #[arg(long)]
    root: PathBuf,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:9000")]
    bind: SocketAddr,
    /// The region clients must sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// A bucket to create at start (repeatable).
    #[arg(long = "bucket")]
    buckets: Vec<String>,
    /// An origin a browser may fetch and upload from, compared exactly (repeatable).
    #[arg(long = "cors-origin")]
    cors_origins: Vec<String>,
}

/// A credential from the environment (never the command line, which `ps` shows).
fn credential(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("s3-local: {name} must be set (see --help)"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let (access_key, secret_key) = match (credential("S3_LOCAL_ACCESS_KEY"), credential("S3_LOCAL_SECRET_KEY")) {
        (Ok(access), Ok(secret)) => (access, secret),
        (Err(message), _) | (_, Err(message)) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let config = LocalS3Config {
        root: args.root,
        bind: args.bind,
        access_key,
        secret_key,
        region: args.region,
        cors_origins: args.cors_origins,
        buckets: args.buckets,
    };
    let buckets = config.buckets.join(", ");
    let server = match LocalS3::start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("s3-local: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("s3-local: serving {} (path-style; region {}; buckets: {buckets})", server.endpoint(), server.region());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("s3-local: cannot wait for Ctrl-C: {e}");
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}
