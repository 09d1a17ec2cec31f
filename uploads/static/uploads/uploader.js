// Direct-to-S3 image uploads for every [data-uploader] element.
// Each file: create a row (JSON API) → POST the file to S3 with the signed
// fields → ask the API to verify it. URLs and limits come from data- attributes.
//
// Public API
//
//   mount(element) → instance        Bind one [data-uploader] element; mounting it again returns
//                                    the same instance. Throws if a required data- attribute is missing.
//     instance.element               the [data-uploader] element
//     instance.addFiles(files)       upload a FileList or array of File, as if picked; a file over
//                                    data-max-size or of a type not in data-accept fails at once
//     instance.destroy()             cancel uploads in flight and drop every listener
//     instance.ids                   the field's value, in order ([] outside field mode)
//     instance.busy                  how many files are still on their way (neither done nor failed)
//   mountAll(scope = document) → [instance]
//                                    mount scope and every [data-uploader] in it, except formset
//                                    templates (inside .empty-form, or an id with __prefix__)
//
// On load every uploader in the page is mounted, and a MutationObserver mounts uploaders added
// later (admin "Add another", a project's own script) and destroys those taken out of the page.
// While a file is on its way, leaving the page asks the browser to warn first; when the browser
// comes back online, files that failed with a retryable error start again by themselves.
//
// Events, dispatched on the [data-uploader] element, bubbling:
//   uploads:added     { file }
//   uploads:progress  { file, loaded, total }           bytes sent to S3
//   uploads:verified  { file, upload }                  the API's upload; upload.duplicate when the
//                                                       same bytes were already uploaded
//   uploads:error     { file, code, message, retryable }  also before any request: code "too_large"
//                                                       or "unsupported_type" when the browser can tell
//   uploads:change    { ids }                           field mode: the value changed (files joined,
//                                                       moved or removed); fires before uploads:verified
//
// Field mode (data-field): the uploader feeds a form field through its input[data-uploader-value]:
// the ids of the done rows, comma-separated, in list order. data-multiple keeps several, in an order
// the user chooses (data-max-count caps them), marks the first as the cover, and announces each move
// in a polite live region (.uploader__live); without it a new upload replaces the previous one.
//
// Thumbnails: a row shows the chosen file itself (an object URL, revoked when the row goes) from the
// moment it is picked, and the smallest variant once the server's reply names one; a row the server
// rendered keeps the variant or placeholder it came with. Never the original's URL (upload.url): it
// is full size. A file the browser cannot decode shows the placeholder.
//
// Texts come from the app's catalogue script (uploads/jsi18n/, loaded beside this module), which
// answers an "uploads:catalogue" event with its catalogue. Not from window.django: other scripts
// replace that object (the admin's jquery.init.js does), and the uploader's texts went with it.
// Without that script, Django's own catalogue (django.gettext …) is used if the page loads one.

/**
 * The uploader's catalogue ({ catalog, formats, pluralidx }) when its script is in the page, else null.
 * Asked at each call, not at import: the catalogue script may load after this module.
 */
function ownCatalogue() {
  if (typeof document === "undefined") return null
  let found = null
  const receive = (catalogue) => {
    found ??= catalogue
  }
  document.dispatchEvent(new CustomEvent("uploads:catalogue", { detail: { receive } }))
  return found
}

/** The uploader's catalogue's translation, else Django's `gettext` when the page has it, else the English msgid. */
export function gettext(msgid) {
  const own = ownCatalogue()
  if (own) {
    const value = own.catalog[msgid]
    if (value === undefined) return msgid
    return typeof value === "string" ? value : value[0]
  }
  const translate = globalThis.django?.gettext
  return typeof translate === "function" ? translate(msgid) : msgid
}

/** Like `gettext`, with the catalogue's plural rule; English's one/other rule without a catalogue. */
export function ngettext(singular, plural, count) {
  const own = ownCatalogue()
  if (own) {
    const value = own.catalog[singular]
    if (value === undefined) return count === 1 ? singular : plural
    return Array.isArray(value) ? value[own.pluralidx(count)] : value
  }
  const translate = globalThis.django?.ngettext
  if (typeof translate === "function") return translate(singular, plural, count)
  return count === 1 ? singular : plural
}

/** The active language's decimal separator: "," in German. */
function decimalSeparator() {
  const separator = ownCatalogue()?.formats?.DECIMAL_SEPARATOR ?? globalThis.django?.formats?.DECIMAL_SEPARATOR
  return typeof separator === "string" ? separator : "."
}

/** Fill `%(name)s` placeholders from `values`, with Django's `interpolate` when it is there. */
export function interpolate(format, values) {
  const own = globalThis.django?.interpolate
  if (typeof own === "function") return own(format, values, true)
  return format.replace(/%\(([^)]+)\)s/g, (placeholder, name) => (name in values ? String(values[name]) : placeholder))
}

const UNITS = [
  [2 ** 30, (size) => interpolate(gettext("%(size)s GB"), { size })],
  [2 ** 20, (size) => interpolate(gettext("%(size)s MB"), { size })],
  [2 ** 10, (size) => interpolate(gettext("%(size)s KB"), { size })],
]

const RETRYABLE_STORAGE_CODES = new Set(["RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable"])

const XML_ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

/** "12.4 MB", "10 MB", "532 KB", "17 bytes" ("12,4 MB" in German); 1 MB is 1,048,576 bytes. */
export function formatSize(bytes) {
  for (const [factor, unit] of UNITS) {
    if (bytes >= factor) {
      const scaled = (bytes * 10) / factor
      let tenths = Math.round(scaled)
      // Round half to even like the server's Python, so both print the same size.
      if (scaled % 1 === 0.5 && tenths % 2 === 1) tenths -= 1
      return unit(String(tenths / 10).replace(".", decimalSeparator()))
    }
  }
  return countBytes(bytes)
}

function countBytes(bytes) {
  return interpolate(ngettext("%(count)s byte", "%(count)s bytes", bytes), { count: bytes })
}

/** Put an upload id into a URL template such as "/uploads/api/uploads/{id}/". */
export function fillUrl(template, id) {
  return template.replaceAll("{id}", encodeURIComponent(id))
}

/** An API call's headers: JSON on every call that changes something, with a body or without (the API takes nothing else). */
export function apiHeaders(method, csrfToken) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken }
  if (method !== "GET" && method !== "HEAD") headers["Content-Type"] = "application/json"
  return headers
}

/** Milliseconds to wait before automatic retry number `attempt` (0-based): 1 s, 2 s, 4 s, at most 8 s. */
export function backoffDelay(attempt) {
  return Math.min(1000 * 2 ** attempt, 8000)
}

/** Automatic retries of a transient failure before the file waits for the user's Retry. */
export const AUTO_RETRIES = 3

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
export async function sha256Base64(blob) {
  if (!globalThis.crypto?.subtle) return ""
  if (typeof Worker === "undefined") return toBase64(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()))
  const url = URL.createObjectURL(new Blob([DIGEST_WORKER], { type: "text/javascript" }))
  const worker = new Worker(url)
  try {
    const reply = await new Promise((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data)
      worker.onerror = (event) => reject(new Error(event.message || gettext("the hashing worker failed")))
      worker.postMessage(blob)
    })
    if (reply.error) throw new Error(reply.error)
    return toBase64(reply.digest)
  } finally {
    worker.terminate()
    URL.revokeObjectURL(url)
  }
}

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

function isPolicyExpired({ code, message = "" }) {
  return code === "AccessDenied" && /policy expired/i.test(message)
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

/** A sentence for the user about a failed API call: the server's own message when it sent one. */
export function apiErrorMessage(status, json) {
  const message = json?.error?.message
  if (typeof message === "string" && message.trim()) return message
  if (!status) return gettext("Could not reach the server. Check your connection and try again.")
  if (status >= 500) {
    return interpolate(gettext("The server had a problem (HTTP %(status)s). Try again in a moment."), { status })
  }
  return interpolate(gettext("Unexpected reply from the server (HTTP %(status)s)."), { status })
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
 * Runs async tasks at most `limit` at a time, in the order given.
 * `run(task, { signal })` resolves or rejects with the task; aborting the signal
 * while the task waits drops it unstarted and rejects with the signal's reason.
 */
export function createQueue(limit) {
  const waiting = []
  let running = 0

  function next() {
    while (running < limit && waiting.length > 0) {
      const job = waiting.shift()
      job.started()
      running += 1
      Promise.resolve()
        .then(job.task)
        .then(job.resolve, job.reject)
        .finally(() => {
          running -= 1
          next()
        })
    }
  }

  function run(task, { signal } = {}) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const onAbort = () => {
        waiting.splice(waiting.indexOf(job), 1)
        reject(signal.reason)
      }
      const job = { task, resolve, reject, started: () => signal?.removeEventListener("abort", onAbort) }
      signal?.addEventListener("abort", onAbort, { once: true })
      waiting.push(job)
      next()
    })
  }

  return {
    run,
    get running() {
      return running
    },
    get waiting() {
      return waiting.length
    },
  }
}

/** A field's value as upload ids, in order, each once: "a, b,,a" → ["a", "b"]. */
export function parseIds(value) {
  const ids = String(value ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean)
  return [...new Set(ids)]
}

/** Upload ids as the field's value: comma-separated, in order, each once. */
export function serializeIds(ids) {
  return parseIds(Array.from(ids).join(",")).join(",")
}

/** The value of cookie `name` in a `document.cookie` string, or "" when it is not set. */
export function readCookie(cookies, name = "csrftoken") {
  for (const pair of String(cookies ?? "").split(";")) {
    const at = pair.indexOf("=")
    if (at < 0 || pair.slice(0, at).trim() !== name) continue
    const value = pair.slice(at + 1).trim()
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  }
  return ""
}

/** Whether an element is a formset's hidden template form, which is cloned, never used itself. */
export function isFormsetTemplate(element) {
  return (element.id ?? "").includes("__prefix__") || element.closest(".empty-form") !== null
}

/**
 * Django's "Add another" renames `__prefix__` in the id, name and for attributes of a cloned
 * formset row, but not in aria-describedby. Rename those references the same way, taking the
 * form's index from the element's own (already renamed) id: "id_variants-__prefix__-image_hint"
 * next to the id "id_variants-2-image" becomes "id_variants-2-image_hint".
 */
export function renamePrefixed(references, ownId) {
  return references
    .split(/\s+/)
    .filter(Boolean)
    .map((reference) => {
      const [before, after] = reference.split("__prefix__")
      if (after === undefined || !ownId.startsWith(before)) return reference
      const index = /^[^-]+/.exec(ownId.slice(before.length))
      return index ? `${before}${index[0]}${after}` : reference
    })
    .join(" ")
}

/** What to say when a capped field refused `refused` files: "This field takes at most 10 images; 2 were not added." */
export function maxCountMessage(max, refused) {
  const limit = interpolate(ngettext("at most %(max)s image", "at most %(max)s images", max), { max })
  return interpolate(
    ngettext(
      "This field takes %(limit)s; %(count)s was not added.",
      "This field takes %(limit)s; %(count)s were not added.",
      refused,
    ),
    { limit, count: refused },
  )
}

/** What to say when a capped field is full and a failed file is retried. */
export function retryRefusedMessage(max) {
  return interpolate(
    ngettext(
      "This field takes at most %(max)s image; remove one before retrying this file.",
      "This field takes at most %(max)s images; remove one before retrying this file.",
      max,
    ),
    { max },
  )
}

/** What to say when a single-upload field was given several files and kept the first. */
export function oneFileMessage(kept, refused) {
  return interpolate(
    ngettext(
      "This field takes one image: %(name)s was added, %(count)s other file was not.",
      "This field takes one image: %(name)s was added, %(count)s other files were not.",
      refused,
    ),
    { name: kept, count: refused },
  )
}

/** What to say when the form is submitted while `count` files are still uploading. */
export function waitMessage(count) {
  return interpolate(
    ngettext(
      "Wait for %(count)s image to finish uploading, then save.",
      "Wait for %(count)s images to finish uploading, then save.",
      count,
    ),
    { count },
  )
}

/**
 * What a row's thumbnail shows once the server answered with `upload`: the smallest of its variants
 * made so far, else `localPreview` (an object URL of the chosen file), else null for the placeholder.
 * Never `upload.url`: that is the original, full size, and a thumbnail is never the original.
 */
export function thumbnailSource(upload, localPreview = null) {
  let smallest = null
  for (const variant of Object.values(upload?.variants ?? {})) {
    if (typeof variant?.url !== "string" || !variant.url) continue
    const area = Number(variant.width) * Number(variant.height) || Infinity
    if (!smallest || area < smallest.area) smallest = { url: variant.url, area }
  }
  return smallest?.url ?? localPreview ?? null
}

/** What a row says of a reviewed upload (the API's `state`, `review` and `review_reason`), or "". */
export function reviewNote(upload) {
  if (upload?.state === "rejected") {
    const reason = String(upload.review_reason ?? "").trim()
    return reason ? interpolate(gettext("Rejected: %(reason)s"), { reason }) : gettext("Rejected")
  }
  if (upload?.state === "awaiting_review") return gettext("Awaiting review")
  return upload?.review === "approved" ? gettext("Approved") : ""
}

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

class UploadFailure extends Error {
  constructor(message, { code, retryable }) {
    super(message)
    this.name = "UploadFailure"
    this.code = code
    this.retryable = retryable
  }
}

function apiFailure(status, json) {
  const code = json?.error?.code ?? (status ? `http_${status}` : "network_error")
  return new UploadFailure(apiErrorMessage(status, json), { code, retryable: isRetryable({ status, code }) })
}

function storageFailure(status, body, limits) {
  const parsed = status ? parseS3Error(body) : { code: "", message: "" }
  const failure = { status, ...parsed }
  const code = parsed.code || (status ? `http_${status}` : "network_error")
  return new UploadFailure(s3ErrorMessage(failure, limits), { code, retryable: isRetryable(failure) })
}

function readConfig(root) {
  const { createUrl, detailUrl, completeUrl, maxSize, maxCount, parallel, accept, firstBadge, profile = "default" } =
    root.dataset
  if (!createUrl || !detailUrl || !completeUrl) {
    throw new Error("[data-uploader] needs data-create-url, data-detail-url and data-complete-url.")
  }
  const field = "field" in root.dataset
  const valueInput = field ? root.querySelector("[data-uploader-value]") : null
  if (field && !valueInput) throw new Error("[data-uploader][data-field] needs an input[data-uploader-value].")
  const multiple = field && "multiple" in root.dataset
  return {
    createUrl,
    detailUrl,
    completeUrl,
    profile,
    field,
    multiple,
    valueInput,
    maxSize: Number(maxSize) || 0,
    accept: parseAccept(accept),
    maxCount: multiple ? Math.max(0, Number.parseInt(maxCount, 10) || 0) : 0,
    // The field's label for its first image (a cover), already in the page's language; none if absent.
    firstBadge: multiple ? firstBadge || "" : "",
    parallel: Math.max(1, Number.parseInt(parallel, 10) || 1),
  }
}

function pause(milliseconds, signal) {
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

function h(tag, attributes = {}, text = "") {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  if (text) node.textContent = text
  return node
}

// Button texts by data-action, looked up at render time so a late catalogue still applies.
const ACTION_LABELS = {
  Cancel: () => gettext("Cancel upload"),
  Retry: () => gettext("Retry"),
  Remove: () => gettext("Remove"),
  "Move up": () => gettext("Move up"),
  "Move down": () => gettext("Move down"),
}

const SETTLED_STATES = new Set(["done", "failed"])

const ROW_DRAG_TYPE = "application/x-uploads-row"

const instances = new WeakMap()

// Page-wide, so rows of a cloned uploader (same element id) never share a name id with the original's.
let rowSerial = 0

/**
 * Bind one [data-uploader] element: its file input, drop zone and list (and in field mode its
 * value input, message area and form). Mounting twice returns the same instance.
 */
export function mount(root) {
  if (instances.has(root)) return instances.get(root)

  const config = readConfig(root)
  const { field, multiple, maxCount, valueInput } = config
  const queue = createQueue(config.parallel)
  const input = root.querySelector("input[type=file]")
  const described = input?.getAttribute("aria-describedby")
  if (described?.includes("__prefix__")) input.setAttribute("aria-describedby", renamePrefixed(described, input.id))
  const zone = root.querySelector("[data-uploader-drop]") ?? root
  const list = root.querySelector("[data-uploader-list]") ?? root.querySelector("ul")
  const message = field ? (root.querySelector("[data-uploader-message]") ?? addMessageArea()) : null
  const live = multiple ? (root.querySelector(".uploader__live") ?? addLiveRegion()) : null
  const rows = new Map()
  const listening = new AbortController()
  const on = (target, type, handler) => target?.addEventListener(type, handler, { signal: listening.signal })
  let dragDepth = 0
  let messageKind = null
  let waitingFor = 0
  let dragged = null

  function emit(type, detail) {
    root.dispatchEvent(new CustomEvent(`uploads:${type}`, { bubbles: true, detail }))
  }

  // The widget is rendered without a token (it cannot know it), so look for one at request time.
  function csrfToken() {
    const named = "input[name=csrfmiddlewaretoken]"
    return (
      root.dataset.csrfToken ||
      root.closest("form")?.querySelector(named)?.value ||
      document.querySelector(named)?.value ||
      readCookie(document.cookie)
    )
  }

  async function request(url, { method, json, signal, keepalive }) {
    const headers = apiHeaders(method, csrfToken())
    let response
    try {
      response = await fetch(url, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        credentials: "same-origin",
        signal,
        keepalive,
      })
    } catch (error) {
      if (error.name === "AbortError") throw error
      throw apiFailure(0, null)
    }
    const body = response.status === 204 ? {} : await response.json().catch(() => null)
    signal?.throwIfAborted()
    if (!response.ok || body === null) throw apiFailure(response.status, body)
    return body
  }

  function sendToStorage({ url, fields }, file, { signal, onProgress }) {
    return new Promise((resolve, reject) => {
      signal.throwIfAborted()
      const xhr = new XMLHttpRequest()
      const attached = new AbortController()
      const listen = (target, type, handler) => target.addEventListener(type, handler, { signal: attached.signal })
      const settle = (outcome, value) => {
        attached.abort()
        outcome(value)
      }
      const limits = { maxSize: config.maxSize, size: file.size }

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

  async function transfer(row, signal) {
    const { file } = row
    setStatus(row, "checking", gettext("Checking file…"))
    row.sha256 ??= await sha256Base64(file)
    signal.throwIfAborted()
    setStatus(row, "uploading", gettext("Uploading…"))
    const declared = { filename: file.name, content_type: file.type, size: file.size, profile: config.profile }
    if (row.sha256) declared.sha256 = row.sha256
    // Not aborted with the attempt: a cancelled create still has to tell us which row to delete.
    const created = await request(config.createUrl, { method: "POST", json: declared })
    if (created.duplicate) return created // the same bytes are already verified: nothing to send
    row.id = created.id
    signal.throwIfAborted()
    await sendToStorage(created.upload, file, {
      signal,
      onProgress(loaded, total) {
        // The bar carries the percentage; the status (a live region) changes only with the state.
        row.progress.value = total > 0 ? Math.floor((loaded / total) * 100) : 0
        emit("progress", { file, loaded, total })
      },
    })
    row.progress.value = 100
    setStatus(row, "verifying", gettext("Verifying…"))
    return request(fillUrl(config.completeUrl, row.id), { method: "POST", signal })
  }

  async function transferWithRetries(row, signal) {
    for (let retry = 0; ; retry += 1) {
      try {
        return await transfer(row, signal)
      } catch (error) {
        if (!(error instanceof UploadFailure) || !error.retryable || retry >= AUTO_RETRIES || signal.aborted) throw error
        discard(row)
        const seconds = backoffDelay(retry) / 1000
        const note = interpolate(gettext("%(error)s Retrying in %(seconds)s s…"), { error: error.message, seconds })
        setStatus(row, "retrying", note)
        await pause(backoffDelay(retry), signal)
      }
    }
  }

  async function start(row) {
    const attempt = new AbortController()
    row.attempt = attempt
    row.li.classList.remove("is-error")
    row.progress.value = 0
    setStatus(row, "waiting", gettext("Waiting…"))
    setActions(row, ["Cancel"])
    changed()
    try {
      const upload = await queue.run(() => transferWithRetries(row, attempt.signal), { signal: attempt.signal })
      // Cancelled while the last reply (a duplicate's, say) was on its way: the row is gone already.
      attempt.signal.throwIfAborted()
      if (upload.status !== "uploaded" || !upload.url) {
        throw new UploadFailure(gettext("The server did not confirm the file; try again."), {
          code: "not_verified",
          retryable: true,
        })
      }
      succeed(row, upload)
    } catch (error) {
      if (attempt.signal.aborted) discard(row)
      else fail(row, error)
    } finally {
      if (row.attempt === attempt) row.attempt = null
    }
  }

  function succeed(row, upload) {
    const { file, li } = row
    row.id = null
    row.progress.value = 100
    setStatus(row, "done", upload.duplicate ? gettext("Already uploaded") : gettext("Uploaded"))
    showThumbnail(row, thumbnailSource(upload, row.preview))
    const size = formatSize(upload.size ?? file.size)
    const details =
      upload.width && upload.height
        ? interpolate(gettext("%(width)s × %(height)s · %(size)s"), { width: upload.width, height: upload.height, size })
        : size
    const detailsLine = h("p", { class: "uploader__details" }, details)
    row.status.after(detailsLine)
    // A duplicate may be an upload a reviewer already rejected: say so, with the reason.
    const note = reviewNote(upload)
    if (note) detailsLine.after(h("p", { class: "uploader__review" }, note))
    if (upload.state) li.dataset.reviewState = upload.state
    if (field) join(row, upload)
    else setActions(row, [])
    emit("verified", { file, upload })
  }

  function join(row, upload) {
    const id = String(upload.id)
    if (upload.duplicate && fieldIds().includes(id)) {
      // The server answered with an id the field already holds: a second row would be the same image twice.
      removeRow(row)
      say(interpolate(gettext("%(name)s is already in this field."), { name: row.file.name }))
    } else {
      row.uploadId = id
      // A duplicate's upload was made elsewhere (maybe for a saved object), so it is never ours to delete.
      row.owned = !upload.duplicate
      row.li.dataset.uploadId = id
      setDoneActions(row)
      if (!multiple) {
        for (const other of rows.values()) {
          if (other !== row && other.li.dataset.state === "done") release(other)
        }
      }
    }
    changed()
  }

  function fail(row, error) {
    if (!(error instanceof UploadFailure)) console.error(error)
    const { message: text, code, retryable } =
      error instanceof UploadFailure
        ? error
        : {
            message: interpolate(gettext("The upload stopped unexpectedly: %(error)s"), { error: error.message }),
            code: "client_error",
            retryable: true,
          }
    row.li.classList.add("is-error")
    row.li.dataset.state = "failed"
    row.retryable = retryable
    row.progress.value = 0
    row.status.replaceChildren(h("span", { role: "alert" }, text))
    setActions(row, retryable ? ["Retry", "Remove"] : ["Remove"])
    changed()
    emit("error", { file: row.file, code, message: text, retryable })
  }

  function forget(id) {
    request(fillUrl(config.detailUrl, id), { method: "DELETE", keepalive: true }).catch(() => {})
  }

  // Best effort: a pending row left behind is for the server's clean-up.
  function discard(row) {
    if (!row.id) return
    forget(row.id)
    row.id = null
  }

  // Takes a done row out of the field. Only an upload made on this page is deleted: a server-rendered
  // one may already belong to the saved object, and the server decides that on save.
  function release(row) {
    if (row.owned) forget(row.uploadId)
    row.owned = false
    removeRow(row)
  }

  function removeRow(row) {
    const { li } = row
    dropPreview(row)
    if (li.contains(document.activeElement)) {
      const neighbour = li.nextElementSibling ?? li.previousElementSibling
      ;(neighbour?.querySelector("button:enabled") ?? input)?.focus()
    }
    li.remove()
    rows.delete(li)
  }

  function move(row, action) {
    const { li } = row
    const up = action === "Move up"
    const sibling = up ? li.previousElementSibling : li.nextElementSibling
    if (!sibling) return
    if (up) sibling.before(li)
    else sibling.after(li)
    changed()
    announcePosition(row)
    // Taking the row out of the list blurred its button; keep the keyboard on the row that moved.
    const same = row.actions.querySelector(`button[data-action="${action}"]`)
    ;(same?.disabled ? row.actions.querySelector("button:enabled") : same)?.focus()
  }

  const actions = {
    Cancel(row) {
      row.attempt?.abort()
      discard(row)
      removeRow(row)
      changed()
    },
    Retry(row) {
      if (!hasRoom()) {
        say(retryRefusedMessage(maxCount))
        return
      }
      discard(row)
      start(row)
    },
    Remove(row) {
      discard(row)
      release(row)
      changed()
    },
    "Move up": move,
    "Move down": move,
  }

  function setStatus(row, state, text) {
    row.li.dataset.state = state
    row.status.textContent = text
  }

  function setActions(row, names) {
    const hadFocus = row.actions.contains(document.activeElement)
    row.actions.replaceChildren(
      ...names.map((name) => {
        const button = h("button", { type: "button", class: "uploader__button", "data-action": name }, ACTION_LABELS[name]())
        // The name stays the bare verb ("Remove"); the file name is its description.
        if (row.nameId) button.setAttribute("aria-describedby", row.nameId)
        return button
      }),
    )
    updateMoves(row)
    if (multiple) {
      // Only finished rows of an ordered field can be dragged; the thumbnail would otherwise drag alone.
      row.li.draggable = names.includes("Move up")
      keepThumbnailStill(row)
    }
    if (hadFocus) (row.actions.querySelector("button:enabled") ?? input)?.focus()
  }

  function setDoneActions(row) {
    setActions(row, multiple ? ["Move up", "Move down", "Remove"] : ["Remove"])
  }

  function updateMoves(row) {
    const up = row.actions.querySelector('button[data-action="Move up"]')
    const down = row.actions.querySelector('button[data-action="Move down"]')
    if (up) up.disabled = !row.li.previousElementSibling
    if (down) down.disabled = !row.li.nextElementSibling
  }

  function fieldIds() {
    return Array.from(list.children)
      .filter((li) => li.matches(".uploader__file[data-state=done]"))
      .map((li) => li.dataset.uploadId)
      .filter(Boolean)
  }

  function busyCount() {
    let count = 0
    for (const row of rows.values()) if (!SETTLED_STATES.has(row.li.dataset.state)) count += 1
    return count
  }

  // Failed rows leave the cap free: they are not in the field, and Retry checks the cap again.
  function occupied() {
    let count = 0
    for (const row of rows.values()) if (row.li.dataset.state !== "failed") count += 1
    return count
  }

  function hasRoom() {
    return !maxCount || occupied() < maxCount
  }

  function listedRows() {
    return Array.from(list.children).filter((li) => rows.has(li))
  }

  // After every change in field mode: button states, the message, the value and its event.
  function changed() {
    if (!field || listening.signal.aborted) return
    const focused = document.activeElement
    for (const row of rows.values()) updateMoves(row)
    if (focused?.disabled && list.contains(focused)) {
      ;(focused.closest(".uploader__actions")?.querySelector("button:enabled") ?? input)?.focus()
    }
    if (messageKind === "wait") updateWait()
    if (multiple) markCover()
    const value = serializeIds(fieldIds())
    if (valueInput.value === value) return
    valueInput.value = value
    emit("change", { ids: parseIds(value) })
  }

  // A save was held back: keep the count true, and once nothing is left say so, until the user acts
  // again. Failed rows carry their own alert, and "all uploaded" would not be true of them.
  function updateWait() {
    const count = busyCount()
    if (count === waitingFor) return
    waitingFor = count
    if (count > 0) say(waitMessage(count), { kind: "wait" })
    else if (Array.from(rows.values()).some((row) => row.li.dataset.state === "failed")) quiet()
    else say(gettext("All images are uploaded. You can save now."), { kind: "ready" })
  }

  // A field whose model shows its first image first names it (data-first-badge): the order the user picks is
  // the cover's too. Without that label no image is marked.
  function markCover() {
    if (!config.firstBadge) return
    const cover = list.querySelector(":scope > .uploader__file[data-state=done]")
    for (const badge of list.querySelectorAll(".uploader__badge")) {
      if (badge.closest("li") !== cover) badge.remove()
    }
    if (cover && !cover.querySelector(".uploader__badge")) {
      const badge = h("span", { class: "uploader__badge" }, config.firstBadge)
      const body = cover.querySelector(".uploader__body")
      if (body) body.prepend(badge)
      else cover.append(badge)
    }
  }

  // A move shows only on screen; a polite live region tells screen reader users where the row went.
  function announcePosition(row) {
    const listed = listedRows()
    const position = listed.indexOf(row.li) + 1
    if (!live || position === 0) return
    live.textContent = interpolate(gettext("%(name)s is now %(position)s of %(count)s."), {
      name: row.name,
      position,
      count: listed.length,
    })
  }

  function addLiveRegion() {
    const region = h("div", { class: "uploader__live", "aria-live": "polite", "aria-atomic": "true" })
    root.append(region)
    return region
  }

  function addMessageArea() {
    const area = h("p", { class: "uploader__message", "data-uploader-message": "", role: "alert" })
    area.hidden = true
    list.before(area)
    return area
  }

  function say(text, { kind = "note", focus = false } = {}) {
    message.textContent = text
    message.hidden = false
    messageKind = kind
    if (focus) {
      message.tabIndex = -1
      message.focus()
    }
  }

  function quiet() {
    if (!message || message.hidden) return
    message.hidden = true
    message.textContent = ""
    messageKind = null
  }

  function createRow(file, { withPreview = true } = {}) {
    rowSerial += 1
    const nameId = `${root.id || "uploader"}-file-${rowSerial}`
    const li = h("li", { class: "uploader__file" })
    const body = h("div", { class: "uploader__body" })
    const progress = h("progress", {
      class: "uploader__progress",
      max: "100",
      "aria-label": interpolate(gettext("Upload progress for %(name)s"), { name: file.name }),
    })
    progress.value = 0
    const status = h("p", { class: "uploader__status", role: "status" })
    const actionsBox = h("div", { class: "uploader__actions" })
    body.append(h("span", { class: "uploader__name", id: nameId }, file.name), progress, status)
    const preview = withPreview ? previewOf(file) : null
    li.append(preview ? thumbnailImage(preview, file.name) : thumbnailPlaceholder(), body, actionsBox)
    const row = {
      file,
      name: file.name,
      preview,
      li,
      progress,
      status,
      actions: actionsBox,
      nameId,
      id: null,
      uploadId: null,
      owned: false,
      attempt: null,
    }
    if (preview) watchThumbnail(row, li.querySelector(".uploader__thumb"))
    return row
  }

  // The chosen file itself, shown from the moment it is picked: no request, and never the original's URL.
  function previewOf(file) {
    if (!String(file.type).startsWith("image/") || typeof URL.createObjectURL !== "function") return null
    return URL.createObjectURL(file)
  }

  function dropPreview(row) {
    if (!row.preview) return
    URL.revokeObjectURL(row.preview)
    row.preview = null
  }

  function thumbnailImage(src, alt) {
    return h("img", { class: "uploader__thumb", alt, width: "64", height: "64", decoding: "async", src })
  }

  function thumbnailPlaceholder() {
    return h("span", { class: "uploader__thumb uploader__placeholder", "aria-hidden": "true" })
  }

  // A preview the browser cannot decode (an AVIF where AVIF is unknown, a file that is no image)
  // gives way to the placeholder.
  function watchThumbnail(row, img) {
    img.addEventListener(
      "error",
      () => {
        if (!img.isConnected) return
        img.replaceWith(thumbnailPlaceholder())
        if (img.getAttribute("src") === row.preview) dropPreview(row)
      },
      { once: true },
    )
  }

  // Shows `src` in the row once it has loaded, so the preview stays until the variant can take its
  // place; a variant that does not load leaves what is shown. No `src`: keep the preview, if any.
  function showThumbnail(row, src) {
    const current = row.li.querySelector(".uploader__thumb")
    if (!src || current?.getAttribute("src") === src) return
    const img = thumbnailImage(src, row.name)
    img.addEventListener(
      "load",
      () => {
        const shown = row.li.querySelector(".uploader__thumb")
        if (!rows.has(row.li) || !shown) return
        shown.replaceWith(img)
        keepThumbnailStill(row)
        if (src !== row.preview) dropPreview(row)
      },
      { once: true },
    )
  }

  // A draggable row drags as a whole; its picture must not be dragged out alone.
  function keepThumbnailStill(row) {
    if (!multiple) return
    row.li.querySelector("img")?.setAttribute("draggable", String(!row.li.draggable))
  }

  // A server-rendered row: a finished upload already in the field, which this page did not make.
  function adoptRow(li) {
    // Without its File a row can only be a finished one; a clone of a live uploader also copies
    // rows that were mid-upload, and nothing could ever finish those.
    if ((li.dataset.state || "done") !== "done") {
      li.remove()
      return
    }
    li.dataset.state = "done"
    const name = li.querySelector(".uploader__name")
    if (name && !name.id) name.id = `${root.id || "uploader"}-file-${(rowSerial += 1)}`
    let actionsBox = li.querySelector(".uploader__actions")
    if (!actionsBox) {
      actionsBox = h("div", { class: "uploader__actions" })
      li.append(actionsBox)
    }
    const row = {
      file: null,
      name: name?.textContent.trim() ?? "",
      li,
      progress: li.querySelector("progress"),
      status: li.querySelector(".uploader__status"),
      actions: actionsBox,
      nameId: name?.id ?? "",
      id: null,
      uploadId: li.dataset.uploadId || null,
      owned: false,
      attempt: null,
    }
    rows.set(li, row)
    setDoneActions(row)
  }

  function addFiles(fileList) {
    let files = Array.from(fileList ?? [])
    if (files.length === 0) return
    quiet()
    if (field && !multiple) {
      if (files.length > 1) say(oneFileMessage(files[0].name, files.length - 1))
      files = files.slice(0, 1)
      // The newest pick wins: one still on its way (or failed) would otherwise replace it when it finishes.
      for (const row of rows.values()) {
        if (row.li.dataset.state !== "done") actions.Cancel(row)
      }
    }
    // A file the server would refuse still gets its row, failed at once; only the others count against the cap.
    let room = maxCount ? Math.max(0, maxCount - occupied()) : Infinity
    let refused = 0
    for (const file of files) {
      const refusal = checkFile(file, config)
      if (!refusal && room === 0) {
        refused += 1
        continue
      }
      const row = createRow(file, { withPreview: !refusal })
      rows.set(row.li, row)
      list.append(row.li)
      emit("added", { file })
      if (refusal) {
        fail(row, new UploadFailure(refusal.message, { code: refusal.code, retryable: false }))
      } else {
        room -= 1
        start(row)
      }
    }
    if (refused > 0) say(maxCountMessage(maxCount, refused))
  }

  function hasFiles(event) {
    return Array.from(event.dataTransfer?.types ?? []).includes("Files")
  }

  function takeInputFiles() {
    const files = Array.from(input.files)
    // Reset so picking the same file again fires another change.
    input.value = ""
    addFiles(files)
  }

  on(input, "change", takeInputFiles)
  on(zone, "dragenter", (event) => {
    if (!hasFiles(event)) return
    event.preventDefault()
    // dragenter/dragleave fire for every child crossed; count to know when the pointer really left.
    dragDepth += 1
    zone.classList.add("is-dragover")
  })
  on(zone, "dragover", (event) => {
    if (!hasFiles(event)) return
    event.preventDefault()
    event.dataTransfer.dropEffect = "copy"
  })
  on(zone, "dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1)
    if (dragDepth === 0) zone.classList.remove("is-dragover")
  })
  on(zone, "drop", (event) => {
    if (!hasFiles(event)) return
    event.preventDefault()
    dragDepth = 0
    zone.classList.remove("is-dragover")
    addFiles(event.dataTransfer.files)
  })
  on(list, "click", (event) => {
    const button = event.target.closest("button[data-action]")
    const row = button && rows.get(button.closest("li"))
    if (!row || button.disabled || !(button.dataset.action in actions)) return
    quiet()
    actions[button.dataset.action](row, button.dataset.action)
  })

  if (field) {
    // Reordering by drag is a shortcut for pointers; Move up/Move down stay the way for everyone else.
    on(list, "dragstart", (event) => {
      const row = rows.get(event.target.closest?.("li"))
      if (!row?.li.draggable) return
      quiet()
      dragged = { row, next: row.li.nextElementSibling, from: listedRows().indexOf(row.li) }
      event.dataTransfer.effectAllowed = "move"
      // A private type: dropped on a text box, a row must not paste its id.
      event.dataTransfer.setData(ROW_DRAG_TYPE, row.uploadId ?? "")
      row.li.classList.add("is-dragging")
    })
    on(list, "dragover", (event) => {
      if (!dragged) return
      event.preventDefault()
      event.dataTransfer.dropEffect = "move"
      const over = event.target.closest?.("li")
      if (!over || over === dragged.row.li || !rows.has(over)) return
      const { top, height } = over.getBoundingClientRect()
      if (event.clientY > top + height / 2) over.after(dragged.row.li)
      else over.before(dragged.row.li)
    })
    on(list, "drop", (event) => {
      if (dragged) event.preventDefault()
    })
    on(list, "dragend", (event) => {
      if (!dragged) return
      const { row, next, from } = dragged
      dragged = null
      row.li.classList.remove("is-dragging")
      // Escape or a drop elsewhere: put the row back where it was.
      if (event.dataTransfer?.dropEffect === "none") list.insertBefore(row.li, next?.parentNode === list ? next : null)
      changed()
      if (listedRows().indexOf(row.li) !== from) announcePosition(row)
    })
    on(root.closest("form"), "submit", (event) => {
      const count = busyCount()
      if (count === 0) return
      event.preventDefault()
      waitingFor = count
      say(waitMessage(count), { kind: "wait", focus: true })
    })
    if (!multiple && input) input.multiple = false
    for (const li of Array.from(list.children)) {
      if (li.matches(".uploader__file")) adoptRow(li)
    }
    for (const row of rows.values()) updateMoves(row)
    if (multiple) markCover()
    // The list is the truth: an id in the rendered value without a row is not what the user sees.
    valueInput.value = serializeIds(fieldIds())
  }

  // Leaving mid-upload would drop the files silently. The form's own submit never warns: the submit
  // guard holds it back while anything is in flight, so a submit that goes ahead has nothing left.
  on(window, "beforeunload", (event) => {
    if (busyCount() === 0) return
    event.preventDefault()
    event.returnValue = "" // engines from before preventDefault() asked for the warning
  })
  // Back online: what failed for a transient reason (most often the lost connection) starts over,
  // once per event, as if Retry were pressed. A capped field that filled up meanwhile keeps its Retry.
  on(window, "online", () => {
    for (const li of listedRows()) {
      const row = rows.get(li)
      if (li.dataset.state === "failed" && row.retryable && hasRoom()) {
        discard(row)
        start(row)
      }
    }
  })

  const instance = {
    element: root,
    addFiles,
    destroy() {
      // Listeners first, so cancelling the rows below sends no more events.
      listening.abort()
      for (const row of rows.values()) {
        if (row.attempt) actions.Cancel(row)
        else dropPreview(row)
      }
      instances.delete(root)
      delete root.dataset.uploaderMounted
    },
    get ids() {
      return field ? parseIds(valueInput.value) : []
    },
    get busy() {
      return busyCount()
    },
  }
  instances.set(root, instance)
  root.dataset.uploaderMounted = ""
  // Files picked while this module was still loading fired a change nobody heard.
  if (input?.files?.length) takeInputFiles()
  return instance
}

/**
 * Mount `scope` (when it is an uploader) and every [data-uploader] inside it, skipping formset
 * templates. Returns the instances; an element that cannot be mounted is reported on the console.
 */
export function mountAll(scope = document) {
  const elements = Array.from(scope.querySelectorAll?.("[data-uploader]") ?? [])
  if (scope.matches?.("[data-uploader]")) elements.unshift(scope)
  const mounted = []
  for (const element of elements) {
    if (isFormsetTemplate(element)) continue
    try {
      mounted.push(mount(element))
    } catch (error) {
      console.error(error)
    }
  }
  return mounted
}

function destroyDetached(node) {
  const elements = [node, ...node.querySelectorAll("[data-uploader]")]
  for (const element of elements) {
    // A node moved within the page is removed and added again; it is still connected by now.
    if (!element.isConnected) instances.get(element)?.destroy()
  }
}

// Admin inlines and a project's own scripts add uploaders after load (cloning a template form
// renamed from __prefix__), and take them out again: mount and destroy them as they come and go.
function watch() {
  mountAll(document)
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.removedNodes) if (node.nodeType === Node.ELEMENT_NODE) destroyDetached(node)
      for (const node of record.addedNodes) if (node.nodeType === Node.ELEMENT_NODE && node.isConnected) mountAll(node)
    }
  })
  observer.observe(document.documentElement, { childList: true, subtree: true })
}

if (typeof document !== "undefined") {
  // A module imported early could otherwise mount an uploader whose children the parser has not read yet.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch, { once: true })
  else watch()
}
