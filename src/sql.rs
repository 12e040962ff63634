//! A small SQL tokenizer for the parts of a dump that are code: DDL and the
//! header of a data statement (`INSERT INTO t (a, b) VALUES`, `COPY t (a) FROM
//! stdin;`). It is not on the hot path; values are never read through it.
//!
//! It knows quoting, escapes and comments through [`Lexical`], which the
//! dialect supplies, and nothing about statements.

use crate::simd::{self, escaped, Lanes, Scan, WIDTH};

/// Lexical facts that differ between dialects.
#[derive(Debug, Clone, Copy)]
pub struct Lexical {
    /// Does a backslash escape the next byte inside `'...'`?
    /// MySQL: yes (`'it\'s'`); PostgreSQL standard strings: no.
    pub backslash_in_strings: bool,
    /// The byte that quotes identifiers: MySQL `` ` ``, PostgreSQL `"`.
    pub ident_quote: u8,
    /// Is `"..."` a string (MySQL without ANSI_QUOTES) rather than an
    /// identifier?
    pub double_quote_is_string: bool,
    /// Does `#` start a comment to the end of the line (MySQL)?
    pub hash_comments: bool,
    /// Are `/*!40101 ... */` and `/*M!999999 ... */` code (MySQL)?
    pub conditional_comments: bool,
    /// Must `--` be followed by whitespace to start a comment (MySQL), or
    /// does `--` alone start one (PostgreSQL)?
    pub dash_comment_needs_space: bool,
    /// Do `/* */` comments nest (PostgreSQL)?
    pub nested_comments: bool,
    /// Are `$$..$$` and `$tag$..$tag$` strings (PostgreSQL)?
    pub dollar_quotes: bool,
    /// Is `E'..'` a string with backslash escapes (PostgreSQL)?
    pub e_strings: bool,
    /// Are unquoted identifiers folded to lower case (PostgreSQL:
    /// `INSERT INTO PUBLIC.Customers` writes to `public.customers`)? MySQL
    /// keeps them as written.
    pub fold_unquoted: bool,
}

impl Lexical {
    /// Does a backslash escape the next byte inside the `'` string opening
    /// at `src[i]`? Always in MySQL; in PostgreSQL only in `E'..'` strings,
    /// whose `E` is a word of its own (`E'a\'b'`, but not `nameE'..'`).
    pub fn backslash_string(&self, src: &[u8], i: usize) -> bool {
        self.backslash_in_strings
            || (self.e_strings
                && i > 0
                && (src[i - 1] == b'E' || src[i - 1] == b'e')
                && (i < 2 || !is_word_byte(src[i - 2])))
    }
}

/// Is `--` at `i` the start of a comment under these rules?
fn dash_comment(src: &[u8], i: usize, lx: &Lexical) -> bool {
    src.get(i + 1) == Some(&b'-')
        && (!lx.dash_comment_needs_space || src.get(i + 2).is_none_or(|c| c.is_ascii_whitespace()))
}

/// Is `/*` at `i` a MySQL conditional comment? Returns where its code
/// starts.
fn conditional_start(src: &[u8], i: usize, lx: &Lexical) -> Option<usize> {
    if !lx.conditional_comments {
        return None;
    }
    let mut j = match (src.get(i + 2), src.get(i + 3)) {
        (Some(b'!'), _) => i + 3,
        (Some(b'M'), Some(b'!')) => i + 4,
        _ => return None,
    };
    while j < src.len() && src[j].is_ascii_digit() {
        j += 1;
    }
    Some(j)
}

/// Given `/*` at `i`, the offset just past its `*/` (counting nesting where
/// the dialect nests comments).
fn block_comment_end(src: &[u8], i: usize, lx: &Lexical) -> Option<usize> {
    if !lx.nested_comments {
        return find(src, i + 2, b"*/").map(|e| e + 2);
    }
    let mut depth = 1;
    let mut j = i + 2;
    while depth > 0 {
        let n = memchr::memchr2(b'*', b'/', &src[j..])? + j;
        if src[n] == b'*' && src.get(n + 1) == Some(&b'/') {
            depth -= 1;
            j = n + 2;
        } else if src[n] == b'/' && src.get(n + 1) == Some(&b'*') {
            depth += 1;
            j = n + 2;
        } else {
            j = n + 1;
        }
    }
    Some(j)
}

/// Given `$` at `i` (not inside a word), the dollar-quote tag `$tag$` if
/// one starts there.
pub fn dollar_tag(src: &[u8], i: usize) -> Option<&[u8]> {
    let mut j = i + 1;
    if src.get(j).is_some_and(|c| c.is_ascii_digit()) {
        return None; // `$1` is a parameter
    }
    while j < src.len() && (src[j].is_ascii_alphanumeric() || src[j] == b'_' || src[j] >= 0x80) {
        j += 1;
    }
    (src.get(j) == Some(&b'$')).then(|| &src[i..=j])
}

/// Where what starts at `i` ends, if it is a quoted string, identifier,
/// dollar quote or comment: `Some(Ok(end))` just past it, `Some(Err(what))`
/// if the input ends inside it, `None` if `i` starts none of those.
fn skip_quoted(src: &[u8], i: usize, lx: &Lexical) -> Option<Result<usize, &'static str>> {
    let b = src[i];
    Some(match b {
        b'\'' => string_end(src, i + 1, b'\'', lx.backslash_string(src, i))
            .map(|e| e + 1)
            .ok_or("unterminated string"),
        b'"' => string_end(
            src,
            i + 1,
            b'"',
            lx.double_quote_is_string && lx.backslash_in_strings,
        )
        .map(|e| e + 1)
        .ok_or(if lx.double_quote_is_string {
            "unterminated string"
        } else {
            "unterminated quoted identifier"
        }),
        q if q == lx.ident_quote => string_end(src, i + 1, q, false)
            .map(|e| e + 1)
            .ok_or("unterminated quoted identifier"),
        b'$' if lx.dollar_quotes && (i == 0 || !is_word_byte(src[i - 1])) => {
            let tag = dollar_tag(src, i)?;
            find(src, i + tag.len(), tag)
                .map(|e| e + tag.len())
                .ok_or("unterminated dollar-quoted string")
        }
        b'-' if dash_comment(src, i, lx) => Ok(line_end(src, i)),
        b'#' if lx.hash_comments => Ok(line_end(src, i)),
        b'/' if src.get(i + 1) == Some(&b'*') && conditional_start(src, i, lx).is_none() => {
            block_comment_end(src, i, lx).ok_or("unterminated comment")
        }
        _ => return None,
    })
}

/// The offset just past the delimiter ending the statement that starts at
/// `i`: the first `delim` outside strings, quoted identifiers, dollar
/// quotes and comments (and outside MySQL conditional comments, which are
/// code). `Ok(None)` when the input ends first; `Err((at, what))` when it
/// ends inside something opened at `at`.
pub fn statement_end(
    src: &[u8],
    mut i: usize,
    delim: &[u8],
    lx: &Lexical,
) -> Result<Option<usize>, (usize, &'static str)> {
    let mut in_conditional = false;
    let d0 = delim[0];
    while i < src.len() {
        let b = src[i];
        if let Some(r) = skip_quoted(src, i, lx) {
            match r {
                // A line comment at the very end leaves the statement open.
                Ok(end) if end >= src.len() && (b == b'-' || b == b'#') => return Ok(None),
                Ok(end) => i = end,
                Err(what) => return Err((i, what)),
            }
            continue;
        }
        if b == b'/' && src.get(i + 1) == Some(&b'*') {
            if let Some(j) = conditional_start(src, i, lx) {
                in_conditional = true;
                i = j;
                continue;
            }
        }
        if b == b'*' && in_conditional && src.get(i + 1) == Some(&b'/') {
            in_conditional = false;
            i += 2;
            continue;
        }
        if b == d0 && !in_conditional && src[i..].starts_with(delim) {
            return Ok(Some(i + delim.len()));
        }
        i += 1;
    }
    Ok(None)
}

/// Where whitespace and plain comments starting at `i` end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Something else starts here.
    At(usize),
    /// The input ends first.
    End,
    /// The input ends inside a comment that starts here.
    Unterminated(usize),
}

/// Skips whitespace and plain comments (not MySQL conditional comments,
/// which are code).
pub fn skip_space_and_comments(src: &[u8], mut i: usize, lx: &Lexical) -> Skip {
    loop {
        while i < src.len() && src[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= src.len() {
            return Skip::End;
        }
        let b = src[i];
        // A comment start the end of the input may have cut (`/`, `-`,
        // MySQL's `--` before the byte that decides): more input decides.
        let cut = match &src[i..] {
            [b'/'] | [b'-'] => true,
            [b'-', b'-'] => lx.dash_comment_needs_space,
            _ => false,
        };
        if cut {
            return Skip::Unterminated(i);
        }
        let comment = (b == b'-' && dash_comment(src, i, lx))
            || (b == b'#' && lx.hash_comments)
            || (b == b'/'
                && src.get(i + 1) == Some(&b'*')
                && conditional_start(src, i, lx).is_none());
        if !comment {
            return Skip::At(i);
        }
        match skip_quoted(src, i, lx) {
            Some(Ok(end)) if end < src.len() || b == b'/' => i = end,
            Some(Ok(_)) => return Skip::End,
            _ => return Skip::Unterminated(i),
        }
    }
}

/// One token of code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// An unquoted word: keyword or identifier, as written.
    Word(String),
    /// A quoted identifier, unquoted (doubled quotes folded).
    Quoted(String),
    /// A string literal's raw bytes between the quotes (not unescaped).
    Str(Vec<u8>),
    /// A number as written.
    Number(String),
    /// Any other single byte: `(`, `)`, `,`, `.`, `;`, `=`...
    Punct(u8),
}

impl Token {
    /// Is this the keyword `kw` (case-insensitive)?
    pub fn is_word(&self, kw: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    /// The identifier this token names: a word as written, or a quoted name.
    pub fn ident(&self) -> Option<&str> {
        match self {
            Token::Word(w) | Token::Quoted(w) => Some(w),
            _ => None,
        }
    }
}

/// A token and where it starts in the tokenized text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned {
    /// The token.
    pub token: Token,
    /// Byte offset of its first byte.
    pub start: usize,
    /// Byte offset just past its last byte.
    pub end: usize,
}

/// Why tokenizing failed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// Byte offset in the tokenized text.
    pub at: usize,
    /// What is wrong.
    pub what: &'static str,
}

/// Tokenizes `src` completely. Conditional comments (`/*!40101 ... */`,
/// `/*M!100100 ... */`) are code to MySQL, so their contents are tokenized
/// and the markers dropped; other comments are skipped.
pub fn tokenize(src: &[u8], lx: &Lexical) -> Result<Vec<Spanned>, LexError> {
    Tokens::new(src, lx).collect()
}

/// Tokens of `src`, one at a time: a statement's head can be read without
/// tokenizing (or even having) the rest of it.
pub struct Tokens<'a> {
    src: &'a [u8],
    lx: Lexical,
    i: usize,
    in_conditional: bool,
}

impl<'a> Tokens<'a> {
    /// Tokens of `src` from its start.
    pub fn new(src: &'a [u8], lx: &Lexical) -> Tokens<'a> {
        Tokens {
            src,
            lx: *lx,
            i: 0,
            in_conditional: false,
        }
    }

    fn lex_error(&mut self, at: usize, what: &'static str) -> Option<Result<Spanned, LexError>> {
        self.i = self.src.len();
        Some(Err(LexError { at, what }))
    }
}

impl Iterator for Tokens<'_> {
    type Item = Result<Spanned, LexError>;

    fn next(&mut self) -> Option<Self::Item> {
        let src = self.src;
        let lx = self.lx;
        while self.i < src.len() {
            let i = self.i;
            let b = src[i];
            let start = i;
            let tok = |token, end| Some(Ok(Spanned { token, start, end }));
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c => self.i += 1,
                b'-' if dash_comment(src, i, &lx) => self.i = line_end(src, i),
                b'#' if lx.hash_comments => self.i = line_end(src, i),
                b'/' if src.get(i + 1) == Some(&b'*') => match conditional_start(src, i, &lx) {
                    Some(j) => {
                        self.in_conditional = true;
                        self.i = j;
                    }
                    None => match block_comment_end(src, i, &lx) {
                        Some(end) => self.i = end,
                        None => return self.lex_error(i, "unterminated comment"),
                    },
                },
                b'*' if self.in_conditional && src.get(i + 1) == Some(&b'/') => {
                    self.in_conditional = false;
                    self.i += 2;
                }
                b'$' if lx.dollar_quotes
                    && (i == 0 || !is_word_byte(src[i - 1]))
                    && dollar_tag(src, i).is_some() =>
                {
                    match skip_quoted(src, i, &lx) {
                        Some(Ok(end)) => {
                            self.i = end;
                            return tok(Token::Str(src[i..end].to_vec()), end);
                        }
                        _ => return self.lex_error(i, "unterminated dollar-quoted string"),
                    }
                }
                b'\'' | b'"' if b == b'\'' || lx.double_quote_is_string => {
                    let backslash = b == b'\'' && lx.backslash_string(src, i)
                        || b == b'"' && lx.backslash_in_strings;
                    let Some(end) = string_end(src, i + 1, b, backslash) else {
                        return self.lex_error(i, "unterminated string");
                    };
                    self.i = end + 1;
                    return tok(Token::Str(src[i + 1..end].to_vec()), end + 1);
                }
                q if q == lx.ident_quote => {
                    let Some((name, end)) = quoted_ident(src, i) else {
                        return self.lex_error(i, "unterminated quoted identifier");
                    };
                    self.i = end;
                    return tok(Token::Quoted(name), end);
                }
                b'0'..=b'9' => {
                    let mut j = i;
                    while j < src.len() && (src[j].is_ascii_alphanumeric() || src[j] == b'.') {
                        j += 1;
                    }
                    self.i = j;
                    return tok(
                        Token::Number(String::from_utf8_lossy(&src[i..j]).into_owned()),
                        j,
                    );
                }
                c if is_word_byte(c) => {
                    let mut j = i;
                    while j < src.len() && is_word_byte(src[j]) {
                        j += 1;
                    }
                    self.i = j;
                    let mut word = String::from_utf8_lossy(&src[i..j]).into_owned();
                    if lx.fold_unquoted {
                        word.make_ascii_lowercase();
                    }
                    return tok(Token::Word(word), j);
                }
                _ => {
                    self.i += 1;
                    return tok(Token::Punct(b), i + 1);
                }
            }
        }
        None
    }
}

/// Bytes that may appear in an unquoted identifier or keyword (MySQL and
/// PostgreSQL both allow `$` after the first byte and any non-ASCII byte).
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Offset of the newline ending the line at `i`, or the end of `src`.
fn line_end(src: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &src[i..]).map_or(src.len(), |n| i + n)
}

fn find(src: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(&src[from..], needle).map(|n| from + n)
}

/// Given the offset just past an opening quote, the offset of the closing
/// quote. A doubled quote is an escaped quote; with `backslash`, a backslash
/// escapes the byte after it (so `\\'` is an escaped backslash, then the end).
pub fn string_end(src: &[u8], mut i: usize, quote: u8, backslash: bool) -> Option<usize> {
    if backslash {
        return escaped_string_end(src, i, quote);
    }
    loop {
        let j = i + memchr::memchr(quote, &src[i..])?;
        if src.get(j + 1) == Some(&quote) {
            i = j + 2;
            continue;
        }
        return Some(j);
    }
}

/// [`string_end`] with backslash escapes, 64 bytes at a time: dump strings
/// (binary data above all) are dense with escapes, which a search for the
/// next quote or backslash would stop at one by one.
fn escaped_string_end(src: &[u8], i: usize, quote: u8) -> Option<usize> {
    struct StringEnd<'a>(&'a [u8], usize, u8);
    impl Scan for StringEnd<'_> {
        type Out = Option<usize>;
        #[inline(always)]
        fn run<L: Lanes>(self) -> Option<usize> {
            escaped_string_end_in::<L>(self.0, self.1, self.2)
        }
    }
    simd::dispatch(StringEnd(src, i, quote))
}

#[inline(always)]
fn escaped_string_end_in<L: Lanes>(src: &[u8], mut i: usize, quote: u8) -> Option<usize> {
    let mut carry = false;
    'blocks: while i < src.len() {
        let block = L::load(src, i);
        let mut quotes = block.eq(quote) & !escaped(block.eq(b'\\'), &mut carry);
        while quotes != 0 {
            let j = quotes.trailing_zeros();
            let at = i + j as usize;
            if src.get(at + 1) != Some(&quote) {
                return Some(at);
            }
            // A doubled quote (the second is never escaped: a quote
            // precedes it).
            if j == 63 {
                i = at + 2;
                carry = false;
                continue 'blocks;
            }
            quotes &= !(3 << j);
        }
        i += WIDTH;
    }
    None
}

/// Reads a quoted identifier starting at its opening quote: the name with
/// doubled quotes folded, and the offset just past the closing quote.
pub fn quoted_ident(src: &[u8], start: usize) -> Option<(String, usize)> {
    let q = src[start];
    let end = string_end(src, start + 1, q, false)?;
    let raw = &src[start + 1..end];
    let mut name = Vec::with_capacity(raw.len());
    let mut k = 0;
    while k < raw.len() {
        name.push(raw[k]);
        k += if raw[k] == q { 2 } else { 1 };
    }
    Some((String::from_utf8_lossy(&name).into_owned(), end + 1))
}

/// A possibly schema-qualified name read from tokens: `a`, `a.b`, `"a"."b"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    /// The schema (PostgreSQL) or database (MySQL), if written.
    pub schema: Option<String>,
    /// The object's own name.
    pub name: String,
}

impl QualifiedName {
    /// Reads a name at `toks[*i]`, advancing `i` past it.
    pub fn parse(toks: &[Spanned], i: &mut usize) -> Option<QualifiedName> {
        let first = toks.get(*i)?.token.ident()?.to_string();
        *i += 1;
        if matches!(toks.get(*i).map(|t| &t.token), Some(Token::Punct(b'.'))) {
            if let Some(second) = toks.get(*i + 1).and_then(|t| t.token.ident()) {
                let second = second.to_string();
                *i += 2;
                return Some(QualifiedName {
                    schema: Some(first),
                    name: second,
                });
            }
        }
        Some(QualifiedName {
            schema: None,
            name: first,
        })
    }
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MYSQL: Lexical = crate::format::mysql::LEXICAL;
    const PG: Lexical = crate::format::postgres::LEXICAL;

    #[test]
    fn statement_end_respects_quotes_comments_and_delimiters() {
        let s = b"CREATE x 'a;b' `c;d` \"e;f\" /* ; */ -- ;\n # ;\n /*!40101 ; */ end;";
        assert_eq!(statement_end(s, 0, b";", &MYSQL), Ok(Some(s.len())));
        let t = b"BEGIN INSERT INTO t VALUES (1); END ;; next";
        assert_eq!(statement_end(t, 0, b";;", &MYSQL), Ok(Some(38)));
        assert_eq!(
            statement_end(b"a 'open", 0, b";", &MYSQL),
            Err((2, "unterminated string"))
        );
        assert_eq!(statement_end(b"a b", 0, b";", &MYSQL), Ok(None));
    }

    #[test]
    fn postgres_dollar_quotes_nested_comments_and_e_strings() {
        let s = b"CREATE FUNCTION f() AS $_$ x; $$ ; $_$ /* a /* b; */ c; */ E'\\'; ' ;";
        assert_eq!(statement_end(s, 0, b";", &PG), Ok(Some(s.len())));
        assert_eq!(statement_end(b"select '\\';", 0, b";", &PG), Ok(Some(11)));
        assert_eq!(statement_end(b"select a$b$c;", 0, b";", &PG), Ok(Some(13)));
        assert_eq!(statement_end(b"select $1;", 0, b";", &PG), Ok(Some(10)));
        assert_eq!(
            statement_end(b"x $q$ never closed;", 0, b";", &PG),
            Err((2, "unterminated dollar-quoted string"))
        );
        assert_eq!(
            statement_end(b"--no space is a comment;\n;", 0, b";", &PG),
            Ok(Some(26))
        );
    }

    fn words(src: &str) -> Vec<Token> {
        tokenize(src.as_bytes(), &MYSQL)
            .unwrap()
            .into_iter()
            .map(|s| s.token)
            .collect()
    }

    #[test]
    fn doubled_backtick_is_part_of_the_name() {
        assert_eq!(words("`we``ird`"), vec![Token::Quoted("we`ird".into())]);
    }

    #[test]
    fn conditional_comment_contents_are_code() {
        assert_eq!(
            words("/*!40101 SET x */;"),
            vec![
                Token::Word("SET".into()),
                Token::Word("x".into()),
                Token::Punct(b';')
            ]
        );
        assert_eq!(
            words("/*M!100100 A */ /* skip */ B"),
            vec![Token::Word("A".into()), Token::Word("B".into())]
        );
    }

    #[test]
    fn escaped_backslash_then_quote_ends_the_string() {
        assert_eq!(
            words(r"'a\\' b"),
            vec![Token::Str(br"a\\".to_vec()), Token::Word("b".into())]
        );
        assert_eq!(words(r"'it\'s'"), vec![Token::Str(br"it\'s".to_vec())]);
        assert_eq!(words("'it''s'"), vec![Token::Str(b"it''s".to_vec())]);
    }

    #[test]
    fn unterminated_string_is_an_error_with_offset() {
        let e = tokenize(b"a 'bc", &MYSQL).unwrap_err();
        assert_eq!(e.at, 2);
    }

    #[test]
    fn qualified_names() {
        let t = tokenize(b"`db`.`t` x", &MYSQL).unwrap();
        let mut i = 0;
        let q = QualifiedName::parse(&t, &mut i).unwrap();
        assert_eq!(q.schema.as_deref(), Some("db"));
        assert_eq!(q.name, "t");
        assert_eq!(i, 3);
    }
}
