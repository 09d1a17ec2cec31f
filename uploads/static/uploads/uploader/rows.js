// A file's row in the list: its DOM (thumbnail, name, progress bar and percentage, status, buttons)
// and the states it goes through. A row is a plain object around its <li>:
//   { file, name, preview, li, progress, percent, status, actions, nameId,
//     sent ({ loaded, total } of the attempt's latest progress, or null),
//     id (a created upload not yet verified), uploadId (a verified one, field mode),
//     owned (made on this page, so ours to delete), attempt (its AbortController), retryable, sha256 }
//
// States, in data-state: waiting → checking → uploading → verifying → done, or failed from any of
// them; retrying sits between two attempts. Cancel removes the row; Retry starts it over.
// The order of an ordered field is the order of its done rows: Move up and Move down step over
// rows still on their way or failed, and a done row's handle (.uploader__handle) drags it.

import { formatSize, gettext, interpolate } from "./i18n.js"

/** Every state a row can be in, in the order a file goes through them. */
export const STATES = ["waiting", "checking", "uploading", "retrying", "verifying", "done", "failed"]

const SETTLED_STATES = new Set(["done", "failed"])

/**
 * Files above this many bytes get the placeholder instead of a preview: showing one, the browser
 * reads the whole file into the page's memory. Larger than any phone's or camera's photo.
 */
export const PREVIEW_LIMIT = 64 * 2 ** 20

// The status line of the states that say nothing more; looked up at render time so a late catalogue still applies.
const STATUS_TEXTS = {
  waiting: () => gettext("Waiting…"),
  checking: () => gettext("Checking file…"),
  uploading: () => gettext("Uploading…"),
  verifying: () => gettext("Verifying…"),
}

// Button texts by data-action, looked up at render time so a late catalogue still applies.
const ACTION_LABELS = {
  Cancel: () => gettext("Cancel upload"),
  Retry: () => gettext("Retry"),
  Remove: () => gettext("Remove"),
  "Move up": () => gettext("Move up"),
  "Move down": () => gettext("Move down"),
}

/** Whether a row in `state` is finished with, well or badly: neither on its way nor waiting to be. */
export function isSettled(state) {
  return SETTLED_STATES.has(state)
}

/** How many of `rows` are still on their way: neither done nor failed. */
export function countBusy(rows) {
  let count = 0
  for (const row of rows) if (!isSettled(row.li.dataset.state)) count += 1
  return count
}

/** The status line of a row in `state`, for the states whose line is always the same; "" otherwise. */
export function statusText(state) {
  return STATUS_TEXTS[state]?.() ?? ""
}

/**
 * The buttons (data-action names) of a row in `state`. On its way: Cancel. Failed: Retry when a
 * retry could succeed, and Remove. Done: nothing outside a form; in a field Remove, and in an
 * ordered field (`multiple`) Move up and Move down first.
 */
export function actionsFor(state, { field = false, multiple = false, retryable = false } = {}) {
  if (state === "failed") return retryable ? ["Retry", "Remove"] : ["Remove"]
  if (state !== "done") return ["Cancel"]
  if (!field) return []
  return multiple ? ["Move up", "Move down", "Remove"] : ["Remove"]
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

/** A done row's details line: "1200 × 800 · 1.2 MB", or the size alone when the dimensions are unknown. */
export function detailsText(upload, file) {
  const size = formatSize(upload.size ?? file.size)
  return upload.width && upload.height
    ? interpolate(gettext("%(width)s × %(height)s · %(size)s"), { width: upload.width, height: upload.height, size })
    : size
}

/** `fraction` (0 to 1) as a whole percentage in the page's language: "42%", "42 %" in German. */
export function formatPercent(fraction) {
  const lang = typeof document === "undefined" ? "" : document.documentElement?.lang || ""
  if (!percentFormats.has(lang)) {
    let format
    try {
      format = new Intl.NumberFormat(lang || undefined, { style: "percent", maximumFractionDigits: 0 })
    } catch {
      // A lang attribute that is no language tag.
      format = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 })
    }
    percentFormats.set(lang, format)
  }
  return percentFormats.get(lang).format(fraction)
}

// Progress is shown many times a second: one formatter per language, made once.
const percentFormats = new Map()

/**
 * The nearest done row before (`"previous"`) or after (`"next"`) `li` in its list, or null: where
 * Move up and Move down take it. Rows on their way or failed are not in the field's order.
 */
export function doneNeighbour(li, direction) {
  const step = direction === "previous" ? (at) => at.previousElementSibling : (at) => at.nextElementSibling
  for (let at = step(li); at; at = step(at)) if (at.dataset.state === "done") return at
  return null
}

/** A new element: `h("p", { class: "uploader__details" }, "…")`. */
export function h(tag, attributes = {}, text = "") {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  if (text) node.textContent = text
  return node
}

// Page-wide, so rows of a cloned uploader (same element id) never share a name id with the original's.
let rowSerial = 0

function nextNameId(prefix) {
  rowSerial += 1
  return `${prefix}-file-${rowSerial}`
}

/**
 * The rows of one uploader. `prefix` starts the rows' name ids (the element's id); `ordered` rows
 * (a field with data-multiple) get a drag handle once done; focus falls back to `input` when the
 * focused button goes; `isListed(row)` says whether a row is still the uploader's.
 */
export function createRowView({ prefix, ordered = false, input = null, isListed }) {
  function create(file, { withPreview = true } = {}) {
    const nameId = nextNameId(prefix)
    const li = h("li", { class: "uploader__file" })
    const body = h("div", { class: "uploader__body" })
    const progress = h("progress", {
      class: "uploader__progress",
      max: "100",
      "aria-label": interpolate(gettext("Upload progress for %(name)s"), { name: file.name }),
    })
    // Seen beside the bar; the bar itself tells assistive technology (aria-valuetext).
    const percent = h("span", { class: "uploader__percent", "aria-hidden": "true" })
    const status = h("p", { class: "uploader__status", role: "status" })
    const actions = h("div", { class: "uploader__actions" })
    body.append(h("span", { class: "uploader__name", id: nameId }, file.name), progress, percent, status)
    const preview = withPreview ? previewOf(file) : null
    li.append(preview ? thumbnailImage(preview, file.name) : thumbnailPlaceholder(), body, actions)
    const row = {
      file,
      name: file.name,
      preview,
      li,
      progress,
      percent,
      status,
      actions,
      nameId,
      sent: null,
      id: null,
      uploadId: null,
      owned: false,
      attempt: null,
    }
    showPercent(row, 0)
    if (preview) watchThumbnail(row, li.querySelector(".uploader__thumb"))
    return row
  }

  // A server-rendered row: a finished upload already in the field, which this page did not make.
  // Null (and the <li> gone) for one that was not finished.
  function adopt(li) {
    // Without its File a row can only be a finished one; a clone of a live uploader also copies
    // rows that were mid-upload, and nothing could ever finish those.
    if ((li.dataset.state || "done") !== "done") {
      li.remove()
      return null
    }
    li.dataset.state = "done"
    const name = li.querySelector(".uploader__name")
    if (name && !name.id) name.id = nextNameId(prefix)
    let actions = li.querySelector(".uploader__actions")
    if (!actions) {
      actions = h("div", { class: "uploader__actions" })
      li.append(actions)
    }
    return {
      file: null,
      name: name?.textContent.trim() ?? "",
      li,
      progress: li.querySelector("progress"),
      percent: null,
      status: li.querySelector(".uploader__status"),
      actions,
      nameId: name?.id ?? "",
      sent: null,
      id: null,
      uploadId: li.dataset.uploadId || null,
      owned: false,
      attempt: null,
    }
  }

  // The chosen file itself, shown from the moment it is picked: no request, and never the original's URL.
  // Not above PREVIEW_LIMIT: the browser would read the whole file into the page's memory to show it.
  function previewOf(file) {
    if (file.size > PREVIEW_LIMIT) return null
    // A name without an extension has no type: tried, as the server judges bytes (one the browser
    // cannot decode gives way to the placeholder).
    const type = String(file.type)
    if ((type && !type.startsWith("image/")) || typeof URL.createObjectURL !== "function") return null
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
        if (!isListed(row) || !shown) return
        shown.replaceWith(img)
        if (src !== row.preview) dropPreview(row)
      },
      { once: true },
    )
  }

  function setStatus(row, state, text = statusText(state)) {
    row.li.dataset.state = state
    row.status.textContent = text
    // Every byte is there: the server is checking them.
    if (state === "verifying") showPercent(row, 100)
  }

  // The bar, its aria-valuetext and the percentage beside it, from 0 to 100.
  function showPercent(row, value) {
    // Progress events come far more often than the whole percentage changes.
    if (!row.progress || (row.shown === value && row.progress.value === value)) return
    row.shown = value
    const text = formatPercent(value / 100)
    row.progress.value = value
    row.progress.setAttribute("aria-valuetext", text)
    if (row.percent) row.percent.textContent = text
  }

  /** `loaded` of `total` bytes of the current attempt are sent. */
  function setProgress(row, loaded, total) {
    row.sent = total > 0 ? { loaded, total } : null
    showPercent(row, total > 0 ? Math.floor((loaded / total) * 100) : 0)
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
    if (ordered) setHandle(row, names.includes("Move up"))
    if (hadFocus) (row.actions.querySelector("button:enabled") ?? input)?.focus()
  }

  // Only the rows that can be moved have a handle: a pointer's way to drag them (reorder.js). It is
  // no button: keyboards and screen readers have Move up and Move down.
  function setHandle(row, movable) {
    const handle = row.li.querySelector(".uploader__handle")
    if (movable && !handle) {
      row.li.prepend(h("span", { class: "uploader__handle", "aria-hidden": "true", title: gettext("Drag to reorder") }))
    } else if (!movable && handle) handle.remove()
  }

  // Move up is off on the first done row, Move down on the last: the field's order is theirs alone.
  function updateMoves(row) {
    const up = row.actions.querySelector('button[data-action="Move up"]')
    const down = row.actions.querySelector('button[data-action="Move down"]')
    if (up) up.disabled = !doneNeighbour(row.li, "previous")
    if (down) down.disabled = !doneNeighbour(row.li, "next")
  }

  // Back to the start of an attempt: no error, an empty bar, waiting for its turn, Cancel only.
  function showWaiting(row) {
    row.li.classList.remove("is-error")
    setProgress(row, 0, 0)
    setStatus(row, "waiting")
    setActions(row, actionsFor("waiting"))
  }

  // The file is verified: the status, its thumbnail, its dimensions and size, and any review note.
  function showDone(row, upload) {
    showPercent(row, 100)
    setStatus(row, "done", upload.duplicate ? gettext("Already uploaded") : gettext("Uploaded"))
    showThumbnail(row, thumbnailSource(upload, row.preview))
    const detailsLine = h("p", { class: "uploader__details" }, detailsText(upload, row.file))
    row.status.after(detailsLine)
    // A duplicate may be an upload a reviewer already rejected: say so, with the reason.
    const note = reviewNote(upload)
    if (note) detailsLine.after(h("p", { class: "uploader__review" }, note))
    if (upload.state) row.li.dataset.reviewState = upload.state
  }

  // `failure` ({ message, retryable }) as an alert in the row, with the buttons that can still help.
  function showFailure(row, { message, retryable }) {
    row.li.classList.add("is-error")
    row.li.dataset.state = "failed"
    row.retryable = retryable
    setProgress(row, 0, 0)
    row.status.replaceChildren(h("span", { role: "alert" }, message))
    setActions(row, actionsFor("failed", { retryable }))
  }

  // Takes the row out of the page; a focused button hands the keyboard to a neighbour, else the input.
  function remove(row) {
    const { li } = row
    dropPreview(row)
    if (li.contains(document.activeElement)) {
      const neighbour = li.nextElementSibling ?? li.previousElementSibling
      ;(neighbour?.querySelector("button:enabled") ?? input)?.focus()
    }
    li.remove()
  }

  return {
    create,
    adopt,
    dropPreview,
    setStatus,
    setProgress,
    setActions,
    updateMoves,
    showWaiting,
    showDone,
    showFailure,
    remove,
  }
}
