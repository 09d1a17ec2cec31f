import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { UploadFailure } from "../../uploads/static/uploads/uploader/failure.js"
import { PARALLEL_PARTS, planParts, runParts, sendInParts } from "../../uploads/static/uploads/uploader/multipart.js"
import { FakeRequest, s3Error } from "./fakes.mjs"
import { deferred, tick } from "./support.mjs"

const transient = () => new UploadFailure("The storage is busy.", { code: "SlowDown", retryable: true })

describe("planParts", () => {
  test("cuts a file into parts of the part size, counted from 1, the last one the rest", () => {
    assert.deepEqual(planParts(10, 4), [
      { number: 1, start: 0, end: 4 },
      { number: 2, start: 4, end: 8 },
      { number: 3, start: 8, end: 10 },
    ])
  })

  test("a file of whole parts has no short last part", () => {
    assert.deepEqual(planParts(8, 4), [
      { number: 1, start: 0, end: 4 },
      { number: 2, start: 4, end: 8 },
    ])
  })

  test("a gigabyte in 16 MB parts is 64 parts, the last one ending at the last byte", () => {
    const parts = planParts(2 ** 30, 16 * 2 ** 20)
    assert.equal(parts.length, 64)
    assert.deepEqual(parts.at(-1), { number: 64, start: 63 * 16 * 2 ** 20, end: 2 ** 30 })
  })

  test("refuses a part size that would never end", () => {
    assert.throws(() => planParts(10, 0), RangeError)
    assert.throws(() => planParts(10, undefined), RangeError)
  })
})

describe("runParts", () => {
  const parts = planParts(40, 4)

  test("sends every part, never more than `concurrency` at once, in order", async () => {
    let running = 0
    let most = 0
    const started = []
    await runParts(
      parts,
      async (part) => {
        started.push(part.number)
        running += 1
        most = Math.max(most, running)
        await tick()
        running -= 1
      },
      { concurrency: 3, signal: new AbortController().signal },
    )
    assert.deepEqual(started, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert.equal(most, 3)
  })

  test("sends four parts at once by default", async () => {
    let running = 0
    let most = 0
    await runParts(
      parts,
      async () => {
        running += 1
        most = Math.max(most, running)
        await tick()
        running -= 1
      },
      { signal: new AbortController().signal },
    )
    assert.equal(most, PARALLEL_PARTS)
    assert.equal(PARALLEL_PARTS, 4)
  })

  test("retries a part that failed alone, the others going on", async () => {
    const sent = []
    let failed = false
    const retry = async (run) => {
      try {
        return await run()
      } catch {
        return run()
      }
    }
    await runParts(
      parts.slice(0, 4),
      async (part) => {
        sent.push(part.number)
        if (part.number === 2 && !failed) {
          failed = true
          throw transient()
        }
      },
      { signal: new AbortController().signal, retry },
    )
    assert.deepEqual(sent, [1, 2, 3, 4, 2])
  })

  test("a part that fails for good stops the others and is the failure; no further part starts", async () => {
    const stopped = []
    const started = []
    const refusal = new UploadFailure("Refused.", { code: "AccessDenied", retryable: false })
    const sending = runParts(
      parts,
      async (part, signal) => {
        started.push(part.number)
        if (part.number === 2) throw refusal
        await new Promise((resolve, reject) =>
          signal.addEventListener("abort", () => (stopped.push(part.number), reject(signal.reason))),
        )
      },
      { concurrency: 3, signal: new AbortController().signal },
    )
    await assert.rejects(sending, refusal)
    assert.deepEqual(started, [1, 2, 3])
    assert.deepEqual(stopped, [1, 3])
  })

  test("cancelling stops every part and rejects with the cancel", async () => {
    const controller = new AbortController()
    const first = deferred()
    const sending = runParts(
      parts,
      async (part, signal) => {
        first.resolve()
        await new Promise((resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
      },
      { signal: controller.signal },
    )
    await first.promise
    controller.abort()
    await assert.rejects(sending, { name: "AbortError" })
  })
})

// The file of these tests: 10 bytes in parts of 4 ("0123", "4567", "89").
const file = new File(["0123456789"], "poster.jpg", { type: "image/jpeg" })
const hashPart = async (blob) => `sha:${await blob.text()}`

/**
 * The API's parts calls: signs whatever is asked (recording each batch), and says which parts S3
 * holds (`held`) and which it misses (the others of three, unless `missing` says).
 */
function partsApi({ held = [], missing, expiresAt = "2999-01-01T00:00:00Z" } = {}) {
  const batches = []
  let signature = 0
  return {
    batches,
    asked: 0,
    async parts(id) {
      this.asked += 1
      const others = [1, 2, 3].filter((number) => !held.some((part) => part.number === number))
      return { id, part_size: 4, part_count: 3, parts: held, missing: missing ?? others }
    },
    async signParts(id, parts) {
      batches.push(parts.map((part) => part.number))
      signature += 1
      return {
        id,
        expires_at: expiresAt,
        parts: parts.map(({ number, sha256 }) => ({
          number,
          url: `https://s3.example/k?partNumber=${number}&sig=${signature}`,
          headers: { "x-amz-checksum-sha256": sha256 },
        })),
      }
    },
  }
}

/** S3 for PUTs: `answer(request)` says [status, body] (204-like 200 by default); every PUT is recorded. */
function partsStorage(answer = () => [200]) {
  const puts = []
  class Storage extends FakeRequest {
    async send(body) {
      const text = await body.text()
      puts.push({ url: this.url, checksum: this.headers["x-amz-checksum-sha256"], text })
      const [status, reply = ""] = answer({ url: this.url, text, count: puts.length })
      this.progress(body.size, body.size)
      setImmediate(() => (status ? this.answer(status, reply) : this.dispatchEvent(new Event("error"))))
    }
  }
  return { puts, Storage }
}

function send(target, api, Storage, overrides = {}) {
  const seen = []
  const promise = sendInParts(target, file, {
    api,
    signal: new AbortController().signal,
    limits: {},
    onProgress: (loaded, total) => seen.push([loaded, total]),
    hashPart,
    XMLHttpRequest: Storage,
    retry: { wait: async () => {}, offline: () => false },
    ...overrides,
  })
  return { promise, seen }
}

const fresh = () => ({ id: "u1", multipart: { part_size: 4, part_count: 3 }, fresh: true })
const numbers = (puts) => puts.map((put) => Number(new URL(put.url).searchParams.get("partNumber"))).sort()

describe("sendInParts", () => {
  test("hashes each part, has its URL signed with that digest and PUTs exactly its bytes with it", async () => {
    const api = partsApi()
    const { puts, Storage } = partsStorage()

    const { promise, seen } = send(fresh(), api, Storage)
    await promise

    assert.equal(api.asked, 0) // a new upload holds nothing yet
    assert.deepEqual(
      puts.map(({ checksum, text }) => [checksum, text]).sort(),
      [
        ["sha:0123", "0123"],
        ["sha:4567", "4567"],
        ["sha:89", "89"],
      ],
    )
    assert.deepEqual(numbers(puts), [1, 2, 3])
    assert.deepEqual(seen.at(-1), [10, 10])
    assert.ok(seen.every(([loaded], at) => at === 0 || loaded >= 0))
  })

  test("signs parts whose digests are ready together, not one call per part", async () => {
    const api = partsApi()
    const { Storage } = partsStorage()
    const many = new File(["x".repeat(40)], "big.jpg", { type: "image/jpeg" })

    await sendInParts(fresh(), many, {
      api,
      signal: new AbortController().signal,
      limits: {},
      hashPart,
      XMLHttpRequest: Storage,
    })

    assert.deepEqual(api.batches.flat().sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert.ok(api.batches.length < 10, `one call per part: ${JSON.stringify(api.batches)}`)
  })

  test("a resumed upload asks which parts S3 holds, checks they are this file's, and sends only the others", async () => {
    const held = [
      { number: 1, size: 4, etag: "e1", sha256: "sha:0123" },
      { number: 3, size: 2, etag: "e3", sha256: "sha:89" },
    ]
    const api = partsApi({ held })
    const { puts, Storage } = partsStorage()

    const { promise, seen } = send({ id: "u1", multipart: { part_size: 4 } }, api, Storage)
    await promise

    assert.equal(api.asked, 1)
    assert.deepEqual(numbers(puts), [2])
    assert.deepEqual(api.batches, [[2]])
    assert.deepEqual(seen[0], [6, 10]) // the held parts count from the start
    assert.deepEqual(seen.at(-1), [10, 10])
  })

  test("an object S3 assembled already (the completion's reply was lost) needs no part", async () => {
    const api = partsApi({ held: [], missing: [] })
    const { puts, Storage } = partsStorage()

    const { promise, seen } = send({ id: "u1", multipart: { part_size: 4 } }, api, Storage)
    await promise

    assert.deepEqual(puts, [])
    assert.deepEqual(seen, [[10, 10]])
  })

  test("held parts of other bytes: another file, nothing is sent", async () => {
    const held = [{ number: 2, size: 4, etag: "e2", sha256: "sha:ABCD" }]
    const api = partsApi({ held })
    const { puts, Storage } = partsStorage()

    await assert.rejects(send({ id: "u1", multipart: { part_size: 4 } }, api, Storage).promise, {
      code: "not_same_file",
      retryable: false,
    })
    assert.deepEqual(puts, [])
    assert.deepEqual(api.batches, [])
  })

  test("a part whose send failed is retried alone; the parts that arrived are not sent again", async () => {
    const api = partsApi()
    const { puts, Storage } = partsStorage(({ url, count }) =>
      url.includes("partNumber=2") && count <= 3 ? [503, s3Error("SlowDown", "Reduce your request rate.")] : [200],
    )

    await send(fresh(), api, Storage).promise

    assert.deepEqual(numbers(puts), [1, 2, 2, 3])
  })

  test("a URL that expired on its way is signed again and its part sent again, without spending a retry", async () => {
    const api = partsApi()
    let expired = true
    const { puts, Storage } = partsStorage(({ url }) => {
      if (!url.includes("partNumber=3") || !expired) return [200]
      expired = false
      return [403, s3Error("AccessDenied", "Request has expired")]
    })

    await send(fresh(), api, Storage, { retry: { wait: async () => assert.fail("no retry"), offline: () => false } })
      .promise

    assert.deepEqual(numbers(puts), [1, 2, 3, 3])
    assert.deepEqual(api.batches.at(-1), [3])
  })

  test("a URL known to have expired is signed again before its part is sent", async () => {
    const api = partsApi({ expiresAt: "2026-01-01T10:00:00Z" })
    const { puts, Storage } = partsStorage()
    const target = fresh()
    target.digests = new Map([[1, "sha:0123"]])
    target.urls = new Map([[1, { url: "https://s3.example/k?partNumber=1&sig=old", headers: {}, expiresAt: 0 }]])

    await send(target, api, Storage, { now: () => Date.parse("2026-01-01T09:00:00Z") }).promise

    assert.ok(puts.every((put) => !put.url.includes("sig=old")))
    assert.deepEqual(numbers(puts), [1, 2, 3])
  })

  test("offline, parts wait for the connection, say so once, and go on without failing", async () => {
    const api = partsApi()
    const window = new EventTarget()
    const browser = { onLine: true }
    const told = []
    const { puts, Storage } = partsStorage(({ url, count }) => {
      if (count === 1) browser.onLine = false // the connection drops under the first part
      return !browser.onLine && count <= 3 ? [0] : [200]
    })
    const online = (signal) =>
      new Promise((resolve) => (browser.onLine ? resolve() : window.addEventListener("online", resolve, { once: true })))

    const sending = send(fresh(), api, Storage, {
      concurrency: 3,
      onOffline: () => told.push("offline"),
      onOnline: () => told.push("online"),
      retry: { wait: async () => assert.fail("no retry is spent offline"), offline: () => !browser.onLine, online },
    }).promise
    while (told.length === 0) await tick()
    for (let turn = 0; turn < 5; turn += 1) await tick()
    browser.onLine = true
    window.dispatchEvent(new Event("online"))
    await sending

    assert.deepEqual(told, ["offline", "online"])
    assert.deepEqual(numbers(puts.slice(3)), [1, 2, 3])
  })

  test("a browser that cannot hash (no crypto.subtle off https) cannot send in parts", async () => {
    const { puts, Storage } = partsStorage()
    await assert.rejects(send(fresh(), partsApi(), Storage, { hashPart: async () => "" }).promise, {
      code: "no_digest",
      retryable: false,
    })
    assert.deepEqual(puts, [])
  })

  test("a retry hashes no part twice and reuses URLs that are still valid", async () => {
    const api = partsApi()
    const hashed = []
    let fail = true
    const { Storage } = partsStorage(({ url }) =>
      fail && url.includes("partNumber=3") ? [403, s3Error("AccessDenied", "Access Denied")] : [200],
    )
    const target = fresh()
    const options = { hashPart: async (blob) => (hashed.push(await blob.text()), `sha:${await blob.text()}`) }

    await assert.rejects(send(target, api, Storage, options).promise, { code: "AccessDenied" })
    fail = false
    await send(target, api, Storage, options).promise

    assert.deepEqual(hashed.sort(), ["0123", "4567", "89"])
    assert.equal(api.batches.flat().filter((number) => number === 3).length, 1)
  })
})
