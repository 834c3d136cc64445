//! `devstack`: S3, the gatekeeper, the demo vendor and the report page in one process on loopback.
//!
//! ```text
//! devstack [--data .devstack] [--port-base 8080] [--www www] [--pkg pkg] [--seed] [--deny-local]
//!          [--cors-origin http://127.0.0.1:8123]... [--renderer NAME=FILE]... [--geo-db FILE] [--json]
//! ```
//!
//! With `--json`, stdout carries exactly one line of JSON (the [`StackInfo`]) once everything is
//! up, and the text for people goes to stderr. Exit codes: 0 after Ctrl-C or SIGTERM, 1 if the
//! stack could not start. It must never print a key, the admin token or a session id: only the
//! public demo logins.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use s3gk_devstack::{DevStack, DevStackConfig, StackInfo};

#[derive(Parser)]
#[command(
    name = "devstack",
    version,
    about = "s3-gatekeeper dev stack: S3, gatekeeper, demo vendor and page on loopback"
)]
struct Cli {
    /// Folder for S3 objects, the audit log and the generated keys (kept across restarts).
    #[arg(long, default_value = ".devstack")]
    data: PathBuf,
    /// Vendor and page on this port, gatekeeper on the next, S3 on the one after; 0: free ports.
    #[arg(long, default_value_t = 8080)]
    port_base: u16,
    /// The report page's folder, served at /.
    #[arg(long)]
    www: Option<PathBuf>,
    /// The built npm package's folder, served at /pkg/.
    #[arg(long)]
    pkg: Option<PathBuf>,
    /// Upload the sample tickets that are not there yet (through the real put flow).
    #[arg(long)]
    seed: bool,
    /// Make the gatekeeper deny loopback clients (127.0.0.0/8, ::1), to show a denial.
    #[arg(long)]
    deny_local: bool,
    /// Another browser origin allowed to call the vendor (with credentials), the gatekeeper and
    /// S3, exactly as the browser sends it, e.g. http://127.0.0.1:8123. Repeatable.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// A vendor renderer for the isolated viewer: served by the vendor at /renderers/NAME.js and
    /// pinned by the gatekeeper at the file's digest at start. Needs --pkg. Repeatable.
    #[arg(long = "renderer", value_name = "NAME=FILE", value_parser = renderer)]
    renderers: Vec<(String, PathBuf)>,
    /// The country database (default: $S3GK_GEO_DB, else the checkout's node_modules copy).
    #[arg(long)]
    geo_db: Option<PathBuf>,
    /// Print one line of JSON with the URLs and public keys to stdout when ready.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("devstack: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let config = DevStackConfig {
        data_dir: cli.data,
        port_base: cli.port_base,
        extra_origins: cli.cors_origins,
        www: cli.www,
        pkg: cli.pkg,
        deny_local: cli.deny_local,
        seed: cli.seed,
        geo_database: cli.geo_db,
        renderers: cli.renderers,
    };
    let stack = match DevStack::start(config).await {
        Ok(stack) => stack,
        Err(e) => {
            eprintln!("devstack: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = describe(&stack);
    if cli.json {
        eprint!("{text}");
        match serde_json::to_string(stack.info()) {
            Ok(line) => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
            Err(e) => eprintln!("devstack: cannot print the JSON line: {e}"),
        }
    } else {
        print!("{text}");
        let _ = std::io::stdout().flush();
    }
    shutdown_signal().await;
    eprintln!("devstack: shutting down");
    stack.shutdown().await;
    ExitCode::SUCCESS
}

/// `NAME=FILE`.
fn renderer(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, file)) if !name.is_empty() && !file.is_empty() => Ok((name.to_owned(), PathBuf::from(file))),
        _ => Err("expected NAME=FILE".to_owned()),
    }
}

/// The start-up text for people.
fn describe(stack: &DevStack) -> String {
    let info: &StackInfo = stack.info();
    let mut s = format!("s3-gatekeeper dev stack (data in {})\n", info.data_dir);
    s.push_str(&format!("  page        {}\n", info.page));
    s.push_str(&format!("  vendor API  {}/api/ (login, cosign, session, audit, config)\n", info.vendor));
    s.push_str(&format!(
        "  gatekeeper  {}  id {}, key {} = {}\n",
        info.gatekeeper, info.gatekeeper_id, info.gatekeeper_key_id, info.gatekeeper_public_key
    ));
    s.push_str(&format!("  S3          {}  bucket {}\n", info.s3, info.bucket));
    if let Some(viewer) = &info.viewer {
        s.push_str(&format!("  viewer      {viewer}  (isolated mode: the customer's frame)\n"));
    }
    let acl = if info.deny_local {
        "loopback clients are DENIED (--deny-local)"
    } else {
        "loopback clients count as US: allowed"
    };
    s.push_str(&format!("  ACL         {acl}\n"));
    s.push_str("demo logins (public demo values):\n");
    for u in &info.users {
        s.push_str(&format!("  {:<6} / {:<11} may read and write {}\n", u.username, u.password, u.prefixes.join(", ")));
    }
    if let Some(report) = stack.seeded() {
        s.push_str(&format!("seeded: {} uploaded, {} already there\n", report.uploaded.len(), report.skipped.len()));
    }
    s.push_str("Ctrl-C to stop.\n");
    s
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
