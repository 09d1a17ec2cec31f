// Form-field mode (data-field): the uploader feeds a form field through its input[data-uploader-value],
// the ids of the done rows, comma-separated, in list order. data-multiple keeps several, in an order
// the user chooses (Move up/Move down, or a drag of the row's handle by mouse, finger or pen;
// data-max-count caps them), marks the first as the cover and announces each move in a polite live
// region (.uploader__live); without it a new upload replaces the previous one. The form cannot be
// saved while a file is still on its way.

import { gettext, interpolate, ngettext } from "./i18n.js"
import { enableReorder } from "./reorder.js"
import { actionsFor, countBusy, doneNeighbour, h } from "./rows.js"

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

const DONE_ROW = ".uploader__file[data-state=done]"

/**
 * Field mode for one mounted uploader. `uploader` is what the controller shares: its elements
 * (root, list, input), config, rows (Map of <li> to row), row view, `on` (listeners dropped on
 * destroy), `signal` (aborted on destroy), `emit`, and the row operations `cancel`, `release`
 * (take a done row out, deleting it when ours) and `removeRow`. Adopts the rows the server rendered.
 */
export function mountField(uploader) {
  const { root, list, input, rows, view, on, emit, signal } = uploader
  const { multiple, maxCount, valueInput, firstBadge } = uploader.config
  const message = root.querySelector("[data-uploader-message]") ?? addMessageArea()
  const live = multiple ? (root.querySelector(".uploader__live") ?? addLiveRegion()) : null
  const doneActions = actionsFor("done", { field: true, multiple })
  let messageKind = null
  let waitingFor = 0
  let dragFrom = -1

  function addMessageArea() {
    const area = h("p", { class: "uploader__message", "data-uploader-message": "", role: "alert" })
    area.hidden = true
    list.before(area)
    return area
  }

  function addLiveRegion() {
    const region = h("div", { class: "uploader__live", "aria-live": "polite", "aria-atomic": "true" })
    root.append(region)
    return region
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
    if (message.hidden) return
    message.hidden = true
    message.textContent = ""
    messageKind = null
  }

  function fieldIds() {
    return Array.from(list.children)
      .filter((li) => li.matches(DONE_ROW))
      .map((li) => li.dataset.uploadId)
      .filter(Boolean)
  }

  // The rows in the field's order: the done ones, as listed.
  function orderedRows() {
    return Array.from(list.children).filter((li) => rows.has(li) && li.matches(DONE_ROW))
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

  // After every change: button states, the message, the value and its event.
  function changed() {
    if (signal.aborted) return
    const focused = document.activeElement
    for (const row of rows.values()) view.updateMoves(row)
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
    const count = countBusy(rows.values())
    if (count === waitingFor) return
    waitingFor = count
    if (count > 0) say(waitMessage(count), { kind: "wait" })
    else if (Array.from(rows.values()).some((row) => row.li.dataset.state === "failed")) quiet()
    else say(gettext("All images are uploaded. You can save now."), { kind: "ready" })
  }

  // A field whose model shows its first image first names it (data-first-badge): the order the user picks is
  // the cover's too. Without that label no image is marked.
  function markCover() {
    if (!firstBadge) return
    const cover = Array.from(list.children).find((li) => li.matches(DONE_ROW))
    for (const badge of list.querySelectorAll(".uploader__badge")) {
      if (badge.closest("li") !== cover) badge.remove()
    }
    if (cover && !cover.querySelector(".uploader__badge")) {
      // Beside the thumbnail, before the name: the row's text keeps its two lines.
      const badge = h("span", { class: "uploader__badge" }, firstBadge)
      const body = cover.querySelector(".uploader__body")
      if (body) body.before(badge)
      else cover.append(badge)
    }
  }

  // A move shows only on screen; a polite live region tells screen reader users where the row went,
  // among the images of the field (rows on their way or failed are not in its order).
  function announcePosition(row) {
    const ordered = orderedRows()
    const position = ordered.indexOf(row.li) + 1
    if (!live || position === 0) return
    live.textContent = interpolate(gettext("%(name)s is now %(position)s of %(count)s."), {
      name: row.name,
      position,
      count: ordered.length,
    })
  }

  // The files of a pick the field takes: a single-upload field keeps the first, and the newest pick
  // wins: one still on its way (or failed) would otherwise replace it when it finishes.
  function pick(files) {
    if (multiple) return files
    if (files.length > 1) say(oneFileMessage(files[0].name, files.length - 1))
    for (const row of rows.values()) {
      if (row.li.dataset.state !== "done") uploader.cancel(row)
    }
    return files.slice(0, 1)
  }

  // A verified row joins the field's value, unless the field already holds the same upload.
  function join(row, upload) {
    const id = String(upload.id)
    if (upload.duplicate && fieldIds().includes(id)) {
      // The server answered with an id the field already holds: a second row would be the same image twice.
      uploader.removeRow(row)
      say(interpolate(gettext("%(name)s is already in this field."), { name: row.file.name }))
    } else {
      row.uploadId = id
      // A duplicate's upload was made elsewhere (maybe for a saved object), so it is never ours to delete.
      row.owned = !upload.duplicate
      row.li.dataset.uploadId = id
      view.setActions(row, doneActions)
      if (!multiple) {
        for (const other of rows.values()) {
          if (other !== row && other.li.dataset.state === "done") uploader.release(other)
        }
      }
    }
    changed()
  }

  // One step in the field's order: past the next done row, over any row between that is not done.
  function move(row, action) {
    const { li } = row
    const up = action === "Move up"
    const sibling = doneNeighbour(li, up ? "previous" : "next")
    if (!sibling) return
    if (up) sibling.before(li)
    else sibling.after(li)
    changed()
    announcePosition(row)
    // Taking the row out of the list blurred its button; keep the keyboard on the row that moved.
    const same = row.actions.querySelector(`button[data-action="${action}"]`)
    ;(same?.disabled ? row.actions.querySelector("button:enabled") : same)?.focus()
  }

  // Dragging a done row's handle is a shortcut for pointers; Move up/Move down stay the way for everyone.
  if (multiple) {
    enableReorder({
      list,
      rows,
      on,
      started(row) {
        quiet()
        dragFrom = orderedRows().indexOf(row.li)
      },
      ended(row) {
        changed()
        if (orderedRows().indexOf(row.li) !== dragFrom) announcePosition(row)
      },
    })
  }
  on(root.closest("form"), "submit", (event) => {
    const count = countBusy(rows.values())
    if (count === 0) return
    event.preventDefault()
    waitingFor = count
    say(waitMessage(count), { kind: "wait", focus: true })
  })

  if (!multiple && input) input.multiple = false
  for (const li of Array.from(list.children)) {
    const row = li.matches(".uploader__file") ? view.adopt(li) : null
    if (!row) continue
    rows.set(li, row)
    view.setActions(row, doneActions)
  }
  for (const row of rows.values()) view.updateMoves(row)
  if (multiple) markCover()
  // The list is the truth: an id in the rendered value without a row is not what the user sees.
  valueInput.value = serializeIds(fieldIds())

  return {
    changed,
    say,
    quiet,
    pick,
    join,
    move,
    hasRoom,
    /** How many more files the cap lets in now (Infinity without a cap). */
    room: () => (maxCount ? Math.max(0, maxCount - occupied()) : Infinity),
    /** Says why a Retry is held back when the field is full; true when it may go ahead. */
    allowsRetry() {
      if (hasRoom()) return true
      say(retryRefusedMessage(maxCount))
      return false
    },
    /** Says how many files a full field turned away. */
    refused: (count) => say(maxCountMessage(maxCount, count)),
    get ids() {
      return parseIds(valueInput.value)
    },
  }
}
