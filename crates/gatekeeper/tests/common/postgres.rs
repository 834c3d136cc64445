//! A real PostgreSQL server for the tests: `initdb` and `pg_ctl` in a temporary folder, listening
//! on a free loopback port only (its Unix socket in that folder), password authentication
//! (SCRAM), stopped and removed on drop.
//!
//! The server refuses to run as root, so as root it runs as the `postgres` OS user (created if
//! missing). Missing binaries fail the test with what to do: run `scripts/setup.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

const PASSWORD: &str = "gk-test-password";

pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres_user: bool,
    /// With TLS: the test CA that signed the server's certificate (for `localhost` and 127.0.0.1).
    pub ca_file: Option<PathBuf>,
    pub port: u16,
}

impl PgServer {
    /// Initialises and starts a server; panics (failing the test) if that is impossible.
    pub fn start() -> PgServer {
        Self::start_with(false)
    }

    /// [`PgServer::start`] with TLS on, its certificate from a fresh test CA (`ca_file`).
    pub fn start_tls() -> PgServer {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> PgServer {
        let bin = binaries().unwrap_or_else(|| {
            panic!(
                "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin: \
                 run `bash scripts/setup.sh` (it installs Debian's postgresql package)"
            )
        });
        let as_postgres_user = is_root();
        let dir = tempfile::Builder::new().prefix("s3gk-pg-").tempdir().expect("temp dir");
        let pwfile = dir.path().join("pwfile");
        std::fs::write(&pwfile, PASSWORD).expect("password file");
        let ca_file = tls.then(|| make_certificates(dir.path()));
        if as_postgres_user {
            ensure_postgres_user();
            run(Command::new("chown").args(["-R", "postgres:"]).arg(dir.path()), "chown the data folder");
        }
        let data = dir.path().join("data");
        let mut server = PgServer { dir, bin, as_postgres_user, ca_file, port: 0 };
        let mut initdb = server.command("initdb");
        initdb.arg("-D").arg(&data).args(["-U", "postgres", "-A", "scram-sha-256", "--no-sync", "--no-instructions"]);
        initdb.arg(format!("--pwfile={}", pwfile.display()));
        run(&mut initdb, "initdb");
        server.start_again();
        server
    }

    /// Starts the (stopped) server again, on a new free port if its old one was taken meanwhile.
    pub fn start_again(&mut self) {
        for _attempt in 0..5 {
            let port = if self.port == 0 { free_port() } else { self.port };
            let mut options = format!(
                "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c max_connections=60",
                self.dir.path().display()
            );
            if self.ca_file.is_some() {
                let (cert, key) = (self.dir.path().join("server.crt"), self.dir.path().join("server.key"));
                options.push_str(&format!(
                    " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                    cert.display(),
                    key.display()
                ));
            }
            let log = self.dir.path().join("server.log");
            let mut pg_ctl = self.command("pg_ctl");
            pg_ctl.arg("-D").arg(self.dir.path().join("data")).arg("-l").arg(&log).args(["-w", "-t", "30", "-o"]);
            let started = pg_ctl.arg(options).arg("start").output().expect("run pg_ctl");
            if started.status.success() {
                self.port = port;
                return;
            }
            eprintln!("pg_ctl start failed on port {port}: {}", std::fs::read_to_string(&log).unwrap_or_default());
            self.port = 0;
        }
        panic!("could not start PostgreSQL");
    }

    /// Stops the server now (fast shutdown: open sessions are cut, as in an outage).
    pub fn stop(&self) {
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl.arg("-D").arg(self.dir.path().join("data")).args(["-m", "fast", "-w", "stop"]);
        let _ = pg_ctl.output();
    }

    /// The connection URL of the `postgres` database (password included, as a real one would).
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The connection URL of database `name`.
    pub fn url_of(&self, name: &str) -> String {
        format!("postgres://postgres:{PASSWORD}@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates the empty database `name` (a plain identifier) and returns its URL.
    pub async fn create_database(&self, name: &str) -> String {
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{name}");
        self.client("postgres").await.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
        self.url_of(name)
    }

    /// A client connection to database `name`, for a test to look at or tamper with the tables.
    pub async fn client(&self, name: &str) -> tokio_postgres::Client {
        let (client, connection) =
            tokio_postgres::connect(&self.url_of(name), tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        client
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl.arg("-D").arg(self.dir.path().join("data")).args(["-m", "immediate", "-w", "stop"]);
        let _ = pg_ctl.output();
    }
}

/// A test CA and a server certificate it signed for `localhost` and 127.0.0.1, made with the
/// `openssl` command in `dir`; returns the CA's file.
fn make_certificates(dir: &Path) -> PathBuf {
    let openssl = |args: &[&str], what: &str| run(Command::new("openssl").current_dir(dir).args(args), what);
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &["-days", "2", "-subj", "/CN=s3gk test CA", "-keyout", "ca.key", "-out", "ca.pem"],
        ]
        .concat(),
        "make the test CA",
    );
    openssl(
        &[&["req"][..], &ec, &["-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"]].concat(),
        "make the server key",
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("extensions file");
    let sign =
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2"];
    openssl(&[&sign[..], &["-extfile", "server.ext", "-out", "server.crt"]].concat(), "sign the server certificate");
    std::fs::set_permissions(dir.join("server.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    dir.join("ca.pem")
}

/// The folder holding `initdb` and `pg_ctl`: on PATH, else Debian's newest versioned folder.
fn binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PATH").iter().flat_map(std::env::split_paths).find(|d| has_both(d)) {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

fn ensure_postgres_user() {
    let exists = Command::new("id").arg("postgres").output().map(|o| o.status.success()).unwrap_or(false);
    if !exists {
        run(Command::new("useradd").args(["--system", "--user-group", "postgres"]), "useradd postgres");
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

fn run(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
