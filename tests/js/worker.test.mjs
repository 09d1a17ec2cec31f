import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { runInWorker } from "../../uploads/static/uploads/uploader/worker.js"

/** A Worker stand-in that evaluates nothing: `reply(message)` plays the worker's part. */
function fakeWorker(reply) {
  const made = []
  class FakeWorker {
    constructor(url) {
      this.url = url
      this.terminated = false
      made.push(this)
    }

    postMessage(message) {
      this.posted = message
      queueMicrotask(() => reply(this, message))
    }

    terminate() {
      this.terminated = true
    }
  }
  return { FakeWorker, made }
}

describe("runInWorker", () => {
  test("runs the source from a blob URL, posts the message and resolves with the reply", async () => {
    const { FakeWorker, made } = fakeWorker((worker, message) => worker.onmessage({ data: { echo: message } }))

    const reply = await runInWorker("self.onmessage = () => {}", { n: 1 }, { Worker: FakeWorker })

    assert.deepEqual(reply, { echo: { n: 1 } })
    assert.match(made[0].url, /^blob:/)
    assert.equal(made[0].terminated, true)
  })

  test("rejects with the worker's error, or the caller's words when it has none, and still ends it", async () => {
    const { FakeWorker, made } = fakeWorker((worker) => worker.onerror({ message: "" }))

    await assert.rejects(runInWorker("", null, { failure: "the hashing worker failed", Worker: FakeWorker }), {
      message: "the hashing worker failed",
    })
    assert.equal(made[0].terminated, true)

    const { FakeWorker: Failing } = fakeWorker((worker) => worker.onerror({ message: "SyntaxError: nope" }))
    await assert.rejects(runInWorker("", null, { Worker: Failing }), { message: "SyntaxError: nope" })
  })

  test("the blob URL is revoked once the worker is done", async () => {
    const { FakeWorker, made } = fakeWorker((worker) => worker.onmessage({ data: null }))

    await runInWorker("", null, { Worker: FakeWorker })

    const { resolveObjectURL } = await import("node:buffer")
    assert.equal(resolveObjectURL(made[0].url), undefined)
  })
})
