import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { createQueue } from "../../uploads/static/uploads/uploader/queue.js"
import { deferred, tick } from "./support.mjs"

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

  test("aborting a task once it started leaves it to the task itself", async () => {
    const queue = createQueue(1)
    const controller = new AbortController()
    const gate = deferred()
    const running = queue.run(() => gate.promise, { signal: controller.signal })
    await tick()
    controller.abort()
    gate.resolve("finished")
    assert.equal(await running, "finished")
  })
})
