//! Directory archives (`-Fd`): `toc.dat` and one data file per table
//! (gzip-compressed or not); table files are rewritten side by side into a
//! new directory, renamed into place when all went well.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::toc::Entry;
use super::toc::Extra;
use super::{
    in_parallel, is_large_objects, is_table_data, rewrite_table, unknown_data, ARCHIVE_LEVEL,
};
use crate::error::{display_path, Error, Result};
use crate::format::Splitter;
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
pub(crate) struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn set_private(p: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(format!("setting permissions of {}", display_path(p)), e))
}
