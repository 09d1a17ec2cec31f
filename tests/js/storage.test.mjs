import assert from "node:assert/strict"
import { afterEach, describe, test } from "node:test"

import { UploadFailure } from "../../uploads/static/uploads/uploader/failure.js"
import {
  isSignatureExpired,
  parseS3Error,
  postToStorage,
  putPart,
  s3ErrorMessage,
  storageFailure,
} from "../../uploads/static/uploads/uploader/storage.js"
import { FakeRequest, s3Error } from "./fakes.mjs"
import { MB, installCatalogue, serveOwnCatalogue } from "./support.mjs"

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

  afterEach(() => {
    delete globalThis.django
    delete globalThis.document
  })

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
      SignatureDoesNotMatch: [
        403,
        "The storage rejected the upload signature. The server's storage settings need fixing.",
      ],
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
      s3ErrorMessage({
        status: 400,
        code: "InvalidArgument",
        message: "Bucket POST must contain a field named 'key'.",
      }),
      "The storage refused the upload: InvalidArgument (HTTP 400).",
    )
  })

  test("a reply without a code names the HTTP status", () => {
    assert.equal(
      s3ErrorMessage({ status: 502, code: "", message: "" }),
      "The storage answered HTTP 502 without an error code.",
    )
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

  test("a msgid the catalogue lacks stays English", () => {
    installCatalogue({})
    assert.equal(s3ErrorMessage({ status: 503, code: "SlowDown" }), "The storage is busy. Try again in a moment.")
  })

  test("sizes in a sentence take the language's decimal separator", () => {
    serveOwnCatalogue({}, { decimalSeparator: "," })
    assert.equal(
      s3ErrorMessage({ status: 400, code: "EntityTooLarge" }, { maxSize: 10 * MB, size: 1.2 * MB }),
      "File is too large: the upload was signed for 1,2 MB; the limit is 10 MB.",
    )
  })
})

describe("storageFailure", () => {
  test("an S3 error carries S3's code, and whether a retry could help", () => {
    const failure = storageFailure(503, s3Error("SlowDown", "Please reduce your request rate."), {})
    assert.ok(failure instanceof UploadFailure)
    assert.deepEqual(
      [failure.code, failure.retryable, failure.message],
      ["SlowDown", true, "The storage is busy. Try again in a moment."],
    )
  })

  test("a reply without S3's XML names the HTTP status; no reply at all is the network", () => {
    assert.deepEqual(
      [storageFailure(403, "<html></html>", {}).code, storageFailure(403, "", {}).retryable],
      ["http_403", false],
    )
    assert.deepEqual([storageFailure(0, "", {}).code, storageFailure(0, "", {}).retryable], ["network_error", true])
  })
})

describe("postToStorage", () => {
  const target = { url: "https://bucket.s3.example/", fields: { key: "uploads/ab/shoe.jpg", policy: "cG9saWN5" } }
  const file = new File(["jpeg bytes"], "shoe.jpg", { type: "image/jpeg" })
  const post = (options = {}) =>
    postToStorage(target, file, {
      signal: new AbortController().signal,
      onProgress: () => {},
      limits: { maxSize: 10 * MB, size: file.size },
      XMLHttpRequest: FakeRequest,
      ...options,
    })

  test("POSTs the signed fields, then the file last, as S3 wants", async () => {
    const sent = post()
    const request = FakeRequest.last
    request.answer(204)
    await sent
    assert.deepEqual([request.method, request.url], ["POST", target.url])
    assert.deepEqual([...request.body.keys()], ["key", "policy", "file"])
    assert.equal(request.body.get("file").name, "shoe.jpg")
  })

  test("reports the bytes sent as they go", async () => {
    const seen = []
    const sent = post({ onProgress: (loaded, total) => seen.push([loaded, total]) })
    FakeRequest.last.progress(5, 10)
    FakeRequest.last.progress(10, 10)
    FakeRequest.last.answer(204)
    await sent
    assert.deepEqual(seen, [
      [5, 10],
      [10, 10],
    ])
  })

  test("rejects with S3's refusal in words", async () => {
    const sent = post()
    FakeRequest.last.answer(400, s3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"))
    await assert.rejects(sent, {
      code: "EntityTooLarge",
      retryable: false,
      message: "File is too large: the upload was signed for 10 bytes; the limit is 10 MB.",
    })
  })

  test("rejects as a network failure when no reply came", async () => {
    const sent = post()
    FakeRequest.last.dispatchEvent(new Event("error"))
    await assert.rejects(sent, { code: "network_error", retryable: true })
  })

  test("aborting stops the request and rejects with the signal's reason", async () => {
    const controller = new AbortController()
    const sent = post({ signal: controller.signal })
    controller.abort()
    await assert.rejects(sent, { name: "AbortError" })
    assert.equal(FakeRequest.last.aborted, true)
  })

  test("an already aborted signal sends nothing", async () => {
    FakeRequest.last = null
    await assert.rejects(post({ signal: AbortSignal.abort() }), { name: "AbortError" })
    assert.equal(FakeRequest.last, null)
  })
})

describe("isSignatureExpired", () => {
  test("an expired POST policy and an expired presigned URL both want a new signature", () => {
    assert.equal(isSignatureExpired({ code: "AccessDenied", message: "Invalid according to Policy: Policy expired." }), true)
    assert.equal(isSignatureExpired({ code: "AccessDenied", message: "Request has expired" }), true)
  })

  test("any other refusal does not", () => {
    assert.equal(isSignatureExpired({ code: "AccessDenied", message: "Access Denied" }), false)
    assert.equal(isSignatureExpired({ code: "SignatureDoesNotMatch", message: "Request has expired" }), false)
  })

  test("an expired URL's failure says so, and that a retry gets a new one", () => {
    const failure = storageFailure(403, s3Error("AccessDenied", "Request has expired"), {})
    assert.deepEqual(
      [failure.code, failure.expired, failure.message],
      ["AccessDenied", true, "The upload permission expired before the file was sent. Retry to get a new one."],
    )
    assert.equal(storageFailure(503, s3Error("SlowDown", "Reduce your rate."), {}).expired, false)
  })

  test("a part with other bytes than signed, or of an aborted upload, is told in words", () => {
    assert.equal(
      storageFailure(400, s3Error("BadDigest", "The SHA256 you specified did not match the calculated checksum."), {})
        .message,
      "The file changed while it was being sent. Choose it again.",
    )
    assert.deepEqual(
      [storageFailure(404, s3Error("NoSuchUpload", "The specified upload does not exist."), {}).message],
      ["The storage no longer takes parts of this upload. Choose the file again."],
    )
  })
})

describe("putPart", () => {
  const signed = { url: "https://bucket.s3.example/k?uploadId=u&partNumber=2", headers: { "x-amz-checksum-sha256": "cGFydA==" } }
  const blob = new Blob(["part bytes"])
  const put = (options = {}) =>
    putPart(signed, blob, {
      signal: new AbortController().signal,
      onProgress: () => {},
      limits: {},
      XMLHttpRequest: FakeRequest,
      ...options,
    })

  test("PUTs the part's bytes to its URL with the checksum header the URL signs, and gives its ETag", async () => {
    const sent = put()
    const request = FakeRequest.last
    request.answer(200, "", { ETag: '"5d41402abc4b2a76b9719d911017c592"' })
    assert.equal(await sent, '"5d41402abc4b2a76b9719d911017c592"')
    assert.deepEqual([request.method, request.url, request.body], ["PUT", signed.url, blob])
    assert.deepEqual(request.headers, { "x-amz-checksum-sha256": "cGFydA==" })
  })

  test("gives an empty ETag where the bucket's CORS rule does not expose it", async () => {
    const sent = put()
    FakeRequest.last.answer(200)
    assert.equal(await sent, "")
  })

  test("reports the part's bytes as they go", async () => {
    const seen = []
    const sent = put({ onProgress: (loaded) => seen.push(loaded) })
    FakeRequest.last.progress(4, 10)
    FakeRequest.last.answer(200)
    await sent
    assert.deepEqual(seen, [4])
  })

  test("rejects with S3's refusal, marked expired when the URL is", async () => {
    const sent = put()
    FakeRequest.last.answer(403, s3Error("AccessDenied", "Request has expired"))
    await assert.rejects(sent, { code: "AccessDenied", retryable: true, expired: true })
  })

  test("aborting stops the request", async () => {
    const controller = new AbortController()
    const sent = put({ signal: controller.signal })
    controller.abort()
    await assert.rejects(sent, { name: "AbortError" })
    assert.equal(FakeRequest.last.aborted, true)
  })
})
