//! The output: standard output, or a file written under a temporary name
//! in the same directory (mode 0600) and renamed over the final name only
//! when the whole run succeeded. A failed or interrupted run leaves no
//! file under the final name.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{display_path, Error, Result};

/// A file being written under a temporary name.
pub struct AtomicFile {
    file: Option<BufWriter<File>>,
    tmp: PathBuf,
    dest: PathBuf,
}

impl AtomicFile {
    /// Creates `.NAME.dumpmask-PID.tmp` beside `dest`.
    pub fn create(dest: &Path) -> Result<AtomicFile> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest.file_name().ok_or_else(|| {
            Error::rules(format!("output path {} names no file", display_path(dest)))
        })?;
        let tmp = dir.join(format!(
            ".{}.dumpmask-{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| Error::io(format!("creating {}", display_path(&tmp)), e))?;
        Ok(AtomicFile {
            // Small, as for standard output: large writes bypass it.
            file: Some(BufWriter::with_capacity(64 << 10, file)),
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    /// The file being written, to patch bytes already written (a pg_dump
    /// archive's TOC); flush first.
    pub fn file(&self) -> &File {
        match &self.file {
            Some(w) => w.get_ref(),
            None => unreachable!("the file is only taken by commit, which consumes self"),
        }
    }

    /// The temporary path (removed on drop unless committed).
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// Flushes, syncs and renames over the final name.
    pub fn commit(mut self) -> Result<()> {
        let Some(w) = self.file.take() else {
            return Ok(());
        };
        let what = || format!("writing {}", display_path(&self.dest));
        let file = w
            .into_inner()
            .map_err(|e| Error::io(what(), e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(what(), e))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| {
            Error::io(
                format!(
                    "renaming {} to {}",
                    display_path(&self.tmp),
                    display_path(&self.dest)
                ),
                e,
            )
        })?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("output already committed")),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.write_all(buf),
            None => Err(std::io::Error::other("output already committed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn commit_renames_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.sql");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"abc").unwrap();
        assert!(!dest.exists());
        f.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"abc");
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn drop_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.sql");
        {
            let mut f = AtomicFile::create(&dest).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
