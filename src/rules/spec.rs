//! What the user writes: the rules file's TOML shape as serde types, a
//! column's rule ([`TransformSpec`]: the options every transformer takes,
//! and the transformer with its own options), literals, templates, and
//! where in the text each thing is written (for messages). Knows nothing
//! of a dump's tables or of how transformers are built.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;

use super::registry::{Transformer, TRANSFORMERS};

/// The whole rules file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSpec {
    pub(super) secret: Option<SecretSpec>,
    #[serde(default)]
    pub(super) options: OptionsSpec,
    #[serde(default)]
    pub(super) tables: BTreeMap<String, TableSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SecretSpec {
    pub(super) env: Option<String>,
    pub(super) file: Option<PathBuf>,
    /// A random key for this run only: pseudonyms differ from run to run
    /// (no joins across runs), for one-off shares.
    #[serde(default)]
    pub(super) random: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OptionsSpec {
    #[serde(default)]
    pub(super) strict: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TableSpec {
    #[serde(default)]
    pub(super) columns: BTreeMap<String, toml::Value>,
    pub(super) drop_when: Option<String>,
    pub(super) sample_percent: Option<toml::Value>,
    #[serde(default)]
    pub(super) truncate: bool,
    #[serde(default)]
    pub(super) when: Vec<WhenSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WhenSpec {
    #[serde(rename = "if")]
    pub(super) condition: String,
    #[serde(default)]
    pub(super) columns: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub(super) set: BTreeMap<String, toml::Value>,
}

/// A column's rule as written: `"hash"`, or
/// `{ transform = "hash", length = 12, unique = false, when = "..." }`.
///
/// `unique` and `when` apply to every transformer and are read here; the
/// rest of the table is the transformer's own options, which serde reads
/// into [`Transformer`] (refusing an option of another transformer).
#[derive(Debug, Clone)]
pub struct TransformSpec {
    /// The transformer and its own options.
    pub transformer: Transformer,
    /// Two distinct inputs must never give the same output.
    pub unique: bool,
    /// Apply only to rows where this condition holds.
    pub when: Option<String>,
}

impl TransformSpec {
    /// A rule as TOML gives it: a transformer name, or a table with
    /// `transform` and options.
    pub fn from_value(v: toml::Value) -> Result<TransformSpec, String> {
        let mut table = match v {
            toml::Value::String(name) => {
                let mut t = toml::Table::new();
                t.insert("transform".into(), toml::Value::String(name));
                t
            }
            toml::Value::Table(t) => t,
            other => {
                return Err(format!(
                    "expected a transformer, found a {}",
                    other.type_str()
                ))
            }
        };
        // The name first, so that a misspelt one is named as such rather
        // than as an unknown serde variant.
        if let Some(toml::Value::String(name)) = table.get("transform") {
            if !TRANSFORMERS.split(", ").any(|known| known == name) {
                return Err(format!(
                    "unknown transformer `{name}`; known: {TRANSFORMERS}"
                ));
            }
        }
        let unique = match table.remove("unique") {
            Some(v) => bool::deserialize(v).map_err(|e| e.message().trim().to_string())?,
            None => false,
        };
        let when = match table.remove("when") {
            Some(v) => Some(String::deserialize(v).map_err(|e| e.message().trim().to_string())?),
            None => None,
        };
        let raw = table.clone();
        let mut transformer = toml::Value::Table(table)
            .try_into::<Transformer>()
            .map_err(|e| e.message().trim().to_string())?;
        transformer.restore_raw(&raw);
        Ok(TransformSpec {
            transformer,
            unique,
            when,
        })
    }

    /// Parses one rule written as a TOML value:
    /// `"email"` or `{ transform = "hash", length = 12 }`.
    pub fn parse(src: &str) -> Result<TransformSpec, String> {
        let doc: toml::Table =
            toml::from_str(&format!("rule = {src}")).map_err(|e| e.message().trim().to_string())?;
        let v = doc.get("rule").cloned().ok_or("no rule")?;
        TransformSpec::from_value(v)
    }

    /// The transformer's name as written.
    pub fn name(&self) -> &'static str {
        self.transformer.entry().name
    }
}

/// Where a table's rules start: the first mention of `tables.KEY` (bare or
/// quoted). Serde gives spans of values, not of table headers.
pub(super) fn table_key_span(text: &str, key: &str) -> Range<usize> {
    let quoted = format!("tables.\"{key}\"");
    let bare = format!("tables.{key}");
    let at = text
        .find(&quoted)
        .or_else(|| {
            text.match_indices(&bare)
                .find(|(i, _)| {
                    text[i + bare.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c == '.' || c == ']' || c.is_whitespace())
                })
                .map(|(i, _)| i)
        })
        .unwrap_or(0);
    at..at
}

/// Where a column's rule is written: the first line from `from` on that
/// starts with the key (bare or quoted), or with `columns = {` holding it.
pub(super) fn column_key_span(text: &str, from: usize, name: &str) -> Range<usize> {
    let quoted = format!("\"{name}\"");
    let mut off = from;
    for line in text[from.min(text.len())..].split_inclusive('\n') {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        for k in [quoted.as_str(), name] {
            if let Some(rest) = t.strip_prefix(k) {
                if rest.trim_start().starts_with('=') {
                    return off + indent..off + indent;
                }
            }
        }
        if let Some(i) = line.find(&quoted).or_else(|| {
            line.match_indices(name)
                .find(|(i, _)| line[i + name.len()..].trim_start().starts_with('='))
                .map(|(i, _)| i)
        }) {
            if line.contains('{') {
                return off + i..off + i;
            }
        }
        off += line.len();
    }
    from..from
}

/// 1-based line and column of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

/// Literal text, then the column it is followed by (name, and whether
/// the original value is meant), if any.
pub type TemplateSlot = (String, Option<(String, bool)>);

/// A template's text and column references: `{col}` is the column's
/// rewritten value, `{col.original}` its original one, `{{` and `}}` are
/// braces.
pub fn template_parts(t: &str) -> Result<Vec<TemplateSlot>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(x) => name.push(x),
                        None => return Err("`template` has an unclosed `{`".into()),
                    }
                }
                let (col, original) = match name.strip_suffix(".original") {
                    Some(c) => (c.to_string(), true),
                    None => (name, false),
                };
                parts.push((std::mem::take(&mut text), Some((col, original))));
            }
            '}' => return Err("`template` has a `}` without `{`".into()),
            _ => text.push(c),
        }
    }
    parts.push((text, None));
    Ok(parts)
}

/// A TOML scalar as the bytes of a SQL value.
/// The TOML type of a literal [`literal_bytes`] accepts.
pub(super) fn literal_type(v: &toml::Value) -> super::transform::LiteralType {
    use super::transform::LiteralType;
    match v {
        toml::Value::Integer(_) | toml::Value::Float(_) => LiteralType::Number,
        toml::Value::Boolean(_) => LiteralType::Boolean,
        _ => LiteralType::String,
    }
}

pub(super) fn literal_bytes(v: &toml::Value) -> Result<Vec<u8>, String> {
    Ok(match v {
        toml::Value::String(s) => s.clone().into_bytes(),
        toml::Value::Integer(i) => i.to_string().into_bytes(),
        toml::Value::Float(f) => f.to_string().into_bytes(),
        toml::Value::Boolean(b) => (if *b { "1" } else { "0" }).as_bytes().to_vec(),
        other => {
            return Err(format!(
                "must be a string, number or boolean, not a {}",
                other.type_str()
            ))
        }
    })
}
