//! CSV as RFC 4180 writes it: records end at a line break (`\r\n` or
//! `\n`) outside quotes; fields are separated by the delimiter; a field
//! that starts with `"` is quoted, runs to the next lone `"`, may hold
//! delimiters and line breaks, and writes a quote as `""`.
//!
//! Reading one record is a small state machine, jumping with `memchr`:
//!
//! - *field start*: a `"` opens a quoted field, anything else an unquoted
//!   one;
//! - *unquoted*: up to the next delimiter or line break; a `"` here is not
//!   RFC 4180 and is an error (a lenient reader would guess, and a wrong
//!   guess shifts every later field);
//! - *quoted*: up to the next `"`; `""` stays inside, a lone `"` closes it
//!   and must be followed by a delimiter, a line break or the end.
//!
//! Where a record may end without reading from the start: a line break is
//! a record boundary exactly when the quotes before it since the last
//! boundary are even in number ([`next_boundary`]), which a count of `"`
//! bytes decides at memchr speed.

use super::{Field, FieldKind, Rewrite};
use crate::rules::transform::Outcome;

/// A scan error: where, and what (never a data value).
pub type ScanError = (usize, &'static str);

/// One record: where its fields end (before the line break) and where
/// the next record starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordEnd {
    /// Past the last field, before the line break.
    pub content: usize,
    /// Past the line break (or the end of input).
    pub next: usize,
}

/// Reads the record starting at `b[start]` into `fields`. `eof` says
/// whether `b` ends the input: if not, a record reaching the end of `b`
/// may not be complete, and `Ok(None)` asks for more.
pub fn read_record(
    b: &[u8],
    start: usize,
    delim: u8,
    eof: bool,
    fields: &mut Vec<Field>,
) -> Result<Option<RecordEnd>, ScanError> {
    fields.clear();
    let mut i = start;
    loop {
        if b.get(i) == Some(&b'"') {
            let mut j = i + 1;
            let end = loop {
                let Some(q) = memchr::memchr(b'"', &b[j..]).map(|q| j + q) else {
                    return if eof {
                        Err((i, "unterminated quoted field"))
                    } else {
                        Ok(None)
                    };
                };
                if b.get(q + 1) == Some(&b'"') {
                    j = q + 2;
                } else if q + 1 == b.len() && !eof {
                    // The next byte, unread yet, may be a second quote.
                    return Ok(None);
                } else {
                    break q + 1;
                }
            };
            fields.push(Field {
                start: i,
                end,
                kind: FieldKind::CsvQuoted,
            });
            match b.get(end) {
                Some(&c) if c == delim => i = end + 1,
                Some(b'\n') => {
                    return Ok(Some(RecordEnd {
                        content: end,
                        next: end + 1,
                    }))
                }
                Some(b'\r') if b.get(end + 1) == Some(&b'\n') => {
                    return Ok(Some(RecordEnd {
                        content: end,
                        next: end + 2,
                    }))
                }
                Some(b'\r') if end + 1 == b.len() && !eof => return Ok(None),
                None if eof => {
                    return Ok(Some(RecordEnd {
                        content: end,
                        next: end,
                    }))
                }
                None => return Ok(None),
                Some(_) => return Err((end, "text after the closing quote of a field")),
            }
        } else {
            let stop = memchr::memchr3(delim, b'\n', b'"', &b[i..]).map(|k| i + k);
            // A carriage return is part of a line break or of a quoted
            // field only: other readers end the record at a bare one, and
            // a record read two ways could put an untouched value under a
            // ruled column for the next reader.
            let bare_cr = |end: usize| match memchr::memchr(b'\r', &b[i..end]) {
                Some(r) => Err((i + r, "a carriage return inside an unquoted field")),
                None => Ok(()),
            };
            match stop.map(|k| (k, b[k])) {
                Some((k, b'"')) => return Err((k, "a quote inside an unquoted field")),
                Some((k, c)) if c == delim && c != b'\n' => {
                    bare_cr(k)?;
                    fields.push(Field {
                        start: i,
                        end: k,
                        kind: FieldKind::CsvBare,
                    });
                    i = k + 1;
                }
                Some((k, _)) => {
                    // A line break; `\r\n` leaves the `\r` out of the field.
                    let end = if k > i && b[k - 1] == b'\r' { k - 1 } else { k };
                    bare_cr(end)?;
                    fields.push(Field {
                        start: i,
                        end,
                        kind: FieldKind::CsvBare,
                    });
                    return Ok(Some(RecordEnd {
                        content: end,
                        next: k + 1,
                    }));
                }
                None if eof => {
                    bare_cr(b.len())?;
                    fields.push(Field {
                        start: i,
                        end: b.len(),
                        kind: FieldKind::CsvBare,
                    });
                    return Ok(Some(RecordEnd {
                        content: b.len(),
                        next: b.len(),
                    }));
                }
                None => return Ok(None),
            }
        }
    }
}

/// The first record boundary at or after `target`, given that `from` is
/// one: the first line break past `target` with an even number of quotes
/// between `from` and it. `None`: the input ends first. (In valid CSV an
/// odd count means "inside a quoted field"; in invalid CSV the reader
/// fails on the record holding the stray quote, which lies before any
/// boundary this finds, so the earliest error is still the right one.)
pub fn next_boundary(b: &[u8], from: usize, target: usize) -> Option<usize> {
    let target = target.max(from);
    if target >= b.len() {
        return None;
    }
    let mut odd = memchr::memchr_iter(b'"', &b[from..target]).count() % 2 == 1;
    let mut p = target;
    loop {
        let nl = p + memchr::memchr(b'\n', &b[p..])?;
        odd ^= memchr::memchr_iter(b'"', &b[p..nl]).count() % 2 == 1;
        if !odd {
            return Some(nl + 1);
        }
        p = nl + 1;
    }
}

/// A field's text: a quoted field without its quotes and with `""` as
/// `"`; an unquoted field as it is.
pub fn decode(b: &[u8], f: Field, out: &mut Vec<u8>) {
    if f.kind != FieldKind::CsvQuoted {
        out.extend_from_slice(&b[f.start..f.end]);
        return;
    }
    let s = &b[f.start + 1..f.end - 1];
    let mut i = 0;
    while let Some(q) = memchr::memchr(b'"', &s[i..]) {
        out.extend_from_slice(&s[i..i + q + 1]);
        i += q + 2;
    }
    if i < s.len() {
        out.extend_from_slice(&s[i..]);
    }
}

/// Writes `v` as a field: quoted when the original was, or when it holds
/// the delimiter, a quote or a line break; bare otherwise.
pub fn write_field(v: &[u8], was_quoted: bool, delim: u8, out: &mut Vec<u8>) {
    let needs = was_quoted
        || v.iter()
            .any(|&c| c == delim || c == b'"' || c == b'\n' || c == b'\r');
    if !needs {
        out.extend_from_slice(v);
        return;
    }
    out.push(b'"');
    let mut i = 0;
    while let Some(q) = memchr::memchr(b'"', &v[i..]) {
        out.extend_from_slice(&v[i..i + q + 1]);
        out.push(b'"');
        i += q + 1;
    }
    out.extend_from_slice(&v[i..]);
    out.push(b'"');
}

/// Writes what a transformer made of field `f`: a value as a field,
/// `null` as an empty unquoted field (CSV has no NULL; an empty unquoted
/// field is what PostgreSQL's `COPY ... CSV` reads as one).
pub fn write_outcome(
    f: Field,
    outcome: Outcome,
    produced: &[u8],
    delim: u8,
    out: &mut Vec<u8>,
) -> Rewrite {
    match outcome {
        Outcome::Keep => Rewrite::Unchanged,
        Outcome::Null | Outcome::Default => Rewrite::Written,
        Outcome::Value => {
            write_field(produced, f.kind == FieldKind::CsvQuoted, delim, out);
            Rewrite::Written
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads every record of `input` and gives each field's decoded text.
    fn read_all(input: &[u8], delim: u8) -> Result<Vec<Vec<String>>, ScanError> {
        let mut fields = Vec::new();
        let mut out = Vec::new();
        let mut i = 0;
        while i < input.len() {
            let end = read_record(input, i, delim, true, &mut fields)?.unwrap();
            out.push(
                fields
                    .iter()
                    .map(|f| {
                        let mut v = Vec::new();
                        decode(input, *f, &mut v);
                        String::from_utf8(v).unwrap()
                    })
                    .collect(),
            );
            i = end.next;
        }
        Ok(out)
    }

    macro_rules! parses_to {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let want: Result<Vec<Vec<&str>>, &str> = $want;
                let got = read_all($input, b',');
                match (got, want) {
                    (Ok(g), Ok(w)) => assert_eq!(g, w),
                    (Err((_, g)), Err(w)) => assert_eq!(g, w),
                    (g, w) => panic!("got {g:?}, want {w:?}"),
                }
            }
        )*};
    }

    parses_to! {
        plain: b"a,b\n1,2\n" => Ok(vec![vec!["a", "b"], vec!["1", "2"]]);
        crlf: b"a,b\r\n1,2\r\n" => Ok(vec![vec!["a", "b"], vec!["1", "2"]]);
        bare_cr_in_a_field: b"a,b\n1,x\ry\n" => Err("a carriage return inside an unquoted field");
        no_final_break: b"a,b\n1,2" => Ok(vec![vec!["a", "b"], vec!["1", "2"]]);
        quoted: b"\"x,y\",\"he said \"\"hi\"\"\"\n" => Ok(vec![vec!["x,y", "he said \"hi\""]]);
        embedded_newline: b"\"two\nlines\",z\n" => Ok(vec![vec!["two\nlines", "z"]]);
        empty_fields: b",,\n\"\",x,\n" => Ok(vec![vec!["", "", ""], vec!["", "x", ""]]);
        unterminated: b"a,\"open\n" => Err("unterminated quoted field");
        stray_quote: b"a,b\"c\n" => Err("a quote inside an unquoted field");
        text_after_quote: b"\"a\"b,c\n" => Err("text after the closing quote of a field");
    }

    #[test]
    fn boundaries_skip_line_breaks_inside_quotes() {
        let b = b"h1,h2\n\"a\nb\",c\n\"d\"\"\ne\",f\ng,h\n";
        // Every boundary found is where a sequential read puts one.
        let mut starts = vec![0];
        let mut fields = Vec::new();
        let mut i = 0;
        while i < b.len() {
            i = read_record(b, i, b',', true, &mut fields)
                .unwrap()
                .unwrap()
                .next;
            starts.push(i);
        }
        for target in 0..b.len() {
            let got = next_boundary(b, 0, target);
            let want = starts.iter().copied().find(|&s| s > target && s <= b.len());
            let want = want.filter(|&s| b[s - 1] == b'\n');
            assert_eq!(got, want, "target {target}");
        }
    }

    #[test]
    fn fields_are_quoted_where_needed_or_where_they_were() {
        let mut out = Vec::new();
        write_field(b"plain", false, b',', &mut out);
        write_field(b"plain", true, b',', &mut out);
        write_field(b"a,b", false, b',', &mut out);
        write_field(b"q\"", false, b';', &mut out);
        assert_eq!(out, b"plain\"plain\"\"a,b\"\"q\"\"\"");
    }

    #[test]
    fn a_stream_asks_for_more_rather_than_guess() {
        let mut f = Vec::new();
        assert_eq!(read_record(b"a,\"b", 0, b',', false, &mut f), Ok(None));
        assert_eq!(read_record(b"a,\"b\"", 0, b',', false, &mut f), Ok(None));
        assert_eq!(read_record(b"a,b", 0, b',', false, &mut f), Ok(None));
        assert!(read_record(b"a,b\n", 0, b',', false, &mut f)
            .unwrap()
            .is_some());
    }
}
