import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { createHasher, sha256Base64, toBase64 } from "../../uploads/static/uploads/uploader/hashing.js"

const HELLO_SHA256 = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="

/** A Worker stand-in that runs the digest as the real worker's source does, on this thread. */
class DigestWorker {
  static sources = []
  static hashed = []

  constructor(url) {
    DigestWorker.sources.push(url)
    this.terminated = false
  }

  async postMessage({ id, message: blob }) {
    DigestWorker.hashed.push(this)
    const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer())
    this.onmessage({ data: { id, digest } })
  }

  terminate() {
    this.terminated = true
  }
}

describe("the file's digest", () => {
  test("is the SHA-256 of its bytes in base64, as S3 writes it", async () => {
    assert.equal(await sha256Base64(new Blob(["hello"])), HELLO_SHA256)
  })

  test("encodes bytes to base64", () => {
    assert.equal(toBase64(new Uint8Array([0, 255, 16]).buffer), "AP8Q")
  })

  test("is computed in a worker where the browser has workers", async () => {
    DigestWorker.sources = []
    assert.equal(await sha256Base64(new Blob(["hello"]), { Worker: DigestWorker }), HELLO_SHA256)
    assert.equal(DigestWorker.sources.length, 1)
  })

  test("a worker that could not hash fails the attempt with its error", async () => {
    class Failing extends DigestWorker {
      postMessage({ id }) {
        this.onmessage({ data: { id, error: "NotReadableError: the file was moved" } })
      }
    }
    await assert.rejects(sha256Base64(new Blob(["hello"]), { Worker: Failing }), {
      message: "NotReadableError: the file was moved",
    })
  })

  test("a worker that broke without a word says so", async () => {
    class Broken extends DigestWorker {
      postMessage() {
        this.onerror({})
      }
    }
    await assert.rejects(sha256Base64(new Blob(["hello"]), { Worker: Broken }), {
      message: "the hashing worker failed",
    })
  })

  test("of many parts is computed by a few workers kept for all of them, started only as needed", async () => {
    DigestWorker.sources = []
    DigestWorker.hashed = []
    const hasher = createHasher({ workers: 2, Worker: DigestWorker })
    const parts = Array.from({ length: 6 }, (_, n) => new Blob([`part ${n}`]))

    const digests = await Promise.all(parts.map((part) => hasher.digest(part)))

    const expected = await Promise.all(parts.map((part) => sha256Base64(part)))
    assert.deepEqual(digests, expected)
    assert.equal(DigestWorker.sources.length, 2, "two workers for six parts")
    assert.equal(new Set(DigestWorker.hashed).size, 2)
    const workers = [...new Set(DigestWorker.hashed)]
    hasher.close()
    assert.ok(workers.every((worker) => worker.terminated), "closing the hasher ends its workers")
  })

  test("one part at a time keeps one worker busy, not several", async () => {
    DigestWorker.sources = []
    const hasher = createHasher({ workers: 4, Worker: DigestWorker })
    for (const n of [1, 2, 3]) await hasher.digest(new Blob([`part ${n}`]))
    assert.equal(DigestWorker.sources.length, 1)
    hasher.close()
  })
})
