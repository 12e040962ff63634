#!/usr/bin/env python3
"""Generate a large, realistic, syntactically exact SQL dump without a database.

Usage
-----
    python3 scripts/gen-dump.py --dialect mysql --layout mariadb --size 2G --seed 1 -o /tmp/x.sql
    python3 scripts/gen-dump.py --dialect mysql --layout oracle  --size 1G -o /tmp/o.sql
    python3 scripts/gen-dump.py --dialect postgres --size 1G -o /tmp/p.sql
    python3 scripts/gen-dump.py --dialect postgres --size 64M -o - | zstd > /tmp/p.sql.zst

Options: --dialect mysql|postgres, --layout mariadb|oracle (MySQL only; default
mariadb), --size N[K|M|G|T] (binary units, fractions allowed, e.g. 1.5G),
--seed INT (default 1), -o PATH or -o - for standard output (default -),
-q to suppress the summary printed on standard error, --profile
standard|dense (dense: short rows dense with ruled values; see
generate_dense; MySQL in the mariadb layout with one line per INSERT).

Standard library only (Python 3.11). The output is a pure function of
(dialect, layout, size, seed): same arguments, same bytes.

What it writes
--------------
Three tables, in the order real dump tools use (alphabetical):
  customers  (~40% of the bytes): id, first_name, last_name (some NULL),
             email (unique: "<first>.<last>.<id>@<domain>", ASCII-folded),
             phone, national_id (11 digits, unique: a bijection of the id),
             birth_date, address (multi-line), profile (JSON, in the
             canonical key order/spacing of jsonb / MySQL 8 JSON), avatar
             (binary: PNG/JPEG/GIF magic + random bytes, so NUL, quote,
             backslash, CR, LF, 0x1A, 0xFF all occur), created_at.
             Names carry quotes (O'Brien, Robert "Bob"), backslashes,
             unicode (Zoë, 李, 👩‍💻), literal 'NULL' and '\\N' strings.
  event_log  (~30%): id, level, message (200-2000 chars of log text with
             tabs, newlines, CRLF, quotes, backslashes, SQL look-alikes).
             Meant as the table a benchmark's rules leave untouched.
  orders     (~30%): id, customer_id (FK to existing customers), ip (IPv4,
             IPv6, some NULL), amount DECIMAL(10,2) incl. negatives and
             both extremes, created_at.
Ids are 1..N per table, unique and increasing.

Formats
-------
  mysql/mariadb  like `mariadb-dump` 10.11 (sandbox line, header comments,
                 /*!40101 SET ...*/ lines, DROP/CREATE TABLE with
                 AUTO_INCREMENT=N+1, LOCK TABLES, DISABLE KEYS, extended
                 INSERTs "INSERT INTO `t` VALUES\\n(..),\\n(..);"), cut like
                 mysqldump does with net_buffer_length = 1046528 (each
                 statement stays under 1 MiB), blobs as raw bytes in '..'.
  mysql/oracle   like Oracle `mysqldump` 8.0: same statements, but all tuples
                 of a statement on one line "INSERT INTO `t` VALUES (..),(..);",
                 MySQL 8 DDL (int without display width, json, blob without
                 DEFAULT NULL), _binary '..' for the blob. The table collation
                 is utf8mb4_unicode_ci rather than MySQL 8's
                 utf8mb4_0900_ai_ci so that the dump restores into MariaDB.
  postgres       like `pg_dump` 15 plain format: \\restrict line, SET lines,
                 CREATE TABLE public.x, sequences OWNED BY, column DEFAULTs,
                 "COPY public.x (cols) FROM stdin;" ... "\\.", setval, then
                 PRIMARY KEY / UNIQUE constraints, index and FK after the data.
String escaping is exact: MySQL uses mysql_real_escape_string's set
(\\0 \\' \\" \\\\ \\n \\r \\Z; tab stays raw) on the raw bytes; COPY text escapes
backslash, \\b \\f \\n \\r \\t \\v and writes NULL as \\N; bytea is \\\\x<hex>.

Size
----
Byte budgets are split 40/30/30; row counts are computed from exact pool
statistics before each table is written (so MySQL's AUTO_INCREMENT=N+1 is
right), and the dump ends with the normal trailer. The file is within a few
KB to a few hundred KB of --size (tiny sizes: at least one row per table).

How it is fast
--------------
All values are generated once into pools (names, phones, dates, addresses,
JSON profiles, 16001 blobs, 8009 log messages, ...) already escaped for the
dialect, as bytes. A row is one bytes %-format over the id and entries of
pools cycled with co-prime lengths; rows are cut into statements with
accumulate/bisect and written in ~8 MiB chunks.
"""

import argparse
import datetime
import ipaddress
import json
import random
import sys
import time
import unicodedata
from bisect import bisect_left
from itertools import accumulate, cycle, repeat
from operator import add

CHUNK = 8 << 20            # write granularity
NET_BUFFER_LENGTH = 1046528  # mysqldump default net_buffer_length (1 MiB - 1025, rounded down to KiB)
DUMP_DATE = "2024-06-01 12:00:00"

# --------------------------------------------------------------------------
# escaping / literals


def my_esc(b: bytes) -> bytes:
    """mysql_real_escape_string on raw bytes."""
    return (b.replace(b"\\", b"\\\\").replace(b"\0", b"\\0").replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r").replace(b"'", b"\\'").replace(b'"', b'\\"')
            .replace(b"\x1a", b"\\Z"))


def pg_esc(b: bytes) -> bytes:
    """COPY text format escaping (what COPY TO / pg_dump writes)."""
    return (b.replace(b"\\", b"\\\\").replace(b"\b", b"\\b").replace(b"\f", b"\\f")
            .replace(b"\n", b"\\n").replace(b"\r", b"\\r").replace(b"\t", b"\\t")
            .replace(b"\v", b"\\v"))


class MyLit:
    def __init__(self, oracle: bool):
        self.binary_prefix = b"_binary " if oracle else b""

    def s(self, v):  # string (or None)
        if v is None:
            return b"NULL"
        return b"'" + my_esc(v.encode()) + b"'"

    def raw(self, v):  # number
        return b"NULL" if v is None else v.encode()

    def blob(self, v):
        if v is None:
            return b"NULL"
        return self.binary_prefix + b"'" + my_esc(v) + b"'"


class PgLit:
    def s(self, v):
        if v is None:
            return b"\\N"
        return pg_esc(v.encode())

    def raw(self, v):
        return b"\\N" if v is None else v.encode()

    def blob(self, v):
        if v is None:
            return b"\\N"
        return b"\\\\x" + v.hex().encode()


# --------------------------------------------------------------------------
# value pools (dialect independent Python values)

FIRST = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
    "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph",
    "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Olav", "Ingrid", "Kari",
    "Lars", "Emma", "Noah", "Olivia", "Liam", "Sofia", "Lucas", "Mia", "Elias",
    "Seán", "Siobhán", "Zoë", "Chloé", "José", "María", "Jürgen", "Søren", "Åsa",
    "Łukasz", "Małgorzata", "François", "Renée", "Björn", "Ștefan", "Nguyễn Văn",
    "Александр", "Мария", "李", "王芳", "小龙", "美玲", "陽翔", "さくら", "민준",
    "محمد", "Δημήτρης", "Ólafur", "Robert \"Bob\"", "Mary-Kate", "Anne Marie",
    "D'Arcy", "🙂 Smiley", "Null", "NULL", "Jo\\Anne", "Ann-Sofie", "Øystein",
]
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Hansen",
    "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Nilsen", "Jensen",
    "O'Brien", "O'Connor", "D'Angelo", "Müller", "Müller-Łukasiewicz", "Schröder",
    "Ñúñez", "García Márquez", "Nørgaard", "Østergaard", "Ångström", "Dvořák",
    "Kowalski", "Wiśniewski", "Nguyễn", "Trần", "Иванов", "Смирнова", "李", "王",
    "张", "小龙", "山田", "김", "Παπαδόπουλος", "Back\\slash", "Smith 👩‍💻",
    "van der Berg", "de la Cruz", "St. John", "Fitzgerald-O'Malley",
    "\"The Rock\" Johnson", "\\N", "Null", "Øvergård",
]
DOMAINS = ["example.com", "example.com", "example.com", "example.org",
           "example.net", "mail.example", "example.co.uk", "exämple.de"]
STREETS = [
    "Karl Johans gate", "Main Street", "Elm St.", "Baker Street", "Rue de l'Église",
    "Königstraße", "Calle Mayor", "Storgata", "Nørrebrogade", "ul. Marszałkowska",
    "Via Roma", "\"Quoted\" Lane", "O'Connell Street", "長安街", "Unter den Linden",
    "Avenida Paulista", "Långgatan", "Strada Lungă", "Tverskaya ulitsa",
]
CITIES = [
    ("Oslo", "0154", "Norway"), ("Dublin", "D02 X285", "Ireland"),
    ("Berlin", "10117", "Germany"), ("München", "80331", "Deutschland"),
    ("Paris", "75004", "France"), ("Madrid", "28013", "España"),
    ("København", "2200", "Danmark"), ("Warszawa", "00-001", "Polska"),
    ("北京", "100000", "中国"), ("Springfield", "12345", "USA"),
    ("Göteborg", "411 06", "Sverige"), ("São Paulo", "01310-100", "Brasil"),
    ("Zürich", "8001", "Schweiz"), ("Reykjavík", "101", "Ísland"),
]
TAGS = ["vip", "newsletter", "b2b", "churn-risk", "früh", "客户", "😀", "it's",
        "say \"hi\"", "back\\slash", "multi\nline", "tab\there", "NULL", ""]


def jsonb_canonical(v):
    """Key order of jsonb and MySQL 8 JSON output: by byte length, then bytes."""
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
        return {k: jsonb_canonical(x) for k, x in items}
    if isinstance(v, list):
        return [jsonb_canonical(x) for x in v]
    return v


FOLD = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "ß": "ss",
                      "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "œ": "oe", "Œ": "OE"})


def ascii_fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.translate(FOLD)).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in s if c.isalnum())


def rand_ts(rng, y0, y1):
    base = datetime.datetime(y0, 1, 1)
    span = int((datetime.datetime(y1 + 1, 1, 1) - base).total_seconds())
    return base + datetime.timedelta(seconds=rng.randrange(span))


def rand_date(rng, y0, y1):
    base = datetime.date(y0, 1, 1)
    return base + datetime.timedelta(days=rng.randrange((datetime.date(y1 + 1, 1, 1) - base).days))


def gen_phone(rng):
    r = rng.random()
    if r < 0.06:
        return None
    if r < 0.07:
        return ""
    d = lambda n: "".join(rng.choice("0123456789") for _ in range(n))
    return rng.choice([
        lambda: f"+47 {d(3)} {d(2)} {d(3)}", lambda: f"({d(3)}) {d(3)}-{d(4)}",
        lambda: f"+1-{d(3)}-555-{d(4)}", lambda: f"+86 10 {d(4)} {d(4)}",
        lambda: f"0049 30 {d(7)}", lambda: f"+44 20 7946 {d(4)}",
        lambda: f"{d(3)}.{d(3)}.{d(4)} ext. {d(2)}", lambda: f"+353 (0)1 {d(3)} {d(4)}",
    ])()


def gen_address(rng):
    r = rng.random()
    if r < 0.03:
        return None
    city, zipc, country = rng.choice(CITIES)
    street = f"{rng.choice(STREETS)} {rng.randint(1, 250)}"
    if rng.random() < 0.2:
        street += rng.choice([", 3rd floor", "\nc/o O'Neil", ", Apt 4\\B", "\r\nPostboks 12"])
    if rng.random() < 0.5:
        return f"{street}\n{zipc} {city}\n{country}"
    return f"{street}, {zipc} {city}, {country}"


def gen_profile(rng, first):
    r = rng.random()
    if r < 0.08:
        return None
    if r < 0.10:
        return "{}"
    p = {
        "lang": rng.choice(["en", "nb", "de", "fr", "zh", "pl"]),
        "newsletter": rng.random() < 0.5,
        "tags": rng.sample(TAGS, rng.randint(0, 4)),
        "score": round(rng.uniform(-10, 1000), 2),
    }
    if rng.random() < 0.5:
        p["prefs"] = {"theme": rng.choice(["dark", "light"]), "currency": rng.choice(["EUR", "NOK", "USD"]),
                      "notifications": {"sms": rng.random() < 0.3, "email": True}}
    if rng.random() < 0.4:
        city, zipc, _ = rng.choice(CITIES)
        p["address"] = {"city": city, "zip": zipc,
                        "geo": {"lat": round(rng.uniform(-90, 90), 4), "lon": round(rng.uniform(-180, 180), 4)}}
    if rng.random() < 0.3:
        p["nick"] = f"{first} \"the {rng.choice(['quote', 'rock', 'boss'])}\" O'{rng.choice(LAST)}"
    if rng.random() < 0.15:
        p["note"] = rng.choice(["line1\nline2", "C:\\Users\\me", "tab\there", "emoji 😀 ok", "null", None])
    return json.dumps(jsonb_canonical(p), ensure_ascii=False)


MAGIC = [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"GIF89a"]


def gen_avatar(rng):
    if rng.random() < 0.10:
        return None
    body = bytearray(rng.randbytes(rng.randint(16, 560)))
    for _ in range(rng.randint(0, 3)):   # make the awkward bytes frequent
        pos = rng.randrange(len(body))
        body[pos:pos] = rng.choice([b"\x00", b"'", b'"', b"\\", b"\xff\xfe", b"\x1a", b"\r\n", b"\\'"])
    return rng.choice(MAGIC) + bytes(body)


def gen_ip(rng):
    r = rng.random()
    if r < 0.03:
        return None
    if r < 0.72:
        return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if r < 0.75:
        return f"::ffff:{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    groups = [0x2001, 0xdb8] + [rng.choice([0, 0, rng.randrange(0x10000)]) for _ in range(6)]
    if rng.random() < 0.3:
        groups = [0xfe80, 0, 0, 0] + [rng.randrange(0x10000) for _ in range(4)]
    return ipaddress.IPv6Address(b"".join(g.to_bytes(2, "big") for g in groups)).compressed


def gen_amount(rng):
    r = rng.random()
    if r < 0.002:
        cents = rng.choice([9999999999, -9999999999])
    elif r < 0.01:
        cents = 0
    elif r < 0.07:
        cents = -rng.randint(1, 50000)
    elif r < 0.09:
        cents = rng.randint(100000, 5000000)
    else:
        cents = rng.randint(100, 200000)
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


LOG_SOURCES = ["c.e.shop.OrderService", "c.e.shop.PaymentGateway", "o.h.engine.jdbc.spi.SqlExceptionHelper",
               "c.e.auth.LoginController", "c.e.batch.NightlyExport", "io.netty.channel.DefaultChannelPipeline"]
LOG_LINES = [
    "Payment declined for order {n} (customer \"{name}\", card ****{d4})",
    "User {name} logged in from {ip}; session={hex}",
    "Slow query ({n} ms): SELECT * FROM `orders` WHERE customer_id = {n} AND note LIKE '%O''Brien%'",
    "Export written to C:\\exports\\{n}\\customers_{d4}.csv",
    "Retrying request id={hex} attempt={d1}/5\tstatus=503\tupstream=\"api.example.net\"",
    "Received payload: {{\"id\": {n}, \"name\": \"{name}\", \"note\": \"a \\\"quoted\\\" word\"}}",
    "Mail to {name} bounced: 550 5.1.1 <user@exämple.de>: Recipient address rejected ✉️",
    "Statement was: INSERT INTO `customers` VALUES ({n},'x'),({n},'y');",
    "pg copy fragment seen in log: COPY public.orders (id) FROM stdin;\\n{n}\\n\\.",
    "Warnung: Zeitüberschreitung bei {ip} nach {n} ms — 重试中 🔁",
    "Cache miss ratio 0.{d4}\tkeys={n}\tregion=eu-north-1",
]
STACK = [
    "\tat com.example.shop.OrderService.pay(OrderService.java:{n})",
    "\tat com.example.shop.web.CheckoutController.submit(CheckoutController.java:{n})",
    "\tat org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:{n})",
    "\tat jdk.internal.reflect.GeneratedMethodAccessor{d1}.invoke(Unknown Source)",
    "\tat java.base/java.lang.Thread.run(Thread.java:{n})",
    "\t... {d1}{d1} more",
]
CAUSES = [
    "Caused by: java.sql.SQLIntegrityConstraintViolationException: Duplicate entry '{n}' for key 'uq_customers_email'",
    "Caused by: org.postgresql.util.PSQLException: ERROR: invalid byte sequence for encoding \"UTF8\": 0x00",
    "Caused by: java.net.SocketTimeoutException: Read timed out\r",
]


def gen_message(rng, level):
    target = rng.randint(200, 2000)

    def fill(t):
        return t.format(n=rng.randint(1, 99999), d4=f"{rng.randrange(10000):04d}", d1=rng.randint(1, 9),
                        hex=f"{rng.getrandbits(64):016x}", ip=gen_ip(rng) or "0.0.0.0",
                        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}")

    ts = rand_ts(rng, 2023, 2024)
    parts = [f"{ts:%Y-%m-%dT%H:%M:%S}.{rng.randrange(1000):03d}Z {level:<5} [worker-{rng.randint(1, 16)}] "
             f"{rng.choice(LOG_SOURCES)}: {fill(rng.choice(LOG_LINES))}"]
    n = len(parts[0])
    stack = level in ("ERROR", "WARN") or rng.random() < 0.3
    while n < target:
        if stack:
            line = fill(rng.choice(CAUSES) if rng.random() < 0.08 else rng.choice(STACK))
        else:
            line = fill(rng.choice(LOG_LINES))
        sep = "\r\n" if rng.random() < 0.03 else "\n"
        parts.append(sep + line)
        n += len(sep) + len(line)
    return "".join(parts)[:target]


# --------------------------------------------------------------------------
# tables


def digits_upto(n):
    """Total number of decimal digits of 1..n."""
    tot, d, lo = 0, 1, 1
    while lo <= n:
        hi = min(n, lo * 10 - 1)
        tot += (hi - lo + 1) * d
        d, lo = d + 1, lo * 10
    return tot


class Table:
    """A table's rows: one bytes %-format over (id, pool entries...)."""
    name = ""
    c_id = 1       # how often the id's digits occur in a row
    c_cid = 0      # how often a customer id occurs in a row

    def __init__(self, pools):
        self.pools = pools          # list of lists (entries: bytes or tuples of bytes)
        self.cycles = [cycle(p) for p in pools]
        self.nc = 1

    def entry_len(self, e):
        if isinstance(e, int):
            return 0
        return len(e) if isinstance(e, bytes) else sum(map(len, e))

    def empty(self, p):
        e = p[0]
        if isinstance(e, int):
            return 0
        return b"" if isinstance(e, bytes) else tuple(b"" for _ in e)

    def mean_row(self, nc_digits_avg):
        """Mean row length in bytes, excluding the id's digits."""
        saved, self.cycles = self.cycles, [repeat(self.empty(p)) for p in self.pools]
        saved_nc, self.nc = self.nc, 1
        fixed = len(self.rows(1, 1)[0]) - self.c_id - self.c_cid
        self.cycles, self.nc = saved, saved_nc
        pools = sum(sum(map(self.entry_len, p)) / len(p) for p in self.pools)
        return fixed + pools + self.c_cid * nc_digits_avg

    def rows(self, start, n):
        raise NotImplementedError


class MyCustomers(Table):
    name, c_id = "customers", 2

    def rows(self, start, n):
        K, M = self.K, 10 ** 11
        return [b"(%d,%s%d%s,%s,'%011d',%s,%s,%s,%s,%s)" % (i, nm[0], i, nm[1], ph, i * K % M, bd, ad, pr, av, ca)
                for i, nm, ph, bd, ad, pr, av, ca in zip(range(start, start + n), *self.cycles)]


class PgCustomers(MyCustomers):
    def rows(self, start, n):
        K, M = self.K, 10 ** 11
        return [b"%d\t%s%d%s\t%s\t%011d\t%s\t%s\t%s\t%s\t%s" % (i, nm[0], i, nm[1], ph, i * K % M, bd, ad, pr, av, ca)
                for i, nm, ph, bd, ad, pr, av, ca in zip(range(start, start + n), *self.cycles)]


class MyOrders(Table):
    name, c_cid = "orders", 1

    def rows(self, start, n):
        nc, P = self.nc, self.P
        return [b"(%d,%d,%s,%s)" % (i, (i * P + o) % nc + 1, ia, ca)
                for i, o, ia, ca in zip(range(start, start + n), *self.cycles)]


class PgOrders(MyOrders):
    def rows(self, start, n):
        nc, P = self.nc, self.P
        return [b"%d\t%d\t%s\t%s" % (i, (i * P + o) % nc + 1, ia, ca)
                for i, o, ia, ca in zip(range(start, start + n), *self.cycles)]


class MyEvents(Table):
    name = "event_log"

    def rows(self, start, n):
        return [b"(%d,%s)" % (i, m) for i, m in zip(range(start, start + n), *self.cycles)]


class PgEvents(MyEvents):
    def rows(self, start, n):
        return [b"%d\t%s" % (i, m) for i, m in zip(range(start, start + n), *self.cycles)]


def build_tables(dialect, oracle, rng):
    pg = dialect == "postgres"
    L = PgLit() if pg else MyLit(oracle)
    sep = b"\t" if pg else b","

    # names: (prefix up to and including the email's "first.last.", suffix "@domain" + closing)
    names = []
    for _ in range(4999):
        first = rng.choice(FIRST)
        last = None if rng.random() < 0.01 else rng.choice(LAST)
        local = ".".join(ascii_fold(x) or "user" for x in ([first] if last is None else [first, last])) + "."
        dom = rng.choice(DOMAINS)
        if pg:
            names.append((L.s(first) + sep + L.s(last) + sep + local.encode(), b"@" + dom.encode()))
        else:
            names.append((L.s(first) + sep + L.s(last) + sep + b"'" + local.encode(), b"@" + my_esc(dom.encode()) + b"'"))
    phones = [L.s(gen_phone(rng)) for _ in range(1009)]
    births = [L.s(None if rng.random() < 0.04 else rand_date(rng, 1940, 2006).isoformat()) for _ in range(2003)]
    addrs = [L.s(gen_address(rng)) for _ in range(3001)]
    profiles = [L.s(gen_profile(rng, rng.choice(FIRST))) for _ in range(4001)]
    avatars = [L.blob(gen_avatar(rng)) for _ in range(16001)]

    def ts(t, frac):
        s = f"{t:%Y-%m-%d %H:%M:%S}"
        if pg:
            if frac:
                s += f".{rng.randrange(1, 1000000):06d}".rstrip("0")
            s += "+00"
        return L.s(s)

    created_c = [ts(rand_ts(rng, 2015, 2024), rng.random() < 0.3) for _ in range(7001)]
    cust = (PgCustomers if pg else MyCustomers)([names, phones, births, addrs, profiles, avatars, created_c])
    cust.K = rng.randrange(10 ** 9, 10 ** 10) | 1
    while cust.K % 5 == 0:
        cust.K += 2

    ipamt = [L.s(gen_ip(rng)) + sep + L.raw(gen_amount(rng)) for _ in range(10007)]
    created_o = [ts(rand_ts(rng, 2019, 2024), rng.random() < 0.5) for _ in range(7001)]
    # customer_id = (id * P + offset) % customers + 1, offset from a pool: random-looking, always valid
    offsets = [rng.getrandbits(48) for _ in range(4093)]
    orders = (PgOrders if pg else MyOrders)([offsets, ipamt, created_o])
    orders.P = 2654435761

    levels = ["DEBUG"] * 30 + ["INFO"] * 45 + ["WARN"] * 15 + ["ERROR"] * 10
    msgs = []
    for _ in range(8009):
        lv = rng.choice(levels)
        msgs.append(L.s(lv) + sep + L.s(gen_message(rng, lv)))
    events = (PgEvents if pg else MyEvents)([msgs])
    return cust, orders, events


# --------------------------------------------------------------------------
# output


class Out:
    def __init__(self, f):
        self.f, self.buf, self.n, self.total = f, [], 0, 0

    def write(self, b):
        self.buf.append(b)
        self.n += len(b)
        self.total += len(b)
        if self.n >= CHUNK:
            self.flush()

    def flush(self):
        if self.buf:
            self.f.write(b"".join(self.buf))
            self.buf, self.n = [], 0


def plan_rows(table, budget, per_row_framing, stmt_overhead=0, stmt_cap=None):
    """Row count whose data section is about `budget` bytes."""
    avgd = digits_upto(table.nc) / table.nc
    mean = table.mean_row(avgd) + per_row_framing

    def size(n):
        s = n * mean + table.c_id * digits_upto(n)
        if stmt_cap:
            s += (s / stmt_cap + 1) * stmt_overhead
        return s

    n = max(1, int(budget / (mean + table.c_id * 7)))
    for _ in range(8):
        n = max(1, int(n + (budget - size(n)) / (mean + table.c_id * len(str(n)))))
    return n, mean


def batch_rows(mean):
    return max(1, int(CHUNK / mean))


def write_mysql_rows(out, table, n, oracle):
    hdr = b"INSERT INTO `%s` VALUES " % table.name.encode() if oracle else \
        b"INSERT INTO `%s` VALUES\n" % table.name.encode()
    sep = b"," if oracle else b",\n"
    init = len(hdr) + 4
    step = batch_rows(table.mean_row(len(str(table.nc))) + 2)
    pending, done = [], 0
    while done < n:
        k = min(step, n - done)
        rows = pending + table.rows(done + 1, k)
        done += k
        last = done >= n
        cum = list(accumulate(map(add, map(len, rows), repeat(2)), initial=0))
        a, m = 0, len(rows)
        while a < m:
            b = bisect_left(cum, NET_BUFFER_LENGTH - init + cum[a]) - 1
            b = max(b, a + 1)
            if b >= m and not last:
                break
            out.write(hdr + sep.join(rows[a:b]) + b";\n")
            a = b
        pending = rows[a:]


def write_pg_rows(out, table, n):
    step = batch_rows(table.mean_row(len(str(table.nc))) + 1)
    done = 0
    while done < n:
        k = min(step, n - done)
        out.write(b"\n".join(table.rows(done + 1, k)) + b"\n")
        done += k


# ---- MySQL text


def my_header(oracle):
    if oracle:
        h = ("-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n"
             "-- Host: localhost    Database: shop\n"
             "-- ------------------------------------------------------\n"
             "-- Server version\t8.0.36\n\n")
        names = "/*!50503 SET NAMES utf8mb4 */;\n"
    else:
        h = ("/*M!999999\\- enable the sandbox mode */ \n"
             "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n--\n"
             "-- Host: localhost    Database: shop\n"
             "-- ------------------------------------------------------\n"
             "-- Server version\t10.11.19-MariaDB-0+deb12u1\n\n")
        names = "/*!40101 SET NAMES utf8mb4 */;\n"
    return (h +
            "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
            "/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;\n"
            "/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;\n" + names +
            "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n"
            "/*!40103 SET TIME_ZONE='+00:00' */;\n"
            "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n"
            "/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n"
            "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n"
            "/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;\n").encode()


def my_trailer():
    return ("/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n\n"
            "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n"
            "/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n"
            "/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;\n"
            "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n"
            "/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;\n"
            "/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;\n"
            "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n"
            f"-- Dump completed on {DUMP_DATE}\n").encode()


MY_COLS = {
    # table -> (mariadb column/key lines, mysql 8 column/key lines)
    "customers": (
        ["`id` int(11) NOT NULL AUTO_INCREMENT", "`first_name` varchar(100) NOT NULL",
         "`last_name` varchar(100) DEFAULT NULL", "`email` varchar(255) NOT NULL",
         "`phone` varchar(40) DEFAULT NULL", "`national_id` char(11) NOT NULL",
         "`birth_date` date DEFAULT NULL", "`address` text DEFAULT NULL",
         "`profile` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`profile`))",
         "`avatar` blob DEFAULT NULL", "`created_at` datetime NOT NULL"],
        ["`id` int NOT NULL AUTO_INCREMENT", "`first_name` varchar(100) NOT NULL",
         "`last_name` varchar(100) DEFAULT NULL", "`email` varchar(255) NOT NULL",
         "`phone` varchar(40) DEFAULT NULL", "`national_id` char(11) NOT NULL",
         "`birth_date` date DEFAULT NULL", "`address` text",
         "`profile` json DEFAULT NULL", "`avatar` blob", "`created_at` datetime NOT NULL"],
        ["PRIMARY KEY (`id`)", "UNIQUE KEY `uq_customers_email` (`email`)",
         "UNIQUE KEY `uq_customers_national_id` (`national_id`)"]),
    "event_log": (
        ["`id` bigint(20) NOT NULL AUTO_INCREMENT", "`level` enum('DEBUG','INFO','WARN','ERROR') NOT NULL",
         "`message` text NOT NULL"],
        ["`id` bigint NOT NULL AUTO_INCREMENT", "`level` enum('DEBUG','INFO','WARN','ERROR') NOT NULL",
         "`message` text NOT NULL"],
        ["PRIMARY KEY (`id`)"]),
    "orders": (
        ["`id` bigint(20) NOT NULL AUTO_INCREMENT", "`customer_id` int(11) NOT NULL",
         "`ip` varchar(45) DEFAULT NULL", "`amount` decimal(10,2) NOT NULL", "`created_at` datetime NOT NULL"],
        ["`id` bigint NOT NULL AUTO_INCREMENT", "`customer_id` int NOT NULL",
         "`ip` varchar(45) DEFAULT NULL", "`amount` decimal(10,2) NOT NULL", "`created_at` datetime NOT NULL"],
        ["PRIMARY KEY (`id`)", "KEY `ix_orders_customer_id` (`customer_id`)",
         "CONSTRAINT `fk_orders_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`)"]),
}


def my_table_pre(name, n, oracle):
    maria, my8, keys = MY_COLS[name]
    cols = my8 if oracle else maria
    body = ",\n".join("  " + c for c in cols + keys)
    cs = "/*!50503 SET character_set_client = utf8mb4 */;\n" if oracle else \
        "/*!40101 SET character_set_client = utf8mb4 */;\n"
    return (f"\n--\n-- Table structure for table `{name}`\n--\n\n"
            f"DROP TABLE IF EXISTS `{name}`;\n"
            "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n" + cs +
            f"CREATE TABLE `{name}` (\n{body}\n"
            f") ENGINE=InnoDB AUTO_INCREMENT={n + 1} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;\n"
            "/*!40101 SET character_set_client = @saved_cs_client */;\n\n"
            f"--\n-- Dumping data for table `{name}`\n--\n\n"
            f"LOCK TABLES `{name}` WRITE;\n"
            f"/*!40000 ALTER TABLE `{name}` DISABLE KEYS */;\n").encode()


def my_table_post(name):
    return (f"/*!40000 ALTER TABLE `{name}` ENABLE KEYS */;\n"
            "UNLOCK TABLES;\n").encode()


# ---- PostgreSQL text

PG_DDL = {
    "customers": ("integer", [
        "id integer NOT NULL", "first_name character varying(100) NOT NULL",
        "last_name character varying(100)", "email character varying(255) NOT NULL",
        "phone character varying(40)", "national_id character(11) NOT NULL", "birth_date date",
        "address text", "profile jsonb", "avatar bytea", "created_at timestamp with time zone NOT NULL"]),
    "event_log": (None, ["id bigint NOT NULL", "level character varying(5) NOT NULL", "message text NOT NULL"]),
    "orders": (None, ["id bigint NOT NULL", "customer_id integer NOT NULL", "ip inet",
                      "amount numeric(10,2) NOT NULL", "created_at timestamp with time zone NOT NULL"]),
}
TABLE_ORDER = ["customers", "event_log", "orders"]


def pg_entry(name, typ, schema="public", prefix=""):
    return f"--\n-- {prefix}Name: {name}; Type: {typ}; Schema: {schema}; Owner: postgres\n--\n\n"


def pg_header(key):
    s = ("--\n-- PostgreSQL database dump\n--\n\n"
         f"\\restrict {key}\n\n"
         "-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)\n"
         "-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)\n\n"
         "SET statement_timeout = 0;\nSET lock_timeout = 0;\n"
         "SET idle_in_transaction_session_timeout = 0;\nSET client_encoding = 'UTF8';\n"
         "SET standard_conforming_strings = on;\n"
         "SELECT pg_catalog.set_config('search_path', '', false);\n"
         "SET check_function_bodies = false;\nSET xmloption = content;\n"
         "SET client_min_messages = warning;\nSET row_security = off;\n\n"
         "SET default_tablespace = '';\n\nSET default_table_access_method = heap;\n\n")
    for t in TABLE_ORDER:
        seqtype, cols = PG_DDL[t]
        body = ",\n".join("    " + c for c in cols)
        s += (pg_entry(t, "TABLE") + f"CREATE TABLE public.{t} (\n{body}\n);\n\n\n"
              f"ALTER TABLE public.{t} OWNER TO postgres;\n\n")
        seq = f"{t}_id_seq"
        s += (pg_entry(seq, "SEQUENCE") + f"CREATE SEQUENCE public.{seq}\n" +
              (f"    AS {seqtype}\n" if seqtype else "") +
              "    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n\n\n"
              f"ALTER TABLE public.{seq} OWNER TO postgres;\n\n" +
              pg_entry(seq, "SEQUENCE OWNED BY") +
              f"ALTER SEQUENCE public.{seq} OWNED BY public.{t}.id;\n\n\n")
    for t in TABLE_ORDER:
        s += (pg_entry(f"{t} id", "DEFAULT") +
              f"ALTER TABLE ONLY public.{t} ALTER COLUMN id SET DEFAULT nextval('public.{t}_id_seq'::regclass);\n\n\n")
    return s.encode()


def pg_copy_pre(t):
    cols = ", ".join(c.split(" ", 1)[0] for c in PG_DDL[t][1])
    return (pg_entry(t, "TABLE DATA", prefix="Data for ") + f"COPY public.{t} ({cols}) FROM stdin;\n").encode()


PG_COPY_POST = b"\\.\n\n\n"


def pg_trailer(counts, key):
    s = ""
    for t in TABLE_ORDER:
        s += pg_entry(f"{t}_id_seq", "SEQUENCE SET") + \
            f"SELECT pg_catalog.setval('public.{t}_id_seq', {counts[t]}, true);\n\n\n"
    for t, c, d in [("customers", "customers_email_key", "UNIQUE (email)"),
                    ("customers", "customers_national_id_key", "UNIQUE (national_id)"),
                    ("customers", "customers_pkey", "PRIMARY KEY (id)"),
                    ("event_log", "event_log_pkey", "PRIMARY KEY (id)"),
                    ("orders", "orders_pkey", "PRIMARY KEY (id)")]:
        s += pg_entry(f"{t} {c}", "CONSTRAINT") + f"ALTER TABLE ONLY public.{t}\n    ADD CONSTRAINT {c} {d};\n\n\n"
    s += (pg_entry("orders_customer_id_idx", "INDEX") +
          "CREATE INDEX orders_customer_id_idx ON public.orders USING btree (customer_id);\n\n\n" +
          pg_entry("orders orders_customer_id_fkey", "FK CONSTRAINT") +
          "ALTER TABLE ONLY public.orders\n"
          "    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id);\n\n\n"
          "--\n-- PostgreSQL database dump complete\n--\n\n"
          f"\\unrestrict {key}\n\n")
    return s.encode()



# --------------------------------------------------------------------------
# The dense profile: short rows dense with ruled values (scripts/bench
# --profile dense; issue "speed on row-dense dumps"). Per GB: about 2.1 M
# customers rows (three values a benchmark hashes, one it nulls, one it
# fixes, a short binary token and a small JSON document with escapes),
# 5.2 M orders rows of about 70 bytes, and an unruled event_log.

DENSE_SHARE = {"customers": 0.38, "event_log": 0.25, "orders": 0.37}

DENSE_MY = {
    "customers": ["`id` int(11) NOT NULL AUTO_INCREMENT", "`first_name` varchar(64) NOT NULL",
                  "`last_name` varchar(64) NOT NULL", "`email` varchar(128) NOT NULL",
                  "`phone` varchar(32) DEFAULT NULL", "`birth_date` date DEFAULT NULL",
                  "`token` varbinary(32) DEFAULT NULL",
                  "`prefs` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`prefs`))",
                  "PRIMARY KEY (`id`)", "UNIQUE KEY `uq_customers_email` (`email`)"],
    "event_log": ["`id` bigint(20) NOT NULL AUTO_INCREMENT", "`level` enum('DEBUG','INFO','WARN','ERROR') NOT NULL",
                  "`message` varchar(255) NOT NULL", "PRIMARY KEY (`id`)"],
    "orders": ["`id` bigint(20) NOT NULL AUTO_INCREMENT", "`customer_id` int(11) NOT NULL",
               "`ip` varchar(45) DEFAULT NULL", "`amount` decimal(10,2) NOT NULL",
               "`created_at` datetime NOT NULL", "PRIMARY KEY (`id`)"],
}

DENSE_PG = {
    "customers": ["id integer NOT NULL", "first_name character varying(64) NOT NULL",
                  "last_name character varying(64) NOT NULL", "email character varying(128) NOT NULL",
                  "phone character varying(32)", "birth_date date", "token bytea", "prefs jsonb"],
    "event_log": ["id bigint NOT NULL", "level character varying(5) NOT NULL",
                  "message character varying(255) NOT NULL"],
    "orders": ["id bigint NOT NULL", "customer_id integer NOT NULL", "ip inet",
               "amount numeric(10,2) NOT NULL", "created_at timestamp without time zone NOT NULL"],
}


def dense_pools(rng):
    firsts = ["James", "Mary", "Zoë", "José", "Anne-Marie", "Li", "Olivia", "Noah", "Émile", "Aiyana",
              "Søren", "Chloé", "Mateo", "Fatima", "Yuki", "Ola", "Björn", "Amélie", "Ravi", "Nadia",
              "Jean \"JJ\"", "D'Arcy", "Ингрид", "Kwame", "Siobhán", "Tomás", "Hana", "Liam", "Ava", "Élodie"]
    lasts = ["Smith", "O'Brien", "Müller", "García", "Nguyen", "Kowalski", "Dupont", "Rossi", "Tanaka",
             "Andersson", "de la Cruz", "Ó Súilleabháin", "Petrov", "Haddad", "Okafor", "Silva", "Novak",
             "Back\\slash", "Lefèvre", "Kim", "Jensen", "Moreau", "Schmidt", "Ivanova", "Costa", "Brown",
             "Wilson", "Martin", "Lee", "Walker", "Hall"]
    domains = ["example.com", "mail.example.org", "corp.example.net", "example.fr", "post.example.de"]
    phones = ["+33 6 %02d %02d %02d %02d" % tuple(rng.randrange(100) for _ in range(4)) if i % 3 else
              "(%03d) %03d-%04d" % (rng.randrange(200, 999), rng.randrange(1000), rng.randrange(10000))
              for i in range(1009)]
    dates = ["%04d-%02d-%02d" % (rng.randrange(1940, 2006), rng.randrange(1, 13), rng.randrange(1, 29))
             for _ in range(1013)]
    tokens = [bytes(rng.randrange(256) for _ in range(rng.randrange(8, 25))) for _ in range(2003)]
    notes = ["say \"hi\"\n", "tab\there", "back\\slash", "quote ' inside", "ünïcödé ✓", "", "line\r\nbreak"]
    prefs = [json.dumps({"lang": rng.choice(["fr", "en", "de"]), "news": bool(rng.randrange(2)),
                         "note": rng.choice(notes)}, ensure_ascii=False) for _ in range(997)]
    ips = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(4001)] + \
          [str(ipaddress.IPv6Address(rng.getrandbits(128))) for _ in range(499)]
    levels = ["DEBUG", "INFO", "WARN", "ERROR"]
    msgs = ["user %d logged in from the 'main' page" % i for i in range(50)] + \
           ["job\t%d finished in %d ms\\n" % (i, i * 7) for i in range(50)] + \
           ["cache miss on key \"k%d\"" % i for i in range(53)]
    return firsts, lasts, domains, phones, dates, tokens, prefs, ips, levels, msgs


def dense_rows(dialect, table, start, n, pools):
    firsts, lasts, domains, phones, dates, tokens, prefs, ips, levels, msgs = pools
    my = dialect == "mysql"
    rows = []
    if table == "customers":
        for i in range(start, start + n):
            f, l = firsts[i % 30], lasts[i % 31]
            email = "%s.%s.%d@%s" % (ascii_fold(f).lower().replace(" ", "").replace('"', ""),
                                     ascii_fold(l).lower().replace(" ", "").replace("'", "").replace("\\", ""),
                                     i, domains[i % 5])
            phone = None if i % 7 == 0 else phones[i % 1009]
            tok = tokens[i % 2003]
            if my:
                rows.append(b"(%d,'%s','%s','%s',%s,'%s','%s','%s')" % (
                    i, my_esc(f.encode()), my_esc(l.encode()), email.encode(),
                    b"NULL" if phone is None else b"'" + phone.encode() + b"'",
                    dates[i % 1013].encode(), my_esc(tok), my_esc(prefs[i % 997].encode())))
            else:
                rows.append(b"%d\t%s\t%s\t%s\t%s\t%s\t\\\\x%s\t%s" % (
                    i, pg_esc(f.encode()), pg_esc(l.encode()), email.encode(),
                    b"\\N" if phone is None else phone.encode(), dates[i % 1013].encode(),
                    tok.hex().encode(), pg_esc(prefs[i % 997].encode())))
    elif table == "orders":
        for i in range(start, start + n):
            ip = None if i % 50 == 0 else ips[i % 4500]
            amount = "%d.%02d" % ((i * 7919) % 99999, i % 100)
            ts = "2024-%02d-%02d %02d:%02d:%02d" % (i % 12 + 1, i % 28 + 1, i % 24, i % 60, (i * 7) % 60)
            cust = (i * 2654435761) % 2000000 + 1
            if my:
                rows.append(b"(%d,%d,%s,%s,'%s')" % (
                    i, cust, b"NULL" if ip is None else b"'" + ip.encode() + b"'", amount.encode(), ts.encode()))
            else:
                rows.append(b"%d\t%d\t%s\t%s\t%s" % (
                    i, cust, b"\\N" if ip is None else ip.encode(), amount.encode(), ts.encode()))
    else:
        for i in range(start, start + n):
            m = msgs[i % 153].encode()
            if my:
                rows.append(b"(%d,'%s','%s')" % (i, levels[i % 4].encode(), my_esc(m)))
            else:
                rows.append(b"%d\t%s\t%s" % (i, levels[i % 4].encode(), pg_esc(m)))
    return rows


def generate_dense(out, dialect, size, seed):
    rng = random.Random(seed)
    pools = dense_pools(rng)
    counts = {}
    my = dialect == "mysql"
    key = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(63))
    if my:
        out.write(my_header(False))
    else:
        out.write(pg_header_dense(key))
    end = 0.0
    for t in TABLE_ORDER:
        end += size * DENSE_SHARE[t]
        if my:
            body = ",\n".join("  " + c for c in DENSE_MY[t])
            out.write((f"\n--\n-- Table structure for table `{t}`\n--\n\n"
                       f"DROP TABLE IF EXISTS `{t}`;\n"
                       "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
                       "/*!40101 SET character_set_client = utf8mb4 */;\n"
                       f"CREATE TABLE `{t}` (\n{body}\n"
                       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;\n"
                       "/*!40101 SET character_set_client = @saved_cs_client */;\n\n"
                       f"--\n-- Dumping data for table `{t}`\n--\n\n"
                       f"LOCK TABLES `{t}` WRITE;\n"
                       f"/*!40000 ALTER TABLE `{t}` DISABLE KEYS */;\n").encode())
        else:
            cols = ", ".join(c.split(" ", 1)[0] for c in DENSE_PG[t])
            out.write((pg_entry(t, "TABLE DATA", prefix="Data for ") +
                       f"COPY public.{t} ({cols}) FROM stdin;\n").encode())
        hdr = b"INSERT INTO `%s` VALUES " % t.encode()
        n = 0
        while out.total < end:
            rows = dense_rows(dialect, t, n + 1, 20000, pools)
            n += len(rows)
            if my:
                stmt, size_now = [], len(hdr)
                for r in rows:
                    if stmt and size_now + len(r) + 1 > NET_BUFFER_LENGTH:
                        out.write(hdr + b",".join(stmt) + b";\n")
                        stmt, size_now = [], len(hdr)
                    stmt.append(r)
                    size_now += len(r) + 1
                if stmt:
                    out.write(hdr + b",".join(stmt) + b";\n")
            else:
                out.write(b"\n".join(rows) + b"\n")
        counts[t] = n
        if my:
            out.write(my_table_post(t))
        else:
            out.write(PG_COPY_POST)
    if my:
        out.write(my_trailer())
    else:
        out.write(("--\n-- PostgreSQL database dump complete\n--\n\n" f"\\unrestrict {key}\n\n").encode())
    out.flush()
    return counts


def pg_header_dense(key):
    s = pg_header(key).split(b"--\n-- Name: customers; Type: TABLE")[0].decode()
    for t in TABLE_ORDER:
        body = ",\n".join("    " + c for c in DENSE_PG[t])
        s += (pg_entry(t, "TABLE") + f"CREATE TABLE public.{t} (\n{body}\n);\n\n\n"
              f"ALTER TABLE public.{t} OWNER TO postgres;\n\n")
    return s.encode()

# --------------------------------------------------------------------------


def parse_size(s):
    s = s.strip().upper().removesuffix("B").removesuffix("I")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if s and s[-1] in mult:
        return int(float(s[:-1]) * mult[s[-1]])
    return int(s)


def generate(out, dialect, oracle, size, seed):
    rng = random.Random(seed)
    cust, orders, events = build_tables(dialect, oracle, rng)
    tables = {"customers": cust, "event_log": events, "orders": orders}
    ends = {"customers": 0.40, "event_log": 0.70, "orders": 1.0}
    counts = {}
    if dialect == "postgres":
        key = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(63))
        out.write(pg_header(key))
        for t in TABLE_ORDER:
            tab = tables[t]
            tab.nc = counts.get("customers", 1)
            pre, post = pg_copy_pre(t), PG_COPY_POST
            end = size * ends[t]
            if t == TABLE_ORDER[-1]:
                end = size - len(pg_trailer({k: counts.get(k, 10 ** 7) for k in TABLE_ORDER}, key))
            n, _ = plan_rows(tab, end - out.total - len(pre) - len(post), 1)
            counts[t] = n
            out.write(pre)
            write_pg_rows(out, tab, n)
            out.write(post)
        out.write(pg_trailer(counts, key))
    else:
        out.write(my_header(oracle))
        trailer = my_trailer()
        hdr_len = len(f"INSERT INTO `{'x' * 9}` VALUES\n") + 2
        sep = 1 if oracle else 2
        for t in TABLE_ORDER:
            tab = tables[t]
            tab.nc = counts.get("customers", 1)
            post = my_table_post(t)
            end = size * ends[t] if t != TABLE_ORDER[-1] else size - len(trailer)
            budget = end - out.total - len(my_table_pre(t, 10 ** 6, oracle)) - len(post)
            n, _ = plan_rows(tab, budget, sep, hdr_len - sep, NET_BUFFER_LENGTH)
            counts[t] = n
            out.write(my_table_pre(t, n, oracle))
            write_mysql_rows(out, tab, n, oracle)
            out.write(post)
        out.write(trailer)
    out.flush()
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dialect", choices=["mysql", "postgres"], required=True)
    ap.add_argument("--layout", choices=["mariadb", "oracle"], default=None,
                    help="MySQL only: mariadb (one tuple per line, default) or oracle (one line per INSERT)")
    ap.add_argument("--size", required=True, help="target size, e.g. 20M, 1G, 2.5G (binary units)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=["standard", "dense"], default="standard",
                    help="dense: short rows dense with ruled values (see generate_dense)")
    ap.add_argument("-o", "--output", default="-", help="output file, or - for stdout (default)")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()
    if a.dialect == "postgres" and a.layout not in (None,):
        ap.error("--layout applies to --dialect mysql only")
    oracle = a.layout == "oracle"
    size = parse_size(a.size)
    t0 = time.perf_counter()
    f = sys.stdout.buffer if a.output == "-" else open(a.output, "wb")
    out = Out(f)
    try:
        if a.profile == "dense":
            counts = generate_dense(out, a.dialect, size, a.seed)
        else:
            counts = generate(out, a.dialect, oracle, size, a.seed)
        f.flush()
    except BrokenPipeError:
        sys.stderr.close()
        return 1
    finally:
        if f is not sys.stdout.buffer:
            f.close()
    dt = time.perf_counter() - t0
    if not a.quiet:
        print(f"gen-dump: {a.dialect}{'/' + (a.layout or 'mariadb') if a.dialect == 'mysql' else ''} "
              f"seed={a.seed} wrote {out.total} bytes (target {size}, {100.0 * (out.total - size) / size:+.3f}%) "
              f"in {dt:.1f}s ({out.total / dt / 1e6:.0f} MB/s); rows: " +
              ", ".join(f"{t}={counts[t]}" for t in TABLE_ORDER), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
