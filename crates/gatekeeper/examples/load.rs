//! Load and resilience harness for the gatekeeper run as a separate process: the real `gatekeeper`
//! binary (`serve` with a configuration file) next to the `s3-local` S3 server and, for the
//! PostgreSQL store, a PostgreSQL server of its own. Run by `scripts/crash-test.sh` and
//! `scripts/soak.sh`, which build the binaries and pass their paths.
//!
//! ```text
//! load crash --gatekeeper BIN --s3-local BIN --geo-db FILE [--sqlite-rounds 20] [--postgres-rounds 20]
//! load soak  --gatekeeper BIN --s3-local BIN --geo-db FILE --duration SECS [--rate 500 --rate 2000]
//! ```
//!
//! `crash` puts the gatekeeper under concurrent authorize load and SIGKILLs it at random moments
//! (with the PostgreSQL store, sometimes the database's postmaster too), restarts it, and checks
//! after every restart that `gatekeeper audit verify` passes, that every grant a client received
//! is in the log as granted (seq, request bytes, signatures), that no seq was given twice, and that
//! nonces granted before the kill are refused after it, each refusal audited. `soak` sends an
//! open-loop mix of grants, denials and malformed input at a constant rate and reports errors,
//! latency from each request's intended send time, the gatekeeper's RSS and `audit verify`.
//!
//! Requests are built and grants checked with the client core (`s3_gatekeeper_client::handshake`),
//! as every client does. Secrets (the generated keys, S3 and database passwords) live in files of
//! mode 0600 in the harness's work folder; nothing here prints one, nor a presigned URL.

#[path = "load/check.rs"]
mod check;
#[path = "load/client.rs"]
mod client;
#[path = "load/crash.rs"]
mod crash;
#[path = "load/mix.rs"]
mod mix;
#[path = "load/pg.rs"]
mod pg;
#[path = "load/procs.rs"]
mod procs;
#[path = "load/soak.rs"]
mod soak;
#[path = "load/traffic.rs"]
mod traffic;

use std::fmt::Display;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A harness failure, as text for the terminal (never holding a secret).
type Fallible<T> = Result<T, String>;

/// Adds what was being done to an error.
trait Context<T> {
    /// The value, or an error message starting with `what`.
    fn context(self, what: &str) -> Fallible<T>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn context(self, what: &str) -> Fallible<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: &str) -> Fallible<T> {
        self.ok_or_else(|| what.to_owned())
    }
}

#[derive(Parser)]
#[command(name = "load", about = "Crash-consistency and soak harness for the gatekeeper process")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The programs under test.
#[derive(clap::Args, Clone)]
struct Programs {
    /// The `gatekeeper` binary.
    #[arg(long)]
    gatekeeper: PathBuf,
    /// The `s3-local` binary.
    #[arg(long)]
    s3_local: PathBuf,
    /// The country database (`[geo] database`).
    #[arg(long)]
    geo_db: PathBuf,
    /// Keep the work folder (configurations, logs, databases, receipts) after a successful run.
    #[arg(long)]
    keep: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Kill the gatekeeper under load, restart it, and check the audit log after every restart.
    Crash {
        #[command(flatten)]
        programs: Programs,
        /// Rounds with the SQLite store.
        #[arg(long, default_value_t = 20)]
        sqlite_rounds: u32,
        /// Rounds with the PostgreSQL store.
        #[arg(long, default_value_t = 20)]
        postgres_rounds: u32,
        /// Requests in flight during a round.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// Open-loop load at constant rates, one after the other, each against a fresh gatekeeper.
    Soak {
        #[command(flatten)]
        programs: Programs,
        /// Seconds at each rate.
        #[arg(long)]
        duration: u64,
        /// Requests per second (repeatable); default 500 then 2000.
        #[arg(long = "rate")]
        rates: Vec<u32>,
        /// Fail when the RSS drifts by 10% or more between the end of the warm-up and the end.
        #[arg(long)]
        fail_on_drift: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("load: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async {
        // On SIGINT or SIGTERM the run is dropped, so every child process is stopped by its guard.
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
        tokio::select! {
            outcome = run(cli) => outcome,
            _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
            _ = terminate.recv() => Err("terminated".to_owned()),
        }
    });
    // Children are stopped by their guards' Drop; give the runtime's tasks no chance to linger.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("load: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Fallible<()> {
    match cli.command {
        Command::Crash { programs, sqlite_rounds, postgres_rounds, concurrency } => {
            crash::run(&programs, crash::Plan { sqlite_rounds, postgres_rounds, concurrency }).await
        }
        Command::Soak { programs, duration, rates, fail_on_drift } => {
            let rates = if rates.is_empty() { vec![500, 2000] } else { rates };
            soak::run(&programs, soak::Plan { duration_secs: duration, rates, fail_on_drift }).await
        }
    }
}

/// Runs `body` in a new work folder named `prefix…` under the system's temporary folder: removed
/// after success (unless `--keep`), kept with its path printed after a failure.
async fn in_work_folder<F, Fut>(prefix: &str, keep: bool, body: F) -> Fallible<()>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = Fallible<()>>,
{
    let work = tempfile::Builder::new().prefix(prefix).tempdir().context("work folder")?.keep();
    let outcome = body(work.clone()).await;
    if outcome.is_ok() && !keep {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        println!("work folder kept: {}", work.display());
    }
    outcome
}
