#!/usr/bin/env python3
"""Writes identity.json: identity-contract test vectors any platform can replay.

The canonical messages below are written out by hand from the rules in
IDENTITY.md, and the tokens are computed here with Python's own hmac, so the
vectors check the Rust implementation rather than repeat it.

    python3 mobile-core/tests/vectors/generate.py > mobile-core/tests/vectors/identity.json
"""
import hashlib
import hmac
import json

KEY = bytes(range(32))
CONTRACT = "CHO-ID/1"


def check_digit(s):
    total = 0
    for i, c in enumerate(s):
        v = int(c) if c.isdigit() else (ord(c) - 55 if c.isalpha() else 0)
        total += v * (7, 3, 1)[i % 3]
    return str(total % 10)


def td3(name_field, number, nationality, birth, sex, expiry, personal):
    line1 = ("P<" + nationality + name_field).ljust(44, "<")[:44]
    personal = personal.ljust(14, "<")
    body = number + check_digit(number) + nationality + birth + check_digit(birth) + sex + expiry + check_digit(expiry) + personal + check_digit(personal)
    composite = body[0:10] + body[13:20] + body[21:43]
    return line1 + "\n" + body + check_digit(composite)


def td1(name_field, number, nationality, birth, sex, expiry, optional):
    line1 = ("I<" + nationality + number + check_digit(number) + optional).ljust(30, "<")
    line2 = (birth + check_digit(birth) + sex + expiry + check_digit(expiry) + nationality).ljust(29, "<")
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    line3 = name_field.ljust(30, "<")[:30]
    return line1 + "\n" + line2 + check_digit(composite) + "\n" + line3


def token(kind, *fields, strength):
    message = "\0".join((CONTRACT, kind) + fields)
    digest = hmac.new(KEY, message.encode(), hashlib.sha256).digest()[:16]
    return {"message": message, "token_hex": digest.hex(), "strength": strength}


def full(s, g, d):
    return token("full", s, g, d, strength="banned")


def initial(s, g, d):
    return token("initial", s, g, d, strength="possible_match")


def prefix(s, d):
    return token("prefix", s, d, strength="possible_match")


cases = [
    {
        "name": "plain manual entry: full and initial, short surname has no prefix token",
        "input": {"kind": "manual", "surname": "Jansen", "given_names": "Piet", "birth_date": "1990-01-01"},
        "tokens": [full("JANSEN", "PIET", "1990-01-01"), initial("JANSEN", "P", "1990-01-01")],
    },
    {
        "name": "umlauts yield both ICAO forms (UE and U) of surname and given names",
        "input": {"kind": "manual", "surname": "Müller", "given_names": "Jürgen", "birth_date": "1985-07-15"},
        "tokens": [
            full("MUELLER", "JUERGEN", "1985-07-15"),
            full("MUELLER", "JURGEN", "1985-07-15"),
            full("MULLER", "JUERGEN", "1985-07-15"),
            full("MULLER", "JURGEN", "1985-07-15"),
            initial("MUELLER", "J", "1985-07-15"),
            initial("MULLER", "J", "1985-07-15"),
        ],
    },
    {
        "name": "apostrophes, hyphens and spaces are removed; a long surname gets a prefix token",
        "input": {"kind": "manual", "surname": "d'Ancona-van Dijk", "given_names": "Anne-Marie", "birth_date": "2000-02-29"},
        "tokens": [
            full("DANCONAVANDIJK", "ANNEMARIE", "2000-02-29"),
            initial("DANCONAVANDIJK", "A", "2000-02-29"),
            prefix("DANCONAVANDI", "2000-02-29"),
        ],
    },
    {
        "name": "a person without given names has no initial token",
        "input": {"kind": "manual", "surname": "Madonna", "given_names": "", "birth_date": "1958-08-16"},
        "tokens": [full("MADONNA", "", "1958-08-16")],
    },
    {
        "name": "ICAO passport specimen; the personal-number field is never hashed",
        "input": {
            "kind": "mrz",
            "mrz": "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
            "today": "2026-11-28",
        },
        "tokens": [full("ERIKSSON", "ANNAMARIA", "1974-08-12"), initial("ERIKSSON", "A", "1974-08-12")],
    },
    {
        "name": "Dutch passport: complete name, BSN-shaped personal number dropped",
        "input": {
            "kind": "mrz",
            "mrz": td3("VAN<DEN<BERGHE<<JOHANNES<PETRUS<MARIA", "SPECI2014", "NLD", "851224", "M", "340101", "999999990"),
            "today": "2026-11-28",
        },
        "tokens": [
            full("VANDENBERGHE", "JOHANNESPETRUSMARIA", "1985-12-24"),
            initial("VANDENBERGHE", "J", "1985-12-24"),
            prefix("VANDENBERGHE", "1985-12-24"),
        ],
    },
    {
        "name": "Dutch ID card cut the same name at 30 characters: no full token, only possible-match tokens",
        "input": {
            "kind": "mrz",
            "mrz": td1("VAN<DEN<BERGHE<<JOHANNES<PETRUS<MARIA", "SPECI2021", "NLD", "851224", "M", "310802", "999999990"),
            "today": "2026-11-28",
        },
        "tokens": [initial("VANDENBERGHE", "J", "1985-12-24"), prefix("VANDENBERGHE", "1985-12-24")],
    },
    {
        "name": "a surname the card cut off: only the surname prefix is left",
        "input": {
            "kind": "mrz",
            "mrz": td1("WOLFESCHLEGELSTEINHAUSENBERGERDORFF<<HUBERT", "SPECI2022", "D<<", "700101", "M", "300101", ""),
            "today": "2026-11-28",
        },
        "tokens": [prefix("WOLFESCHLEGE", "1970-01-01")],
    },
    {
        "name": "two-digit birth year: a year in the future belongs to the previous century",
        "input": {
            "kind": "mrz",
            "mrz": td3("JANSEN<<PIET", "SPECI2015", "NLD", "300101", "M", "300101", ""),
            "today": "2026-11-28",
        },
        "tokens": [full("JANSEN", "PIET", "1930-01-01"), initial("JANSEN", "P", "1930-01-01")],
    },
    {
        "name": "the same two digits before today's date resolve to this century",
        "input": {
            "kind": "mrz",
            "mrz": td3("JANSEN<<PIET", "SPECI2015", "NLD", "080101", "M", "300101", ""),
            "today": "2026-11-28",
        },
        "tokens": [full("JANSEN", "PIET", "2008-01-01"), initial("JANSEN", "P", "2008-01-01")],
    },
]

for case in cases:
    case["tokens"].sort(key=lambda t: t["token_hex"])

# The key check value lists carry (list format 2): HMAC-SHA256(key, "CHO-KCV/1"), first 8 bytes.
KEY_CHECK = hmac.new(KEY, b"CHO-KCV/1", hashlib.sha256).digest()[:8]
print(json.dumps({"contract": CONTRACT, "key_hex": KEY.hex(), "key_check_hex": KEY_CHECK.hex(), "cases": cases}, indent=2, ensure_ascii=False))
