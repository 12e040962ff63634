#!/usr/bin/env python3
"""Generates newline-delimited JSON events (or the same people as CSV) of
a given size, deterministic for a seed, for dumpmask's record benchmarks
and tests.

    scripts/gen-events.py --size 64M -o /tmp/events.jsonl
    scripts/gen-events.py --size 64M --format csv -o /tmp/people.csv

Each event carries what real streams carry: an e-mail, a name, a birth
date, a national id, a consent flag (a third opted out), a nested profile
with a second e-mail and a phone, numbers in several spellings, and keys
in varying order. The rules in benches/rules-events.toml and
benches/rules-export.toml rewrite them.
"""

import argparse
import json
import random
import sys

FIRST = ["Alice", "Bob", "Chloé", "Dmitri", "Eve", "Farid", "Grace", "Hiro",
         "Inès", "José", "Kai", "Lena", "Marta", "Noor", "Olu", "Pia"]
LAST = ["Smith", "Müller", "Dubois", "García", "Rossi", "Nowak", "Kim",
        "O'Brien", "Jensen", "Silva", "Ivanova", "Haddad"]
KINDS = ["page_view", "purchase", "signup", "login", "consent_change"]


def size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    s = s.strip().upper()
    return int(s[:-1]) * units[s[-1]] if s[-1] in units else int(s)


def person(rng, i):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "first": first,
        "last": last,
        "email": f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}@example.com",
        "dob": f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}",
        "ssn": f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        "phone": f"+1 ({rng.randint(200, 999)}) 555-{rng.randint(1000, 9999)}",
        "consent": 0 if rng.random() < 1 / 3 else 1,
    }


def event(rng, i):
    p = person(rng, i)
    e = {
        "id": i,
        "ts": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T0{rng.randint(0, 9)}:1{rng.randint(0, 9)}:00Z",
        "type": rng.choice(KINDS),
        "email": p["email"],
        "name": f"{p['first']} {p['last']}",
        "dob": p["dob"],
        "ssn": p["ssn"],
        "data_share_consent": p["consent"],
        "amount": rng.choice([f"{rng.randint(1, 999)}.{rng.randint(0, 99):02}", "0", "1e3", "12.50"]),
        "profile": {"contact": {"email": p["email"], "phone": p["phone"]},
                    "tags": rng.sample(["new", "vip", "eu", "us", "beta"], 2),
                    "score": rng.randint(0, 100)},
    }
    keys = list(e)
    if i % 7 == 0:
        rng.shuffle(keys)
    parts = []
    for k in keys:
        v = e[k]
        text = v if k == "amount" else json.dumps(v, ensure_ascii=(i % 5 == 0), separators=(",", ":"))
        parts.append(f"{json.dumps(k)}:{text}")
    return "{" + ",".join(parts) + "}\n"


def csv_field(v):
    s = str(v)
    if any(c in s for c in ',"\n\r') or len(s) % 5 == 0:
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_row(rng, i):
    p = person(rng, i)
    note = f"called on {p['dob']}\nsaid \"fine\"" if i % 9 == 0 else "none"
    row = [i, f"{p['first']} {p['last']}", p["email"], p["dob"], p["ssn"], p["phone"], p["consent"], note]
    return ",".join(csv_field(v) for v in row) + "\r\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="64M")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    ap.add_argument("-o", "--output", default="-")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    target = size(args.size)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8", newline="")
    written = 0
    if args.format == "csv":
        header = "id,name,email,dob,ssn,phone,data_share_consent,note\r\n"
        out.write(header)
        written += len(header)
    i = 0
    while written < target:
        line = csv_row(rng, i) if args.format == "csv" else event(rng, i)
        out.write(line)
        written += len(line.encode())
        i += 1
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
