//! The archive header and table of contents: reading every field (pg_dump's
//! pg_backup_archiver.c, `ReadHead` and `ReadToc`) and writing them again
//! byte for byte, with new data offsets where the data moved.

use crate::error::{Error, Result};

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
    /// Bytes of an integer.
    pub int_size: usize,
    /// Bytes of a file offset.
    pub off_size: usize,
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
    pub(crate) fn desc_is(&self, d: &str) -> bool {
        self.desc.as_deref() == Some(d.as_bytes())
    }
}

pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) int_size: usize,
    pub(crate) off_size: usize,
}

pub(crate) fn truncated(at: usize) -> Error {
    Error::input(at as u64, "truncated or corrupt pg_dump archive")
}

impl<'a> Reader<'a> {
    /// The next `n` bytes, if the input has them (lengths come from the
    /// archive: no overflow, no panic on a hostile one).
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    pub(crate) fn byte(&mut self) -> Result<u8> {
        let b = *self.b.get(self.pos).ok_or_else(|| truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn int(&mut self) -> Result<i64> {
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

    pub(crate) fn string(&mut self) -> Result<Str> {
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

    pub(crate) fn offset(&mut self) -> Result<(u8, u64)> {
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

pub(crate) fn put_int(out: &mut Vec<u8>, v: i64, int_size: usize) {
    out.push(u8::from(v < 0));
    let a = v.unsigned_abs();
    for i in 0..int_size {
        out.push(if i < 8 { (a >> (8 * i)) as u8 } else { 0 });
    }
}

pub(crate) fn put_str(out: &mut Vec<u8>, s: &Str, int_size: usize) {
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
        int_size,
        off_size,
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
