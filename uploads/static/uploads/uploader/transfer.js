// One file's journey: prepare and hash it, create its upload (API), send its bytes to S3 (one
// signed POST, or in parts: multipart.js), have the API verify it. What outlives an attempt stays on
// the job, so the next attempt (an automatic retry, Retry, the connection back) goes on from where
// the last one stopped: a file S3 took is never sent again, only its verification is asked again.

import { sha256Base64 } from "./hashing.js"
import { gettext } from "./i18n.js"
import { partDigests, planParts, sendInParts } from "./multipart.js"
import { holdUpload, recordOf } from "./resume.js"
import { postToStorage } from "./storage.js"

export { AUTO_RETRIES, backoffDelay, pause, withRetries } from "./network.js"
export { parseS3Error, postToStorage, s3ErrorMessage, storageFailure } from "./storage.js"

/**
 * Files above this many bytes are not hashed whole unless the element names the server's
 * MULTIPART_THRESHOLD: WebCrypto hashes only a buffer, so the whole file would sit in memory at
 * once; and a file sent in parts is checked part by part anyway.
 */
export const WHOLE_HASH_LIMIT = 100 * 2 ** 20

// The upload is gone (expired by the clean-up, its multipart upload aborted): nothing of the file is
// kept for it, so a new one starts, once.
const GONE = new Set(["upload_expired", "NoSuchUpload"])

const STATUS_TEXTS = {
  offline: () => gettext("Waiting for the connection…"),
}

/** The status line of a state only a transfer has ("offline"); undefined for the others, which rows.js words. */
export function transferStatusText(state) {
  return STATUS_TEXTS[state]?.()
}

/**
 * Send `file` where the create reply `target` says: in parts when it has `multipart`, else with its
 * presigned POST (`upload`), renewed first when it is known to have expired and again, once, when
 * S3 says so. `options`: { api, signal, onProgress, limits } and multipart.js's.
 */
export function sendToStorage(target, file, options) {
  if (target.multipart) return sendInParts(target, file, options)
  return postRenewing(target, file, options)
}

async function postRenewing(target, file, options) {
  const { api, signal, now = Date.now } = options
  // A resumed upload has no policy yet; one may have expired while the page slept or waited offline.
  if (!target.upload || now() >= Date.parse(target.expires_at)) await renewPolicy(target, api, signal)
  try {
    await postToStorage(target.upload, file, options)
  } catch (error) {
    // S3's clock is the one that counts.
    if (!error.expired) throw error
    await renewPolicy(target, api, signal)
    await postToStorage(target.upload, file, options)
  }
}

async function renewPolicy(target, api, signal) {
  const renewed = await api.renew(target.id, { signal })
  target.upload = renewed.upload
  target.expires_at = renewed.expires_at
}

/**
 * One attempt at `job.file`. Resolves with the API's upload (a duplicate's at once: the same bytes
 * are verified already, nothing is sent). The job keeps what outlives the attempt:
 *   prepared, sha256   the File `prepare(job.file)` gives (what is declared and sent) and its digest
 *   id, target         the upload created for it (the caller deletes it if the file is given up) and
 *                      where its bytes go (the create reply, with the parts' digests and URLs)
 *   stored             S3 holds every byte: what is left is the verification
 *   unsure             a POST may have arrived (no reply came, or the page was reloaded): ask first
 *   resumeFrom         an interrupted upload (resume.js) this file may go on with
 * `onState(state)` names each step ("checking", "uploading", "verifying"; "offline" while parts wait
 * for the connection); `onProgress(loaded, total)` follows the bytes. `store` (resume.js) keeps
 * what recognises the file after a reload.
 */
export async function transferFile(job, options) {
  for (;;) {
    try {
      return await attempt(job, options)
    } catch (error) {
      if (!recover(job, error, options)) throw error
    }
  }
}

function recover(job, error, { store }) {
  if (job.stored) return false
  // Finished meanwhile (the clean-up completes uploads whose parts all arrived): ask for the verdict.
  if (error?.code === "not_pending") {
    job.stored = true
    return true
  }
  if (!GONE.has(error?.code) || job.restarted) return false
  store?.forget(job.id)
  Object.assign(job, { id: null, target: null, unsure: false, restarted: true })
  return true
}

async function attempt(job, options) {
  const { api, signal, onState, prepare = async (file) => file, hold = holdUpload } = options
  if (!job.id) {
    onState("checking")
    // What is sent (its type read from its bytes, or resized: files.prepareFile), made once like the digest.
    job.prepared ??= await prepare(job.file)
    if (job.resumeFrom && !(await resume(job, options))) job.resumeFrom = null
  }
  if (!job.id) {
    const created = await create(job, options)
    if (created.duplicate) return created
  }
  const release = hold(job.id)
  try {
    if (!job.stored && job.unsure) {
      onState("verifying")
      const upload = await completeIfArrived(job, options)
      if (upload) return upload
    }
    if (!job.stored) {
      onState("uploading")
      await send(job, options)
      job.stored = true
    }
    onState("verifying")
    return await complete(job, options)
  } finally {
    release()
  }
}

function hashesWhole(file, { multipartThreshold }) {
  return file.size <= (multipartThreshold || WHOLE_HASH_LIMIT)
}

async function create(job, options) {
  const { api, profile, signal, onState, store, hash = sha256Base64 } = options
  const file = job.prepared
  if (hashesWhole(file, options)) job.sha256 ??= await hash(file)
  signal.throwIfAborted()
  onState("uploading")
  const declared = { filename: file.name, content_type: file.type, size: file.size, profile }
  if (job.sha256) declared.sha256 = job.sha256
  // Not aborted with the attempt: a cancelled create still has to tell us which row to delete.
  const created = await api.create(declared)
  if (created.duplicate) return created
  job.id = created.id
  job.target = { ...created, fresh: true }
  store?.remember(recordOf(job.file, created, { profile, sha256: job.sha256 }))
  return created
}

async function send(job, options) {
  const { signal, onProgress, onState, maxSize, send: sender = sendToStorage } = options
  const file = job.prepared
  try {
    await sender(job.target, file, {
      ...options,
      signal,
      onProgress,
      limits: { maxSize, size: file.size },
      onOffline: () => onState("offline"),
      onOnline: () => onState("uploading"),
    })
  } catch (error) {
    // No reply: the POST may have arrived all the same. Parts are asked for anew each attempt.
    if (error?.code === "network_error" && !job.target.multipart) job.unsure = true
    throw error
  }
}

async function complete(job, { api, signal, store }) {
  try {
    const upload = await api.complete(job.id, { signal })
    store?.forget(job.id)
    return upload
  } catch (error) {
    // Parts are missing after all: the next attempt sends them (and only them).
    if (error?.code === "parts_missing") job.stored = false
    throw error
  }
}

// A single POST whose fate is unknown: S3 holds the whole object (then it is only verified) or
// nothing (then it is sent, with a new policy).
async function completeIfArrived(job, options) {
  try {
    return await complete(job, options)
  } catch (error) {
    if (error?.code !== "object_missing") throw error
    job.unsure = false
    return null
  }
}

/**
 * Take over the interrupted upload `job.resumeFrom` ({ upload, record }) if `job.prepared` is its
 * file: for a single POST the declared digest must match; for parts, the first part S3 holds (the
 * others are checked before anything is sent). Whether it was taken; one of another file is given back.
 */
async function resume(job, options) {
  const { api, signal, hash = sha256Base64, hashPart = sha256Base64 } = options
  const { upload, record } = job.resumeFrom
  const file = job.prepared
  if (file.size !== upload.size) return giveBack(job)
  // The API says whether it went in parts (its `multipart`), else the record; without either, ask.
  const inParts = upload.multipart !== undefined ? Boolean(upload.multipart) : record ? record.partSize > 0 : null
  let parts = null
  if (inParts !== false) {
    try {
      parts = await api.parts(upload.id, { signal })
    } catch (error) {
      if (error?.code === "not_pending") return takeOver(job, { stored: true })
      if (GONE.has(error?.code) || error?.code === "not_found") return giveBack(job)
      if (error?.code !== "not_multipart") throw error
    }
  }
  if (parts) {
    const target = { id: upload.id, multipart: { part_size: parts.part_size }, listed: parts, digests: new Map() }
    const [first] = parts.parts
    if (first?.sha256) {
      const part = planParts(file.size, parts.part_size).find((planned) => planned.number === first.number)
      const digest = part && (await partDigests(file, { known: target.digests, hashPart, signal }).of(part))
      if (digest !== first.sha256) return giveBack(job)
    }
    return takeOver(job, { target })
  }
  if (upload.sha256) {
    job.sha256 ??= await hash(file)
    if (job.sha256 && job.sha256 !== upload.sha256) return giveBack(job)
  }
  return takeOver(job, { target: { id: upload.id, upload: null, expires_at: upload.expires_at ?? null }, unsure: true })
}

function takeOver(job, { target = null, stored = false, unsure = false }) {
  Object.assign(job, { id: job.resumeFrom.upload.id, target, stored, unsure })
  job.resumeFrom = null
  return true
}

function giveBack(job) {
  job.resumeFrom.giveBack?.()
  return false
}
