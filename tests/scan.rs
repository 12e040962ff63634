//! `dumpmask scan`: recall and precision against hand-labelled lists of
//! personal columns, starter rules that `check` accepts, `run` uses and
//! the servers restore, every input form, and never a data value in what
//! it prints or writes.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

/// `table.column` of every column scan found personal.
fn found(v: &serde_json::Value) -> BTreeSet<String> {
    let mut s = BTreeSet::new();
    for t in v["tables"].as_array().unwrap() {
        for c in t["columns"].as_array().unwrap() {
            if !c["category"].is_null() {
                s.insert(format!(
                    "{}.{}",
                    t["table"].as_str().unwrap(),
                    c["column"].as_str().unwrap()
                ));
            }
        }
    }
    s
}

fn labels(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Recall and precision of `found` against `truth`.
fn score(name: &str, found: &BTreeSet<String>, truth: &BTreeSet<String>) -> (f64, f64) {
    let hits = found.intersection(truth).count() as f64;
    let recall = hits / truth.len() as f64;
    let precision = hits / found.len().max(1) as f64;
    eprintln!(
        "{name}: recall {recall:.3} ({hits}/{}), precision {precision:.3} ({hits}/{}); missed {:?}; wrongly flagged {:?}",
        truth.len(),
        found.len(),
        truth.difference(found).collect::<Vec<_>>(),
        found.difference(truth).collect::<Vec<_>>()
    );
    (recall, precision)
}

#[test]
fn recall_and_precision_on_the_fixtures() {
    for (dump, truth) in [
        ("mysql/default.sql", "mysql/personal-columns.txt"),
        ("postgres/plain.sql", "postgres/personal-columns.txt"),
        ("postgres/custom.dump", "postgres/personal-columns.txt"),
        ("postgres/directory", "postgres/personal-columns.txt"),
    ] {
        let v = scan_json(&fixture(dump), &[]);
        let (recall, precision) = score(dump, &found(&v), &labels(&fixture(truth)));
        assert!(recall >= 0.95, "{dump}: recall {recall}");
        assert!(precision >= 0.85, "{dump}: precision {precision}");
    }
}

#[test]
fn every_input_form_gives_the_same_scan() {
    let dir = tempfile::tempdir().unwrap();
    let plain = fixture("mysql/default.sql");
    let want = scan_json(&plain, &[]);
    let bytes = std::fs::read(&plain).unwrap();
    let gz = dir.path().join("d.sql.gz");
    {
        use std::io::Write;
        let mut e =
            flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), Default::default());
        e.write_all(&bytes).unwrap();
        e.finish().unwrap();
    }
    let zst = dir.path().join("d.sql.zst");
    std::fs::write(&zst, zstd::encode_all(&bytes[..], 3).unwrap()).unwrap();
    for p in [&gz, &zst] {
        assert_eq!(
            scan_json(p, &[])["tables"],
            want["tables"],
            "{}",
            p.display()
        );
    }
    let out = dumpmask()
        .args(["scan", "--format", "json", "-"])
        .stdin(std::fs::File::open(&plain).unwrap())
        .output()
        .unwrap();
    let stdin: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stdin["tables"], want["tables"]);
    // Row counts and types, as the fixture holds them.
    let customers = want["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "dumpmask_fixture.customers")
        .unwrap();
    assert_eq!(customers["rows"], 12);
    assert_eq!(customers["columns"][3]["column"], "email");
    assert_eq!(customers["columns"][3]["type"], "varchar(120)");
    assert_eq!(customers["columns"][3]["unique"], true);
    // The archives hold the plain dump's database.
    let pg = scan_json(&fixture("postgres/plain.sql"), &[]);
    for a in ["postgres/custom.dump", "postgres/directory"] {
        let v = scan_json(&fixture(a), &[]);
        let rows = |v: &serde_json::Value| -> Vec<(String, u64)> {
            v["tables"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t["table"].as_str().unwrap().to_string(),
                        t["rows"].as_u64().unwrap(),
                    )
                })
                .collect()
        };
        assert_eq!(rows(&v), rows(&pg), "{a}");
    }
}

/// A MariaDB dump whose columns say nothing by their names; their values
/// are planted personal data of each shape.
const PLANTED: &str = "-- MariaDB dump 10.19
CREATE TABLE `t` (
  `id` int(11) NOT NULL,
  `c1` varchar(100) DEFAULT NULL,
  `c2` varchar(40) DEFAULT NULL,
  `c3` varchar(40) DEFAULT NULL,
  `c4` varchar(40) DEFAULT NULL,
  `c5` varchar(40) DEFAULT NULL,
  `c6` varchar(40) DEFAULT NULL,
  `c7` date DEFAULT NULL,
  `c8` text,
  `c9` varchar(40) DEFAULT NULL,
  PRIMARY KEY (`id`)
);
INSERT INTO `t` VALUES
(1,'zq.planted@example.org','+4915112345678','GB82 WEST 1234 5698 7654 32','4111 1111 1111 1111','198.51.100.23','123-45-6789','1961-07-14','{\"contact\": {\"mail\": \"yv.planted@example.net\"}}','plain words'),
(2,'wx.planted@example.com','+33612345678','DE89 3704 0044 0532 0130 00','5500 0000 0000 0004','2001:db8::77','12345678Z','1972-02-29','{\"contact\": {\"mail\": \"uu.planted@example.net\"}}','more words'),
(3,'vv.planted@example.net','(555) 010-4477','FR14 2004 1010 0505 0001 3M02 606','3782 822463 10005','203.0.113.9','111.444.777-35','1990-12-01','{\"contact\": {\"mail\": \"tt.planted@example.net\"}}','other words');
";

const PLANTED_VALUES: &[&str] = &[
    "planted",
    "+4915112345678",
    "+33612345678",
    "WEST",
    "4111",
    "5500",
    "198.51.100.23",
    "2001:db8",
    "123-45-6789",
    "12345678Z",
    "1961-07-14",
    "1972",
    "words",
];

#[test]
fn values_are_judged_by_shape_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump.sql");
    std::fs::write(&dump, PLANTED).unwrap();
    let rules = dir.path().join("rules.toml");
    let v = scan_json(&dump, &["--rules-out", rules.to_str().unwrap()]);
    let cat = |col: &str| -> String {
        v["tables"][0]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["column"] == col)
            .unwrap()["category"]
            .as_str()
            .unwrap_or("none")
            .to_string()
    };
    for (col, want) in [
        ("c1", "email"),
        ("c2", "phone"),
        ("c3", "iban"),
        ("c4", "card_number"),
        ("c5", "ip_address"),
        ("c6", "national_id"),
        ("c7", "birth_date"),
        ("c8", "json"),
        ("c9", "none"),
        ("id", "none"),
    ] {
        assert_eq!(cat(col), want, "{col}");
    }
    let c8 = &v["tables"][0]["columns"][8];
    assert_eq!(c8["json_paths"][0][0], "$.contact.mail");
    let text = dumpmask().arg("scan").arg(&dump).output().unwrap();
    let shown = [
        v.to_string(),
        String::from_utf8_lossy(&text.stdout).into_owned(),
        String::from_utf8_lossy(&text.stderr).into_owned(),
        std::fs::read_to_string(&rules).unwrap(),
    ];
    for s in &shown {
        for value in PLANTED_VALUES {
            assert!(!s.contains(value), "scan shows a value ({value}):\n{s}");
        }
    }
}

/// Scans `dump`, writes starter rules, and checks that `check` accepts
/// them and `run` uses them; returns the rules and the output.
fn starter_rules_run(dump: &Path, dir: &Path, out_name: &str) -> (String, std::path::PathBuf) {
    let rules = dir.join(format!("{out_name}.toml"));
    let out = dumpmask()
        .arg("scan")
        .arg(dump)
        .arg("--rules-out")
        .arg(&rules)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&rules).unwrap();
    assert!(text.contains("[options]\nstrict = true\n"));
    let check = dumpmask()
        .args(["check", "--rules"])
        .arg(&rules)
        .arg(dump)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "check refused the starter rules:\n{}\n{text}",
        String::from_utf8_lossy(&check.stdout)
    );
    let anon = dir.join(out_name);
    run_ok(&[
        "--rules",
        rules.to_str().unwrap(),
        dump.to_str().unwrap(),
        "-o",
        anon.to_str().unwrap(),
    ]);
    (text, anon)
}

#[test]
fn starter_rules_are_accepted_used_and_restored_mysql() {
    let dir = tempfile::tempdir().unwrap();
    let (text, anon) = starter_rules_run(&fixture("mysql/default.sql"), dir.path(), "anon.sql");
    // Fitted to types and constraints, each with why.
    assert!(text.contains("\"email\" = { transform = \"email\", unique = true }"));
    assert!(text.contains("\"personal_number\" = { transform = \"mask\", unique = true }"));
    assert!(text
        .contains("\"profile\" = { transform = \"json\", paths = { \"$.email\" = \"email\" } }"));
    assert!(text.contains("# email (varchar(120)): column name `email`"));
    assert!(text.contains("\"balance\" = \"keep\""));
    // The run's output passes verify.
    let v = dumpmask()
        .arg("verify")
        .arg("--rules")
        .arg(dir.path().join("anon.sql.toml"))
        .arg(fixture("mysql/default.sql"))
        .arg(&anon)
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    if !mariadb_available() {
        return;
    }
    let db = format!("dm_scan_{}", std::process::id());
    mariadb(
        None,
        &format!("DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}"),
    );
    mariadb_load(&db, &anon);
    let n = mariadb(
        Some(&db),
        "SELECT COUNT(*), COUNT(DISTINCT email) FROM customers",
    );
    mariadb(None, &format!("DROP DATABASE {db}"));
    let original: Vec<&str> = n.split_whitespace().collect();
    assert_eq!(original, ["12", "12"], "restored rows and distinct e-mails");
}

#[test]
fn starter_rules_are_accepted_used_and_restored_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let (_, anon) = starter_rules_run(&fixture("postgres/plain.sql"), dir.path(), "anon.sql");
    let (_, archive) = starter_rules_run(&fixture("postgres/custom.dump"), dir.path(), "anon.dump");
    if !postgres_available() {
        return;
    }
    let db = PgDb::fresh("scan");
    psql_load(&db.0, &anon);
    assert_eq!(
        psql(&db.0, "SELECT COUNT(*) FROM public.customers").trim(),
        "12"
    );
    let restored = PgDb::fresh("scanfc");
    let out = std::process::Command::new("pg_restore")
        .args(["-U", "postgres", "--exit-on-error", "-d", &restored.0])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        psql(&restored.0, "SELECT COUNT(*) FROM public.customers").trim(),
        "12"
    );
}
