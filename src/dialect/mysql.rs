//! MySQL and MariaDB, as mysqldump and mariadb-dump (and the tools that
//! imitate them) write dumps.

use super::{ClientCommand, Dialect, StatementKind, TupleSyntax};
use crate::format::mysql::{self as literals, RowsScan};
use crate::sql::Lexical;

/// `(1,'it\'s',0x4142,NULL)`: MySQL literals; values never hold a comma
/// outside a string, so rows split on the block scan's commas.
static TUPLES: TupleSyntax = TupleSyntax {
    value: literals::value,
    fields: Some(literals::row_fields),
    lexical: &literals::LEXICAL,
    encode_string: literals::encode_string,
    booleans: None,
};

/// The mysql client's named commands that take the rest of their line
/// (`mysql --help`, "mysql Client Commands").
const CLIENT_COMMANDS: &[&str] = &[
    "use",
    "charset",
    "connect",
    "source",
    "system",
    "tee",
    "notee",
    "warnings",
    "nowarning",
    "rehash",
    "status",
    "exit",
    "quit",
    "ego",
    "go",
    "print",
    "prompt",
    "clear",
    "edit",
    "nopager",
    "pager",
    "resetconnection",
];

/// mysqldump / mariadb-dump output.
#[derive(Debug, Clone, Copy)]
pub struct MySql;

impl Dialect for MySql {
    fn lexical(&self) -> &'static Lexical {
        &literals::LEXICAL
    }

    fn tuples(&self) -> &'static TupleSyntax {
        &TUPLES
    }

    fn row_end(&self, w: &[u8], open: usize) -> Option<usize> {
        literals::row_end(w, open)
    }

    fn scan_rows(
        &self,
        w: &[u8],
        from: usize,
        cut_from: usize,
        marks: Option<&mut Vec<u64>>,
    ) -> Option<RowsScan> {
        Some(literals::scan_rows(w, from, cut_from, marks))
    }

    /// Single-database dumps name no database.
    fn default_schema(&self) -> Option<&'static str> {
        None
    }

    fn header_schema(&self, head: &[u8]) -> Option<String> {
        let h = memchr::memmem::find(head, b"-- Host: ")?;
        let line = &head[h..];
        let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
        let d = memchr::memmem::find(line, b"Database: ")?;
        let db = String::from_utf8_lossy(&line[d + 10..]).trim().to_string();
        (!db.is_empty()).then_some(db)
    }

    /// `DELIMITER ;;` sets the delimiter until the next `DELIMITER ;`; the
    /// sandbox line mariadb-dump 10.11+ writes first,
    /// `/*M!999999\- enable the sandbox mode */`, is a client command (`\-`)
    /// that ends at its line's end: the statement after it starts on the
    /// next line, even with no `;` between them (`--compact`).
    fn client_command(&self, s: &[u8]) -> Option<ClientCommand> {
        if crate::format::split::starts_with_word(s, b"delimiter") {
            let line = &s[..memchr::memchr(b'\n', s).unwrap_or(s.len())];
            let d = line[9..]
                .split(|b| b.is_ascii_whitespace())
                .find(|w| !w.is_empty())
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
            return Some(ClientCommand::Delimiter(d));
        }
        if s.starts_with(b"/*M!999999\\-") {
            return Some(ClientCommand::Plain);
        }
        // The client's own commands (`use db`, `charset x`, `source f`...)
        // end at the line's end, `;` or not: a statement on the next line
        // is a statement of its own (the client runs it).
        let line = &s[..memchr::memchr(b'\n', s).unwrap_or(s.len())];
        if let Some(semi) = memchr::memchr(b';', line) {
            // `use db; INSERT ...`: more statements on the line are read
            // as statements.
            if !line[semi + 1..].iter().all(u8::is_ascii_whitespace) {
                return None;
            }
        }
        let mut words = line
            .split(|b| b.is_ascii_whitespace() || *b == b';')
            .filter(|w| !w.is_empty());
        let first = words.next()?;
        let named = CLIENT_COMMANDS
            .iter()
            .any(|c| first.eq_ignore_ascii_case(c.as_bytes()));
        if !named {
            return None;
        }
        // `use db` and `connect db` change the current database (the name
        // may be quoted with backticks, double or single quotes).
        if first.eq_ignore_ascii_case(b"use") || first.eq_ignore_ascii_case(b"connect") {
            let Some(db) = words.next() else {
                return Some(ClientCommand::Plain);
            };
            let db = [b'`', b'"', b'\'']
                .iter()
                .find_map(|q| {
                    db.strip_prefix(&[*q][..])
                        .and_then(|d| d.strip_suffix(&[*q][..]))
                })
                .unwrap_or(db);
            return Some(ClientCommand::Use(String::from_utf8_lossy(db).into_owned()));
        }
        Some(ClientCommand::Plain)
    }

    fn no_rows_words(&self) -> &'static [&'static str] {
        &[
            "create",
            "alter",
            "drop",
            "rename",
            "truncate",
            "lock",
            "unlock",
            "set",
            "use",
            "grant",
            "revoke",
            "flush",
            "start",
            "begin",
            "commit",
            "rollback",
            "savepoint",
            "release",
            "analyze",
            "optimize",
            "repair",
            "show",
            "install",
            "uninstall",
        ]
    }

    fn data_words(&self) -> &'static [(&'static str, StatementKind)] {
        &[
            ("insert", StatementKind::Insert),
            ("replace", StatementKind::Insert),
        ]
    }

    fn inline_indexes(&self) -> bool {
        true
    }

    fn insert_modifiers(&self) -> &'static [&'static str] {
        &["low_priority", "delayed", "high_priority", "ignore"]
    }

    /// `/*!40000 ... */` and `/*M!100100 ... */` run on servers of that
    /// version or later, so their contents are statements.
    fn executable_comment(&self, s: &[u8]) -> bool {
        s.starts_with(b"/*!") || s.starts_with(b"/*M!")
    }
}
