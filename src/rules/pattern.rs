//! Which tables a rules entry names: a bare name, `schema.table`, or a
//! shell-style glob, and how specific each match is. Knows names only,
//! never columns, transformers or dump syntax.

use crate::sql::QualifiedName;

/// Which tables a rules entry applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TablePattern {
    /// `customers`: that table in any schema.
    Bare(String),
    /// `crm.customers`.
    Qualified(String, String),
    /// `log_*`, `crm.*`: a glob over the bare or the qualified name.
    Glob(String),
}

impl TablePattern {
    pub(super) fn parse(key: &str) -> TablePattern {
        if key.contains(['*', '?', '[']) {
            return TablePattern::Glob(key.to_string());
        }
        match key.split_once('.') {
            Some((s, t)) => TablePattern::Qualified(s.to_string(), t.to_string()),
            None => TablePattern::Bare(key.to_string()),
        }
    }

    /// The pattern in lower case.
    pub(super) fn folded(&self) -> TablePattern {
        match self {
            TablePattern::Bare(t) => TablePattern::Bare(t.to_ascii_lowercase()),
            TablePattern::Qualified(s, t) => {
                TablePattern::Qualified(s.to_ascii_lowercase(), t.to_ascii_lowercase())
            }
            TablePattern::Glob(g) => TablePattern::Glob(g.to_ascii_lowercase()),
        }
    }

    /// How specific a match is, higher wins; `None` if it does not match.
    pub(super) fn rank(&self, name: &QualifiedName) -> Option<u8> {
        match self {
            TablePattern::Qualified(s, t) => {
                (name.schema.as_deref() == Some(s.as_str()) && &name.name == t).then_some(3)
            }
            TablePattern::Bare(t) => (&name.name == t).then_some(2),
            TablePattern::Glob(g) => {
                let hit = if g.contains('.') {
                    name.schema.as_ref().is_some_and(|s| {
                        glob_match(g.as_bytes(), format!("{s}.{}", name.name).as_bytes())
                    })
                } else {
                    glob_match(g.as_bytes(), name.name.as_bytes())
                };
                hit.then_some(1)
            }
        }
    }
}

/// Shell-style glob: `*` any run, `?` one byte, `[abc]` a class.
fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some(close) = pat[p + 1..].iter().position(|&c| c == b']') {
                        let class = &pat[p + 1..p + 1 + close];
                        if class.contains(&s[i]) {
                            p += close + 2;
                            i += 1;
                            continue;
                        }
                    } else if s[i] == b'[' {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                c if c == s[i] => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp + 1;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"log_*", b"log_2024"));
        assert!(!glob_match(b"log_*", b"logs"));
        assert!(glob_match(b"a?c", b"abc"));
        assert!(glob_match(b"[ab]x*", b"bxyz"));
        assert!(glob_match(b"*", b""));
    }
}
