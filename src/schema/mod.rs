//! Tables and columns learned from the dump's own DDL.
//!
//! The reader is deliberately small and forgiving about what it does not
//! need (storage options, comments, defaults) and exact about what it does:
//! column order, names, declared types, and which columns are generated
//! (dumps leave those out of the data). It knows nothing about rules.

pub mod catalog;

pub use catalog::Catalog;

use crate::sql::{Lexical, QualifiedName, Spanned, Token};

/// A table as its CREATE TABLE declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The table's name, schema-qualified when the dump says so.
    pub name: QualifiedName,
    /// Columns in declaration order.
    pub columns: Vec<Column>,
    /// The tables this one is a partition or child of, as declared
    /// (`PARTITION OF p`, `INHERITS (p)`, `ATTACH PARTITION`, `INHERIT p`).
    pub parents: Vec<QualifiedName>,
    /// Every table above this one, nearest first: rules on any of them
    /// apply to this one's rows (a partitioned table's rows live in its
    /// leaf partitions; a parent's rows include its children's).
    pub ancestors: Vec<QualifiedName>,
}

impl Table {
    /// A table with these columns and no parents.
    pub fn new(name: QualifiedName, columns: Vec<Column>) -> Table {
        Table {
            name,
            columns,
            parents: Vec::new(),
            ancestors: Vec::new(),
        }
    }

    /// Columns present in dumped rows, in order: all but generated ones.
    pub fn data_columns(&self) -> impl Iterator<Item = (usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.generated)
    }

    /// Index of a column by name: exact first, then a unique
    /// case-insensitive match (column names are case-insensitive in MySQL
    /// and folded to lower case when unquoted in PostgreSQL).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.columns.iter().position(|c| c.name == name) {
            return Some(i);
        }
        let mut found = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.name.eq_ignore_ascii_case(name));
        match (found.next(), found.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Name as declared, unquoted.
    pub name: String,
    /// The declared type.
    pub ty: ColumnType,
    /// Computed from other columns; absent from dumped rows.
    pub generated: bool,
    /// Declared NOT NULL (or part of the primary key).
    pub not_null: bool,
    /// Alone under a PRIMARY KEY or UNIQUE constraint.
    pub unique: bool,
    /// Part of the primary key.
    pub primary_key: bool,
}

impl Column {
    /// A column known only by its name and type: not generated, no
    /// constraints.
    pub fn plain(name: impl Into<String>, ty: ColumnType) -> Column {
        Column {
            name: name.into(),
            ty,
            generated: false,
            not_null: false,
            unique: false,
            primary_key: false,
        }
    }
}

/// A declared column type, reduced to what transformers must respect.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnType {
    /// Integer of a width in bits; `unsigned` for MySQL UNSIGNED.
    Integer {
        /// Width in bits (8, 16, 24, 32, 64).
        bits: u8,
        /// MySQL UNSIGNED.
        unsigned: bool,
    },
    /// Exact decimal with precision and scale.
    Decimal {
        /// Total digits, if declared.
        precision: Option<u32>,
        /// Digits after the point.
        scale: u32,
    },
    /// Floating point.
    Float,
    /// Boolean (PostgreSQL `boolean`; MySQL `BOOL` is `tinyint(1)`).
    Boolean,
    /// Character data with an optional maximum length in characters.
    Text {
        /// Maximum length in characters (VARCHAR(n), CHAR(n)).
        max_chars: Option<u32>,
        /// CHAR(n): fixed length.
        fixed: bool,
    },
    /// Binary data with an optional maximum length in bytes.
    Binary {
        /// Maximum length in bytes.
        max_bytes: Option<u32>,
    },
    /// A calendar date.
    Date,
    /// A date and a time (DATETIME, TIMESTAMP).
    Timestamp,
    /// A time of day.
    Time,
    /// MySQL YEAR.
    Year,
    /// JSON text.
    Json,
    /// One of a list of members (MySQL ENUM).
    Enum(Vec<String>),
    /// A set of members (MySQL SET).
    Set(Vec<String>),
    /// MySQL BIT(n).
    Bit(u32),
    /// Anything else, as declared (lower case).
    Other(String),
}

impl ColumnType {
    /// Is a bare (unquoted) number a valid literal for this type?
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            ColumnType::Integer { .. }
                | ColumnType::Decimal { .. }
                | ColumnType::Float
                | ColumnType::Year
        )
    }

    /// Reads a type from its words and parenthesised arguments, e.g.
    /// `varchar(50)`, `int(10) unsigned`, `enum('a','b')`,
    /// `character varying(20)`, `timestamp(6) without time zone`.
    pub fn from_tokens(toks: &[Spanned]) -> ColumnType {
        let mut words: Vec<String> = Vec::new();
        let mut args: Vec<&Token> = Vec::new();
        let mut depth = 0;
        let mut array = false;
        for t in toks {
            match &t.token {
                Token::Punct(b'(') => depth += 1,
                Token::Punct(b')') => depth -= 1,
                Token::Punct(b'[') if depth == 0 => array = true,
                tok if depth > 0 => args.push(tok),
                Token::Word(w) => words.push(w.to_ascii_lowercase()),
                Token::Quoted(w) => words.push(w.to_ascii_lowercase()),
                _ => {}
            }
        }
        if array {
            return ColumnType::Other("array".into());
        }
        let nums: Vec<u32> = args
            .iter()
            .filter_map(|t| match t {
                Token::Number(n) => n.parse().ok(),
                _ => None,
            })
            .collect();
        let strs: Vec<String> = args
            .iter()
            .filter_map(|t| match t {
                Token::Str(s) => Some(String::from_utf8_lossy(s).replace("''", "'")),
                _ => None,
            })
            .collect();
        let unsigned = words.iter().any(|w| w == "unsigned");
        // The last word of a schema-qualified type name is its own name.
        let base = words.first().map(String::as_str).unwrap_or("");
        let second = words.get(1).map(String::as_str).unwrap_or("");
        let int = |bits| ColumnType::Integer { bits, unsigned };
        match base {
            "tinyint" if nums.first() == Some(&1) && !unsigned => ColumnType::Integer {
                bits: 8,
                unsigned: false,
            },
            "tinyint" => int(8),
            "smallint" | "int2" | "smallserial" => int(16),
            "mediumint" => int(24),
            "int" | "integer" | "int4" | "serial" => int(32),
            "bigint" | "int8" | "bigserial" => int(64),
            "decimal" | "numeric" | "dec" | "fixed" => ColumnType::Decimal {
                precision: nums.first().copied(),
                scale: nums.get(1).copied().unwrap_or(0),
            },
            "float" | "double" | "real" | "float4" | "float8" => ColumnType::Float,
            "bool" | "boolean" => ColumnType::Boolean,
            "char" | "nchar" | "bpchar" | "character" if second != "varying" => ColumnType::Text {
                max_chars: Some(nums.first().copied().unwrap_or(1)),
                fixed: true,
            },
            "varchar" | "nvarchar" | "character" | "varchar2" => ColumnType::Text {
                max_chars: nums.first().copied(),
                fixed: false,
            },
            "tinytext" => ColumnType::Text {
                max_chars: Some(255),
                fixed: false,
            },
            "text" | "mediumtext" | "longtext" | "citext" | "name" => ColumnType::Text {
                max_chars: None,
                fixed: false,
            },
            "binary" | "varbinary" => ColumnType::Binary {
                max_bytes: nums.first().copied(),
            },
            "tinyblob" => ColumnType::Binary {
                max_bytes: Some(255),
            },
            "blob" | "mediumblob" | "longblob" | "bytea" => ColumnType::Binary { max_bytes: None },
            "date" => ColumnType::Date,
            "datetime" | "timestamp" | "timestamptz" => ColumnType::Timestamp,
            "time" | "timetz" => ColumnType::Time,
            "year" => ColumnType::Year,
            "json" | "jsonb" => ColumnType::Json,
            "enum" => ColumnType::Enum(strs),
            "set" => ColumnType::Set(strs),
            "bit" => ColumnType::Bit(nums.first().copied().unwrap_or(1)),
            _ => ColumnType::Other(words.join(" ")),
        }
    }
}

/// Keywords that end a column's type and start its attributes.
const ATTRIBUTE_WORDS: &[&str] = &[
    "not",
    "null",
    "default",
    "primary",
    "unique",
    "references",
    "check",
    "generated",
    "as",
    "collate",
    "comment",
    "auto_increment",
    "on",
    "constraint",
    "invisible",
    "visible",
    "storage",
    "column_format",
    "compression",
    "key",
    "serial",
    // `timestamp without time zone`: `timestamp` alone says what matters.
    "without",
];

/// Reads a `CREATE TABLE` statement. Returns `None` for statements that are
/// not a column-defining CREATE TABLE (e.g. `CREATE TABLE a LIKE b`). A
/// partition (`CREATE TABLE t PARTITION OF p ...`) comes back with no
/// columns and `p` as its parent; a child (`... INHERITS (p)`) with its own
/// columns and its parents: the caller adds what they declare.
pub fn parse_create_table(
    stmt: &[u8],
    lx: &Lexical,
    inline_indexes: bool,
) -> Result<Option<Table>, String> {
    let toks = crate::sql::tokenize(stmt, lx).map_err(|e| e.what.to_string())?;
    let mut i = 0;
    if !toks.get(i).is_some_and(|t| t.token.is_word("create")) {
        return Ok(None);
    }
    i += 1;
    while toks.get(i).is_some_and(|t| {
        ["temporary", "unlogged", "global", "local", "or", "replace"]
            .iter()
            .any(|w| t.token.is_word(w))
    }) {
        i += 1;
    }
    if !toks.get(i).is_some_and(|t| t.token.is_word("table")) {
        return Ok(None);
    }
    i += 1;
    if toks.get(i).is_some_and(|t| t.token.is_word("if")) {
        i += 3; // IF NOT EXISTS
    }
    let name = QualifiedName::parse(&toks, &mut i).ok_or("CREATE TABLE without a name")?;
    if toks.get(i).is_some_and(|t| t.token.is_word("partition"))
        && toks.get(i + 1).is_some_and(|t| t.token.is_word("of"))
    {
        i += 2;
        let parent = QualifiedName::parse(&toks, &mut i).ok_or("PARTITION OF without a name")?;
        let mut t = Table::new(name, Vec::new());
        t.parents.push(parent);
        return Ok(Some(t));
    }
    if !matches!(toks.get(i).map(|t| &t.token), Some(Token::Punct(b'('))) {
        return Ok(None);
    }
    i += 1;
    // Split the body into items at commas of depth 0.
    let mut items: Vec<&[Spanned]> = Vec::new();
    let mut depth = 0usize;
    let mut start = i;
    let mut end = None;
    while i < toks.len() {
        match toks[i].token {
            Token::Punct(b'(') => depth += 1,
            Token::Punct(b')') if depth == 0 => {
                items.push(&toks[start..i]);
                end = Some(i);
                break;
            }
            Token::Punct(b')') => depth -= 1,
            Token::Punct(b',') if depth == 0 => {
                items.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let Some(end) = end else {
        return Err("CREATE TABLE body is not closed".into());
    };
    let mut parents = Vec::new();
    if toks
        .get(end + 1)
        .is_some_and(|t| t.token.is_word("inherits"))
    {
        let mut k = end + 3;
        while let Some(p) = QualifiedName::parse(&toks, &mut k) {
            parents.push(p);
            if !matches!(toks.get(k).map(|t| &t.token), Some(Token::Punct(b','))) {
                break;
            }
            k += 1;
        }
    }
    let mut columns: Vec<Column> = Vec::new();
    let mut table_keys: Vec<(bool, Vec<String>)> = Vec::new();
    for item in items {
        let Some(first) = item.first() else { continue };
        let is_constraint = is_table_item(item, inline_indexes);
        if is_constraint {
            if let Some(k) = key_columns(item) {
                table_keys.push(k);
            }
            continue;
        }
        let Some(name) = first.token.ident() else {
            continue;
        };
        let rest = &item[1..];
        let type_end = (0..rest.len())
            .find(|&k| {
                let t = &rest[k].token;
                matches!(t, Token::Word(w)
                    if ATTRIBUTE_WORDS.iter().any(|a| w.eq_ignore_ascii_case(a)))
                    // MySQL `CHARACTER SET x` is an attribute; PostgreSQL
                    // `character varying(n)` is a type.
                    || (t.is_word("character") && rest.get(k + 1).is_some_and(|n| n.token.is_word("set")))
            })
            .unwrap_or(rest.len());
        // `timestamp without time zone`: the words after the type's own
        // belong to the type; they are attributes only from NOT/DEFAULT on.
        let ty = ColumnType::from_tokens(&rest[..type_end]);
        let attrs = &rest[type_end..];
        let has = |a: &str, b: &str| {
            attrs
                .windows(2)
                .any(|w| w[0].token.is_word(a) && w[1].token.is_word(b))
        };
        let identity = has("as", "identity");
        // MySQL/MariaDB: `AS (expr) VIRTUAL|STORED|PERSISTENT`, optionally
        // after `GENERATED ALWAYS`; PostgreSQL: `GENERATED ALWAYS AS (expr)
        // STORED`. Identity columns are generated too in name only: their
        // values are in the dump.
        let generated = !identity
            && attrs
                .windows(2)
                .any(|w| w[0].token.is_word("as") && matches!(w[1].token, Token::Punct(b'(')));
        columns.push(Column {
            name: name.to_string(),
            ty,
            generated,
            not_null: has("not", "null"),
            unique: has("primary", "key") || attrs.iter().any(|t| t.token.is_word("unique")),
            primary_key: has("primary", "key"),
        });
    }
    for (primary, cols) in table_keys {
        if let [only] = cols.as_slice() {
            if let Some(c) = columns.iter_mut().find(|c| &c.name == only) {
                c.unique = true;
            }
        }
        if primary {
            for k in &cols {
                if let Some(c) = columns.iter_mut().find(|c| &c.name == k) {
                    c.not_null = true;
                    c.primary_key = true;
                }
            }
        }
    }
    let mut t = Table::new(name, columns);
    t.parents = parents;
    Ok(Some(t))
}

/// Does a CREATE TABLE body item declare a key, index or constraint rather
/// than a column? Unquoted words such as `key`, `index`, `period`,
/// `system`, `exclude` are also valid column names (pg_dump and
/// `mysqldump --skip-quote-names` leave them unquoted). `inline_indexes`:
/// the dialect declares indexes in the body (MySQL `KEY name (a)`,
/// `INDEX (a)`, `FULLTEXT KEY name (a)`); PostgreSQL does not, so there
/// those words start columns.
fn is_table_item(item: &[Spanned], inline_indexes: bool) -> bool {
    let Some(Token::Word(w)) = item.first().map(|t| &t.token) else {
        return false;
    };
    let w = w.to_ascii_lowercase();
    let next = item.get(1).map(|t| &t.token);
    let paren = |t: Option<&Token>| t.is_some_and(|t| *t == Token::Punct(b'('));
    match w.as_str() {
        // Reserved in both engines: never a column name unquoted.
        "primary" | "unique" | "constraint" | "foreign" | "check" | "like" => true,
        // `PERIOD FOR SYSTEM_TIME (a, b)`.
        "period" => next.is_some_and(|t| t.is_word("for")),
        // `EXCLUDE USING gist (...)` / `EXCLUDE (...)`.
        "exclude" => next.is_some_and(|t| t.is_word("using")) || paren(next),
        "key" | "index" | "fulltext" | "spatial" if inline_indexes => {
            // `KEY (a)`, `FULLTEXT KEY ...`, or `KEY name (a)` / `KEY name
            // USING BTREE (a)` where `name` is not a type (`key int(11)`,
            // `key varchar(10)` are columns).
            let after = item.get(2).map(|t| &t.token);
            paren(next)
                || next.is_some_and(|t| t.is_word("key") || t.is_word("index"))
                || ((paren(after) || after.is_some_and(|t| t.is_word("using")))
                    && matches!(ColumnType::from_tokens(&item[1..2]), ColumnType::Other(_)))
        }
        _ => false,
    }
}

/// For `PRIMARY KEY (a)`, `UNIQUE KEY name (a, b)`, `CONSTRAINT x UNIQUE (a)`:
/// whether it is the primary key, and its columns.
pub fn key_columns(item: &[Spanned]) -> Option<(bool, Vec<String>)> {
    let primary = item.iter().any(|t| t.token.is_word("primary"));
    let unique = primary || item.iter().any(|t| t.token.is_word("unique"));
    if !unique || item.iter().any(|t| t.token.is_word("foreign")) {
        return None;
    }
    let open = item
        .iter()
        .position(|t| matches!(t.token, Token::Punct(b'(')))?;
    let mut cols = Vec::new();
    let mut depth = 0;
    for t in &item[open + 1..] {
        match &t.token {
            Token::Punct(b'(') => depth += 1,
            Token::Punct(b')') if depth == 0 => break,
            Token::Punct(b')') => depth -= 1,
            tok if depth == 0 => {
                if let Some(n) = tok.ident() {
                    // `a(10)` prefix lengths and ASC/DESC are not columns.
                    if !["asc", "desc"].iter().any(|k| tok.is_word(k)) {
                        cols.push(n.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    Some((primary, cols))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MYSQL: Lexical = crate::format::mysql::LEXICAL;
    const PG: Lexical = crate::format::postgres::LEXICAL;

    #[test]
    fn mariadb_create_table() {
        let ddl = "CREATE TABLE `customers` (\n\
          `id` int(11) NOT NULL AUTO_INCREMENT,\n\
          `first_name` varchar(50) CHARACTER SET utf8mb4 DEFAULT NULL,\n\
          `balance` decimal(12,2) DEFAULT NULL,\n\
          `status` enum('active','closed') DEFAULT 'active',\n\
          `full_name` varchar(101) GENERATED ALWAYS AS (concat(`first_name`,' ')) VIRTUAL,\n\
          `n` int(11) AS (char_length(`first_name`)) STORED,\n\
          `personal_number` char(11) NOT NULL,\n\
          PRIMARY KEY (`id`),\n\
          UNIQUE KEY `pn` (`personal_number`),\n\
          CONSTRAINT `c` CHECK (json_valid(`first_name`))\n\
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;";
        let t = parse_create_table(ddl.as_bytes(), &MYSQL, true)
            .unwrap()
            .unwrap();
        let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "first_name",
                "balance",
                "status",
                "full_name",
                "n",
                "personal_number"
            ]
        );
        assert_eq!(
            t.columns[1].ty,
            ColumnType::Text {
                max_chars: Some(50),
                fixed: false
            }
        );
        assert_eq!(
            t.columns[2].ty,
            ColumnType::Decimal {
                precision: Some(12),
                scale: 2
            }
        );
        assert_eq!(
            t.columns[3].ty,
            ColumnType::Enum(vec!["active".into(), "closed".into()])
        );
        assert!(t.columns[4].generated && t.columns[5].generated);
        assert!(!t.columns[1].generated);
        assert!(t.columns[0].unique && t.columns[6].unique && t.columns[6].not_null);
        assert_eq!(t.data_columns().count(), 5);
    }

    #[test]
    fn postgres_create_table() {
        let ddl = "CREATE TABLE crm.\"Customer Accounts\" (\n\
            id integer NOT NULL,\n\
            \"First Name\" character varying(50),\n\
            created timestamp(6) without time zone,\n\
            tags text[],\n\
            code character(3),\n\
            full_name text GENERATED ALWAYS AS (((a || ' '::text))) STORED,\n\
            n bigint GENERATED ALWAYS AS IDENTITY\n\
        );";
        let t = parse_create_table(ddl.as_bytes(), &PG, false)
            .unwrap()
            .unwrap();
        assert_eq!(t.name.schema.as_deref(), Some("crm"));
        assert_eq!(t.name.name, "Customer Accounts");
        assert_eq!(t.columns[1].name, "First Name");
        assert_eq!(
            t.columns[1].ty,
            ColumnType::Text {
                max_chars: Some(50),
                fixed: false
            }
        );
        assert_eq!(t.columns[2].ty, ColumnType::Timestamp);
        assert_eq!(t.columns[3].ty, ColumnType::Other("array".into()));
        assert_eq!(
            t.columns[4].ty,
            ColumnType::Text {
                max_chars: Some(3),
                fixed: true
            }
        );
        assert!(t.columns[5].generated);
        assert!(!t.columns[6].generated);
        assert_eq!(t.column_index("first name"), Some(1));
    }

    #[test]
    fn partition_of_names_its_parent() {
        let ddl = b"CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
        let t = parse_create_table(ddl, &PG, false).unwrap().unwrap();
        assert!(t.columns.is_empty());
        assert_eq!(t.parents[0].name, "events");
    }

    #[test]
    fn inherits_names_its_parents() {
        let ddl = b"CREATE TABLE c (extra text) INHERITS (public.p, q);";
        let t = parse_create_table(ddl, &PG, false).unwrap().unwrap();
        assert_eq!(t.columns.len(), 1);
        let names: Vec<&str> = t.parents.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["p", "q"]);
    }

    #[test]
    fn keywords_are_column_names_where_a_type_follows() {
        let pg = "CREATE TABLE t (id integer, key text, index integer, period daterange, system text, exclude boolean, fulltext text, spatial uuid, PRIMARY KEY (id), EXCLUDE USING gist (period WITH &&));";
        let t = parse_create_table(pg.as_bytes(), &PG, false)
            .unwrap()
            .unwrap();
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["id", "key", "index", "period", "system", "exclude", "fulltext", "spatial"]
        );
        let my = "CREATE TABLE t (id int(11), key varchar(10), index int, KEY idx (key), INDEX (id), KEY k2 USING BTREE (id), FULLTEXT KEY f (key), UNIQUE KEY u (index));";
        let t = parse_create_table(my.as_bytes(), &MYSQL, true)
            .unwrap()
            .unwrap();
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "key", "index"]);
        assert!(t.columns[2].unique);
    }
}
