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

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
const ARCHIVE_LEVEL: u32 = 1;

/// How an archive's data is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveCompression {
    /// Plain.
    None,
    /// zlib streams (custom) or gzip files (directory).
    Gzip,
    /// LZ4 (PostgreSQL 16+): not supported.
    Lz4,
    /// Zstandard (PostgreSQL 16+): not supported.
    Zstd,
}

/// The archive header, kept byte for byte.
#[derive(Debug, Clone)]
pub struct Header {
    /// The header's bytes, written again unchanged.
    pub raw: Vec<u8>,
    /// Minor version (1.x).
    pub vmin: u8,
    /// Bytes of an integer.
    pub int_size: usize,
    /// Bytes of a file offset.
    pub off_size: usize,
    /// Format byte (1 custom, 3 tar or a directory's toc.dat).
    pub format: u8,
    /// Data compression.
    pub compression: ArchiveCompression,
}

/// A string field: `None` is SQL NULL (length -1).
pub type Str = Option<Vec<u8>>;

/// The format-specific tail of a TOC entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extra {
    /// Custom format: offset flag (1 not set, 2 set, 3 no data), position.
    Offset(u8, u64),
    /// Directory format: the data file's name (empty: no data).
    File(Str),
}

/// One TOC entry, every field kept.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Dump id.
    pub dump_id: i64,
    /// Has data.
    pub had_dumper: i64,
    /// Catalog oid of the object's table.
    pub tableoid: Str,
    /// Object oid.
    pub oid: Str,
    /// Name.
    pub tag: Str,
    /// Kind: `TABLE`, `TABLE DATA`, `BLOBS`...
    pub desc: Str,
    /// Section (pre-data, data, post-data).
    pub section: i64,
    /// Its SQL.
    pub defn: Str,
    /// Its DROP.
    pub drop_stmt: Str,
    /// Table data: `COPY t (cols) FROM stdin;`.
    pub copy_stmt: Str,
    /// Schema.
    pub namespace: Str,
    /// Tablespace.
    pub tablespace: Str,
    /// Table access method (1.14+).
    pub tableam: Option<Str>,
    /// Relation kind (1.16+).
    pub relkind: Option<i64>,
    /// Owner.
    pub owner: Str,
    /// Obsolete WITH OIDS flag.
    pub with_oids: Str,
    /// Dependencies (dump ids as text).
    pub deps: Vec<Vec<u8>>,
    /// Format-specific tail.
    pub extra: Extra,
}

impl Entry {
    fn desc_is(&self, d: &str) -> bool {
        self.desc.as_deref() == Some(d.as_bytes())
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    int_size: usize,
    off_size: usize,
}

fn truncated(at: usize) -> Error {
    Error::input(at as u64, "truncated or corrupt pg_dump archive")
}

impl<'a> Reader<'a> {
    /// The next `n` bytes, if the input has them (lengths come from the
    /// archive: no overflow, no panic on a hostile one).
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self.b.get(self.pos).ok_or_else(|| truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn int(&mut self) -> Result<i64> {
        let at = self.pos;
        let sign = self.byte()?;
        let bytes = self.take(self.int_size).ok_or_else(|| truncated(at))?;
        let mut v: i64 = 0;
        for (i, b) in bytes.iter().enumerate().take(8) {
            v |= (*b as i64) << (8 * i);
        }
        match sign {
            0 => Ok(v),
            1 => Ok(v.wrapping_neg()),
            _ => Err(Error::input(
                at as u64,
                "corrupt integer in pg_dump archive",
            )),
        }
    }

    fn string(&mut self) -> Result<Str> {
        let at = self.pos;
        let len = self.int()?;
        if len < 0 {
            return Ok(None);
        }
        let s = usize::try_from(len)
            .ok()
            .and_then(|len| self.take(len))
            .ok_or_else(|| truncated(at))?;
        Ok(Some(s.to_vec()))
    }

    fn offset(&mut self) -> Result<(u8, u64)> {
        let at = self.pos;
        let flag = self.byte()?;
        if !(1..=3).contains(&flag) {
            return Err(Error::input(
                at as u64,
                "corrupt data offset in pg_dump archive",
            ));
        }
        let bytes = self.take(self.off_size).ok_or_else(|| truncated(at))?;
        let mut v = 0u64;
        for (i, b) in bytes.iter().enumerate().take(8) {
            v |= (*b as u64) << (8 * i);
        }
        Ok((flag, v))
    }
}

fn put_int(out: &mut Vec<u8>, v: i64, int_size: usize) {
    out.push(u8::from(v < 0));
    let a = v.unsigned_abs();
    for i in 0..int_size {
        out.push(if i < 8 { (a >> (8 * i)) as u8 } else { 0 });
    }
}

fn put_str(out: &mut Vec<u8>, s: &Str, int_size: usize) {
    match s {
        None => put_int(out, -1, int_size),
        Some(b) => {
            put_int(out, b.len() as i64, int_size);
            out.extend_from_slice(b);
        }
    }
}

/// Reads the header and the TOC. `dir` says the bytes are a directory
/// archive's toc.dat. Returns the header, the entries, and where the TOC
/// ends.
pub fn read_toc(b: &[u8], dir: bool) -> Result<(Header, Vec<Entry>, usize)> {
    if !b.starts_with(b"PGDMP") {
        return Err(Error::input(0, "not a pg_dump archive (no PGDMP header)"));
    }
    if b.len() < 11 {
        return Err(truncated(b.len()));
    }
    let (vmaj, vmin, int_size, off_size, format) =
        (b[5], b[6], b[8] as usize, b[9] as usize, b[10]);
    if vmaj != 1 || !(12..=16).contains(&vmin) {
        return Err(Error::input(
            5,
            format!("pg_dump archive version {vmaj}.{vmin} is not supported (1.12 to 1.16: pg_dump of PostgreSQL 9.x to 17)"),
        ));
    }
    if !(1..=8).contains(&int_size) || !(1..=8).contains(&off_size) {
        return Err(Error::input(
            8,
            "corrupt integer or offset size in pg_dump archive",
        ));
    }
    match (format, dir) {
        (1, false) | (3, true) => {}
        (3, false) => {
            return Err(Error::input(
                10,
                "pg_dump tar archives (-Ft) are not supported; use -Fc or -Fd",
            ))
        }
        _ => {
            return Err(Error::input(
                10,
                format!("unknown pg_dump archive format {format}"),
            ))
        }
    }
    let mut r = Reader {
        b,
        pos: 11,
        int_size,
        off_size,
    };
    let compression = if vmin >= 15 {
        match r.byte()? {
            0 => ArchiveCompression::None,
            1 => ArchiveCompression::Gzip,
            2 => ArchiveCompression::Lz4,
            3 => ArchiveCompression::Zstd,
            _ => return Err(Error::input(11, "unknown compression in pg_dump archive")),
        }
    } else if r.int()? != 0 {
        ArchiveCompression::Gzip
    } else {
        ArchiveCompression::None
    };
    for _ in 0..7 {
        r.int()?; // creation time
    }
    for _ in 0..3 {
        r.string()?; // database, server and pg_dump versions
    }
    let header = Header {
        raw: b[..r.pos].to_vec(),
        vmin,
        int_size,
        off_size,
        format,
        compression,
    };
    let count = r.int()?;
    if !(0..=100_000_000).contains(&count) {
        return Err(Error::input(
            r.pos as u64,
            "corrupt TOC entry count in pg_dump archive",
        ));
    }
    let mut entries = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let dump_id = r.int()?;
        let had_dumper = r.int()?;
        let tableoid = r.string()?;
        let oid = r.string()?;
        let tag = r.string()?;
        let desc = r.string()?;
        let section = r.int()?;
        let defn = r.string()?;
        let drop_stmt = r.string()?;
        let copy_stmt = r.string()?;
        let namespace = r.string()?;
        let tablespace = r.string()?;
        let tableam = if vmin >= 14 { Some(r.string()?) } else { None };
        let relkind = if vmin >= 16 { Some(r.int()?) } else { None };
        let owner = r.string()?;
        let with_oids = r.string()?;
        let mut deps = Vec::new();
        while let Some(d) = r.string()? {
            deps.push(d);
        }
        let extra = if dir {
            Extra::File(r.string()?)
        } else {
            let (flag, pos) = r.offset()?;
            Extra::Offset(flag, pos)
        };
        entries.push(Entry {
            dump_id,
            had_dumper,
            tableoid,
            oid,
            tag,
            desc,
            section,
            defn,
            drop_stmt,
            copy_stmt,
            namespace,
            tablespace,
            tableam,
            relkind,
            owner,
            with_oids,
            deps,
            extra,
        });
    }
    Ok((header, entries, r.pos))
}

/// Writes the TOC (count and entries) as pg_dump does.
pub fn write_toc(h: &Header, entries: &[Entry]) -> Vec<u8> {
    let n = h.int_size;
    let mut out = Vec::new();
    put_int(&mut out, entries.len() as i64, n);
    for e in entries {
        put_int(&mut out, e.dump_id, n);
        put_int(&mut out, e.had_dumper, n);
        for s in [&e.tableoid, &e.oid, &e.tag, &e.desc] {
            put_str(&mut out, s, n);
        }
        put_int(&mut out, e.section, n);
        for s in [
            &e.defn,
            &e.drop_stmt,
            &e.copy_stmt,
            &e.namespace,
            &e.tablespace,
        ] {
            put_str(&mut out, s, n);
        }
        if let Some(am) = &e.tableam {
            put_str(&mut out, am, n);
        }
        if let Some(k) = e.relkind {
            put_int(&mut out, k, n);
        }
        put_str(&mut out, &e.owner, n);
        put_str(&mut out, &e.with_oids, n);
        for d in &e.deps {
            put_str(&mut out, &Some(d.clone()), n);
        }
        put_str(&mut out, &None, n);
        match &e.extra {
            Extra::File(f) => put_str(&mut out, f, n),
            Extra::Offset(flag, pos) => {
                out.push(*flag);
                for i in 0..h.off_size {
                    out.push(if i < 8 { (pos >> (8 * i)) as u8 } else { 0 });
                }
            }
        }
    }
    out
}

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

/// A custom archive's block: where it is and how it ends.
struct Block {
    kind: u8,
    dump_id: i64,
    start: usize,
    end: usize,
}

/// Walks the data blocks after the TOC (not trusting offsets, which a
/// piped pg_dump leaves unset).
fn scan_blocks(b: &[u8], from: usize, h: &Header) -> Result<Vec<Block>> {
    let mut r = Reader {
        b,
        pos: from,
        int_size: h.int_size,
        off_size: h.off_size,
    };
    let mut blocks = Vec::new();
    let skip_chunks = |r: &mut Reader<'_>| -> Result<()> {
        loop {
            let at = r.pos;
            let len = r.int()?;
            if len == 0 {
                return Ok(());
            }
            let skipped = usize::try_from(len).ok().and_then(|n| r.take(n));
            if skipped.is_none() {
                return Err(truncated(at));
            }
        }
    };
    while r.pos < b.len() {
        let start = r.pos;
        let kind = r.byte()?;
        let dump_id = r.int()?;
        match kind {
            1 => skip_chunks(&mut r)?,
            3 => loop {
                let oid = r.int()?;
                if oid == 0 {
                    break;
                }
                skip_chunks(&mut r)?;
            },
            _ => {
                return Err(Error::input(
                    start as u64,
                    format!("unknown data block type {kind} in pg_dump archive"),
                ))
            }
        }
        blocks.push(Block {
            kind,
            dump_id,
            start,
            end: r.pos,
        });
    }
    Ok(blocks)
}

/// The chunks of a data block, joined, as a reader.
struct ChunkReader {
    data: SharedBytes,
    pos: usize,
    left: usize,
    int_size: usize,
    done: bool,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let b: &[u8] = (*self.data).as_ref();
        while self.left == 0 && !self.done {
            let mut r = Reader {
                b,
                pos: self.pos,
                int_size: self.int_size,
                off_size: 8,
            };
            let len = r
                .int()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
            self.pos = r.pos;
            if len <= 0 {
                self.done = true;
            } else {
                self.left = len as usize;
            }
        }
        if self.done {
            return Ok(0);
        }
        let n = buf.len().min(self.left);
        buf[..n].copy_from_slice(&b[self.pos..self.pos + n]);
        self.pos += n;
        self.left -= n;
        Ok(n)
    }
}

/// Frames bytes as chunks `[int len][bytes]` of at most 64 KiB.
struct ChunkFramer<W: Write> {
    out: W,
    buf: Vec<u8>,
    int_size: usize,
    written: u64,
}

impl<W: Write> ChunkFramer<W> {
    fn flush_chunk(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut len = Vec::new();
        put_int(&mut len, self.buf.len() as i64, self.int_size);
        self.out.write_all(&len)?;
        self.out.write_all(&self.buf)?;
        self.written += (len.len() + self.buf.len()) as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes the last chunk and the terminator; returns bytes written.
    fn finish(mut self) -> std::io::Result<u64> {
        self.flush_chunk()?;
        let mut zero = Vec::new();
        put_int(&mut zero, 0, self.int_size);
        self.out.write_all(&zero)?;
        Ok(self.written + zero.len() as u64)
    }
}

impl<W: Write> Write for ChunkFramer<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 << 10 {
            self.flush_chunk()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Is this a table's data that the rewrite reads? Whatever its form: COPY
/// rows after the entry's COPY statement, or INSERT statements
/// (`pg_dump --inserts`), which the splitter reads as in a plain dump.
fn is_table_data(e: &Entry) -> bool {
    e.desc_is("TABLE DATA")
}

/// Entries whose data pg_restore loads but which hold no table rows:
/// large objects, copied as they are.
fn is_large_objects(e: &Entry) -> bool {
    ["BLOBS", "BLOB", "LARGE OBJECTS", "BLOB DATA"]
        .iter()
        .any(|d| e.desc_is(d))
}

/// Deny by default over an archive's data: data of an entry kind dumpmask
/// does not read (a corrupt or newer kind) is an error, never copied.
fn unknown_data(e: &Entry) -> Error {
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

/// Rewrites a pg_dump archive (`dir`: directory format) into `dest`.
pub fn rewrite(
    src: &Path,
    dest: &Path,
    dir: bool,
    rules: Rules,
    opts: &Options,
) -> Result<Summary> {
    let name = display_path(src);
    let toc_path = if dir {
        src.join("toc.dat")
    } else {
        src.to_path_buf()
    };
    let file = File::open(&toc_path)
        .map_err(|e| Error::io(format!("opening {}", display_path(&toc_path)), e))?;
    // SAFETY: read-only map of an input file, as for plain dumps (see
    // io::input); the output is only published when the run succeeds.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| Error::io(format!("reading {name}"), e))?;
    let data: SharedBytes = Arc::new(MapBytes(map));
    let b: &[u8] = (*data).as_ref();
    let (header, mut entries, toc_end) = read_toc(b, dir).map_err(|e| e.in_file(name.clone()))?;
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
    // Learn the schema as a plain dump would give it; every table's data
    // is then rewritten by a copy of this splitter, side by side.
    let mut splitter = Engine::Postgres.splitter(rules, opts.chunk_size, opts.max_statement);
    splitter.set_partial(true);
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
    splitter.set_partial(false);
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

/// Runs `job` for every item, `workers` at a time, each table's pipeline
/// with a share of the threads. The first error wins.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    opts: &Options,
    job: &(dyn Fn(&T, &Options) -> Result<R> + Sync),
) -> Result<Vec<R>> {
    let workers = opts.threads.max(1).min(items.len().max(1));
    let per_job = Options {
        threads: (opts.threads / workers).max(1),
        ..opts.clone()
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let results: std::sync::Mutex<Vec<(usize, Result<R>)>> = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= items.len() || failed.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let r = job(&items[i], &per_job);
                if r.is_err() {
                    failed.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                if let Ok(mut v) = results.lock() {
                    v.push((i, r));
                }
            });
        }
    });
    let mut results = results
        .into_inner()
        .map_err(|_| Error::internal("a table's rewrite panicked"))?;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

struct MapBytes(memmap2::Mmap);

impl AsRef<[u8]> for MapBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Rewrites one table's data from `rows` into `out`, compressed as the
/// archive wants. COPY rows start with the splitter already inside the
/// entry's COPY statement (which the TOC holds, and the output does not
/// repeat); INSERT statements (`--inserts`) are read as statements.
fn rewrite_table<W: Write + Send>(
    e: &Entry,
    rows: Box<dyn Read + Send>,
    out: W,
    template: &dyn Splitter,
    opts: &Options,
) -> Result<(Summary, W)> {
    let mut splitter = Some(template.boxed_clone());
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

#[allow(clippy::too_many_arguments)] // one call site; the parts are the archive's
fn rewrite_custom(
    data: &SharedBytes,
    dest: &Path,
    h: &Header,
    entries: &mut [Entry],
    toc_end: usize,
    gzip: bool,
    template: &dyn Splitter,
    opts: &Options,
) -> Result<Vec<Summary>> {
    let b: &[u8] = (**data).as_ref();
    let blocks = scan_blocks(b, toc_end, h)?;
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Each table's new block goes to its own spool file, side by side;
    // the archive is then assembled in the original order.
    for blk in blocks.iter().filter(|b| b.kind == 1) {
        if let Some(e) = entries
            .iter()
            .find(|e| e.dump_id == blk.dump_id && !is_table_data(e))
        {
            return Err(unknown_data(e));
        }
    }
    // (block index, its table's entry, its spool file).
    let jobs: Vec<(usize, &Entry, TempFile)> = blocks
        .iter()
        .enumerate()
        .filter(|(_, blk)| blk.kind == 1)
        .filter_map(|(i, blk)| {
            let e = entries
                .iter()
                .find(|e| e.dump_id == blk.dump_id && is_table_data(e))?;
            let spool = TempFile(dir.join(format!(".dumpmask-{}-{i}.spool", std::process::id())));
            Some((i, e, spool))
        })
        .collect();
    let results = in_parallel(&jobs, opts, &|(i, e, spool), per_job| {
        let block = &blocks[*i];
        let path = &spool.0;
        let werr = |err: std::io::Error| Error::io(format!("writing {}", display_path(path)), err);
        let file = File::create(path).map_err(werr)?;
        let rows = ChunkReader {
            data: data.clone(),
            // Chunks start after the type byte and the dump id.
            pos: block.start + 1 + 1 + h.int_size,
            left: 0,
            int_size: h.int_size,
            done: false,
        };
        let framer = ChunkFramer {
            out: std::io::BufWriter::with_capacity(1 << 20, file),
            buf: Vec::with_capacity(64 << 10),
            int_size: h.int_size,
            written: 0,
        };
        let summary = if gzip {
            let rows: Box<dyn Read + Send> = Box::new(flate2::read::ZlibDecoder::new(rows));
            let z =
                flate2::write::ZlibEncoder::new(framer, flate2::Compression::new(ARCHIVE_LEVEL));
            let (summary, z) = rewrite_table(e, rows, z, template, per_job)?;
            z.finish().map_err(werr)?.finish().map_err(werr)?;
            summary
        } else {
            let (summary, framer) = rewrite_table(e, Box::new(rows), framer, template, per_job)?;
            framer.finish().map_err(werr)?;
            summary
        };
        Ok(summary)
    })?;
    let mut out = crate::io::output::AtomicFile::create(dest)?;
    let werr = |e: std::io::Error| Error::io(format!("writing {}", display_path(dest)), e);
    // The TOC keeps its length when offsets change (they have a fixed
    // width): write it now, and again with the real offsets at the end.
    let toc = write_toc(h, entries);
    out.write_all(&h.raw).map_err(werr)?;
    out.write_all(&toc).map_err(werr)?;
    let mut pos = (h.raw.len() + toc.len()) as u64;
    let mut offsets = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let start = pos;
        match jobs.iter().find(|(j, _, _)| *j == i) {
            Some((_, _, spool)) => {
                let mut head = vec![1u8];
                put_int(&mut head, block.dump_id, h.int_size);
                out.write_all(&head).map_err(werr)?;
                let mut spool = File::open(&spool.0).map_err(werr)?;
                let n = std::io::copy(&mut spool, &mut out).map_err(werr)?;
                pos += head.len() as u64 + n;
            }
            None => {
                out.write_all(&b[block.start..block.end]).map_err(werr)?;
                pos += (block.end - block.start) as u64;
            }
        }
        offsets.push((block.dump_id, start));
    }
    for (id, start) in offsets {
        if let Some(e) = entries.iter_mut().find(|e| e.dump_id == id) {
            e.extra = Extra::Offset(2, start);
        }
    }
    let toc = write_toc(h, entries);
    out.flush().map_err(werr)?;
    out.file()
        .write_all_at(&toc, h.raw.len() as u64)
        .map_err(werr)?;
    out.commit()?;
    Ok(results)
}

/// A spool file removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn rewrite_directory(
    src: &Path,
    dest: &Path,
    entries: &[Entry],
    new_toc: Option<Vec<u8>>,
    gzip: bool,
    template: &dyn Splitter,
    opts: &Options,
) -> Result<Vec<Summary>> {
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let leaf = dest.file_name().ok_or_else(|| {
        Error::rules(format!(
            "output path {} names no directory",
            display_path(dest)
        ))
    })?;
    let tmp = parent.join(format!(
        ".{}.dumpmask-{}.tmp",
        leaf.to_string_lossy(),
        std::process::id()
    ));
    let guard = TempDir(tmp.clone());
    std::fs::create_dir(&tmp)
        .map_err(|e| Error::io(format!("creating {}", display_path(&tmp)), e))?;
    set_private(&tmp)?;
    for e in entries {
        let has_file = matches!(&e.extra, Extra::File(Some(f)) if !f.is_empty());
        if has_file && !is_table_data(e) && !is_large_objects(e) {
            return Err(unknown_data(e));
        }
    }
    let jobs: Vec<(&Entry, String)> = entries
        .iter()
        .filter(|e| is_table_data(e))
        .filter_map(|e| match &e.extra {
            Extra::File(Some(f)) if !f.is_empty() => {
                Some((e, String::from_utf8_lossy(f).into_owned()))
            }
            _ => None,
        })
        .collect();
    // Everything else is copied as it is: toc.dat, large objects.
    for item in std::fs::read_dir(src)
        .map_err(|e| Error::io(format!("reading {}", display_path(src)), e))?
    {
        let item = item.map_err(|e| Error::io(format!("reading {}", display_path(src)), e))?;
        let fname = item.file_name();
        let base = fname.to_string_lossy();
        let stem = base.strip_suffix(".gz").unwrap_or(&base);
        if jobs.iter().any(|(_, f)| f == stem) {
            continue;
        }
        std::fs::copy(item.path(), tmp.join(&fname))
            .map_err(|e| Error::io(format!("copying {}", display_path(&item.path())), e))?;
    }
    if let Some(toc) = &new_toc {
        let path = tmp.join("toc.dat");
        std::fs::write(&path, toc)
            .map_err(|e| Error::io(format!("writing {}", display_path(&path)), e))?;
    }
    let results = in_parallel(&jobs, opts, &|(e, fname), per_job| {
        let (path, compressed) = if gzip && src.join(format!("{fname}.gz")).is_file() {
            (src.join(format!("{fname}.gz")), true)
        } else {
            (src.join(fname), false)
        };
        let input = File::open(&path)
            .map_err(|err| Error::io(format!("opening {}", display_path(&path)), err))?;
        let out_path = tmp.join(path.file_name().unwrap_or_default());
        let werr =
            |err: std::io::Error| Error::io(format!("writing {}", display_path(&out_path)), err);
        let out =
            std::io::BufWriter::with_capacity(1 << 20, File::create(&out_path).map_err(werr)?);
        let (summary, file) = if compressed {
            let rows: Box<dyn Read + Send> = Box::new(flate2::read::MultiGzDecoder::new(
                std::io::BufReader::with_capacity(1 << 20, input),
            ));
            let z = flate2::write::GzEncoder::new(out, flate2::Compression::new(ARCHIVE_LEVEL));
            let (summary, z) = rewrite_table(e, rows, z, template, per_job)?;
            (summary, z.finish().map_err(werr)?)
        } else {
            rewrite_table(e, Box::new(input), out, template, per_job)?
        };
        let file = file.into_inner().map_err(|err| werr(err.into_error()))?;
        file.sync_all().map_err(werr)?;
        Ok(summary)
    })?;
    std::fs::rename(&tmp, dest).map_err(|e| {
        Error::io(
            format!("renaming {} to {}", display_path(&tmp), display_path(dest)),
            e,
        )
    })?;
    std::mem::forget(guard);
    Ok(results)
}

/// Removes a half-written output directory.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn set_private(p: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(format!("setting permissions of {}", display_path(p)), e))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(h.vmin, 14);
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
