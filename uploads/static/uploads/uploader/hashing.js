// The file's SHA-256, computed in the browser so the server can check that what reached the
// storage is what the user picked (and recognise the same bytes uploaded before).

import { gettext } from "./i18n.js"
import { runInWorker } from "./worker.js"

/** Base64 of bytes, as S3 writes checksums. */
export function toBase64(buffer) {
  let binary = ""
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

// Runs in a worker, so hashing a large file never blocks the page.
const DIGEST_WORKER = `self.onmessage = async (event) => {
  try {
    self.postMessage({ digest: await crypto.subtle.digest("SHA-256", await event.data.arrayBuffer()) })
  } catch (error) {
    self.postMessage({ error: String(error) })
  }
}`

/**
 * The file's SHA-256, base64-encoded, or "" where the browser cannot compute it (crypto.subtle
 * exists only on https and localhost pages). The server then decides whether that is allowed.
 */
export async function sha256Base64(blob, { Worker: Thread = globalThis.Worker } = {}) {
  if (!globalThis.crypto?.subtle) return ""
  if (typeof Thread === "undefined") return toBase64(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()))
  const failure = gettext("the hashing worker failed")
  const reply = await runInWorker(DIGEST_WORKER, blob, { failure, Worker: Thread })
  if (reply.error) throw new Error(reply.error)
  return toBase64(reply.digest)
}
