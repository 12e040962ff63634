//! `dumpmask scan` on a sample database it was not written against:
//! loaded into the local MariaDB and PostgreSQL servers, dumped with the
//! real `mariadb-dump` and `pg_dump`, scanned, and scored against the
//! labelled list below (recall at least 0.95, precision at least 0.85).
//! Names in German, Spanish, French, Russian and English; some personal
//! columns have names that say nothing and are found by their values.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::*;

/// `table.column` of every personal column of the sample database.
const PERSONAL: &[&str] = &[
    "kunden.vorname",
    "kunden.nachname",
    "kunden.geburtsdatum",
    "kunden.telefon",
    "kunden.strasse",
    "kunden.plz",
    "kunden.ort",
    "kunden.iban",
    "clientes.nombre",
    "clientes.apellidos",
    "clientes.correo",
    "clientes.movil",
    "clientes.dni",
    "clientes.direccion",
    "clientes.ciudad",
    "utilisateurs.prenom",
    "utilisateurs.nom",
    "utilisateurs.courriel",
    "utilisateurs.date_naissance",
    "utilisateurs.nir",
    "utilisateurs.mot_de_passe",
    "utilisateurs.derniere_ip",
    "users.username",
    "users.email",
    "users.password_hash",
    "users.signup_ip",
    "users.settings",
    "orders.card_number",
    "orders.shipping_address",
    "orders.comment",
    "payments.account",
    "contacts.kontakt",
    "клиенты.имя",
    "клиенты.фамилия",
    "клиенты.телефон",
    "клиенты.город",
    "employees.birth_date",
    "employees.first_name",
    "employees.last_name",
];

const SCHEMA: &str = "
CREATE TABLE kunden (id INT PRIMARY KEY, vorname VARCHAR(40), nachname VARCHAR(40), geburtsdatum DATE, telefon VARCHAR(30), strasse VARCHAR(80), plz CHAR(5), ort VARCHAR(40), iban VARCHAR(34), kundennummer VARCHAR(12), erstellt_am TIMESTAMP, aktiv SMALLINT);
CREATE TABLE clientes (id INT PRIMARY KEY, nombre VARCHAR(40), apellidos VARCHAR(60), correo VARCHAR(80) UNIQUE, movil VARCHAR(20), dni CHAR(9) UNIQUE, direccion VARCHAR(100), ciudad VARCHAR(40), fecha_alta DATE, saldo DECIMAL(10,2));
CREATE TABLE utilisateurs (id INT PRIMARY KEY, prenom VARCHAR(40), nom VARCHAR(40), courriel VARCHAR(80), date_naissance DATE, nir CHAR(15), mot_de_passe CHAR(64), derniere_ip VARCHAR(45), role VARCHAR(10));
CREATE TABLE users (id INT PRIMARY KEY, username VARCHAR(30) UNIQUE, email VARCHAR(80) UNIQUE, password_hash CHAR(64), signup_ip VARCHAR(45), created_at TIMESTAMP, is_admin SMALLINT, settings TEXT);
CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(80), sku VARCHAR(20), price DECIMAL(10,2), description TEXT, category VARCHAR(30));
CREATE TABLE orders (id INT PRIMARY KEY, user_id INT, total DECIMAL(10,2), status VARCHAR(12), ordered_at TIMESTAMP, shipped_at DATE, card_number VARCHAR(19), shipping_address VARCHAR(120), comment TEXT);
CREATE TABLE payments (id INT PRIMARY KEY, order_id INT, amount DECIMAL(10,2), currency CHAR(3), account VARCHAR(34), paid_at TIMESTAMP);
CREATE TABLE contacts (id INT PRIMARY KEY, kontakt VARCHAR(80), typ VARCHAR(10));
CREATE TABLE клиенты (id INT PRIMARY KEY, имя VARCHAR(40), фамилия VARCHAR(40), телефон VARCHAR(20), город VARCHAR(40));
CREATE TABLE audit (id INT PRIMARY KEY, action VARCHAR(20), at TIMESTAMP, actor_id INT);
CREATE TABLE employees (emp_no INT PRIMARY KEY, birth_date DATE, first_name VARCHAR(14), last_name VARCHAR(16), hire_date DATE, title VARCHAR(50));
";

/// A deterministic stream of numbers.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

fn mod97(s: &str) -> u64 {
    s.bytes().fold(0, |r, b| {
        if b.is_ascii_digit() {
            (r * 10 + u64::from(b - b'0')) % 97
        } else {
            (r * 100 + u64::from(b - b'A') + 10) % 97
        }
    })
}

fn iban(r: &mut Lcg) -> String {
    let bban = format!("{}{}", r.digits(8), r.digits(10));
    let check = 98 - mod97(&format!("{bban}DE00"));
    format!("DE{check:02}{bban}")
}

/// Card numbers with a valid Luhn check (the networks' public test
/// numbers).
const CARDS: &[&str] = &[
    "4111111111111111",
    "5500000000000004",
    "340000000000009",
    "4012888888888881",
    "5105105105105100",
    "6011111111111117",
    "378282246310005",
    "4222222222222",
];

const FIRST: &[&str] = &[
    "Anna", "Jonas", "Lucía", "Mateo", "Chloé", "Louis", "Olga", "Ivan", "Mia", "Noah",
];
const LAST: &[&str] = &[
    "Müller", "Schmidt", "García", "López", "Martin", "Bernard", "Ivanova", "Petrov", "Smith",
    "Jones",
];
const CITY: &[&str] = &[
    "Berlin", "Hamburg", "Madrid", "Sevilla", "Lyon", "Paris", "Moskva", "Kazan", "Leeds", "York",
];

/// The sample data as INSERT statements that both servers accept.
fn data(rows: u64) -> String {
    let mut r = Lcg(7);
    let mut sql = String::new();
    let date = |r: &mut Lcg, from: u64, span: u64| {
        format!(
            "{}-{:02}-{:02}",
            from + r.below(span),
            1 + r.below(12),
            1 + r.below(28)
        )
    };
    for id in 1..=rows {
        let (f, l, c) = (r.pick(FIRST), r.pick(LAST), r.pick(CITY));
        sql += &format!(
            "INSERT INTO kunden VALUES ({id},'{f}','{l}','{}','+49 30 {}','Hauptstr. {}','{}','{c}','{}','K{}','{} 10:00:00',1);\n",
            date(&mut r, 1940, 60), r.digits(7), r.below(200), r.digits(5), iban(&mut r), r.digits(8), date(&mut r, 2015, 9)
        );
        let dni_n = r.below(100_000_000);
        let dni = format!(
            "{dni_n:08}{}",
            char::from(b"TRWAGMYFPDXBNJZSQVHLCKE"[(dni_n % 23) as usize])
        );
        sql += &format!(
            "INSERT INTO clientes VALUES ({id},'{f}','{l} {}','{}.{id}@correo.example','6{}','{dni}','Calle Mayor {}','{c}','{}',{}.{:02});\n",
            r.pick(LAST), f.to_lowercase(), r.digits(8), r.below(99), date(&mut r, 2016, 8), r.below(5000), r.below(100)
        );
        let nir_body = format!("{}{}", 1 + r.below(2), r.digits(12));
        let nir_key = 97 - nir_body.parse::<u64>().unwrap() % 97;
        sql += &format!(
            "INSERT INTO utilisateurs VALUES ({id},'{f}','{l}','{}{id}@courriel.example','{}','{nir_body}{nir_key:02}','{}','10.{}.{}.{}','membre');\n",
            f.to_lowercase(), date(&mut r, 1950, 50), r.digits(64), r.below(255), r.below(255), r.below(255)
        );
        sql += &format!(
            "INSERT INTO users VALUES ({id},'user{id}','u{id}@mail.example','{}','2001:db8::{:x}','{} 08:00:00',0,'{{\"theme\": \"dark\", \"notify\": {{\"email\": \"u{id}@mail.example\"}}}}');\n",
            r.digits(64), id, date(&mut r, 2018, 6)
        );
        sql += &format!(
            "INSERT INTO products VALUES ({id},'Widget {id}','SKU-{}',{}.99,'A sturdy widget, model {id}.','tools');\n",
            r.digits(6), r.below(100)
        );
        sql += &format!(
            "INSERT INTO orders VALUES ({id},{},{}.50,'shipped','{} 12:00:00','{}','{}','{} Hauptstr. {}, {c}','please ring twice');\n",
            1 + r.below(rows), r.below(900), date(&mut r, 2022, 3), date(&mut r, 2022, 3), r.pick(CARDS), f, r.below(90)
        );
        sql += &format!(
            "INSERT INTO payments VALUES ({id},{id},{}.00,'EUR','{}','{} 12:30:00');\n",
            r.below(900),
            iban(&mut r),
            date(&mut r, 2022, 3)
        );
        sql += &format!(
            "INSERT INTO contacts VALUES ({id},'{}.{}@kontakt.example','mail');\n",
            f.to_lowercase(),
            r.digits(3)
        );
        sql += &format!(
            "INSERT INTO клиенты VALUES ({id},'{f}','{l}','+7 495 {}','{c}');\n",
            r.digits(7)
        );
        sql += &format!(
            "INSERT INTO audit VALUES ({id},'login','{} 09:00:00',{});\n",
            date(&mut r, 2023, 2),
            r.below(rows)
        );
        sql += &format!(
            "INSERT INTO employees VALUES ({id},'{}','{f}','{l}','{}','Engineer');\n",
            date(&mut r, 1955, 40),
            date(&mut r, 1985, 15)
        );
    }
    sql
}

fn scored(name: &str, dump: &std::path::Path, strip_schema: &str) -> (f64, f64) {
    let v = scan_json(dump, &[]);
    let mut found = BTreeSet::new();
    for t in v["tables"].as_array().unwrap() {
        let table = t["table"].as_str().unwrap();
        let table = table.strip_prefix(strip_schema).unwrap_or(table);
        for c in t["columns"].as_array().unwrap() {
            if !c["category"].is_null() {
                found.insert(format!("{table}.{}", c["column"].as_str().unwrap()));
            }
        }
    }
    let truth: BTreeSet<String> = PERSONAL.iter().map(|s| s.to_string()).collect();
    let hits = found.intersection(&truth).count() as f64;
    let (recall, precision) = (hits / truth.len() as f64, hits / found.len().max(1) as f64);
    eprintln!(
        "{name}: recall {recall:.3} ({hits}/{}), precision {precision:.3} ({hits}/{}); missed {:?}; wrongly flagged {:?}",
        truth.len(),
        found.len(),
        truth.difference(&found).collect::<Vec<_>>(),
        found.difference(&truth).collect::<Vec<_>>()
    );
    (recall, precision)
}

#[test]
fn recall_and_precision_on_a_sample_database_mariadb() {
    if !mariadb_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("dm_sample_{}", std::process::id());
    mariadb(
        None,
        &format!("DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db} CHARACTER SET utf8mb4"),
    );
    let sql = dir.path().join("sample.sql");
    std::fs::write(&sql, format!("{SCHEMA}{}", data(400))).unwrap();
    mariadb_load(&db, &sql);
    let dump = dir.path().join("dump.sql");
    let out = Command::new("mariadb-dump")
        .args(["-uroot", &db])
        .output()
        .unwrap();
    mariadb(None, &format!("DROP DATABASE {db}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&dump, &out.stdout).unwrap();
    let (recall, precision) = scored("sample database, mariadb-dump", &dump, &format!("{db}."));
    assert!(recall >= 0.95, "recall {recall}");
    assert!(precision >= 0.85, "precision {precision}");
}

#[test]
fn recall_and_precision_on_a_sample_database_postgres() {
    if !postgres_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = PgDb::fresh("sample");
    let sql = dir.path().join("sample.sql");
    std::fs::write(&sql, format!("{SCHEMA}{}", data(400))).unwrap();
    psql_load(&db.0, &sql);
    for (format, file) in [("p", "dump.sql"), ("c", "dump.dump")] {
        let dump = dir.path().join(file);
        let out = Command::new("pg_dump")
            .args(["-U", "postgres", "-F", format, "-f"])
            .arg(&dump)
            .arg(&db.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (recall, precision) = scored(
            &format!("sample database, pg_dump -F{format}"),
            &dump,
            "public.",
        );
        assert!(recall >= 0.95, "recall {recall}");
        assert!(precision >= 0.85, "precision {precision}");
    }
}
