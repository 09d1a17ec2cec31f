// When to try again: after a transient failure, a few times with a growing wait; and when the
// browser has no connection, as soon as it is back, without spending any of those tries (offline,
// three tries would be gone in seven seconds, and the file with them).

import { UploadFailure } from "./failure.js"

/** Milliseconds to wait before automatic retry number `attempt` (0-based): 1 s, 2 s, 4 s, at most 8 s. */
export function backoffDelay(attempt) {
  return Math.min(1000 * 2 ** attempt, 8000)
}

/** Automatic retries of a transient failure before the file waits for the user's Retry. */
export const AUTO_RETRIES = 3

/** Resolve after `milliseconds`, or reject with the signal's reason as soon as it aborts. */
export function pause(milliseconds, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, milliseconds)
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      { once: true },
    )
  })
}

/** Whether the browser says it has no connection at all (navigator.onLine is false). */
export function isOffline(browser = globalThis.navigator) {
  return browser?.onLine === false
}

/** Whether `error` is a request that got no reply: the network (or CORS), not a server's answer. */
export function isNetworkFailure(error) {
  return error instanceof UploadFailure && error.code === "network_error"
}

/**
 * Resolve once the browser is online: at once if it is, else at its next "online" event on
 * `target` (the window); reject with the signal's reason if it aborts first.
 */
export function whenOnline(signal, { target = globalThis.window, browser = globalThis.navigator } = {}) {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted()
    if (!isOffline(browser) || !target) {
      resolve()
      return
    }
    const stop = new AbortController()
    const end = (outcome, value) => {
      stop.abort()
      outcome(value)
    }
    target.addEventListener("online", () => end(resolve), { signal: stop.signal })
    signal.addEventListener("abort", () => end(reject, signal.reason), { signal: stop.signal })
  })
}

/**
 * `attempt()` until it succeeds, or fails for good: with an error that is no retryable
 * UploadFailure, after AUTO_RETRIES retries, or once `signal` aborted. Before each retry,
 * `onRetry(error, milliseconds)` is told the failure and the wait (backoffDelay) that follows.
 *
 * A request that got no reply while the browser is offline spends no retry: `onOffline(error)`
 * is told, and once the connection is back (`online(signal)`) `onOnline()`, then the next attempt
 * starts. One that went offline during the wait after such a failure gets that retry back, too.
 */
export async function withRetries(
  attempt,
  {
    signal,
    onRetry,
    onOffline = () => {},
    onOnline = () => {},
    wait = pause,
    offline = isOffline,
    online = whenOnline,
  },
) {
  const waitForConnection = async (error) => {
    onOffline(error)
    await online(signal)
    onOnline()
  }
  for (let retry = 0; ; ) {
    try {
      return await attempt()
    } catch (error) {
      if (signal.aborted) throw error
      const lostConnection = isNetworkFailure(error)
      if (lostConnection && offline()) {
        await waitForConnection(error)
        continue
      }
      if (!(error instanceof UploadFailure) || !error.retryable || retry >= AUTO_RETRIES) throw error
      onRetry(error, backoffDelay(retry))
      await wait(backoffDelay(retry), signal)
      if (lostConnection && offline()) await waitForConnection(error)
      else retry += 1
    }
  }
}
