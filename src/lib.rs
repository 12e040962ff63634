//! dumpmask: rewrite MySQL/MariaDB and PostgreSQL dump files so that no
//! personal data leaves the host, without loading them into a database.
//!
//! The library is the product; the `dumpmask` binary only parses
//! arguments and calls [`run`].

#![deny(missing_docs)]

pub mod dialect;
pub mod error;
pub mod format;
pub mod io;
pub mod pipeline;
pub mod report;
pub mod rewrite;
pub mod rewriter;
pub mod rules;
pub mod schema;
pub mod simd;
pub mod sql;

use std::io::{BufWriter, Write};
use std::path::PathBuf;

pub use error::{Error, ErrorKind, Result};
use format::Engine;
use io::compress::{Codec, Compression};
use io::input::Input;
use io::output::AtomicFile;
pub use pipeline::Options;
use report::Summary;
pub use rewriter::{Rewriter, RewriterBuilder, Rewritten};
use rules::Rules;

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
        if let Some(dir) = format::archive::detect(std::path::Path::new(&cfg.input)) {
            return run_archive(
                cfg,
                rules.take().unwrap_or_else(Rules::empty),
                dir,
                &fingerprint,
            );
        }
    }
    let codec = cfg.compress.unwrap_or_else(|| {
        let kind = cfg
            .output
            .as_deref()
            .map_or(Compression::None, Compression::from_extension);
        Codec::with_default_level(kind)
    });
    let mut builder = RewriterBuilder::new();
    builder.compression(codec);
    builder.threads(cfg.options.threads);
    builder.chunk_size(cfg.options.chunk_size);
    builder.max_statement(cfg.options.max_statement);
    builder.window(cfg.options.window);
    if let Some(e) = cfg.dialect {
        builder.dialect(e);
    }
    if let Some(i) = &cfg.options.interrupt {
        builder.interrupt(i.clone());
    }
    if let Some(p) = &cfg.options.progress {
        builder.progress(p.clone());
    }
    let rewriter = builder.build(rules.take().unwrap_or_else(Rules::empty));
    let from_stdin = cfg.input == "-";
    let mut summary = match &cfg.output {
        None => {
            // A small buffer: rows and verbatim runs larger than it (most
            // of the output) are written straight from where they lie
            // instead of being copied into the buffer first.
            let out = BufWriter::with_capacity(64 << 10, std::io::stdout());
            let done = if from_stdin {
                rewriter.rewrite_reader(std::io::stdin(), out)
            } else {
                rewriter.rewrite_path(std::path::Path::new(&cfg.input), out)
            }?;
            done.summary
        }
        Some(path) => {
            let file = AtomicFile::create(path)?;
            let done = if from_stdin {
                rewriter.rewrite_reader(std::io::stdin(), file)
            } else {
                rewriter.rewrite_path(std::path::Path::new(&cfg.input), file)
            }
            .map_err(|e| match e.kind() {
                ErrorKind::Io => e.in_file(error::display_path(path)),
                _ => e,
            })?;
            done.out.commit()?;
            done.summary
        }
    };
    summary.rules_fingerprint = fingerprint;
    if let Some(path) = &cfg.report {
        write_report(path, &summary)?;
    }
    Ok(summary)
}

/// Writes the JSON run report, atomically.
fn write_report(path: &std::path::Path, summary: &Summary) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(summary.to_json().as_bytes())
        .map_err(|e| Error::io("writing the report", e))?;
    f.commit()
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
            error::display_path(dest)
        )));
    }
    let started = std::time::Instant::now();
    let mut summary = format::archive::rewrite(
        std::path::Path::new(&cfg.input),
        dest,
        dir,
        rules,
        &cfg.options,
    )?;
    summary.duration = started.elapsed();
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

/// What `dumpmask check` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    /// No problem at all.
    pub ok: bool,
    /// Tables the dump declares.
    pub tables: usize,
    /// Every problem between the rules and the dump's schema.
    pub problems: Vec<rules::Problem>,
}

/// Validates a rules file against a dump's schema without writing output:
/// unknown names, uncovered columns (strict), type conflicts, and rules on
/// UNIQUE or primary key columns that do not promise distinct outputs.
/// Errors are for what stops the check itself (unreadable dump or rules).
pub fn check(cfg: &CheckConfig) -> Result<CheckReport> {
    let mut rules = Some(Rules::load(&cfg.rules)?);
    if let Some(r) = rules.as_mut() {
        r.set_strict(cfg.strict);
        r.set_quiet(true);
        r.collect_problems();
    }
    let input = match format::archive::detect(std::path::Path::new(&cfg.input))
        .filter(|_| cfg.input != "-")
    {
        // An archive's schema is all in its TOC: no table data is read.
        Some(dir) => Input::from_bytes(
            format::archive::schema_of(std::path::Path::new(&cfg.input), dir)?,
            &cfg.input,
        ),
        None => Input::open(&cfg.input)?.input,
    };
    let name = input.name().to_string();
    let opts = Options {
        threads: 1,
        ..Options::default()
    };
    let forced = cfg.dialect;
    let mut make = |head: &[u8]| -> Result<Box<dyn format::Splitter>> {
        let dialect = rewriter::choose_engine(forced, head, &name)?;
        let rules = rules.take().unwrap_or_else(Rules::empty);
        Ok(dialect.splitter(rules, opts.chunk_size, opts.max_statement))
    };
    let fed = pipeline::feed(input, &opts, &mut make, &mut |_| Ok(true))?;
    let mut splitter = fed.splitter;
    let problems = splitter.problems();
    Ok(CheckReport {
        ok: problems.is_empty(),
        tables: fed.tables,
        problems,
    })
}
