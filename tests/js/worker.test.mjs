import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { openWorker, runInWorker } from "../../uploads/static/uploads/uploader/worker.js"

/** A Worker stand-in that evaluates nothing: `reply(worker, id, message)` plays the worker's part. */
function fakeWorker(reply) {
  const made = []
  class FakeWorker {
    constructor(url) {
      this.url = url
      this.terminated = false
      this.posted = []
      made.push(this)
    }

    postMessage({ id, message }) {
      this.posted.push(message)
      queueMicrotask(() => reply(this, id, message))
    }

    terminate() {
      this.terminated = true
    }
  }
  return { FakeWorker, made }
}

const echo = (worker, id, message) => worker.onmessage({ data: { id, echo: message } })

describe("runInWorker", () => {
  test("runs the source from a blob URL, posts the message and resolves with the reply", async () => {
    const { FakeWorker, made } = fakeWorker(echo)

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
    const { FakeWorker, made } = fakeWorker((worker, id) => worker.onmessage({ data: { id } }))

    await runInWorker("", null, { Worker: FakeWorker })

    const { resolveObjectURL } = await import("node:buffer")
    assert.equal(resolveObjectURL(made[0].url), undefined)
  })
})

describe("a worker kept for many questions", () => {
  test("answers each question with its own reply, in whatever order the replies come", async () => {
    const held = []
    const { FakeWorker, made } = fakeWorker((worker, id, message) => held.push(() => echo(worker, id, message)))
    const worker = openWorker("", { Worker: FakeWorker })

    const first = worker.ask("first")
    const second = worker.ask("second")
    await new Promise((resolve) => setTimeout(resolve))
    assert.equal(worker.busy, 2)
    held[1]()
    held[0]()

    assert.deepEqual(await second, { echo: "second" })
    assert.deepEqual(await first, { echo: "first" })
    assert.equal(worker.busy, 0)
    assert.equal(made.length, 1, "one worker for both")
    worker.end()
  })

  test("a worker that breaks fails every open question and every later one", async () => {
    const { FakeWorker, made } = fakeWorker(() => {})
    const worker = openWorker("", { failure: "the hashing worker failed", Worker: FakeWorker })
    const open = [worker.ask(1), worker.ask(2)]

    made[0].onerror({ message: "" })

    for (const question of open) await assert.rejects(question, { message: "the hashing worker failed" })
    await assert.rejects(worker.ask(3), { message: "the hashing worker failed" })
    assert.equal(made[0].posted.length, 2, "nothing more is posted to a broken worker")
    worker.end()
  })

  test("ending it terminates the worker, revokes its URL and fails what is still open", async () => {
    const { FakeWorker, made } = fakeWorker(() => {})
    const worker = openWorker("", { failure: "the hashing worker failed", Worker: FakeWorker })
    const open = worker.ask("never answered")

    worker.end()

    await assert.rejects(open, { message: "the hashing worker failed" })
    assert.equal(made[0].terminated, true)
    const { resolveObjectURL } = await import("node:buffer")
    assert.equal(resolveObjectURL(made[0].url), undefined)
  })
})
