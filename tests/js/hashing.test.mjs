import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { sha256Base64, toBase64 } from "../../uploads/static/uploads/uploader/hashing.js"

const HELLO_SHA256 = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="

/** A Worker stand-in that runs the digest as the real worker's source does, on this thread. */
class DigestWorker {
  static sources = []

  constructor(url) {
    DigestWorker.sources.push(url)
  }

  async postMessage(blob) {
    const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer())
    this.onmessage({ data: { digest } })
  }

  terminate() {}
}

describe("the file's digest", () => {
  test("is the SHA-256 of its bytes in base64, as S3 writes it", async () => {
    assert.equal(await sha256Base64(new Blob(["hello"])), HELLO_SHA256)
  })

  test("encodes bytes to base64", () => {
    assert.equal(toBase64(new Uint8Array([0, 255, 16]).buffer), "AP8Q")
  })

  test("is computed in a worker where the browser has workers", async () => {
    assert.equal(await sha256Base64(new Blob(["hello"]), { Worker: DigestWorker }), HELLO_SHA256)
    assert.equal(DigestWorker.sources.length, 1)
  })

  test("a worker that could not hash fails the attempt with its error", async () => {
    class Failing extends DigestWorker {
      postMessage() {
        this.onmessage({ data: { error: "NotReadableError: the file was moved" } })
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
})
