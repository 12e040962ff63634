//! The output: standard output, or a file written under a temporary name
//! in the same directory (mode 0600) and renamed over the final name only
//! when the whole run succeeded. A failed or interrupted run leaves no
//! file under the final name.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{display_path, Error, Result};

/// `.NAME.dumpmask-PID.tmp` beside `dest`: where its contents grow until
/// they are renamed over it.
fn temp_beside(dest: &Path, what: &str) -> Result<PathBuf> {
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest.file_name().ok_or_else(|| {
        Error::rules(format!(
            "output path {} names no {what}",
            display_path(dest)
        ))
    })?;
    Ok(dir.join(format!(
        ".{}.dumpmask-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// A directory being filled under a temporary name (mode 0700), renamed
/// over the final name by [`AtomicDir::commit`]; removed with what it
/// holds when dropped uncommitted.
pub struct AtomicDir {
    tmp: Option<PathBuf>,
    dest: PathBuf,
}

impl AtomicDir {
    /// Creates `.NAME.dumpmask-PID.tmp` beside `dest`.
    pub fn create(dest: &Path) -> Result<AtomicDir> {
        use std::os::unix::fs::DirBuilderExt;
        let tmp = temp_beside(dest, "directory")?;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&tmp)
            .map_err(|e| Error::io(format!("creating {}", display_path(&tmp)), e))?;
        Ok(AtomicDir {
            tmp: Some(tmp),
            dest: dest.to_path_buf(),
        })
    }

    /// The temporary directory, to write into.
    pub fn path(&self) -> &Path {
        match &self.tmp {
            Some(t) => t,
            None => unreachable!("the path is only taken by commit, which consumes self"),
        }
    }

    /// Renames the directory over the final name.
    pub fn commit(mut self) -> Result<()> {
        let Some(tmp) = &self.tmp else {
            return Ok(());
        };
        // The guard stays armed until the rename succeeds: a failed one
        // (the final name taken meanwhile) leaves no temporary behind.
        std::fs::rename(tmp, &self.dest).map_err(|e| {
            Error::io(
                format!(
                    "renaming {} to {}",
                    display_path(tmp),
                    display_path(&self.dest)
                ),
                e,
            )
        })?;
        self.tmp = None;
        Ok(())
    }
}

impl Drop for AtomicDir {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_dir_all(tmp);
        }
    }
}

/// A scratch file (mode 0600) that lives as long as this value: a part of
/// the output made side by side with others and copied into place later.
pub struct Spool {
    path: PathBuf,
}

impl Spool {
    /// Creates `path`, which must not exist.
    pub fn create(path: PathBuf) -> Result<(Spool, File)> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::io(format!("creating {}", display_path(&path)), e))?;
        Ok((Spool { path }, file))
    }

    /// Where the spool is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A file being written under a temporary name.
pub struct AtomicFile {
    file: Option<BufWriter<File>>,
    tmp: PathBuf,
    dest: PathBuf,
}

impl AtomicFile {
    /// Creates `.NAME.dumpmask-PID.tmp` beside `dest`.
    pub fn create(dest: &Path) -> Result<AtomicFile> {
        let tmp = temp_beside(dest, "file")?;
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
            // Nothing under the final name, and no temporary either.
            let _ = std::fs::remove_file(&self.tmp);
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
    fn a_failed_commit_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        // A directory appeared under the final name while the run went on.
        let dest = dir.path().join("out.dir");
        let d = AtomicDir::create(&dest).unwrap();
        std::fs::write(d.path().join("3355.dat.gz"), b"rows").unwrap();
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(dest.join("theirs"), b"x").unwrap();
        assert!(d.commit().is_err());
        let names = || {
            let mut v: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(), ["out.dir"], "temporary left behind");
        // The same for a file whose final name became a non-empty directory.
        let dest = dir.path().join("out.dump");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"abc").unwrap();
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(dest.join("theirs"), b"x").unwrap();
        assert!(f.commit().is_err());
        assert_eq!(names(), ["out.dir", "out.dump"], "temporary left behind");
    }

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
    fn directories_and_spools_leave_nothing_unless_committed() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.dir");
        {
            let d = AtomicDir::create(&dest).unwrap();
            std::fs::write(d.path().join("a"), b"partial").unwrap();
            let (_spool, mut f) = Spool::create(dir.path().join("s")).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let d = AtomicDir::create(&dest).unwrap();
        let mode = std::fs::metadata(d.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::write(d.path().join("a"), b"whole").unwrap();
        d.commit().unwrap();
        assert_eq!(std::fs::read(dest.join("a")).unwrap(), b"whole");
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
