//! `dumpmask verify`: passes outputs that dumpmask made (any thread count,
//! compressed, archives, rules that drop rows), and catches each planted
//! fault: an original value put back, an identity copy, an altered
//! unruled value, a forced collision in a unique column. It never prints a
//! data value.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Exit code of a verify that found a fault.
const FAULTS: i32 = 5;

struct Verified {
    code: i32,
    stdout: String,
    report: serde_json::Value,
}

fn verify(rules: &Path, original: &Path, anonymized: &Path, dir: &Path) -> Verified {
    let report = dir.join(format!(
        "report-{}.json",
        anonymized.file_name().unwrap().to_string_lossy()
    ));
    let out = dumpmask()
        .arg("verify")
        .arg("--rules")
        .arg(rules)
        .arg(original)
        .arg(anonymized)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.stderr.is_empty() || out.status.code() == Some(FAULTS) || out.status.success(),
        "verify failed to run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&report).unwrap_or_else(|_| {
        panic!(
            "no report ({}): {}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Verified {
        code: out.status.code().unwrap(),
        stdout,
        report: serde_json::from_str(&text).unwrap(),
    }
}

/// Verifies an output of the MySQL fixture under its rules.
fn verify_mysql(anonymized: &Path, dir: &Path) -> Verified {
    verify(
        &fixture("mysql/rules.toml"),
        &fixture("mysql/default.sql"),
        anonymized,
        dir,
    )
}

fn anonymize(rules: &Path, input: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "--rules",
        rules.to_str().unwrap(),
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
}

/// Neither stdout nor the report holds any of these original values.
fn assert_no_values(v: &Verified, values: &[&str]) {
    let report = v.report.to_string();
    for value in values {
        assert!(!v.stdout.contains(value), "stdout shows {value}");
        assert!(!report.contains(value), "report shows {value}");
    }
}

/// Values of the MySQL fixture the faults below involve.
const PLANTED: &[&str] = &[
    "alice.smith@example.com",
    "Alice",
    "Smith",
    "customer created",
];

fn faults(v: &Verified) -> Vec<String> {
    v.report["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn correct_outputs_pass_with_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    for (dump, rules) in [
        ("mysql/default.sql", "mysql/rules.toml"),
        ("mysql/default.sql", "conditional"),
        ("mysql/complete-insert.sql", "mysql/rules.toml"),
        ("postgres/plain.sql", "postgres/rules.toml"),
        ("postgres/plain.sql", "postgres/rules-conditional.toml"),
        ("postgres/inserts.sql", "postgres/rules.toml"),
    ] {
        let rules = &rules_path(rules, dir.path());
        for threads in ["1", "2"] {
            let out = dir.path().join(format!(
                "{}-{}-{threads}.sql",
                dump.replace('/', "_"),
                rules.file_name().unwrap().to_string_lossy()
            ));
            anonymize(rules, &fixture(dump), &out, &["-t", threads]);
            let v = verify(rules, &fixture(dump), &out, dir.path());
            assert_eq!(
                v.code,
                0,
                "{dump} with {}, {threads} thread(s): {}",
                rules.display(),
                v.stdout
            );
            assert_eq!(v.report["ok"], true);
            assert!(v.report["distinct_values_searched"].as_u64().unwrap() > 10);
            let sha = v.report["anonymized"]["sha256"].as_str().unwrap();
            assert_eq!(sha.len(), 64);
            assert_eq!(
                v.report["rules_fingerprint"].as_str().unwrap().len(),
                "sha256:".len() + 64
            );
        }
    }
}

/// A fixture rules file, or "conditional": the MySQL conditional rules
/// (a retention drop, a truncated table, consent-based redaction) with
/// the order notes ruled too (one names a customer).
fn rules_path(name: &str, dir: &Path) -> PathBuf {
    if name != "conditional" {
        return fixture(name);
    }
    let mut text = std::fs::read_to_string(fixture("mysql/rules-conditional.toml")).unwrap();
    text.push_str("\n[tables.orders.columns]\nnote = \"null\"\n");
    let path = dir.join("conditional.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_name_left_in_an_unruled_column_is_a_leak() {
    // The conditional rules leave the order notes as they are, and two
    // read "Zoë's order" and "李's order": customers' first names, which
    // verify finds.
    let dir = tempfile::tempdir().unwrap();
    let rules = fixture("mysql/rules-conditional.toml");
    let out = dir.path().join("anon.sql");
    anonymize(&rules, &fixture("mysql/default.sql"), &out, &[]);
    let v = verify(&rules, &fixture("mysql/default.sql"), &out, dir.path());
    assert_eq!(v.code, FAULTS, "{}", v.stdout);
    assert_eq!(faults(&v), ["leak"]);
    let text = std::fs::read(&out).unwrap();
    for l in v.report["faults"][0]["first"].as_array().unwrap() {
        assert_eq!(l["column"], "first_name");
        let at = l["offset"].as_u64().unwrap() as usize;
        assert!(contains(&text[at..at + 16], b"\\'s order"));
    }
    assert_eq!(v.report["faults"][0]["count"], 2);
    assert_no_values(&v, &["Zoë", "Zo\\u00eb", "李", "\\u674e"]);
}

#[test]
fn dropped_rows_are_accounted_for_by_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_path("conditional", dir.path());
    let out = dir.path().join("anon.sql");
    anonymize(&rules, &fixture("mysql/default.sql"), &out, &[]);
    let v = verify(&rules, &fixture("mysql/default.sql"), &out, dir.path());
    assert_eq!(v.code, 0, "{}", v.stdout);
    let table = |name: &str| {
        v.report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == name)
            .unwrap()
            .clone()
    };
    let sessions = table("dumpmask_fixture.sessions");
    assert_eq!(sessions["rows_output"], 0);
    assert_eq!(sessions["rows_dropped_by_rules"], sessions["rows_original"]);
    let customers = table("dumpmask_fixture.customers");
    assert!(customers["rows_dropped_by_rules"].as_u64().unwrap() > 0);
    // A row dropped from the output that the rules keep is a fault.
    let text = std::fs::read(&out).unwrap();
    let cut = replace(&text, b"(2,'customer created: 2'),\n", b"");
    assert_ne!(cut, text);
    let bad = dir.path().join("cut.sql");
    std::fs::write(&bad, cut).unwrap();
    let v = verify(&rules, &fixture("mysql/default.sql"), &bad, dir.path());
    assert_eq!(v.code, FAULTS);
    assert_eq!(faults(&v), ["row_count"]);
}

#[test]
fn compressed_inputs_and_archives_are_verified() {
    let dir = tempfile::tempdir().unwrap();
    let rules = fixture("mysql/rules.toml");
    // A gzip original, a zstd output.
    let gz = dir.path().join("default.sql.gz");
    {
        use std::io::Write;
        let mut e =
            flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), Default::default());
        e.write_all(&std::fs::read(fixture("mysql/default.sql")).unwrap())
            .unwrap();
        e.finish().unwrap();
    }
    let zst = dir.path().join("anon.sql.zst");
    anonymize(&rules, &gz, &zst, &[]);
    let v = verify(&rules, &gz, &zst, dir.path());
    assert_eq!(v.code, 0, "{}", v.stdout);
    // Identity copy, compressed: caught.
    let v = verify(&rules, &gz, &gz, dir.path());
    assert_eq!(v.code, FAULTS);
    // pg_dump custom and directory archives.
    let pg_rules = fixture("postgres/rules.toml");
    for (src, name) in [
        ("postgres/custom.dump", "anon.dump"),
        ("postgres/directory", "anon.dir"),
    ] {
        let out = dir.path().join(name);
        anonymize(&pg_rules, &fixture(src), &out, &[]);
        let v = verify(&pg_rules, &fixture(src), &out, dir.path());
        assert_eq!(v.code, 0, "{src}: {}", v.stdout);
        let v = verify(&pg_rules, &fixture(src), &fixture(src), dir.path());
        assert_eq!(v.code, FAULTS, "{src}: identity copy passed");
        assert_eq!(faults(&v), ["leak"], "{src}");
    }
}

/// `text` with the first `from` replaced by `to`.
fn replace(text: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = find(text, from);
    [&text[..at], to, &text[at + from.len()..]].concat()
}

/// Where `what` first stands in `text`.
fn find(text: &[u8], what: &[u8]) -> usize {
    text.windows(what.len())
        .position(|w| w == what)
        .unwrap_or_else(|| panic!("{} not found", String::from_utf8_lossy(what)))
}

/// The MySQL fixture anonymized with its rules, and its bytes.
fn mysql_output(dir: &Path) -> (PathBuf, Vec<u8>) {
    let out = dir.join("anon.sql");
    anonymize(
        &fixture("mysql/rules.toml"),
        &fixture("mysql/default.sql"),
        &out,
        &["-t", "2"],
    );
    let text = std::fs::read(&out).unwrap();
    (out, text)
}

/// The first customer's masked e-mail in `text`: the row's fourth
/// field, quoted.
fn first_email(text: &[u8]) -> Vec<u8> {
    let at = find(text, b"INSERT INTO `customers` VALUES\n(1,'") + 31;
    let quoted: Vec<&[u8]> = text[at..].splitn(5, |b| *b == b',').collect();
    quoted[3].to_vec()
}

#[test]
fn an_original_value_put_back_is_a_leak_at_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = mysql_output(dir.path());
    let masked = first_email(&text);
    let field_at = find(&text, &masked) + 1;
    let planted = replace(&text, &masked, b"'alice.smith@example.com'");
    let bad = dir.path().join("planted.sql");
    std::fs::write(&bad, &planted).unwrap();
    let v = verify_mysql(&bad, dir.path());
    assert_eq!(v.code, FAULTS, "{}", v.stdout);
    assert_eq!(faults(&v), ["leak"]);
    let leak = &v.report["faults"][0];
    assert_eq!(leak["count"], 1);
    assert_eq!(leak["first"][0]["table"], "dumpmask_fixture.customers");
    assert_eq!(leak["first"][0]["column"], "email");
    assert_eq!(leak["first"][0]["offset"], field_at as u64);
    assert!(v.stdout.contains("dumpmask_fixture.customers.email"));
    assert!(v.stdout.contains(&format!("byte {field_at}")));
    assert_no_values(&v, PLANTED);
    // Escaped as the dump writes it (a quote inside): found too.
    let planted = replace(&text, &masked, b"'O\\'Brien'");
    std::fs::write(&bad, &planted).unwrap();
    let v = verify_mysql(&bad, dir.path());
    assert_eq!(faults(&v), ["leak"], "{}", v.stdout);
    assert_eq!(v.report["faults"][0]["first"][0]["column"], "last_name");
}

#[test]
fn an_identity_copy_of_a_column_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    // The output made by rules that forgot the e-mail column.
    let full = std::fs::read_to_string(fixture("mysql/rules.toml")).unwrap();
    let forgot = full.replace(
        "email      = { transform = \"email\", unique = true }\n",
        "",
    );
    assert_ne!(forgot, full);
    let forgot_path = dir.path().join("forgot.toml");
    std::fs::write(&forgot_path, forgot).unwrap();
    let out = dir.path().join("anon.sql");
    anonymize(&forgot_path, &fixture("mysql/default.sql"), &out, &[]);
    let v = verify_mysql(&out, dir.path());
    assert_eq!(v.code, FAULTS, "{}", v.stdout);
    assert_eq!(faults(&v), ["leak"]);
    let leaks = v.report["faults"][0]["first"].as_array().unwrap();
    assert!(leaks.len() >= 12);
    assert!(leaks.iter().all(|l| l["column"] == "email"), "{leaks:?}");
    assert_no_values(&v, PLANTED);
    // The whole dump as its own anonymization.
    let v = verify(
        &fixture("mysql/rules.toml"),
        &fixture("mysql/default.sql"),
        &fixture("mysql/default.sql"),
        dir.path(),
    );
    assert_eq!(v.code, FAULTS);
    let columns: std::collections::BTreeSet<&str> = v.report["faults"][0]["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["column"].as_str().unwrap())
        .collect();
    for c in ["first_name", "last_name", "email", "ssn", "notes"] {
        assert!(columns.contains(c), "{c} not reported: {columns:?}");
    }
    assert_no_values(&v, PLANTED);
}

#[test]
fn an_altered_unruled_value_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = mysql_output(dir.path());
    let altered = replace(
        &text,
        b"(2,'customer created: 2')",
        b"(2,'customer created: 7')",
    );
    let bad = dir.path().join("altered.sql");
    std::fs::write(&bad, altered).unwrap();
    let v = verify_mysql(&bad, dir.path());
    assert_eq!(v.code, FAULTS, "{}", v.stdout);
    assert_eq!(faults(&v), ["changed"]);
    assert_eq!(v.report["faults"][0]["table"], "dumpmask_fixture.audit_log");
    assert_eq!(v.report["faults"][0]["column"], "message");
    assert_no_values(&v, PLANTED);
    // An unruled number changed in a ruled table.
    let altered = replace(&text, b",1500.00,", b",1500.01,");
    std::fs::write(&bad, altered).unwrap();
    let v = verify_mysql(&bad, dir.path());
    assert_eq!(faults(&v), ["changed"], "{}", v.stdout);
    assert_eq!(v.report["faults"][0]["column"], "balance");
}

#[test]
fn a_forced_collision_in_a_unique_column_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    // (The e-mails are in the profile JSON too: ruled as well.)
    let claimed = "[secret]\nenv = \"DUMPMASK_SECRET\"\n[tables.customers.columns]\nemail = { transform = \"email\", unique = true }\nprofile = \"null\"\n";
    let claimed_path = dir.path().join("claimed.toml");
    std::fs::write(&claimed_path, claimed).unwrap();
    // Made with a transformer of eight outputs for more distinct inputs.
    let forced = claimed.replace(
        "{ transform = \"email\", unique = true }",
        "{ transform = \"hash\", length = 3, alphabet = \"ab\" }",
    );
    let forced_path = dir.path().join("forced.toml");
    std::fs::write(&forced_path, forced).unwrap();
    let out = dir.path().join("anon.sql");
    anonymize(&forced_path, &fixture("mysql/default.sql"), &out, &[]);
    let v = verify(
        &claimed_path,
        &fixture("mysql/default.sql"),
        &out,
        dir.path(),
    );
    assert_eq!(v.code, FAULTS, "{}", v.stdout);
    assert_eq!(faults(&v), ["collision"]);
    let f = &v.report["faults"][0];
    assert_eq!(f["column"], "email");
    assert!(f["distinct_output"].as_u64().unwrap() <= 8);
    assert!(f["distinct_original"].as_u64().unwrap() > 8);
    // The same rules, really applied: distinct, and verified.
    let good = dir.path().join("good.sql");
    anonymize(&claimed_path, &fixture("mysql/default.sql"), &good, &[]);
    let v = verify(
        &claimed_path,
        &fixture("mysql/default.sql"),
        &good,
        dir.path(),
    );
    assert_eq!(v.code, 0, "{}", v.stdout);
}

#[test]
fn dumps_of_two_engines_are_an_error() {
    let out = dumpmask()
        .arg("verify")
        .arg("--rules")
        .arg(fixture("postgres/rules.toml"))
        .arg(fixture("postgres/plain.sql"))
        .arg(fixture("mysql/default.sql"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}
