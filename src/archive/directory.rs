//! Directory archives (`-Fd`): `toc.dat` and one data file per table
//! (gzip-compressed or not); table files are rewritten side by side into a
//! new directory, renamed into place when all went well.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::toc::Entry;
use super::toc::Extra;
use super::{
    each_in_order, is_large_objects, is_table_data, rewrite_table, unknown_data, ARCHIVE_LEVEL,
};
use crate::error::{display_path, Error, Result};
use crate::format::Splitter;
use crate::io::output::AtomicDir;
use crate::pipeline::Options;
use crate::report::Summary;

pub(super) fn rewrite_directory(
    src: &Path,
    dest: &Path,
    entries: &[Entry],
    new_toc: Option<Vec<u8>>,
    gzip: bool,
    template: &dyn Splitter,
    opts: &Options,
) -> Result<Vec<Summary>> {
    let out_dir = AtomicDir::create(dest)?;
    let tmp = out_dir.path().to_path_buf();
    for e in entries {
        let has_file = matches!(&e.extra, Extra::File(Some(f)) if !f.is_empty());
        if has_file && !is_table_data(e) && !is_large_objects(e) {
            return Err(unknown_data(e));
        }
    }
    // (a table's entry, its data file). Each job makes its own splitter
    // part when it starts, so no more parts exist than jobs run at once.
    let shared: Arc<dyn Splitter> = Arc::from(template.part());
    let jobs: Vec<(Entry, String)> = entries
        .iter()
        .filter(|e| is_table_data(e))
        .filter_map(|e| match &e.extra {
            Extra::File(Some(f)) if !f.is_empty() => {
                Some((e.clone(), String::from_utf8_lossy(f).into_owned()))
            }
            _ => None,
        })
        .collect();
    // Deny by default: besides the tables' data, only what the TOC names
    // is copied: toc.dat, the large objects' tables of contents and the
    // files they list. Any other file (a stray copy of a table's data, a
    // note) is refused, never carried into the output unread.
    let copied = large_object_files(src, entries)?;
    for item in std::fs::read_dir(src)
        .map_err(|e| Error::io(format!("reading {}", display_path(src)), e))?
    {
        let item = item.map_err(|e| Error::io(format!("reading {}", display_path(src)), e))?;
        let fname = item.file_name();
        let base = fname.to_string_lossy();
        let gz = gzip && base.ends_with(".gz");
        let stem = if gz {
            &base[..base.len() - 3]
        } else {
            &base[..]
        };
        if jobs.iter().any(|(_, f)| f == stem) {
            continue;
        }
        if base != "toc.dat" && !copied.iter().any(|f| f == stem || *f == *base) {
            return Err(Error::input(
                0,
                format!(
                    "{} is a file the archive's TOC does not name; dumpmask copies nothing it has not read",
                    display_path(&item.path())
                ),
            ));
        }
        std::fs::copy(item.path(), tmp.join(&fname))
            .map_err(|e| Error::io(format!("copying {}", display_path(&item.path())), e))?;
    }
    if let Some(toc) = &new_toc {
        let path = tmp.join("toc.dat");
        std::fs::write(&path, toc)
            .map_err(|e| Error::io(format!("writing {}", display_path(&path)), e))?;
    }
    let src = src.to_path_buf();
    let results = each_in_order(jobs, opts, move |(e, fname), share| {
        let part = shared.part();
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
            let (summary, z) = rewrite_table(&e, rows, z, part, share)?;
            (summary, z.finish().map_err(werr)?)
        } else {
            rewrite_table(&e, Box::new(input), out, part, share)?
        };
        let file = file.into_inner().map_err(|err| werr(err.into_error()))?;
        file.sync_all().map_err(werr)?;
        Ok(summary)
    })?;
    out_dir.commit()?;
    Ok(results)
}

/// The files of the large objects: each large-object entry's own file (a
/// table of contents: `blobs.toc`, or `blobs_ID.toc` from pg_dump 17) and
/// the `blob_OID.dat` files it lists, one `OID FILE` line each.
fn large_object_files(src: &Path, entries: &[Entry]) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for e in entries.iter().filter(|e| is_large_objects(e)) {
        let Extra::File(Some(f)) = &e.extra else {
            continue;
        };
        if f.is_empty() {
            continue;
        }
        let toc = String::from_utf8_lossy(f).into_owned();
        let path = src.join(&toc);
        let text = std::fs::read(&path)
            .map_err(|err| Error::io(format!("reading {}", display_path(&path)), err))?;
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let line = String::from_utf8_lossy(line);
            match line.split_once(' ') {
                Some((oid, file))
                    if oid.bytes().all(|b| b.is_ascii_digit()) && !file.contains('/') =>
                {
                    files.push(file.to_string())
                }
                _ => {
                    return Err(Error::input(
                        0,
                        format!(
                            "{}: a line that names no large object file",
                            display_path(&path)
                        ),
                    ))
                }
            }
        }
        files.push(toc);
    }
    Ok(files)
}
