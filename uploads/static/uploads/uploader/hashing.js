// SHA-256 digests computed in the browser: the whole file's, so the server can check that what
// reached the storage is what the user picked (and recognise the same bytes uploaded before), and
// each part's of a file sent in parts, which S3 then takes only as those bytes.

import { gettext } from "./i18n.js"
import { openWorker } from "./worker.js"

/** Base64 of bytes, as S3 writes checksums. */
export function toBase64(buffer) {
  let binary = ""
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

// Runs in a worker, so hashing a large file never blocks the page; answers each question in turn.
const DIGEST_WORKER = `self.onmessage = async (event) => {
  const { id, message } = event.data
  try {
    self.postMessage({ id, digest: await crypto.subtle.digest("SHA-256", await message.arrayBuffer()) })
  } catch (error) {
    self.postMessage({ id, error: String(error) })
  }
}`

/**
 * A hasher for many blobs (a file's parts): `digest(blob)` resolves with the blob's SHA-256 in
 * base64, or "" where the browser cannot compute it (crypto.subtle exists only on https and
 * localhost pages; the server then decides whether that is allowed). Up to `workers` workers are
 * started as blobs come and kept until `close()`: starting one costs more than hashing a part.
 * Each blob goes to the least busy.
 */
export function createHasher({ workers = 1, Worker: Thread = globalThis.Worker } = {}) {
  const pool = []
  const failure = gettext("the hashing worker failed")

  async function digest(blob) {
    if (!globalThis.crypto?.subtle) return ""
    if (typeof Thread === "undefined") return toBase64(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()))
    let worker = pool.find((candidate) => candidate.busy === 0)
    if (!worker && pool.length < workers) {
      worker = openWorker(DIGEST_WORKER, { failure, Worker: Thread })
      pool.push(worker)
    }
    worker ??= pool.reduce((least, candidate) => (candidate.busy < least.busy ? candidate : least))
    const reply = await worker.ask(blob)
    if (reply.error) throw new Error(reply.error)
    return toBase64(reply.digest)
  }

  function close() {
    for (const worker of pool.splice(0)) worker.end()
  }

  return { digest, close }
}

/** The SHA-256 of one blob (a whole file), base64-encoded, or "" as `createHasher` says; in a worker of its own. */
export async function sha256Base64(blob, options = {}) {
  const hasher = createHasher(options)
  try {
    return await hasher.digest(blob)
  } finally {
    hasher.close()
  }
}
