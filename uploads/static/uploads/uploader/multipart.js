// A file above the server's MULTIPART_THRESHOLD goes to S3 in parts. Part n is the file's bytes
// from (n - 1) × part size. Each part is hashed (in a worker), its PUT URL signed by the API with
// that digest (so S3 takes only those bytes), and sent; several go at once, each retried alone.
// Hashing and signing run a few parts ahead of the sending, so a free connection waits for neither.
// A resumed upload first learns which parts S3 holds, checks they are this file's bytes, and sends
// only the others. The API completes the upload from the parts S3 lists, never from our word.

import { UploadFailure } from "./failure.js"
import { createHasher, sha256Base64 } from "./hashing.js"
import { gettext } from "./i18n.js"
import { withRetries } from "./network.js"
import { createQueue } from "./queue.js"
import { putPart } from "./storage.js"

/** Parts on their way at once. */
export const PARALLEL_PARTS = 4

// Parts hashed and signed ahead of the first part not yet started.
const LOOKAHEAD = 2 * PARALLEL_PARTS
// Parts one call may ask URLs for (the API's limit).
const SIGN_BATCH = 100
// Parts hashed at once, each by a worker kept for the whole file: each holds its bytes in memory
// while it is hashed.
const PARALLEL_HASHES = 2

/** The parts of a file of `size` bytes: `{ number, start, end }`, from 1, each `partSize` bytes but the last. */
export function planParts(size, partSize) {
  if (!(Number.isSafeInteger(partSize) && partSize > 0)) {
    throw new RangeError(`A part size must be a positive whole number, not ${partSize}.`)
  }
  const parts = []
  for (let start = 0; start < size; start += partSize) {
    parts.push({ number: parts.length + 1, start, end: Math.min(start + partSize, size) })
  }
  return parts
}

/**
 * Run `sendPart(part, signal)` for every part, `concurrency` at a time, in order; `retry(run, signal)`
 * wraps each part's sending (its own retries). The first part that fails for good stops the
 * others (their signal aborts) and is the rejection; aborting `signal` stops everything.
 */
export async function runParts(parts, sendPart, { concurrency = PARALLEL_PARTS, signal, retry = (run) => run() }) {
  signal.throwIfAborted()
  const stopped = new AbortController()
  const stop = () => stopped.abort(signal.reason)
  signal.addEventListener("abort", stop, { once: true })
  let next = 0
  let failure = null

  async function work() {
    while (next < parts.length && !stopped.signal.aborted) {
      const part = parts[next]
      next += 1
      try {
        await retry(() => sendPart(part, stopped.signal), stopped.signal)
      } catch (error) {
        if (!failure) {
          failure = error
          stopped.abort(error)
        }
        return
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, parts.length) }, work))
  } finally {
    signal.removeEventListener("abort", stop)
  }
  signal.throwIfAborted()
  if (failure) throw failure
}

function noDigestFailure() {
  return new UploadFailure(
    gettext("This file goes in parts, and the browser can compute their checksums only on a secure (https) page."),
    { code: "no_digest", retryable: false },
  )
}

function notSameFileFailure() {
  return new UploadFailure(
    gettext(
      "This is not the file whose upload was interrupted: its contents differ. Choose that file, or remove the interrupted upload.",
    ),
    { code: "not_same_file", retryable: false },
  )
}

/**
 * The digests of a file's parts, hashed `PARALLEL_HASHES` at a time and kept in `known` (number →
 * base64 SHA-256), so a retry never hashes a part twice. `of(part)` resolves with one.
 */
export function partDigests(file, { known = new Map(), hashPart = sha256Base64, signal }) {
  const hashing = createQueue(PARALLEL_HASHES)
  const running = new Map()

  function of(part) {
    if (known.has(part.number)) return Promise.resolve(known.get(part.number))
    if (!running.has(part.number)) {
      const digest = hashing
        .run(() => hashPart(file.slice(part.start, part.end)), { signal })
        .then((value) => {
          if (!value) throw noDigestFailure()
          known.set(part.number, value)
          return value
        })
        .finally(() => running.delete(part.number))
      running.set(part.number, digest)
    }
    return running.get(part.number)
  }

  return { of, known }
}

/**
 * Whether the parts S3 holds (`held`: the API's `{ number, size, sha256 }`) are the bytes of `file`:
 * an upload is assembled from them as they are, so a resumed upload must never mix two files.
 */
export async function heldPartsMatch(file, held, plan, digests) {
  const planned = new Map(plan.map((part) => [part.number, part]))
  const checks = held.map(async (stored) => {
    const part = planned.get(stored.number)
    if (!part || stored.size !== part.end - part.start) return false
    // A part no URL of ours was signed for fails the completion anyway; there is nothing to compare.
    if (!stored.sha256) return true
    return (await digests.of(part)) === stored.sha256
  })
  return (await Promise.all(checks)).every(Boolean)
}

/**
 * Send `file` in parts to the multipart upload `target` (the create reply: `{ id, multipart:
 * { part_size } }`, or one a resume rebuilt). What outlives one call stays on `target`: the parts'
 * digests and signed URLs. `target.fresh` (nothing sent yet) skips asking which parts S3 holds;
 * `target.listed` is the API's answer when the caller asked already. `onProgress(loaded, total)`
 * sums the parts' bytes, held ones included; `onOffline()` and `onOnline()` say when parts start and
 * stop waiting for the connection. Resolves once S3 holds every part; rejects as runParts does.
 */
export async function sendInParts(target, file, options) {
  const { concurrency = PARALLEL_PARTS, retry = {}, XMLHttpRequest, now = Date.now } = options
  // Workers kept for all the parts: starting one per part would cost more than hashing it.
  const hasher = options.hashPart ? null : createHasher({ workers: PARALLEL_HASHES })
  const hashPart = options.hashPart ?? hasher.digest
  try {
    return await sendAll(target, file, { ...options, hashPart, concurrency, retry, XMLHttpRequest, now })
  } finally {
    hasher?.close()
  }
}

async function sendAll(target, file, options) {
  const { api, signal, limits, onProgress = () => {}, onOffline = () => {}, onOnline = () => {} } = options
  const { hashPart, concurrency, retry, XMLHttpRequest, now } = options
  const plan = planParts(file.size, target.multipart.part_size)
  target.digests ??= new Map()
  target.urls ??= new Map()
  const digests = partDigests(file, { known: target.digests, hashPart, signal })

  const listed = target.fresh ? { parts: [], missing: null } : (target.listed ?? (await api.parts(target.id, { signal })))
  target.fresh = false
  target.listed = null
  const held = listed.parts
  // The API's `missing`, not the plan less `parts`: an object S3 already assembled (the reply to
  // an earlier completion lost) holds no parts and misses none.
  const missing = new Set(Array.isArray(listed.missing) ? listed.missing : plan.map((part) => part.number))
  for (const part of held) missing.delete(part.number)
  const todo = plan.filter((part) => missing.has(part.number))

  const loaded = new Map(plan.map((part) => [part.number, missing.has(part.number) ? 0 : part.end - part.start]))
  let sum = file.size - todo.reduce((bytes, part) => bytes + part.end - part.start, 0)
  onProgress(sum, file.size)
  if (held.length > 0 && !(await heldPartsMatch(file, held, plan, digests))) throw notSameFileFailure()

  const position = new Map(todo.map((part, index) => [part.number, index]))
  const signing = new Map()

  function hashAhead(index) {
    for (const part of todo.slice(index, index + LOOKAHEAD)) digests.of(part).catch(() => {})
  }

  // A URL for `part`, signed with the parts after it whose digests are ready: one call for several.
  async function urlFor(part, { again = false } = {}) {
    const known = target.urls.get(part.number)
    if (!again && known && now() < known.expiresAt) return known
    if (!signing.has(part.number)) {
      const index = position.get(part.number)
      const batch = [part]
      for (const other of todo.slice(index + 1, index + 1 + LOOKAHEAD)) {
        if (batch.length >= SIGN_BATCH) break
        const fresh = target.urls.get(other.number)
        if (target.digests.has(other.number) && !signing.has(other.number) && !(fresh && now() < fresh.expiresAt)) {
          batch.push(other)
        }
      }
      const request = signBatch(batch).finally(() => {
        for (const member of batch) if (signing.get(member.number) === request) signing.delete(member.number)
      })
      for (const member of batch) signing.set(member.number, request)
    }
    await signing.get(part.number)
    return target.urls.get(part.number)
  }

  async function signBatch(batch) {
    const wanted = await Promise.all(
      batch.map(async (part) => ({ number: part.number, sha256: await digests.of(part) })),
    )
    const reply = await api.signParts(target.id, wanted, { signal })
    const expiresAt = Date.parse(reply.expires_at)
    for (const signed of reply.parts) {
      target.urls.set(signed.number, { url: signed.url, headers: signed.headers, expiresAt })
    }
  }

  async function sendPart(part, partSignal) {
    hashAhead(position.get(part.number))
    const follow = (bytes) => {
      sum += bytes - loaded.get(part.number)
      loaded.set(part.number, bytes)
      onProgress(sum, file.size)
    }
    // A URL that expired on its way (a slow connection, a sleeping laptop) is signed again, once.
    for (let again = false; ; again = true) {
      const signed = await urlFor(part, { again })
      try {
        await putPart(signed, file.slice(part.start, part.end), {
          signal: partSignal,
          onProgress: follow,
          limits,
          XMLHttpRequest,
        })
        break
      } catch (error) {
        follow(0)
        if (!error.expired || again) throw error
      }
    }
    follow(part.end - part.start)
  }

  let waiting = 0
  const partRetry = (run, partSignal) =>
    withRetries(run, {
      signal: partSignal,
      onRetry() {},
      ...retry,
      onOffline() {
        waiting += 1
        if (waiting === 1) onOffline()
      },
      onOnline() {
        waiting -= 1
        if (waiting === 0) onOnline()
      },
    })
  await runParts(todo, sendPart, { concurrency, signal, retry: partRetry })
}
