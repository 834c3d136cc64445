//! The `gatekeeper` command: serve, check-config, keygen, and the audit tools.
//!
//! Exit codes: 0 success; 1 a check failed (bad config, tampered audit log); 2 usage or I/O error.
//! Nothing printed here contains a secret except `keygen`'s output, which is the point of it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use s3gk_gatekeeper::audit::{self, Decision, SearchQuery};
use s3gk_gatekeeper::config::Settings;
use s3gk_gatekeeper::{http, keygen, service};
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
        command: AuditCommand,
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
        /// The audit database.
        #[arg(long)]
        db: PathBuf,
        /// The gatekeeper's public key (hex or base64) that signs checkpoints.
        #[arg(long)]
        public_key: String,
    },
    /// Export matching entries as JSON lines (same filters as search, no limit).
    Export {
        #[command(flatten)]
        filter: Filter,
    },
}

#[derive(clap::Args)]
struct Filter {
    /// The audit database.
    #[arg(long)]
    db: PathBuf,
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
            Ok(_) => {
                println!("{}: ok", config.display());
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
        Command::Audit { command } => run_audit(command),
    }
}

fn run_audit(command: AuditCommand) -> Result<ExitCode, String> {
    let stdout = std::io::stdout();
    match command {
        AuditCommand::Search { filter } => {
            let query = filter.query(filter.limit)?;
            audit::export_jsonl(&filter.db, &query, &mut stdout.lock()).map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export { filter } => {
            let query = filter.query(usize::MAX)?;
            let n = audit::export_jsonl(&filter.db, &query, &mut stdout.lock()).map_err(|e| e.to_string())?;
            eprintln!("exported {n} entries");
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { db, public_key } => {
            let key = keygen::parse_public_key(&public_key).map_err(|e| format!("--public-key: {e}"))?;
            match audit::verify(&db, &key) {
                Ok(report) => {
                    println!("ok: {report}");
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

async fn serve(settings: Settings) -> Result<(), String> {
    let gk = service::start(settings).map_err(|e| e.to_string())?;
    #[cfg(feature = "lambda")]
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return s3gk_gatekeeper::lambda::run(gk).await.map_err(|e| e.to_string());
    }
    let addr = gk.settings.listen;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("bind {addr}: {e}"))?;
    tracing::info!(%addr, gatekeeper_id = %gk.settings.gatekeeper_id, "listening");
    let max_header = gk.settings.limits.max_header_bytes;
    http::serve(listener, http::app(gk.clone()), max_header, shutdown_signal()).await.map_err(|e| e.to_string())?;
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
