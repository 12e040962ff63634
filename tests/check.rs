//! `dumpmask check`: validates rules against a dump's schema, writes
//! nothing, and reports exactly the problems there are.

mod common;

use common::*;

fn check(rules: &str, dump: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("rules.toml");
    std::fs::write(&r, rules).unwrap();
    let out = dumpmask()
        .args(["check", "--format", "json", "--rules", r.to_str().unwrap()])
        .args(extra)
        .arg(fixture(dump))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

fn kinds(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut k: Vec<(String, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_string(),
                p["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    k.sort();
    k
}

#[test]
fn clean_rules_pass() {
    let rules = "[tables.customers.columns]\nfirst_name = \"hash\"\nnotes = \"null\"\n";
    let (code, v) = check(rules, "mysql/default.sql", &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["ok"], true);
    assert_eq!(v["tables"], 6);
}

#[test]
fn known_problems_are_reported_exactly() {
    let rules = "\
[tables.customers.columns]
emial = \"null\"
email = \"hash\"
personal_number = \"null\"
[tables.custmers.columns]
a = \"null\"
[tables.orders.columns]
ip = { transform = \"fixed\", value = \"0123456789012345678901234567890123456789012345678\" }
created_at = { transform = \"fixed\", value = \"yesterday\" }
";
    let (code, v) = check(rules, "mysql/default.sql", &[]);
    assert_eq!(code, 2);
    assert_eq!(
        kinds(&v),
        vec![
            ("type_conflict".into(), "created_at".into()),
            ("type_conflict".into(), "ip".into()),
            ("type_conflict".into(), "personal_number".into()),
            ("unique_not_promised".into(), "email".into()),
            ("unknown_name".into(), "".into()),
            ("unknown_name".into(), "emial".into()),
        ],
        "{v}"
    );
}

#[test]
fn strict_lists_uncovered_columns_of_every_table() {
    let rules = "[tables.customers.columns]\nfirst_name = \"hash\"\n";
    let (code, v) = check(rules, "mysql/default.sql", &["--strict"]);
    assert_eq!(code, 2);
    let uncovered: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "uncovered")
        .map(|p| p["table"].as_str().unwrap())
        .collect();
    // Every table with columns; `empty_table` too, since strict asks for
    // every column of every table.
    assert!(uncovered.contains(&"dumpmask_fixture.customers"), "{v}");
    assert!(uncovered.contains(&"dumpmask_fixture.orders"), "{v}");
    let msg = v["problems"].to_string();
    assert!(
        msg.contains("customers.last_name") && !msg.contains("customers.first_name,"),
        "{msg}"
    );
}

#[test]
fn postgres_unique_constraints_after_the_data_are_known() {
    // pg_dump adds UNIQUE constraints after the data; check reads them.
    let rules = "[tables.customers.columns]\nemail = \"hash\"\n";
    let (code, v) = check(rules, "postgres/plain.sql", &[]);
    assert_eq!(code, 2);
    assert_eq!(
        kinds(&v),
        vec![("unique_not_promised".into(), "email".into())],
        "{v}"
    );
}

#[test]
fn strict_run_fails_before_publishing_output() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("rules.toml");
    std::fs::write(
        &r,
        "[options]\nstrict = true\n[tables.customers.columns]\nfirst_name = \"hash\"\n",
    )
    .unwrap();
    let out_path = dir.path().join("out.sql");
    let out = dumpmask()
        .args([
            "run",
            "--rules",
            r.to_str().unwrap(),
            fixture("mysql/default.sql").to_str().unwrap(),
        ])
        .args(["-o", out_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("strict mode") && err.contains("audit_log.id"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "output left behind"
    );
}

#[test]
fn archives_are_checked_from_their_toc_alone() {
    let rules = "[tables.customers.columns]\nemail = \"hash\"\nfirst_nmae = \"hash\"\n";
    let (code, v) = check(rules, "postgres/custom.dump", &[]);
    assert_eq!(code, 2);
    assert_eq!(
        kinds(&v),
        vec![
            ("unique_not_promised".into(), "email".into()),
            ("unknown_name".into(), "first_nmae".into())
        ],
        "{v}"
    );
    // No table data is read: an archive cut right after its TOC checks the
    // same.
    let whole = std::fs::read(fixture("postgres/custom.dump")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.dump");
    std::fs::write(&cut, &whole[..21600]).unwrap();
    let r = dir.path().join("rules.toml");
    std::fs::write(&r, rules).unwrap();
    let out = dumpmask()
        .args([
            "check",
            "--format",
            "json",
            "--rules",
            r.to_str().unwrap(),
            cut.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let v2: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(kinds(&v2), kinds(&v));
    let (code, v) = check(rules, "postgres/directory", &[]);
    assert_eq!(code, 2, "{v}");
}

#[test]
fn postgres_enums_and_domains_are_known_types() {
    for dump in ["postgres/plain.sql", "postgres/custom.dump"] {
        let bad = "[tables.customers.columns]\nstatus = { transform = \"fixed\", value = \"pending\" }\nemail_domain = { transform = \"hash\", length = 300 }\n";
        let (code, v) = check(bad, dump, &[]);
        assert_eq!(code, 2, "{dump}");
        assert_eq!(
            kinds(&v),
            vec![
                ("type_conflict".into(), "email_domain".into()),
                ("type_conflict".into(), "status".into())
            ],
            "{dump}: {v}"
        );
        let good =
            "[tables.customers.columns]\nstatus = { transform = \"fixed\", value = \"closed\" }\n";
        let (code, v) = check(good, dump, &[]);
        assert_eq!(code, 0, "{dump}: {v}");
    }
}

/// `check` refuses a `--dialect` the dump's header contradicts, as `run`
/// does, with the same error.
#[test]
fn a_dialect_the_header_contradicts_is_refused_by_check_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("rules.toml");
    std::fs::write(&r, "").unwrap();
    let dump = fixture("mysql/default.sql");
    let mut errors = Vec::new();
    for cmd in ["check", "run"] {
        let out = dumpmask()
            .args([cmd, "--dialect", "postgres", "--rules", r.to_str().unwrap()])
            .arg(&dump)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.contains("--dialect says Postgres"), "{cmd}: {err}");
        errors.push(err);
    }
    assert_eq!(errors[0], errors[1]);
}
