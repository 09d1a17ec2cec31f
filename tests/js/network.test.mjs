import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { UploadFailure } from "../../uploads/static/uploads/uploader/failure.js"
import {
  AUTO_RETRIES,
  backoffDelay,
  isNetworkFailure,
  isOffline,
  pause,
  whenOnline,
  withRetries,
} from "../../uploads/static/uploads/uploader/network.js"
import { tick } from "./support.mjs"

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

describe("offline", () => {
  const lost = () =>
    new UploadFailure("Could not reach the file storage. Check your connection and try again.", {
      code: "network_error",
      retryable: true,
    })

  /** A browser whose connection the test turns off and on; `back()` fires its "online" event. */
  function connection(onLine = true) {
    const window = new EventTarget()
    const browser = { onLine }
    return {
      window,
      browser,
      offline: () => browser.onLine === false,
      online: (signal) => whenOnline(signal, { target: window, browser }),
      drop: () => (browser.onLine = false),
      back() {
        browser.onLine = true
        window.dispatchEvent(new Event("online"))
      },
    }
  }

  test("only navigator.onLine === false is offline; a browser that cannot tell is online", () => {
    assert.equal(isOffline({ onLine: false }), true)
    assert.equal(isOffline({ onLine: true }), false)
    assert.equal(isOffline({}), false)
    assert.equal(isOffline(undefined), false)
  })

  test("a network failure is a request that got no reply, not a server's answer", () => {
    assert.equal(isNetworkFailure(lost()), true)
    assert.equal(isNetworkFailure(new UploadFailure("Busy.", { code: "SlowDown", retryable: true })), false)
    assert.equal(isNetworkFailure(new TypeError("Failed to fetch")), false)
  })

  test("waiting for the connection ends at once when there is one, else at the online event", async () => {
    const net = connection()
    await net.online(new AbortController().signal)
    net.drop()
    let back = false
    const waiting = net.online(new AbortController().signal).then(() => (back = true))
    await tick()
    assert.equal(back, false)
    net.back()
    await waiting
    assert.equal(back, true)
  })

  test("waiting for the connection ends, rejecting, when the file is cancelled", async () => {
    const net = connection(false)
    const controller = new AbortController()
    const waiting = net.online(controller.signal)
    controller.abort()
    await assert.rejects(waiting, { name: "AbortError" })
  })

  test("offline, a lost request waits for the connection and spends no retry, however long it lasts", async () => {
    const net = connection()
    const told = []
    let attempts = 0
    const attempt = async () => {
      attempts += 1
      if (attempts <= 6) {
        net.drop()
        setImmediate(() => net.back())
        throw lost()
      }
      return "verified"
    }

    const result = await withRetries(attempt, {
      signal: new AbortController().signal,
      onRetry: () => assert.fail("no retry is spent offline"),
      onOffline: () => told.push("offline"),
      onOnline: () => told.push("online"),
      wait: async () => assert.fail("no backoff offline"),
      offline: net.offline,
      online: net.online,
    })

    assert.equal(result, "verified")
    assert.equal(attempts, 7)
    assert.deepEqual(told, Array(6).fill(["offline", "online"]).flat())
  })

  test("a lost request while the browser still says online is retried as usual", async () => {
    const net = connection()
    let attempts = 0
    await assert.rejects(
      withRetries(
        async () => {
          attempts += 1
          throw lost()
        },
        { signal: new AbortController().signal, onRetry() {}, wait: async () => {}, offline: net.offline, online: net.online },
      ),
      { code: "network_error" },
    )
    assert.equal(attempts, 1 + AUTO_RETRIES)
  })

  test("going offline during the wait after a lost request gives that retry back", async () => {
    const net = connection()
    const retries = []
    let attempts = 0
    const attempt = async () => {
      attempts += 1
      if (attempts < 6) throw lost()
      return "verified"
    }

    const result = await withRetries(attempt, {
      signal: new AbortController().signal,
      onRetry: (error, ms) => retries.push(ms),
      // The connection drops during the first two waits only.
      wait: async () => {
        if (retries.length <= 2) {
          net.drop()
          setImmediate(() => net.back())
        }
      },
      offline: net.offline,
      online: net.online,
    })

    assert.equal(result, "verified")
    // Five failures, two of them refunded: the retries counted are 1 s, 1 s, 1 s, 2 s, 4 s.
    assert.deepEqual(retries, [1000, 1000, 1000, 2000, 4000])
  })

  test("a server's answer is retried as usual even offline: only lost requests wait", async () => {
    const net = connection(false)
    let attempts = 0
    await assert.rejects(
      withRetries(
        async () => {
          attempts += 1
          throw new UploadFailure("Busy.", { code: "SlowDown", retryable: true })
        },
        { signal: new AbortController().signal, onRetry() {}, wait: async () => {}, offline: net.offline, online: net.online },
      ),
      { code: "SlowDown" },
    )
    assert.equal(attempts, 1 + AUTO_RETRIES)
  })
})
