//! The path tester, after ripgrep's `SearcherTester`: one dump through
//! every way in (whole in memory as a mapped file is read, or streamed in
//! windows as standard input is) × thread count × chunk size × window,
//! demanding the same bytes out, or the same error: kind, byte position,
//! line, table and message. The SIMD level is the process's
//! (`DUMPMASK_SIMD`); CI runs the suites at each level.

use dumpmask::rules::Rules;
use dumpmask::Engine;
use dumpmask::{Error, RewriterBuilder};

/// What a path gave: the output, or the error's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The rewritten bytes.
    Bytes(Vec<u8>),
    /// Kind, byte, line, table and message of the error.
    Error(String),
}

impl Outcome {
    fn of(r: dumpmask::Result<Vec<u8>>) -> Outcome {
        match r {
            Ok(b) => Outcome::Bytes(b),
            Err(e) => Outcome::Error(identity(&e)),
        }
    }
}

/// An error without the input's name (which differs between paths).
fn identity(e: &Error) -> String {
    format!(
        "{:?} at {:?} in {:?}: {}",
        e.kind(),
        e.position(),
        e.table(),
        e.message()
    )
}

/// The paths tried.
pub struct PathTester {
    /// Thread counts.
    pub threads: Vec<usize>,
    /// Chunk sizes.
    pub chunks: Vec<usize>,
    /// Stream windows.
    pub windows: Vec<usize>,
}

impl Default for PathTester {
    fn default() -> Self {
        PathTester {
            threads: vec![1, 2],
            chunks: vec![1, 7, 64, 2 << 20],
            windows: vec![1, 16, 8 << 20],
        }
    }
}

impl PathTester {
    /// Runs `dump` under `rules` through every path; panics naming the
    /// first path that disagrees with the sequential whole-input one.
    /// Returns that reference outcome.
    pub fn assert_agree(&self, dump: &[u8], rules: &str, engine: Engine) -> Outcome {
        // The binary's tests give the secret in the environment; here it
        // comes from a file holding the same bytes, unless the rules name
        // their own.
        let text = if rules.contains("[secret]") {
            rules.replace(
                "env = \"DUMPMASK_SECRET\"",
                &format!("file = {:?}", secret_file()),
            )
        } else {
            format!("[secret]\nfile = {:?}\n{rules}", secret_file())
        };
        let rules = Rules::parse(&text, "rules.toml", None).expect("rules");
        let run = |threads: usize, chunk: usize, window: Option<usize>| {
            let mut b = RewriterBuilder::new();
            b.threads(threads).chunk_size(chunk).dialect(engine);
            if let Some(w) = window {
                b.window(w);
            }
            let rw = b.build(rules.clone());
            Outcome::of(match window {
                None => rw.rewrite_bytes(dump.to_vec(), Vec::new()).map(|d| d.out),
                Some(_) => rw
                    .rewrite_reader(std::io::Cursor::new(dump.to_vec()), Vec::new())
                    .map(|d| d.out),
            })
        };
        let reference = run(1, 2 << 20, None);
        for &threads in &self.threads {
            for &chunk in &self.chunks {
                let whole = run(threads, chunk, None);
                assert!(
                    whole == reference,
                    "whole input, {threads} threads, chunks of {chunk}: {}",
                    describe(&whole, &reference)
                );
                for &window in &self.windows {
                    let streamed = run(threads, chunk, Some(window));
                    assert!(
                        streamed == reference,
                        "stream, window {window}, {threads} threads, chunks of {chunk}: {}",
                        describe(&streamed, &reference)
                    );
                }
            }
        }
        reference
    }
}

/// How two outcomes differ, without printing rewritten bytes whole.
fn describe(got: &Outcome, want: &Outcome) -> String {
    match (got, want) {
        (Outcome::Error(g), Outcome::Error(w)) => format!("error `{g}`, expected `{w}`"),
        (Outcome::Error(g), Outcome::Bytes(_)) => format!("error `{g}`, expected output"),
        (Outcome::Bytes(_), Outcome::Error(w)) => format!("output, expected error `{w}`"),
        (Outcome::Bytes(g), Outcome::Bytes(w)) => {
            let at = g
                .iter()
                .zip(w)
                .position(|(a, b)| a != b)
                .unwrap_or(g.len().min(w.len()));
            format!(
                "outputs differ from byte {at} (lengths {} and {})",
                g.len(),
                w.len()
            )
        }
    }
}

/// A file holding the tests' secret ([`super::SECRET`]).
fn secret_file() -> String {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let p = std::env::temp_dir().join(format!("dumpmask-test-secret-{}", std::process::id()));
        std::fs::write(&p, super::SECRET).expect("write the secret file");
        p.to_string_lossy().into_owned()
    })
    .clone()
}
