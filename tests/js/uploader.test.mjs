import assert from "node:assert/strict"
import { afterEach, describe, test } from "node:test"

import {
  AUTO_RETRIES,
  apiErrorMessage,
  apiHeaders,
  backoffDelay,
  checkFile,
  createQueue,
  fillUrl,
  formatSize,
  gettext,
  interpolate,
  isAcceptedType,
  isFormsetTemplate,
  isRetryable,
  maxCountMessage,
  ngettext,
  oneFileMessage,
  parseAccept,
  parseIds,
  parseS3Error,
  renamePrefixed,
  readCookie,
  retryRefusedMessage,
  reviewNote,
  s3ErrorMessage,
  serializeIds,
  sha256Base64,
  thumbnailSource,
  toBase64,
  typeNames,
  waitMessage,
} from "../../uploads/static/uploads/uploader.js"

const MB = 2 ** 20

function s3Error(code, message, extra = "") {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>4442587FB7D0A2F9</RequestId><HostId>eW91IGZvdW5kIGl0</HostId></Error>`
}

function deferred() {
  let resolve
  let reject
  const promise = new Promise((yes, no) => {
    resolve = yes
    reject = no
  })
  return { promise, resolve, reject }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe("parseS3Error", () => {
  test("reads the code and message of EntityTooLarge", () => {
    const xml = s3Error(
      "EntityTooLarge",
      "Your proposed upload exceeds the maximum allowed size",
      "<ProposedSize>12995342</ProposedSize><MaxSizeAllowed>1258291</MaxSizeAllowed>",
    )
    assert.deepEqual(parseS3Error(xml), {
      code: "EntityTooLarge",
      message: "Your proposed upload exceeds the maximum allowed size",
    })
  })

  test("reads an expired policy as AccessDenied with its message", () => {
    const xml = s3Error("AccessDenied", "Invalid according to Policy: Policy expired.")
    assert.deepEqual(parseS3Error(xml), {
      code: "AccessDenied",
      message: "Invalid according to Policy: Policy expired.",
    })
  })

  test("unescapes XML entities in a failed policy condition", () => {
    const xml = s3Error(
      "AccessDenied",
      "Invalid according to Policy: Policy Condition failed: [&quot;eq&quot;, &quot;$Content-Type&quot;, &quot;image/png&quot;]",
    )
    assert.deepEqual(parseS3Error(xml), {
      code: "AccessDenied",
      message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]',
    })
  })

  test("reads a body spread over several lines", () => {
    const xml = "<Error>\n  <Code>SlowDown</Code>\n  <Message>Please reduce your\n request rate.</Message>\n</Error>"
    assert.deepEqual(parseS3Error(xml), { code: "SlowDown", message: "Please reduce your\n request rate." })
  })

  test("returns empty strings for an empty body", () => {
    assert.deepEqual(parseS3Error(""), { code: "", message: "" })
  })

  test("returns empty strings for HTML from a proxy", () => {
    assert.deepEqual(parseS3Error("<html><body><h1>502 Bad Gateway</h1></body></html>"), { code: "", message: "" })
  })

  test("returns empty strings for garbage and non-strings", () => {
    assert.deepEqual(parseS3Error("<Error><Code>unterminated"), { code: "", message: "" })
    assert.deepEqual(parseS3Error(null), { code: "", message: "" })
    assert.deepEqual(parseS3Error(undefined), { code: "", message: "" })
  })

  test("leaves an out-of-range character reference as it is", () => {
    assert.deepEqual(parseS3Error("<Code>Odd</Code><Message>a &#99999999; b</Message>"), {
      code: "Odd",
      message: "a &#99999999; b",
    })
  })
})

describe("s3ErrorMessage", () => {
  const limits = { maxSize: 10 * MB, size: 1.2 * MB }

  test("status 0 is a network or CORS failure, whatever the body", () => {
    assert.equal(
      s3ErrorMessage({ status: 0, code: "", message: "" }, limits),
      "Could not reach the file storage. Check your connection and try again.",
    )
  })

  test("EntityTooLarge says what size the upload was signed for and the limit", () => {
    assert.equal(
      s3ErrorMessage({ status: 400, code: "EntityTooLarge", message: "" }, limits),
      "File is too large: the upload was signed for 1.2 MB; the limit is 10 MB.",
    )
  })

  test("EntityTooLarge without known sizes still says the file is too large", () => {
    assert.equal(
      s3ErrorMessage({ status: 400, code: "EntityTooLarge" }),
      "File is too large: the upload was not signed for this size.",
    )
  })

  test("EntityTooLarge names whichever size it knows", () => {
    assert.equal(
      s3ErrorMessage({ status: 400, code: "EntityTooLarge" }, { size: 1.2 * MB }),
      "File is too large: the upload was signed for 1.2 MB.",
    )
    assert.equal(
      s3ErrorMessage({ status: 400, code: "EntityTooLarge" }, { maxSize: 10 * MB }),
      "File is too large: the upload was not signed for this size; the limit is 10 MB.",
    )
  })

  test("EntityTooSmall says what size the upload was signed for", () => {
    assert.equal(
      s3ErrorMessage({ status: 400, code: "EntityTooSmall", message: "" }, limits),
      "File is too small: the upload was signed for 1.2 MB. Pick the file again.",
    )
    assert.equal(
      s3ErrorMessage({ status: 400, code: "EntityTooSmall" }),
      "File is too small for this upload. Pick the file again.",
    )
  })

  test("an expired policy tells the user that Retry gets a new one", () => {
    const failure = { status: 403, code: "AccessDenied", message: "Invalid according to Policy: Policy expired." }
    assert.equal(
      s3ErrorMessage(failure, limits),
      "The upload permission expired before the file was sent. Retry to get a new one.",
    )
  })

  test("a failed policy condition is a refusal by the storage", () => {
    const failure = {
      status: 403,
      code: "AccessDenied",
      message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]',
    }
    assert.equal(
      s3ErrorMessage(failure, limits),
      "The storage refused the upload: it does not match what the server allowed.",
    )
  })

  test("any other AccessDenied is a refusal by the storage", () => {
    assert.equal(
      s3ErrorMessage({ status: 403, code: "AccessDenied", message: "Access Denied" }, limits),
      "The storage refused the upload (access denied).",
    )
  })

  test("each other mapped code has its own sentence", () => {
    const expected = {
      SignatureDoesNotMatch: [403, "The storage rejected the upload signature. The server's storage settings need fixing."],
      RequestTimeout: [400, "The upload was too slow and the storage stopped waiting. Try again."],
      SlowDown: [503, "The storage is busy. Try again in a moment."],
      InternalError: [500, "The storage had an internal error. Try again."],
      ServiceUnavailable: [503, "The storage is unavailable right now. Try again in a moment."],
      NoSuchBucket: [404, "The storage bucket does not exist. The server's storage settings need fixing."],
    }
    for (const [code, [status, sentence]] of Object.entries(expected)) {
      assert.equal(s3ErrorMessage({ status, code, message: "whatever S3 said" }, limits), sentence, code)
    }
  })

  test("an unknown code is named with its HTTP status", () => {
    assert.equal(
      s3ErrorMessage({ status: 400, code: "InvalidArgument", message: "Bucket POST must contain a field named 'key'." }),
      "The storage refused the upload: InvalidArgument (HTTP 400).",
    )
  })

  test("a reply without a code names the HTTP status", () => {
    assert.equal(
      s3ErrorMessage({ status: 502, code: "", message: "" }),
      "The storage answered HTTP 502 without an error code.",
    )
  })
})

describe("apiErrorMessage", () => {
  test("shows the server's message verbatim", () => {
    const json = { error: { code: "too_large", message: "File is 12.4 MB; the limit is 10 MB.", field: "size" } }
    assert.equal(apiErrorMessage(413, json), "File is 12.4 MB; the limit is 10 MB.")
  })

  test("shows a verification failure verbatim", () => {
    const json = {
      error: {
        code: "verification_failed",
        message: "The file is not a PNG image: its contents show it is a JPEG image.",
        field: null,
      },
    }
    assert.equal(apiErrorMessage(422, json), "The file is not a PNG image: its contents show it is a JPEG image.")
  })

  test("status 0 without JSON is an unreachable server", () => {
    assert.equal(apiErrorMessage(0, null), "Could not reach the server. Check your connection and try again.")
  })

  test("a 5xx without JSON asks to try again", () => {
    assert.equal(apiErrorMessage(502, null), "The server had a problem (HTTP 502). Try again in a moment.")
  })

  test("a 4xx without a usable message names the status", () => {
    assert.equal(apiErrorMessage(403, null), "Unexpected reply from the server (HTTP 403).")
    assert.equal(apiErrorMessage(400, { detail: "not our shape" }), "Unexpected reply from the server (HTTP 400).")
    assert.equal(apiErrorMessage(400, { error: { code: "invalid", message: "  " } }), "Unexpected reply from the server (HTTP 400).")
  })
})

describe("isRetryable", () => {
  test("network failures, 5xx and 409 object_missing are retryable", () => {
    assert.equal(isRetryable({ status: 0, code: "network_error" }), true)
    assert.equal(isRetryable({ status: 500, code: "server_error" }), true)
    assert.equal(isRetryable({ status: 503, code: "storage_unavailable" }), true)
    assert.equal(isRetryable({ status: 502, code: "" }), true)
    assert.equal(isRetryable({ status: 409, code: "object_missing" }), true)
  })

  test("an expired policy is retryable because a retry signs a new one", () => {
    const failure = { status: 403, code: "AccessDenied", message: "Invalid according to Policy: Policy expired." }
    assert.equal(isRetryable(failure), true)
  })

  test("S3's transient codes are retryable", () => {
    assert.equal(isRetryable({ status: 400, code: "RequestTimeout" }), true)
    assert.equal(isRetryable({ status: 503, code: "SlowDown" }), true)
    assert.equal(isRetryable({ status: 500, code: "InternalError" }), true)
    assert.equal(isRetryable({ status: 503, code: "ServiceUnavailable" }), true)
  })

  test("refusals that a retry would repeat are not retryable", () => {
    assert.equal(isRetryable({ status: 413, code: "too_large" }), false)
    assert.equal(isRetryable({ status: 415, code: "unsupported_type" }), false)
    assert.equal(isRetryable({ status: 422, code: "verification_failed" }), false)
    assert.equal(isRetryable({ status: 400, code: "invalid" }), false)
    assert.equal(isRetryable({ status: 403, code: "csrf_failed" }), false)
    assert.equal(isRetryable({ status: 404, code: "not_found" }), false)
    assert.equal(isRetryable({ status: 400, code: "EntityTooLarge" }), false)
    assert.equal(isRetryable({ status: 400, code: "EntityTooSmall" }), false)
    assert.equal(isRetryable({ status: 403, code: "SignatureDoesNotMatch" }), false)
    assert.equal(isRetryable({ status: 404, code: "NoSuchBucket" }), false)
  })

  test("AccessDenied for anything but an expired policy is not retryable", () => {
    assert.equal(isRetryable({ status: 403, code: "AccessDenied", message: "Access Denied" }), false)
    assert.equal(
      isRetryable({ status: 403, code: "AccessDenied", message: "Invalid according to Policy: Policy Condition failed" }),
      false,
    )
  })
})

describe("formatSize", () => {
  test("uses 1 MB = 1,048,576 bytes with one decimal", () => {
    assert.equal(formatSize(13_002_342), "12.4 MB")
    assert.equal(formatSize(1.2 * MB), "1.2 MB")
  })

  test("drops a trailing .0", () => {
    assert.equal(formatSize(10 * MB), "10 MB")
    assert.equal(formatSize(532 * 1024), "532 KB")
    assert.equal(formatSize(2 ** 30), "1 GB")
  })

  test("counts small files in bytes", () => {
    assert.equal(formatSize(17), "17 bytes")
    assert.equal(formatSize(1), "1 byte")
    assert.equal(formatSize(0), "0 bytes")
    assert.equal(formatSize(1023), "1023 bytes")
  })

  test("rounds an exact half to even, like the server", () => {
    assert.equal(formatSize(1.25 * MB), "1.2 MB")
    assert.equal(formatSize(1.75 * MB), "1.8 MB")
  })
})

describe("createQueue", () => {
  test("never runs more than its limit at once", async () => {
    const queue = createQueue(2)
    let running = 0
    let most = 0
    const gates = Array.from({ length: 5 }, deferred)
    const results = gates.map((gate, index) =>
      queue.run(async () => {
        running += 1
        most = Math.max(most, running)
        await gate.promise
        running -= 1
        return index
      }),
    )
    await tick()
    assert.equal(queue.running, 2)
    assert.equal(queue.waiting, 3)
    for (const gate of gates) {
      gate.resolve()
      await tick()
    }
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4])
    assert.equal(most, 2)
    assert.equal(queue.running, 0)
  })

  test("starts waiting tasks in the order they were added", async () => {
    const queue = createQueue(1)
    const started = []
    const gates = Array.from({ length: 4 }, deferred)
    const results = gates.map((gate, index) =>
      queue.run(() => {
        started.push(index)
        return gate.promise
      }),
    )
    // Finish them out of order: the next one to start must still be the oldest waiting.
    for (const index of [0, 1, 2, 3]) {
      await tick()
      gates[3 - index].resolve()
      gates[index].resolve()
    }
    await Promise.all(results)
    assert.deepEqual(started, [0, 1, 2, 3])
  })

  test("a task cancelled while waiting never starts and rejects with an AbortError", async () => {
    const queue = createQueue(1)
    const gate = deferred()
    const started = []
    const first = queue.run(() => {
      started.push("first")
      return gate.promise
    })
    const controller = new AbortController()
    const second = queue.run(() => started.push("second"), { signal: controller.signal })
    const third = queue.run(() => started.push("third"))
    await tick()
    controller.abort()
    await assert.rejects(second, { name: "AbortError" })
    assert.equal(queue.waiting, 1)
    gate.resolve()
    await Promise.all([first, third])
    assert.deepEqual(started, ["first", "third"])
  })

  test("a task whose signal is already aborted never starts", async () => {
    const queue = createQueue(1)
    let ran = false
    await assert.rejects(
      queue.run(() => (ran = true), { signal: AbortSignal.abort() }),
      { name: "AbortError" },
    )
    assert.equal(ran, false)
  })

  test("a failing task rejects and frees its place for the next", async () => {
    const queue = createQueue(1)
    const failing = queue.run(async () => {
      throw new Error("boom")
    })
    const next = queue.run(async () => "next ran")
    await assert.rejects(failing, { message: "boom" })
    assert.equal(await next, "next ran")
  })
})

describe("fillUrl", () => {
  test("puts the id where {id} is", () => {
    const id = "6f1c2b0e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"
    assert.equal(fillUrl("/uploads/api/uploads/{id}/", id), `/uploads/api/uploads/${id}/`)
    assert.equal(fillUrl("/uploads/api/uploads/{id}/complete/", id), `/uploads/api/uploads/${id}/complete/`)
  })

  test("escapes an id that is not URL-safe", () => {
    assert.equal(fillUrl("/u/{id}/", "a/b?c"), "/u/a%2Fb%3Fc/")
  })
})

describe("apiHeaders", () => {
  test("every call that changes something says it sends JSON, even without a body", () => {
    const json = { Accept: "application/json", "X-CSRFToken": "t0k", "Content-Type": "application/json" }
    assert.deepEqual(apiHeaders("POST", "t0k"), json)
    assert.deepEqual(apiHeaders("DELETE", "t0k"), json)
  })

  test("a read sends no content type", () => {
    assert.deepEqual(apiHeaders("GET", "t0k"), { Accept: "application/json", "X-CSRFToken": "t0k" })
  })
})

describe("automatic retries", () => {
  test("wait 1 s, 2 s, 4 s, then never more than 8 s", () => {
    assert.deepEqual([0, 1, 2, 3, 4].map(backoffDelay), [1000, 2000, 4000, 8000, 8000])
  })

  test("stop after three, leaving the file to the user's Retry", () => {
    assert.equal(AUTO_RETRIES, 3)
  })
})

describe("the file's digest", () => {
  test("is the SHA-256 of its bytes in base64, as S3 writes it", async () => {
    assert.equal(await sha256Base64(new Blob(["hello"])), "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
  })

  test("encodes bytes to base64", () => {
    assert.equal(toBase64(new Uint8Array([0, 255, 16]).buffer), "AP8Q")
  })
})

// Stands in for what Django's JavaScriptCatalog view defines: a catalogue of msgid → translation
// (a [singular, plural] pair for plurals), with the same gettext/ngettext/interpolate signatures.
function installCatalogue(catalogue) {
  const calls = []
  globalThis.django = {
    gettext(msgid) {
      const value = catalogue[msgid]
      return typeof value === "string" ? value : msgid
    },
    ngettext(singular, plural, count) {
      const value = catalogue[singular]
      if (Array.isArray(value)) return value[count === 1 ? 0 : 1]
      return count === 1 ? singular : plural
    },
    interpolate(format, values, named) {
      calls.push({ format, values, named })
      if (named) return format.replace(/%\(\s*([^)]*)\s*\)s/g, (match) => String(values[match.slice(2, -2)]))
      return format.replace(/%s/g, () => String(values.shift()))
    },
  }
  return calls
}

describe("translation", () => {
  afterEach(() => {
    delete globalThis.django
  })

  test("without Django's catalogue, texts stay English", () => {
    assert.equal(gettext("Move up"), "Move up")
    assert.equal(ngettext("%(count)s byte", "%(count)s bytes", 1), "%(count)s byte")
    assert.equal(ngettext("%(count)s byte", "%(count)s bytes", 0), "%(count)s bytes")
    assert.equal(interpolate("%(name)s is %(size)s", { name: "a.jpg", size: "1 MB" }), "a.jpg is 1 MB")
  })

  test("without the catalogue, a placeholder with no value is left for someone to notice", () => {
    assert.equal(interpolate("%(name)s, %(missing)s", { name: "a.jpg" }), "a.jpg, %(missing)s")
  })

  test("a django object without the catalogue's functions is ignored", () => {
    globalThis.django = {}
    assert.equal(waitMessage(2), "Wait for 2 images to finish uploading, then save.")
  })

  test("with the catalogue, a sentence comes out translated, its placeholders reordered and filled", () => {
    const calls = installCatalogue({
      "%(size)s MB": "%(size)s Mo",
      "File is too large: the upload was signed for %(size)s; the limit is %(limit)s.":
        "Fichier trop volumineux : la limite est %(limit)s, l’envoi était signé pour %(size)s.",
    })
    assert.equal(
      s3ErrorMessage({ status: 400, code: "EntityTooLarge" }, { maxSize: 10 * MB, size: 1.2 * MB }),
      "Fichier trop volumineux : la limite est 10 Mo, l’envoi était signé pour 1.2 Mo.",
    )
    assert.ok(calls.every((call) => call.named === true))
  })

  test("with the catalogue, plurals follow the count", () => {
    installCatalogue({
      "Wait for %(count)s image to finish uploading, then save.": [
        "Attendez que %(count)s image finisse d’être envoyée, puis enregistrez.",
        "Attendez que %(count)s images finissent d’être envoyées, puis enregistrez.",
      ],
    })
    assert.equal(waitMessage(1), "Attendez que 1 image finisse d’être envoyée, puis enregistrez.")
    assert.equal(waitMessage(3), "Attendez que 3 images finissent d’être envoyées, puis enregistrez.")
  })

  test("with the catalogue, API and byte-count texts are translated too", () => {
    installCatalogue({
      "Could not reach the server. Check your connection and try again.": "Serveur injoignable.",
      "%(count)s byte": ["%(count)s octet", "%(count)s octets"],
    })
    assert.equal(apiErrorMessage(0, null), "Serveur injoignable.")
    assert.equal(formatSize(17), "17 octets")
    assert.equal(formatSize(1), "1 octet")
  })

  test("a msgid the catalogue lacks stays English", () => {
    installCatalogue({})
    assert.equal(s3ErrorMessage({ status: 503, code: "SlowDown" }), "The storage is busy. Try again in a moment.")
  })
})

// Stands in for the app's catalogue script (uploads/jsi18n/): it keeps its catalogue to itself and
// answers the uploader's "uploads:catalogue" event on the document.
function serveOwnCatalogue(catalog, { decimalSeparator = "." } = {}) {
  globalThis.document = new EventTarget()
  const formats = { DECIMAL_SEPARATOR: decimalSeparator }
  globalThis.document.addEventListener("uploads:catalogue", (event) =>
    event.detail.receive({ catalog, formats, pluralidx: (n) => (n != 1 ? 1 : 0) }),
  )
}

describe("translation from the uploader's own catalogue script", () => {
  afterEach(() => {
    delete globalThis.document
    delete globalThis.django
  })

  test("texts come from the script's catalogue, not from window.django", () => {
    serveOwnCatalogue({ "Move up": "Nach oben", "%(count)s byte": ["%(count)s Byte", "%(count)s Bytes"] })
    // What the admin's jquery.init.js leaves behind: a django object without the catalogue's functions.
    globalThis.django = { jQuery: {} }
    assert.equal(gettext("Move up"), "Nach oben")
    assert.equal(formatSize(1), "1 Byte")
    assert.equal(formatSize(17), "17 Bytes")
  })

  test("the script's catalogue wins over another catalogue in window.django", () => {
    serveOwnCatalogue({ Remove: "Entfernen" })
    installCatalogue({ Remove: "Löschen" })
    assert.equal(gettext("Remove"), "Entfernen")
  })

  test("plurals follow the catalogue's own rule", () => {
    serveOwnCatalogue({
      "Wait for %(count)s image to finish uploading, then save.": [
        "Warten Sie, bis %(count)s Bild fertig hochgeladen ist, und speichern Sie dann.",
        "Warten Sie, bis %(count)s Bilder fertig hochgeladen sind, und speichern Sie dann.",
      ],
    })
    assert.equal(waitMessage(1), "Warten Sie, bis 1 Bild fertig hochgeladen ist, und speichern Sie dann.")
    assert.equal(waitMessage(0), "Warten Sie, bis 0 Bilder fertig hochgeladen sind, und speichern Sie dann.")
  })

  test("sizes take the language's decimal separator", () => {
    serveOwnCatalogue({}, { decimalSeparator: "," })
    assert.equal(formatSize(13_002_342), "12,4 MB")
    assert.equal(formatSize(10 * MB), "10 MB")
    assert.equal(
      s3ErrorMessage({ status: 400, code: "EntityTooLarge" }, { maxSize: 10 * MB, size: 1.2 * MB }),
      "File is too large: the upload was signed for 1,2 MB; the limit is 10 MB.",
    )
  })

  test("a msgid the catalogue lacks stays English", () => {
    serveOwnCatalogue({})
    assert.equal(gettext("Move down"), "Move down")
    assert.equal(ngettext("%(count)s byte", "%(count)s bytes", 2), "%(count)s bytes")
  })
})

describe("the field's value", () => {
  test("is read as ids in order, without blanks, spaces or repeats", () => {
    assert.deepEqual(parseIds("b, a,,b , c"), ["b", "a", "c"])
  })

  test("is empty for an empty or missing value", () => {
    assert.deepEqual(parseIds(""), [])
    assert.deepEqual(parseIds(" , "), [])
    assert.deepEqual(parseIds(undefined), [])
  })

  test("is written comma-separated, in order, each id once", () => {
    assert.equal(serializeIds(["uuid1", "uuid2", "uuid1"]), "uuid1,uuid2")
    assert.equal(serializeIds([]), "")
  })

  test("round-trips", () => {
    const ids = ["6f1c2b0e-3a4d-4e5f-8a9b-0c1d2e3f4a5b", "0b4f3c47-2f3e-4f8e-9b1e-7d8c9a0b1c2d"]
    assert.deepEqual(parseIds(serializeIds(ids)), ids)
  })
})

describe("readCookie", () => {
  test("finds Django's csrftoken among other cookies", () => {
    assert.equal(readCookie("sessionid=abc; csrftoken=T0k3n; theme=dark"), "T0k3n")
    assert.equal(readCookie("csrftoken=first"), "first")
  })

  test("ignores a cookie whose name only ends or starts with csrftoken", () => {
    assert.equal(readCookie("xcsrftoken=wrong; csrftoken2=wrong; csrftoken=right"), "right")
  })

  test("decodes a percent-encoded value, and keeps one that is not valid encoding", () => {
    assert.equal(readCookie("csrftoken=a%2Bb%3D"), "a+b=")
    assert.equal(readCookie("csrftoken=100%"), "100%")
  })

  test("keeps an = inside the value", () => {
    assert.equal(readCookie("csrftoken=a=b"), "a=b")
  })

  test("is empty when the cookie is missing", () => {
    assert.equal(readCookie(""), "")
    assert.equal(readCookie("sessionid=abc"), "")
    assert.equal(readCookie(undefined), "")
  })

  test("reads another name when asked", () => {
    assert.equal(readCookie("csrftoken=a; my_csrf=b", "my_csrf"), "b")
  })
})

describe("field messages", () => {
  test("a capped field says how many files it refused", () => {
    assert.equal(maxCountMessage(10, 2), "This field takes at most 10 images; 2 were not added.")
    assert.equal(maxCountMessage(10, 1), "This field takes at most 10 images; 1 was not added.")
    assert.equal(maxCountMessage(1, 3), "This field takes at most 1 image; 3 were not added.")
  })

  test("a full capped field says why Retry did nothing", () => {
    assert.equal(
      retryRefusedMessage(10),
      "This field takes at most 10 images; remove one before retrying this file.",
    )
  })

  test("a single-upload field names the file it kept", () => {
    assert.equal(oneFileMessage("shoe.jpg", 1), "This field takes one image: shoe.jpg was added, 1 other file was not.")
    assert.equal(oneFileMessage("shoe.jpg", 2), "This field takes one image: shoe.jpg was added, 2 other files were not.")
  })

  test("the submit guard counts the files still uploading", () => {
    assert.equal(waitMessage(2), "Wait for 2 images to finish uploading, then save.")
    assert.equal(waitMessage(1), "Wait for 1 image to finish uploading, then save.")
  })
})

describe("isFormsetTemplate", () => {
  const element = (id, insideEmptyForm = false) => ({
    id,
    closest: (selector) => (insideEmptyForm && selector === ".empty-form" ? {} : null),
  })

  test("is true for the template form Django's admin clones on Add another", () => {
    assert.equal(isFormsetTemplate(element("id_images-__prefix__-image_uploader")), true)
    assert.equal(isFormsetTemplate(element("id_images-empty_uploader", true)), true)
  })

  test("is false for a real form, including a clone renamed from the template", () => {
    assert.equal(isFormsetTemplate(element("id_images-0-image_uploader")), false)
    assert.equal(isFormsetTemplate(element("")), false)
  })
})

describe("checks before any request", () => {
  const accept = ["image/jpeg", "image/png", "image/webp"]
  const file = (name, size, type) => ({ name, size, type })

  test("the accepted types are read from data-accept, lower-cased, without blanks or repeats", () => {
    assert.deepEqual(parseAccept("image/jpeg,image/png, image/webp"), accept)
    assert.deepEqual(parseAccept(" image/JPEG ,, image/jpeg"), ["image/jpeg"])
    assert.deepEqual(parseAccept(""), [])
    assert.deepEqual(parseAccept(undefined), [])
  })

  test("types are listed by the names people know, and an unknown one as its MIME type", () => {
    assert.equal(typeNames(["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"]), "JPEG, PNG, WebP, GIF, AVIF")
    assert.equal(typeNames(["image/jpeg", "image/heic"]), "JPEG, image/heic")
  })

  test("a type is accepted when it is in the list, whatever its case; an empty list accepts any", () => {
    assert.equal(isAcceptedType("image/png", accept), true)
    assert.equal(isAcceptedType("IMAGE/PNG", accept), true)
    assert.equal(isAcceptedType("image/gif", accept), false)
    assert.equal(isAcceptedType("", accept), false)
    assert.equal(isAcceptedType("", []), true)
  })

  test("a file within the limit and of an accepted type goes to the server", () => {
    assert.equal(checkFile(file("shoe.jpg", 10 * MB, "image/jpeg"), { maxSize: 10 * MB, accept }), null)
  })

  test("a file over the limit is refused with its size and the limit", () => {
    assert.deepEqual(checkFile(file("huge.jpg", 13_002_342, "image/jpeg"), { maxSize: 10 * MB, accept }), {
      code: "too_large",
      message: "huge.jpg is 12.4 MB; the limit is 10 MB.",
    })
  })

  test("a file just over the limit is counted in bytes, as rounding would show the same size twice", () => {
    assert.deepEqual(checkFile(file("edge.png", 51_201, "image/png"), { maxSize: 51_200 }), {
      code: "too_large",
      message: "edge.png is 51201 bytes; the limit is 51200 bytes.",
    })
  })

  test("a file of a type not accepted is refused with the accepted ones", () => {
    assert.deepEqual(checkFile(file("scan.tiff", 2 * MB, "image/tiff"), { maxSize: 10 * MB, accept }), {
      code: "unsupported_type",
      message: "scan.tiff is not one of the accepted types: JPEG, PNG, WebP.",
    })
  })

  test("a file whose type the browser does not know is refused when types are given", () => {
    assert.equal(checkFile(file("photo.heic", MB, ""), { accept }).code, "unsupported_type")
  })

  test("the size is checked first, like the server does", () => {
    assert.equal(checkFile(file("huge.tiff", 20 * MB, "image/tiff"), { maxSize: 10 * MB, accept }).code, "too_large")
  })

  test("without a limit or a list of types, nothing is refused", () => {
    assert.equal(checkFile(file("any.bin", 20 * MB, "application/octet-stream")), null)
    assert.equal(checkFile(file("any.bin", 20 * MB, "application/octet-stream"), { maxSize: 0, accept: [] }), null)
  })

  test("with the catalogue, the refusals are translated", () => {
    installCatalogue({
      "%(name)s is %(size)s; the limit is %(limit)s.": "%(name)s ist %(size)s groß; erlaubt sind %(limit)s.",
      "%(name)s is not one of the accepted types: %(types)s.": "%(name)s hat keinen der erlaubten Typen: %(types)s.",
    })
    try {
      assert.equal(
        checkFile(file("huge.jpg", 12 * MB, "image/jpeg"), { maxSize: 10 * MB }).message,
        "huge.jpg ist 12 MB groß; erlaubt sind 10 MB.",
      )
      assert.equal(
        checkFile(file("a.gif", 1, "image/gif"), { accept: ["image/jpeg"] }).message,
        "a.gif hat keinen der erlaubten Typen: JPEG.",
      )
    } finally {
      delete globalThis.django
    }
  })
})

describe("renamePrefixed", () => {
  test("names the cloned formset row's hint and help text by its index", () => {
    assert.equal(
      renamePrefixed("id_variants-__prefix__-image_hint id_variants-__prefix__-image_helptext", "id_variants-12-image"),
      "id_variants-12-image_hint id_variants-12-image_helptext",
    )
  })

  test("leaves other references alone", () => {
    assert.equal(renamePrefixed("shared-note id_x_hint", "id_variants-3-image"), "shared-note id_x_hint")
  })
})

describe("thumbnailSource", () => {
  const original = "https://s3.example/bucket/uploads/ab/photo.jpg?X-Amz-Signature=original"
  const preview = "blob:https://shop.example/4f1c2a"
  const thumb = { url: "https://s3.example/bucket/variants/ab/thumb.webp?sig=t", width: 320, height: 240, size: 9000 }
  const card = { url: "https://s3.example/bucket/variants/ab/card.webp?sig=c", width: 800, height: 600, size: 41000 }

  test("the smallest variant the server made, whatever its name or place in the reply", () => {
    assert.equal(thumbnailSource({ url: original, variants: { card, thumb } }, preview), thumb.url)
    assert.equal(thumbnailSource({ url: original, variants: { small: thumb, large: card } }, preview), thumb.url)
  })

  test("a larger variant while the smallest is still being made", () => {
    assert.equal(thumbnailSource({ url: original, variants: { card } }, preview), card.url)
  })

  test("before any variant is made, the local preview of the chosen file", () => {
    assert.equal(thumbnailSource({ url: original, variants: {} }, preview), preview)
    assert.equal(thumbnailSource({ url: original }, preview), preview)
  })

  test("neither a variant nor a preview: null, for the placeholder, never the original", () => {
    assert.equal(thumbnailSource({ url: original, variants: {} }, null), null)
    assert.equal(thumbnailSource({ url: original }), null)
    assert.equal(thumbnailSource(null), null)
  })

  test("a variant without a URL is passed over; one without dimensions is a last resort", () => {
    const unsized = { url: "https://s3.example/bucket/variants/ab/odd.webp" }
    assert.equal(thumbnailSource({ variants: { thumb: { ...thumb, url: "" }, card } }, preview), card.url)
    assert.equal(thumbnailSource({ variants: { odd: unsized, card } }), card.url)
    assert.equal(thumbnailSource({ variants: { odd: unsized } }), unsized.url)
  })
})

describe("reviewNote", () => {
  afterEach(() => {
    delete globalThis.django
  })

  test("a rejected upload says so with the reviewer's reason", () => {
    const upload = { state: "rejected", review: "rejected", review_reason: "The image seems to belong to someone else." }
    assert.equal(reviewNote(upload), "Rejected: The image seems to belong to someone else.")
  })

  test("a rejected upload without a reason still says it is rejected", () => {
    assert.equal(reviewNote({ state: "rejected", review: "rejected", review_reason: " " }), "Rejected")
  })

  test("an upload awaiting review says so; an approved one says that", () => {
    assert.equal(reviewNote({ state: "awaiting_review", review: "unreviewed", review_reason: "" }), "Awaiting review")
    assert.equal(reviewNote({ state: "published", review: "approved", review_reason: "" }), "Approved")
  })

  test("an upload nobody reviews says nothing", () => {
    assert.equal(reviewNote({ state: "published", review: "unreviewed", review_reason: "" }), "")
    assert.equal(reviewNote({}), "")
  })

  test("with the catalogue, the note is translated", () => {
    installCatalogue({ "Rejected: %(reason)s": "Abgelehnt: %(reason)s" })
    assert.equal(reviewNote({ state: "rejected", review_reason: "Zu dunkel." }), "Abgelehnt: Zu dunkel.")
  })
})
