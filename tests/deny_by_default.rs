//! Deny by default: every statement shape that can put a row of a ruled
//! table into the output is rewritten or refused, never copied. Each case
//! holds original values marked `piiNNNN`; the leak oracle is a plain search
//! of the output for that marker, independent of dumpmask's own readers.

mod common;

use common::dumpmask;

const MY_HEAD: &str = "-- MariaDB dump 10.19\n";
const PG_HEAD: &str = "--\n-- PostgreSQL database dump\n--\n";

const MY_TABLE: &str =
    "CREATE TABLE `customers` (`id` int NOT NULL, `email` varchar(100), PRIMARY KEY (`id`));\n";
const PG_TABLE: &str = "CREATE TABLE public.customers (id integer NOT NULL, email text);\n";

const RULES: &str = "[tables.customers.columns]\nemail = \"hash\"\n";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Rewritten,
    Refused,
}

struct Outcome {
    ok: bool,
    out: Vec<u8>,
    stderr: String,
}

fn run(dump: &str, rules: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.sql");
    let rules_path = dir.path().join("rules.toml");
    let output = dir.path().join("out.sql");
    std::fs::write(&input, dump).unwrap();
    std::fs::write(&rules_path, rules).unwrap();
    let o = dumpmask()
        .args(["run", "-q", "--rules"])
        .arg(&rules_path)
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    let out = std::fs::read(&output).unwrap_or_default();
    if !o.status.success() {
        assert!(
            !output.exists(),
            "a failed run left its output under the final name"
        );
    }
    Outcome {
        ok: o.status.success(),
        out,
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The leak oracle: where in the output an original (`pii` + 4 digits)
/// survives. Reports the offset, never the value.
fn leak(out: &[u8]) -> Option<usize> {
    out.windows(7)
        .position(|w| w.starts_with(b"pii") && w[3..].iter().all(u8::is_ascii_digit))
}

fn check(name: &str, dump: &str, want: Want) {
    // Every way in gives the same bytes, or the same error at the same
    // byte (the engine as the binary would detect it).
    let engine = dumpmask::Engine::detect(dump.as_bytes()).expect("a dialect");
    let tester = common::paths::PathTester::default();
    let reference = tester.assert_agree(dump.as_bytes(), RULES, engine);
    let o = run(dump, RULES);
    match (&reference, o.ok) {
        (common::paths::Outcome::Bytes(b), true) => {
            assert_eq!(b, &o.out, "{name}: library and binary")
        }
        (common::paths::Outcome::Error(_), false) => {}
        _ => panic!("{name}: the library and the binary disagree: {}", o.stderr),
    }
    if o.ok {
        if let Some(at) = leak(&o.out) {
            panic!("{name}: an original value of a ruled column survived at output byte {at}");
        }
    }
    match want {
        Want::Rewritten => assert!(o.ok, "{name}: refused: {}", o.stderr),
        Want::Refused => {
            assert!(!o.ok, "{name}: accepted, but must be refused");
            // A statement that names the ruled table is refused naming it;
            // one whose reading the client itself changes (a backslash
            // command, NO_BACKSLASH_ESCAPES) names what stopped the run.
            let names_table = o.stderr.contains("customers")
                || o.stderr.contains("client command")
                || o.stderr.contains("NO_BACKSLASH_ESCAPES")
                || o.stderr.contains("after a COPY statement on its line");
            assert!(
                o.stderr.contains("byte ") && names_table,
                "{name}: the error must name the position and the table: {}",
                o.stderr
            );
        }
    }
    assert!(
        leak(o.stderr.as_bytes()).is_none(),
        "{name}: a value in the error"
    );
}

macro_rules! shapes {
    ($($name:ident: $head:expr, $body:expr => $want:ident;)*) => {$(
        #[test]
        fn $name() {
            check(stringify!($name), &format!("{}{}", $head, $body), Want::$want);
        }
    )*};
}

shapes! {
    // Rewritten: every form the row reader takes.
    pg_overriding_system_value: PG_HEAD, format!("{PG_TABLE}INSERT INTO public.customers (id, email) OVERRIDING SYSTEM VALUE VALUES (1, 'pii0001@x.io');\n") => Rewritten;
    pg_unquoted_upper_case_names: PG_HEAD, format!("{PG_TABLE}INSERT INTO PUBLIC.CUSTOMERS (ID, EMAIL) VALUES (1, 'pii0002@x.io');\n") => Rewritten;
    pg_copy_mixed_case: PG_HEAD, format!("{PG_TABLE}COPY Public.Customers (id, email) FROM stdin;\n1\tpii0003@x.io\n\\.\n") => Rewritten;
    pg_copy_text_options: PG_HEAD, format!("{PG_TABLE}COPY public.customers (id, email) FROM stdin WITH (FORMAT text, DELIMITER E'\\t', NULL '\\N');\n1\tpii0004@x.io\n\\.\n") => Rewritten;
    pg_psql_copy: PG_HEAD, format!("{PG_TABLE}\\copy public.customers (id, email) from stdin\n1\tpii0005@x.io\n\\.\n") => Rewritten;
    pg_column_named_value: PG_HEAD, "CREATE TABLE public.customers (id integer, value text, set text, email text);\nINSERT INTO public.customers (id, value, set, email) VALUES (1, 'a', 'b', 'pii0006@x.io');\n" => Rewritten;
    pg_keyword_columns: PG_HEAD, "CREATE TABLE public.customers (id integer, key text, index integer, email text);\nCOPY public.customers (id, key, index, email) FROM stdin;\n1\tk\t2\tpii0008@x.io\n\\.\n" => Rewritten;
    pg_sub_partitions: PG_HEAD, format!("CREATE TABLE public.customers (id integer, email text) PARTITION BY RANGE (id);\nCREATE TABLE public.c1 (id integer, email text) PARTITION BY RANGE (id);\nCREATE TABLE public.c11 (id integer, email text);\nALTER TABLE ONLY public.c1 ATTACH PARTITION public.c11 FOR VALUES FROM (0) TO (10);\nALTER TABLE ONLY public.customers ATTACH PARTITION public.c1 FOR VALUES FROM (0) TO (100);\nCOPY public.c11 (id, email) FROM stdin;\n1\tpii0009@x.io\n\\.\n") => Rewritten;
    pg_partition_of: PG_HEAD, "CREATE TABLE public.customers (id integer, email text) PARTITION BY RANGE (id);\nCREATE TABLE public.c1 PARTITION OF public.customers FOR VALUES FROM (0) TO (100) PARTITION BY RANGE (id);\nCREATE TABLE public.c11 PARTITION OF public.c1 FOR VALUES FROM (0) TO (10);\nCOPY public.c11 (id, email) FROM stdin;\n1\tpii0010@x.io\n\\.\n" => Rewritten;
    pg_inherits: PG_HEAD, "CREATE TABLE public.customers (id integer, email text);\nCREATE TABLE public.vip (level integer) INHERITS (public.customers);\nCOPY public.vip (id, email, level) FROM stdin;\n1\tpii0011@x.io\t3\n\\.\n" => Rewritten;
    pg_statistics_left_out: PG_HEAD, format!("{PG_TABLE}SELECT * FROM pg_catalog.pg_restore_attribute_stats(\n\t'version', '180000'::integer,\n\t'schemaname', 'public',\n\t'relname', 'customers',\n\t'attname', 'email',\n\t'inherited', 'f'::boolean,\n\t'most_common_vals', '{{pii0012@x.io}}'::text\n);\n") => Rewritten;
    my_sandbox_then_insert: "/*M!999999\\- enable the sandbox mode */ \n", format!("{MY_TABLE}INSERT INTO `customers` (`id`, `email`) VALUES (1,'pii0013@x.io');\n") => Rewritten;
    my_skip_quote_names: MY_HEAD, "CREATE TABLE customers (id int NOT NULL, value varchar(10), set varchar(10), email varchar(100), KEY idx (email));\nINSERT INTO customers (id, value, set, email) VALUES (1,'a','b','pii0014@x.io');\n" => Rewritten;
    my_value_keyword_and_modifiers: MY_HEAD, format!("{MY_TABLE}INSERT LOW_PRIORITY IGNORE customers (id, email) VALUE (1,'pii0015@x.io');\n") => Rewritten;
    my_upper_case_table: MY_HEAD, format!("{MY_TABLE}INSERT INTO CUSTOMERS VALUES (1,'pii0016@x.io');\n") => Rewritten;

    // Refused: forms whose rows the reader does not take.
    my_insert_set: MY_HEAD, format!("{MY_TABLE}INSERT INTO customers SET id = 1, email = 'pii0101@x.io';\n") => Refused;
    my_replace_set: MY_HEAD, format!("{MY_TABLE}REPLACE INTO customers SET id = 1, email = 'pii0102@x.io';\n") => Refused;
    my_insert_select: MY_HEAD, format!("{MY_TABLE}INSERT INTO customers SELECT 1, 'pii0103@x.io';\n") => Refused;
    my_update: MY_HEAD, format!("{MY_TABLE}UPDATE customers SET email = 'pii0104@x.io' WHERE id = 1;\n") => Refused;
    my_values_row: MY_HEAD, format!("{MY_TABLE}INSERT INTO customers VALUES ROW(1, 'pii0105@x.io');\n") => Refused;
    my_executable_comment: MY_HEAD, format!("{MY_TABLE}/*!40000 INSERT INTO customers VALUES (1,'pii0106@x.io') */;\n") => Refused;
    my_mariadb_executable_comment: MY_HEAD, format!("{MY_TABLE}/*M!100100 INSERT INTO `customers` VALUES (1,'pii0107@x.io') */;\n") => Refused;
    my_misspelt_values: MY_HEAD, format!("{MY_TABLE}INSERT INTO customers VAUES (1,'pii0108@x.io');\n") => Refused;
    my_escaped_values: MY_HEAD, format!("{MY_TABLE}INSERT INTO customers VAL\\UES (1,'pii0109@x.io');\n") => Refused;
    my_missing_values: MY_HEAD, format!("{MY_TABLE}INSERT INTO customers (1,'pii0110@x.io');\n") => Refused;
    my_load_data: MY_HEAD, format!("{MY_TABLE}LOAD DATA INFILE '/tmp/pii0111' INTO TABLE customers;\n") => Refused;
    my_delete_with_value: MY_HEAD, format!("{MY_TABLE}DELETE FROM customers WHERE email = 'pii0112@x.io';\n") => Refused;
    my_create_select: MY_HEAD, "CREATE TABLE customers SELECT 1 AS id, 'pii0113@x.io' AS email;\n" => Refused;
    pg_with_insert: PG_HEAD, format!("{PG_TABLE}WITH x AS (SELECT 1) INSERT INTO public.customers SELECT 1, 'pii0114@x.io';\n") => Refused;
    pg_do_block: PG_HEAD, format!("{PG_TABLE}DO $$ BEGIN INSERT INTO public.customers VALUES (1, 'pii0115@x.io'); END $$;\n") => Refused;
    pg_copy_csv: PG_HEAD, format!("{PG_TABLE}COPY public.customers (id, email) FROM stdin WITH (FORMAT csv);\n1,pii0116@x.io\n\\.\n") => Refused;
    pg_copy_header: PG_HEAD, format!("{PG_TABLE}COPY public.customers (id, email) FROM stdin WITH (HEADER);\nid\temail\n1\tpii0117@x.io\n\\.\n") => Refused;
    pg_copy_null_option: PG_HEAD, format!("{PG_TABLE}COPY public.customers (id, email) FROM stdin WITH NULL AS '-';\n1\tpii0118@x.io\n\\.\n") => Refused;
    pg_copy_from_file: PG_HEAD, format!("{PG_TABLE}COPY public.customers FROM '/tmp/pii0119.txt';\n") => Refused;
    pg_garbled_copy_header: PG_HEAD, format!("{PG_TABLE}COPY public.customers (id, email) FROM std;\n1\tpii0120@x.io\n\\.\nINSERT INTO public.customers VALUES (2, 'pii0121@x.io');\n") => Refused;
    pg_default_values: PG_HEAD, format!("{PG_TABLE}INSERT INTO public.customers DEFAULT VALUES;\nUPDATE public.customers SET email = 'pii0122@x.io';\n") => Refused;
    my_no_backslash_escapes: MY_HEAD, format!("{MY_TABLE}CREATE TABLE other (a text, b int);\nSET sql_mode='NO_BACKSLASH_ESCAPES';\nINSERT INTO other VALUES ('a\\', 0); INSERT INTO customers VALUES (1,\"pii0124@x.io\"); -- ');\n") => Refused;
    my_backslash_g_ends_a_statement: MY_HEAD, format!("{MY_TABLE}CREATE TABLE other (a int, b int);\nUPDATE other SET a = 1\\G UPDATE customers SET email = 'pii0125@x.io';\n") => Refused;
    pg_psql_separator: PG_HEAD, format!("{PG_TABLE}\\set x 1 \\\\ INSERT INTO customers (email) VALUES ($$pii0126@x.io$$);\n") => Refused;
    pg_rename_into_ruled: PG_HEAD, "CREATE TABLE public.customers (id integer, email text);\nDROP TABLE public.customers;\nCREATE TABLE public.x (id integer, email text);\nINSERT INTO public.x VALUES (1, 'pii0127@x.io');\nALTER TABLE public.x RENAME TO customers;\n" => Refused;
    pg_alter_add_and_inherit: PG_HEAD, "CREATE TABLE public.customers (id integer, email text);\nCREATE TABLE public.kid (id integer, email text);\nALTER TABLE public.kid ADD COLUMN z integer, INHERIT public.customers;\nCOPY public.kid (id, email, z) FROM stdin;\n1\tpii0128@x.io\t1\n\\.\n" => Rewritten;
    my_use_line_without_semicolon: MY_HEAD, "USE shop;\nCREATE TABLE customers (id int, email varchar(50));\nuse shop\nINSERT INTO customers VALUES (1,'pii0129@x.io');\n" => Rewritten;
    my_comment_in_ruled_header: MY_HEAD, format!("{MY_TABLE}INSERT INTO customers /* pii0130@x.io */ VALUES (1,'x');\n") => Refused;
    pg_statistics_of_an_expression_index: PG_HEAD, format!("{PG_TABLE}CREATE INDEX cust_lower ON public.customers (lower(email));\nSELECT * FROM pg_catalog.pg_restore_attribute_stats('schemaname', 'public', 'relname', 'cust_lower', 'attnum', '1'::smallint, 'most_common_vals', '{{pii0131@x.io}}'::text);\n") => Rewritten;
    pg_statistics_with_a_subquery: PG_HEAD, format!("{PG_TABLE}CREATE TABLE public.other (a text);\nSELECT * FROM pg_catalog.pg_restore_relation_stats('relname', 'other', 'reltuples', (SELECT count(*) FROM public.customers WHERE email = 'pii0132@x.io')::real);\n") => Refused;
    pg_text_after_copy_on_its_line: PG_HEAD, "CREATE TABLE public.customers (id text, email text);\nCOPY public.customers (id, email) FROM stdin; INSERT INTO public.customers SELECT 2, 'pii0133@x.io' --\tx\n1\tx\n\\.\n" => Refused;
    pg_comment_in_ruled_copy_header: PG_HEAD, format!("{PG_TABLE}COPY public.customers (id, /* pii0134@x.io */ email) FROM stdin;\n1\tx\n\\.\n") => Refused;
    my_connect_line: MY_HEAD, "CREATE DATABASE shop;\nCREATE DATABASE crm;\nUSE crm;\nCREATE TABLE users (id int, email varchar(50));\nUSE shop;\nCREATE TABLE customers (id int, email varchar(50));\nUSE crm;\nconnect shop\nINSERT INTO customers VALUES (1,'pii0135@x.io');\n" => Rewritten;
    my_use_quoted_line: MY_HEAD, "USE shop;\nCREATE TABLE customers (id int, email varchar(50));\nUSE crm;\nuse \"shop\"\nINSERT INTO customers (id, email) VALUES (1,'pii0136@x.io');\n" => Rewritten;
    pg_ctas_values: PG_HEAD, "CREATE TABLE public.customers AS VALUES (1, 'pii0123@x.io');\n" => Refused;
}

#[test]
fn unruled_tables_pass_every_shape_through_unchanged() {
    // The same shapes on a table no rule touches are copied byte for byte.
    let dump = format!(
        "{MY_HEAD}{MY_TABLE}CREATE TABLE `other` (`id` int, `email` varchar(100));\n\
         INSERT INTO other SET id = 1, email = 'a';\n\
         /*!40000 INSERT INTO other VALUES (1,'b') */;\n\
         UPDATE other SET email = 'c';\n\
         INSERT INTO other SELECT 1, 'd';\n"
    );
    let o = run(&dump, RULES);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(o.out, dump.as_bytes());
}

#[test]
fn a_table_named_value() {
    let dump = format!(
        "{PG_HEAD}CREATE TABLE public.value (id integer, email text);\n\
         INSERT INTO value VALUES (1, 'pii0007@x.io');\n\
         INSERT INTO public.value (id, email) VALUES (2, 'pii0017@x.io');\n"
    );
    let o = run(&dump, "[tables.value.columns]\nemail = \"hash\"\n");
    assert!(o.ok, "{}", o.stderr);
    assert!(leak(&o.out).is_none());
    assert_eq!(o.out.windows(6).filter(|w| w == b"INSERT").count(), 2);
}

#[test]
fn statistics_of_unruled_tables_stay() {
    let stats = "SELECT * FROM pg_catalog.pg_restore_attribute_stats('schemaname', 'public', 'relname', 'other', 'attname', 'a', 'most_common_vals', '{x}'::text);\n";
    let dump = format!("{PG_HEAD}{PG_TABLE}CREATE TABLE public.other (a text);\n{stats}");
    let o = run(&dump, RULES);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(o.out, dump.as_bytes());
}

#[test]
fn a_rule_on_an_inherited_column_of_a_child_binds() {
    let dump = format!(
        "{PG_HEAD}CREATE TABLE public.people (id integer, email text);\n\
         CREATE TABLE public.customers (level integer) INHERITS (public.people);\n\
         COPY public.customers (id, email, level) FROM stdin;\n1\tpii0201@x.io\t3\n\\.\n"
    );
    let o = run(&dump, RULES);
    assert!(o.ok, "{}", o.stderr);
    assert!(leak(&o.out).is_none());
}

#[test]
fn copy_lines_ended_by_a_bare_carriage_return_are_refused() {
    // The end marker `\.` after a bare `\r` is not on a line of its own to
    // a search for `\n\.`: the next block, a ruled table's, would ride
    // along as rows of this one.
    let dump = format!(
        "{PG_HEAD}{PG_TABLE}CREATE TABLE public.other (a integer);\n\
         COPY public.other (a) FROM stdin;\n1\r2\r\\.\r\n\
         COPY public.customers (id, email) FROM stdin;\n1\tpii0301@x.io\n\\.\n"
    );
    let o = run(&dump, RULES);
    assert!(!o.ok, "accepted a COPY block with bare carriage returns");
    assert!(o.stderr.contains("byte "), "{}", o.stderr);
}

/// Strict coverage follows the same links as the rules: partitions
/// covered by their root's rules are covered, whether pg_dump declares
/// them before attaching them or as `PARTITION OF`; a file and standard
/// input agree.
#[test]
fn strict_coverage_follows_partitions_and_children() {
    let dump = format!(
        "{PG_HEAD}CREATE TABLE public.customers (id integer, email text) PARTITION BY RANGE (id);\n\
         CREATE TABLE public.c1 (id integer, email text) PARTITION BY RANGE (id);\n\
         CREATE TABLE public.c11 (id integer, email text);\n\
         CREATE TABLE public.c2 PARTITION OF public.customers FOR VALUES FROM (100) TO (200);\n\
         CREATE TABLE public.vip (level integer) INHERITS (public.customers);\n\
         ALTER TABLE ONLY public.c1 ATTACH PARTITION public.c11 FOR VALUES FROM (0) TO (10);\n\
         ALTER TABLE ONLY public.customers ATTACH PARTITION public.c1 FOR VALUES FROM (0) TO (100);\n\
         COPY public.c11 (id, email) FROM stdin;\n1\tpii0401@x.io\n\\.\n\
         COPY public.c2 (id, email) FROM stdin;\n150\tpii0402@x.io\n\\.\n\
         COPY public.vip (id, email, level) FROM stdin;\n7\tpii0403@x.io\t1\n\\.\n"
    );
    let covered = "[options]\nstrict = true\n[tables.customers.columns]\nid = \"keep\"\nemail = \"hash\"\n[tables.vip.columns]\nlevel = \"keep\"\n";
    let o = run(&dump, covered);
    assert!(o.ok, "{}", o.stderr);
    assert!(leak(&o.out).is_none());
    let piped = common::run_stdin(&["--rules", &write_rules(covered)], dump.as_bytes());
    assert!(
        piped.status.success(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    assert_eq!(piped.stdout, o.out);
    // Without the child's own column, strict mode names it, and only it.
    let uncovered =
        "[options]\nstrict = true\n[tables.customers.columns]\nid = \"keep\"\nemail = \"hash\"\n";
    let o = run(&dump, uncovered);
    assert!(!o.ok);
    assert!(o.stderr.contains("public.vip.level"), "{}", o.stderr);
    assert!(
        !o.stderr.contains("c11.") && !o.stderr.contains("c2."),
        "{}",
        o.stderr
    );
}

fn write_rules(text: &str) -> String {
    let path = std::env::temp_dir().join(format!(
        "dm-rules-{}-{}.toml",
        std::process::id(),
        text.len()
    ));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// An unqualified name PostgreSQL resolves by its search path: the path
/// can change in ways no reader of the dump can follow for sure (`RESET`,
/// `SET LOCAL` and transactions, `\connect`, roles, `set_config` in any
/// expression or function). With one table of that name in the dump, the
/// name can reach only it; with namesakes in several schemas, one ruled,
/// the statement is refused (pg_dump qualifies every name).
#[test]
fn unqualified_names_reach_the_one_table_or_are_refused() {
    let rules = "[tables.\"crm.customers\".columns]\nemail = \"hash\"\n";
    for set in [
        "SET search_path TO crm;",
        "SET search_path = crm; RESET search_path;",
        "SET search_path = crm; SET search_path TO DEFAULT;",
        "BEGIN; SET LOCAL search_path = crm; COMMIT;",
        "SELECT set_config('x.y', '1', false), set_config('search_path', 'crm', false);",
        "SELECT set_config('SEARCH_PATH', 'cr' || 'm', false);",
        "DO $$ BEGIN PERFORM set_config('search_path', 'crm', false); END $$;",
        "\\connect other",
        "",
    ] {
        let copy = "COPY customers (id, email) FROM stdin;\n1\tpii0501@x.io\n\\.\n";
        // Two namesakes, one ruled: refused, whatever the path says.
        let two = format!(
            "{PG_HEAD}CREATE TABLE public.customers (id integer, email text);\n\
             CREATE SCHEMA crm;\nCREATE TABLE crm.customers (id integer, email text);\n{set}\n{copy}"
        );
        let o = run(&two, rules);
        assert!(!o.ok, "{set}: two namesakes accepted");
        assert!(o.stderr.contains("qualify the name"), "{set}: {}", o.stderr);
        // One table of that name: rewritten, whatever the path says.
        let one = format!(
            "{PG_HEAD}CREATE SCHEMA crm;\nCREATE TABLE crm.customers (id integer, email text);\n{set}\n{copy}"
        );
        let o = run(&one, rules);
        assert!(o.ok, "{set}: {}", o.stderr);
        assert!(leak(&o.out).is_none(), "{set}: leaked");
    }
}

/// `CREATE TABLE customers` under `SET search_path = crm` makes
/// `crm.customers` beside an existing `public.customers`; an unqualified
/// COPY after it could reach either, so it is refused.
#[test]
fn an_unqualified_create_beside_a_namesake() {
    let dump = format!(
        "{PG_HEAD}CREATE TABLE public.customers (id integer, email text);\nCREATE SCHEMA crm;\n\
         SET search_path = crm;\nCREATE TABLE customers (id integer, email text);\n\
         COPY customers (id, email) FROM stdin;\n1\tpii0137@x.io\n\\.\n"
    );
    let o = run(
        &dump,
        "[tables.\"crm.customers\".columns]\nemail = \"hash\"\n",
    );
    assert!(!o.ok, "accepted");
    assert!(o.stderr.contains("qualify the name"), "{}", o.stderr);
}
