//! `s3-local`: run the in-process S3-compatible test server by hand.
//!
//! ```text
//! S3_LOCAL_ACCESS_KEY=... S3_LOCAL_SECRET_KEY=... \
//!   s3-local --root DIR [--bind 127.0.0.1:9000] [--region us-east-1] [--bucket NAME]... [--cors-origin ORIGIN]...
//! ```
//!
//! Credentials come from the environment, never from the command line (where `ps` would show them).
//! It must never print the secret key, and it listens on loopback unless told otherwise.

use std::process::ExitCode;

use s3gk_s3_local::{LocalS3, LocalS3Config};

const USAGE: &str = "usage: S3_LOCAL_ACCESS_KEY=.. S3_LOCAL_SECRET_KEY=.. s3-local --root DIR \
[--bind 127.0.0.1:9000] [--region us-east-1] [--bucket NAME]... [--cors-origin ORIGIN]...";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<LocalS3Config, String> {
    let mut config = LocalS3Config::loopback("");
    config.bind = ([127, 0, 0, 1], 9000).into();
    let mut root = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--root" => root = Some(value()?),
            "--bind" => config.bind = value()?.parse().map_err(|e| format!("--bind: {e}"))?,
            "--region" => config.region = value()?,
            "--bucket" => config.buckets.push(value()?),
            "--cors-origin" => config.cors_origins.push(value()?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    config.root = root.ok_or_else(|| format!("--root is required\n{USAGE}"))?.into();
    let env = |name: &str| std::env::var(name).map_err(|_| format!("{name} must be set\n{USAGE}"));
    config.access_key = env("S3_LOCAL_ACCESS_KEY")?;
    config.secret_key = env("S3_LOCAL_SECRET_KEY")?;
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
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
