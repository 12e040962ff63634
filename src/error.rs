//! The one error type of the library.
//!
//! Every error says what went wrong and where: data errors carry the exact
//! byte offset in the (decompressed) input and, where known, the table; the
//! line number is resolved only when the error is reported, because counting
//! lines on the hot path would cost every run for the benefit of failing ones.
//!
//! Errors never carry data values or the secret: messages name positions,
//! tables and columns only.

use std::fmt;
use std::path::PathBuf;

/// A result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure this is; decides the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The dump could not be parsed (bad syntax, truncation, garbage).
    Input,
    /// The rules file is invalid, or names something the dump lacks.
    Rules,
    /// Reading the input or writing the output failed.
    Io,
    /// The run was interrupted by a signal.
    Interrupted,
    /// Standard output was closed by the reader (e.g. `| head`).
    BrokenPipe,
    /// A bug in dumpmask (a worker panicked, a broken invariant): no fault
    /// of the input, which an input error would wrongly suggest.
    Internal,
}

/// A place in the input dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Byte offset from the start of the (decompressed) input.
    pub byte: u64,
    /// 1-based line number, filled in when the error is reported.
    pub line: Option<u64>,
}

/// A dumpmask error.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    /// Name of the input (a path or `<stdin>`), filled in by the pipeline.
    file: Option<String>,
    position: Option<Position>,
    table: Option<String>,
    source: Option<std::io::Error>,
}

impl Error {
    /// A parse error at a byte offset of the input.
    pub fn input(byte: u64, message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Input,
            message: message.into(),
            file: None,
            position: Some(Position { byte, line: None }),
            table: None,
            source: None,
        }
    }

    /// An error in the rules, or between the rules and the dump.
    pub fn rules(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Rules,
            message: message.into(),
            file: None,
            position: None,
            table: None,
            source: None,
        }
    }

    /// An I/O error, with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        let kind = if source.kind() == std::io::ErrorKind::BrokenPipe {
            ErrorKind::BrokenPipe
        } else {
            ErrorKind::Io
        };
        Error {
            kind,
            message: what.into(),
            file: None,
            position: None,
            table: None,
            source: Some(source),
        }
    }

    /// A bug in dumpmask, not a fault of the input or the rules.
    pub fn internal(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Internal,
            message: format!("internal error (a bug in dumpmask): {}", message.into()),
            file: None,
            position: None,
            table: None,
            source: None,
        }
    }

    /// The run was stopped by a signal.
    pub fn interrupted() -> Error {
        Error {
            kind: ErrorKind::Interrupted,
            message: "interrupted".into(),
            file: None,
            position: None,
            table: None,
            source: None,
        }
    }

    /// Names the table the error happened in.
    pub fn in_table(mut self, table: impl Into<String>) -> Error {
        if self.table.is_none() {
            self.table = Some(table.into());
        }
        self
    }

    /// Names the file the error is about (the input dump or the rules).
    pub fn in_file(mut self, file: impl Into<String>) -> Error {
        if self.file.is_none() {
            self.file = Some(file.into());
        }
        self
    }

    /// Shifts a chunk-relative byte offset to an input offset.
    pub fn offset_by(mut self, base: u64) -> Error {
        if let Some(p) = &mut self.position {
            p.byte += base;
        }
        self
    }

    /// Fills in the line number, given a way to compute it from a byte.
    pub fn resolve_line(mut self, line_of: impl FnOnce(u64) -> Option<u64>) -> Error {
        if let Some(p) = &mut self.position {
            if p.line.is_none() {
                p.line = line_of(p.byte);
            }
        }
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where in the input, for data errors.
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// The message without the location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The table the error is in, if known.
    pub fn table(&self) -> Option<&str> {
        self.table.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `prod.sql:1823 (byte 99120433): unterminated string in INSERT INTO users`
        match (&self.file, &self.position) {
            (Some(file), Some(p)) => {
                match p.line {
                    Some(line) => write!(f, "{file}:{line} (byte {}): ", p.byte)?,
                    None => write!(f, "{file} (byte {}): ", p.byte)?,
                };
            }
            (None, Some(p)) => write!(f, "byte {}: ", p.byte)?,
            (Some(file), None) => write!(f, "{file}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)?;
        if let Some(t) = &self.table {
            write!(f, " (table {t})")?;
        }
        if let Some(s) = &self.source {
            write!(f, ": {s}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A path shown in messages.
pub fn display_path(p: &std::path::Path) -> String {
    PathBuf::from(p).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_byte_and_table() {
        let e = Error::input(10, "unterminated string")
            .offset_by(100)
            .in_table("users")
            .in_file("prod.sql")
            .resolve_line(|b| Some(b / 10));
        assert_eq!(
            e.to_string(),
            "prod.sql:11 (byte 110): unterminated string (table users)"
        );
        assert_eq!(e.kind(), ErrorKind::Input);
    }

    #[test]
    fn broken_pipe_is_its_own_kind() {
        let e = Error::io(
            "writing output",
            std::io::Error::from(std::io::ErrorKind::BrokenPipe),
        );
        assert_eq!(e.kind(), ErrorKind::BrokenPipe);
    }
}
