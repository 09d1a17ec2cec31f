// Direct-to-S3 image uploads for every [data-uploader] element.
// Each file: create a row (JSON API) → POST the file to S3 with the signed
// fields → ask the API to verify it. URLs and limits come from data- attributes.

const UNITS = [
  ["GB", 2 ** 30],
  ["MB", 2 ** 20],
  ["KB", 2 ** 10],
]

const RETRYABLE_STORAGE_CODES = new Set(["RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable"])

const XML_ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

/** "12.4 MB", "10 MB", "532 KB", "17 bytes"; 1 MB is 1,048,576 bytes. */
export function formatSize(bytes) {
  for (const [unit, factor] of UNITS) {
    if (bytes >= factor) {
      const scaled = (bytes * 10) / factor
      let tenths = Math.round(scaled)
      // Round half to even like the server's Python, so both print the same size.
      if (scaled % 1 === 0.5 && tenths % 2 === 1) tenths -= 1
      return `${tenths / 10} ${unit}`
    }
  }
  return bytes === 1 ? "1 byte" : `${bytes} bytes`
}

/** Put an upload id into a URL template such as "/uploads/api/uploads/{id}/". */
export function fillUrl(template, id) {
  return template.replaceAll("{id}", encodeURIComponent(id))
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
      worker.onerror = (event) => reject(new Error(event.message || "the hashing worker failed"))
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

/**
 * A sentence for the user about a failed POST to S3.
 * `status` 0 is a network or CORS failure; `code` and `message` come from parseS3Error.
 */
export function s3ErrorMessage({ status, code = "", message = "" }, { maxSize, size } = {}) {
  if (!status) return "Could not reach the file storage. Check your connection and try again."
  switch (code) {
    case "EntityTooLarge": {
      const signed = size ? `the upload was signed for ${formatSize(size)}` : "the upload was not signed for this size"
      const limit = maxSize ? `; the limit is ${formatSize(maxSize)}` : ""
      return `File is too large: ${signed}${limit}.`
    }
    case "EntityTooSmall":
      return size
        ? `File is too small: the upload was signed for ${formatSize(size)}. Pick the file again.`
        : "File is too small for this upload. Pick the file again."
    case "AccessDenied":
      if (isPolicyExpired({ code, message })) {
        return "The upload permission expired before the file was sent. Retry to get a new one."
      }
      if (/invalid according to policy|policy condition failed/i.test(message)) {
        return "The storage refused the upload: it does not match what the server allowed."
      }
      return "The storage refused the upload (access denied)."
    case "SignatureDoesNotMatch":
      return "The storage rejected the upload signature. The server's storage settings need fixing."
    case "RequestTimeout":
      return "The upload was too slow and the storage stopped waiting. Try again."
    case "SlowDown":
      return "The storage is busy. Try again in a moment."
    case "InternalError":
      return "The storage had an internal error. Try again."
    case "ServiceUnavailable":
      return "The storage is unavailable right now. Try again in a moment."
    case "NoSuchBucket":
      return "The storage bucket does not exist. The server's storage settings need fixing."
    case "":
      return `The storage answered HTTP ${status} without an error code.`
    default:
      return `The storage refused the upload: ${code} (HTTP ${status}).`
  }
}

/** A sentence for the user about a failed API call: the server's own message when it sent one. */
export function apiErrorMessage(status, json) {
  const message = json?.error?.message
  if (typeof message === "string" && message.trim()) return message
  if (!status) return "Could not reach the server. Check your connection and try again."
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`
  return `Unexpected reply from the server (HTTP ${status}).`
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
  const { createUrl, detailUrl, completeUrl, csrfToken = "", maxSize, parallel, profile = "default" } = root.dataset
  if (!createUrl || !detailUrl || !completeUrl) {
    throw new Error("[data-uploader] needs data-create-url, data-detail-url and data-complete-url.")
  }
  return {
    createUrl,
    detailUrl,
    completeUrl,
    csrfToken,
    profile,
    maxSize: Number(maxSize) || 0,
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

const instances = new WeakMap()

/**
 * Bind one [data-uploader] element: its file input, drop zone and list.
 * Returns `{ addFiles(fileList), destroy() }`; mounting twice returns the same object.
 */
export function mount(root) {
  if (instances.has(root)) return instances.get(root)

  const config = readConfig(root)
  const queue = createQueue(config.parallel)
  const input = root.querySelector("input[type=file]")
  const zone = root.querySelector("[data-uploader-drop]") ?? root
  const list = root.querySelector("[data-uploader-list]") ?? root.querySelector("ul")
  const rows = new Map()
  const listening = new AbortController()
  const on = (target, type, handler) => target?.addEventListener(type, handler, { signal: listening.signal })
  let dragDepth = 0
  let rowCount = 0

  function emit(type, detail) {
    root.dispatchEvent(new CustomEvent(`uploads:${type}`, { bubbles: true, detail }))
  }

  async function request(url, { method, json, signal, keepalive }) {
    const headers = { Accept: "application/json", "X-CSRFToken": config.csrfToken }
    if (json !== undefined) headers["Content-Type"] = "application/json"
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
    setStatus(row, "checking", "Checking file…")
    row.sha256 ??= await sha256Base64(file)
    signal.throwIfAborted()
    setStatus(row, "uploading", "Uploading…")
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
    setStatus(row, "verifying", "Verifying…")
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
        setStatus(row, "retrying", `${error.message} Retrying in ${seconds} s…`)
        await pause(backoffDelay(retry), signal)
      }
    }
  }

  async function start(row) {
    const attempt = new AbortController()
    row.attempt = attempt
    row.li.classList.remove("is-error")
    row.progress.value = 0
    setStatus(row, "waiting", "Waiting…")
    setActions(row, ["Cancel"])
    try {
      const upload = await queue.run(() => transferWithRetries(row, attempt.signal), { signal: attempt.signal })
      if (upload.status !== "uploaded" || !upload.url) {
        throw new UploadFailure("The server did not confirm the file; try again.", { code: "not_verified", retryable: true })
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
    setStatus(row, "done", upload.duplicate ? "Already uploaded" : "Uploaded")
    const thumbnail = h("img", { class: "uploader__thumb", alt: file.name, src: upload.url, decoding: "async" })
    li.querySelector(".uploader__thumb").replaceWith(thumbnail)
    const size = formatSize(upload.size ?? file.size)
    const details = upload.width && upload.height ? `${upload.width} × ${upload.height} · ${size}` : size
    row.status.after(h("p", { class: "uploader__details" }, details))
    setActions(row, [])
    emit("verified", { file, upload })
  }

  function fail(row, error) {
    if (!(error instanceof UploadFailure)) console.error(error)
    const { message, code, retryable } =
      error instanceof UploadFailure
        ? error
        : { message: `The upload stopped unexpectedly: ${error.message}`, code: "client_error", retryable: true }
    row.li.classList.add("is-error")
    row.li.dataset.state = "failed"
    row.progress.value = 0
    row.status.replaceChildren(h("span", { role: "alert" }, message))
    setActions(row, retryable ? ["Retry", "Remove"] : ["Remove"])
    emit("error", { file: row.file, code, message, retryable })
  }

  // Best effort: a pending row left behind is for the server's clean-up.
  function discard(row) {
    if (!row.id) return
    request(fillUrl(config.detailUrl, row.id), { method: "DELETE", keepalive: true }).catch(() => {})
    row.id = null
  }

  function removeRow(row) {
    const { li } = row
    if (li.contains(document.activeElement)) {
      const neighbour = li.nextElementSibling ?? li.previousElementSibling
      ;(neighbour?.querySelector("button") ?? input)?.focus()
    }
    li.remove()
    rows.delete(li)
  }

  const actions = {
    Cancel(row) {
      row.attempt?.abort()
      discard(row)
      removeRow(row)
    },
    Retry(row) {
      discard(row)
      start(row)
    },
    Remove(row) {
      discard(row)
      removeRow(row)
    },
  }

  function setStatus(row, state, text) {
    row.li.dataset.state = state
    row.status.textContent = text
  }

  function setActions(row, names) {
    const hadFocus = row.actions.contains(document.activeElement)
    row.actions.replaceChildren(
      ...names.map((name) =>
        h("button", { type: "button", class: "uploader__button", "data-action": name, "aria-describedby": row.nameId }, name),
      ),
    )
    if (hadFocus) (row.actions.querySelector("button") ?? input)?.focus()
  }

  function createRow(file) {
    rowCount += 1
    const nameId = `${root.id || "uploader"}-file-${rowCount}`
    const li = h("li", { class: "uploader__file" })
    const body = h("div", { class: "uploader__body" })
    const progress = h("progress", { class: "uploader__progress", max: "100", "aria-label": `Upload progress for ${file.name}` })
    progress.value = 0
    const status = h("p", { class: "uploader__status", role: "status" })
    const actionsBox = h("div", { class: "uploader__actions" })
    body.append(h("span", { class: "uploader__name", id: nameId }, file.name), progress, status)
    li.append(h("div", { class: "uploader__thumb", "aria-hidden": "true" }), body, actionsBox)
    return { file, li, progress, status, actions: actionsBox, nameId, id: null, attempt: null }
  }

  function addFiles(fileList) {
    for (const file of Array.from(fileList ?? [])) {
      const row = createRow(file)
      rows.set(row.li, row)
      list.append(row.li)
      emit("added", { file })
      start(row)
    }
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
    if (row) actions[button.dataset.action]?.(row)
  })

  const instance = {
    addFiles,
    destroy() {
      listening.abort()
      for (const row of rows.values()) {
        if (row.attempt) actions.Cancel(row)
      }
      instances.delete(root)
      delete root.dataset.uploaderMounted
    },
  }
  instances.set(root, instance)
  root.dataset.uploaderMounted = ""
  // Files picked while this module was still loading fired a change nobody heard.
  if (input?.files?.length) takeInputFiles()
  return instance
}

if (typeof document !== "undefined") {
  for (const element of document.querySelectorAll("[data-uploader]")) {
    try {
      mount(element)
    } catch (error) {
      console.error(error)
    }
  }
}
