//! Custom archives (`-Fc`): one file; each table's rewritten data block
//! is spooled, then the archive is assembled in the original order and the
//! TOC written again with the new offsets.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::blocks::{scan_blocks, ChunkFramer, ChunkReader};
use super::toc::{put_int, write_toc, Entry, Extra, Header};
use super::{
    each_in_order, is_large_objects, is_table_data, rewrite_table, unknown_data, ARCHIVE_LEVEL,
};
use crate::error::{display_path, Error, Result};
use crate::format::{SharedBytes, Splitter};
use crate::io::output::Spool;
use crate::pipeline::Options;
use crate::report::Summary;

#[allow(clippy::too_many_arguments)] // one call site; the parts are the archive's
pub(super) fn rewrite_custom(
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
    // Deny by default: every data block belongs to an entry that reads
    // as table data or large objects; a block no entry claims (a corrupt
    // archive) is never copied.
    for blk in &blocks {
        let claimed = entries.iter().find(|e| e.dump_id == blk.dump_id);
        match (blk.kind, claimed) {
            (1, Some(e)) if is_table_data(e) => {}
            (3, Some(e)) if is_large_objects(e) => {}
            (_, Some(e)) => return Err(unknown_data(e)),
            (_, None) => {
                return Err(Error::input(
                    blk.start as u64,
                    format!(
                        "a data block of dump id {} that no TOC entry claims",
                        blk.dump_id
                    ),
                ))
            }
        }
    }
    // (block index, its table's entry). Each job makes its own splitter
    // part when it starts, so no more parts exist than jobs run at once.
    let shared: Arc<dyn Splitter> = Arc::from(template.part());
    let jobs: Vec<(usize, Entry)> = blocks
        .iter()
        .enumerate()
        .filter(|(_, blk)| blk.kind == 1)
        .filter_map(|(i, blk)| {
            let e = entries
                .iter()
                .find(|e| e.dump_id == blk.dump_id && is_table_data(e))?;
            Some((i, e.clone()))
        })
        .collect();
    let spans: Vec<(usize, usize)> = blocks.iter().map(|b| (b.start, b.end)).collect();
    let (data2, int_size) = (data.clone(), h.int_size);
    let spools = each_in_order(jobs, opts, move |(i, e), share| {
        let part = shared.part();
        let spool_path = dir.join(format!(".dumpmask-{}-{i}.spool", std::process::id()));
        let (spool, file) = Spool::create(spool_path)?;
        let werr =
            |err: std::io::Error| Error::io(format!("writing {}", display_path(spool.path())), err);
        let rows = ChunkReader {
            data: data2.clone(),
            // Chunks start after the type byte and the dump id.
            pos: spans[i].0 + 1 + 1 + int_size,
            left: 0,
            int_size,
            done: false,
        };
        let framer = ChunkFramer {
            out: std::io::BufWriter::with_capacity(1 << 20, file),
            buf: Vec::with_capacity(64 << 10),
            int_size,
            written: 0,
        };
        let summary = if gzip {
            let rows: Box<dyn Read + Send> = Box::new(flate2::read::ZlibDecoder::new(rows));
            let z =
                flate2::write::ZlibEncoder::new(framer, flate2::Compression::new(ARCHIVE_LEVEL));
            let (summary, z) = rewrite_table(&e, rows, z, part, share)?;
            z.finish().map_err(werr)?.finish().map_err(werr)?;
            summary
        } else {
            let (summary, framer) = rewrite_table(&e, Box::new(rows), framer, part, share)?;
            framer.finish().map_err(werr)?;
            summary
        };
        Ok((i, summary, spool))
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
        match spools.iter().find(|(j, _, _)| *j == i) {
            Some((_, _, spool)) => {
                let mut head = vec![1u8];
                put_int(&mut head, block.dump_id, h.int_size);
                out.write_all(&head).map_err(werr)?;
                let mut spool = File::open(spool.path()).map_err(werr)?;
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
    Ok(spools.into_iter().map(|(_, summary, _)| summary).collect())
}
