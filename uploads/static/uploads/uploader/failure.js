// What went wrong with a file, in the words its row shows, and whether trying again could help.
// The API client and the storage transfer both fail with an UploadFailure; anything else is a bug.

import { gettext, interpolate } from "./i18n.js"

/** A failure the user is told about: its sentence, a stable `code` for scripts, and whether a retry could succeed. */
export class UploadFailure extends Error {
  constructor(message, { code, retryable }) {
    super(message)
    this.name = "UploadFailure"
    this.code = code
    this.retryable = retryable
  }
}

const RETRYABLE_STORAGE_CODES = new Set(["RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable"])

/** Whether S3 refused a POST because its signed policy had expired (a new one fixes that). */
export function isPolicyExpired({ code, message = "" }) {
  return code === "AccessDenied" && /policy expired/i.test(message)
}

/**
 * Whether starting the file over could succeed: network failures, 5xx, 409 (the
 * object had not arrived), an expired policy and S3's transient codes.
 */
export function isRetryable({ status, code = "", message = "" }) {
  if (status === 0 || status >= 500 || status === 409) return true
  return RETRYABLE_STORAGE_CODES.has(code) || isPolicyExpired({ code, message })
}

/**
 * `{ code, message, retryable }` of any error a file's attempt ended with: an UploadFailure as it
 * is, anything else (a bug, a browser quirk) as an unexpected stop the user may retry.
 */
export function describeFailure(error) {
  if (error instanceof UploadFailure) return { code: error.code, message: error.message, retryable: error.retryable }
  return {
    code: "client_error",
    message: interpolate(gettext("The upload stopped unexpectedly: %(error)s"), { error: error.message }),
    retryable: true,
  }
}
