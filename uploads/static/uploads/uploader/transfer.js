// One file's journey: hash it, create its upload (API), send the bytes to S3 with the signed
// fields, have the API verify it; and the automatic retries of a transient failure around that.
// S3's XML errors become sentences here. A status 0 is the network (or CORS), never S3.

import { UploadFailure, isPolicyExpired, isRetryable } from "./failure.js"
import { sha256Base64 } from "./hashing.js"
import { formatSize, gettext, interpolate } from "./i18n.js"

const XML_ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

/** The Code and Message of an S3 XML error body; empty strings when absent. */
export function parseS3Error(xmlText) {
  const xml = typeof xmlText === "string" ? xmlText : ""
  return { code: xmlElementText(xml, "Code"), message: xmlElementText(xml, "Message") }
}

function xmlElementText(xml, name) {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)
  return match ? unescapeXml(match[1]).trim() : ""
}

function unescapeXml(text) {
  return text.replace(/&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));/g, (entity, hex, decimal, name) => {
    if (name) return XML_ENTITIES[name]
    const point = hex ? Number.parseInt(hex, 16) : Number(decimal)
    return point <= 0x10ffff ? String.fromCodePoint(point) : entity
  })
}

// Whole sentences, one per case, so translators never have to glue fragments together.
function tooLargeMessage(size, maxSize) {
  const values = { size: size ? formatSize(size) : "", limit: maxSize ? formatSize(maxSize) : "" }
  if (size && maxSize) {
    return interpolate(gettext("File is too large: the upload was signed for %(size)s; the limit is %(limit)s."), values)
  }
  if (size) return interpolate(gettext("File is too large: the upload was signed for %(size)s."), values)
  if (maxSize) {
    return interpolate(gettext("File is too large: the upload was not signed for this size; the limit is %(limit)s."), values)
  }
  return gettext("File is too large: the upload was not signed for this size.")
}

/**
 * A sentence for the user about a failed POST to S3.
 * `status` 0 is a network or CORS failure; `code` and `message` come from parseS3Error.
 */
export function s3ErrorMessage({ status, code = "", message = "" }, { maxSize, size } = {}) {
  if (!status) return gettext("Could not reach the file storage. Check your connection and try again.")
  switch (code) {
    case "EntityTooLarge":
      return tooLargeMessage(size, maxSize)
    case "EntityTooSmall":
      return size
        ? interpolate(gettext("File is too small: the upload was signed for %(size)s. Pick the file again."), {
            size: formatSize(size),
          })
        : gettext("File is too small for this upload. Pick the file again.")
    case "AccessDenied":
      if (isPolicyExpired({ code, message })) {
        return gettext("The upload permission expired before the file was sent. Retry to get a new one.")
      }
      if (/invalid according to policy|policy condition failed/i.test(message)) {
        return gettext("The storage refused the upload: it does not match what the server allowed.")
      }
      return gettext("The storage refused the upload (access denied).")
    case "SignatureDoesNotMatch":
      return gettext("The storage rejected the upload signature. The server's storage settings need fixing.")
    case "RequestTimeout":
      return gettext("The upload was too slow and the storage stopped waiting. Try again.")
    case "SlowDown":
      return gettext("The storage is busy. Try again in a moment.")
    case "InternalError":
      return gettext("The storage had an internal error. Try again.")
    case "ServiceUnavailable":
      return gettext("The storage is unavailable right now. Try again in a moment.")
    case "NoSuchBucket":
      return gettext("The storage bucket does not exist. The server's storage settings need fixing.")
    case "":
      return interpolate(gettext("The storage answered HTTP %(status)s without an error code."), { status })
    default:
      return interpolate(gettext("The storage refused the upload: %(code)s (HTTP %(status)s)."), { code, status })
  }
}

/** The UploadFailure of a storage reply (`status` 0: none came); `limits` ({ maxSize, size }) fill its sentence. */
export function storageFailure(status, body, limits) {
  const parsed = status ? parseS3Error(body) : { code: "", message: "" }
  const failure = { status, ...parsed }
  const code = parsed.code || (status ? `http_${status}` : "network_error")
  return new UploadFailure(s3ErrorMessage(failure, limits), { code, retryable: isRetryable(failure) })
}

/**
 * POST `file` to S3 with a presigned POST's `{ url, fields }`. `onProgress(loaded, total)` follows
 * the bytes sent. Resolves when S3 took it; rejects with an UploadFailure, or the signal's reason.
 */
export function postToStorage(
  { url, fields },
  file,
  { signal, onProgress, limits, XMLHttpRequest: Request = XMLHttpRequest },
) {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted()
    const xhr = new Request()
    const attached = new AbortController()
    const listen = (target, type, handler) => target.addEventListener(type, handler, { signal: attached.signal })
    const settle = (outcome, value) => {
      attached.abort()
      outcome(value)
    }

    listen(xhr.upload, "progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total)
    })
    listen(xhr, "load", () => {
      if (xhr.status >= 200 && xhr.status < 300) settle(resolve)
      else settle(reject, storageFailure(xhr.status, xhr.responseText, limits))
    })
    listen(xhr, "error", () => settle(reject, storageFailure(0, "", limits)))
    listen(signal, "abort", () => {
      xhr.abort()
      settle(reject, signal.reason)
    })

    // S3 rejects fields the policy does not name, and wants the file last.
    const form = new FormData()
    for (const [name, value] of Object.entries(fields)) form.append(name, value)
    form.append("file", file)
    xhr.open("POST", url)
    xhr.send(form)
  })
}

/**
 * Send `file` where the create reply's `upload` says. Today that is always one presigned POST;
 * a multipart upload (parts signed one by one, then completed) gets its own sender beside it,
 * chosen here by the shape of `target`, with the same options and the same promise.
 */
export function sendToStorage(target, file, options) {
  return postToStorage(target, file, options)
}

/**
 * One attempt at `job.file`: hash, create, send, verify. Resolves with the API's upload (a
 * duplicate's at once: the same bytes are verified already, nothing is sent). `job` keeps what
 * outlives the attempt: `job.sha256` (hashed once, reused by every retry) and `job.id` (the upload
 * created for it, which the caller deletes if the attempt is given up). `onState(state)` names each
 * step ("checking", "uploading", "verifying"); `onProgress(loaded, total)` follows the bytes.
 */
export async function transferFile(
  job,
  { api, profile, maxSize, signal, onState, onProgress, hash = sha256Base64, send = sendToStorage },
) {
  const { file } = job
  onState("checking")
  job.sha256 ??= await hash(file)
  signal.throwIfAborted()
  onState("uploading")
  const declared = { filename: file.name, content_type: file.type, size: file.size, profile }
  if (job.sha256) declared.sha256 = job.sha256
  // Not aborted with the attempt: a cancelled create still has to tell us which row to delete.
  const created = await api.create(declared)
  if (created.duplicate) return created
  job.id = created.id
  signal.throwIfAborted()
  await send(created.upload, file, { signal, onProgress, limits: { maxSize, size: file.size } })
  onState("verifying")
  return api.complete(job.id, { signal })
}

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

/**
 * `attempt()` until it succeeds, or fails for good: with an error that is no retryable
 * UploadFailure, after AUTO_RETRIES retries, or once `signal` aborted. Before each retry,
 * `onRetry(error, milliseconds)` is told the failure and the wait (backoffDelay) that follows.
 */
export async function withRetries(attempt, { signal, onRetry, wait = pause }) {
  for (let retry = 0; ; retry += 1) {
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof UploadFailure) || !error.retryable || retry >= AUTO_RETRIES || signal.aborted) throw error
      onRetry(error, backoffDelay(retry))
      await wait(backoffDelay(retry), signal)
    }
  }
}
