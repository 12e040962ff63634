//! Records instead of dumps (issue 19): JSON Lines and CSV through
//! `dumpmask run --input-format jsonl|csv --table NAME`.
//!
//! The checks here are independent of dumpmask's readers: JSON is read
//! back with serde_json, CSV with the small reader at the bottom of this
//! file, and the leak oracle searches the output for every original value
//! a rule covers, in raw and JSON-escaped form.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::time::{Duration, Instant};

use common::{contains, dumpmask};
use serde_json::Value;

/// A fresh directory for one test's files.
fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dumpmask-records-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, body: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// `dumpmask run -q ARGS`, its output whatever the status.
fn run(args: &[&str]) -> Output {
    dumpmask().arg("run").arg("-q").args(args).output().unwrap()
}

/// The arguments of a record run: rules, format and table.
fn args<'a>(rules: &'a Path, format: &'a str, table: &'a str) -> Vec<&'a str> {
    vec![
        "--rules",
        rules.to_str().unwrap(),
        "--input-format",
        format,
        "--table",
        table,
    ]
}

/// A record run of `input` with `extra` arguments, expected to succeed.
fn records(rules: &Path, format: &str, table: &str, extra: &[&str], input: &Path) -> Vec<u8> {
    let mut a = args(rules, format, table);
    a.extend_from_slice(extra);
    a.push(input.to_str().unwrap());
    run_ok(&a)
}

fn run_ok(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success(),
        "dumpmask {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `dumpmask run -q ARGS -` with `input` on standard input (the streaming
/// path).
fn run_piped(args: &[&str], input: &[u8]) -> Output {
    common::run_stdin(args, input)
}

const CONSENT_RULES: &str = r#"
[secret]
env = "DUMPMASK_SECRET"

[[tables.events.when]]
if = "data_share_consent = 0"
columns = { dob = "null", ssn = { transform = "fixed", value = "REDACTED_CONTENT" } }
set = { data_redacted = true }
"#;

/// Events of several shapes: key orders, numbers written in ways a
/// re-encoder would change, escapes, nesting, a flag already present,
/// blank spacing. Each opted-out event's dob and ssn are unique, so
/// finding one in the output is a leak.
fn consent_events() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..60 {
        let consent = i % 3 != 0;
        let c = u8::from(consent);
        let line = match i % 4 {
            0 => format!(
                r#"{{"id":{i},"data_share_consent":{c},"dob":"{}-0{}-1{}","ssn":"SSN-{i:04}-X","amount":1.50,"big":12345678901234567890123}}"#,
                1900 + i,
                i % 9 + 1,
                i % 10
            ),
            1 => format!(
                r#"{{ "ssn" : "SSN-{i:04}-\u0059" , "data_share_consent" : {c}, "dob":"{}-01-02", "meta":{{"ts":1e3,"tags":["a","b"]}} }}"#,
                1900 + i
            ),
            2 => format!(
                r#"{{"data_share_consent":{c},"ssn":"SSN-{i:04}-Z \"q\"","dob":null,"data_redacted":false,"name":"Zoë"}}"#
            ),
            _ => format!(
                r#"{{"id":"e{i}","data_share_consent":{c},"dob":"{}-12-03","ssn":"SSN-{i:04}-W"}}"#,
                1900 + i
            ),
        };
        s.push_str(&line);
        s.push_str(if i % 5 == 0 { "\r\n" } else { "\n" });
    }
    s.into_bytes()
}

/// The leak oracle for the consent case: every dob and ssn of an
/// opted-out input event, searched in the whole output as raw text and
/// as its JSON string; found means leaked.
fn assert_no_consent_leak(input: &[u8], output: &[u8]) {
    let mut searched = 0;
    for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(line).unwrap();
        if v["data_share_consent"] != 0 {
            continue;
        }
        for key in ["dob", "ssn"] {
            if let Value::String(s) = &v[key] {
                let escaped = serde_json::to_string(s).unwrap();
                let inner = &escaped[1..escaped.len() - 1];
                for form in [s.as_str(), inner] {
                    assert!(
                        !contains(output, form.as_bytes()),
                        "an opted-out `{key}` survives in the output"
                    );
                }
                searched += 1;
            }
        }
    }
    assert!(searched > 20, "the oracle searched only {searched} values");
}

#[test]
fn consent_case_end_to_end() {
    let d = dir("consent");
    let rules = write(&d, "rules.toml", CONSENT_RULES.as_bytes());
    let input = consent_events();
    let events = write(&d, "events.jsonl", &input);
    let out = records(&rules, "jsonl", "events", &[], &events);
    let ins: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').collect();
    let outs: Vec<&[u8]> = out.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(ins.len(), outs.len());
    let (mut redacted, mut kept) = (0, 0);
    for (i, o) in ins.iter().zip(&outs) {
        let before: Value = serde_json::from_slice(i).unwrap();
        if before["data_share_consent"] == 1 {
            assert_eq!(i, o, "a consenting event changed");
            kept += 1;
            continue;
        }
        redacted += 1;
        // Line endings stay as they were.
        assert_eq!(i.ends_with(b"\r\n"), o.ends_with(b"\r\n"));
        let after: Value = serde_json::from_slice(o).expect("output is JSON");
        let (b, a) = (before.as_object().unwrap(), after.as_object().unwrap());
        assert_eq!(a["dob"], Value::Null);
        assert_eq!(a["ssn"], "REDACTED_CONTENT");
        assert_eq!(a["data_redacted"], Value::Bool(true));
        // Every other key keeps its value and its place; a flag that was
        // absent comes last.
        let mut want: Vec<&str> = b.keys().map(String::as_str).collect();
        if !b.contains_key("data_redacted") {
            want.push("data_redacted");
        }
        assert_eq!(a.keys().map(String::as_str).collect::<Vec<_>>(), want);
        for (k, v) in b {
            if !["dob", "ssn", "data_redacted"].contains(&k.as_str()) {
                assert_eq!(&a[k], v, "key {k}");
            }
        }
        // Numbers are never re-encoded.
        for n in ["1.50", "12345678901234567890123", "1e3"] {
            assert_eq!(contains(i, n.as_bytes()), contains(o, n.as_bytes()));
        }
    }
    assert!(redacted >= 20 && kept >= 40, "{redacted} {kept}");
    assert_no_consent_leak(&input, &out);
}

/// A one-column MySQL dump of `customers(email)`.
fn mysql_dump(emails: &[&str]) -> String {
    let rows: Vec<String> = emails
        .iter()
        .enumerate()
        .map(|(i, e)| format!("({},'{e}')", i + 1))
        .collect();
    format!(
        "-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE `customers` (\n  `id` int(11) NOT NULL,\n  `email` varchar(255) DEFAULT NULL,\n  PRIMARY KEY (`id`)\n);\nINSERT INTO `customers` VALUES {};\n",
        rows.join(",")
    )
}

/// The dump's rules. (A rules file naming tables a dump lacks is refused
/// on that dump, so the records' tables have their own file; the secret
/// and the transformers' default domains are what the pseudonyms share.)
const DUMP_RULES: &str = r#"
[secret]
env = "DUMPMASK_SECRET"

[tables.customers.columns]
email = "email"
"#;

const SHARED_RULES: &str = r#"
[secret]
env = "DUMPMASK_SECRET"

[tables.events.columns]
email = "email"
profile = { transform = "json", paths = { "$.contact.email" = "email" } }

[tables.export.columns]
email = "email"
"#;

#[test]
fn one_email_one_pseudonym_in_dump_events_and_csv() {
    let d = dir("join");
    let rules = write(&d, "rules.toml", SHARED_RULES.as_bytes());
    let dump_rules = write(&d, "dump-rules.toml", DUMP_RULES.as_bytes());
    let emails = ["alice@example.com", "bob+tag@example.org"];
    let dump = write(&d, "dump.sql", mysql_dump(&emails).as_bytes());
    let dumped = run_ok(&[
        "--rules",
        dump_rules.to_str().unwrap(),
        dump.to_str().unwrap(),
    ]);
    let dumped = String::from_utf8(dumped).unwrap();
    // The dump's pseudonyms, in row order (none holds a quote).
    let values = dumped.split("VALUES ").nth(1).unwrap();
    let from_dump: Vec<&str> = values.split('\'').skip(1).step_by(2).collect();
    assert_eq!(from_dump.len(), 2);
    // In events: top level (one of them escaped), and inside a nested
    // document through a `json` path.
    let events = write(
        &d,
        "events.jsonl",
        br#"{"email":"alice@example.com","profile":{"contact":{"email":"bob+tag@example.org","n":1.0}}}
{"email":"al\u0069ce@example.com","profile":{"contact":{"email":"alice@example.com"}}}
"#,
    );
    let ev = records(&rules, "jsonl", "events", &[], &events);
    let lines: Vec<Value> = ev
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines[0]["email"], from_dump[0]);
    assert_eq!(lines[1]["email"], from_dump[0]);
    assert_eq!(lines[0]["profile"]["contact"]["email"], from_dump[1]);
    assert_eq!(lines[1]["profile"]["contact"]["email"], from_dump[0]);
    // The nested document's other bytes stay as written.
    assert!(contains(&ev, br#""n":1.0}}"#));
    // In CSV, quoted or not.
    let csv = write(
        &d,
        "export.csv",
        b"id,email\n1,alice@example.com\n2,\"bob+tag@example.org\"\n",
    );
    let out = records(&rules, "csv", "export", &[], &csv);
    let records = read_csv(&out, b',');
    assert_eq!(records[1][1].0, from_dump[0]);
    assert_eq!(records[2][1].0, from_dump[1]);
    for e in emails {
        assert!(!contains(dumped.as_bytes(), e.as_bytes()));
        assert!(!contains(&ev, e.as_bytes()));
        assert!(!contains(&out, e.as_bytes()));
    }
}

const CSV_RULES: &str = r#"
[secret]
env = "DUMPMASK_SECRET"

[tables.people.columns]
name = "full_name"
email = "email"
note = { transform = "fixed", value = "a \"quoted\", note" }
"#;

fn people_csv() -> Vec<u8> {
    let mut s = String::from("id,name,email,note,city\r\n");
    for i in 0..50 {
        let name = match i % 3 {
            0 => format!("Person {i}"),
            1 => format!("\"Smith, Person{i}\""),
            _ => format!("\"Per\"\"son\"\" {i}\""),
        };
        let note = if i % 4 == 0 {
            format!("\"line one {i}\nline two\"")
        } else {
            format!("note{i}")
        };
        let city = if i % 2 == 0 { "\"Paris\"" } else { "Lyon" };
        s.push_str(&format!(
            "{i},{name},person{i}@example.com,{note},{city}\r\n"
        ));
    }
    s.into_bytes()
}

#[test]
fn csv_round_trip_keeps_counts_and_quoting() {
    let d = dir("csv");
    let rules = write(&d, "rules.toml", CSV_RULES.as_bytes());
    let input = people_csv();
    let file = write(&d, "people.csv", &input);
    let out = records(&rules, "csv", "people", &[], &file);
    let before = read_csv(&input, b',');
    let after = read_csv(&out, b',');
    assert_eq!(before.len(), after.len(), "records");
    assert_eq!(before[0], after[0], "the header");
    for (b, a) in before.iter().zip(&after).skip(1) {
        assert_eq!(b.len(), a.len(), "fields");
        // Unruled fields: same text, same quoting.
        assert_eq!(b[0], a[0]);
        assert_eq!(b[4], a[4]);
        // Ruled fields: new text; quoted where they were.
        for i in [1, 2, 3] {
            assert_ne!(b[i].0, a[i].0);
            if b[i].1 {
                assert!(a[i].1, "field {i} lost its quotes");
            }
        }
        assert_eq!(a[3].0, "a \"quoted\", note");
        assert!(a[3].1);
    }
    // Line breaks stay `\r\n`.
    assert_eq!(
        out.windows(2).filter(|w| w == b"\r\n").count(),
        input.windows(2).filter(|w| w == b"\r\n").count()
    );
    // Leak oracle: no original name, e-mail or note.
    for rec in before.iter().skip(1) {
        for i in [1, 2, 3] {
            assert!(
                !contains(&out, rec[i].0.as_bytes()),
                "an original of column {i} survives"
            );
        }
    }
}

#[test]
fn csv_without_header_and_with_another_delimiter() {
    let d = dir("csv-nohead");
    let rules = write(
        &d,
        "rules.toml",
        b"[secret]\nenv = \"DUMPMASK_SECRET\"\n[tables.t.columns]\nc2 = \"email\"\n",
    );
    let file = write(
        &d,
        "t.csv",
        b"1;alice@example.com;x\n2;\"bob;b@example.com\";y\n",
    );
    let out = records(
        &rules,
        "csv",
        "t",
        &["--delimiter", ";", "--no-header"],
        &file,
    );
    let recs = read_csv(&out, b';');
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0][0].0, "1");
    assert_eq!(recs[1][2].0, "y");
    assert!(recs[0][1].0.contains('@') && !contains(&out, b"alice@"));
    assert!(!contains(&out, b"bob;b@"));
}

#[test]
fn a_byte_order_mark_is_kept_and_read_past() {
    let d = dir("bom");
    let rules = write(
        &d,
        "rules.toml",
        b"[secret]\nenv = \"DUMPMASK_SECRET\"\n[tables.t.columns]\nemail = \"email\"\n",
    );
    for (format, body) in [
        ("csv", &b"\xEF\xBB\xBFemail,n\na@example.com,1\n"[..]),
        ("jsonl", &b"\xEF\xBB\xBF{\"email\":\"a@example.com\"}\n"[..]),
    ] {
        let input = write(&d, "in", body);
        let out = records(&rules, format, "t", &[], &input);
        assert!(out.starts_with(b"\xEF\xBB\xBF"), "{format}");
        assert!(!contains(&out, b"a@example.com"), "{format}");
        let piped = run_piped(&args(&rules, format, "t"), body);
        assert_eq!(piped.stdout, out, "{format}: the stream differs");
    }
}

#[test]
fn latency_from_a_fifo() {
    let d = dir("fifo");
    let rules = write(&d, "rules.toml", CONSENT_RULES.as_bytes());
    let fifo = d.join("events.fifo");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let mut child = dumpmask()
        .args(["run", "-q", "--rules"])
        .arg(&rules)
        .args(["--input-format", "jsonl", "--table", "events"])
        .arg(&fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // Opening the write end waits for dumpmask to open the read end.
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let started = Instant::now();
    for i in 0..3 {
        writeln!(
            w,
            r#"{{"id":{i},"data_share_consent":0,"dob":"1990-01-0{i}","ssn":"S{i}"}}"#
        )
        .unwrap();
        w.flush().unwrap();
    }
    let mut got = Vec::new();
    while got.len() < 3 {
        let left = Duration::from_secs(2).saturating_sub(started.elapsed());
        match rx.recv_timeout(left) {
            Ok(l) => got.push(l),
            Err(_) => break,
        }
    }
    // The input is still open here.
    assert_eq!(got.len(), 3, "lines out within 2 s: {got:?}");
    for l in &got {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["ssn"], "REDACTED_CONTENT");
    }
    drop(w);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
}

/// Runs a failing input through `-o OUT`: the error names the line, the
/// exit is non-zero, no file exists under OUT, and no value is printed.
fn assert_fails_at(format: &str, extra: &[&str], body: &[u8], line: u64, secret_value: &str) {
    let d = dir(&format!("err-{format}-{line}"));
    let rules = write(
        &d,
        "rules.toml",
        b"[secret]\nenv = \"DUMPMASK_SECRET\"\n[tables.t.columns]\nemail = \"email\"\n",
    );
    let input = write(&d, "in", body);
    let out_path = d.join("out");
    for threads in ["1", "2"] {
        let mut args = args(&rules, format, "t");
        args.extend_from_slice(&[
            "--threads",
            threads,
            "--chunk-size",
            "16",
            "-o",
            out_path.to_str().unwrap(),
        ]);
        args.extend_from_slice(extra);
        args.push(input.to_str().unwrap());
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains(&format!(":{line} (byte ")), "{err}");
        assert!(!err.contains(secret_value), "{err}");
        assert!(!out_path.exists());
        assert!(std::fs::read_dir(&d).unwrap().count() == 2, "a stray file");
    }
    // The streaming path says the same.
    let mut args = args(&rules, format, "t");
    args.extend_from_slice(extra);
    let out = run_piped(&args, body);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(&format!(":{line} (byte ")), "{err}");
}

#[test]
fn invalid_json_names_its_line() {
    assert_fails_at(
        "jsonl",
        &[],
        b"{\"email\":\"a@example.com\"}\n{\"email\":\"b@example.com\"}\n{\"email\":\"c@example.com\",}\n",
        3,
        "c@example.com",
    );
    assert_fails_at(
        "jsonl",
        &[],
        b"{\"email\":\"x@example.com\"}\n[1,2]\n",
        2,
        "x@",
    );
}

#[test]
fn wrong_field_count_names_its_line() {
    assert_fails_at(
        "csv",
        &[],
        b"id,email\n1,a@example.com\n2,b@example.com,extra-value\n",
        3,
        "extra-value",
    );
}

#[test]
fn unterminated_quote_names_its_line() {
    assert_fails_at(
        "csv",
        &[],
        b"id,email\n1,a@example.com\n2,\"b@example.com\n3,c@example.com\n",
        3,
        "b@example.com",
    );
}

#[test]
fn a_key_no_record_has_is_an_error_unless_allowed() {
    let d = dir("absent");
    let rules = write(
        &d,
        "rules.toml",
        b"[secret]\nenv = \"DUMPMASK_SECRET\"\n[tables.t.columns]\nemial = \"email\"\n",
    );
    let input = write(&d, "in.jsonl", b"{\"email\":\"a@example.com\"}\n");
    let base = args(&rules, "jsonl", "t");
    let out = run(&[&base[..], &[input.to_str().unwrap()]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`emial`"), "{err}");
    let out = dumpmask()
        .arg("run")
        .args(base)
        .arg("--allow-absent-keys")
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning"));
    // A CSV header is known: a rule on a column it lacks fails up front.
    let csv = write(&d, "in.csv", b"email\na@example.com\n");
    let out = run(&[&args(&rules, "csv", "t")[..], &[csv.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn threads_chunks_and_streams_give_the_same_bytes() {
    let d = dir("paths");
    let shared = write(&d, "shared.toml", SHARED_RULES.as_bytes());
    let consent = write(&d, "consent.toml", CONSENT_RULES.as_bytes());
    let mut events = consent_events();
    // The last record without a line break.
    events.extend_from_slice(br#"{"data_share_consent":0,"ssn":"LAST-ONE"}"#);
    let cases: [(&Path, &str, &str, Vec<u8>); 3] = [
        (&consent, "jsonl", "events", events),
        (&shared, "csv", "export", {
            let mut c = b"note,email\n".to_vec();
            for i in 0..40 {
                c.extend_from_slice(
                    format!("\"multi\nline {i}, \"\"q\"\"\",u{i}@example.com\n").as_bytes(),
                );
            }
            c
        }),
        (&shared, "jsonl", "events", {
            let mut e = Vec::new();
            for i in 0..40 {
                e.extend_from_slice(
                    format!("{{\"email\":\"u{i}@example.com\",\"profile\":{{\"contact\":{{\"email\":\"v{i}@example.com\"}}}}}}\n")
                        .as_bytes(),
                );
            }
            e
        }),
    ];
    for (rules, format, table, body) in cases {
        let input = write(&d, "input", &body);
        let base = args(rules, format, table);
        let reference = records(rules, format, table, &["--threads", "1"], &input);
        assert_ne!(reference, body, "{format}: nothing was rewritten");
        for extra in [
            &["--threads", "2"][..],
            &["--threads", "2", "--chunk-size", "1"][..],
            &["--threads", "1", "--chunk-size", "7"][..],
            &["--threads", "2", "--chunk-size", "100"][..],
        ] {
            let got = records(rules, format, table, extra, &input);
            assert!(got == reference, "{format} {extra:?} differs");
        }
        let piped = run_piped(&base, &body);
        assert!(piped.status.success());
        assert!(piped.stdout == reference, "{format}: the stream differs");
    }
}

/// A plain RFC 4180 reader, written here to check the output without
/// dumpmask's own: each field's text and whether it was quoted.
fn read_csv(b: &[u8], delim: u8) -> Vec<Vec<(String, bool)>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    let mut at_start = true;
    let finish = |field: &mut Vec<u8>, quoted: &mut bool, record: &mut Vec<(String, bool)>| {
        record.push((String::from_utf8(std::mem::take(field)).unwrap(), *quoted));
        *quoted = false;
    };
    while i < b.len() {
        let c = b[i];
        if at_start && c == b'"' {
            quoted = true;
            at_start = false;
            i += 1;
            loop {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        field.push(b'"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                field.push(b[i]);
                i += 1;
            }
            continue;
        }
        at_start = false;
        if c == delim {
            finish(&mut field, &mut quoted, &mut record);
            at_start = true;
        } else if c == b'\n' || (c == b'\r' && b.get(i + 1) == Some(&b'\n')) {
            finish(&mut field, &mut quoted, &mut record);
            records.push(std::mem::take(&mut record));
            at_start = true;
            if c == b'\r' {
                i += 1;
            }
        } else {
            field.push(c);
        }
        i += 1;
    }
    if !at_start || !record.is_empty() {
        finish(&mut field, &mut quoted, &mut record);
        records.push(record);
    }
    records
}
