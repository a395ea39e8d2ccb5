// The cho_core API through the generated Kotlin bindings (JNA): real FFI
// calls. Run by mobile-core/tests/foreign_bindings.rs, which generates the
// bindings (package nl.cho.core), compiles them with this file and runs
//
//     java -Djna.library.path=<dir with libcho_core.so> -cp main.jar:jna.jar:kotlin-stdlib.jar \
//         MainKt <fixtures dir>
//
// Every exported function, method and error variant is called here, and
// every record field read. Exits 1 when a check fails.

import java.io.File
import java.nio.file.Files
import java.util.Properties
import kotlin.system.exitProcess
import nl.cho.core.CheckResult
import nl.cho.core.ChoException
import nl.cho.core.DoorChecker
import nl.cho.core.IdentityToken
import nl.cho.core.ListStatus
import nl.cho.core.MrzDocument
import nl.cho.core.TokenStrength
import nl.cho.core.Verdict
import nl.cho.core.identityTokens
import nl.cho.core.mrzIdentityTokens
import nl.cho.core.parseMrz

private var passed = 0
private val failures = mutableListOf<String>()

private fun check(condition: Boolean, what: String) {
    if (condition) passed++ else failures.add(what)
}

private fun <T> checkEq(actual: T, expected: T, what: String) =
    check(actual == expected, "$what: expected <$expected>, got <$actual>")

/** Runs [block], which must throw the ChoException variant [E]. */
private inline fun <reified E : ChoException> checkThrows(what: String, block: () -> Unit) {
    try {
        block()
        failures.add("$what: no ${E::class.simpleName} thrown")
    } catch (e: ChoException) {
        val reason = when (e) {
            is ChoException.InvalidMrz -> e.reason
            is ChoException.InvalidInput -> e.reason
            is ChoException.ListRejected -> e.reason
            is ChoException.AreaKeyMissing -> e.reason
            is ChoException.Storage -> e.reason
            is ChoException.NotEnrolled -> e.reason
            is ChoException.DeviceRevoked -> e.reason
            is ChoException.CredentialMissing -> e.reason
            is ChoException.InsecureServer -> e.reason
            is ChoException.SigningKeyMismatch -> e.reason
            is ChoException.CodeRefused -> e.reason
            is ChoException.Unauthorized -> e.reason
            is ChoException.ServerRefused -> e.reason
            is ChoException.BadAnswer -> e.reason
        }
        check(e is E && reason.isNotEmpty(), "$what: expected ${E::class.simpleName}, got $e")
    }
}

private fun hex(bytes: ByteArray) = bytes.joinToString("") { "%02x".format(it) }

private fun unhex(text: String) = ByteArray(text.length / 2) { i ->
    text.substring(2 * i, 2 * i + 2).toInt(16).toByte()
}

private fun strengthName(s: TokenStrength) = when (s) {
    TokenStrength.BANNED -> "banned"
    TokenStrength.POSSIBLE_MATCH -> "possible_match"
}

private fun tokenList(tokens: List<IdentityToken>) =
    tokens.joinToString(" ") { "${hex(it.token)}:${strengthName(it.strength)}" }

fun main(args: Array<String>) {
    val dir = File(args.getOrNull(0) ?: run {
        System.err.println("usage: MainKt <fixtures dir>")
        exitProcess(2)
    })
    val f = Properties()
    File(dir, "fixtures.properties").inputStream().use { f.load(it) }
    fun s(key: String): String = f.getProperty(key) ?: error("fixture $key missing")
    fun file(key: String): ByteArray = File(dir, s(key)).readBytes()

    val now = s("now_unix").toLong()
    val area = s("area_id").toULong()
    val epoch = s("epoch").toUInt()
    val key = unhex(s("identity_key"))
    val publicKey = unhex(s("public_key"))
    val maxAge = s("max_age_seconds").toLong()
    val v1Issued = s("v1_issued_at").toLong()
    val v2Issued = s("v2_issued_at").toLong()

    // parseMrz: every field of MrzDocument, TD3 and TD1, and InvalidMrz.
    val td3: MrzDocument = parseMrz(s("td3"))
    checkEq(td3.documentCode, "P", "td3 documentCode")
    checkEq(td3.issuingState, "UTO", "td3 issuingState")
    checkEq(td3.documentNumber, "L898902C3", "td3 documentNumber")
    checkEq(td3.surname, "ERIKSSON", "td3 surname")
    checkEq(td3.givenNames, "ANNA MARIA", "td3 givenNames")
    checkEq(td3.nationality, "UTO", "td3 nationality")
    checkEq(td3.birthDate, "740812", "td3 birthDate")
    checkEq(td3.expiryDate, "120415", "td3 expiryDate")
    checkEq(td3.sex, "F", "td3 sex")
    checkEq(td3.nameTruncated, false, "td3 nameTruncated")
    val td1 = parseMrz(s("td1"))
    checkEq(td1.documentCode to td1.documentNumber, "I" to "D23145890", "td1 document")
    checkEq(td1.givenNames, "ANNA MARIA", "td1 givenNames")
    checkThrows<ChoException.InvalidMrz>("parseMrz bad check digit") { parseMrz(s("td3_bad_check")) }
    checkThrows<ChoException.InvalidMrz>("parseMrz nonsense") { parseMrz("nonsense") }

    // identityTokens / mrzIdentityTokens: the Rust core's tokens, and InvalidInput.
    val manualTokens = identityTokens(key, s("banned_surname"), s("banned_given"), s("banned_birth"))
    check(manualTokens.all { it.token.size == 16 }, "identityTokens: 16-byte tokens")
    checkEq(tokenList(manualTokens), s("tokens_manual"), "identityTokens equal the Rust core's")
    val mrzTokens = mrzIdentityTokens(key, s("td3"), s("today"))
    checkEq(tokenList(mrzTokens), s("tokens_mrz"), "mrzIdentityTokens equal the Rust core's")
    checkThrows<ChoException.InvalidInput>("identityTokens short key") {
        identityTokens(key.copyOf(31), "Jansen", "Piet", "1990-05-17")
    }
    checkThrows<ChoException.InvalidInput>("identityTokens bad date") {
        identityTokens(key, "Jansen", "Piet", "1990-02-30")
    }
    checkThrows<ChoException.InvalidInput>("mrzIdentityTokens bad today") {
        mrzIdentityTokens(key, s("td3"), "yesterday")
    }
    checkThrows<ChoException.InvalidMrz>("mrzIdentityTokens bad MRZ") {
        mrzIdentityTokens(key, s("td3_bad_check"), s("today"))
    }

    val data = Files.createTempDirectory("cho-kotlin").toFile()
    try {
        // Storage and InvalidInput from the constructor.
        val notADir = File(data, "a-file").apply { writeText("x") }
        checkThrows<ChoException.Storage>("DoorChecker on a regular file") {
            DoorChecker(notADir.path, publicKey).close()
        }
        checkThrows<ChoException.InvalidInput>("DoorChecker short public key") {
            DoorChecker(File(data, "short").path, publicKey.copyOf(31)).close()
        }

        val doorDir = File(data, "door").path
        DoorChecker(doorDir, publicKey).use { door ->
            // No list yet: NoList, with age and adulthood.
            val empty: ListStatus = door.status(now)
            checkEq(empty.hasList, false, "status before sync hasList")
            checkEq(empty.areaId, null, "status before sync areaId")
            checkEq(empty.entryCount, 0UL, "status before sync entryCount")
            val minor: CheckResult = door.checkManual(s("clear_surname"), s("clear_given"), s("clear_birth"), now)
            checkEq(minor.verdict, Verdict.NO_LIST, "check before sync")
            checkEq(minor.ageYears, s("clear_age").toUInt(), "minor ageYears")
            checkEq(minor.adult, false, "minor adult")
            checkEq(minor.documentExpired, null, "manual documentExpired")
            checkEq(minor.listVersion, null, "no list listVersion")
            checkEq(minor.bannedUntil, null, "no list bannedUntil")
            checkEq(minor.listAgeSeconds, null, "no list listAgeSeconds")
            val scanned = door.checkMrz(s("td3"), now)
            checkEq(scanned.verdict, Verdict.NO_LIST, "checkMrz before sync")
            checkEq(scanned.adult, true, "td3 adult")
            checkEq(scanned.documentExpired, true, "td3 documentExpired")

            // AreaKeyMissing before the key, then setAreaKey.
            checkThrows<ChoException.AreaKeyMissing>("applyUpdate before setAreaKey") {
                door.applyUpdate(file("snapshot_v1"), now)
            }
            door.setAreaKey(area, epoch, key, true)
            checkEq(door.status(now).keyEpochs, listOf(epoch), "keyEpochs after setAreaKey")

            // The snapshot: every ListStatus field.
            val v1 = door.applyUpdate(file("snapshot_v1"), now)
            checkEq(v1.areaId, area, "v1 areaId")
            checkEq(v1.keyEpochs, listOf(epoch), "v1 keyEpochs")
            checkEq(v1.hasList, true, "v1 hasList")
            checkEq(v1.listVersion, 1UL, "v1 listVersion")
            checkEq(v1.keyEpoch, epoch, "v1 keyEpoch")
            checkEq(v1.issuedAtUnix, v1Issued, "v1 issuedAtUnix")
            checkEq(v1.listAgeSeconds, (now - v1Issued).toULong(), "v1 listAgeSeconds")
            checkEq(v1.maxAgeSeconds, maxAge.toUInt(), "v1 maxAgeSeconds")
            checkEq(v1.outdated, false, "v1 outdated")
            checkEq(v1.entryCount, s("v1_entries").toULong(), "v1 entryCount")
            checkEq(v1.clockBehindSeconds, null, "v1 clockBehindSeconds")
            checkEq(v1.storedListRefused, null, "v1 storedListRefused")
            checkEq(v1.listAheadOfClockSeconds, null, "v1 listAheadOfClockSeconds")
            checkEq(door.trustedPublicKey().toList(), publicKey.toList(), "trustedPublicKey")
            checkEq(door.status(v1Issued - 120).clockBehindSeconds, 120UL, "clockBehindSeconds")

            // Verdicts: Banned, PossibleMatch, NotBanned, ListOutdated.
            val banned = door.checkManual(s("banned_surname"), s("banned_given"), s("banned_birth"), now)
            checkEq(banned.verdict, Verdict.BANNED, "banned verdict")
            checkEq(banned.bannedUntil, s("banned_until"), "banned bannedUntil")
            checkEq(banned.ageYears, s("banned_age").toUInt(), "banned ageYears")
            checkEq(banned.listVersion, 1UL, "banned listVersion")
            checkEq(banned.listAgeSeconds, (now - v1Issued).toULong(), "banned listAgeSeconds")
            val bannedScan = door.checkMrz(s("td3_banned"), now)
            checkEq(bannedScan.verdict, Verdict.BANNED, "banned checkMrz verdict")
            checkEq(bannedScan.documentExpired, false, "banned passport documentExpired")
            val eriksson = door.checkMrz(s("td1"), now)
            checkEq(eriksson.verdict, Verdict.BANNED, "td1 verdict")
            checkEq(eriksson.bannedUntil, s("mrz_until_v1"), "td1 bannedUntil")
            val possible = door.checkManual(s("banned_surname"), s("banned_given_other"), s("banned_birth"), now)
            checkEq(possible.verdict, Verdict.POSSIBLE_MATCH, "possible match verdict")
            checkEq(possible.bannedUntil, s("banned_until"), "possible match bannedUntil")
            for (p in listOf("clear", "expired", "added")) {
                val r = door.checkManual(s("${p}_surname"), s("${p}_given"), s("${p}_birth"), now)
                checkEq(r.verdict, Verdict.NOT_BANNED, "$p verdict on v1")
            }
            val later = v1Issued + maxAge + 1
            checkEq(door.status(later).outdated, true, "status outdated")
            checkEq(
                door.checkManual(s("clear_surname"), s("clear_given"), s("clear_birth"), later).verdict,
                Verdict.LIST_OUTDATED,
                "outdated list verdict",
            )

            // ListRejected: tampered, other area; the list in force stays.
            checkThrows<ChoException.ListRejected>("tampered list") { door.applyUpdate(file("tampered_v1"), now) }
            checkThrows<ChoException.ListRejected>("other area list") { door.applyUpdate(file("other_area_v1"), now) }
            checkEq(door.status(now), v1, "status after rejected lists")

            // The delta.
            val v2 = door.applyUpdate(file("delta_v2"), now)
            checkEq(v2.listVersion, 2UL, "v2 listVersion")
            checkEq(v2.issuedAtUnix, v2Issued, "v2 issuedAtUnix")
            checkEq(v2.entryCount, s("v2_entries").toULong(), "v2 entryCount")
            checkEq(
                door.checkManual(s("banned_surname"), s("banned_given"), s("banned_birth"), now).verdict,
                Verdict.NOT_BANNED,
                "lifted ban on v2",
            )
            val added = door.checkManual(s("added_surname"), s("added_given"), s("added_birth"), now)
            checkEq(added.verdict, Verdict.BANNED, "added (diacritics) verdict on v2")
            checkEq(added.bannedUntil, s("added_until"), "added bannedUntil")
            checkEq(door.checkMrz(s("td3"), now).bannedUntil, s("mrz_until_v2"), "extended ban")
            checkThrows<ChoException.ListRejected>("rollback to v1") { door.applyUpdate(file("snapshot_v1"), now) }

            // InvalidMrz and InvalidInput through the door.
            checkThrows<ChoException.InvalidMrz>("checkMrz bad check digit") { door.checkMrz(s("td3_bad_check"), now) }
            checkThrows<ChoException.InvalidInput>("checkManual bad date") {
                door.checkManual("Jansen", "Piet", "1990-13-01", now)
            }

            // wipe.
            door.wipe()
            val wiped = door.status(now)
            checkEq(wiped.hasList to wiped.areaId, false to null, "status after wipe")
            checkEq(
                door.checkManual(s("banned_surname"), s("banned_given"), s("banned_birth"), now).verdict,
                Verdict.NO_LIST,
                "check after wipe",
            )
        }
    } finally {
        data.deleteRecursively()
    }

    if (failures.isEmpty()) {
        println("Kotlin bindings: all $passed checks passed")
    } else {
        failures.forEach { System.err.println("FAILED: $it") }
        System.err.println("Kotlin bindings: ${failures.size} of ${passed + failures.size} checks failed")
        exitProcess(1)
    }
}
