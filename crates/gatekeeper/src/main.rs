//! The `gatekeeper` command: serve, check-config, keygen, and the audit tools.
//!
//! Exit codes: 0 success; 1 a check failed (bad config, tampered audit log); 2 usage or I/O error.
//! Nothing printed here contains a secret except `keygen`'s output, which is the point of it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use s3gk_gatekeeper::audit::{self, AuditSettings, Decision, PostgresSettings, PostgresTls, SearchQuery};
use s3gk_gatekeeper::config::Settings;
use s3gk_gatekeeper::{http, keygen, secret, service};
use s3gk_protocol::KeyId;

#[derive(Parser)]
#[command(name = "gatekeeper", version, about = "s3-gatekeeper: dual-signed, audited access to a customer's S3 bucket")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (or, built with `--features lambda` and run on Lambda, the Lambda runtime).
    Serve {
        /// The TOML configuration file.
        #[arg(long, env = "GK_CONFIG")]
        config: PathBuf,
    },
    /// Check a configuration file and list every problem with its field.
    CheckConfig {
        /// The TOML configuration file.
        #[arg(long, env = "GK_CONFIG")]
        config: PathBuf,
    },
    /// Generate a key: an Ed25519 signing key (gatekeeper or vendor) or a master data key.
    Keygen {
        /// Which kind of key.
        kind: KeygenKind,
        /// The id the key will be configured under.
        #[arg(long, default_value = "key-1")]
        id: String,
    },
    /// Search, verify or export the audit log.
    Audit {
        #[command(subcommand)]
        command: Box<AuditCommand>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KeygenKind {
    /// An Ed25519 signing key (for the gatekeeper or a vendor co-signer).
    Signing,
    /// A 32-byte master data key.
    Master,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Print matching entries as JSON lines.
    Search {
        #[command(flatten)]
        filter: Filter,
    },
    /// Check the hash chain and checkpoint signatures; names the first bad entry.
    Verify {
        #[command(flatten)]
        source: Source,
        /// The gatekeeper's public key (hex or base64) that signs checkpoints. Repeat it for a log
        /// that spans a key rotation: each checkpoint must verify under one of them.
        #[arg(long, required = true)]
        public_key: Vec<String>,
        /// Receipts kept by clients or the vendor (JSON Lines, each line a grant answer's
        /// `receipt`): each must verify under the public keys and find its entry in the log,
        /// unchanged. Detects a tail cut or rewritten after the last checkpoint.
        #[arg(long)]
        receipts: Option<PathBuf>,
    },
    /// Export matching entries as JSON lines (same filters as search, no limit).
    Export {
        #[command(flatten)]
        filter: Filter,
    },
}

/// Which audit log: a SQLite file, or a PostgreSQL store.
#[derive(clap::Args)]
struct Source {
    /// The SQLite audit database.
    #[arg(long, required_unless_present = "postgres", conflicts_with = "postgres")]
    db: Option<PathBuf>,
    /// The PostgreSQL audit store: a reference to its connection URL, env:NAME or file:/path.
    #[arg(long)]
    postgres: Option<String>,
    /// TLS to PostgreSQL: require, or disable (loopback hosts and Unix sockets only).
    #[arg(long, value_enum, default_value_t = TlsArg::Require)]
    postgres_tls: TlsArg,
    /// Extra trusted root certificates for PostgreSQL's TLS (PEM).
    #[arg(long)]
    postgres_ca_file: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum TlsArg {
    /// TLS with certificate and name checks.
    Require,
    /// No TLS (loopback only).
    Disable,
}

impl Source {
    /// The audit log these options name.
    fn settings(&self) -> Result<AuditSettings, String> {
        let Some(reference) = &self.postgres else {
            return self.db.clone().map(AuditSettings::new).ok_or_else(|| "--db or --postgres is required".to_owned());
        };
        let url =
            secret::resolve(reference, &|name| std::env::var(name).ok()).map_err(|e| format!("--postgres: {e}"))?;
        let tls = match self.postgres_tls {
            TlsArg::Require => PostgresTls::Require,
            TlsArg::Disable => PostgresTls::Disable,
        };
        let settings = PostgresSettings { url, tls, ca_file: self.postgres_ca_file.clone() };
        settings.check().map_err(|e| format!("--postgres: {e}"))?;
        Ok(AuditSettings::postgres(settings))
    }
}

#[derive(clap::Args)]
struct Filter {
    #[command(flatten)]
    source: Source,
    /// From this time (Unix milliseconds), inclusive.
    #[arg(long)]
    from_ms: Option<u64>,
    /// Up to this time (Unix milliseconds), inclusive.
    #[arg(long)]
    to_ms: Option<u64>,
    /// Client IP, exactly.
    #[arg(long)]
    ip: Option<String>,
    /// Object keys starting with this.
    #[arg(long)]
    key_prefix: Option<String>,
    /// granted or denied.
    #[arg(long)]
    decision: Option<String>,
    /// get, put or list_prefix.
    #[arg(long)]
    operation: Option<String>,
    /// Free text found in key, user agent, origin, IP, reason, vendor key id or country.
    #[arg(long)]
    text: Option<String>,
    /// Entries after this sequence number.
    #[arg(long)]
    after_seq: Option<u64>,
    /// At most this many entries (search only; 1–1000).
    #[arg(long, default_value_t = 100)]
    limit: usize,
}

impl Filter {
    fn query(&self, limit: usize) -> Result<SearchQuery, String> {
        let decision = match self.decision.as_deref() {
            None => None,
            Some(d) => Some(Decision::from_text(d).ok_or("--decision must be granted or denied")?),
        };
        Ok(SearchQuery {
            from_ms: self.from_ms,
            to_ms: self.to_ms,
            ip: self.ip.clone(),
            key_prefix: self.key_prefix.clone(),
            decision,
            operation: self.operation.clone(),
            text: self.text.clone(),
            after_seq: self.after_seq,
            limit,
        })
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("gatekeeper: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::CheckConfig { config } => Ok(match Settings::load(&config) {
            Ok(settings) => {
                println!("{}: ok", config.display());
                if let Some(viewer) = &settings.viewer {
                    // What the viewer may run, for the customer to compare with a build from source.
                    println!("viewer: pinned files");
                    for (path, integrity) in viewer.pins() {
                        println!("  {integrity}  {path}");
                    }
                }
                ExitCode::SUCCESS
            }
            Err(errors) => {
                eprintln!("{}:\n{errors}", config.display());
                ExitCode::from(1)
            }
        }),
        Command::Serve { config } => {
            let settings = Settings::load(&config).map_err(|e| format!("{}:\n{e}", config.display()))?;
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(serve(settings))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { kind, id } => {
            let id = KeyId::new(&id).map_err(|e| e.to_string())?;
            let kind = match kind {
                KeygenKind::Signing => keygen::KeyKind::Signing,
                KeygenKind::Master => keygen::KeyKind::Master,
            };
            print!("{}", keygen::generate(kind, &id).as_str());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command } => run_audit(*command),
    }
}

fn run_audit(command: AuditCommand) -> Result<ExitCode, String> {
    let stdout = std::io::stdout();
    match command {
        AuditCommand::Search { filter } => {
            let query = filter.query(filter.limit)?;
            export(&filter.source.settings()?, &query, &mut stdout.lock())?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export { filter } => {
            let query = filter.query(usize::MAX)?;
            let n = export(&filter.source.settings()?, &query, &mut stdout.lock())?;
            eprintln!("exported {n} entries");
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { source, public_key, receipts } => {
            let keys = public_key
                .iter()
                .map(|k| keygen::parse_public_key(k).map_err(|e| format!("--public-key {k}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            let held = match receipts {
                Some(path) => read_receipts_file(&path, &keys)?,
                None => Vec::new(),
            };
            let settings = source.settings()?;
            match runtime()?.block_on(audit::verify_with_receipts(&settings, &keys, held)) {
                Ok(report) => {
                    println!("ok: {report}");
                    let now_ms = s3gk_gatekeeper::clock::unix_millis(std::time::SystemTime::now());
                    if let Some(age) = report.checkpoint_age_secs(now_ms) {
                        println!("last checkpoint signed {age} s ago (gatekeeper clock vs this machine's)");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(failure) => {
                    println!("TAMPERED: {failure}");
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

/// Reads and checks a receipts file (at most [`audit::MAX_RECEIPTS_FILE`] bytes).
fn read_receipts_file(
    path: &std::path::Path,
    keys: &[ed25519_dalek::VerifyingKey],
) -> Result<Vec<audit::HeldReceipt>, String> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| format!("--receipts {}: {e}", path.display());
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(audit::MAX_RECEIPTS_FILE.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(cannot)?;
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > audit::MAX_RECEIPTS_FILE {
        return Err(format!("--receipts {}: larger than {} bytes", path.display(), audit::MAX_RECEIPTS_FILE));
    }
    let held = audit::read_receipts(&text, keys).map_err(|e| format!("{}: {e}", e.code()))?;
    eprintln!("{} receipts read; each verifies under the public keys given", held.len());
    Ok(held)
}

/// Writes the entries of the log `settings` name matching `query` as JSON lines; returns how many.
fn export(settings: &AuditSettings, query: &SearchQuery, out: &mut dyn std::io::Write) -> Result<u64, String> {
    runtime()?.block_on(audit::export_jsonl(settings, query, out)).map_err(|e| e.to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())
}

async fn serve(settings: Settings) -> Result<(), String> {
    let gk = service::start(settings).await.map_err(|e| e.to_string())?;
    #[cfg(feature = "lambda")]
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return s3gk_gatekeeper::lambda::run(gk).await.map_err(|e| e.to_string());
    }
    let addr = gk.settings.listen;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("bind {addr}: {e}"))?;
    tracing::info!(%addr, gatekeeper_id = %gk.settings.gatekeeper_id, "listening");
    http::serve_gatekeeper(listener, gk.clone(), shutdown_signal()).await.map_err(|e| e.to_string())?;
    if let Err(e) = gk.audit.checkpoint().await {
        tracing::error!(code = e.code(), "final checkpoint failed");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
