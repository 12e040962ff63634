//! PostgreSQL, as pg_dump (plain format, and the SQL inside its archives)
//! and psql scripts write it.

use super::{ClientCommand, Dialect, StatementKind, TupleSyntax};
use crate::format::postgres as literals;
use crate::sql::Lexical;

/// `(1, 'it''s', E'a\\b', '{}'::jsonb)`: values may carry casts with
/// commas (`::numeric(10,2)`), so rows are read value by value.
static TUPLES: TupleSyntax = TupleSyntax {
    value: literals::value,
    fields: None,
    lexical: &literals::LEXICAL,
    encode_string: literals::encode_string,
    booleans: Some([b"false", b"true"]),
};

/// pg_dump plain-format output.
#[derive(Debug, Clone, Copy)]
pub struct Postgres;

impl Dialect for Postgres {
    fn lexical(&self) -> &'static Lexical {
        &literals::LEXICAL
    }

    fn tuples(&self) -> &'static TupleSyntax {
        &TUPLES
    }

    fn row_end(&self, w: &[u8], open: usize) -> Option<usize> {
        literals::row_end(w, open)
    }

    /// Unqualified names live in `public` unless a `SET search_path` says
    /// otherwise.
    fn default_schema(&self) -> Option<&'static str> {
        Some("public")
    }

    /// A line starting with `\` is a psql meta-command (`\connect db`,
    /// `\restrict KEY`); `\copy t FROM stdin` reads rows from the next
    /// lines up to `\.`, as `COPY ... FROM stdin;` does.
    fn client_command(&self, s: &[u8]) -> Option<ClientCommand> {
        if s.first() != Some(&b'\\') {
            return None;
        }
        if crate::format::split::starts_with_word(&s[1..], b"copy") {
            let line = &s[..memchr::memchr(b'\n', s).unwrap_or(s.len())];
            let from_stdin = line
                .to_ascii_lowercase()
                .split(|b| b.is_ascii_whitespace())
                .any(|w| w == b"stdin" || w == b"pstdin");
            if from_stdin {
                return Some(ClientCommand::CopyFromStdin);
            }
        }
        Some(ClientCommand::Plain)
    }

    fn no_rows_words(&self) -> &'static [&'static str] {
        &[
            "create",
            "alter",
            "drop",
            "comment",
            "grant",
            "revoke",
            "set",
            "reset",
            "lock",
            "truncate",
            "begin",
            "start",
            "commit",
            "end",
            "rollback",
            "savepoint",
            "release",
            "analyze",
            "vacuum",
            "reindex",
            "cluster",
            "refresh",
            "security",
            "checkpoint",
            "discard",
            "show",
            "listen",
            "unlisten",
        ]
    }

    fn data_words(&self) -> &'static [(&'static str, StatementKind)] {
        &[
            ("insert", StatementKind::Insert),
            ("copy", StatementKind::Copy),
        ]
    }
}
