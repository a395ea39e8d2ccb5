// A door app on the JVM: the device protocol of cho-core (DoorDevice,
// through the generated Kotlin bindings and JNA) with java.net.http as its
// transport.
//
// The core builds every request and digests every answer; this program only
// carries the bytes, the way an Android app does with OkHttp. It is driven
// by tests/tests/foreign_door_life.rs, which compiles it with the generated
// bindings, starts a real cho-server and plays the owners, the beheerder and
// the operator:
//
//     java -Djna.library.path=<dir with libcho_core.so> \
//         -cp door-life.jar:jna.jar:kotlin-stdlib.jar DoorLifeKt <data dir>
//
// One command per line on stdin, fields separated by tabs; one answer line
// on stdout for each (its kind, then name=value fields, tab-separated):
//
//     status                       -> status state= version= epochs= fingerprint= device= failures=
//     enrol <link>                 -> enrolled device= area= epoch=
//     enrol_typed <url> <code> <fingerprint>
//                                  -> enrolled ...
//     sync <wait seconds>          -> updated version= kind= epoch= entries= snapshot_retry=
//                                     followed_signing_key= fetched_area_key=
//                                   | up_to_date version= | nothing_published | revoked
//                                   | retry_later failures= at=
//     check <surname> <given names> <birth date>
//                                  -> verdict verdict= until=
//     mrz <line> <line> [<line>]   -> verdict verdict= until=
//     counts                       -> counts_sent rows= | counts_dropped rows= | revoked
//                                   | counts_retry | counts_not_sent | nothing_to_send
//     quit                         -> bye
//
// A refused call answers `error <ChoException variant> <reason>`. Nothing
// personal is printed: verdicts, versions and counts only.

import java.io.IOException
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpTimeoutException
import java.time.Duration
import nl.cho.core.CheckResult
import nl.cho.core.ChoException
import nl.cho.core.CountsOutcome
import nl.cho.core.DeviceOutcome
import nl.cho.core.DeviceStep
import nl.cho.core.DoorDevice
import nl.cho.core.HttpHeader
import nl.cho.core.HttpResponse
import nl.cho.core.HttpRequest as CoreRequest
import java.net.http.HttpRequest as JavaRequest
import java.net.http.HttpResponse as JavaResponse
import kotlin.system.exitProcess

private fun now(): Long = System.currentTimeMillis() / 1000

/** Headers java.net.http sets itself and refuses from the caller. */
private val RESTRICTED = setOf("connection", "content-length", "expect", "host", "upgrade")

/** HTTP/1.1 (no h2c upgrade attempt on plain http), no redirects followed. */
private val client: HttpClient = HttpClient.newBuilder()
    .version(HttpClient.Version.HTTP_1_1)
    .followRedirects(HttpClient.Redirect.NEVER)
    .connectTimeout(Duration.ofSeconds(10))
    .build()

/** Carries one request; null when no answer came (or the body was too long). */
private fun send(request: CoreRequest): HttpResponse? {
    val body = if (request.body.isEmpty()) {
        JavaRequest.BodyPublishers.noBody()
    } else {
        JavaRequest.BodyPublishers.ofByteArray(request.body)
    }
    val builder = JavaRequest.newBuilder(URI.create(request.url))
        .timeout(Duration.ofSeconds(request.timeoutSeconds.toLong()))
        .method(request.method, body)
    for (h in request.headers) {
        if (h.name.lowercase() !in RESTRICTED) builder.header(h.name, h.value)
    }
    return try {
        val answer = client.send(builder.build(), JavaResponse.BodyHandlers.ofInputStream())
        val limit = request.maxResponseBytes.toLong()
        val bytes = answer.body().use { stream ->
            stream.readNBytes(minOf(limit + 1, Int.MAX_VALUE.toLong() - 8).toInt())
        }
        if (bytes.size > limit) return null
        val headers = answer.headers().map().flatMap { (name, values) ->
            values.map { HttpHeader(name, it) }
        }
        HttpResponse(answer.statusCode().toUShort(), headers, bytes)
    } catch (e: HttpTimeoutException) {
        null
    } catch (e: IOException) {
        null
    }
}

/** Runs one exchange to its end: the loop every app runs. */
private fun exchange(device: DoorDevice, first: CoreRequest): DeviceOutcome {
    var request = first
    while (true) {
        val response = send(request)
        val step = if (response == null) {
            device.transportFailed(now())
        } else {
            device.handleResponse(response, now())
        }
        when (step) {
            is DeviceStep.Send -> request = step.request
            is DeviceStep.Finished -> return step.outcome
        }
    }
}

private fun outcomeLine(outcome: DeviceOutcome): List<String> = when (outcome) {
    is DeviceOutcome.Enrolled -> listOf(
        "enrolled",
        "device=${outcome.deviceId}",
        "area=${outcome.areaId}",
        "epoch=${outcome.keyEpoch}",
    )
    is DeviceOutcome.Updated -> listOf(
        "updated",
        "version=${outcome.listVersion}",
        "kind=${outcome.kind.name}",
        "epoch=${outcome.keyEpoch}",
        "entries=${outcome.entries}",
        "snapshot_retry=${outcome.retriedAsSnapshot}",
        "followed_signing_key=${outcome.followedSigningKey}",
        "fetched_area_key=${outcome.fetchedAreaKey}",
    )
    is DeviceOutcome.UpToDate -> listOf("up_to_date", "version=${outcome.listVersion ?: "none"}")
    is DeviceOutcome.NothingPublished -> listOf("nothing_published")
    is DeviceOutcome.Revoked -> listOf("revoked")
    is DeviceOutcome.RetryLater -> listOf(
        "retry_later",
        "failures=${outcome.failures}",
        "at=${outcome.retryAtUnix}",
    )
}

/**
 * The door's anonymous counts (running totals per hour and verdict), sent in
 * an exchange of their own; what the server acknowledged is not sent again.
 */
private fun sendCounts(device: DoorDevice): List<String> {
    val request = device.startCounts(now()) ?: return listOf("nothing_to_send")
    val response = send(request) ?: return listOf("counts_not_sent")
    return when (val outcome = device.handleCountsResponse(response, now())) {
        is CountsOutcome.Sent -> listOf("counts_sent", "rows=${outcome.rows}")
        is CountsOutcome.Dropped -> listOf("counts_dropped", "rows=${outcome.rows}")
        is CountsOutcome.Revoked -> listOf("revoked")
        is CountsOutcome.RetryLater -> listOf("counts_retry")
    }
}

private fun verdictLine(result: CheckResult) =
    listOf("verdict", "verdict=${result.verdict.name}", "until=${result.bannedUntil ?: "none"}")

private fun statusLine(device: DoorDevice): List<String> {
    val status = device.status(now())
    return listOf(
        "status",
        "state=${status.state.name}",
        "version=${status.list.listVersion ?: "none"}",
        "epochs=${status.list.keyEpochs.joinToString(",")}",
        "fingerprint=${status.signingKeyFingerprint ?: "none"}",
        "device=${status.deviceId ?: "none"}",
        "failures=${status.failures}",
    )
}

private fun answer(words: List<String>) {
    println(words.joinToString("\t"))
    System.out.flush()
}

fun main(args: Array<String>) {
    val device = DoorDevice.open(args[0])
    while (true) {
        val line = readLine() ?: break
        val command = line.trimEnd('\r', '\n').split('\t')
        val rest = command.drop(1)
        try {
            when (command[0]) {
                "status" -> answer(statusLine(device))
                "enrol" -> answer(outcomeLine(exchange(device, device.startEnrolLink(rest[0], true))))
                "enrol_typed" ->
                    answer(outcomeLine(exchange(device, device.startEnrol(rest[0], rest[1], rest[2], true))))
                "sync" -> answer(outcomeLine(exchange(device, device.startSync(now(), rest[0].toUInt()))))
                "check" -> answer(verdictLine(device.checker().checkManual(rest[0], rest[1], rest[2], now())))
                "mrz" -> answer(verdictLine(device.checker().checkMrz(rest.joinToString("\n"), now())))
                "counts" -> answer(sendCounts(device))
                "quit" -> {
                    answer(listOf("bye"))
                    exitProcess(0)
                }
                else -> answer(listOf("error", "UnknownCommand", command[0]))
            }
        } catch (e: ChoException) {
            // The variant's name and its reason, which never holds personal
            // data (the core's rule).
            answer(listOf("error", e::class.simpleName ?: "ChoException", (e.message ?: "").replace('\t', ' ')))
        }
    }
}
