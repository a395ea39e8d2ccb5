"""The cho_core API through the generated Python bindings: real FFI calls.

Run by mobile-core/tests/foreign_bindings.rs (``cargo test -p cho-core --test
foreign_bindings``), which generates the bindings, copies the cdylib beside
``cho_core.py`` and writes the fixtures (signed lists, and the tokens the Rust
core computes). By hand::

    CHO_BINDINGS_DIR=target/tmp/foreign_bindings/python/bindings \\
    CHO_FIXTURES_DIR=target/tmp/foreign_bindings/python/fixtures \\
    python3 mobile-core/tests/bindings/test_bindings.py -v

Every exported function, method, record field, enum member and error variant
is called or read here; ``ApiSurface`` fails when the API grows, so that this
file grows with it. Standard library only.
"""

import gc
import inspect
import json
import os
import sys
import tempfile
import unittest

BINDINGS_DIR = os.environ.get("CHO_BINDINGS_DIR")
FIXTURES_DIR = os.environ.get("CHO_FIXTURES_DIR")
if not BINDINGS_DIR or not FIXTURES_DIR:
    sys.exit(
        "set CHO_BINDINGS_DIR (generated cho_core.py and the cdylib) and "
        "CHO_FIXTURES_DIR (fixtures.json); see the module docstring"
    )
sys.path.insert(0, BINDINGS_DIR)

import cho_core  # noqa: E402
from cho_core import (  # noqa: E402
    CheckResult,
    ChoError,
    DoorChecker,
    IdentityToken,
    ListStatus,
    MrzDocument,
    TokenStrength,
    Verdict,
    identity_tokens,
    mrz_identity_tokens,
    parse_mrz,
)

with open(os.path.join(FIXTURES_DIR, "fixtures.json"), encoding="utf-8") as f:
    F = json.load(f)

NOW = int(F["now_unix"])
AREA = int(F["area_id"])
EPOCH = int(F["epoch"])
KEY = bytes.fromhex(F["identity_key"])
PUBLIC_KEY = bytes.fromhex(F["public_key"])
MAX_AGE = int(F["max_age_seconds"])
V1_ISSUED = int(F["v1_issued_at"])
V2_ISSUED = int(F["v2_issued_at"])


def list_file(name):
    with open(os.path.join(FIXTURES_DIR, F[name]), "rb") as f:
        return f.read()


def person(key, given_key=None):
    """(surname, given names, birth date) of a fixture person."""
    return (
        F[key + "_surname"],
        F[given_key or key + "_given"],
        F[key + "_birth"],
    )


def tokens_from_fixture(name):
    strengths = {
        "banned": TokenStrength.BANNED,
        "possible_match": TokenStrength.POSSIBLE_MATCH,
    }
    pairs = [item.split(":") for item in F[name].split()]
    return [(bytes.fromhex(h), strengths[s]) for h, s in pairs]


class ApiSurface(unittest.TestCase):
    """The exported API is exactly what this file covers."""

    def test_exports(self):
        self.assertEqual(
            set(cho_core.__all__),
            {
                "InternalError",
                "Verdict",
                "TokenStrength",
                "ChoError",
                "CheckResult",
                "IdentityToken",
                "ListStatus",
                "MrzDocument",
                "identity_tokens",
                "mrz_identity_tokens",
                "parse_mrz",
                "DoorChecker",
                "DoorCheckerProtocol",
                # The device protocol (mobile-core/src/device/).
                "DoorDevice",
                "DoorDeviceProtocol",
                "HttpHeader",
                "HttpRequest",
                "HttpResponse",
                "ListKind",
                "AreaKey",
                "KeystoreItems",
                "DeviceOutcome",
                "DeviceStep",
                "EnrolmentState",
                "DeviceStatus",
                # The door's anonymous counts, sent through DoorDevice
                # (exercised end to end by tests/foreign/{DoorLife.kt,door_life.py}).
                "CountsOutcome",
            },
            "the exported API changed: cover the change in this file and Main.kt",
        )

    def test_record_fields(self):
        expected = {
            MrzDocument: [
                "document_code",
                "issuing_state",
                "document_number",
                "surname",
                "given_names",
                "nationality",
                "birth_date",
                "expiry_date",
                "sex",
                "name_truncated",
            ],
            IdentityToken: ["token", "strength"],
            CheckResult: [
                "verdict",
                "banned_until",
                "age_years",
                "adult",
                "document_expired",
                "list_version",
                "list_age_seconds",
            ],
            ListStatus: [
                "area_id",
                "key_epochs",
                "has_list",
                "list_version",
                "key_epoch",
                "issued_at_unix",
                "list_age_seconds",
                "max_age_seconds",
                "outdated",
                "entry_count",
                "clock_behind_seconds",
                "stored_list_refused",
                "list_ahead_of_clock_seconds",
            ],
        }
        for record, fields in expected.items():
            with self.subTest(record=record.__name__):
                # The generated records take their fields as keyword arguments.
                parameters = inspect.signature(record.__init__).parameters
                self.assertEqual([p for p in parameters if p != "self"], fields)

    def test_enums(self):
        self.assertEqual(
            [v.name for v in Verdict],
            ["BANNED", "POSSIBLE_MATCH", "NOT_BANNED", "LIST_OUTDATED", "NO_LIST"],
        )
        self.assertEqual([s.name for s in TokenStrength], ["BANNED", "POSSIBLE_MATCH"])

    def test_error_variants(self):
        variants = sorted(
            name
            for name, value in vars(ChoError).items()
            if isinstance(value, type) and issubclass(value, ChoError)
        )
        self.assertEqual(
            variants,
            [
                "AreaKeyMissing",
                "BadAnswer",
                "CodeRefused",
                "CredentialMissing",
                "DeviceRevoked",
                "InsecureServer",
                "InvalidInput",
                "InvalidMrz",
                "ListRejected",
                "NotEnrolled",
                "ServerRefused",
                "SigningKeyMismatch",
                "Storage",
                "Unauthorized",
            ],
        )

    def test_door_checker_methods(self):
        methods = sorted(
            name
            for name, value in vars(DoorChecker).items()
            if callable(value) and not name.startswith("_")
        )
        self.assertEqual(
            methods,
            [
                "apply_update",
                "check_manual",
                "check_mrz",
                "set_area_key",
                "status",
                "trusted_public_key",
                "wipe",
            ],
        )


class ParseMrz(unittest.TestCase):
    def test_td3(self):
        doc = parse_mrz(F["td3"])
        self.assertIsInstance(doc, MrzDocument)
        self.assertEqual(doc.document_code, "P")
        self.assertEqual(doc.issuing_state, "UTO")
        self.assertEqual(doc.document_number, "L898902C3")
        self.assertEqual(doc.surname, "ERIKSSON")
        self.assertEqual(doc.given_names, "ANNA MARIA")
        self.assertEqual(doc.nationality, "UTO")
        self.assertEqual(doc.birth_date, "740812")
        self.assertEqual(doc.expiry_date, "120415")
        self.assertEqual(doc.sex, "F")
        self.assertIs(doc.name_truncated, False)

    def test_td1(self):
        doc = parse_mrz(F["td1"])
        self.assertEqual(
            (doc.document_code, doc.issuing_state, doc.document_number),
            ("I", "UTO", "D23145890"),
        )
        self.assertEqual((doc.surname, doc.given_names), ("ERIKSSON", "ANNA MARIA"))
        self.assertEqual((doc.birth_date, doc.expiry_date, doc.sex), ("740812", "120415", "F"))
        self.assertEqual(doc.nationality, "UTO")
        self.assertIs(doc.name_truncated, False)

    def test_ocr_noise_around_lines_is_accepted(self):
        doc = parse_mrz("  " + F["td3"].replace("\n", " \r\n  ") + "\n")
        self.assertEqual(doc.document_number, "L898902C3")

    def test_invalid_mrz(self):
        for text in ["", "nonsense", F["td3_bad_check"], F["td3"].split("\n")[0]]:
            with self.subTest(text=text[:12]):
                with self.assertRaises(ChoError.InvalidMrz) as raised:
                    parse_mrz(text)
                self.assertIsInstance(raised.exception, ChoError)
                self.assertTrue(raised.exception.reason)

    def test_reason_names_the_place_not_the_data(self):
        with self.assertRaises(ChoError.InvalidMrz) as raised:
            parse_mrz(F["td3_bad_check"])
        reason = raised.exception.reason
        self.assertIn("2", reason)  # line 2
        for personal in ["ERIKSSON", "L898902C3", "740812"]:
            self.assertNotIn(personal, reason)


class Tokens(unittest.TestCase):
    def check_tokens(self, tokens, expected):
        self.assertEqual(len(tokens), len(expected))
        for token in tokens:
            self.assertIsInstance(token, IdentityToken)
            self.assertIsInstance(token.token, bytes)
            self.assertEqual(len(token.token), 16)
            self.assertIsInstance(token.strength, TokenStrength)
        self.assertEqual([(t.token, t.strength) for t in tokens], expected)

    def test_identity_tokens_equal_the_rust_core(self):
        tokens = identity_tokens(KEY, *person("banned"))
        self.check_tokens(tokens, tokens_from_fixture("tokens_manual"))
        strengths = [t.strength for t in tokens]
        self.assertIn(TokenStrength.BANNED, strengths)
        self.assertIn(TokenStrength.POSSIBLE_MATCH, strengths)

    def test_mrz_identity_tokens_equal_the_rust_core(self):
        tokens = mrz_identity_tokens(KEY, F["td3"], F["today"])
        self.check_tokens(tokens, tokens_from_fixture("tokens_mrz"))

    def test_manual_entry_meets_the_mrz(self):
        manual = {t.token for t in identity_tokens(KEY, *person("mrz"))}
        scanned = {t.token for t in mrz_identity_tokens(KEY, F["td3"], F["today"])}
        self.assertTrue(scanned <= manual)

    def test_another_key_gives_other_tokens(self):
        ours = {t.token for t in identity_tokens(KEY, *person("banned"))}
        theirs = {t.token for t in identity_tokens(bytes(32), *person("banned"))}
        self.assertFalse(ours & theirs)

    def test_invalid_input(self):
        cases = [
            lambda: identity_tokens(KEY[:31], *person("banned")),
            lambda: identity_tokens(KEY + b"\0", *person("banned")),
            lambda: identity_tokens(KEY, "Jansen", "Piet", "1990-02-30"),
            lambda: identity_tokens(KEY, "Jansen", "Piet", "17-05-1990"),
            lambda: identity_tokens(KEY, "", "Piet", "1990-05-17"),
            lambda: identity_tokens(KEY, "Jan5en", "Piet", "1990-05-17"),
            lambda: mrz_identity_tokens(KEY[:16], F["td3"], F["today"]),
            lambda: mrz_identity_tokens(KEY, F["td3"], "28-11-2026"),
        ]
        for i, call in enumerate(cases):
            with self.subTest(case=i):
                with self.assertRaises(ChoError.InvalidInput) as raised:
                    call()
                self.assertTrue(raised.exception.reason)

    def test_invalid_mrz(self):
        with self.assertRaises(ChoError.InvalidMrz):
            mrz_identity_tokens(KEY, F["td3_bad_check"], F["today"])


class Door(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        gc.collect()
        self._tmp.cleanup()

    def open(self, data_dir=None):
        return DoorChecker(data_dir or self.dir, PUBLIC_KEY)

    def enrolled(self, persist=True):
        door = self.open()
        door.set_area_key(AREA, EPOCH, KEY, persist)
        return door

    def with_snapshot(self):
        door = self.enrolled()
        door.apply_update(list_file("snapshot_v1"), NOW)
        return door

    def assert_empty_status(self, status, area_id=None, key_epochs=()):
        self.assertIsInstance(status, ListStatus)
        self.assertEqual(status.area_id, area_id)
        self.assertEqual(status.key_epochs, list(key_epochs))
        self.assertIs(status.has_list, False)
        self.assertIsNone(status.list_version)
        self.assertIsNone(status.key_epoch)
        self.assertIsNone(status.issued_at_unix)
        self.assertIsNone(status.list_age_seconds)
        self.assertIsNone(status.max_age_seconds)
        self.assertIs(status.outdated, False)
        self.assertEqual(status.entry_count, 0)
        self.assertIsNone(status.clock_behind_seconds)
        self.assertIsNone(status.stored_list_refused)
        self.assertIsNone(status.list_ahead_of_clock_seconds)

    def test_no_list_before_sync_still_reports_age(self):
        door = self.open()
        self.assert_empty_status(door.status(NOW))
        minor = door.check_manual(*person("clear"), NOW)
        self.assertIsInstance(minor, CheckResult)
        self.assertEqual(minor.verdict, Verdict.NO_LIST)
        self.assertIsNone(minor.banned_until)
        self.assertEqual(minor.age_years, int(F["clear_age"]))
        self.assertIs(minor.adult, False)
        self.assertIsNone(minor.document_expired)
        self.assertIsNone(minor.list_version)
        self.assertIsNone(minor.list_age_seconds)
        scanned = door.check_mrz(F["td3"], NOW)
        self.assertEqual(scanned.verdict, Verdict.NO_LIST)
        self.assertEqual(scanned.age_years, int(F["mrz_age"]))
        self.assertIs(scanned.adult, True)
        self.assertIs(scanned.document_expired, True)

    def test_apply_before_the_area_key_is_refused(self):
        door = self.open()
        with self.assertRaises(ChoError.AreaKeyMissing) as raised:
            door.apply_update(list_file("snapshot_v1"), NOW)
        self.assertTrue(raised.exception.reason)
        self.assert_empty_status(door.status(NOW))

    def test_set_area_key(self):
        door = self.open()
        door.set_area_key(AREA, EPOCH, KEY, False)
        self.assert_empty_status(door.status(NOW), area_id=AREA, key_epochs=[EPOCH])
        door.set_area_key(AREA, EPOCH + 1, KEY, False)
        self.assertEqual(door.status(NOW).key_epochs, [EPOCH, EPOCH + 1])
        with self.assertRaises(ChoError.InvalidInput):
            door.set_area_key(AREA, EPOCH, KEY[:31], False)

    def test_snapshot_then_delta(self):
        door = self.enrolled()
        status = door.apply_update(list_file("snapshot_v1"), NOW)
        self.assertIsInstance(status, ListStatus)
        self.assertEqual(status.area_id, AREA)
        self.assertEqual(status.key_epochs, [EPOCH])
        self.assertIs(status.has_list, True)
        self.assertEqual(status.list_version, 1)
        self.assertEqual(status.key_epoch, EPOCH)
        self.assertEqual(status.issued_at_unix, V1_ISSUED)
        self.assertEqual(status.list_age_seconds, NOW - V1_ISSUED)
        self.assertEqual(status.max_age_seconds, MAX_AGE)
        self.assertIs(status.outdated, False)
        self.assertEqual(status.entry_count, int(F["v1_entries"]))
        self.assertIsNone(status.clock_behind_seconds)
        self.assertIsNone(status.stored_list_refused)
        self.assertIsNone(status.list_ahead_of_clock_seconds)
        self.assertEqual(door.status(NOW), status)

        banned = door.check_manual(*person("banned"), NOW)
        self.assertEqual(banned.verdict, Verdict.BANNED)
        self.assertEqual(banned.banned_until, F["banned_until"])
        self.assertEqual(banned.age_years, int(F["banned_age"]))
        self.assertIs(banned.adult, True)
        self.assertIsNone(banned.document_expired)
        self.assertEqual(banned.list_version, 1)
        self.assertEqual(banned.list_age_seconds, NOW - V1_ISSUED)

        scanned = door.check_mrz(F["td3_banned"], NOW)
        self.assertEqual(scanned.verdict, Verdict.BANNED)
        self.assertEqual(scanned.banned_until, F["banned_until"])
        self.assertIs(scanned.document_expired, False)

        possible = door.check_manual(*person("banned", "banned_given_other"), NOW)
        self.assertEqual(possible.verdict, Verdict.POSSIBLE_MATCH)
        self.assertEqual(possible.banned_until, F["banned_until"])

        for mrz in [F["td3"], F["td1"]]:
            eriksson = door.check_mrz(mrz, NOW)
            self.assertEqual(eriksson.verdict, Verdict.BANNED)
            self.assertEqual(eriksson.banned_until, F["mrz_until_v1"])
            self.assertIs(eriksson.document_expired, True)
        by_hand = door.check_manual(*person("mrz"), NOW)
        self.assertEqual(by_hand.verdict, Verdict.BANNED)

        for key in ["clear", "expired", "added"]:
            with self.subTest(person=key):
                result = door.check_manual(*person(key), NOW)
                self.assertEqual(result.verdict, Verdict.NOT_BANNED)
                self.assertIsNone(result.banned_until)
                self.assertEqual(result.list_version, 1)

        status = door.apply_update(list_file("delta_v2"), NOW)
        self.assertEqual(status.list_version, 2)
        self.assertEqual(status.issued_at_unix, V2_ISSUED)
        self.assertEqual(status.entry_count, int(F["v2_entries"]))
        self.assertEqual(
            door.check_manual(*person("banned"), NOW).verdict, Verdict.NOT_BANNED
        )
        eriksson = door.check_mrz(F["td3"], NOW)
        self.assertEqual(eriksson.verdict, Verdict.BANNED)
        self.assertEqual(eriksson.banned_until, F["mrz_until_v2"])
        for surname, given in [
            (F["added_surname"], F["added_given"]),
            (F["added_surname_plain"], F["added_given_plain"]),
        ]:
            added = door.check_manual(surname, given, F["added_birth"], NOW)
            self.assertEqual(added.verdict, Verdict.BANNED)
            self.assertEqual(added.banned_until, F["added_until"])
            self.assertEqual(added.age_years, int(F["added_age"]))
            self.assertEqual(added.list_version, 2)

        # The same delta again changes nothing; the older snapshot is a rollback.
        self.assertEqual(door.apply_update(list_file("delta_v2"), NOW), status)
        with self.assertRaises(ChoError.ListRejected):
            door.apply_update(list_file("snapshot_v1"), NOW)
        self.assertEqual(door.status(NOW).list_version, 2)

    def test_outdated_list(self):
        door = self.with_snapshot()
        later = V1_ISSUED + MAX_AGE + 1
        status = door.status(later)
        self.assertIs(status.outdated, True)
        self.assertEqual(status.list_age_seconds, MAX_AGE + 1)
        clear = door.check_manual(*person("clear"), later)
        self.assertEqual(clear.verdict, Verdict.LIST_OUTDATED)
        self.assertIsNone(clear.banned_until)
        self.assertEqual(clear.list_age_seconds, MAX_AGE + 1)
        banned = door.check_manual(*person("banned"), later)
        self.assertEqual(banned.verdict, Verdict.BANNED)
        self.assertEqual(banned.banned_until, F["banned_until"])

    def test_clock_behind_the_list(self):
        door = self.with_snapshot()
        status = door.status(V1_ISSUED - 120)
        self.assertEqual(status.clock_behind_seconds, 120)
        self.assertEqual(status.list_age_seconds, 0)
        self.assertIs(status.outdated, False)
        self.assertIsNone(door.status(V1_ISSUED - 10).clock_behind_seconds)
        # Far behind (more than 5 minutes): the list's age cannot be told.
        self.assertIs(door.status(V1_ISSUED - 301).outdated, True)

    def test_list_from_the_future_is_refused(self):
        door = self.enrolled()
        with self.assertRaises(ChoError.ListRejected):
            door.apply_update(list_file("snapshot_v1"), V1_ISSUED - 301)
        status = door.status(V1_ISSUED - 301)
        self.assertIs(status.has_list, False)
        self.assertEqual(status.list_ahead_of_clock_seconds, 301)
        status = door.apply_update(list_file("snapshot_v1"), V1_ISSUED - 300)
        self.assertIsNone(status.list_ahead_of_clock_seconds)

    def test_trusted_public_key(self):
        self.assertEqual(self.enrolled().trusted_public_key(), PUBLIC_KEY)

    def test_rejected_lists_leave_the_list_in_force(self):
        door = self.with_snapshot()
        before = door.status(NOW)
        for name in ["tampered_v1", "other_area_v1"]:
            with self.subTest(file=name):
                with self.assertRaises(ChoError.ListRejected) as raised:
                    door.apply_update(list_file(name), NOW)
                self.assertTrue(raised.exception.reason)
        with self.assertRaises(ChoError.ListRejected):
            door.apply_update(b"not a list", NOW)
        with self.assertRaises(ChoError.ListRejected):
            door.apply_update(list_file("snapshot_v1")[:-1], NOW)
        self.assertEqual(door.status(NOW), before)

    def test_delta_without_its_base_is_rejected(self):
        door = self.enrolled()
        with self.assertRaises(ChoError.ListRejected):
            door.apply_update(list_file("delta_v2"), NOW)
        self.assertIs(door.status(NOW).has_list, False)

    def test_invalid_input_through_the_door(self):
        door = self.with_snapshot()
        with self.assertRaises(ChoError.InvalidMrz):
            door.check_mrz(F["td3_bad_check"], NOW)
        with self.assertRaises(ChoError.InvalidInput):
            door.check_manual("Jansen", "Piet", "1990-13-01", NOW)
        with self.assertRaises(ChoError.InvalidInput):
            door.set_area_key(int(F["other_area_id"]), EPOCH, KEY, True)
        with self.assertRaises(ChoError.InvalidInput):
            DoorChecker(self.dir, PUBLIC_KEY[:31])

    def test_persisted_keys_and_list_survive_a_restart(self):
        door = self.with_snapshot()
        del door
        gc.collect()
        again = self.open()
        status = again.status(NOW)
        self.assertEqual((status.area_id, status.key_epochs), (AREA, [EPOCH]))
        self.assertEqual(status.list_version, 1)
        self.assertEqual(
            again.check_manual(*person("banned"), NOW).verdict, Verdict.BANNED
        )

    def test_key_kept_in_memory_only_is_asked_for_again(self):
        door = self.enrolled(persist=False)
        door.apply_update(list_file("snapshot_v1"), NOW)
        del door
        gc.collect()
        again = self.open()
        status = again.status(NOW)
        self.assertIs(status.has_list, True)
        self.assertIsNone(status.area_id)
        self.assertEqual(status.key_epochs, [])
        with self.assertRaises(ChoError.AreaKeyMissing) as raised:
            again.check_manual(*person("banned"), NOW)
        self.assertTrue(raised.exception.reason)
        again.set_area_key(AREA, EPOCH, KEY, False)
        self.assertEqual(
            again.check_manual(*person("banned"), NOW).verdict, Verdict.BANNED
        )

    def test_stored_list_that_no_longer_verifies_is_not_used(self):
        door = self.enrolled(persist=False)
        door.apply_update(list_file("snapshot_v1"), NOW)
        del door
        gc.collect()
        # The key was not persisted: damage the list.
        for name in ["list.bin"]:
            path = os.path.join(self.dir, name)
            with open(path, "r+b") as f:
                f.seek(-1, os.SEEK_END)
                last = f.read(1)
                f.seek(-1, os.SEEK_END)
                f.write(bytes([last[0] ^ 0x01]))
        again = self.open()
        status = again.status(NOW)
        self.assertIs(status.has_list, False)
        self.assertIsInstance(status.stored_list_refused, str)
        self.assertTrue(status.stored_list_refused)
        again.set_area_key(AREA, EPOCH, KEY, False)
        self.assertEqual(
            again.check_manual(*person("banned"), NOW).verdict, Verdict.NO_LIST
        )
        again.apply_update(list_file("snapshot_v1"), NOW)
        self.assertIsNone(again.status(NOW).stored_list_refused)

    def test_wipe(self):
        door = self.with_snapshot()
        self.assertIsNone(door.wipe())
        self.assert_empty_status(door.status(NOW))
        self.assertEqual(door.check_manual(*person("banned"), NOW).verdict, Verdict.NO_LIST)
        # Left: the lock, what the device has seen and the signing key it
        # trusts (they protect it from old lists), nothing about the area.
        self.assertEqual(
            sorted(os.listdir(self.dir)), ["seen.bin", "signing-keys.bin", "store.lock"]
        )
        with self.assertRaises(ChoError.AreaKeyMissing):
            door.apply_update(list_file("snapshot_v1"), NOW)
        del door
        gc.collect()
        self.assert_empty_status(self.open().status(NOW))

    def test_storage_error(self):
        not_a_dir = os.path.join(self.dir, "a-file")
        with open(not_a_dir, "wb") as f:
            f.write(b"x")
        with self.assertRaises(ChoError.Storage) as raised:
            DoorChecker(not_a_dir, PUBLIC_KEY)
        self.assertTrue(raised.exception.reason)
        with self.assertRaises(ChoError.Storage):
            DoorChecker(os.path.join(not_a_dir, "below"), PUBLIC_KEY)


class DeviceSurface(unittest.TestCase):
    """The device protocol through the bindings, without a server: the
    whole life cycle against a real server is the `foreign` programs'."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        gc.collect()
        self._tmp.cleanup()

    def test_a_new_device_is_not_enrolled(self):
        device = cho_core.DoorDevice.open(self.dir)
        status = device.status(NOW)
        self.assertEqual(status.state, cho_core.EnrolmentState.NOT_ENROLLED)
        self.assertFalse(status.list.has_list)
        with self.assertRaises(ChoError.NotEnrolled):
            device.start_sync(NOW, 60)
        with self.assertRaises(ChoError.NotEnrolled):
            device.checker().check_manual("A", "B", "2000-01-01", NOW)

    def test_enrolment_requests(self):
        device = cho_core.DoorDevice.open(self.dir)
        with self.assertRaises(ChoError.InsecureServer):
            device.start_enrol("http://cho.example.nl", "ABCD", "ABCD-EFGH-JKLM", True)
        request = device.start_enrol("https://cho.example.nl/", "abcd-ef23-gh", "ABCD-EFGH-JKLM", True)
        self.assertEqual(request.method, "POST")
        self.assertEqual(request.url, "https://cho.example.nl/api/v1/devices/enrol")
        self.assertEqual(json.loads(request.body), {"code": "ABCD-EF23-GH"})
        response = cho_core.HttpResponse(status=422, headers=[], body=b"{}")
        with self.assertRaises(ChoError.CodeRefused):
            device.handle_response(response, NOW)
        device.start_enrol("https://cho.example.nl", "ABCD", "ABCD-EFGH-JKLM", True)
        step = device.transport_failed(NOW)
        self.assertIsInstance(step, cho_core.DeviceStep.FINISHED)
        self.assertIsInstance(step.outcome, cho_core.DeviceOutcome.RETRY_LATER)
        self.assertGreater(step.outcome.retry_at_unix, NOW)


if __name__ == "__main__":
    unittest.main(verbosity=2)
