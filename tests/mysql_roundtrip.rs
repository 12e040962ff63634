//! Round trips through the real MariaDB server: load the fixture schema,
//! dump it with mariadb-dump, rewrite the dump, restore it into a fresh
//! database, and compare with SQL.

mod common;

use std::process::Command;

use common::leak::Oracle;
use common::*;

/// Ruled columns of the fixture rules, by table.
const RULED: &[(&str, &[&str])] = &[
    (
        "customers",
        &[
            "first_name",
            "last_name",
            "email",
            "phone",
            "ssn",
            "notes",
            "profile",
        ],
    ),
    ("orders", &["ip", "note"]),
    ("we`ird", &["First Name"]),
];

/// A backtick-quoted identifier.
fn q(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

struct Db(String);

impl Drop for Db {
    fn drop(&mut self) {
        let _ = Command::new("mariadb")
            .args([
                "-uroot",
                "-e",
                &format!("DROP DATABASE IF EXISTS {}", q(&self.0)),
            ])
            .status();
    }
}

fn fresh_db(name: &str) -> Db {
    let name = format!("dm_{}_{}", name, std::process::id());
    mariadb(
        None,
        &format!("DROP DATABASE IF EXISTS {0}; CREATE DATABASE {0}", q(&name)),
    );
    Db(name)
}

fn columns(db: &str, table: &str) -> Vec<String> {
    mariadb(
        None,
        &format!(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='{db}' AND TABLE_NAME='{}' \
             AND EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION",
            table.replace('\'', "''")
        ),
    )
    .lines()
    .map(str::to_string)
    .collect()
}

fn count(db: &str, table: &str, cond: &str) -> u64 {
    mariadb(
        Some(db),
        &format!("SELECT COUNT(*) FROM {} {cond}", q(table)),
    )
    .trim()
    .parse()
    .unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// mariadb-dump of `db` as the fixtures are made, with `extra` options.
fn mariadb_dump(db: &str, extra: &[&str]) -> Command {
    let mut c = Command::new("mariadb-dump");
    c.args([
        "-uroot",
        "--skip-dump-date",
        "--routines",
        "--events",
        "--triggers",
    ])
    .args(extra)
    .arg(db);
    c
}

fn round_trip(tag: &str, dump_args: &[&str]) {
    let src = fresh_db(&format!("{tag}_src"));
    mariadb_load(&src.0, &fixture("mysql/schema.sql"));
    let dir = tempfile::tempdir().unwrap();
    let anon = dump_and_anonymize(
        &mut mariadb_dump(&src.0, dump_args),
        "mysql/rules.toml",
        dir.path(),
    );
    let dst = fresh_db(&format!("{tag}_dst"));
    mariadb_load(&dst.0, &anon);
    let bytes = std::fs::read(&anon).unwrap();
    let dump = std::fs::read(dir.path().join("dump.sql")).unwrap();
    Oracle::mysql(&fixture("mysql/rules.toml"), &dump, &src.0)
        .assert_clean(&bytes, &format!("{dump_args:?}"));

    for table in [
        "customers",
        "orders",
        "we`ird",
        "sessions",
        "audit_log",
        "empty_table",
    ] {
        assert_eq!(
            count(&src.0, table, ""),
            count(&dst.0, table, ""),
            "{dump_args:?}: row count of {table}"
        );
        let ruled: &[&str] = RULED
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(&[], |(_, c)| c);
        let key = columns(&src.0, table)[0].clone();
        let join = format!(
            "FROM {s}.{t} a JOIN {d}.{t} b ON a.{k} = b.{k}",
            s = q(&src.0),
            d = q(&dst.0),
            t = q(table),
            k = q(&key)
        );
        for col in columns(&src.0, table) {
            let c = q(&col);
            if ruled.contains(&col.as_str()) {
                // Every non-NULL value changed...
                let same = mariadb(
                    None,
                    &format!("SELECT COUNT(*) {join} WHERE a.{c} IS NOT NULL AND a.{c} <=> b.{c}"),
                );
                assert_eq!(
                    same.trim(),
                    "0",
                    "{dump_args:?}: {table}.{col} has unchanged values"
                );
                // ...and no original value is left anywhere in the output.
                let values = mariadb(
                    Some(&src.0),
                    &format!("SELECT HEX({c}) FROM {} WHERE {c} IS NOT NULL", q(table)),
                );
                for hex in values.lines() {
                    let v = unhex(hex);
                    if v.is_empty() {
                        continue; // `''` is everywhere in a dump and personal nowhere
                    }
                    let mut lit = Vec::new();
                    dumpmask::internals::encode_string(&v, &mut lit);
                    assert!(
                        !contains(&bytes, &lit),
                        "{dump_args:?}: a value of {table}.{col} is still in the output"
                    );
                    if v.len() >= 8 {
                        assert!(
                            !contains(&bytes, &v),
                            "{dump_args:?}: a value of {table}.{col} is still in the output"
                        );
                    }
                }
            } else {
                let differ = mariadb(
                    None,
                    &format!("SELECT COUNT(*) {join} WHERE NOT (a.{c} <=> b.{c})"),
                );
                assert_eq!(
                    differ.trim(),
                    "0",
                    "{dump_args:?}: unruled {table}.{col} changed"
                );
            }
        }
    }
    // The generated column was recomputed from the rewritten names.
    let stale = mariadb(
        Some(&dst.0),
        "SELECT COUNT(*) FROM customers WHERE full_name <> CONCAT(first_name, ' ', last_name)",
    );
    assert_eq!(stale.trim(), "0");
    // Triggers and routines survived as code.
    let routines = mariadb(
        None,
        &format!(
            "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='{}'",
            dst.0
        ),
    );
    assert_ne!(routines.trim(), "0");
}

#[test]
fn mariadb_round_trip_default() {
    if mariadb_available() {
        round_trip("default", &[]);
    }
}

#[test]
fn mariadb_round_trip_skip_extended_insert_and_hex_blob() {
    if mariadb_available() {
        round_trip("skiphex", &["--skip-extended-insert", "--hex-blob"]);
    }
}

#[test]
fn mariadb_round_trip_complete_insert_insert_ignore() {
    if mariadb_available() {
        round_trip("complete", &["--complete-insert", "--insert-ignore"]);
    }
}

#[test]
fn mariadb_round_trip_conditional_rules() {
    if !mariadb_available() {
        return;
    }
    let src = fresh_db("cond_src");
    mariadb_load(&src.0, &fixture("mysql/schema.sql"));
    let dir = tempfile::tempdir().unwrap();
    let anon = dump_and_anonymize(
        &mut mariadb_dump(&src.0, &[]),
        "mysql/rules-conditional.toml",
        dir.path(),
    );
    let dst = fresh_db("cond_dst");
    mariadb_load(&dst.0, &anon);
    let dump = std::fs::read(dir.path().join("dump.sql")).unwrap();
    Oracle::mysql(&fixture("mysql/rules-conditional.toml"), &dump, &src.0)
        .assert_clean(&std::fs::read(&anon).unwrap(), "conditional rules");
    let (s, d) = (q(&src.0), q(&dst.0));
    let retained = "NOT (status = 'closed' AND last_login < '2020-01-01') OR (status = 'closed' AND last_login < '2020-01-01') IS NULL";
    // Exactly the rows the retention rule keeps, computed by SQL.
    let want = mariadb(
        None,
        &format!("SELECT id FROM {s}.customers WHERE {retained} ORDER BY id"),
    );
    let got = mariadb(None, &format!("SELECT id FROM {d}.customers ORDER BY id"));
    assert_eq!(got, want);
    assert!(
        (want.lines().count() as u64) < count(&src.0, "customers", ""),
        "the fixture must drop some rows"
    );
    let join = format!("FROM {s}.customers a JOIN {d}.customers b ON a.id = b.id");
    let bad = |cond: &str| {
        mariadb(None, &format!("SELECT COUNT(*) {join} WHERE {cond}"))
            .trim()
            .to_string()
    };
    // Opted out: redacted and flagged.
    assert_eq!(
        bad("a.data_share_consent = 0 AND NOT (b.dob IS NULL AND b.data_redacted = 1 AND (a.ssn IS NULL OR b.ssn = 'REDACTED_CONTENT'))"),
        "0"
    );
    assert_ne!(
        bad("a.data_share_consent = 0"),
        "0",
        "the fixture must have opted-out rows"
    );
    // Consent given (or unknown): untouched.
    assert_eq!(
        bad("NOT (a.data_share_consent <=> 0) AND NOT (a.dob <=> b.dob AND a.ssn <=> b.ssn AND a.data_redacted <=> b.data_redacted)"),
        "0"
    );
    // A column rule with its own condition.
    assert_eq!(
        bad("(a.balance < 0 OR a.balance IS NULL) AND b.phone IS NOT NULL"),
        "0"
    );
    assert_eq!(bad("a.balance >= 0 AND NOT (a.phone <=> b.phone)"), "0");
    assert_eq!(count(&dst.0, "sessions", ""), 0);
    assert_ne!(count(&src.0, "sessions", ""), 0);
}

#[test]
fn mariadb_round_trip_transformer_library() {
    if !mariadb_available() {
        return;
    }
    let src = fresh_db("lib_src");
    mariadb_load(&src.0, &fixture("mysql/schema.sql"));
    let dir = tempfile::tempdir().unwrap();
    let anon = dump_and_anonymize(
        &mut mariadb_dump(&src.0, &[]),
        "mysql/rules-transformers.toml",
        dir.path(),
    );
    let dst = fresh_db("lib_dst");
    // Strict SQL mode: every value must be valid for its column.
    mariadb(Some(&dst.0), "SET GLOBAL sql_mode = @@sql_mode");
    mariadb_load(&dst.0, &anon);
    let dump = std::fs::read(dir.path().join("dump.sql")).unwrap();
    Oracle::mysql(&fixture("mysql/rules-transformers.toml"), &dump, &src.0)
        .assert_clean(&std::fs::read(&anon).unwrap(), "transformer library");
    let (s, d) = (q(&src.0), q(&dst.0));
    for t in ["customers", "orders", "sessions", "we`ird"] {
        assert_eq!(
            count(&src.0, t, ""),
            count(&dst.0, t, ""),
            "row count of {t}"
        );
    }
    let join = format!("FROM {s}.customers a JOIN {d}.customers b ON a.id = b.id");
    let n = |sql: &str| mariadb(None, sql).trim().to_string();
    // Unique columns stay unique, and every value changed.
    for col in ["email", "personal_number"] {
        assert_eq!(
            n(&format!("SELECT COUNT(DISTINCT {col}) FROM {d}.customers")),
            n(&format!("SELECT COUNT(*) FROM {d}.customers"))
        );
        assert_eq!(
            n(&format!("SELECT COUNT(*) {join} WHERE a.{col} = b.{col}")),
            "0",
            "{col}"
        );
    }
    // Formats kept: same length for masks and phones, dates within range.
    assert_eq!(
        n(&format!(
            "SELECT COUNT(*) {join} WHERE CHAR_LENGTH(a.phone) <> CHAR_LENGTH(b.phone)"
        )),
        "0"
    );
    assert_eq!(
        n(&format!(
            "SELECT COUNT(*) {join} WHERE ABS(DATEDIFF(a.dob, b.dob)) > 30"
        )),
        "0"
    );
    assert_eq!(n(&format!("SELECT COUNT(*) {join} WHERE ABS(b.balance - a.balance) > ABS(a.balance) * 0.05 + 0.01")), "0");
    assert_eq!(
        n(&format!(
            "SELECT COUNT(*) {join} WHERE SIGN(a.balance) * SIGN(b.balance) < 0"
        )),
        "0"
    );
    // The template agrees with the rewritten names of its own row.
    assert_eq!(
        n(&format!("SELECT COUNT(*) FROM {d}.customers WHERE NOT notes <=> CONCAT(first_name, ' ', last_name, ' <', email, '>')")),
        "0",
        "the template disagrees with its row"
    );
    // JSON stays valid, with its unknown keys.
    assert_eq!(n(&format!("SELECT COUNT(*) FROM {d}.customers WHERE profile IS NOT NULL AND NOT JSON_VALID(profile)")), "0");
    assert_eq!(
        n(&format!("SELECT COUNT(*) {join} WHERE BINARY JSON_UNQUOTE(JSON_EXTRACT(a.profile, '$.address.zip')) <> BINARY JSON_UNQUOTE(JSON_EXTRACT(b.profile, '$.address.zip'))")),
        "0"
    );
}
