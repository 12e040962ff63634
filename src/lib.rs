//! dumpmask: rewrite MySQL/MariaDB and PostgreSQL dump files so that no
//! personal data leaves the host, without loading them into a database.
//!
//! The library is the product; the `dumpmask` binary only parses
//! arguments and calls [`run`].

#![deny(missing_docs)]

pub mod error;
pub mod format;
pub mod io;
pub mod pipeline;
pub mod report;
pub mod rewrite;
pub mod rules;
pub mod schema;
pub mod sql;

use std::io::{BufWriter, Write};
use std::path::PathBuf;

pub use error::{Error, ErrorKind, Result};
use format::Dialect;
use io::input::Input;
use io::output::AtomicFile;
pub use pipeline::Options;
use report::Summary;
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
    pub dialect: Option<Dialect>,
    /// Require a rule for every column (`--strict`).
    pub strict: bool,
    /// Pipeline settings.
    pub options: Options,
}

/// Runs the rewrite. On error no file exists under the output's name.
pub fn run(cfg: &RunConfig) -> Result<Summary> {
    let mut rules = Some(Rules::load(&cfg.rules)?);
    if let Some(r) = rules.as_mut() {
        r.set_strict(cfg.strict);
    }
    let input = Input::open(&cfg.input)?;
    let name = input.name().to_string();
    let opts = cfg.options.clone();
    let forced = cfg.dialect;
    let mut make = |head: &[u8]| -> Result<Box<dyn format::Splitter>> {
        let detected = Dialect::detect(head);
        let dialect = match (forced, detected) {
            // A wrong dialect would misread strings and miss data
            // statements: refuse rather than misparse.
            (Some(f), Some(d)) if f != d => {
                return Err(Error::input(
                    0,
                    format!("--dialect says {f:?}, but the dump's header is {d:?}'s"),
                )
                .in_file(name.clone()))
            }
            (Some(f), _) => f,
            (None, Some(d)) => d,
            (None, None) => {
                return Err(Error::input(
                    0,
                    "cannot tell the dump's dialect from its header; pass --dialect",
                )
                .in_file(name.clone()))
            }
        };
        let rules = rules.take().unwrap_or_else(Rules::empty);
        Ok(dialect.splitter(rules, opts.chunk_size, opts.max_statement))
    };
    match &cfg.output {
        None => {
            let out = BufWriter::with_capacity(1 << 20, std::io::stdout());
            let (summary, mut out) = pipeline::run(input, &mut make, out, &cfg.options)?;
            out.flush().map_err(|e| Error::io("writing output", e))?;
            Ok(summary)
        }
        Some(path) => {
            let file = AtomicFile::create(path)?;
            let (summary, file) = pipeline::run(input, &mut make, file, &cfg.options)?;
            file.commit()?;
            Ok(summary)
        }
    }
}
