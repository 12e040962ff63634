//! Helpers shared by the integration tests: running the binary, and
//! reaching the local database servers.

#![allow(dead_code)]

pub mod leak;
pub mod paths;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The secret the tests use (never a real one).
pub const SECRET: &str = "test-secret-0123456789abcdef";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// `dumpmask` with the test secret in its environment.
pub fn dumpmask() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dumpmask"));
    c.env("DUMPMASK_SECRET", SECRET);
    c
}

/// Runs `dumpmask run` with extra args; panics with stderr on failure.
pub fn run_ok(args: &[&str]) -> Output {
    let out = dumpmask()
        .arg("run")
        .arg("-q")
        .args(args)
        .output()
        .expect("spawn dumpmask");
    assert!(
        out.status.success(),
        "dumpmask {:?} failed: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `dumpmask run` feeding `input` on standard input.
pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = dumpmask()
        .arg("run")
        .arg("-q")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dumpmask");
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

/// Is a database server required (CI) rather than optional?
pub fn db_required() -> bool {
    std::env::var("DUMPMASK_REQUIRE_DB").is_ok_and(|v| v == "1")
}

/// Can the `mariadb` client reach a server as root?
pub fn mariadb_available() -> bool {
    let ok = Command::new("mariadb")
        .args(["-uroot", "-e", "SELECT 1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            !db_required(),
            "DUMPMASK_REQUIRE_DB=1 but no MariaDB server is reachable with `mariadb -uroot`"
        );
        eprintln!(
            "SKIPPED: no MariaDB server reachable (set DUMPMASK_REQUIRE_DB=1 to fail instead)"
        );
    }
    ok
}

/// Runs SQL through the `mariadb` client, returning its tab-separated output.
pub fn mariadb(db: Option<&str>, sql: &str) -> String {
    let mut c = Command::new("mariadb");
    c.args(["-uroot", "--batch", "--skip-column-names", "--comments"]);
    if let Some(db) = db {
        c.arg(db);
    }
    let out = c.args(["-e", sql]).output().expect("spawn mariadb");
    assert!(
        out.status.success(),
        "mariadb failed on `{sql}`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Loads a SQL file into a database with the `mariadb` client.
pub fn mariadb_load(db: &str, file: &Path) {
    let f = std::fs::File::open(file).unwrap();
    let out = Command::new("mariadb")
        .args(["-uroot", "--comments", db])
        .stdin(f)
        .output()
        .expect("spawn mariadb");
    assert!(
        out.status.success(),
        "loading {} into {db} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Does `hay` contain `needle`?
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Runs `dumpmask run` with `args` plus `input`, expecting success.
fn run_args(rules: &str, args: &[&str], input: &str) -> Vec<u8> {
    let mut a = vec!["--rules", rules];
    a.extend_from_slice(args);
    a.push(input);
    run_ok(&a).stdout
}

/// Every execution path (threads, chunk sizes, memory map or stream with
/// tiny windows) gives the bytes of the sequential path. Returns them.
pub fn assert_all_paths_identical(rules: &str, input: &str) -> Vec<u8> {
    let reference = run_args(rules, &["--threads", "1"], input);
    for args in [
        &["--threads", "2"][..],
        &["--threads", "4", "--chunk-size", "1"],
        &["--threads", "1", "--chunk-size", "100"],
        &["--threads", "3", "--chunk-size", "7"],
    ] {
        let out = run_args(rules, args, input);
        assert!(
            out == reference,
            "{input}: {args:?} differs from --threads 1"
        );
    }
    let data = std::fs::read(input).unwrap();
    for window in ["16", "1K", "8M"] {
        for threads in ["1", "2"] {
            let out = run_stdin(
                &[
                    "--rules",
                    rules,
                    "--threads",
                    threads,
                    "--chunk-size",
                    "64",
                    "--stream-window",
                    window,
                ],
                &data,
            );
            assert!(
                out.status.success(),
                "{input}: stdin failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.stdout == reference,
                "{input}: stdin window {window} threads {threads} differs"
            );
        }
    }
    reference
}

/// With an empty rules file every input comes out byte for byte, from a
/// file and from standard input.
pub fn assert_empty_rules_are_identity(inputs: &[String]) {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.display().to_string();
    for input in inputs {
        let data = std::fs::read(input).unwrap();
        let out = run_ok(&["--rules", &empty, input]).stdout;
        assert!(
            out == data,
            "{input}: not byte-identical through the file path"
        );
        let out = run_stdin(&["--rules", &empty, "--stream-window", "100"], &data);
        assert!(
            out.stdout == data,
            "{input}: not byte-identical through standard input"
        );
    }
}

/// Runs `dump` (mariadb-dump or pg_dump with its arguments) into a file in
/// `dir`, then dumpmask with the fixture rules file `rules` on it; returns
/// the rewritten file.
pub fn dump_and_anonymize(dump: &mut Command, rules: &str, dir: &Path) -> PathBuf {
    let out = dump.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join("dump.sql");
    std::fs::write(&path, &out.stdout).unwrap();
    let anon = dir.join("anon.sql");
    run_ok(&[
        "--rules",
        fixture(rules).to_str().unwrap(),
        path.to_str().unwrap(),
        "-o",
        anon.to_str().unwrap(),
    ]);
    anon
}

/// Compares `out` with the expected output file, rewriting it first when
/// `DUMPMASK_BLESS=1`.
pub fn assert_expected(out: &[u8], expected: &Path) {
    if std::env::var("DUMPMASK_BLESS").is_ok_and(|b| b == "1") {
        std::fs::create_dir_all(expected.parent().unwrap()).unwrap();
        std::fs::write(expected, out).unwrap();
    }
    let want = std::fs::read(expected).unwrap_or_else(|_| panic!("missing {}", expected.display()));
    assert!(out == want, "output differs from {}", expected.display());
}

/// Can `psql` reach a PostgreSQL server as `postgres`?
pub fn postgres_available() -> bool {
    let ok = Command::new("psql")
        .args(["-X", "-U", "postgres", "-d", "postgres", "-c", "SELECT 1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            !db_required(),
            "DUMPMASK_REQUIRE_DB=1 but no PostgreSQL server is reachable with `psql -U postgres`"
        );
        eprintln!(
            "SKIPPED: no PostgreSQL server reachable (set DUMPMASK_REQUIRE_DB=1 to fail instead)"
        );
    }
    ok
}

/// Runs SQL through `psql` on a database; returns unaligned output.
pub fn psql(db: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-U",
            "postgres",
            "-d",
            db,
            "-c",
            sql,
        ])
        .output()
        .expect("spawn psql");
    assert!(
        out.status.success(),
        "psql failed on `{sql}`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Loads a SQL file with `psql`, stopping at the first error.
pub fn psql_load(db: &str, file: &Path) {
    let out = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-U",
            "postgres",
            "-d",
            db,
            "-f",
        ])
        .arg(file)
        .output()
        .expect("spawn psql");
    assert!(
        out.status.success(),
        "loading {} into {db} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PostgreSQL database dropped when this goes out of scope.
pub struct PgDb(pub String);

impl PgDb {
    pub fn fresh(tag: &str) -> PgDb {
        let name = format!("dm_{tag}_{}", std::process::id());
        psql("postgres", &format!("DROP DATABASE IF EXISTS {name}"));
        psql("postgres", &format!("CREATE DATABASE {name}"));
        PgDb(name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["-X", "-q", "-U", "postgres", "-d", "postgres", "-c"])
            .arg(format!("DROP DATABASE IF EXISTS {}", self.0))
            .status();
    }
}

/// `dumpmask scan --format json` of `input`, with `extra` arguments.
pub fn scan_json(input: &Path, extra: &[&str]) -> serde_json::Value {
    let out = dumpmask()
        .args(["scan", "--format", "json"])
        .arg(input)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
