//! The PostgreSQL plain-format fixtures (made by real pg_dump: default COPY,
//! --inserts, --column-inserts) through every execution path.
//!
//! Expected outputs live in fixtures/postgres/expected/; regenerate them
//! with `DUMPMASK_BLESS=1 cargo test --test postgres_fixtures`.

mod common;

use common::leak::{Dialect, Oracle};
use common::*;

const VARIANTS: &[&str] = &["plain", "inserts", "column-inserts"];

fn rules() -> String {
    fixture("postgres/rules.toml").display().to_string()
}

fn input(v: &str) -> String {
    fixture(&format!("postgres/{v}.sql")).display().to_string()
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
            dumpmask::Engine::Postgres,
        );
        assert!(
            lib == common::paths::Outcome::Bytes(out.clone()),
            "{v}: library and binary differ"
        );
        Oracle::from_dump(rules().as_ref(), &original, Dialect::Postgres).assert_clean(&out, v);
        assert_expected(&out, &fixture(&format!("postgres/expected/{v}.sql")));
    }
}

#[test]
fn empty_rules_give_byte_identical_output() {
    let inputs: Vec<String> = VARIANTS.iter().map(|v| input(v)).collect();
    assert_empty_rules_are_identity(&inputs);
}

#[test]
fn function_bodies_with_copy_lookalikes_are_code() {
    let original = std::fs::read(input("plain")).unwrap();
    let out = run_ok(&["--rules", &rules(), &input("plain")]).stdout;
    // The fake COPY block inside a function body survives byte for byte,
    // including its rows that look exactly like customer data.
    let fake = b"COPY public.customers (id, first_name) FROM stdin;\n1\tMallory";
    assert!(contains(&original, fake));
    assert!(contains(&out, fake), "a function body was rewritten");
    // psql meta-commands pass through.
    assert!(contains(&out, b"\\restrict "));
}

#[test]
fn dialect_is_detected_and_a_forced_wrong_one_fails() {
    let out = dumpmask()
        .args([
            "run",
            "-q",
            "--rules",
            &rules(),
            "--dialect",
            "mysql",
            &input("plain"),
        ])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a PostgreSQL dump read as MySQL must not pass"
    );
}

#[test]
fn large_objects_pass_through_and_the_summary_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for (input, out) in [
        ("postgres/plain.sql", "a.sql"),
        ("postgres/custom.dump", "b.dump"),
    ] {
        let report = dir.path().join(format!("{out}.json"));
        let out = dumpmask()
            .args(["run", "--rules", &rules(), fixture(input).to_str().unwrap()])
            .args([
                "-o",
                dir.path().join(out).to_str().unwrap(),
                "--report",
                report.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr)
            .contains("1 large objects passed through unchanged"));
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        assert_eq!(v["large_objects"], 1, "{input}");
    }
    // The large object's data is in the output as it was.
    let out = run_ok(&["--rules", &rules(), &input("plain")]).stdout;
    assert!(contains(
        &out,
        b"SELECT pg_catalog.lowrite(0, '\\x68656c6c6f');"
    ));
}

/// The variant, value and column of the leak oracle's own test.
const VARIANT: &str = "plain";
const SECRET_VALUE: &[u8] = b"\tsean.obrien@example.ie\t";
const WHERE: (&str, &str) = ("public.customers", "email");

/// The leak oracle can fail: fed a rewritten dump with one original put
/// back, it reports it by position, table and column, and its message
/// never holds a value.
#[test]
fn leak_oracle_reports_an_original_by_position_never_by_value() {
    let original = std::fs::read(input(VARIANT)).unwrap();
    let oracle = Oracle::from_dump(rules().as_ref(), &original, Dialect::Postgres);
    let out = run_ok(&["--rules", &rules(), &input(VARIANT)]).stdout;
    oracle.assert_clean(&out, VARIANT);
    common::leak::assert_reports_planted(&oracle, &out, SECRET_VALUE, WHERE);
}
