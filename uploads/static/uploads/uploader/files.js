// What the browser can tell about a file before any request: its size against data-max-size and
// its type against data-accept, the type read from its first bytes when its name tells none (as
// the server judges it); and, with a resize target, the file made into one the profile accepts.
// The server stays the authority; this only spares a request bound to fail.

import { UploadFailure } from "./failure.js"
import { countBytes, formatSize, gettext, interpolate } from "./i18n.js"
import { resizeImage } from "./resize.js"

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

// What a browser says of a file whose name has no extension it knows.
const GENERIC_TYPES = new Set(["", "application/octet-stream"])

/** Whether `type` says nothing of what the file is, so that its first bytes must tell. */
export function isGenericType(type) {
  return GENERIC_TYPES.has(String(type ?? "").trim().toLowerCase())
}

const ascii = (bytes, from, to) => String.fromCharCode(...bytes.subarray(from, to))

/**
 * The image type the first bytes announce (at least the first 32, the more the better for AVIF),
 * by the same rules as the server's verify.sniff_type; null for anything else.
 */
export function sniffType(bytes) {
  const head = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg"
  if (ascii(head, 0, 8) === "\x89PNG\r\n\x1a\n") return "image/png"
  if (["GIF87a", "GIF89a"].includes(ascii(head, 0, 6))) return "image/gif"
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") return "image/webp"
  if (ascii(head, 4, 8) === "ftyp" && isAvifBox(head)) return "image/avif"
  return null
}

// The major brand and the compatible brands of the ftyp box that starts the file.
function isAvifBox(head) {
  const boxSize = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0
  const brands = [ascii(head, 8, 12)]
  for (let at = 16; at < Math.min(boxSize, head.length) - 3; at += 4) brands.push(ascii(head, at, at + 4))
  return brands.includes("avif") || brands.includes("avis")
}

// Bytes read to tell a file's type: an AVIF's ftyp box may list many brands before "avif".
const SNIFF_BYTES = 512

/**
 * `file` itself when its type is known; else, when its first bytes are an image's, the same bytes
 * as a File of that type (nothing is copied), as the server would take it; else `file`.
 */
export async function withSniffedType(file) {
  if (!isGenericType(file.type)) return file
  const type = sniffType(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()))
  return type ? new File([file], file.name, { type, lastModified: file.lastModified }) : file
}

/**
 * Why the server will refuse `file` ({ name, size, type }), when the browser can already tell:
 * `{ code, message }`, or null. `maxSize` 0 and an empty `accept` check nothing. The server stays
 * the authority; this only spares a request bound to fail. Size first, as the server checks.
 *
 * What prepareFile() may still fix is let through: a file without a type (its first bytes will
 * tell), and with a `resize` target any image too large or of a type not accepted.
 */
export function checkFile(file, { maxSize = 0, accept = [], resize = null } = {}) {
  const unknown = isGenericType(file.type)
  const resizable = resize !== null && (unknown || String(file.type).trim().toLowerCase().startsWith("image/"))
  if (resizable) return null
  if (isTooLarge(file, maxSize)) return tooLarge(file, maxSize)
  if (!unknown && !isAcceptedType(file.type, accept)) return unsupported(file, accept)
  return null
}

function isTooLarge(file, maxSize) {
  return maxSize > 0 && file.size > maxSize
}

function tooLarge(file, maxSize) {
  let size = formatSize(file.size)
  let limit = formatSize(maxSize)
  // "50 KB; the limit is 50 KB" would explain nothing.
  if (size === limit) [size, limit] = [countBytes(file.size), countBytes(maxSize)]
  return {
    code: "too_large",
    message: interpolate(gettext("%(name)s is %(size)s; the limit is %(limit)s."), { name: file.name, size, limit }),
  }
}

function unsupported(file, accept) {
  return {
    code: "unsupported_type",
    message: interpolate(gettext("%(name)s is not one of the accepted types: %(types)s."), {
      name: file.name,
      types: typeNames(accept),
    }),
  }
}

/**
 * The File to hash, declare and send for `file`: its type read from its bytes where it has none,
 * re-encoded where `resize` (clientResize) applies, else `file` itself. Rejects with a
 * non-retryable UploadFailure, in checkFile's sentences, when what would be sent is bound to be refused.
 */
export async function prepareFile(
  file,
  { maxSize = 0, accept = [], resize = null } = {},
  { shrink = resizeImage } = {},
) {
  const known = await withSniffedType(file)
  const chosen = (resize && (await shrink(known, resize, { maxSize, accept }))) || known
  let refusal = null
  if (isTooLarge(chosen, maxSize)) refusal = tooLarge(chosen, maxSize)
  else if (!isAcceptedType(chosen.type, accept)) refusal = unsupported(chosen, accept)
  if (refusal) throw new UploadFailure(refusal.message, { code: refusal.code, retryable: false })
  return chosen
}
