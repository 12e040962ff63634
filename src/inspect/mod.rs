//! Reading a dump without writing one: `dumpmask scan` (what the dump
//! holds, which columns look personal, starter rules) and `dumpmask
//! verify` (proof that an anonymized dump holds no original value of a
//! ruled column).
//!
//! Both read every row of every table through the same splitter and row
//! reader as a rewrite ([`crate::format::Splitter::read_every_table`],
//! [`crate::rewrite::read_rows`]): no second SQL value parser. This module
//! owns the walk over a plain dump (file, standard input, gzip or zstd) or
//! a pg_dump archive; what is done with each row is the caller's. It
//! prints nothing: results come back as values.

pub mod detect;
pub mod scan;
pub mod verify;

use std::path::Path;

use crate::error::{Error, Result};
use crate::format::{Chunk, Engine, Piece, Splitter};
use crate::io::input::Input;
use crate::pipeline::{self, Options};
use crate::rewrite::{read_rows, RowRead, Scratch};
use crate::rules::{Rules, TablePlan};
use crate::schema::Table;

/// What to do with each row, and (optionally) with every byte of the
/// dump as read (decompressed).
pub(crate) trait Visit {
    /// One row of table `plan.table`.
    fn row(&mut self, plan: &TablePlan, row: &RowRead) -> Result<()>;

    /// Bytes `bytes` of the dump starting at (decompressed) offset `at`,
    /// in order, each byte once: `rows` says whether they are data rows
    /// (the values of INSERT tuples or COPY lines, with their separators)
    /// or anything else (DDL, comments, statement heads and ends). Parts
    /// of an archive count from zero each.
    fn bytes(&mut self, _at: u64, _bytes: &[u8], _rows: bool) -> Result<()> {
        Ok(())
    }

    /// Does this visitor look at [`Visit::bytes`]?
    fn wants_bytes(&self) -> bool {
        false
    }
}

/// What a walk over a dump found besides the rows.
pub(crate) struct Walked {
    /// The dump's engine.
    pub engine: Engine,
    /// The tables its DDL declares.
    pub tables: Vec<Table>,
    /// Bytes read, decompressed.
    pub bytes_in: u64,
}

/// Reads every row of the dump at `input` (`-`: standard input; a pg_dump
/// custom or directory archive is recognised) under `rules`, handing rows
/// and bytes to `visit`.
pub(crate) fn walk(
    input: &str,
    forced: Option<Engine>,
    rules: Rules,
    opts: &Options,
    visit: &mut dyn Visit,
) -> Result<Walked> {
    if input != "-" {
        if let Some(dir) = crate::archive::detect(Path::new(input)) {
            if forced == Some(Engine::MySql) {
                return Err(Error::rules(
                    "a pg_dump archive is PostgreSQL, not --dialect mysql",
                ));
            }
            return walk_archive(Path::new(input), dir, rules, opts, visit);
        }
    }
    let source = Input::open(input)?;
    walk_input(source.input, forced, rules, opts, visit)
}

/// [`walk`] over a plain dump's bytes.
pub(crate) fn walk_input(
    input: Input,
    forced: Option<Engine>,
    rules: Rules,
    opts: &Options,
    visit: &mut dyn Visit,
) -> Result<Walked> {
    let name = input.name().to_string();
    let opts = Options {
        threads: 1,
        ..opts.clone()
    };
    let mut rules = Some(rules);
    let mut chosen = None;
    let mut make = |head: &[u8]| -> Result<Box<dyn Splitter>> {
        let engine = crate::rewriter::choose_engine(forced, head, &name)?;
        chosen = Some(engine);
        let rules = rules
            .take()
            .ok_or_else(|| Error::internal("the rules were taken twice"))?;
        let mut s = engine.splitter(rules, opts.chunk_size, opts.max_statement);
        s.read_every_table();
        Ok(s)
    };
    let mut walker = ChunkWalker::new(visit);
    let fed = pipeline::feed(input, &opts, &mut make, &mut |chunk| {
        walker.chunk(&chunk).map_err(|e| e.in_file(name.clone()))?;
        Ok(true)
    })?;
    Ok(Walked {
        engine: chosen.unwrap_or(Engine::Postgres),
        tables: fed.splitter.schema(),
        bytes_in: fed.bytes_in,
    })
}

/// Hands a chunk's rows and its bytes to a visitor.
struct ChunkWalker<'v> {
    visit: &'v mut dyn Visit,
    scratch: Scratch,
    /// Where the previous chunk ended (decompressed offset): the next
    /// chunk's bytes start there, even where a ruled statement's header
    /// lies before its first piece.
    done_to: u64,
}

impl<'v> ChunkWalker<'v> {
    fn new(visit: &'v mut dyn Visit) -> ChunkWalker<'v> {
        ChunkWalker {
            visit,
            scratch: Scratch::default(),
            done_to: 0,
        }
    }

    fn chunk(&mut self, chunk: &Chunk) -> Result<()> {
        let visit = &mut *self.visit;
        read_rows(chunk, &mut self.scratch, &mut |plan, row| {
            visit.row(plan, row)
        })?;
        if !self.visit.wants_bytes() {
            return Ok(());
        }
        let data: &[u8] = (*chunk.data).as_ref();
        for piece in &chunk.pieces {
            let (range, rows, trailer) = match piece {
                Piece::Verbatim(r) => (r.clone(), false, None),
                Piece::Rows(r) => (r.range.clone(), true, r.trailer.clone()),
            };
            // A ruled statement's head lies before its first piece.
            self.send(chunk.base, data, chunk.base + range.start as u64, false)?;
            self.send(chunk.base, data, chunk.base + range.end as u64, rows)?;
            if let Some(t) = trailer {
                self.send(chunk.base, data, chunk.base + t.end as u64, false)?;
            }
        }
        Ok(())
    }

    /// Hands over the bytes from where the last ended up to `end`.
    fn send(&mut self, base: u64, data: &[u8], end: u64, rows: bool) -> Result<()> {
        let from = self.done_to.max(base);
        if end <= from {
            return Ok(());
        }
        let (a, b) = ((from - base) as usize, (end - base) as usize);
        self.visit.bytes(from, &data[a..b.min(data.len())], rows)?;
        self.done_to = end;
        Ok(())
    }
}

/// [`walk`] over a pg_dump archive: the schema from its TOC, then each
/// table's data (decompressed) as a plain dump's COPY rows. The bytes a
/// visitor sees are the TOC's SQL and each table's rows, each part
/// counted from zero.
fn walk_archive(
    src: &Path,
    dir: bool,
    rules: Rules,
    opts: &Options,
    visit: &mut dyn Visit,
) -> Result<Walked> {
    let name = crate::error::display_path(src);
    let mut splitter = Engine::Postgres.splitter(rules, opts.chunk_size, opts.max_statement);
    splitter.read_every_table();
    let parts = crate::archive::table_data(src, dir, splitter.as_mut())?;
    if visit.wants_bytes() {
        for sql in &parts.sql {
            visit.bytes(0, sql, false)?;
        }
    }
    let mut bytes_in = 0;
    for part in parts.tables {
        let mut s = Some(splitter.part());
        if let (Some(s), Some(copy)) = (s.as_mut(), part.copy_stmt.as_deref()) {
            if !copy.is_empty() {
                s.open_copy(copy)?;
            }
        }
        let mut make = |_: &[u8]| -> Result<Box<dyn Splitter>> {
            s.take().ok_or_else(|| Error::internal("splitter lost"))
        };
        let input = Input::Stream {
            reader: part.rows,
            name: format!("{name}: table data of {}", part.tag),
        };
        let one = Options {
            threads: 1,
            ..opts.clone()
        };
        let mut walker = ChunkWalker::new(visit);
        let fed = pipeline::feed(input, &one, &mut make, &mut |chunk| {
            walker.chunk(&chunk)?;
            Ok(true)
        })?;
        bytes_in += fed.bytes_in;
    }
    Ok(Walked {
        engine: Engine::Postgres,
        tables: splitter.schema(),
        bytes_in,
    })
}

/// State kept per table, by the table's name. Rows come in runs of one
/// statement, so the last table's slot is remembered (by its plan's
/// address, and its name compared: a freed plan's address can come back
/// for another table) and most rows find it without hashing a name.
pub(crate) struct ByTable<T> {
    index: std::collections::HashMap<String, usize>,
    slots: Vec<(String, T)>,
    /// The last plan's address and its slot.
    last: Option<(usize, usize)>,
}

impl<T> Default for ByTable<T> {
    fn default() -> Self {
        ByTable {
            index: std::collections::HashMap::new(),
            slots: Vec::new(),
            last: None,
        }
    }
}

impl<T> ByTable<T> {
    /// The slot of `plan`'s table, made by `make` when there is none.
    pub(crate) fn slot(&mut self, plan: &TablePlan, make: impl FnOnce() -> T) -> &mut T {
        let key = plan as *const TablePlan as usize;
        let i = match self.last {
            Some((k, i)) if k == key && self.slots[i].0 == plan.display => i,
            _ => {
                let i = match self.index.get(&plan.display) {
                    Some(&i) => i,
                    None => {
                        self.slots.push((plan.display.clone(), make()));
                        self.index
                            .insert(plan.display.clone(), self.slots.len() - 1);
                        self.slots.len() - 1
                    }
                };
                self.last = Some((key, i));
                i
            }
        };
        &mut self.slots[i].1
    }

    /// The slot of `plan`'s table, if there is one.
    pub(crate) fn get(&mut self, plan: &TablePlan) -> Option<&mut T> {
        let key = plan as *const TablePlan as usize;
        let i = match self.last {
            Some((k, i)) if k == key && self.slots[i].0 == plan.display => i,
            _ => {
                let i = *self.index.get(&plan.display)?;
                self.last = Some((key, i));
                i
            }
        };
        Some(&mut self.slots[i].1)
    }

    /// The slots by table name, in name order.
    pub(crate) fn into_sorted(mut self) -> Vec<(String, T)> {
        self.slots.sort_by(|a, b| a.0.cmp(&b.0));
        self.slots
    }
}

/// A 64-bit fingerprint of a value: a fixed function (the same in every
/// run, so two passes agree; never written out), eight bytes at a time,
/// with a final avalanche. Collisions matter only as 2^-64 chances of
/// merging two values.
pub(crate) fn fingerprint(v: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = (v.len() as u64).wrapping_mul(K) ^ 0x2545_f491_4f6c_dd1d;
    let mut words = v.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = (h ^ x).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    let rest = words.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    // Finalizer of MurmurHash3 (public domain): every bit moves every bit.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Hashes a key that is already a fingerprint: as it is.
#[derive(Default, Clone, Copy)]
pub(crate) struct AsIs(u64);

impl std::hash::Hasher for AsIs {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; anything else still spreads.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A set of fingerprints.
pub(crate) type Fingerprints = std::collections::HashSet<u64, std::hash::BuildHasherDefault<AsIs>>;

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprints_differ_by_content_and_length() {
        let vs: [&[u8]; 6] = [b"", b"\0", b"abc", b"abd", b"abcdefgh", b"abcdefgh\0"];
        let fs: std::collections::HashSet<u64> = vs.iter().map(|v| fingerprint(v)).collect();
        assert_eq!(fs.len(), vs.len());
        assert_eq!(fingerprint(b"same"), fingerprint(b"same"));
    }
}
