// What the browser can tell about a file before any request: its size against data-max-size and
// its type against data-accept. The server stays the authority; this only spares a request bound to fail.

import { countBytes, formatSize, gettext, interpolate } from "./i18n.js"

// As the server names them in the widget's hint and its own refusals.
const TYPE_NAMES = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/webp": "WebP",
  "image/gif": "GIF",
  "image/avif": "AVIF",
}

/** A data-accept value as MIME types, lower-cased, each once: "image/jpeg, image/PNG" → ["image/jpeg", "image/png"]. */
export function parseAccept(value) {
  const types = String(value ?? "")
    .split(",")
    .map((type) => type.trim().toLowerCase())
    .filter(Boolean)
  return [...new Set(types)]
}

/** MIME types as people know them: ["image/jpeg", "image/webp"] → "JPEG, WebP"; others stay as they are. */
export function typeNames(types) {
  return types.map((type) => TYPE_NAMES[type] ?? type).join(", ")
}

/** Whether a file's `type` is one of `accepted`; an empty list accepts everything. */
export function isAcceptedType(type, accepted) {
  return accepted.length === 0 || accepted.includes(String(type ?? "").trim().toLowerCase())
}

/**
 * Why the server will refuse `file` ({ name, size, type }), when the browser can already tell:
 * `{ code, message }`, or null. `maxSize` 0 and an empty `accept` check nothing. The server stays
 * the authority; this only spares a request bound to fail. Size first, as the server checks.
 */
export function checkFile(file, { maxSize = 0, accept = [] } = {}) {
  if (maxSize && file.size > maxSize) {
    let size = formatSize(file.size)
    let limit = formatSize(maxSize)
    // "50 KB; the limit is 50 KB" would explain nothing.
    if (size === limit) [size, limit] = [countBytes(file.size), countBytes(maxSize)]
    return {
      code: "too_large",
      message: interpolate(gettext("%(name)s is %(size)s; the limit is %(limit)s."), { name: file.name, size, limit }),
    }
  }
  if (!isAcceptedType(file.type, accept)) {
    return {
      code: "unsupported_type",
      message: interpolate(gettext("%(name)s is not one of the accepted types: %(types)s."), {
        name: file.name,
        types: typeNames(accept),
      }),
    }
  }
  return null
}
