//! The library's entry points, in the manner of grep-searcher: a
//! [`RewriterBuilder`] holds the options, and the [`Rewriter`] it builds
//! rewrites a dump from a reader, from bytes or from a path, into a writer
//! the caller owns. Nothing here prints, exits or touches standard
//! streams: problems come back as errors, and what a run did as a
//! [`Summary`].
//!
//! ```no_run
//! use dumpmask::rules::Rules;
//! use dumpmask::RewriterBuilder;
//!
//! let rules = Rules::load(std::path::Path::new("rules.toml"))?;
//! let rewriter = RewriterBuilder::new().threads(4).build(rules);
//! let done = rewriter.rewrite_reader(std::io::stdin(), std::io::stdout())?;
//! eprintln!("{} rows rewritten", done.summary.row_totals().1);
//! # Ok::<(), dumpmask::Error>(())
//! ```

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::format::{Engine, Splitter};
use crate::io::compress::{Codec, Compression, ParallelCompressor};
use crate::io::input::{Input, Source};
use crate::pipeline::{self, Options};
use crate::report::{Progress, Summary};
use crate::rules::Rules;

/// Options for a [`Rewriter`].
#[derive(Debug, Clone)]
pub struct RewriterBuilder {
    engine: Option<Engine>,
    options: Options,
    codec: Codec,
}

impl Default for RewriterBuilder {
    fn default() -> Self {
        RewriterBuilder::new()
    }
}

impl RewriterBuilder {
    /// Defaults: every core, 2 MiB chunks, 1 GiB largest statement, the
    /// dialect read from the dump's header, no output compression.
    pub fn new() -> RewriterBuilder {
        RewriterBuilder {
            engine: None,
            options: Options::default(),
            codec: Codec::with_default_level(Compression::None),
        }
    }

    /// Worker threads; 1 runs the sequential reference path.
    pub fn threads(&mut self, n: usize) -> &mut Self {
        self.options.threads = n.max(1);
        self
    }

    /// Input bytes per unit of work.
    pub fn chunk_size(&mut self, bytes: usize) -> &mut Self {
        self.options.chunk_size = bytes.max(1);
        self
    }

    /// The largest statement or row accepted; larger is an error, so
    /// memory stays bounded.
    pub fn max_statement(&mut self, bytes: usize) -> &mut Self {
        self.options.max_statement = bytes;
        self
    }

    /// Bytes read from a stream at a time.
    pub fn window(&mut self, bytes: usize) -> &mut Self {
        self.options.window = bytes.max(1);
        self
    }

    /// Reads the dump as this engine's; the dump's header must not say
    /// otherwise.
    pub fn dialect(&mut self, engine: Engine) -> &mut Self {
        self.engine = Some(engine);
        self
    }

    /// Stops the run cleanly (an [`ErrorKind::Interrupted`] error) once
    /// the flag is set, e.g. by a signal handler.
    pub fn interrupt(&mut self, flag: Arc<AtomicBool>) -> &mut Self {
        self.options.interrupt = Some(flag);
        self
    }

    /// Where the run reports how far it has got.
    pub fn progress(&mut self, progress: Arc<Progress>) -> &mut Self {
        self.options.progress = Some(progress);
        self
    }

    /// Compresses the output (in parallel, in independent frames or
    /// members).
    pub fn compression(&mut self, codec: Codec) -> &mut Self {
        self.codec = codec;
        self
    }

    /// A rewriter of JSON records or CSV (not dumps) applying the rules
    /// of one table, with this builder's threads, chunk size, largest
    /// record (`max_statement`), compression, interrupt and progress.
    pub fn build_records(
        &self,
        rules: Rules,
        records: crate::records::RecordOptions,
    ) -> crate::records::RecordRewriter {
        crate::records::RecordRewriter::new(rules, records, self.options.clone(), self.codec)
    }

    /// A rewriter applying `rules`.
    pub fn build(&self, rules: Rules) -> Rewriter {
        Rewriter {
            rules,
            engine: self.engine,
            options: self.options.clone(),
            codec: self.codec,
        }
    }
}

/// What a rewrite gives back.
#[derive(Debug)]
pub struct Rewritten<W> {
    /// What the run did: counts, bytes, time.
    pub summary: Summary,
    /// The writer, flushed.
    pub out: W,
    /// Warnings about the rules (a rule on a UNIQUE column that does not
    /// promise distinct outputs, a short secret), each once.
    pub warnings: Vec<crate::rules::Warning>,
}

/// Rewrites dumps under one set of rules. Each call starts from the rules
/// as given (a rewriter can serve many dumps).
#[derive(Debug, Clone)]
pub struct Rewriter {
    rules: Rules,
    engine: Option<Engine>,
    options: Options,
    codec: Codec,
}

impl Rewriter {
    /// Rewrites a dump read from `input` (gzip or zstd input is recognised
    /// by its magic bytes) into `out`.
    pub fn rewrite_reader<R, W>(&self, input: R, out: W) -> Result<Rewritten<W>>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        let source = Source::from_reader(Box::new(input), "<stdin>".into())?;
        if let Some(p) = &self.options.progress {
            p.set_source(source.compressed_read.clone(), source.stored_size);
        }
        self.rewrite_source(source.input, out)
    }

    /// Rewrites a dump held in memory into `out`.
    pub fn rewrite_bytes<B, W>(&self, bytes: B, out: W) -> Result<Rewritten<W>>
    where
        B: AsRef<[u8]> + Send + Sync + 'static,
        W: Write + Send + 'static,
    {
        let input = Input::Whole {
            data: Arc::new(bytes),
            name: "<bytes>".into(),
        };
        self.rewrite_source(input, out)
    }

    /// Rewrites the dump at `path` (memory-mapped when it is a plain
    /// file, with a fallback to reading; decompressed when compressed)
    /// into `out`. pg_dump archives go to [`Rewriter::rewrite_archive`].
    pub fn rewrite_path<W>(&self, path: &Path, out: W) -> Result<Rewritten<W>>
    where
        W: Write + Send + 'static,
    {
        let source = Input::open(&path.to_string_lossy())?;
        if let Some(p) = &self.options.progress {
            p.set_source(source.compressed_read.clone(), source.stored_size);
        }
        self.rewrite_source(source.input, out)
    }

    /// Rewrites a pg_dump custom (`dir == false`) or directory archive at
    /// `src` into a new archive of the same format at `dest`.
    pub fn rewrite_archive(&self, src: &Path, dest: &Path, dir: bool) -> Result<Summary> {
        let started = std::time::Instant::now();
        let mut summary =
            crate::archive::rewrite(src, dest, dir, self.rules.clone(), &self.options)?;
        summary.duration = started.elapsed();
        Ok(summary)
    }

    /// Reads `input` and runs it through the pipeline into `out`,
    /// compressed in parallel when the builder asked for it.
    fn rewrite_source<W: Write + Send + 'static>(
        &self,
        input: Input,
        out: W,
    ) -> Result<Rewritten<W>> {
        let opts = &self.options;
        let name = input.name().to_string();
        let mut make = splitter_maker(self.engine, self.rules.clone(), &name, opts);
        let (mut summary, (out, written), mut splitter) =
            rewrite_to(input, &mut make, out, self.codec, opts)?;
        summary.bytes_written = written;
        summary.compression = self.codec.kind;
        Ok(Rewritten {
            summary,
            out,
            warnings: splitter.warnings(),
        })
    }
}

/// What a check found: the problems between the rules and the dump's
/// schema, each once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    /// No problem at all.
    pub ok: bool,
    /// Tables the dump declares.
    pub tables: usize,
    /// Every problem: unknown names, uncovered columns (strict), type
    /// conflicts, rules on UNIQUE columns that do not promise distinct
    /// outputs.
    pub problems: Vec<crate::rules::Problem>,
}

impl Rewriter {
    /// Validates the rules against the schema of the dump at `path`
    /// without writing anything: a plain dump is read once at splitter
    /// speed; a pg_dump archive (file or directory) from its TOC alone.
    /// Errors are for what stops the check itself (an unreadable dump).
    pub fn check_path(&self, path: &Path) -> Result<CheckReport> {
        let Some(dir) = crate::archive::detect(path) else {
            return self.check_input(Input::open(&path.to_string_lossy())?.input);
        };
        let mut splitter = Engine::Postgres.splitter(
            self.checking_rules(),
            self.options.chunk_size,
            self.options.max_statement,
        );
        crate::archive::learn_schema_of(path, dir, splitter.as_mut())?;
        let tables = splitter.schema().len();
        splitter.finish()?;
        let problems = splitter.problems();
        Ok(CheckReport {
            ok: problems.is_empty(),
            tables,
            problems,
        })
    }

    /// The rules, collecting problems rather than failing on the first.
    fn checking_rules(&self) -> Rules {
        let mut r = self.rules.clone();
        r.set_quiet(true);
        r.collect_problems();
        r
    }

    /// [`Rewriter::check_path`] for a dump read from `input`.
    pub fn check_reader<R: Read + Send + 'static>(&self, input: R) -> Result<CheckReport> {
        self.check_input(Source::from_reader(Box::new(input), "<stdin>".into())?.input)
    }

    fn check_input(&self, input: Input) -> Result<CheckReport> {
        let name = input.name().to_string();
        let opts = Options {
            threads: 1,
            ..self.options.clone()
        };
        let mut make = splitter_maker(self.engine, self.checking_rules(), &name, &opts);
        let fed = pipeline::feed(input, &opts, &mut make, &mut |_| Ok(true))?;
        let mut splitter = fed.splitter;
        let problems = splitter.problems();
        Ok(CheckReport {
            ok: problems.is_empty(),
            tables: fed.tables,
            problems,
        })
    }
}

/// What makes the pipeline's splitter once the dump's first bytes are
/// known: the engine (asked for, or read from the header) under `rules`.
fn splitter_maker<'a>(
    forced: Option<Engine>,
    rules: Rules,
    name: &'a str,
    opts: &'a Options,
) -> impl FnMut(&[u8]) -> Result<Box<dyn Splitter>> + 'a {
    let mut rules = Some(rules);
    move |head: &[u8]| {
        let engine = choose_engine(forced, head, name)?;
        let rules = rules
            .take()
            .ok_or_else(|| Error::internal("the rules were taken twice"))?;
        Ok(engine.splitter(rules, opts.chunk_size, opts.max_statement))
    }
}

/// The engine a dump is read as: the one asked for, which must agree with
/// the dump's header (a wrong dialect would misread strings and miss data
/// statements: refused rather than misparsed), or the header's.
pub(crate) fn choose_engine(forced: Option<Engine>, head: &[u8], name: &str) -> Result<Engine> {
    match (forced, Engine::detect(head)) {
        (Some(f), Some(d)) if f != d => Err(Error::input(
            0,
            format!("--dialect says {f:?}, but the dump's header is {d:?}'s"),
        )
        .in_file(name.to_string())),
        (Some(f), _) => Ok(f),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(Error::input(
            0,
            "cannot tell the dump's dialect from its header; pass --dialect",
        )
        .in_file(name.to_string())),
    }
}

/// What [`rewrite_to`] gives back: the summary, the sink with the bytes
/// written to it, and the splitter with what it learned.
type Piped<W> = (Summary, (W, u64), Box<dyn Splitter>);

/// Runs the pipeline into `out`, compressed with `codec` in parallel when
/// it compresses.
fn rewrite_to<W: Write + Send + 'static>(
    input: Input,
    make: &mut pipeline::MakeSplitter,
    out: W,
    codec: Codec,
    opts: &Options,
) -> Result<Piped<W>> {
    if codec.kind == Compression::None {
        let counted = CountingWriter {
            inner: out,
            count: 0,
        };
        let (summary, mut w, splitter) =
            pipeline::run_keeping_splitter(input, make, counted, opts)?;
        w.flush().map_err(|e| Error::io("writing output", e))?;
        let n = w.count;
        return Ok((summary, (w.inner, n), splitter));
    }
    let compressor = ParallelCompressor::new(out, codec, opts.threads, 4 << 20);
    let (summary, compressor, splitter) =
        pipeline::run_keeping_splitter(input, make, compressor, opts)?;
    let (w, n) = compressor
        .finish()
        .map_err(|e| Error::io("writing compressed output", e))?;
    Ok((summary, (w, n), splitter))
}

/// Counts bytes written through it.
struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &[u8] = b"-- MariaDB dump\nCREATE TABLE `t` (`a` text, `b` int);\nINSERT INTO `t` VALUES ('secret',1),('other',2);\n";

    fn rewriter(threads: usize) -> Rewriter {
        let rules = Rules::parse(
            "[secret]\nrandom = true\n[tables.t.columns]\na = { transform = \"fixed\", value = \"X\" }\n",
            "rules.toml",
            None,
        )
        .unwrap();
        RewriterBuilder::new()
            .threads(threads)
            .chunk_size(16)
            .build(rules)
    }

    #[test]
    fn reader_bytes_and_path_give_the_same_bytes() {
        let want: &[u8] = b"-- MariaDB dump\nCREATE TABLE `t` (`a` text, `b` int);\nINSERT INTO `t` VALUES ('X',1),('X',2);\n";
        let dir = tempfile_dir();
        let path = dir.join("dump.sql");
        std::fs::write(&path, DUMP).unwrap();
        for threads in [1, 2] {
            let r = rewriter(threads);
            let a = r
                .rewrite_reader(std::io::Cursor::new(DUMP), Vec::new())
                .unwrap();
            let b = r.rewrite_bytes(DUMP, Vec::new()).unwrap();
            let c = r.rewrite_path(&path, Vec::new()).unwrap();
            assert_eq!(a.out, want);
            assert_eq!(b.out, want);
            assert_eq!(c.out, want);
            assert_eq!(a.summary.row_totals().1, 2);
            assert!(a.warnings.is_empty());
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_contradicted_dialect_is_an_error() {
        let rules = Rules::parse("", "rules.toml", None).unwrap();
        let e = RewriterBuilder::new()
            .dialect(Engine::Postgres)
            .build(rules)
            .rewrite_bytes(DUMP, Vec::new())
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Input);
    }

    #[test]
    fn warnings_come_back_as_values() {
        let rules = Rules::parse(
            "[secret]\nrandom = true\n[tables.t.columns]\na = \"hash\"\n",
            "rules.toml",
            None,
        )
        .unwrap();
        let dump: &[u8] = b"-- MariaDB dump\nCREATE TABLE `t` (`a` varchar(20) NOT NULL, UNIQUE KEY `u` (`a`));\nINSERT INTO `t` VALUES ('secret1');\n";
        let done = RewriterBuilder::new()
            .threads(1)
            .build(rules)
            .rewrite_bytes(dump, Vec::new())
            .unwrap();
        assert_eq!(done.warnings.len(), 1, "{:?}", done.warnings);
        assert!(done.warnings[0].to_string().contains("UNIQUE"));
        assert!(!done.warnings[0].to_string().contains("secret1"));
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("dumpmask-api-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
