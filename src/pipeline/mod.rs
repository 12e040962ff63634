//! Splitting, rewriting and writing, in sequence or in parallel.
//!
//! The sequential path (`threads == 1`) is the reference: split a chunk,
//! rewrite it, write it, repeat. The parallel path runs the same three
//! functions: the calling thread splits, workers rewrite, one writer thread
//! restores input order. Channels are bounded and a fixed number of chunk
//! slots circulate between the splitter and the writer, so memory stays
//! flat whatever the input size. Workers never panic on input; errors
//! travel through the channels and the earliest one in input order wins.

pub mod ordered;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::bounded;

use crate::error::{Error, Result};
use crate::format::{Chunk, SharedBytes, Split, Splitter};
use crate::io::input::{fill, Input};
use crate::report::{Progress, Summary};
use crate::rewrite::{rewrite_chunk, ChunkOut, OutPart, Scratch};

/// Builds the splitter once the input's first bytes are known (they tell
/// the dialect).
pub type MakeSplitter<'a> = dyn FnMut(&[u8]) -> Result<Box<dyn Splitter>> + 'a;

/// How the pipeline runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads; 1 runs the sequential reference path.
    pub threads: usize,
    /// Target bytes of input per chunk.
    pub chunk_size: usize,
    /// Largest statement or row accepted, in bytes.
    pub max_statement: usize,
    /// Bytes read from a stream at a time.
    pub window: usize,
    /// Set (by a signal handler) to stop the run cleanly.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Where the run reports how far it has got.
    pub progress: Option<Arc<Progress>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_size: 2 << 20,
            max_statement: 1 << 30,
            window: 8 << 20,
            interrupt: None,
            progress: None,
        }
    }
}

/// Writes rewritten chunks in order, stitching statements whose rows
/// span chunks: a statement's header is written with its first kept row,
/// and a statement with no kept row vanishes (unless its format keeps
/// empty statements, like COPY).
pub struct DumpWriter<W: Write> {
    sink: Sink<W>,
    progress: Option<Arc<Progress>>,
    header_done: bool,
    rows_done: bool,
}

/// The output of a run, counting what it writes: shared by the dump and
/// record writers.
pub(crate) struct Sink<W: Write> {
    out: W,
    bytes_out: u64,
}

impl<W: Write> Sink<W> {
    pub(crate) fn new(out: W) -> Self {
        Sink { out, bytes_out: 0 }
    }

    pub(crate) fn put(&mut self, b: &[u8]) -> Result<()> {
        self.bytes_out += b.len() as u64;
        self.out
            .write_all(b)
            .map_err(|e| Error::io("writing output", e))
    }

    pub(crate) fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io("writing output", e))
    }

    /// Flushes and returns the writer and the bytes written.
    pub(crate) fn finish(mut self) -> Result<(W, u64)> {
        self.flush()?;
        Ok((self.out, self.bytes_out))
    }
}

impl<W: Write> DumpWriter<W> {
    /// A writer onto `out`, reporting to `progress`.
    pub fn new(out: W, progress: Option<Arc<Progress>>) -> Self {
        DumpWriter {
            sink: Sink::new(out),
            progress,
            header_done: false,
            rows_done: false,
        }
    }

    fn put(&mut self, b: &[u8]) -> Result<()> {
        self.sink.put(b)
    }

    /// Writes one chunk.
    pub fn write(&mut self, c: &ChunkOut) -> Result<()> {
        let src: &[u8] = (*c.data).as_ref();
        if let Some(p) = &self.progress {
            p.advance(
                c.bytes_in,
                c.parts.iter().rev().find_map(|part| match part {
                    OutPart::Rows { stmt, .. } => Some(stmt.plan.display.as_str()),
                    OutPart::Verbatim(_) => None,
                }),
            );
        }
        for part in &c.parts {
            match part {
                OutPart::Verbatim(r) => self.put(&src[r.clone()])?,
                OutPart::Rows {
                    stmt,
                    bytes,
                    first_sep,
                    kept,
                    first,
                    trailer,
                } => {
                    if *first {
                        self.header_done = false;
                        self.rows_done = false;
                        if stmt.keep_when_empty {
                            self.put(&stmt.header)?;
                            self.header_done = true;
                        }
                    }
                    if *kept > 0 {
                        if !self.header_done {
                            self.put(&stmt.header)?;
                            self.header_done = true;
                        }
                        let skip = if self.rows_done { 0 } else { *first_sep };
                        self.put(&c.buf[bytes.start + skip..bytes.end])?;
                        self.rows_done = true;
                    }
                    if let Some(t) = trailer {
                        if self.header_done {
                            self.put(&src[t.clone()])?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Flushes and returns the sink and the bytes written.
    pub fn finish(self) -> Result<(W, u64)> {
        self.sink.finish()
    }
}

/// What feeding the whole input found.
pub struct Fed {
    /// Bytes read (decompressed).
    pub bytes_in: u64,
    /// Tables the dump declared.
    pub tables: usize,
    /// The splitter, for what it learned (schema, problems).
    pub splitter: Box<dyn Splitter>,
}

/// Feeds the input through the splitter, handing each chunk to `emit`.
/// `make` builds the splitter from the input's first bytes (to detect the
/// dialect).
pub fn feed(
    input: Input,
    opts: &Options,
    make: &mut MakeSplitter,
    emit: &mut dyn FnMut(Chunk) -> Result<bool>,
) -> Result<Fed> {
    let interrupt = opts.interrupt.clone();
    let emit = &mut |chunk: Chunk| -> Result<bool> {
        if interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            return Err(Error::interrupted());
        }
        emit(chunk)
    };
    let name = input.name().to_string();
    let mut seq = 0u64;
    match input {
        Input::Whole { data, .. } => {
            let w: &[u8] = (*data).as_ref();
            let mut splitter = make(w)?;
            let mut pos = 0;
            loop {
                let split = splitter
                    .split(w, pos, 0, true)
                    .map_err(|e| locate(e, w, 0, 0, &name))?;
                match split {
                    Split::Pieces { pieces, end } => {
                        let chunk = Chunk {
                            seq,
                            data: data.clone(),
                            base: 0,
                            base_line: 0,
                            pieces,
                        };
                        seq += 1;
                        pos = end;
                        if !emit(chunk)? {
                            return Err(Error::interrupted());
                        }
                    }
                    Split::Done => break,
                    Split::NeedMore => {
                        return Err(Error::input(
                            pos as u64,
                            "the splitter stopped before the end of input",
                        )
                        .in_file(name))
                    }
                }
            }
            let tables = splitter.finish().map_err(|e| e.in_file(name.clone()))?;
            Ok(Fed {
                bytes_in: w.len() as u64,
                tables: tables.len(),
                splitter,
            })
        }
        Input::Stream { mut reader, .. } => {
            let mut carry: Vec<u8> = Vec::new();
            let mut base = 0u64;
            let mut base_line = 0u64;
            // The first window must hold the header the dialect is read from.
            let mut want = opts.window.max(4 << 10);
            let mut splitter: Option<Box<dyn Splitter>> = None;
            loop {
                let mut buf = Vec::with_capacity(want);
                buf.extend_from_slice(&carry);
                let eof = fill(&mut reader, &mut buf, want).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::InvalidData {
                        // Corrupt compressed input: the decoder says where.
                        Error::input(base + buf.len() as u64, e.to_string()).in_file(name.clone())
                    } else {
                        Error::io(format!("reading {name}"), e)
                    }
                })?;
                let s = match &mut splitter {
                    Some(s) => s,
                    None => splitter.insert(make(&buf)?),
                };
                let data: Arc<Vec<u8>> = Arc::new(buf);
                let shared: SharedBytes = data.clone();
                let mut pos = 0;
                let mut done = false;
                loop {
                    let split = s
                        .split(&data, pos, base, eof)
                        .map_err(|e| locate(e, &data, base, base_line, &name))?;
                    match split {
                        Split::Pieces { pieces, end } => {
                            let chunk = Chunk {
                                seq,
                                data: shared.clone(),
                                base,
                                base_line,
                                pieces,
                            };
                            seq += 1;
                            pos = end;
                            if !emit(chunk)? {
                                return Err(Error::interrupted());
                            }
                        }
                        Split::Done => {
                            done = true;
                            break;
                        }
                        Split::NeedMore if eof => {
                            return Err(Error::input(
                                base + pos as u64,
                                "the splitter stopped before the end of input",
                            )
                            .in_file(name))
                        }
                        Split::NeedMore => break,
                    }
                }
                if done {
                    let tables = s.finish().map_err(|e| e.in_file(name.clone()))?;
                    let tables = tables.len();
                    let Some(splitter) = splitter else {
                        return Err(Error::internal("no splitter"));
                    };
                    return Ok(Fed {
                        bytes_in: base + data.len() as u64,
                        tables,
                        splitter,
                    });
                }
                base_line += memchr::memchr_iter(b'\n', &data[..pos]).count() as u64;
                base += pos as u64;
                carry = data[pos..].to_vec();
                // No progress: the statement or row is longer than the
                // window; grow it (the splitter bounds it by max_statement).
                want = if pos == 0 {
                    (carry.len() * 2).max(opts.window)
                } else {
                    opts.window.max(carry.len() + opts.window / 2)
                };
            }
        }
    }
}

/// Fills in file name and line for an error from the splitter.
fn locate(e: Error, window: &[u8], base: u64, base_line: u64, name: &str) -> Error {
    e.resolve_line(|b| {
        let rel = b.checked_sub(base)? as usize;
        Some(
            base_line
                + memchr::memchr_iter(b'\n', &window[..rel.min(window.len())]).count() as u64
                + 1,
        )
    })
    .in_file(name)
}

/// Runs the whole job: reads `input`, rewrites it, writes to `out`.
pub fn run<W: Write + Send>(
    input: Input,
    make: &mut MakeSplitter,
    out: W,
    opts: &Options,
) -> Result<(Summary, W)> {
    run_keeping_splitter(input, make, out, opts).map(|(s, w, _)| (s, w))
}

/// Like [`run`], and hands back the splitter with what it learned (the
/// schema, the bound rules): pg_dump archives run one input per table's
/// data through one splitter.
pub fn run_keeping_splitter<W: Write + Send>(
    input: Input,
    make: &mut MakeSplitter,
    out: W,
    opts: &Options,
) -> Result<(Summary, W, Box<dyn Splitter>)> {
    let started = Instant::now();
    let name = input.name().to_string();
    let (summary, w, splitter) = if opts.threads <= 1 {
        run_sequential(input, make, out, opts)
    } else {
        run_parallel(input, make, out, opts)
    }
    .map_err(|e| match e.kind() {
        // Write errors are about the output, not the input.
        crate::error::ErrorKind::Io | crate::error::ErrorKind::BrokenPipe => e,
        _ => e.in_file(name),
    })?;
    let mut summary = summary;
    summary.duration = started.elapsed();
    Ok((summary, w, splitter))
}

fn run_sequential<W: Write>(
    input: Input,
    make: &mut MakeSplitter,
    out: W,
    opts: &Options,
) -> Result<(Summary, W, Box<dyn Splitter>)> {
    let mut writer = DumpWriter::new(out, opts.progress.clone());
    let mut summary = Summary::default();
    let mut scratch = Scratch::default();
    let Fed {
        bytes_in,
        tables,
        splitter,
    } = feed(input, opts, make, &mut |chunk| {
        let c = rewrite_chunk(chunk, &mut scratch)?;
        writer.write(&c)?;
        summary.merge(c.counts);
        if c.buf.capacity() <= opts.chunk_size.saturating_mul(4) {
            scratch.spare = c.buf;
        }
        Ok(true)
    })?;
    let (w, bytes_out) = writer.finish()?;
    summary.bytes_in = bytes_in;
    summary.bytes_out = bytes_out;
    summary.tables_seen = tables;
    summary.large_objects = splitter.large_objects();
    Ok((summary, w, splitter))
}

fn run_parallel<W: Write + Send>(
    input: Input,
    make: &mut MakeSplitter,
    out: W,
    opts: &Options,
) -> Result<(Summary, W, Box<dyn Splitter>)> {
    let threads = opts.threads;
    let in_flight = threads * 4;
    // Written output buffers, back to the workers.
    let (spare_tx, spare_rx) = bounded::<Vec<u8>>(in_flight);
    // A buffer grown for one huge statement is not kept.
    let spare_limit = opts.chunk_size.saturating_mul(4);
    let (mut submitter, collector, workers) = ordered::ordered(
        threads,
        threads * 2,
        Scratch::default,
        move |scratch: &mut Scratch, chunk: Chunk| {
            if let Ok(buf) = spare_rx.try_recv() {
                scratch.spare = buf;
            }
            rewrite_chunk(chunk, scratch)
        },
    );
    // A fixed number of chunk slots circulate between the splitter and
    // the writer, so memory stays flat.
    let (slot_tx, slot_rx) = bounded::<()>(in_flight);
    for _ in 0..in_flight {
        let _ = slot_tx.send(());
    }
    std::thread::scope(|scope| {
        let progress = opts.progress.clone();
        let writer = scope.spawn(move || -> Result<(Summary, W)> {
            let mut writer = DumpWriter::new(out, progress);
            let mut summary = Summary::default();
            // In input order: the first error met is the earliest.
            let mut collector = collector;
            for r in collector.by_ref() {
                let c = r?;
                writer.write(&c)?;
                summary.merge(c.counts);
                if c.buf.capacity() <= spare_limit {
                    let _ = spare_tx.try_send(c.buf);
                }
                // Give the slot back to the splitter.
                let _ = slot_tx.send(());
            }
            if !collector.is_complete() {
                return Err(Error::internal("chunks missing from the output order"));
            }
            let (w, bytes_out) = writer.finish()?;
            summary.bytes_out = bytes_out;
            Ok((summary, w))
        });
        let fed = feed(input, opts, make, &mut |chunk| {
            // A closed slot channel means the writer stopped on an error;
            // stop splitting and let its error speak.
            if slot_rx.recv().is_err() {
                return Ok(false);
            }
            Ok(submitter.submit(chunk).is_ok())
        });
        drop(submitter);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(Error::internal("the writer thread panicked")));
        if !workers.join() {
            return Err(Error::internal("a worker thread panicked"));
        }
        match (fed, written) {
            (_, Err(e)) => Err(e),
            (Err(e), Ok(_)) => Err(e),
            (
                Ok(Fed {
                    bytes_in,
                    tables,
                    splitter,
                }),
                Ok((mut summary, w)),
            ) => {
                summary.bytes_in = bytes_in;
                summary.tables_seen = tables;
                summary.large_objects = splitter.large_objects();
                Ok((summary, w, splitter))
            }
        }
    })
}
