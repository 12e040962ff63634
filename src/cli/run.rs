//! `dumpmask run` and `dumpmask check` from a configuration: files and
//! standard streams, the output published atomically, the strict
//! pre-check of a file's schema, the run report. The work itself is the
//! library's [`Rewriter`].

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use dumpmask::error::display_path;
use dumpmask::report::Summary;
use dumpmask::rules::{self, Rules};
use dumpmask::{AtomicFile, Codec, Compression, Engine};
use dumpmask::{CheckReport, Error, ErrorKind, Options, RecordOptions, Result, RewriterBuilder};

/// Everything a `dumpmask run` needs.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Input path, or `-` for standard input.
    pub input: String,
    /// Output file; `None` for standard output.
    pub output: Option<PathBuf>,
    /// The rules file.
    pub rules: PathBuf,
    /// The dump's dialect; `None` to detect it from the dump's header.
    pub dialect: Option<Engine>,
    /// Require a rule for every column (`--strict`).
    pub strict: bool,
    /// Output compression; `None` to choose by the output's extension.
    pub compress: Option<Codec>,
    /// Where to write the JSON run report.
    pub report: Option<PathBuf>,
    /// Print no warnings.
    pub quiet: bool,
    /// Pipeline settings.
    pub options: Options,
    /// Records (JSON Lines, CSV) instead of a dump.
    pub records: Option<RecordOptions>,
}

/// Runs the rewrite. On error no file exists under the output's name.
pub fn run(cfg: &RunConfig) -> Result<Summary> {
    let mut rules = Some(Rules::load(&cfg.rules)?);
    let fingerprint = rules.as_ref().map(Rules::fingerprint).unwrap_or_default();
    if let Some(r) = rules.as_mut() {
        r.set_strict(cfg.strict);
        r.set_quiet(cfg.quiet);
        // Binding reports warnings as values; the command line prints each
        // as it arises.
        r.on_warning(|w| eprintln!("dumpmask: warning: {w}"));
    }
    // Strict coverage fails before anything is written, listing every
    // uncovered column of every table: a file can be read twice, so its
    // schema is checked first. (Standard input fails at the first table
    // found uncovered; the output is then incomplete and the exit non-zero.)
    if let Some(records) = &cfg.records {
        let rules = rules.take().unwrap_or_else(Rules::empty);
        return run_records(cfg, rules, records, &fingerprint);
    }
    if rules.as_ref().is_some_and(Rules::is_strict) && cfg.input != "-" {
        let report = check(&CheckConfig {
            input: cfg.input.clone(),
            rules: cfg.rules.clone(),
            dialect: cfg.dialect,
            strict: true,
        })?;
        let blocking: Vec<&str> = report
            .problems
            .iter()
            .filter(|p| p.kind != rules::ProblemKind::UniqueNotPromised)
            .map(|p| p.message.as_str())
            .collect();
        if !blocking.is_empty() {
            return Err(Error::rules(blocking.join("\n")));
        }
    }
    if cfg.input != "-" {
        if let Some(dir) = dumpmask::detect_archive(Path::new(&cfg.input)) {
            return run_archive(
                cfg,
                rules.take().unwrap_or_else(Rules::empty),
                dir,
                &fingerprint,
            );
        }
    }
    let rewriter = builder(cfg)
        .compression(codec(cfg))
        .build(rules.take().unwrap_or_else(Rules::empty));
    to_output(cfg, &rewriter, &fingerprint)
}

/// Rewrites JSON records or CSV: the same files, streams and atomic
/// output as a dump.
fn run_records(
    cfg: &RunConfig,
    rules: Rules,
    records: &RecordOptions,
    fingerprint: &str,
) -> Result<Summary> {
    let rewriter = builder(cfg)
        .compression(codec(cfg))
        .build_records(rules, records.clone());
    to_output(cfg, &rewriter, fingerprint)
}

/// A dump rewriter or a record rewriter, as the run drives it.
trait Rewrites {
    /// Rewrites standard input into `out`.
    fn stdin<W: Write + Send + 'static>(&self, out: W) -> Result<(Summary, W)>;
    /// Rewrites the file at `path` into `out`.
    fn path<W: Write + Send + 'static>(&self, path: &Path, out: W) -> Result<(Summary, W)>;
}

impl Rewrites for dumpmask::Rewriter {
    fn stdin<W: Write + Send + 'static>(&self, out: W) -> Result<(Summary, W)> {
        self.rewrite_reader(std::io::stdin(), out)
            .map(|d| (d.summary, d.out))
    }
    fn path<W: Write + Send + 'static>(&self, path: &Path, out: W) -> Result<(Summary, W)> {
        self.rewrite_path(path, out).map(|d| (d.summary, d.out))
    }
}

impl Rewrites for dumpmask::RecordRewriter {
    fn stdin<W: Write + Send + 'static>(&self, out: W) -> Result<(Summary, W)> {
        self.rewrite_reader(std::io::stdin(), out)
            .map(|d| (d.summary, d.out))
    }
    fn path<W: Write + Send + 'static>(&self, path: &Path, out: W) -> Result<(Summary, W)> {
        self.rewrite_path(path, out).map(|d| (d.summary, d.out))
    }
}

/// Runs `rewriter` from the run's input into standard output or into the
/// output file (published only when the whole run succeeded), then
/// writes the report.
fn to_output(cfg: &RunConfig, rewriter: &impl Rewrites, fingerprint: &str) -> Result<Summary> {
    let from_stdin = cfg.input == "-";
    let mut summary = match &cfg.output {
        None => {
            // A small buffer: rows and verbatim runs larger than it (most
            // of the output) are written straight from where they lie
            // instead of being copied into the buffer first.
            let out = BufWriter::with_capacity(64 << 10, std::io::stdout());
            if from_stdin {
                rewriter.stdin(out)
            } else {
                rewriter.path(Path::new(&cfg.input), out)
            }?
            .0
        }
        Some(path) => {
            let file = AtomicFile::create(path)?;
            let (summary, file) = if from_stdin {
                rewriter.stdin(file)
            } else {
                rewriter.path(Path::new(&cfg.input), file)
            }
            .map_err(|e| match e.kind() {
                ErrorKind::Io => e.in_file(display_path(path)),
                _ => e,
            })?;
            file.commit()?;
            summary
        }
    };
    summary.rules_fingerprint = fingerprint.to_string();
    if let Some(path) = &cfg.report {
        write_report(path, &summary)?;
    }
    Ok(summary)
}

/// The output's compression: as asked, else by the output's extension.
fn codec(cfg: &RunConfig) -> Codec {
    cfg.compress.unwrap_or_else(|| {
        let kind = cfg
            .output
            .as_deref()
            .map_or(Compression::None, Compression::from_extension);
        Codec::with_default_level(kind)
    })
}

/// A rewriter builder with the run's settings.
fn builder(cfg: &RunConfig) -> RewriterBuilder {
    let mut b = RewriterBuilder::new();
    b.threads(cfg.options.threads)
        .chunk_size(cfg.options.chunk_size)
        .max_statement(cfg.options.max_statement)
        .window(cfg.options.window);
    if let Some(e) = cfg.dialect {
        b.dialect(e);
    }
    if let Some(i) = &cfg.options.interrupt {
        b.interrupt(i.clone());
    }
    if let Some(p) = &cfg.options.progress {
        b.progress(p.clone());
    }
    b
}

/// Writes the JSON run report, atomically.
fn write_report(path: &Path, summary: &Summary) -> Result<()> {
    write_atomically(path, summary.to_json().as_bytes())
}

/// Writes `bytes` to `path` atomically (mode 0600).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)
        .map_err(|e| Error::io(format!("writing {}", display_path(path)), e))?;
    f.commit()
}

/// What `dumpmask verify` needs.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// The original dump, or `-`.
    pub original: String,
    /// The anonymized dump, or `-`.
    pub anonymized: String,
    /// The rules file.
    pub rules: PathBuf,
    /// The dumps' dialect; `None` to detect it.
    pub dialect: Option<Engine>,
    /// Where to write the JSON evidence.
    pub report: Option<PathBuf>,
}

/// Verifies, and writes the evidence when asked: the verdict, the rules
/// fingerprint, the sha256 of both dumps as stored (computed beside the
/// comparison, on threads of their own), the version and the time.
pub fn verify(cfg: &VerifyConfig) -> Result<dumpmask::inspect::verify::Verdict> {
    use dumpmask::inspect::verify;
    let rules = Rules::load(&cfg.rules)?;
    let started = std::time::SystemTime::now();
    let clock = std::time::Instant::now();
    let hashing = [cfg.original.clone(), cfg.anonymized.clone()].map(|p| {
        let wanted = cfg.report.is_some() && p != "-";
        std::thread::spawn(move || wanted.then(|| verify::sha256_of(Path::new(&p))).transpose())
    });
    let verdict = verify::verify(
        &rules,
        &cfg.original,
        &cfg.anonymized,
        cfg.dialect,
        &Options::default(),
    )?;
    let mut sums = Vec::new();
    for h in hashing {
        sums.push(
            h.join()
                .map_err(|_| Error::internal("the sha256 thread panicked"))??,
        );
    }
    if let Some(path) = &cfg.report {
        let evidence = verify::Evidence {
            verdict: &verdict,
            version: env!("CARGO_PKG_VERSION"),
            time: verify::utc_timestamp(started),
            duration_seconds: clock.elapsed().as_secs_f64(),
            rules_fingerprint: format!("sha256:{}", rules.fingerprint()),
            original: verify::DumpEvidence {
                path: cfg.original.clone(),
                sha256: sums[0].clone(),
                bytes_read: verdict.bytes_original,
            },
            anonymized: verify::DumpEvidence {
                path: cfg.anonymized.clone(),
                sha256: sums[1].clone(),
                bytes_read: verdict.bytes_output,
            },
        };
        let mut text = serde_json::to_string_pretty(&evidence)
            .map_err(|e| Error::internal(format!("writing the evidence: {e}")))?;
        text.push('\n');
        write_atomically(path, text.as_bytes())?;
    }
    Ok(verdict)
}

/// Rewrites a pg_dump archive (custom file or directory) into another of
/// the same format.
fn run_archive(cfg: &RunConfig, rules: Rules, dir: bool, fingerprint: &str) -> Result<Summary> {
    let what = if dir { "directory" } else { "custom" };
    let Some(dest) = &cfg.output else {
        return Err(Error::rules(format!(
            "a pg_dump {what} archive is rewritten into a new archive: give -o (a {})",
            if dir { "directory" } else { "file" }
        )));
    };
    if cfg.compress.is_some() {
        return Err(Error::rules(
            "--compress does not apply to pg_dump archives: they keep their own compression",
        ));
    }
    if cfg.dialect == Some(Engine::MySql) {
        return Err(Error::rules(
            "a pg_dump archive is PostgreSQL, not --dialect mysql",
        ));
    }
    if dest.exists() {
        return Err(Error::rules(format!(
            "{} exists; the rewritten archive needs a new name",
            display_path(dest)
        )));
    }
    let mut summary =
        builder(cfg)
            .build(rules)
            .rewrite_archive(Path::new(&cfg.input), dest, dir)?;
    summary.rules_fingerprint = fingerprint.to_string();
    if let Some(path) = &cfg.report {
        write_report(path, &summary)?;
    }
    Ok(summary)
}

/// What `dumpmask check` needs.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// Input path, or `-` for standard input.
    pub input: String,
    /// The rules file.
    pub rules: PathBuf,
    /// The dump's dialect; `None` to detect it.
    pub dialect: Option<Engine>,
    /// Require a rule for every column.
    pub strict: bool,
}

/// Validates a rules file against a dump's schema without writing output:
/// unknown names, uncovered columns (strict), type conflicts, and rules on
/// UNIQUE or primary key columns that do not promise distinct outputs.
/// Errors are for what stops the check itself (unreadable dump or rules).
pub fn check(cfg: &CheckConfig) -> Result<CheckReport> {
    let mut rules = Rules::load(&cfg.rules)?;
    rules.set_strict(cfg.strict);
    let mut builder = RewriterBuilder::new();
    if let Some(e) = cfg.dialect {
        builder.dialect(e);
    }
    let checker = builder.build(rules);
    if cfg.input == "-" {
        checker.check_reader(std::io::stdin())
    } else {
        checker.check_path(Path::new(&cfg.input))
    }
}
