//! The path a newcomer takes in the README, on the shipped example:
//! scan, review, check, run, verify; and the completions and man page
//! made from the same definitions as `--help`.

mod common;

use common::*;

fn ok(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_shipped_example_is_clean_under_check() {
    let out = dumpmask()
        .args(["check", "--format", "json", "--rules"])
        .arg(fixture("mysql/rules.toml"))
        .arg(fixture("mysql/default.sql"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);
    // And the run says nothing but its summary: no warning.
    let dir = tempfile::tempdir().unwrap();
    let run = dumpmask()
        .arg("run")
        .arg("--rules")
        .arg(fixture("mysql/rules.toml"))
        .arg(fixture("mysql/default.sql"))
        .arg("-o")
        .arg(dir.path().join("anon.sql"))
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(!String::from_utf8_lossy(&run.stderr).contains("warning"));
}

#[test]
fn the_readme_path_scan_review_check_run_verify() {
    let dir = tempfile::tempdir().unwrap();
    let dump = fixture("mysql/default.sql");
    let starter = dir.path().join("rules.toml");
    let shown = ok(dumpmask()
        .arg("scan")
        .arg(&dump)
        .arg("--rules-out")
        .arg(&starter));
    assert!(shown.contains("PERSONAL email"));
    assert!(shown.contains("starter rules written to"));
    for rules in [starter.clone(), fixture("mysql/rules.toml")] {
        ok(dumpmask().args(["check", "--rules"]).arg(&rules).arg(&dump));
        let anon = dir.path().join("anon.sql");
        ok(dumpmask()
            .args(["run", "-q", "--rules"])
            .arg(&rules)
            .arg(&dump)
            .arg("-o")
            .arg(&anon));
        let evidence = dir.path().join("evidence.json");
        let said = ok(dumpmask()
            .args(["verify", "--rules"])
            .arg(&rules)
            .arg(&dump)
            .arg(&anon)
            .arg("--report")
            .arg(&evidence));
        assert!(said.starts_with("ok:"), "{said}");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&evidence).unwrap()).unwrap();
        assert_eq!(v["ok"], true);
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
    }
}

#[test]
fn completions_and_man_page_come_from_the_command_definitions() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(dumpmask().args(["completions", shell]));
        for word in ["dumpmask", "scan", "verify", "rules-out"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let man = ok(dumpmask().arg("man"));
    assert!(
        man.starts_with(".ie") || man.contains(".TH dumpmask"),
        "{}",
        &man[..200.min(man.len())]
    );
    for section in [
        "DUMPMASK SCAN",
        "DUMPMASK VERIFY",
        "DUMPMASK RUN",
        "\\-\\-rules\\-out",
    ] {
        assert!(man.contains(section), "man page lacks {section}");
    }
    let bad = dumpmask().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
