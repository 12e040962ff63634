//! PostgreSQL literals, as pg_dump writes them in plain format.
//!
//! COPY text format (PostgreSQL docs, "COPY", File Formats > Text Format):
//! fields separated by a tab, rows by a newline; `\N` is NULL; a backslash
//! introduces `\b \f \n \r \t \v \\`, `\ooo` (octal) or `\xhh` (hex), and
//! before any other byte stands for that byte. A data line never holds a
//! raw tab or newline, so rows are lines. The block ends at a line `\.`.
//!
//! `--inserts` rows are SQL literals: standard strings `'..'` (with
//! standard_conforming_strings on, only `''` is special and raw newlines
//! may appear), `E'..'` strings with backslash escapes, bare numbers and
//! keywords, each possibly followed by a cast (`'{}'::jsonb`).

use crate::error::{Error, Result};
use crate::format::Literal;
use crate::simd::{self, below, Lanes, Scan, WIDTH};
use crate::sql::{self, Lexical};

/// PostgreSQL's lexical rules.
pub const LEXICAL: Lexical = Lexical {
    backslash_in_strings: false,
    ident_quote: b'"',
    double_quote_is_string: false,
    hash_comments: false,
    conditional_comments: false,
    dash_comment_needs_space: false,
    nested_comments: true,
    dollar_quotes: true,
    e_strings: true,
    fold_unquoted: true,
};

/// Given a row's `(`, the offset just past its matching `)`. Casts like
/// `::character varying(20)` and `ARRAY[..]` hold parentheses, so depth is
/// counted outside strings and quoted names.
pub fn row_end(w: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    loop {
        let j = i + memchr::memchr3(b'\'', b'(', b')', &w[i..])?;
        match w[j] {
            b'(' => {
                depth += 1;
                i = j + 1;
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
                i = j + 1;
            }
            _ => i = sql::string_end(w, j + 1, b'\'', LEXICAL.backslash_string(w, j))? + 1,
        }
        // A quoted name (in a cast) between here and the next match could
        // hold a quote or parenthesis; the worker's exact parse refuses
        // those, so the split is never trusted blindly.
    }
}

/// Reads one value at `i`: the literal, where the literal ends, and where
/// the value ends (after any `::type` casts, which are kept as written).
pub fn value(w: &[u8], i: usize) -> Result<(Literal, usize, usize), (usize, &'static str)> {
    let Some(&b) = w.get(i) else {
        return Err((i, "row ends inside a value"));
    };
    let (lit, end) = match b {
        b'\'' => {
            let end = sql::string_end(w, i + 1, b'\'', false).ok_or((i, "unterminated string"))?;
            (Literal::PgStr(i + 1, end), end + 1)
        }
        b'E' | b'e' if w.get(i + 1) == Some(&b'\'') => {
            let end = sql::string_end(w, i + 2, b'\'', true).ok_or((i, "unterminated string"))?;
            (Literal::PgEStr(i + 2, end), end + 1)
        }
        _ => super::bare_value(w, i)?,
    };
    // Casts: `::name`, `::schema.name`, `::"Name"`, `::character varying(20)`,
    // `::text[]`.
    let mut k = end;
    while w.get(k) == Some(&b':') && w.get(k + 1) == Some(&b':') {
        k += 2;
        loop {
            match w.get(k) {
                Some(c) if sql::is_word_byte(*c) || *c == b'.' || *c == b'[' || *c == b']' => {
                    k += 1
                }
                Some(b' ') if w.get(k + 1).is_some_and(|c| c.is_ascii_alphabetic()) => k += 1,
                Some(b'"') => {
                    k = sql::string_end(w, k + 1, b'"', false)
                        .ok_or((k, "unterminated quoted name"))?
                        + 1;
                }
                Some(b'(') => {
                    let close =
                        memchr::memchr(b')', &w[k..]).ok_or((k, "unterminated type modifier"))?;
                    if !w[k + 1..k + close]
                        .iter()
                        .all(|c| c.is_ascii_digit() || *c == b',' || *c == b' ')
                    {
                        return Err((k, "unexpected type modifier in a cast"));
                    }
                    k += close + 1;
                }
                _ => break,
            }
        }
    }
    Ok((lit, end, k))
}

/// Standard string content: `''` is `'`.
pub(crate) fn undouble(s: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(n) = memchr::memchr(b'\'', &s[i..]) {
        out.extend_from_slice(&s[i..i + n + 1]);
        i += n + 2;
        if i > s.len() {
            return;
        }
    }
    out.extend_from_slice(&s[i..]);
}

/// Reads up to `max` digits of `radix` at `s[i..]`: the value and count.
fn digits(s: &[u8], i: usize, radix: u32, max: usize) -> (u32, usize) {
    let mut v = 0u32;
    let mut n = 0;
    while n < max {
        match s.get(i + n).and_then(|c| (*c as char).to_digit(radix)) {
            Some(d) => {
                v = v * radix + d;
                n += 1;
            }
            None => break,
        }
    }
    (v, n)
}

/// Backslash escapes shared by `E'..'` strings and COPY text: `\b \f \n \r
/// \t \v`, `\ooo`, `\xhh`; `e_string` adds `\uXXXX`, `\UXXXXXXXX` and
/// doubled quotes.
fn unescape_backslashes(s: &[u8], out: &mut Vec<u8>, e_string: bool) {
    let mut i = 0;
    loop {
        let next = if e_string {
            memchr::memchr2(b'\\', b'\'', &s[i..])
        } else {
            memchr::memchr(b'\\', &s[i..])
        };
        let Some(n) = next else {
            out.extend_from_slice(&s[i..]);
            return;
        };
        out.extend_from_slice(&s[i..i + n]);
        let j = i + n;
        if s[j] == b'\'' {
            out.push(b'\'');
            i = j + 2;
            continue;
        }
        let Some(&e) = s.get(j + 1) else {
            return;
        };
        i = j + 2;
        match e {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let (v, k) = digits(s, j + 1, 8, 3);
                out.push(v as u8);
                i = j + 1 + k;
            }
            b'x' if s.get(j + 2).is_some_and(u8::is_ascii_hexdigit) => {
                let (v, k) = digits(s, j + 2, 16, 2);
                out.push(v as u8);
                i = j + 2 + k;
            }
            b'u' | b'U' if e_string => {
                let len = if e == b'u' { 4 } else { 8 };
                let (v, k) = digits(s, j + 2, 16, len);
                let c = char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i = j + 2 + k;
            }
            other => out.push(other),
        }
    }
}

/// `E'..'` content.
pub(crate) fn unescape_e(s: &[u8], out: &mut Vec<u8>) {
    unescape_backslashes(s, out, true);
}

/// COPY text field content (not `\N`, which is NULL).
pub(crate) fn unescape_copy(s: &[u8], out: &mut Vec<u8>) {
    unescape_backslashes(s, out, false);
}

/// The literal of the COPY field `w[start..stop]` (between tabs).
pub fn copy_field(w: &[u8], start: usize, stop: usize) -> Literal {
    if &w[start..stop] == b"\\N" {
        Literal::Null
    } else {
        Literal::CopyField(start, stop)
    }
}

/// One COPY text line, as [`copy_lines`] hands it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyLine {
    /// Offset of its first byte.
    pub start: usize,
    /// Where its last field ends: at the line end, `\n` or `\r\n`, which
    /// belongs to no field.
    pub fields_end: usize,
    /// Offset just past the line end.
    pub end: usize,
}

/// Calls `row(line, tabs)` for each COPY line in `range` (which ends after
/// a newline), with the offsets of the line's tabs, in one pass of 64-byte
/// blocks: a raw tab or newline in COPY text is always a field or row end,
/// so no byte needs reading twice. Stops at the first error `row` returns.
///
/// Line ends: COPY FROM reads `\n`, `\r\n` or a bare `\r`, one style for a
/// whole block (PostgreSQL docs, COPY, Text Format). `\r\n` is read as a
/// line end (a dump saved on Windows); a raw `\r` anywhere else is an
/// error, since it either ends a line (the bare `\r` style, which this
/// reader does not follow) or makes PostgreSQL refuse the block ("literal
/// carriage return found in data"). pg_dump writes a carriage return in a
/// value as `\r`, never raw. Mixing `\n` and `\r\n` lines is left as it
/// is: each line keeps its own end, and PostgreSQL refuses the block just
/// as it would have refused the input.
///
/// A line ending in an odd run of backslashes is an error too: PostgreSQL
/// reads a backslash before a raw newline as a newline in the value, so
/// its row goes on past the line end (and before `\r\n`, it refuses the
/// block). pg_dump never writes either.
pub fn copy_lines<F>(
    w: &[u8],
    start: usize,
    end: usize,
    tabs: &mut Vec<usize>,
    row: F,
) -> Result<()>
where
    F: FnMut(CopyLine, &[usize]) -> Result<()>,
{
    struct Lines<'a, 'b, F>(&'a [u8], usize, &'b mut Vec<usize>, F);
    impl<F: FnMut(CopyLine, &[usize]) -> Result<()>> Scan for Lines<'_, '_, F> {
        type Out = Result<()>;
        #[inline(always)]
        fn run<L: Lanes>(self) -> Result<()> {
            let Lines(w, mut at, tabs, mut row) = self;
            tabs.clear();
            let mut line = at;
            while at < w.len() {
                let b = L::load(w, at);
                let mut t = b.eq(b'\t');
                let mut n = b.eq(b'\n');
                let mut r = b.eq(b'\r');
                while r != 0 {
                    let cr = at + r.trailing_zeros() as usize;
                    if w.get(cr + 1) != Some(&b'\n') {
                        return Err(Error::input(
                            cr as u64,
                            "raw carriage return in a COPY row (only `\\n` and `\\r\\n` \
                             line ends are read)",
                        ));
                    }
                    r &= r - 1;
                }
                while n != 0 {
                    let k = n.trailing_zeros();
                    let mut before = t & below(k);
                    while before != 0 {
                        tabs.push(at + before.trailing_zeros() as usize);
                        before &= before - 1;
                    }
                    t &= !below(k);
                    let nl = at + k as usize;
                    let fields_end = if nl > line && w[nl - 1] == b'\r' {
                        nl - 1
                    } else {
                        nl
                    };
                    let backslashes = w[line..fields_end]
                        .iter()
                        .rev()
                        .take_while(|&&c| c == b'\\')
                        .count();
                    if backslashes % 2 == 1 {
                        return Err(Error::input(
                            (fields_end - 1) as u64,
                            "backslash before a COPY line end (a newline escaped this \
                             way is not read)",
                        ));
                    }
                    row(
                        CopyLine {
                            start: line,
                            fields_end,
                            end: nl + 1,
                        },
                        tabs,
                    )?;
                    tabs.clear();
                    line = nl + 1;
                    n &= n - 1;
                }
                while t != 0 {
                    tabs.push(at + t.trailing_zeros() as usize);
                    t &= t - 1;
                }
                at += WIDTH;
            }
            if line < w.len() {
                return Err(Error::input(line as u64, "COPY row without a line end"));
            }
            Ok(())
        }
    }
    simd::dispatch(Lines(&w[..end], start, tabs, row))
}

/// Writes `v` as a COPY text field the way COPY TO does.
pub fn encode_copy(v: &[u8], out: &mut Vec<u8>) {
    super::write_escaped(v, out, |b| match b {
        b'\\' => Some(b"\\\\"),
        b'\t' => Some(b"\\t"),
        b'\n' => Some(b"\\n"),
        b'\r' => Some(b"\\r"),
        8 => Some(b"\\b"),
        11 => Some(b"\\v"),
        12 => Some(b"\\f"),
        _ => None,
    });
}

/// Writes `v` as a standard string literal: quotes doubled, everything
/// else as it is (pg_dump --inserts writes raw newlines the same way).
pub fn encode_string(v: &[u8], out: &mut Vec<u8>) {
    out.reserve(v.len() + 2);
    out.push(b'\'');
    let mut i = 0;
    while let Some(n) = memchr::memchr(b'\'', &v[i..]) {
        out.extend_from_slice(&v[i..i + n + 1]);
        out.push(b'\'');
        i += n + 1;
    }
    out.extend_from_slice(&v[i..]);
    out.push(b'\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &[u8]) -> (Option<Vec<u8>>, usize) {
        let (l, lit_end, end) = value(s, 0).unwrap();
        let mut out = Vec::new();
        (l.decode(s, (0, lit_end), &mut out).map(|_| out), end)
    }

    macro_rules! decodes_to {
        ($name:ident, $input:expr, $expected:expr, $end:expr) => {
            #[test]
            fn $name() {
                let (v, end) = dec($input);
                assert_eq!(v.as_deref(), $expected);
                assert_eq!(end, $end);
            }
        };
    }

    decodes_to!(
        standard_string,
        b"'it''s \\ raw'",
        Some(&b"it's \\ raw"[..]),
        13
    );
    decodes_to!(
        e_string,
        b"E'a\\tb\\\\c\\'d''e\\101\\x41\\u00e9'",
        Some(&b"a\tb\\c'd'eAA\xc3\xa9"[..]),
        30
    );
    decodes_to!(cast_is_kept_out, b"'{}'::jsonb,", Some(&b"{}"[..]), 11);
    decodes_to!(
        cast_with_modifier,
        b"'x'::character varying(20))",
        Some(&b"x"[..]),
        26
    );
    decodes_to!(number, b"-12.5e3,", Some(&b"-12.5e3"[..]), 7);
    decodes_to!(null_with_cast, b"NULL::text)", None, 10);
    decodes_to!(boolean, b"true)", Some(&b"true"[..]), 4);

    #[test]
    fn copy_fields_and_escapes() {
        let line = b"1\tO'Brien\t\\N\ta\\tb\\\\n\\012\\x41\n";
        let mut fields = Vec::new();
        copy_lines(line, 0, line.len(), &mut Vec::new(), |l, tabs| {
            let mut from = l.start;
            for stop in tabs.iter().copied().chain([l.fields_end]) {
                let mut out = Vec::new();
                let lit = copy_field(line, from, stop);
                fields.push(lit.decode(line, (from, stop), &mut out).map(|_| out));
                from = stop + 1;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(
            fields,
            vec![
                Some(b"1".to_vec()),
                Some(b"O'Brien".to_vec()),
                None,
                Some(b"a\tb\\n\nA".to_vec())
            ]
        );
    }

    /// A line as the tests see it: decoded fields (`None` for `\N`) and
    /// the line end after the last one.
    type Line = (Vec<Option<Vec<u8>>>, Vec<u8>);

    /// Reads `input` with [`copy_lines`]: its lines, or the offset of the
    /// error.
    fn read_lines(input: &[u8]) -> Result<Vec<Line>, u64> {
        let mut lines = Vec::new();
        copy_lines(input, 0, input.len(), &mut Vec::new(), |l, tabs| {
            let mut fields = Vec::new();
            let mut from = l.start;
            for stop in tabs.iter().copied().chain([l.fields_end]) {
                let mut out = Vec::new();
                let lit = copy_field(input, from, stop);
                fields.push(lit.decode(input, (from, stop), &mut out).map(|_| out));
                from = stop + 1;
            }
            lines.push((fields, input[l.fields_end..l.end].to_vec()));
            Ok(())
        })
        .map_err(|e| e.position().map_or(u64::MAX, |p| p.byte))?;
        Ok(lines)
    }

    /// A line of fields (`None` for `\N`) and the line end after them.
    fn line(fields: &[Option<&str>], end: &str) -> Line {
        let fields = fields.iter().map(|f| f.map(|v| v.as_bytes().to_vec()));
        (fields.collect(), end.as_bytes().to_vec())
    }

    macro_rules! copy_lines_read {
        ($name:ident, $input:expr, $expected:expr) => {
            #[test]
            fn $name() {
                assert_eq!(read_lines($input), $expected);
            }
        };
    }

    copy_lines_read!(
        lf_line_ends,
        b"1\tDE \n2\t\\N\n",
        Ok(vec![
            line(&[Some("1"), Some("DE ")], "\n"),
            line(&[Some("2"), None], "\n")
        ])
    );
    copy_lines_read!(
        crlf_is_a_line_end_not_part_of_the_last_field,
        b"1\tDE \r\n2\t\\N\r\n\r\n",
        Ok(vec![
            line(&[Some("1"), Some("DE ")], "\r\n"),
            line(&[Some("2"), None], "\r\n"),
            line(&[Some("")], "\r\n")
        ])
    );
    copy_lines_read!(
        escaped_carriage_return_is_data,
        b"a\\r\tb\\\\\r\n",
        Ok(vec![line(&[Some("a\r"), Some("b\\")], "\r\n")])
    );
    copy_lines_read!(
        each_line_keeps_its_own_end,
        b"1\ta\r\n2\tb\n",
        Ok(vec![
            line(&[Some("1"), Some("a")], "\r\n"),
            line(&[Some("2"), Some("b")], "\n")
        ])
    );
    copy_lines_read!(
        crlf_across_a_block_boundary,
        // `\r` is the block's last byte, `\n` the next block's first.
        &[&[b'x'; 61][..], b"\ty\r\nz\r\n"].concat(),
        Ok(vec![
            line(&[Some(&"x".repeat(61)), Some("y")], "\r\n"),
            line(&[Some("z")], "\r\n")
        ])
    );
    copy_lines_read!(bare_carriage_return_line_ends, b"1\ta\r2\tb\r", Err(3));
    copy_lines_read!(raw_carriage_return_inside_a_field, b"1\ta\rb\r\n", Err(3));
    copy_lines_read!(
        raw_carriage_return_ending_a_block,
        &[&[b'x'; 63][..], b"\ry\n"].concat(),
        Err(63)
    );
    copy_lines_read!(escaped_newline, b"1\ta\\\n2\tb\n", Err(3));
    copy_lines_read!(escaped_carriage_return_line_end, b"1\ta\\\r\n", Err(3));

    #[test]
    fn copy_encoding_round_trips() {
        let v = b"tab\there\nnew\\slash\r\x08\x0b\x0c end";
        let mut enc = Vec::new();
        encode_copy(v, &mut enc);
        assert!(!enc.contains(&b'\t') && !enc.contains(&b'\n'));
        let mut dec = Vec::new();
        unescape_copy(&enc, &mut dec);
        assert_eq!(dec, v);
    }

    #[test]
    fn string_encoding_round_trips() {
        let v = b"it's\na 'test'";
        let mut enc = Vec::new();
        encode_string(v, &mut enc);
        let (got, _) = dec(&enc);
        assert_eq!(got.unwrap(), v);
    }

    #[test]
    fn row_end_counts_cast_parentheses() {
        let s = b"(1, 'a)b'::character varying(10), E'\\')'),(2)";
        assert_eq!(row_end(s, 0), Some(41));
    }
}
