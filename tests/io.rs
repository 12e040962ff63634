//! Compressed input and output, the run report, and clean failure:
//! signals, a full disk, a closed pipe.

mod common;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use common::*;

fn rules() -> String {
    fixture("mysql/rules.toml").display().to_string()
}

fn tool(name: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(name)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let t = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    t.join().unwrap().unwrap();
    assert!(out.status.success(), "{name} {args:?} failed");
    out.stdout
}

#[test]
fn every_compression_pair_gives_the_same_dump() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixture("mysql/default.sql")).unwrap();
    let expected = run_ok(&[
        "--rules",
        &rules(),
        fixture("mysql/default.sql").to_str().unwrap(),
    ])
    .stdout;
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("sql", plain.clone()),
        ("sql.gz", tool("gzip", &["-c"], &plain)),
        ("sql.zst", tool("zstd", &["-q", "-c"], &plain)),
    ];
    for (ext, bytes) in &inputs {
        let input = dir.path().join(format!("in.{ext}"));
        std::fs::write(&input, bytes).unwrap();
        for (out_ext, decompress) in [
            ("sql", None),
            ("sql.gz", Some("gzip")),
            ("sql.zst", Some("zstd")),
        ] {
            let out = dir.path().join(format!("out-{ext}.{out_ext}"));
            run_ok(&[
                "--rules",
                &rules(),
                "--threads",
                "2",
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ]);
            let written = std::fs::read(&out).unwrap();
            let got = match decompress {
                None => written,
                Some(t) => tool(t, &["-d", "-c"], &written),
            };
            assert!(got == expected, "{ext} -> {out_ext} through a file");
            // The same input on standard input, compressed to stdout.
            let flag = match decompress {
                None => "none",
                Some("gzip") => "gzip",
                _ => "zstd",
            };
            let s = run_stdin(&["--rules", &rules(), "--compress", flag], bytes);
            assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
            let got = match decompress {
                None => s.stdout,
                Some(t) => tool(t, &["-d", "-c"], &s.stdout),
            };
            assert!(got == expected, "{ext} -> {out_ext} through standard input");
        }
    }
}

#[test]
fn multi_member_gzip_and_multi_frame_zstd_input() {
    let plain = std::fs::read(fixture("mysql/default.sql")).unwrap();
    let expected = run_ok(&[
        "--rules",
        &rules(),
        fixture("mysql/default.sql").to_str().unwrap(),
    ])
    .stdout;
    let (a, b) = plain.split_at(plain.len() / 3);
    for tool_name in ["gzip", "zstd"] {
        let mut joined = tool(tool_name, &["-q", "-c"], a);
        joined.extend(tool(tool_name, &["-q", "-c"], b));
        let s = run_stdin(&["--rules", &rules()], &joined);
        assert!(
            s.status.success(),
            "{tool_name}: {}",
            String::from_utf8_lossy(&s.stderr)
        );
        assert!(s.stdout == expected, "{tool_name}: several members/frames");
    }
}

#[test]
fn corrupt_compressed_input_fails_with_an_offset_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixture("mysql/default.sql")).unwrap();
    let mut gz = tool("gzip", &["-c"], &plain);
    let n = gz.len();
    gz[n / 2] ^= 0xff;
    gz[n / 2 + 1] ^= 0x55;
    let input = dir.path().join("bad.sql.gz");
    std::fs::write(&input, &gz).unwrap();
    let out = dir.path().join("out.sql");
    let r = dumpmask()
        .args([
            "run",
            "--rules",
            &rules(),
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        r.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(String::from_utf8_lossy(&r.stderr).contains("byte"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "output left behind"
    );
}

#[test]
fn report_has_the_documented_fields_and_no_values() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    run_ok(&[
        "--rules",
        &rules(),
        fixture("mysql/default.sql").to_str().unwrap(),
        "-o",
        dir.path().join("out.sql").to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&report).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for field in [
        "version",
        "rules_fingerprint",
        "tables_seen",
        "tables_ruled",
        "rows_seen",
        "rows_rewritten",
        "rows_dropped",
        "bytes_in",
        "bytes_out",
        "bytes_written",
        "compression",
        "duration_seconds",
        "throughput_mb_per_s",
        "tables",
    ] {
        assert!(v.get(field).is_some(), "report lacks {field}");
    }
    let customers = &v["tables"]["dumpmask_fixture.customers"];
    assert_eq!(customers["rows_seen"], 12);
    assert_eq!(customers["columns"]["email"]["transform"], "email");
    assert_eq!(customers["columns"]["email"]["values_changed"], 12);
    assert_eq!(
        v["bytes_in"],
        std::fs::metadata(fixture("mysql/default.sql"))
            .unwrap()
            .len()
    );
    for value in [
        "alice",
        "Alice",
        "O\\'Brien",
        "192.168.1.10",
        "123-45-6789",
        SECRET,
    ] {
        assert!(
            !text.contains(value),
            "the report holds a data value or the secret"
        );
    }
}

/// A dump big enough to take a while in a debug build.
fn big_dump(dir: &std::path::Path) -> std::path::PathBuf {
    let one = std::fs::read(fixture("mysql/skip-extended-insert.sql")).unwrap();
    let path = dir.join("big.sql");
    let mut f = std::fs::File::create(&path).unwrap();
    for _ in 0..2000 {
        f.write_all(&one).unwrap();
    }
    path
}

#[test]
fn sigterm_mid_run_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_dump(dir.path());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("anon.sql");
    let child = dumpmask()
        .args([
            "run",
            "-q",
            "--rules",
            &rules(),
            "--threads",
            "2",
            "--chunk-size",
            "4K",
        ])
        .args([input.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let r = child.wait_with_output().unwrap();
    assert_eq!(
        r.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert_eq!(
        std::fs::read_dir(&out_dir).unwrap().count(),
        0,
        "output left behind"
    );
}

#[test]
fn full_disk_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("anon.sql");
    let mut cmd = dumpmask();
    cmd.args([
        "run",
        "-q",
        "--rules",
        &rules(),
        fixture("mysql/default.sql").to_str().unwrap(),
    ])
    .args(["-o", out.to_str().unwrap()]);
    // A file size limit makes writes fail as on a full disk.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 4096,
                rlim_max: 4096,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let r = cmd.output().unwrap();
    assert_eq!(
        r.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(String::from_utf8_lossy(&r.stderr).contains("anon.sql"));
    assert_eq!(
        std::fs::read_dir(&out_dir).unwrap().count(),
        0,
        "output left behind"
    );
}

#[test]
fn closed_pipe_exits_quietly_with_its_own_code() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_dump(dir.path());
    let mut child = dumpmask()
        .args(["run", "-q", "--rules", &rules(), input.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 100];
    std::io::Read::read_exact(&mut stdout, &mut buf).unwrap();
    drop(stdout);
    let r = child.wait_with_output().unwrap();
    assert_eq!(r.status.code(), Some(141));
    assert!(
        r.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn independent_zstd_frames_decompress_in_parallel_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_dump(dir.path());
    // dumpmask's own zstd output: independent 4 MiB frames.
    let framed = dir.path().join("framed.sql.zst");
    run_ok(&[
        "--rules",
        &rules(),
        input.to_str().unwrap(),
        "-o",
        framed.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&framed).unwrap();
    // From the file (frames shared out) and from standard input (one
    // decoder) the rewrite of the decompressed dump is the same.
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let from_file = run_ok(&["--rules", empty.to_str().unwrap(), framed.to_str().unwrap()]).stdout;
    let from_stdin = run_stdin(&["--rules", empty.to_str().unwrap()], &bytes);
    assert!(from_stdin.status.success());
    assert!(
        from_file == from_stdin.stdout,
        "parallel frames differ from the stream"
    );
    assert!(from_file.len() > 8 << 20, "the test needs several frames");
    // A corrupt frame in the middle is an error, not a short dump.
    let mut bad = bytes.clone();
    let mid = bad.len() / 2;
    for b in &mut bad[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let bad_path = dir.path().join("bad.sql.zst");
    std::fs::write(&bad_path, &bad).unwrap();
    let out_path = dir.path().join("out.sql");
    let r = dumpmask()
        .args([
            "run",
            "-q",
            "--rules",
            empty.to_str().unwrap(),
            bad_path.to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        r.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(!out_path.exists());
}

#[test]
fn compression_level_out_of_range_is_a_usage_error() {
    for (kind, level) in [("gzip", "12"), ("zstd", "0"), ("zstd", "23")] {
        let out = dumpmask()
            .args([
                "run",
                "-q",
                "--rules",
                &rules(),
                "--compress",
                kind,
                "--level",
                level,
            ])
            .arg(fixture("mysql/default.sql"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{kind} {level}");
        assert!(out.stdout.is_empty());
    }
}
