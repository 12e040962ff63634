//! Records instead of dumps: newline-delimited JSON events and CSV files
//! rewritten with the same rules, secret and transformers as dumps
//! (`dumpmask run --input-format jsonl|csv --table NAME`).
//!
//! A record format names a record's values by column, as a dump's rows
//! do: a JSON record's top-level keys, a CSV file's header. The rules of
//! `[tables.NAME]` are bound to a table made of those names, and every
//! record goes through the same plan machinery as a dump's rows
//! (conditions, `set`, drops, templates): a transformer sees the same
//! decoded value (JSON string escapes and CSV quotes removed), so the
//! same secret, domain and value give the same pseudonym in a dump, a
//! JSON record and a CSV field.
//!
//! Two paths, one per-record function ([`RecordRewriter`] picks):
//! - a file held whole (memory-mapped) is cut at record boundaries into
//!   chunks that workers rewrite in parallel, restored to input order by
//!   the ordered executor (`pipeline::ordered`);
//! - a stream (a pipe, standard input, compressed input) is read record
//!   by record; each record's output is written as soon as it is made,
//!   and flushed whenever no more input is waiting, so a `tail -F` pipe
//!   carries events through at once.
//!
//! What this module owns: record framing, mapping values to columns, and
//! splicing rewritten values into otherwise untouched bytes. What it must
//! not know: SQL, dump dialects, or what a transformer does.

pub mod csv;
pub mod jsonl;

use std::io::{BufRead, BufReader, Read, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::io::compress::{Codec, Compression, ParallelCompressor};
use crate::io::input::{Input, Source};
use crate::io::SharedBytes;
use crate::pipeline::{ordered, Options};
use crate::report::{ChunkCounts, Summary, TableCounts};
use crate::rewrite::DecodedRow;
use crate::rules::transform::Outcome;
use crate::rules::{Rules, TablePlan, Warning};
use crate::schema::{Column, ColumnType, Table};
use crate::sql::QualifiedName;

/// Which record format, with its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// One JSON object per line (JSON Lines, NDJSON).
    Jsonl,
    /// RFC 4180 CSV.
    Csv(CsvOptions),
}

/// How a CSV file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// The field separator (`,` by default; `;`, tab, `|`..).
    pub delimiter: u8,
    /// The first record names the columns. Without one, columns are named
    /// by position: `c1`, `c2`, ...
    pub header: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            header: true,
        }
    }
}

/// A value found in a record: its bytes in the input and how it is
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// First byte.
    pub start: usize,
    /// Past the last byte.
    pub end: usize,
    /// Its syntax.
    pub kind: FieldKind,
}

/// How a value is written in its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A JSON string (the span includes the quotes).
    JsonString,
    /// A JSON number, as written.
    JsonNumber,
    /// `true` or `false`.
    JsonBool,
    /// `null`.
    JsonNull,
    /// A JSON object.
    JsonObject,
    /// A JSON array.
    JsonArray,
    /// A CSV field without quotes.
    CsvBare,
    /// A CSV field in quotes (the span includes them).
    CsvQuoted,
}

/// Did a rule write a value?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// The original bytes stay.
    Unchanged,
    /// New bytes replace them.
    Written,
}

/// The options of a record rewrite besides the pipeline's.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// The format.
    pub format: RecordFormat,
    /// The rules' table the records belong to (`[tables.NAME]`).
    pub table: String,
    /// JSON records: a key a rule names that no record has is a warning,
    /// not an error (for rules shared by event types whose keys vary).
    pub allow_absent_keys: bool,
}

/// What a record rewrite gives back.
#[derive(Debug)]
pub struct RecordsRewritten<W> {
    /// What the run did.
    pub summary: Summary,
    /// The writer, flushed.
    pub out: W,
    /// Warnings (each once).
    pub warnings: Vec<Warning>,
}

/// Rewrites JSON records or CSV under one set of rules. Built by
/// [`crate::RewriterBuilder::build_records`].
#[derive(Debug, Clone)]
pub struct RecordRewriter {
    rules: Rules,
    records: RecordOptions,
    options: Options,
    codec: Codec,
}

/// The bound rules for one input: the plan (`None`: no rule changes
/// anything, records pass through), and how record values find columns.
struct Bound {
    plan: Option<Arc<TablePlan>>,
    /// Column names, by plan column index.
    names: Vec<Vec<u8>>,
    /// Bit `n` (bit 63 for 63 and longer) is set when a name has `n`
    /// bytes: most keys of a record are passed over on their length.
    name_lengths: u64,
    /// JSON: plan columns a record must show (not only `set` ones).
    expected: Vec<bool>,
    format: RecordFormat,
    strict: bool,
    /// The largest record accepted, in bytes.
    max_record: usize,
}

impl RecordRewriter {
    pub(crate) fn new(
        rules: Rules,
        records: RecordOptions,
        options: Options,
        codec: Codec,
    ) -> RecordRewriter {
        RecordRewriter {
            rules,
            records,
            options,
            codec,
        }
    }

    /// Rewrites the records at `path` (memory-mapped and rewritten in
    /// parallel when it is a plain file; streamed when it is a pipe or
    /// compressed).
    pub fn rewrite_path<W: Write + Send + 'static>(
        &self,
        path: &Path,
        out: W,
    ) -> Result<RecordsRewritten<W>> {
        let source = Input::open(&path.to_string_lossy())?;
        self.rewrite_source(source, out)
    }

    /// Rewrites records read from `input`, record by record: each
    /// record's output is written (and flushed when no more input waits)
    /// before the next is read.
    pub fn rewrite_reader<R, W>(&self, input: R, out: W) -> Result<RecordsRewritten<W>>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        let source = Source::from_reader(Box::new(input), "<stdin>".into())?;
        self.rewrite_source(source, out)
    }

    /// Rewrites records held in memory (in parallel).
    pub fn rewrite_bytes<B, W>(&self, bytes: B, out: W) -> Result<RecordsRewritten<W>>
    where
        B: AsRef<[u8]> + Send + Sync + 'static,
        W: Write + Send + 'static,
    {
        let source = Source {
            input: Input::Whole {
                data: Arc::new(bytes),
                name: "<bytes>".into(),
            },
            stored_size: None,
            compressed_read: None,
        };
        self.rewrite_source(source, out)
    }

    fn rewrite_source<W: Write + Send + 'static>(
        &self,
        source: Source,
        out: W,
    ) -> Result<RecordsRewritten<W>> {
        if let Some(p) = &self.options.progress {
            p.set_source(source.compressed_read.clone(), source.stored_size);
        }
        let started = std::time::Instant::now();
        let mut rules = self.rules.clone();
        let name = source.input.name().to_string();
        let located = |e: Error| match e.kind() {
            // Write errors are about the output, not the input.
            crate::ErrorKind::Io | crate::ErrorKind::BrokenPipe => e,
            _ => e.in_file(name.clone()),
        };
        let (mut summary, out) = if self.codec.kind == Compression::None {
            self.run(&mut rules, source.input, out).map_err(located)?
        } else {
            let threads = self.options.threads;
            let compressor = ParallelCompressor::new(out, self.codec, threads, 4 << 20);
            let (mut s, c) = self
                .run(&mut rules, source.input, compressor)
                .map_err(located)?;
            let (w, n) = c
                .finish()
                .map_err(|e| Error::io("writing compressed output", e))?;
            s.bytes_written = n;
            (s, w)
        };
        if self.codec.kind == Compression::None {
            summary.bytes_written = summary.bytes_out;
        }
        summary.compression = self.codec.kind;
        summary.duration = started.elapsed();
        Ok(RecordsRewritten {
            summary,
            out,
            warnings: rules.take_warnings(),
        })
    }

    /// Binds the rules to the records' columns: the CSV header's names,
    /// or for JSON every name the table's rules mention.
    fn bind(&self, rules: &mut Rules, header: Option<Vec<String>>) -> Result<Bound> {
        // `schema.table` reaches `[tables."schema.table"]` (and bare
        // `[tables.table]`, which matches any schema), as for dumps.
        let qname = match self.records.table.split_once('.') {
            Some((schema, name)) => QualifiedName {
                schema: Some(schema.to_string()),
                name: name.to_string(),
            },
            None => QualifiedName {
                schema: None,
                name: self.records.table.clone(),
            },
        };
        let Some(ruled) = rules.ruled_names(&qname) else {
            return Err(Error::rules(format!(
                "the rules have no [tables.{}]: name the table the records belong to with --table",
                self.records.table
            )));
        };
        let (names, expected): (Vec<String>, Vec<bool>) = match header {
            Some(h) => {
                let mut seen = std::collections::BTreeSet::new();
                for (i, n) in h.iter().enumerate() {
                    if !seen.insert(n) {
                        return Err(Error::input(
                            0,
                            format!(
                                "the header names column {} twice (at position {})",
                                quoted(n),
                                i + 1
                            ),
                        ));
                    }
                }
                let len = h.len();
                (h, vec![false; len])
            }
            None => {
                let expected = ruled
                    .all
                    .iter()
                    .map(|n| ruled.expected.contains(n))
                    .collect();
                (ruled.all, expected)
            }
        };
        // Records carry no types: every column takes any value, as an
        // untyped column of a dump does.
        let ty = ColumnType::Other(match self.records.format {
            RecordFormat::Jsonl => "json record value".into(),
            RecordFormat::Csv(_) => "csv field".into(),
        });
        let table = Table::new(
            qname.clone(),
            names
                .iter()
                .map(|n| Column::plain(n.clone(), ty.clone()))
                .collect(),
        );
        let plan = rules.bind(&table)?;
        // (Other tables' rules are for dumps that share the file.)
        rules.check_coverage(&qname)?;
        Ok(Bound {
            plan,
            name_lengths: names.iter().fold(0, |m, n| m | length_bit(n.len())),
            names: names.into_iter().map(String::into_bytes).collect(),
            expected,
            format: self.records.format,
            strict: rules.is_strict(),
            max_record: self.options.max_statement,
        })
    }

    /// Runs the records of `input` into `out`.
    fn run<W: Write + Send>(
        &self,
        rules: &mut Rules,
        input: Input,
        out: W,
    ) -> Result<(Summary, W)> {
        match input {
            Input::Whole { data, .. } => self.run_whole(rules, data, out),
            Input::Stream { reader, .. } => self.run_stream(rules, reader, out),
        }
    }

    /// A JSON run's end: every key a rule expects appeared in some record
    /// (a rule on a misspelt key would otherwise leave the real key's
    /// values as they were).
    fn check_seen(
        &self,
        rules: &mut Rules,
        bound: &Bound,
        seen: &[bool],
        records: u64,
    ) -> Result<()> {
        if bound.format != RecordFormat::Jsonl || records == 0 {
            return Ok(());
        }
        let absent: Vec<String> = bound
            .names
            .iter()
            .zip(&bound.expected)
            .zip(seen)
            .filter(|((_, &exp), &s)| exp && !s)
            .map(|((n, _), _)| quoted(&String::from_utf8_lossy(n)))
            .collect();
        if absent.is_empty() {
            return Ok(());
        }
        let message = format!(
            "rules for table {} name keys that no record has: {}",
            self.records.table,
            absent.join(", ")
        );
        if self.records.allow_absent_keys {
            rules.report_warning(message);
            Ok(())
        } else {
            Err(Error::rules(format!(
                "{message} (a misspelt key leaves the real one unchanged; --allow-absent-keys makes this a warning)"
            )))
        }
    }

    fn run_whole<W: Write + Send>(
        &self,
        rules: &mut Rules,
        data: SharedBytes,
        out: W,
    ) -> Result<(Summary, W)> {
        let src: &[u8] = (*data).as_ref();
        let mut writer = RecordWriter::new(out, self.options.progress.clone());
        // The CSV header, read first: it names the columns.
        // A byte order mark (spreadsheet exports write one) is kept, and
        // the first record read after it.
        let bom = bom_len(src);
        let (header, body) = match self.records.format {
            RecordFormat::Csv(o) => {
                let mut fields = Vec::new();
                match csv::read_record(src, bom, o.delimiter, true, &mut fields)
                    .map_err(|(at, m)| locate(Error::input(at as u64, m), src))?
                {
                    Some(end) if o.header => {
                        let names = header_names(src, &fields).map_err(|e| locate(e, src))?;
                        (Some(names), end.next)
                    }
                    Some(_) => (Some(positional(fields.len())), bom),
                    None => (Some(Vec::new()), bom),
                }
            }
            RecordFormat::Jsonl => (None, bom),
        };
        let bound = Arc::new(self.bind(rules, header)?);
        writer.put(&src[..body])?;
        let mut summary = Summary {
            tables_seen: 1,
            ..Summary::default()
        };
        let mut seen = vec![false; bound.names.len()];
        let mut records = 0u64;
        let chunk_size = self.options.chunk_size.max(1);
        let cut = |from: usize| -> usize {
            let target = from.saturating_add(chunk_size);
            let next = match bound.format {
                RecordFormat::Jsonl => (target < src.len())
                    .then(|| memchr::memchr(b'\n', &src[target..]).map(|k| target + k + 1))
                    .flatten(),
                RecordFormat::Csv(_) => csv::next_boundary(src, from, target),
            };
            next.unwrap_or(src.len())
        };
        // Written output buffers go back to the workers, so chunks do not
        // each fault in fresh memory; one grown for a huge record is not
        // kept.
        let (spare_tx, spare_rx) = crossbeam_channel::bounded::<Vec<u8>>(self.options.threads * 4);
        let spare_limit = chunk_size.saturating_mul(4);
        let mut absorb = |done: ChunkDone, writer: &mut RecordWriter<W>| -> Result<()> {
            writer.put(&done.out)?;
            writer.advance(done.bytes_in);
            summary.merge(done.counts);
            records += done.records;
            for (s, d) in seen.iter_mut().zip(&done.seen) {
                *s |= d;
            }
            if done.out.capacity() <= spare_limit {
                let _ = spare_tx.try_send(done.out);
            }
            Ok(())
        };
        if self.options.threads <= 1 {
            let mut scratch = Scratch::default();
            let mut pos = body;
            while pos < src.len() {
                self.check_interrupt()?;
                let end = cut(pos);
                if let Ok(buf) = spare_rx.try_recv() {
                    scratch.spare = buf;
                }
                let done = rewrite_chunk(src, pos..end, &bound, &mut scratch)
                    .map_err(|e| locate(e, src))?;
                absorb(done, &mut writer)?;
                pos = end;
            }
        } else {
            let work_data = data.clone();
            let work_bound = bound.clone();
            let (mut submitter, collector, workers) = ordered::ordered(
                self.options.threads,
                self.options.threads * 2,
                Scratch::default,
                move |scratch: &mut Scratch, range: Range<usize>| {
                    if let Ok(buf) = spare_rx.try_recv() {
                        scratch.spare = buf;
                    }
                    let src: &[u8] = (*work_data).as_ref();
                    rewrite_chunk(src, range, &work_bound, scratch)
                },
            );
            let interrupt = self.options.interrupt.clone();
            let fed = std::thread::scope(|scope| {
                let feeder = scope.spawn(move || {
                    let mut pos = body;
                    while pos < src.len() {
                        if interrupt
                            .as_ref()
                            .is_some_and(|f| f.load(Ordering::Relaxed))
                        {
                            return Err(Error::interrupted());
                        }
                        let end = cut(pos);
                        if submitter.submit(pos..end).is_err() {
                            break;
                        }
                        pos = end;
                    }
                    Ok(())
                });
                let mut collector = collector;
                let mut result = Ok(());
                for done in collector.by_ref() {
                    if let Err(e) = done
                        .map_err(|e| locate(e, src))
                        .and_then(|d| absorb(d, &mut writer))
                    {
                        result = Err(e);
                        break;
                    }
                }
                // Dropping the collector stops the workers and the feeder.
                drop(collector);
                let fed = feeder
                    .join()
                    .unwrap_or_else(|_| Err(Error::internal("the record feeder panicked")));
                result.and(fed)
            });
            if !workers.join() {
                return Err(Error::internal("a record worker panicked"));
            }
            fed?;
        }
        self.check_seen(rules, &bound, &seen, records)?;
        let (w, bytes_out) = writer.finish()?;
        summary.bytes_in = src.len() as u64;
        summary.bytes_out = bytes_out;
        Ok((summary, w))
    }

    fn check_interrupt(&self) -> Result<()> {
        match &self.options.interrupt {
            Some(f) if f.load(Ordering::Relaxed) => Err(Error::interrupted()),
            _ => Ok(()),
        }
    }

    /// The streaming path: one record at a time, each written before the
    /// next is read, and flushed whenever the reader has nothing more
    /// waiting (so a slow producer's events go straight through, and a
    /// fast one's are written in large blocks).
    fn run_stream<W: Write + Send>(
        &self,
        rules: &mut Rules,
        reader: Box<dyn Read + Send>,
        out: W,
    ) -> Result<(Summary, W)> {
        let mut reader = BufReader::with_capacity(256 << 10, reader);
        let mut writer = RecordWriter::new(out, self.options.progress.clone());
        let max = self.options.max_statement;
        let delim = match self.records.format {
            RecordFormat::Csv(o) => Some(o.delimiter),
            RecordFormat::Jsonl => None,
        };
        let mut rec = Vec::new();
        let mut base = 0u64;
        let mut base_line = 0u64;
        let mut fields = Vec::new();
        let at = |e: Error, rec: &[u8], base: u64, base_line: u64| {
            e.resolve_line(|b| {
                let rel = (b.checked_sub(base)? as usize).min(rec.len());
                Some(base_line + memchr::memchr_iter(b'\n', &rec[..rel]).count() as u64 + 1)
            })
        };
        let read = |reader: &mut BufReader<Box<dyn Read + Send>>,
                    rec: &mut Vec<u8>,
                    base: u64|
         -> Result<bool> {
            rec.clear();
            loop {
                let n = read_line(reader, rec, max, base)?;
                if n == 0 {
                    return Ok(!rec.is_empty());
                }
                // A CSV line break inside quotes continues the record.
                match delim {
                    Some(_) if memchr::memchr_iter(b'"', rec).count() % 2 == 1 => continue,
                    _ => return Ok(true),
                }
            }
        };
        let header = match self.records.format {
            RecordFormat::Csv(o) => {
                if read(&mut reader, &mut rec, base)? {
                    csv::read_record(&rec, bom_len(&rec), o.delimiter, true, &mut fields)
                        .map_err(|(p, m)| at(Error::input(p as u64, m), &rec, 0, 0))?;
                    if o.header {
                        let names = header_names(&rec, &fields).map_err(|e| at(e, &rec, 0, 0))?;
                        Some((names, true))
                    } else {
                        Some((positional(fields.len()), false))
                    }
                } else {
                    Some((Vec::new(), false))
                }
            }
            RecordFormat::Jsonl => None,
        };
        let pending_first =
            header.as_ref().is_some_and(|(_, consumed)| !consumed) && !rec.is_empty();
        let bound = self.bind(rules, header.map(|(n, _)| n))?;
        let mut summary = Summary {
            tables_seen: 1,
            ..Summary::default()
        };
        let mut scratch = Scratch::default();
        let mut seen = vec![false; bound.names.len()];
        let mut records = 0u64;
        let mut first = true;
        if delim.is_some() && !pending_first {
            // The header record, as it was.
            writer.put(&rec)?;
            base += rec.len() as u64;
            base_line += memchr::memchr_iter(b'\n', &rec).count() as u64;
            writer.flush()?;
        }
        loop {
            self.check_interrupt()?;
            let have = if first && pending_first {
                true
            } else {
                read(&mut reader, &mut rec, base)?
            };
            first = false;
            if !have {
                break;
            }
            let bom = if base == 0 { bom_len(&rec) } else { 0 };
            writer.put(&rec[..bom])?;
            let done = rewrite_chunk(&rec, bom..rec.len(), &bound, &mut scratch)
                .map_err(|e| at(e.offset_by(base), &rec, base, base_line))?;
            writer.put(&done.out)?;
            writer.advance(done.bytes_in);
            summary.merge(done.counts);
            records += done.records;
            for (s, d) in seen.iter_mut().zip(&done.seen) {
                *s |= d;
            }
            base += rec.len() as u64;
            base_line += memchr::memchr_iter(b'\n', &rec).count() as u64;
            if reader.buffer().is_empty() {
                writer.flush()?;
            }
        }
        self.check_seen(rules, &bound, &seen, records)?;
        let (w, bytes_out) = writer.finish()?;
        summary.bytes_in = base;
        summary.bytes_out = bytes_out;
        Ok((summary, w))
    }
}

/// Reads up to and including the next `\n` into `rec`, refusing a record
/// longer than `max`. Returns the bytes read (0 at the end of input).
fn read_line(
    reader: &mut BufReader<Box<dyn Read + Send>>,
    rec: &mut Vec<u8>,
    max: usize,
    base: u64,
) -> Result<usize> {
    let mut n = 0;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("reading input", e)),
        };
        if buf.is_empty() {
            return Ok(n);
        }
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(k) => (k + 1, true),
            None => (buf.len(), false),
        };
        rec.extend_from_slice(&buf[..take]);
        reader.consume(take);
        n += take;
        if rec.len() > max {
            return Err(Error::input(
                base,
                format!("a record is longer than the largest accepted ({max} bytes; see --max-statement)"),
            ));
        }
        if done {
            return Ok(n);
        }
    }
}

/// The UTF-8 byte order mark's length if `b` starts with one, else 0.
fn bom_len(b: &[u8]) -> usize {
    if b.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

/// A name's length as a bit of [`Bound::name_lengths`].
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

/// Names the columns of a CSV file without a header: `c1`, `c2`, ...
fn positional(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("c{i}")).collect()
}

/// The header record's names, decoded.
fn header_names(src: &[u8], fields: &[Field]) -> Result<Vec<String>> {
    fields
        .iter()
        .map(|f| {
            let mut v = Vec::new();
            csv::decode(src, *f, &mut v);
            String::from_utf8(v)
                .map_err(|_| Error::input(f.start as u64, "a header name is not UTF-8"))
        })
        .collect()
}

/// A name in backticks for messages.
fn quoted(n: &str) -> String {
    format!("`{n}`")
}

/// Fills in the line of an error from the whole input.
fn locate(e: Error, src: &[u8]) -> Error {
    e.resolve_line(|b| {
        let b = (b as usize).min(src.len());
        Some(memchr::memchr_iter(b'\n', &src[..b]).count() as u64 + 1)
    })
}

/// Writes output in order, counting it and reporting progress.
struct RecordWriter<W: Write> {
    sink: crate::pipeline::Sink<W>,
    progress: Option<Arc<crate::report::Progress>>,
}

impl<W: Write> RecordWriter<W> {
    fn new(out: W, progress: Option<Arc<crate::report::Progress>>) -> Self {
        RecordWriter {
            sink: crate::pipeline::Sink::new(out),
            progress,
        }
    }

    fn put(&mut self, b: &[u8]) -> Result<()> {
        self.sink.put(b)
    }

    fn advance(&self, bytes: u64) {
        if let Some(p) = &self.progress {
            p.advance(bytes, None);
        }
    }

    fn flush(&mut self) -> Result<()> {
        self.sink.flush()
    }

    fn finish(self) -> Result<(W, u64)> {
        self.sink.finish()
    }
}

/// A rewritten chunk of records.
struct ChunkDone {
    out: Vec<u8>,
    bytes_in: u64,
    counts: ChunkCounts,
    records: u64,
    /// By plan column: a record of the chunk had the key.
    seen: Vec<bool>,
}

/// Reusable buffers of one worker.
#[derive(Default)]
struct Scratch {
    fields: Vec<Field>,
    obj: jsonl::Object,
    /// The current record's value of each plan column.
    slots: Vec<Option<Field>>,
    decoded: Vec<u8>,
    produced: Vec<u8>,
    row: Vec<(usize, Option<Range<usize>>)>,
    row_bytes: Vec<u8>,
    active: Vec<bool>,
    /// Replacements: input range and range in `edit_bytes`, by start.
    edits: Vec<(Range<usize>, Range<usize>)>,
    edit_bytes: Vec<u8>,
    key: Vec<u8>,
    paths: jsonl::PathScratch,
    /// An output buffer to reuse.
    spare: Vec<u8>,
}

/// Rewrites the records of `src[range]` (whole records). The one
/// function both paths run. Error offsets are into `src`.
fn rewrite_chunk(
    src: &[u8],
    range: Range<usize>,
    bound: &Bound,
    scratch: &mut Scratch,
) -> Result<ChunkDone> {
    let mut out = std::mem::take(&mut scratch.spare);
    out.clear();
    out.reserve(range.len() + range.len() / 8);
    let mut counts = ChunkCounts::default();
    let mut seen = vec![false; bound.names.len()];
    let mut records = 0u64;
    let mut pos = range.start;
    // Line breaks of JSON records are validated as part of the record;
    // UTF-8 is checked for the whole chunk at once.
    if bound.format == RecordFormat::Jsonl {
        if let Err(e) = std::str::from_utf8(&src[range.clone()]) {
            return Err(Error::input(
                (range.start + e.valid_up_to()) as u64,
                "a JSON record is not UTF-8 text",
            ));
        }
    }
    while pos < range.end {
        let (content, next) = match bound.format {
            RecordFormat::Jsonl => {
                let nl = memchr::memchr(b'\n', &src[pos..range.end]).map_or(range.end, |k| pos + k);
                let content = if nl > pos && src[nl - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                };
                let next = (nl + 1).min(range.end);
                // A blank line holds no record: copied as it is.
                if src[pos..content]
                    .iter()
                    .all(|c| matches!(c, b' ' | b'\t' | b'\r'))
                {
                    out.extend_from_slice(&src[pos..next]);
                    pos = next;
                    continue;
                }
                jsonl::scan_object(&src[..content], pos, content, &mut scratch.obj)
                    .map_err(|(at, m)| Error::input(at as u64, format!("invalid JSON: {m}")))?;
                map_members(src, bound, scratch, &mut seen)?;
                (content, next)
            }
            RecordFormat::Csv(o) => {
                let end = csv::read_record(
                    &src[..range.end],
                    pos,
                    o.delimiter,
                    true,
                    &mut scratch.fields,
                )
                .map_err(|(at, m)| Error::input(at as u64, format!("invalid CSV: {m}")))?
                .ok_or_else(|| Error::internal("a CSV chunk ends inside a record"))?;
                if scratch.fields.len() != bound.names.len() {
                    return Err(Error::input(
                        pos as u64,
                        format!(
                            "invalid CSV: the record has {} fields; the {} has {}",
                            scratch.fields.len(),
                            if o.header { "header" } else { "first record" },
                            bound.names.len()
                        ),
                    ));
                }
                scratch.slots.clear();
                scratch
                    .slots
                    .extend(scratch.fields.iter().copied().map(Some));
                (end.content, end.next)
            }
        };
        if next - pos > bound.max_record {
            return Err(Error::input(
                pos as u64,
                format!(
                    "a record is longer than the largest accepted ({} bytes; see --max-statement)",
                    bound.max_record
                ),
            ));
        }
        records += 1;
        match &bound.plan {
            None => out.extend_from_slice(&src[pos..next]),
            Some(plan) => {
                let table = counts.table(plan);
                rewrite_record(
                    src,
                    (pos, content, next),
                    plan,
                    bound,
                    scratch,
                    table,
                    &mut out,
                )?;
            }
        }
        pos = next;
    }
    Ok(ChunkDone {
        out,
        bytes_in: range.len() as u64,
        counts,
        records,
        seen,
    })
}

/// Finds the plan column of each top-level member of the scanned JSON
/// record (`scratch.obj`) into `scratch.slots`.
fn map_members(src: &[u8], bound: &Bound, scratch: &mut Scratch, seen: &mut [bool]) -> Result<()> {
    scratch.slots.clear();
    scratch.slots.resize(bound.names.len(), None);
    for m in &scratch.obj.members {
        let raw = &src[m.key.0..m.key.1];
        // A key without escapes is its own text: no name of its length,
        // no match. (Strict mode must see every key.)
        let escaped = memchr::memchr(b'\\', raw).is_some();
        if !bound.strict && !escaped && bound.name_lengths & length_bit(raw.len()) == 0 {
            continue;
        }
        let key: &[u8] = if escaped {
            scratch.key.clear();
            jsonl::unescape(raw, &mut scratch.key)
                .map_err(|e| Error::input(m.key.0 as u64, format!("invalid JSON: {e}")))?;
            &scratch.key
        } else {
            raw
        };
        match bound.names.iter().position(|n| n.as_slice() == key) {
            Some(c) => {
                if scratch.slots[c].is_some() {
                    return Err(Error::input(
                        m.key.0 as u64,
                        "a key a rule names appears twice in one record",
                    ));
                }
                scratch.slots[c] = Some(m.value);
                seen[c] = true;
            }
            None if bound.strict => {
                return Err(Error::rules(format!(
                    "strict mode: a record at byte {} has a top-level key no rule names (add a rule or \"keep\")",
                    m.key.0
                )));
            }
            None => {}
        }
    }
    Ok(())
}

/// Applies the plan to one record whose values are in `scratch.slots`:
/// `rec` is its start, the end of its content, and the start of the next
/// record (the line break between is kept). Writes the record to `out`
/// unless the plan drops it.
#[allow(clippy::too_many_arguments)]
fn rewrite_record(
    src: &[u8],
    rec: (usize, usize, usize),
    plan: &TablePlan,
    bound: &Bound,
    scratch: &mut Scratch,
    counts: &mut TableCounts,
    out: &mut Vec<u8>,
) -> Result<()> {
    let (start, _content, next) = rec;
    counts.rows_seen += 1;
    if plan.drop_all {
        counts.rows_dropped += 1;
        return Ok(());
    }
    scratch.active.clear();
    scratch.row.clear();
    scratch.row_bytes.clear();
    if !plan.reads.is_empty() {
        for &col in &plan.reads {
            let range = match scratch.slots.get(col).copied().flatten() {
                Some(f) => {
                    let from = scratch.row_bytes.len();
                    decode(src, f, bound.format, &mut scratch.row_bytes)?
                        .map(|_| from..scratch.row_bytes.len())
                }
                None => None,
            };
            scratch.row.push((col, range));
        }
        let row = DecodedRow {
            cols: &scratch.row,
            bytes: &scratch.row_bytes,
        };
        let value = |i: usize| crate::rules::transform::Row::original(&row, i);
        if plan.drops_row(&value) {
            counts.rows_dropped += 1;
            return Ok(());
        }
        scratch
            .active
            .extend(plan.blocks.iter().map(|b| b.cond.holds(&value)));
    }
    scratch.edits.clear();
    scratch.edit_bytes.clear();
    let mut changed = false;
    for col in 0..plan.table.columns.len() {
        let Some(t) = plan.action(col, &scratch.active) else {
            continue;
        };
        let row = DecodedRow {
            cols: &scratch.row,
            bytes: &scratch.row_bytes,
        };
        let from = scratch.edit_bytes.len();
        let name = &plan.table.columns[col].name;
        let Some(f) = scratch.slots.get(col).copied().flatten() else {
            // An absent JSON key: only `set` writes one, at the end.
            if bound.format == RecordFormat::Jsonl && t.literal_type().is_some() {
                let at = scratch.obj.insert_at;
                if !scratch.obj.members.is_empty() {
                    scratch.edit_bytes.push(b',');
                }
                jsonl::write_string(name.as_bytes(), &mut scratch.edit_bytes)
                    .map_err(|m| Error::input(start as u64, m))?;
                scratch.edit_bytes.push(b':');
                scratch.produced.clear();
                let o = t
                    .apply(None, &row, &mut scratch.produced)
                    .map_err(|e| Error::input(start as u64, format!("key `{name}`: {}", e.0)))?;
                jsonl::write_outcome(
                    None,
                    o,
                    &scratch.produced,
                    t.as_ref(),
                    &mut scratch.edit_bytes,
                )
                .map_err(|m| Error::input(start as u64, format!("key `{name}`: {m}")))?;
                scratch.edits.push((at..at, from..scratch.edit_bytes.len()));
                counts.values_changed[col] += 1;
                changed = true;
            }
            continue;
        };
        let fail = |m: &str| Error::input(f.start as u64, format!("column `{name}`: {m}"));
        let differs = if let (RecordFormat::Jsonl, Some(paths)) = (bound.format, t.json_paths()) {
            match jsonl::rewrite_paths(
                src,
                f,
                paths,
                &row,
                &mut scratch.paths,
                &mut scratch.edit_bytes,
            )
            .map_err(|(_, m)| fail(m))?
            {
                Rewrite::Unchanged => continue,
                Rewrite::Written => scratch.edit_bytes[from..] != src[f.start..f.end],
            }
        } else {
            scratch.decoded.clear();
            scratch.produced.clear();
            let present = decode(src, f, bound.format, &mut scratch.decoded)?;
            let input = present.map(|_| scratch.decoded.as_slice());
            let outcome = t
                .apply(input, &row, &mut scratch.produced)
                .map_err(|e| fail(&e.0))?;
            let written = match bound.format {
                RecordFormat::Jsonl => jsonl::write_outcome(
                    Some(f.kind),
                    outcome,
                    &scratch.produced,
                    t.as_ref(),
                    &mut scratch.edit_bytes,
                )
                .map_err(fail)?,
                RecordFormat::Csv(o) => csv::write_outcome(
                    f,
                    outcome,
                    &scratch.produced,
                    o.delimiter,
                    &mut scratch.edit_bytes,
                ),
            };
            if written == Rewrite::Unchanged {
                continue;
            }
            match outcome {
                Outcome::Value => input != Some(scratch.produced.as_slice()),
                _ => input.is_some(),
            }
        };
        scratch
            .edits
            .push((f.start..f.end, from..scratch.edit_bytes.len()));
        if differs {
            counts.values_changed[col] += 1;
            changed = true;
        }
    }
    if scratch.edits.is_empty() {
        out.extend_from_slice(&src[start..next]);
        return Ok(());
    }
    // Replacements in input order; an added key (an empty range at the
    // end of the last value) after the replacement of that value.
    scratch.edits.sort_by_key(|(r, _)| (r.start, r.end));
    let mut pos = start;
    for (r, b) in &scratch.edits {
        out.extend_from_slice(&src[pos..r.start]);
        out.extend_from_slice(&scratch.edit_bytes[b.clone()]);
        pos = r.end;
    }
    out.extend_from_slice(&src[pos..next]);
    if changed {
        counts.rows_rewritten += 1;
    }
    Ok(())
}

/// Decodes a value as transformers see it; `None` for JSON `null`.
fn decode(src: &[u8], f: Field, format: RecordFormat, out: &mut Vec<u8>) -> Result<Option<()>> {
    match format {
        RecordFormat::Jsonl => jsonl::decode(src, f, out)
            .map_err(|m| Error::input(f.start as u64, format!("invalid JSON: {m}"))),
        RecordFormat::Csv(_) => {
            csv::decode(src, f, out);
            Ok(Some(()))
        }
    }
}
