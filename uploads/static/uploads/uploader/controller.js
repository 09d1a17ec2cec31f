// mount(): one [data-uploader] element wired up. Its file input and drop zone add files; each file
// gets a row and waits its turn in the queue, then travels (transfer.js) with automatic retries;
// its row shows how it goes (rows.js) and the element tells the page through bubbling events.
// In field mode, field.js keeps the form's value.

import { createApi, csrfTokenFor } from "./api.js"
import { mountBatch } from "./batch.js"
import { UploadFailure, describeFailure } from "./failure.js"
import { mountField } from "./field.js"
import { checkFile, parseTypes, prepareFile } from "./files.js"
import { renamePrefixed } from "./formset.js"
import { gettext, interpolate } from "./i18n.js"
import { watchPaste, wireChooser } from "./picking.js"
import { createQueue } from "./queue.js"
import { clientResize } from "./resize.js"
import { createShelf, createStore } from "./resume.js"
import { actionsFor, countBusy, createRowView } from "./rows.js"
import { transferFile, transferStatusText, withRetries } from "./transfer.js"

/** The settings of an uploader element, from its data- attributes; throws when a required one is missing. */
export function readConfig(root) {
  const { createUrl, detailUrl, completeUrl, maxSize, maxCount, parallel, firstBadge, profile = "default" } =
    root.dataset
  if (!createUrl || !detailUrl || !completeUrl) {
    throw new Error("[data-uploader] needs data-create-url, data-detail-url and data-complete-url.")
  }
  const field = "field" in root.dataset
  const valueInput = field ? root.querySelector("[data-uploader-value]") : null
  if (field && !valueInput) throw new Error("[data-uploader][data-field] needs an input[data-uploader-value].")
  const multiple = field && "multiple" in root.dataset
  // The types the element accepts, each with its name and extensions (none: the server judges alone).
  const types = parseTypes(root.dataset.types)
  return {
    createUrl,
    detailUrl,
    completeUrl,
    profile,
    field,
    multiple,
    valueInput,
    maxSize: Number(maxSize) || 0,
    types,
    accept: Object.keys(types),
    // The profile's CLIENT_RESIZE, where this browser can resize; null sends files as picked.
    resize: clientResize(root.dataset.clientResize),
    // An upload's parts and policy renewal ("" : api.js derives them from the detail URL), and the
    // size above which the server takes a file in parts (0: unknown).
    partsUrl: root.dataset.partsUrl || "",
    renewUrl: root.dataset.renewUrl || "",
    multipartThreshold: Number(root.dataset.multipartThreshold) || 0,
    maxCount: multiple ? Math.max(0, Number.parseInt(maxCount, 10) || 0) : 0,
    // The field's label for its first image (a cover), already in the page's language; none if absent.
    firstBadge: multiple ? firstBadge || "" : "",
    parallel: Math.max(1, Number.parseInt(parallel, 10) || 1),
  }
}

const instances = new WeakMap()

/** The instance mounted on `element`, if any. */
export function mounted(element) {
  return instances.get(element)
}

/**
 * Bind one [data-uploader] element: its file input, drop zone and list (and in field mode its
 * value input, message area and form). Mounting twice returns the same instance.
 */
export function mount(root) {
  if (instances.has(root)) return instances.get(root)

  const config = readConfig(root)
  const queue = createQueue(config.parallel)
  const api = createApi(config, () => csrfTokenFor(root))
  const input = root.querySelector("input[type=file]")
  const described = input?.getAttribute("aria-describedby")
  if (described?.includes("__prefix__")) input.setAttribute("aria-describedby", renamePrefixed(described, input.id))
  const zone = root.querySelector("[data-uploader-drop]") ?? root
  const list = root.querySelector("[data-uploader-list]") ?? root.querySelector("ul")
  const rows = new Map()
  const view = createRowView({
    prefix: root.id || "uploader",
    ordered: config.multiple,
    input,
    isListed: (row) => rows.has(row.li),
  })
  const listening = new AbortController()
  // Uploads a reload or a crash interrupted, shown until their file is chosen again (resume.js).
  const store = createStore()
  const shelf = createShelf({ api, profile: config.profile, view, list, store, signal: listening.signal })
  const on = (target, type, handler) => target?.addEventListener(type, handler, { signal: listening.signal })
  let dragDepth = 0

  function emit(type, detail) {
    root.dispatchEvent(new CustomEvent(`uploads:${type}`, { bubbles: true, detail }))
  }

  function transferRow(row, signal) {
    return transferFile(row, {
      api,
      profile: config.profile,
      maxSize: config.maxSize,
      signal,
      prepare: (file) => prepareFile(file, config),
      multipartThreshold: config.multipartThreshold,
      store,
      onState(state) {
        if (state === "verifying") row.progress.value = 100
        view.setStatus(row, state, transferStatusText(state))
      },
      onProgress(loaded, total) {
        // The bar carries the percentage; the status (a live region) changes only with the state.
        view.setProgress(row, loaded, total)
        emit("progress", { file: row.file, loaded, total })
      },
    })
  }

  async function start(row) {
    const attempt = new AbortController()
    const { signal } = attempt
    row.attempt = attempt
    view.showWaiting(row)
    field?.changed()
    try {
      // The upload is kept: the next attempt goes on from where this one stopped (transfer.js).
      const onRetry = (error, milliseconds) => {
        const note = interpolate(gettext("%(error)s Retrying in %(seconds)s s…"), {
          error: error.message,
          seconds: milliseconds / 1000,
        })
        view.setStatus(row, "retrying", note)
      }
      const onOffline = () => view.setStatus(row, "offline", transferStatusText("offline"))
      const retrying = () => withRetries(() => transferRow(row, signal), { signal, onRetry, onOffline })
      const upload = await queue.run(retrying, { signal })
      // Cancelled while the last reply (a duplicate's, say) was on its way: the row is gone already.
      signal.throwIfAborted()
      if (upload.status !== "uploaded" || !upload.url) {
        throw new UploadFailure(gettext("The server did not confirm the file; try again."), {
          code: "not_verified",
          retryable: true,
        })
      }
      succeed(row, upload)
    } catch (error) {
      if (signal.aborted) discard(row)
      else fail(row, error)
    } finally {
      if (row.attempt === attempt) row.attempt = null
    }
  }

  function succeed(row, upload) {
    row.id = null
    view.showDone(row, upload)
    if (field) field.join(row, upload)
    else view.setActions(row, actionsFor("done"))
    emit("verified", { file: row.file, upload })
  }

  function fail(row, error) {
    if (!(error instanceof UploadFailure)) console.error(error)
    const failure = describeFailure(error)
    view.showFailure(row, failure)
    field?.changed()
    emit("error", { file: row.file, ...failure })
  }

  function forget(id) {
    api.delete(id).catch(() => {})
  }

  // Best effort: a pending row left behind is for the server's clean-up.
  function discard(row) {
    if (!row.id) return
    store.forget(row.id)
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
    view.remove(row)
    rows.delete(row.li)
  }

  const actions = {
    Cancel(row) {
      row.attempt?.abort()
      row.resumeFrom?.giveBack()
      discard(row)
      removeRow(row)
      field?.changed()
    },
    Retry(row) {
      if (field && !field.allowsRetry()) return
      start(row)
    },
    Remove(row) {
      discard(row)
      release(row)
      field?.changed()
    },
    "Move up": (row, action) => field.move(row, action),
    "Move down": (row, action) => field.move(row, action),
  }

  // Field mode shares the rows and the operations on them; it adds the form's value and its guards.
  const field = config.field
    ? mountField({
        root,
        list,
        input,
        config,
        rows,
        view,
        on,
        emit,
        signal: listening.signal,
        cancel: actions.Cancel,
        release,
        removeRow,
      })
    : null

  // Above the list: how far all files have got, and buttons for all of them at once (batch.js).
  mountBatch({
    root,
    list,
    rows,
    on,
    input,
    signal: listening.signal,
    field: config.field,
    cancel: actions.Cancel,
    retry: actions.Retry,
    remove: actions.Remove,
    hasRoom: () => field?.hasRoom() ?? true,
  })
  // Pasted images and the form widget's Choose control add files too (picking.js).
  watchPaste({ root, on, addFiles, types: config.types })
  wireChooser({ root, input, on })

  function addFiles(fileList) {
    let files = Array.from(fileList ?? [])
    if (files.length === 0) return
    field?.quiet()
    if (field) files = field.pick(files)
    // A file the server would refuse still gets its row, failed at once; only the others count against the cap.
    let room = field ? field.room() : Infinity
    let refused = 0
    for (const file of files) {
      const refusal = checkFile(file, config)
      if (!refusal && room === 0) {
        refused += 1
        continue
      }
      const row = view.create(file, { withPreview: !refusal })
      rows.set(row.li, row)
      // A file chosen again may resume an interrupted upload: its row takes that one's place.
      row.resumeFrom = refusal ? null : shelf.take(file, row.li)
      if (!row.resumeFrom) list.append(row.li)
      emit("added", { file })
      if (refusal) {
        fail(row, new UploadFailure(refusal.message, { code: refusal.code, retryable: false }))
      } else {
        room -= 1
        start(row)
      }
    }
    if (refused > 0) field.refused(refused)
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
    if (button && !button.disabled && shelf.handle(button.closest("li"), button.dataset.action)) return
    const row = button && rows.get(button.closest("li"))
    if (!row || button.disabled || !(button.dataset.action in actions)) return
    field?.quiet()
    actions[button.dataset.action](row, button.dataset.action)
  })

  // Leaving mid-upload would drop the files silently. The form's own submit never warns: the submit
  // guard holds it back while anything is in flight, so a submit that goes ahead has nothing left.
  on(window, "beforeunload", (event) => {
    if (countBusy(rows.values()) === 0) return
    event.preventDefault()
    event.returnValue = "" // engines from before preventDefault() asked for the warning
  })
  // Back online: what failed for a transient reason (most often the lost connection) starts over,
  // once per event, as if Retry were pressed. A capped field that filled up meanwhile keeps its Retry.
  on(window, "online", () => {
    for (const li of Array.from(list.children)) {
      const row = rows.get(li)
      if (row && li.dataset.state === "failed" && row.retryable && (field?.hasRoom() ?? true)) start(row)
    }
  })

  const instance = {
    element: root,
    addFiles,
    destroy() {
      // Listeners first, so cancelling the rows below sends no more events.
      listening.abort()
      shelf.destroy()
      for (const row of rows.values()) {
        if (row.attempt) actions.Cancel(row)
        else view.dropPreview(row)
      }
      instances.delete(root)
      delete root.dataset.uploaderMounted
    },
    get ids() {
      return field ? field.ids : []
    },
    get busy() {
      return countBusy(rows.values())
    },
  }
  instances.set(root, instance)
  root.dataset.uploaderMounted = ""
  // Files picked while this module was still loading fired a change nobody heard.
  if (input?.files?.length) takeInputFiles()
  shelf.load()
  return instance
}
