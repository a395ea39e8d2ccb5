"""A door app in Python: the device protocol of cho-core (``DoorDevice``,
through the generated bindings) with ``http.client`` as its transport.

The core builds every request and digests every answer; this program only
carries the bytes, the way an Android or iOS app does with OkHttp or
URLSession. It is driven by tests/tests/foreign_door_life.rs, which starts a
real cho-server and plays the owners, the beheerder and the operator:

    CHO_BINDINGS_DIR=<generated cho_core.py and the cdylib> \\
        python3 tests/foreign/door_life.py <data dir>

One command per line on stdin, fields separated by tabs; one answer line on
stdout for each (its kind, then name=value fields, tab-separated):

    status                       -> status state= version= epochs= fingerprint= device= failures=
    enrol <link>                 -> enrolled device= area= epoch=
    enrol_typed <url> <code> <fingerprint>
                                 -> enrolled ...
    sync <wait seconds>          -> updated version= kind= epoch= entries= snapshot_retry=
                                    followed_signing_key= fetched_area_key=
                                  | up_to_date version= | nothing_published | revoked
                                  | retry_later failures= at=
    check <surname> <given names> <birth date>
                                 -> verdict verdict= until=
    mrz <line> <line> [<line>]   -> verdict verdict= until=
    counts                       -> counts_sent rows= | counts_dropped rows= | revoked
                                  | counts_retry | counts_not_sent | nothing_to_send
    quit                         -> bye

A refused call answers ``error <ChoError variant> <reason>``. Nothing
personal is printed: verdicts, versions and counts only.

With ``CHO_KEYSTORE=<file>`` the door enrols with ``persist = False``: the
credential and the area key stay out of the data directory, and this
program keeps them in that file instead, as an app keeps them in the
platform keystore (Android Keystore, iOS Keychain), handing them back to
the core at every start (``set_credential``, ``set_area_key(.., False)``).
"""

import base64
import http.client
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.environ["CHO_BINDINGS_DIR"])

# The path is only known at run time.
from cho_core import ChoError, DoorDevice, HttpHeader, HttpResponse  # noqa: E402


KEYSTORE = os.environ.get("CHO_KEYSTORE")


def keep_in_keystore(items):
    """Merges what the core hands over into the keystore file."""
    if items is None or KEYSTORE is None:
        return
    kept = load_keystore() or {}
    if items.credential is not None:
        kept["credential"] = items.credential
    if items.area_key is not None:
        kept["area_key"] = {
            "area_id": items.area_key.area_id,
            "key_epoch": items.area_key.key_epoch,
            "identity_key": base64.b64encode(items.area_key.identity_key).decode(),
        }
    with open(KEYSTORE, "w") as f:
        json.dump(kept, f)


def load_keystore():
    if KEYSTORE is None or not os.path.exists(KEYSTORE):
        return None
    with open(KEYSTORE) as f:
        return json.load(f)


def hand_back_keystore(device):
    """At start: what the keystore holds goes back to the core."""
    kept = load_keystore()
    if kept is None:
        return
    if "credential" in kept:
        device.set_credential(kept["credential"])
    key = kept.get("area_key")
    if key is not None:
        device.checker().set_area_key(
            key["area_id"], key["key_epoch"], base64.b64decode(key["identity_key"]), False
        )


def now():
    return int(time.time())


def send(request):
    """Carries one request with http.client; None when no answer came.

    Redirects are not followed (http.client never does), the body is read
    up to the limit the core gives, and a longer body counts as no answer.
    """
    url = urllib.parse.urlsplit(request.url)
    connection_class = (
        http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    )
    target = url.path + ("?" + url.query if url.query else "")
    connection = connection_class(url.hostname, url.port, timeout=request.timeout_seconds)
    try:
        connection.request(
            request.method,
            target,
            body=bytes(request.body) if request.body else None,
            headers={h.name: h.value for h in request.headers},
        )
        answer = connection.getresponse()
        body = answer.read(request.max_response_bytes + 1)
        if len(body) > request.max_response_bytes:
            return None
        return HttpResponse(
            status=answer.status,
            headers=[HttpHeader(name=k, value=v) for k, v in answer.getheaders()],
            body=body,
        )
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def exchange(device, request):
    """Runs one exchange to its end: the loop every app runs."""
    requests = 0
    while True:
        requests += 1
        response = send(request)
        if response is None:
            step = device.transport_failed(now())
        else:
            step = device.handle_response(response, now())
        if step.is_SEND():
            request = step.request
        else:
            keep_in_keystore(step.keystore)
            return step.outcome


def flag(value):
    return "true" if value else "false"


def outcome_line(outcome):
    if outcome.is_ENROLLED():
        return [
            "enrolled",
            f"device={outcome.device_id}",
            f"area={outcome.area_id}",
            f"epoch={outcome.key_epoch}",
        ]
    if outcome.is_UPDATED():
        return [
            "updated",
            f"version={outcome.list_version}",
            f"kind={outcome.kind.name}",
            f"epoch={outcome.key_epoch}",
            f"entries={outcome.entries}",
            f"snapshot_retry={flag(outcome.retried_as_snapshot)}",
            f"followed_signing_key={flag(outcome.followed_signing_key)}",
            f"fetched_area_key={flag(outcome.fetched_area_key)}",
        ]
    if outcome.is_UP_TO_DATE():
        version = outcome.list_version
        return ["up_to_date", f"version={'none' if version is None else version}"]
    if outcome.is_NOTHING_PUBLISHED():
        return ["nothing_published"]
    if outcome.is_REVOKED():
        return ["revoked"]
    if outcome.is_RETRY_LATER():
        return [
            "retry_later",
            f"failures={outcome.failures}",
            f"at={outcome.retry_at_unix}",
        ]
    raise AssertionError(f"unknown outcome {outcome!r}")


def send_counts(device):
    """The door's anonymous counts (running totals per hour and verdict),
    sent in an exchange of their own; what the server has acknowledged is
    not sent again."""
    request = device.start_counts(now())
    if request is None:
        return ["nothing_to_send"]
    response = send(request)
    if response is None:
        return ["counts_not_sent"]
    outcome = device.handle_counts_response(response, now())
    if outcome.is_SENT():
        return ["counts_sent", f"rows={outcome.rows}"]
    if outcome.is_DROPPED():
        return ["counts_dropped", f"rows={outcome.rows}"]
    if outcome.is_REVOKED():
        return ["revoked"]
    return ["counts_retry"]


def verdict_line(result):
    until = result.banned_until
    return ["verdict", f"verdict={result.verdict.name}", f"until={until or 'none'}"]


def status_line(device):
    status = device.status(now())
    listed = status.list
    return [
        "status",
        f"state={status.state.name}",
        f"version={'none' if listed.list_version is None else listed.list_version}",
        "epochs=" + ",".join(str(e) for e in listed.key_epochs),
        f"fingerprint={status.signing_key_fingerprint or 'none'}",
        f"device={'none' if status.device_id is None else status.device_id}",
        f"failures={status.failures}",
    ]


def answer(words):
    print("\t".join(str(w) for w in words), flush=True)


def main():
    device = DoorDevice.open(sys.argv[1])
    persist = KEYSTORE is None
    if device.status(now()).state.name == "ENROLLED":
        hand_back_keystore(device)
    for line in sys.stdin:
        command = line.rstrip("\r\n").split("\t")
        try:
            name, args = command[0], command[1:]
            if name == "status":
                answer(status_line(device))
            elif name == "enrol":
                answer(outcome_line(exchange(device, device.start_enrol_link(args[0], persist))))
            elif name == "enrol_typed":
                request = device.start_enrol(args[0], args[1], args[2], persist)
                answer(outcome_line(exchange(device, request)))
            elif name == "sync":
                request = device.start_sync(now(), int(args[0]))
                answer(outcome_line(exchange(device, request)))
            elif name == "check":
                result = device.checker().check_manual(args[0], args[1], args[2], now())
                answer(verdict_line(result))
            elif name == "mrz":
                result = device.checker().check_mrz("\n".join(args), now())
                answer(verdict_line(result))
            elif name == "counts":
                answer(send_counts(device))
            elif name == "quit":
                answer(["bye"])
                return 0
            else:
                answer(["error", "UnknownCommand", name])
        except ChoError as e:
            # The variant's name and its reason, which never holds personal
            # data (the core's rule).
            reason = getattr(e, "reason", None) or str(e)
            answer(["error", type(e).__name__, reason.replace("\t", " ")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
