//! pg_dump archives: custom (`-Fc`, one file) and directory (`-Fd`),
//! rewritten offline into archives `pg_restore` accepts.
//!
//! Layout (pg_dump's pg_backup_archiver.c, pg_backup_custom.c,
//! pg_backup_directory.c): a header (`PGDMP`, version, int and offset
//! sizes, format, compression, creation time, names), then the table of
//! contents (TOC): one entry per object, with its SQL (`defn`), for table
//! data its `COPY ... FROM stdin;` statement, and a format-specific tail:
//! in a custom archive the offset of the entry's data block, in a directory
//! archive the name of its data file. Integers are a sign byte and
//! `int_size` little-endian bytes; strings an integer length (-1: NULL)
//! and the bytes.
//!
//! A custom archive's data blocks follow the TOC: a type byte (1: data,
//! 3: large objects), the dump id, then chunks `[int len][bytes]` ended by
//! a zero length; with compression the chunks of one block join into one
//! zlib stream. Table data is COPY text ending in `\.`.
//!
//! The rewrite keeps the header and every TOC entry as they are, reads the
//! schema from the TOC, runs each table's data through the same splitter
//! and workers as a plain dump (so a big table is split across workers at
//! row boundaries), recompresses it with the archive's own method, copies
//! every other block (large objects included) unchanged, and writes the
//! TOC again with the new offsets. Versions 1.12 to 1.16 are read (pg_dump
//! of PostgreSQL 9.x to 17); the tests cover 1.14 (PostgreSQL 12 to 15).

mod blocks;
mod custom;
mod directory;
mod toc;

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use custom::rewrite_custom;
use directory::rewrite_directory;
use toc::{read_toc, write_toc, ArchiveCompression, Entry, Extra, Header};

use crate::error::{display_path, Error, Result};
use crate::format::{Engine, SharedBytes, Split, Splitter};
use crate::io::input::Input;
use crate::pipeline::{self, Options};
use crate::report::Summary;
use crate::rules::Rules;
use crate::sql::QualifiedName;

/// zlib/gzip level for rewritten table data. pg_restore reads any level
/// (the archive header records none for gzip before 1.15); 1 keeps the
/// single compressor of a table from being the slowest stage.
pub(crate) const ARCHIVE_LEVEL: u32 = 1;

/// Entry kinds whose SQL declares what the rules bind to: tables, their
/// partitions and keys, and the types their columns use.
const SCHEMA_KINDS: &[&str] = &["TYPE", "DOMAIN", "TABLE", "TABLE ATTACH", "CONSTRAINT"];

/// Teaches `splitter` the schema the TOC declares, entry by entry, as a
/// plain dump's statements would (no table data is read). Returns the
/// number of large objects, which pass through unchanged.
fn learn_schema(entries: &[Entry], splitter: &mut dyn Splitter) -> Result<u64> {
    for e in entries {
        if !SCHEMA_KINDS.iter().any(|d| e.desc_is(d)) {
            continue;
        }
        let Some(sql) = &e.defn else { continue };
        let mut pos = 0;
        loop {
            match splitter
                .split(sql, pos, 0, true)
                .map_err(|err| err.in_table(format!("TOC entry {}", e.dump_id)))?
            {
                Split::Pieces { end, .. } if end > pos => pos = end,
                Split::Done | Split::Pieces { .. } => break,
                Split::NeedMore => {
                    return Err(Error::input(
                        0,
                        format!("TOC entry {}: its SQL does not end", e.dump_id),
                    ))
                }
            }
        }
    }
    Ok(entries.iter().filter(|e| e.desc_is("BLOB")).count() as u64)
}

/// Teaches `splitter` an archive's schema from its TOC alone (`dumpmask
/// check` reads no table data of an archive).
pub fn learn_schema_of(src: &Path, dir: bool, splitter: &mut dyn Splitter) -> Result<()> {
    let toc_path = if dir {
        src.join("toc.dat")
    } else {
        src.to_path_buf()
    };
    let name = display_path(&toc_path);
    let mut f = File::open(&toc_path).map_err(|e| Error::io(format!("opening {name}"), e))?;
    // The TOC comes first; read until it parses (custom archives are
    // mostly data after it).
    let mut buf = Vec::new();
    let mut want = 1 << 20;
    loop {
        let eof = crate::io::input::fill(&mut f, &mut buf, want)
            .map_err(|e| Error::io(format!("reading {name}"), e))?;
        match read_toc(&buf, dir) {
            Ok((_, entries, _)) => {
                return learn_schema(&entries, splitter)
                    .map(|_| ())
                    .map_err(|e| e.in_file(name))
            }
            Err(e) if eof => return Err(e.in_file(name)),
            Err(_) => want *= 2,
        }
    }
}

/// One table's data in an archive, ready to read (decompressed).
pub struct TableData {
    /// The entry's tag (the table's name), for messages.
    pub tag: String,
    /// The entry's `COPY ... FROM stdin;` statement, if its data is COPY
    /// rows.
    pub copy_stmt: Option<Vec<u8>>,
    /// The rows.
    pub rows: Box<dyn Read + Send>,
}

/// What [`table_data`] finds in an archive.
pub struct ArchiveParts {
    /// The SQL of every TOC entry, in order (DDL, comments, statistics).
    pub sql: Vec<Vec<u8>>,
    /// Each table's data, in TOC order.
    pub tables: Vec<TableData>,
}

/// Teaches `splitter` the archive's schema (as [`learn_schema_of`]) and
/// opens every table's data for reading: `dumpmask scan` and `verify` read
/// an archive as a plain dump's statements and COPY rows. Data of a kind
/// dumpmask does not read is an error (as in a rewrite).
pub fn table_data(src: &Path, dir: bool, splitter: &mut dyn Splitter) -> Result<ArchiveParts> {
    let Opened {
        name,
        data,
        header,
        entries,
        toc_end,
    } = open(src, dir)?;
    let b: &[u8] = (*data).as_ref();
    learn_schema(&entries, splitter).map_err(|e| e.in_file(name.clone()))?;
    let gzip = header.compression == ArchiveCompression::Gzip;
    let sql = entries.iter().filter_map(|e| e.defn.clone()).collect();
    let tag =
        |e: &Entry| String::from_utf8_lossy(e.tag.as_deref().unwrap_or_default()).into_owned();
    let mut tables = Vec::new();
    if dir {
        for e in &entries {
            let Extra::File(Some(f)) = &e.extra else {
                continue;
            };
            if f.is_empty() || is_large_objects(e) {
                continue;
            }
            if !is_table_data(e) {
                return Err(unknown_data(e).in_file(name));
            }
            let fname = String::from_utf8_lossy(f).into_owned();
            let gz = src.join(format!("{fname}.gz"));
            let (path, compressed) = if gzip && gz.is_file() {
                (gz, true)
            } else {
                (src.join(&fname), false)
            };
            let input = File::open(&path)
                .map_err(|err| Error::io(format!("opening {}", display_path(&path)), err))?;
            let rows: Box<dyn Read + Send> = if compressed {
                Box::new(flate2::read::MultiGzDecoder::new(
                    std::io::BufReader::with_capacity(1 << 20, input),
                ))
            } else {
                Box::new(input)
            };
            tables.push(TableData {
                tag: tag(e),
                copy_stmt: e.copy_stmt.clone(),
                rows,
            });
        }
    } else {
        for blk in blocks::scan_blocks(b, toc_end, &header)? {
            if blk.kind != 1 {
                continue;
            }
            let Some(e) = entries.iter().find(|e| e.dump_id == blk.dump_id) else {
                continue;
            };
            if !is_table_data(e) {
                return Err(unknown_data(e).in_file(name));
            }
            let raw = blocks::ChunkReader {
                data: data.clone(),
                pos: blk.start + 1 + 1 + header.int_size,
                left: 0,
                int_size: header.int_size,
                done: false,
            };
            let rows: Box<dyn Read + Send> = if gzip {
                Box::new(flate2::read::ZlibDecoder::new(raw))
            } else {
                Box::new(raw)
            };
            tables.push(TableData {
                tag: tag(e),
                copy_stmt: e.copy_stmt.clone(),
                rows,
            });
        }
    }
    Ok(ArchiveParts { sql, tables })
}

/// Is this a table's data that the rewrite reads? Whatever its form: COPY
/// rows after the entry's COPY statement, or INSERT statements
/// (`pg_dump --inserts`), which the splitter reads as in a plain dump.
pub(crate) fn is_table_data(e: &Entry) -> bool {
    e.desc_is("TABLE DATA")
}

/// Entries whose data pg_restore loads but which hold no table rows:
/// large objects, copied as they are.
pub(crate) fn is_large_objects(e: &Entry) -> bool {
    ["BLOBS", "BLOB", "LARGE OBJECTS", "BLOB DATA"]
        .iter()
        .any(|d| e.desc_is(d))
}

/// Deny by default over an archive's data: data of an entry kind dumpmask
/// does not read (a corrupt or newer kind) is an error, never copied.
pub(crate) fn unknown_data(e: &Entry) -> Error {
    Error::input(
        0,
        format!(
            "archive entry {} ({}) holds data of a kind dumpmask does not read",
            e.dump_id,
            String::from_utf8_lossy(e.desc.as_deref().unwrap_or_default())
        ),
    )
}

/// A directory archive, or a custom archive file?
pub fn detect(path: &Path) -> Option<bool> {
    if path.is_dir() {
        return path.join("toc.dat").is_file().then_some(true);
    }
    let mut head = [0u8; 5];
    let mut f = File::open(path).ok()?;
    f.read_exact(&mut head).ok()?;
    (&head == b"PGDMP").then_some(false)
}

/// An archive's TOC file, mapped and read.
struct Opened {
    /// The archive's name for messages.
    name: String,
    /// The TOC file's bytes (a custom archive's whole file).
    data: SharedBytes,
    header: Header,
    entries: Vec<Entry>,
    /// Where the TOC ends (a custom archive's data blocks follow).
    toc_end: usize,
}

/// Maps the archive's TOC file and reads its header and TOC; archives
/// whose data dumpmask cannot decompress are refused.
fn open(src: &Path, dir: bool) -> Result<Opened> {
    let name = display_path(src);
    let toc_path = if dir {
        src.join("toc.dat")
    } else {
        src.to_path_buf()
    };
    let file = File::open(&toc_path)
        .map_err(|e| Error::io(format!("opening {}", display_path(&toc_path)), e))?;
    // SAFETY: read-only map of an input file, as for plain dumps (see
    // io::input); a rewrite's output is only published when it succeeds.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| Error::io(format!("reading {name}"), e))?;
    let data: SharedBytes = Arc::new(MapBytes(map));
    let (header, entries, toc_end) =
        read_toc((*data).as_ref(), dir).map_err(|e| e.in_file(name.clone()))?;
    if matches!(
        header.compression,
        ArchiveCompression::Lz4 | ArchiveCompression::Zstd
    ) {
        return Err(Error::input(
            11,
            "pg_dump archives compressed with lz4 or zstd (PostgreSQL 16+) are not supported yet; dump with -Z gzip or -Z0",
        )
        .in_file(name));
    }
    Ok(Opened {
        name,
        data,
        header,
        entries,
        toc_end,
    })
}

/// Rewrites a pg_dump archive (`dir`: directory format) into `dest`.
pub fn rewrite(
    src: &Path,
    dest: &Path,
    dir: bool,
    rules: Rules,
    opts: &Options,
) -> Result<Summary> {
    let Opened {
        name,
        data,
        header,
        mut entries,
        toc_end,
    } = open(src, dir)?;
    // Learn the schema as a plain dump would give it; every table's data
    // is then rewritten by a copy of this splitter, side by side.
    let mut splitter = Engine::Postgres.splitter(rules, opts.chunk_size, opts.max_statement);
    let large_objects =
        learn_schema(&entries, splitter.as_mut()).map_err(|e| e.in_file(name.clone()))?;
    let mut total = Summary::default();
    // Planner statistics (pg_dump 18 `--statistics`) of a ruled table:
    // its columns' most common values and histogram bounds are its values,
    // so they leave the TOC entry (its row counts stay), as they leave a
    // plain dump.
    let mut toc_changed = false;
    for e in entries.iter_mut().filter(|e| e.desc_is("STATISTICS DATA")) {
        if let Some(defn) = &e.defn {
            let kept = without_column_statistics(defn, &|t| splitter.keeps_statistics(t))
                .map_err(|m| Error::input(0, m).in_file(name.clone()))?;
            toc_changed |= kept != *defn;
            e.defn = Some(kept);
        }
    }
    // (A directory archive's toc.dat is the header, then the TOC.)
    let new_toc =
        (dir && toc_changed).then(|| [header.raw.clone(), write_toc(&header, &entries)].concat());
    let gzip = header.compression == ArchiveCompression::Gzip;
    let summaries = if dir {
        rewrite_directory(src, dest, &entries, new_toc, gzip, splitter.as_ref(), opts)
    } else {
        rewrite_custom(
            &data,
            dest,
            &header,
            &mut entries,
            toc_end,
            gzip,
            splitter.as_ref(),
            opts,
        )
    }
    .map_err(|e| e.in_file(name.clone()))?;
    for s in summaries {
        total.absorb(s);
    }
    splitter.finish().map_err(|e| e.in_file(name))?;
    total.large_objects = large_objects;
    Ok(total)
}

/// A statistics entry's SQL without the column statistics
/// (`pg_restore_attribute_stats`, which carry column values) of relations
/// whose statistics may not stay (see [`Splitter::keeps_statistics`]);
/// relation statistics (sizes, row counts) stay.
fn without_column_statistics(
    defn: &[u8],
    keep: &dyn Fn(&QualifiedName) -> bool,
) -> std::result::Result<Vec<u8>, String> {
    let lx = Engine::Postgres.lexical();
    let mut kept = Vec::with_capacity(defn.len());
    let mut i = 0;
    while i < defn.len() {
        let end = match crate::sql::statement_end(defn, i, b";", lx) {
            Ok(Some(end)) => end,
            Ok(None) => defn.len(),
            Err((_, what)) => return Err(format!("cannot read a statistics entry: {what}")),
        };
        let stmt = &defn[i..end];
        let toks = crate::sql::tokenize(stmt, lx).map_err(|e| e.what.to_string())?;
        let column_stats = toks
            .iter()
            .any(|t| t.token.is_word("pg_restore_attribute_stats"));
        let stays =
            !column_stats || crate::dialect::statistics_table(&toks).is_some_and(|t| keep(&t));
        if stays {
            kept.extend_from_slice(stmt);
        }
        i = end;
    }
    Ok(kept)
}

/// Runs `job` over every item on the ordered executor, as many items at
/// a time as there are threads, each with a share of the threads (a big
/// table still splits across workers). Results come back in item order,
/// and the earliest error in item order wins, as in a dump's pipeline.
pub(crate) fn each_in_order<T, R>(
    items: Vec<T>,
    opts: &Options,
    job: impl Fn(T, &Options) -> Result<R> + Send + Sync + 'static,
) -> Result<Vec<R>>
where
    T: Send + 'static,
    R: Send + 'static,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    let n = items.len();
    let workers = opts.threads.max(1).min(n.max(1));
    let share = Options {
        threads: (opts.threads / workers).max(1),
        ..opts.clone()
    };
    // After a failure, items later in order are skipped: none of them can
    // be the earliest error, and every item before it still runs.
    let failed = Arc::new(AtomicUsize::new(usize::MAX));
    let seen = failed.clone();
    let (mut submit, collect, pool) = crate::pipeline::ordered::ordered(
        workers,
        n.max(1),
        || (),
        move |_, (i, item): (usize, T)| {
            if i > seen.load(Ordering::Relaxed) {
                return None;
            }
            let r = job(item, &share);
            if r.is_err() {
                seen.fetch_min(i, Ordering::Relaxed);
            }
            Some(r)
        },
    );
    for item in items.into_iter().enumerate() {
        // The queue holds every item: submitting never waits.
        if submit.submit(item).is_err() {
            break;
        }
    }
    drop(submit);
    // Every worker is done before anything is returned (or dropped): no
    // part is still being written when the caller cleans up.
    let results: Vec<Option<Result<R>>> = collect.collect();
    if !pool.join() || results.len() != n {
        return Err(Error::internal("a table's rewrite panicked"));
    }
    let mut out = Vec::with_capacity(n);
    for r in results {
        match r {
            Some(r) => out.push(r?),
            None => {
                return Err(Error::internal(
                    "a table was skipped with no error before it",
                ))
            }
        }
    }
    Ok(out)
}

struct MapBytes(memmap2::Mmap);

impl AsRef<[u8]> for MapBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Rewrites one table's data from `rows` into `out`, compressed as the
/// archive wants, with `part` (see [`Splitter::part`]). COPY rows start
/// with it already inside the entry's COPY statement (which the TOC holds,
/// and the output does not repeat); INSERT statements (`--inserts`) are
/// read as statements.
pub(crate) fn rewrite_table<W: Write + Send>(
    e: &Entry,
    rows: Box<dyn Read + Send>,
    out: W,
    part: Box<dyn Splitter>,
    opts: &Options,
) -> Result<(Summary, W)> {
    let mut splitter = Some(part);
    if let (Some(s), Some(copy)) = (splitter.as_mut(), e.copy_stmt.as_deref()) {
        if !copy.is_empty() {
            s.open_copy(copy)?;
        }
    }
    let mut make = |_: &[u8]| -> Result<Box<dyn Splitter>> {
        splitter
            .take()
            .ok_or_else(|| Error::internal("splitter lost"))
    };
    let tag = String::from_utf8_lossy(e.tag.as_deref().unwrap_or_default()).into_owned();
    let input = Input::Stream {
        reader: rows,
        name: format!("table data of {tag}"),
    };
    pipeline::run(input, &mut make, out, opts)
}

#[cfg(test)]
mod tests {
    use super::blocks::scan_blocks;
    use super::*;
    use std::path::PathBuf;

    fn fixture(rel: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/postgres")
            .join(rel)
    }

    #[test]
    fn toc_round_trips_byte_for_byte() {
        for (f, dir) in [
            ("custom.dump", false),
            ("custom-z0.dump", false),
            ("directory/toc.dat", true),
        ] {
            let b = std::fs::read(fixture(f)).unwrap();
            let (h, entries, end) = read_toc(&b, dir).unwrap();
            assert_eq!(h.raw[5..7], [1, 14], "version 1.14");
            let toc = write_toc(&h, &entries);
            assert_eq!(&b[h.raw.len()..end], toc.as_slice(), "{f}");
            let copy = entries
                .iter()
                .find(|e| e.tag.as_deref() == Some(b"customers") && is_table_data(e))
                .unwrap();
            assert!(copy
                .copy_stmt
                .as_ref()
                .unwrap()
                .starts_with(b"COPY public.customers ("));
        }
    }

    #[test]
    fn blocks_are_found_without_trusting_offsets() {
        let b = std::fs::read(fixture("custom.dump")).unwrap();
        let (h, entries, end) = read_toc(&b, false).unwrap();
        let blocks = scan_blocks(&b, end, &h).unwrap();
        assert_eq!(blocks.last().unwrap().end, b.len());
        for block in &blocks {
            let e = entries.iter().find(|e| e.dump_id == block.dump_id).unwrap();
            assert_eq!(e.extra, Extra::Offset(2, block.start as u64));
        }
        assert!(blocks.iter().any(|b| b.kind == 3));
    }

    #[test]
    fn hostile_lengths_are_errors_not_panics() {
        let b = std::fs::read(fixture("custom.dump")).unwrap();
        let (h, _, end) = read_toc(&b, false).unwrap();
        // The first TOC string's length (after count, dump id, had-dumper)
        // set to the largest positive and the most negative integers.
        let at = h.raw.len() + 3 * (1 + h.int_size);
        for fill in [0xffu8, 0x7f] {
            let mut bad = b.clone();
            bad[at] = 0;
            for x in &mut bad[at + 1..at + 1 + h.int_size] {
                *x = fill;
            }
            assert!(read_toc(&bad, false).is_err(), "length {fill:#x}..");
        }
        // A chunk length past the end of the file.
        let mut bad = b.clone();
        let blocks = scan_blocks(&b, end, &h).unwrap();
        let chunk_len_at = blocks[0].start + 1 + 1 + h.int_size;
        bad[chunk_len_at] = 0;
        for x in &mut bad[chunk_len_at + 1..chunk_len_at + 1 + h.int_size] {
            *x = 0xff;
        }
        assert!(scan_blocks(&bad, end, &h).is_err());
    }

    #[test]
    fn truncated_archives_are_errors() {
        let b = std::fs::read(fixture("custom.dump")).unwrap();
        for cut in [3, 11, 200, 5000] {
            assert!(read_toc(&b[..cut], false).is_err(), "cut at {cut}");
        }
        let (h, _, end) = read_toc(&b, false).unwrap();
        assert!(scan_blocks(&b[..b.len() - 7], end, &h).is_err());
    }
}
