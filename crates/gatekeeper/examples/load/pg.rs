//! A PostgreSQL server of the harness's own: `initdb` into a temporary folder, the postmaster
//! started as this process's child on a free loopback port (its Unix socket in that folder, SCRAM
//! password authentication, default durability settings), and for the crash test a SIGKILL of
//! the postmaster followed by a start again, which recovers from the write-ahead log as after a
//! crash.
//!
//! The postmaster is a direct child (not daemonized by `pg_ctl`) so that this process reaps it at
//! once when it is killed: an orphan would linger as a zombie until the machine's init reaps it,
//! and its pid in `postmaster.pid` would keep the next start from taking the data folder.
//! PostgreSQL refuses to run as root, so as root its programs run as the `postgres` OS user
//! (created if missing) through `setpriv`. The server is stopped (immediate shutdown) and its
//! folder removed when dropped. The password is only in the URL file the caller names by reference.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::procs::{free_port, random_hex, write_secret, Guard};
use crate::{Context as _, Fallible};

/// A running (or killed, to be started again) PostgreSQL server.
pub(crate) struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres_user: bool,
    port: u16,
    postmaster: Mutex<Guard>,
    /// A file holding `postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres`.
    pub(crate) url_file: PathBuf,
}

impl Postgres {
    /// Initialises a cluster and starts it; the URL goes to `secrets/postgres.url`.
    pub(crate) async fn start(secrets: &Path) -> Fallible<Postgres> {
        let bin = binaries().context(
            "PostgreSQL server binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: \
             run scripts/setup.sh",
        )?;
        let as_postgres_user = is_root();
        let dir = tempfile::Builder::new().prefix("s3gk-load-pg-").tempdir().context("PostgreSQL folder")?;
        let password = random_hex(16);
        let pwfile = dir.path().join("pwfile");
        write_secret(&pwfile, &password)?;
        if as_postgres_user {
            ensure_postgres_user()?;
            run(Command::new("chown").args(["-R", "postgres:"]).arg(dir.path()), "chown the PostgreSQL folder")?;
        }
        let port = free_port()?;
        let url_file = secrets.join("postgres.url");
        let postmaster = Mutex::new(Guard(None));
        let server = Postgres { bin, as_postgres_user, port, postmaster, url_file, dir };
        let mut initdb = server.command("initdb");
        initdb.arg("-D").arg(server.data()).args([
            "-U",
            "postgres",
            "-A",
            "scram-sha-256",
            "--no-sync",
            "--no-instructions",
        ]);
        run(initdb.arg(format!("--pwfile={}", pwfile.display())), "initdb")?;
        std::fs::remove_file(&pwfile).context("remove the password file")?;
        write_secret(&server.url_file, &format!("postgres://postgres:{password}@127.0.0.1:{port}/postgres"))?;
        server.start_again().await?;
        Ok(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("setpriv");
            c.args(["--reuid", "postgres", "--regid", "postgres", "--init-groups", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn postmaster(&self) -> std::sync::MutexGuard<'_, Guard> {
        self.postmaster.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// SIGKILLs the postmaster and reaps it (its backends notice and exit; nothing shuts down
    /// cleanly).
    pub(crate) fn kill_postmaster(&self) {
        self.postmaster().kill();
    }

    /// Starts the postmaster and waits until it accepts connections; after
    /// [`Self::kill_postmaster`] it runs crash recovery first. Retries while the killed server's
    /// backends are still exiting (they hold its shared memory).
    pub(crate) async fn start_again(&self) -> Fallible<Duration> {
        let started = Instant::now();
        let log = self.dir.path().join("server.log");
        loop {
            let stderr = std::fs::OpenOptions::new().create(true).append(true).open(&log).context("server log")?;
            let mut postgres = self.command("postgres");
            postgres.arg("-D").arg(self.data()).args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-p",
                &self.port.to_string(),
            ]);
            let child = postgres.arg("-k").arg(self.dir.path()).stdout(Stdio::null()).stderr(stderr).spawn();
            *self.postmaster() = Guard(Some(child.context("start postgres")?));
            loop {
                let ready = Command::new(self.bin.join("pg_isready"))
                    .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                    .status()
                    .is_ok_and(|s| s.success());
                if ready {
                    return Ok(started.elapsed());
                }
                let exited = self.postmaster().0.as_mut().is_none_or(|c| c.try_wait().ok().flatten().is_some());
                if exited {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(5).collect();
                return Err(format!("postgres did not start within 60 s: {}", tail.join(" | ")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Immediate shutdown: the postmaster stops its backends, then exits.
        let mut postmaster = self.postmaster();
        if let Some(pid) = postmaster.pid() {
            let _ = Command::new("kill").args(["-QUIT", &pid.to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && postmaster.0.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None))) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        postmaster.kill();
    }
}

/// The folder holding `initdb`, `postgres` and `pg_isready`: on PATH, else Debian's newest
/// versioned folder.
fn binaries() -> Option<PathBuf> {
    let has_all = |dir: &Path| ["initdb", "postgres", "pg_isready"].iter().all(|p| dir.join(p).is_file());
    if let Some(dir) = std::env::var_os("PATH").iter().flat_map(std::env::split_paths).find(|d| has_all(d)) {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| has_all(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn ensure_postgres_user() -> Fallible<()> {
    if Command::new("id").arg("postgres").output().is_ok_and(|o| o.status.success()) {
        return Ok(());
    }
    run(Command::new("useradd").args(["--system", "--user-group", "postgres"]), "useradd postgres")
}

/// Runs `command`; its output only in the error (server commands print no secret).
fn run(command: &mut Command, what: &str) -> Fallible<()> {
    let out = command.output().context(what)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}
