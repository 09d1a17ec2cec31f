// The browser's side of S3: a presigned POST of a whole file, a presigned PUT of one part, and
// S3's XML errors in the user's words. A status 0 is the network (or CORS), never S3.

import { UploadFailure, isPolicyExpired, isRetryable } from "./failure.js"
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

/**
 * Whether S3 refused a request because what signed it expired: a POST's policy ("Policy expired")
 * or a presigned URL ("Request has expired"). A new signature fixes both.
 */
export function isSignatureExpired({ code, message = "" }) {
  return isPolicyExpired({ code, message }) || (code === "AccessDenied" && /request has expired/i.test(message))
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
 * A sentence for the user about a failed request to S3.
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
      if (isSignatureExpired({ code, message })) {
        return gettext("The upload permission expired before the file was sent. Retry to get a new one.")
      }
      if (/invalid according to policy|policy condition failed/i.test(message)) {
        return gettext("The storage refused the upload: it does not match what the server allowed.")
      }
      return gettext("The storage refused the upload (access denied).")
    case "BadDigest":
      return gettext("The file changed while it was being sent. Choose it again.")
    case "NoSuchUpload":
      return gettext("The storage no longer takes parts of this upload. Choose the file again.")
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

/**
 * The UploadFailure of a storage reply (`status` 0: none came); `limits` ({ maxSize, size }) fill its
 * sentence. Its `expired` says a new signature would let the same bytes through.
 */
export function storageFailure(status, body, limits) {
  const parsed = status ? parseS3Error(body) : { code: "", message: "" }
  const failure = { status, ...parsed }
  const code = parsed.code || (status ? `http_${status}` : "network_error")
  const expired = isSignatureExpired(failure)
  const error = new UploadFailure(s3ErrorMessage(failure, limits), { code, retryable: expired || isRetryable(failure) })
  error.expired = expired
  return error
}

// One XMLHttpRequest to S3 (fetch() cannot follow an upload's progress). Resolves with the request
// once S3 answered 2xx; rejects with an UploadFailure, or the signal's reason. Every listener goes
// with the request, whatever its end.
function sendToS3(method, url, body, { signal, onProgress, limits, headers = {}, XMLHttpRequest: Request }) {
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
      if (xhr.status >= 200 && xhr.status < 300) settle(resolve, xhr)
      else settle(reject, storageFailure(xhr.status, xhr.responseText, limits))
    })
    listen(xhr, "error", () => settle(reject, storageFailure(0, "", limits)))
    listen(signal, "abort", () => {
      xhr.abort()
      settle(reject, signal.reason)
    })

    xhr.open(method, url)
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value)
    xhr.send(body)
  })
}

/**
 * POST `file` to S3 with a presigned POST's `{ url, fields }`. `onProgress(loaded, total)` follows
 * the bytes sent. Resolves when S3 took it; rejects with an UploadFailure, or the signal's reason.
 */
export async function postToStorage(
  { url, fields },
  file,
  { signal, onProgress, limits, XMLHttpRequest: Request = globalThis.XMLHttpRequest },
) {
  signal.throwIfAborted()
  // S3 rejects fields the policy does not name, and wants the file last.
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  form.append("file", file)
  await sendToS3("POST", url, form, { signal, onProgress, limits, XMLHttpRequest: Request })
}

/**
 * PUT one part (`blob`) to its presigned `{ url, headers }`: the headers carry the part's SHA-256,
 * which the URL signs, so S3 takes exactly these bytes. Resolves with the part's ETag ("" where the
 * bucket's CORS rule does not expose it); rejects as postToStorage does.
 */
export async function putPart(
  { url, headers },
  blob,
  { signal, onProgress, limits, XMLHttpRequest: Request = globalThis.XMLHttpRequest },
) {
  const xhr = await sendToS3("PUT", url, blob, { signal, onProgress, limits, headers, XMLHttpRequest: Request })
  return xhr.getResponseHeader("ETag") ?? ""
}
