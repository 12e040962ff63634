//! The MySQL fixtures (made by real mariadb-dump, plus a hand-made
//! Oracle-style dump) through every execution path.
//!
//! Expected outputs live in fixtures/mysql/expected/; regenerate them with
//! `DUMPMASK_BLESS=1 cargo test --test mysql_fixtures` after a deliberate
//! change, and review the diff.

mod common;

use common::leak::{Dialect, Oracle};
use common::*;

const VARIANTS: &[&str] = &[
    "default",
    "complete-insert",
    "skip-extended-insert",
    "hex-blob",
    "compact",
    "insert-ignore",
    "replace",
    "classic-extended",
];

fn rules() -> String {
    fixture("mysql/rules.toml").display().to_string()
}

fn input(v: &str) -> String {
    fixture(&format!("mysql/{v}.sql")).display().to_string()
}

#[test]
fn every_variant_matches_its_expected_output_on_every_path() {
    for v in VARIANTS {
        let out = assert_all_paths_identical(&rules(), &input(v));
        let original = std::fs::read(input(v)).unwrap();
        // The library's every path, in this process, agrees with the
        // binary.
        let text = std::fs::read_to_string(rules()).unwrap();
        let lib = common::paths::PathTester::default().assert_agree(
            &original,
            &text,
            dumpmask::Engine::MySql,
        );
        assert!(
            lib == common::paths::Outcome::Bytes(out.clone()),
            "{v}: library and binary differ"
        );
        Oracle::from_dump(rules().as_ref(), &original, Dialect::MySql).assert_clean(&out, v);
        assert_expected(&out, &fixture(&format!("mysql/expected/{v}.sql")));
    }
}

#[test]
fn empty_rules_give_byte_identical_output() {
    let inputs: Vec<String> = VARIANTS.iter().map(|v| input(v)).collect();
    assert_empty_rules_are_identity(&inputs);
}

#[test]
fn ruled_values_are_gone_and_code_is_untouched() {
    let out = run_ok(&["--rules", &rules(), &input("default")]).stdout;
    for gone in [
        &b"'alice.smith@example.com'"[..],
        b"'Alice'",
        b"'O\\'Brien'",
        b"'+1 555 0100'",
        b"'192.168.1.10'",
        b"'123-45-6789'",
        b"'Regular customer'",
        b"'Alice Smith'", // a generated column, recomputed on restore
    ] {
        assert!(
            !contains(&out, gone),
            "{} still in the output",
            String::from_utf8_lossy(gone)
        );
    }
    // A line in a procedure body that looks exactly like dump data is code.
    let original = std::fs::read(input("default")).unwrap();
    let body_line = b"INSERT INTO `customers` VALUES (999,'Evil','Body','evil@example.com'";
    assert!(contains(&original, body_line));
    assert!(contains(&out, body_line), "a routine body was rewritten");
    // Unruled columns keep their exact bytes.
    assert!(contains(&out, b"'19800101001','1980-01-01'"));
}

#[test]
fn output_file_is_private_and_complete() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("anon.sql");
    let stdout = run_ok(&["--rules", &rules(), &input("default")]).stdout;
    run_ok(&[
        "--rules",
        &rules(),
        &input("default"),
        "-o",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&dest).unwrap(), stdout);
    let mode = std::fs::metadata(&dest).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary file left behind"
    );
}

#[test]
fn pseudonyms_are_deterministic_across_dump_shapes() {
    // The same person's hashed e-mail is the same whichever way the dump
    // was written (extended, one row per statement, hex blobs...).
    let a = run_ok(&["--rules", &rules(), &input("default")]).stdout;
    let b = run_ok(&["--rules", &rules(), &input("skip-extended-insert")]).stdout;
    let pick = |out: &[u8]| -> Vec<u8> {
        let table = out
            .windows(24)
            .position(|w| w == b"INSERT INTO `customers` ")
            .unwrap();
        let at = table + out[table..].windows(4).position(|w| w == b"(1,'").unwrap();
        out[at..at + 60].to_vec()
    };
    assert_eq!(pick(&a), pick(&b));
}

/// The variant, value and column of the leak oracle's own test.
const VARIANT: &str = "default";
const SECRET_VALUE: &[u8] = b"'alice.smith@example.com'";
const WHERE: (&str, &str) = ("customers", "email");

/// The leak oracle can fail: fed a rewritten dump with one original put
/// back, it reports it by position, table and column, and its message
/// never holds a value.
#[test]
fn leak_oracle_reports_an_original_by_position_never_by_value() {
    let original = std::fs::read(input(VARIANT)).unwrap();
    let oracle = Oracle::from_dump(rules().as_ref(), &original, Dialect::MySql);
    let out = run_ok(&["--rules", &rules(), &input(VARIANT)]).stdout;
    oracle.assert_clean(&out, VARIANT);
    common::leak::assert_reports_planted(&oracle, &out, SECRET_VALUE, WHERE);
}
