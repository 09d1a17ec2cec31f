import assert from "node:assert/strict"
import { afterEach, describe, test } from "node:test"

import { UploadFailure } from "../../uploads/static/uploads/uploader/failure.js"
import {
  AUTO_RETRIES,
  backoffDelay,
  parseS3Error,
  pause,
  postToStorage,
  s3ErrorMessage,
  storageFailure,
  transferFile,
  withRetries,
} from "../../uploads/static/uploads/uploader/transfer.js"
import { MB, installCatalogue, serveOwnCatalogue, tick } from "./support.mjs"

function s3Error(code, message, extra = "") {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>4442587FB7D0A2F9</RequestId><HostId>eW91IGZvdW5kIGl0</HostId></Error>`
}

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

/** An XMLHttpRequest stand-in: records what was sent and lets the test play S3's part. */
class FakeRequest extends EventTarget {
  static last = null

  constructor() {
    super()
    this.upload = new EventTarget()
    this.aborted = false
    FakeRequest.last = this
  }

  open(method, url) {
    Object.assign(this, { method, url })
  }

  send(body) {
    this.body = body
  }

  abort() {
    this.aborted = true
  }

  answer(status, responseText = "") {
    Object.assign(this, { status, responseText })
    this.dispatchEvent(new Event("load"))
  }

  progress(loaded, total) {
    this.upload.dispatchEvent(Object.assign(new Event("progress"), { lengthComputable: true, loaded, total }))
  }
}

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

describe("transferFile", () => {
  const file = new File(["jpeg bytes"], "shoe.jpg", { type: "image/jpeg" })
  const presigned = { url: "https://bucket.s3.example/", fields: { key: "k" } }

  function fakeApi({ created = { id: "u1", upload: presigned }, completed = { id: "u1", status: "uploaded" } } = {}) {
    const calls = []
    return {
      calls,
      create: async (declared) => (calls.push(["create", declared]), created),
      complete: async (id) => (calls.push(["complete", id]), completed),
    }
  }

  function run(job, api, overrides = {}) {
    const states = []
    const promise = transferFile(job, {
      api,
      profile: "product_image",
      maxSize: 10 * MB,
      signal: new AbortController().signal,
      onState: (state) => states.push(state),
      onProgress: () => {},
      hash: async () => "c2hhMjU2",
      send: async () => {},
      ...overrides,
    })
    return { promise, states }
  }

  test("hashes, creates, sends and completes, naming each step", async () => {
    const api = fakeApi()
    const sent = []
    const job = { file }
    const { promise, states } = run(job, api, { send: async (...args) => sent.push(args) })

    assert.deepEqual(await promise, { id: "u1", status: "uploaded" })
    assert.deepEqual(states, ["checking", "uploading", "verifying"])
    assert.deepEqual(api.calls, [
      [
        "create",
        {
          filename: "shoe.jpg",
          content_type: "image/jpeg",
          size: file.size,
          profile: "product_image",
          sha256: "c2hhMjU2",
        },
      ],
      ["complete", "u1"],
    ])
    assert.deepEqual(sent[0].slice(0, 2), [presigned, file])
    assert.deepEqual(sent[0][2].limits, { maxSize: 10 * MB, size: file.size })
    assert.deepEqual([job.sha256, job.id], ["c2hhMjU2", "u1"])
  })

  test("hashes a file once, however many attempts it takes", async () => {
    let hashed = 0
    const job = { file, sha256: "ZWFybGllcg==" }
    await run(job, fakeApi(), { hash: async () => ((hashed += 1), "bmV3") }).promise
    assert.equal(hashed, 0)
    assert.equal(job.sha256, "ZWFybGllcg==")
  })

  test("declares no digest where the browser could not compute one", async () => {
    const api = fakeApi()
    await run({ file }, api, { hash: async () => "" }).promise
    assert.equal("sha256" in api.calls[0][1], false)
  })

  test("sends nothing for bytes the server already has", async () => {
    const duplicate = { id: "old", status: "uploaded", duplicate: true }
    const api = fakeApi({ created: duplicate })
    const job = { file }
    const { promise, states } = run(job, api, { send: async () => assert.fail("nothing to send") })
    assert.deepEqual(await promise, duplicate)
    assert.deepEqual(states, ["checking", "uploading"])
    assert.equal(job.id, undefined)
  })

  test("a failed send leaves the created upload's id for the caller to delete", async () => {
    const job = { file }
    const refusal = new UploadFailure("The storage is busy. Try again in a moment.", {
      code: "SlowDown",
      retryable: true,
    })
    const { promise } = run(job, fakeApi(), {
      send: async () => {
        throw refusal
      },
    })
    await assert.rejects(promise, refusal)
    assert.equal(job.id, "u1")
  })

  test("an attempt aborted while hashing creates nothing", async () => {
    const controller = new AbortController()
    const api = fakeApi()
    const { promise } = run({ file }, api, { signal: controller.signal, hash: async () => (controller.abort(), "") })
    await assert.rejects(promise, { name: "AbortError" })
    assert.deepEqual(api.calls, [])
  })
})

describe("automatic retries", () => {
  const transient = () =>
    new UploadFailure("The storage is busy. Try again in a moment.", { code: "SlowDown", retryable: true })

  test("wait 1 s, 2 s, 4 s, then never more than 8 s", () => {
    assert.deepEqual([0, 1, 2, 3, 4].map(backoffDelay), [1000, 2000, 4000, 8000, 8000])
  })

  test("stop after three, leaving the file to the user's Retry", () => {
    assert.equal(AUTO_RETRIES, 3)
  })

  test("a transient failure is tried again after each wait, until an attempt succeeds", async () => {
    const retries = []
    const waits = []
    let attempts = 0
    const result = await withRetries(
      async () => {
        attempts += 1
        if (attempts < 3) throw transient()
        return "verified"
      },
      {
        signal: new AbortController().signal,
        onRetry: (error, wait) => retries.push([error.code, wait]),
        wait: async (ms) => waits.push(ms),
      },
    )
    assert.equal(result, "verified")
    assert.deepEqual(retries, [
      ["SlowDown", 1000],
      ["SlowDown", 2000],
    ])
    assert.deepEqual(waits, [1000, 2000])
  })

  test("after the last automatic retry the failure is the caller's", async () => {
    let attempts = 0
    const failing = async () => {
      attempts += 1
      throw transient()
    }
    await assert.rejects(
      withRetries(failing, { signal: new AbortController().signal, onRetry() {}, wait: async () => {} }),
      {
        code: "SlowDown",
      },
    )
    assert.equal(attempts, 1 + AUTO_RETRIES)
  })

  test("a refusal a retry would repeat, or an unexpected error, is not retried", async () => {
    const options = {
      signal: new AbortController().signal,
      onRetry: () => assert.fail("no retry"),
      wait: async () => {},
    }
    const refusal = new UploadFailure("Too large.", { code: "too_large", retryable: false })
    await assert.rejects(
      withRetries(async () => {
        throw refusal
      }, options),
      refusal,
    )
    await assert.rejects(
      withRetries(async () => {
        throw new TypeError("bug")
      }, options),
      TypeError,
    )
  })

  test("a cancelled file is not retried", async () => {
    const controller = new AbortController()
    const attempt = async () => {
      controller.abort()
      throw transient()
    }
    await assert.rejects(withRetries(attempt, { signal: controller.signal, onRetry: () => assert.fail("no retry") }), {
      code: "SlowDown",
    })
  })

  test("the wait ends early, rejecting, when the file is cancelled", async () => {
    const controller = new AbortController()
    const waiting = pause(60_000, controller.signal)
    await tick()
    controller.abort()
    await assert.rejects(waiting, { name: "AbortError" })
  })
})
