// What the browser can tell about a file before any request: its size against data-max-size and
// its type against the types the element declares (data-types, from the server's table of types),
// the type read from its first bytes when its name tells none (as the server judges it); and, with
// a resize target, the file made into one the profile accepts. The server stays the authority; this
// only spares a request bound to fail.

import { UploadFailure } from "./failure.js"
import { countBytes, formatSize, gettext, interpolate } from "./i18n.js"
import { resizeImage } from "./resize.js"

/**
 * A data-types value (the server's JSON, filetypes.for_page) as `{ [mimeType]: { name, extensions } }`,
 * in its order, types lower-cased: its keys are the types the element accepts. {} when there is none
 * or it is no such object (then every type is let through, for the server to judge).
 */
export function parseTypes(value) {
  let declared
  try {
    declared = JSON.parse(value || "{}")
  } catch {
    return {}
  }
  if (!declared || typeof declared !== "object" || Array.isArray(declared)) return {}
  const types = {}
  for (const [type, { name, extensions } = {}] of Object.entries(declared)) {
    types[type.trim().toLowerCase()] = {
      name: typeof name === "string" && name ? name : type,
      extensions: Array.isArray(extensions) ? extensions.map((extension) => String(extension).toLowerCase()) : [],
    }
  }
  return types
}

/** MIME types as the element's `types` name them: ["image/jpeg", "image/webp"] → "JPEG, WebP"; others stay as they are. */
export function typeNames(accepted, types = {}) {
  return accepted.map((type) => types[type]?.name ?? type).join(", ")
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

// How each type's first bytes look, by the same rules as the server's verify.sniff_type. Code, not
// names: which types a page takes comes from its element (data-types), never from here.
const SIGNATURES = {
  "image/jpeg": (head) => head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff,
  "image/png": (head) => ascii(head, 0, 8) === "\x89PNG\r\n\x1a\n",
  "image/gif": (head) => ["GIF87a", "GIF89a"].includes(ascii(head, 0, 6)),
  "image/webp": (head) => ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP",
  "image/avif": (head) => ascii(head, 4, 8) === "ftyp" && isAvifBox(head),
}

/**
 * The type among `declared` (the element's accepted types) that the first bytes announce (at least
 * the first 32, the more the better for AVIF); null for anything else, a type not declared included.
 */
export function sniffType(bytes, declared) {
  const head = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  return declared.find((type) => SIGNATURES[type]?.(head)) ?? null
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
 * `file` itself when its type is known; else, when its first bytes are those of one of the
 * `accepted` types, the same bytes as a File of that type (nothing is copied), as the server would
 * take it; else `file`.
 */
export async function withSniffedType(file, accepted) {
  if (!isGenericType(file.type)) return file
  const type = sniffType(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()), accepted)
  return type ? new File([file], file.name, { type, lastModified: file.lastModified }) : file
}

/**
 * Why the server will refuse `file` ({ name, size, type }), when the browser can already tell:
 * `{ code, message }`, or null. `maxSize` 0 and an empty `accept` check nothing; `types` (parseTypes)
 * names the accepted types. The server stays the authority; this only spares a request bound to
 * fail. Size first, as the server checks.
 *
 * What prepareFile() may still fix is let through: a file without a type (its first bytes will
 * tell), and with a `resize` target any image too large or of a type not accepted.
 */
export function checkFile(file, { maxSize = 0, accept = [], types = {}, resize = null } = {}) {
  const unknown = isGenericType(file.type)
  const resizable = resize !== null && (unknown || String(file.type).trim().toLowerCase().startsWith("image/"))
  if (resizable) return null
  if (isTooLarge(file, maxSize)) return tooLarge(file, maxSize)
  if (!unknown && !isAcceptedType(file.type, accept)) return unsupported(file, accept, types)
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

function unsupported(file, accept, types) {
  return {
    code: "unsupported_type",
    message: interpolate(gettext("%(name)s is not one of the accepted types: %(types)s."), {
      name: file.name,
      types: typeNames(accept, types),
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
  { maxSize = 0, accept = [], types = {}, resize = null } = {},
  { shrink = resizeImage } = {},
) {
  const known = await withSniffedType(file, accept)
  const chosen = (resize && (await shrink(known, resize, { maxSize, accept, types }))) || known
  let refusal = null
  if (isTooLarge(chosen, maxSize)) refusal = tooLarge(chosen, maxSize)
  else if (!isAcceptedType(chosen.type, accept)) refusal = unsupported(chosen, accept, types)
  if (refusal) throw new UploadFailure(refusal.message, { code: refusal.code, retryable: false })
  return chosen
}
