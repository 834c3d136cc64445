//! The processes the harness runs: `gatekeeper keygen` for fresh keys, `s3-local`, `gatekeeper
//! serve` with a configuration file written here, and `gatekeeper audit verify|export`.
//!
//! Every secret (signing seed, master key, S3 secret, database URL) goes to a file of mode 0600
//! that the configuration names by a `file:` reference, as a deployment would; it is never put on
//! a command line, in the configuration text or in the output. Each child process is killed when
//! its guard is dropped, so a failing run leaves nothing behind.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore as _};

use crate::{Context as _, Fallible, Programs};

/// The gatekeeper's id: the audience of every request.
pub(crate) const GATEKEEPER_ID: &str = "load-gk";
/// The id of the gatekeeper's receipt key.
pub(crate) const GATEKEEPER_KEY_ID: &str = "gk-load-1";
/// The vendor key's id.
pub(crate) const VENDOR_KEY_ID: &str = "vendor-load-1";
/// The master data key's id (it encrypts uploads).
pub(crate) const MASTER_KEY_ID: &str = "mk-load-1";
/// The bucket.
const BUCKET: &str = "reports";

/// Writes `text` to a new file readable by its owner only.
pub(crate) fn write_secret(path: &Path, text: &str) -> Fallible<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).context("secret file")?;
    file.write_all(text.as_bytes()).context("secret file")
}

/// Random lowercase hex of `bytes` bytes.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A loopback port free right now.
pub(crate) fn free_port() -> Fallible<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind a free port")?;
    Ok(listener.local_addr().context("local address")?.port())
}

/// The keys of one run, made by `gatekeeper keygen`: the gatekeeper's signing key and a master key
/// (their secret halves only in files), and the vendor's co-signing key (held here: this program
/// plays the vendor's co-signer).
pub(crate) struct Keys {
    /// The gatekeeper's public key, hex: `audit verify --public-key`, and the client's pin.
    pub(crate) gatekeeper_public: String,
    /// The vendor's signing key.
    pub(crate) vendor: SigningKey,
    seed_file: PathBuf,
    master_file: PathBuf,
}

impl Keys {
    /// Runs `gatekeeper keygen` three times and keeps what each printed where it belongs.
    pub(crate) fn generate(programs: &Programs, dir: &Path) -> Fallible<Keys> {
        let keygen = |kind: &str, id: &str| -> Fallible<String> {
            let out = Command::new(&programs.gatekeeper).args(["keygen", kind, "--id", id]).output();
            let out = out.context("run gatekeeper keygen")?;
            if !out.status.success() {
                return Err(format!("gatekeeper keygen {kind} failed"));
            }
            String::from_utf8(out.stdout).context("keygen output")
        };
        let assigned = |text: &str, prefix: &str| -> Fallible<String> {
            let line = text.lines().find(|l| l.starts_with(prefix) && !l.contains(' '));
            Ok(line.and_then(|l| l.split_once('=')).context("keygen printed no secret line")?.1.to_owned())
        };
        let public = |text: &str| -> Fallible<String> {
            let line = text.lines().find_map(|l| l.strip_prefix("public_key = \""));
            Ok(line.and_then(|l| l.strip_suffix('"')).context("keygen printed no public key")?.to_owned())
        };
        let gatekeeper = keygen("signing", GATEKEEPER_KEY_ID)?;
        let seed_file = dir.join("gatekeeper.seed");
        write_secret(&seed_file, &assigned(&gatekeeper, "GK_SIGNING_KEY=")?)?;
        let master = keygen("master", MASTER_KEY_ID)?;
        let master_file = dir.join("master.key");
        write_secret(&master_file, &assigned(&master, "GK_MASTER_KEY_")?)?;
        let vendor = keygen("signing", VENDOR_KEY_ID)?;
        let vendor_seed: [u8; 32] = hex::decode(assigned(&vendor, "GK_SIGNING_KEY=")?)
            .ok()
            .and_then(|b| b.try_into().ok())
            .context("keygen printed a seed that is not 32 bytes of hex")?;
        Ok(Keys {
            gatekeeper_public: public(&gatekeeper)?,
            vendor: SigningKey::from_bytes(&vendor_seed),
            seed_file,
            master_file,
        })
    }
}

/// A child process, killed (SIGKILL) and reaped when dropped.
pub(crate) struct Guard(pub(crate) Option<Child>);

impl Guard {
    /// The process id, while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.0.as_ref().map(Child::id)
    }

    /// SIGKILL, then reap.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then wait up to `patience` for a clean exit (SIGKILL after that).
    pub(crate) async fn terminate(&mut self, patience: Duration) -> Fallible<()> {
        let Some(mut child) = self.0.take() else { return Ok(()) };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().context("wait for the process")? {
                return if status.success() { Ok(()) } else { Err(format!("exited with {status}")) };
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("did not exit within {patience:?} of SIGTERM"))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `s3-local` server with one bucket.
pub(crate) struct S3 {
    _process: Guard,
    endpoint: String,
    access_key: String,
    secret_file: PathBuf,
}

impl S3 {
    /// Starts `s3-local` on a free loopback port, its data in `dir/s3`.
    pub(crate) async fn start(programs: &Programs, dir: &Path) -> Fallible<S3> {
        let port = free_port()?;
        let (access_key, secret) = (format!("AKLOAD{}", random_hex(6).to_uppercase()), random_hex(20));
        let secret_file = dir.join("s3.secret");
        write_secret(&secret_file, &secret)?;
        let log = std::fs::File::create(dir.join("s3-local.log")).context("s3-local log")?;
        let child = Command::new(&programs.s3_local)
            .arg("--root")
            .arg(dir.join("s3"))
            .args(["--bind", &format!("127.0.0.1:{port}"), "--bucket", BUCKET])
            .env("S3_LOCAL_ACCESS_KEY", &access_key)
            .env("S3_LOCAL_SECRET_KEY", &secret)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("start s3-local")?;
        let s3 =
            S3 { _process: Guard(Some(child)), endpoint: format!("http://127.0.0.1:{port}"), access_key, secret_file };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if Instant::now() > deadline {
                return Err("s3-local did not start listening within 30 s".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(s3)
    }
}

/// Where the audit log and the replay cache live.
#[derive(Clone, Debug)]
pub(crate) enum Store {
    /// A SQLite file (replay cache in memory, warmed from the log at start).
    Sqlite(PathBuf),
    /// A PostgreSQL database, its URL (with the password) in this file.
    Postgres(PathBuf),
}

impl Store {
    /// Its name in the output.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    fn config(&self) -> String {
        match self {
            Store::Sqlite(path) => format!("path = {}", quoted(path)),
            Store::Postgres(url_file) => format!(
                "store = \"postgres\"\npostgres_url = {}\npostgres_tls = \"disable\"",
                quoted_text(&format!("file:{}", url_file.display()))
            ),
        }
    }

    /// The `audit` CLI's arguments naming this store.
    fn cli_args(&self) -> Vec<String> {
        match self {
            Store::Sqlite(path) => vec!["--db".into(), path.display().to_string()],
            Store::Postgres(url_file) => vec![
                "--postgres".into(),
                format!("file:{}", url_file.display()),
                "--postgres-tls".into(),
                "disable".into(),
            ],
        }
    }
}

fn quoted(path: &Path) -> String {
    quoted_text(&path.to_string_lossy())
}

fn quoted_text(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// One deployment: the programs, keys, S3 server and store; it starts gatekeeper processes and
/// reads their log with the `audit` commands.
pub(crate) struct Site<'a> {
    pub(crate) programs: &'a Programs,
    pub(crate) keys: &'a Keys,
    pub(crate) s3: &'a S3,
    pub(crate) store: Store,
    pub(crate) dir: PathBuf,
    /// `[time] max_skew_secs`.
    pub(crate) max_skew_secs: u64,
    pub(crate) starts: u32,
}

/// A running `gatekeeper serve`.
pub(crate) struct Gatekeeper {
    pub(crate) process: Guard,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
}

impl Site<'_> {
    fn config_text(&self, port: u16) -> String {
        format!(
            r#"# Written by the load harness (crates/gatekeeper/examples/load.rs).
gatekeeper_id = "{GATEKEEPER_ID}"
listen = "127.0.0.1:{port}"
signing_key = {seed}
signing_key_id = "{GATEKEEPER_KEY_ID}"

[time]
max_lifetime_secs = 300
max_skew_secs = {skew}

[[vendor_keys]]
id = "{VENDOR_KEY_ID}"
public_key = "{vendor}"

[[master_keys]]
id = "{MASTER_KEY_ID}"
key = {master}

[s3]
endpoint = "{endpoint}"
region = "us-east-1"
bucket = "{BUCKET}"
path_style = true
root_prefix = "tickets/"
access_key_id = "{access_key}"
secret_access_key = {s3_secret}

[geo]
database = {geo}
loopback_country = "US"

[audit]
checkpoint_every = 1000
{store}

# Clients sending from 127.0.0.2 are refused by the ACL (acl_denied_ip).
[acl.default]
deny_cidrs = ["127.0.0.2/32"]
"#,
            seed = quoted_text(&format!("file:{}", self.keys.seed_file.display())),
            skew = self.max_skew_secs,
            vendor = hex::encode(self.keys.vendor.verifying_key().as_bytes()),
            master = quoted_text(&format!("file:{}", self.keys.master_file.display())),
            endpoint = self.s3.endpoint,
            access_key = self.s3.access_key,
            s3_secret = quoted_text(&format!("file:{}", self.s3.secret_file.display())),
            geo = quoted(&self.programs.geo_db),
            store = self.store.config(),
        )
    }

    /// Starts `gatekeeper serve` on a free port and waits until `/healthz` answers.
    pub(crate) async fn start(&mut self) -> Fallible<Gatekeeper> {
        self.starts += 1;
        let port = free_port()?;
        let config = self.dir.join("gatekeeper.toml");
        std::fs::write(&config, self.config_text(port)).context("write the configuration")?;
        let log_path = self.dir.join("gatekeeper.log");
        let log = OpenOptions::new().create(true).append(true).open(&log_path).context("gatekeeper log")?;
        let child = Command::new(&self.programs.gatekeeper)
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("start gatekeeper serve")?;
        let mut gk = Gatekeeper { process: Guard(Some(child)), url: format!("http://127.0.0.1:{port}") };
        let http = reqwest::Client::builder().no_proxy().build().context("HTTP client")?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let up = http.get(format!("{}/healthz", gk.url)).send().await.is_ok_and(|r| r.status() == 200);
            if up {
                return Ok(gk);
            }
            let exited = gk.process.0.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                return Err(format!("gatekeeper exited at start ({status}); see {}", log_path.display()));
            }
            if Instant::now() > deadline {
                return Err("gatekeeper did not answer /healthz within 60 s".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn audit(&self, command: &str, extra: &[String]) -> Command {
        let mut cmd = Command::new(&self.programs.gatekeeper);
        cmd.args(["audit", command]).args(self.store.cli_args()).args(extra).env("RUST_LOG", "warn");
        cmd
    }

    /// `gatekeeper audit verify`, with `--receipts FILE` when given: the `ok: …` line, or the
    /// failure it printed.
    pub(crate) fn verify(&self, receipts: Option<&Path>) -> Fallible<String> {
        let mut extra = vec!["--public-key".to_owned(), self.keys.gatekeeper_public.clone()];
        if let Some(file) = receipts {
            extra.extend(["--receipts".to_owned(), file.display().to_string()]);
        }
        let out = self.audit("verify", &extra).output().context("run gatekeeper audit verify")?;
        let stdout = String::from_utf8_lossy(&out.stdout).trim().replace('\n', "; ");
        if out.status.success() && stdout.starts_with("ok:") {
            Ok(stdout)
        } else {
            Err(format!("audit verify: {stdout} {}", String::from_utf8_lossy(&out.stderr).trim()))
        }
    }

    /// Whether this gatekeeper's `audit verify` takes `--receipts`.
    pub(crate) fn verify_takes_receipts(&self) -> bool {
        let help = Command::new(&self.programs.gatekeeper).args(["audit", "verify", "--help"]).output();
        help.is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("--receipts"))
    }

    /// `gatekeeper audit export` of the entries after `after` into `out`.
    pub(crate) fn export(&self, after: Option<u64>, out: &Path) -> Fallible<()> {
        let extra = after.map(|seq| vec!["--after-seq".to_owned(), seq.to_string()]).unwrap_or_default();
        let file = std::fs::File::create(out).context("export file")?;
        let status = self.audit("export", &extra).stdout(file).stderr(Stdio::null()).status();
        if status.context("run gatekeeper audit export")?.success() {
            Ok(())
        } else {
            Err("gatekeeper audit export failed".to_owned())
        }
    }
}

/// The resident set size of process `pid`, in KiB (`VmRSS` of `/proc/PID/status`).
pub(crate) fn rss_kib(pid: u32) -> Fallible<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).context("read /proc/PID/status")?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).context("no VmRSS line")?;
    line.trim().trim_end_matches("kB").trim().parse().context("VmRSS value")
}
