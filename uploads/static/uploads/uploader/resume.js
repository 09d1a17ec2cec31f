// Uploads a reload, a crash or a lost tab interrupted. The server keeps them pending; the page
// lists them as "Interrupted" rows, and picking the same file again resumes one (transfer.js
// confirms it is the same bytes and sends only what S3 lacks). The browser keeps, per upload,
// only what recognises the file again (name, size, lastModified, part size, declared digest), never
// its bytes: a page cannot reopen a file by itself, the seller has to choose it again.

import { gettext } from "./i18n.js"

const STORAGE_KEY = "uploads:started"
// A record older than this names an upload the clean-up has long expired.
const KEEP_FOR = 7 * 24 * 3600 * 1000

// Uploads this page shows or sends, so two uploaders of one profile never list the same one twice.
const claimed = new Set()

/** The record that recognises `file` again as upload `created` (the create reply) of `profile`. */
export function recordOf(file, created, { profile, sha256 = "" }) {
  return {
    id: created.id,
    profile,
    name: file.name,
    size: file.size,
    type: file.type,
    lastModified: file.lastModified,
    partSize: created.multipart?.part_size ?? 0,
    sha256,
  }
}

/**
 * The records of uploads started in this browser, in `storage` (localStorage). A browser that keeps
 * nothing (storage off, full, private mode) gets a store that forgets: resuming then matches by the
 * API's name and size alone.
 */
export function createStore(storage = defaultStorage(), { now = Date.now } = {}) {
  function read() {
    try {
      const records = JSON.parse(storage?.getItem(STORAGE_KEY) ?? "{}")
      return records && typeof records === "object" ? records : {}
    } catch {
      return {}
    }
  }

  function write(records) {
    try {
      if (Object.keys(records).length) storage?.setItem(STORAGE_KEY, JSON.stringify(records))
      else storage?.removeItem(STORAGE_KEY)
    } catch {
      // Full or refused: the upload still goes; only resuming it after a reload is harder.
    }
  }

  return {
    get: (id) => read()[id] ?? null,
    remember(record) {
      write({ ...read(), [record.id]: { ...record, at: now() } })
    },
    forget(id) {
      const records = read()
      if (!(id in records)) return
      delete records[id]
      write(records)
    },
    /** Drop the records of `profile` whose upload is not among `pendingIds`, and any too old to matter. */
    prune(profile, pendingIds) {
      const records = read()
      for (const [id, record] of Object.entries(records)) {
        if (now() - record.at > KEEP_FOR || (record.profile === profile && !pendingIds.has(id))) delete records[id]
      }
      write(records)
    },
  }
}

function defaultStorage() {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null // a sandboxed frame throws on the mere access
  }
}

/**
 * Whether `file` looks like the file of `candidate` ({ upload, record }): the same name, size and
 * last-modified time as recorded, or without a record the API's name, size and type. Transfer
 * then confirms by digest before anything is sent.
 */
export function matchesFile(file, { upload, record }) {
  if (record) return record.name === file.name && record.size === file.size && record.lastModified === file.lastModified
  return upload.filename === file.name && upload.size === file.size && upload.content_type === file.type
}

function lockName(id) {
  return `uploads:upload:${id}`
}

/**
 * Hold upload `id` while this page sends it, so a page opened meanwhile does not list it as
 * interrupted. Returns the release. Web Locks end with the page, so a crash releases them too.
 */
export function holdUpload(id, locks = globalThis.navigator?.locks) {
  claimed.add(id)
  let release = () => {}
  if (locks?.request) {
    const held = new Promise((resolve) => (release = resolve))
    locks.request(lockName(id), () => held).catch(() => {})
  }
  return () => {
    claimed.delete(id)
    release()
  }
}

async function heldElsewhere(locks) {
  try {
    const { held = [] } = (await locks?.query?.()) ?? {}
    return new Set(held.map((lock) => lock.name))
  } catch {
    return new Set()
  }
}

/** The status line of an interrupted row. */
export function interruptedText() {
  return gettext("Interrupted — choose the file again to resume.")
}

/**
 * The interrupted uploads of one uploader: `load()` lists the API's pending uploads of `profile`
 * (`api.pending`: the server filters the list by status and profile) as rows in `list`, through
 * `view` (rows.js), but not those another page of this browser is sending.
 * `take(file, li)` hands over the upload `file` may resume, `li` (the file's row) in its row's place
 * (`giveBack()` puts that row back when the file turns out to be another); `handle(li, action)`
 * runs an interrupted row's Remove (the upload deleted, its multipart upload aborted). The rows are
 * not in the controller's own map: they are no file on its way, so they hold back neither a form's
 * submit nor the page's unload.
 */
export function createShelf({ api, profile, view, list, store, signal, locks = globalThis.navigator?.locks }) {
  const shelved = new Map()

  async function load() {
    let uploads
    try {
      uploads = await api.pending(profile, { signal })
    } catch {
      return // nothing to offer is better than an error about something the seller did not ask for
    }
    const held = await heldElsewhere(locks)
    if (signal?.aborted) return
    store.prune(profile, new Set(uploads.map((upload) => upload.id)))
    for (const upload of uploads) {
      if (claimed.has(upload.id) || held.has(lockName(upload.id))) continue
      claimed.add(upload.id)
      const record = store.get(upload.id)
      const standIn = { name: record?.name ?? upload.filename, size: upload.size, type: upload.content_type }
      const row = view.create(standIn, { withPreview: false })
      row.id = upload.id
      view.setStatus(row, "interrupted", interruptedText())
      view.setActions(row, ["Remove"])
      list.append(row.li)
      shelved.set(row.li, { upload, record, row })
    }
  }

  // `file` resumes the upload of a row that matches it: its row (`li`) takes that row's place.
  function take(file, li) {
    for (const [shelvedLi, entry] of shelved) {
      if (!matchesFile(file, entry)) continue
      shelved.delete(shelvedLi)
      shelvedLi.replaceWith(li)
      return {
        upload: entry.upload,
        record: entry.record,
        giveBack() {
          if (signal?.aborted || !li.isConnected) return
          li.after(shelvedLi)
          shelved.set(shelvedLi, entry)
        },
      }
    }
    return null
  }

  /** Run `action` on the row of `li` if it is one of ours; whether it was. */
  function handle(li, action) {
    const entry = shelved.get(li)
    if (!entry) return false
    if (action === "Remove") {
      shelved.delete(li)
      claimed.delete(entry.upload.id)
      store.forget(entry.upload.id)
      api.delete(entry.upload.id).catch(() => {})
      view.remove(entry.row)
    }
    return true
  }

  function destroy() {
    for (const { upload } of shelved.values()) claimed.delete(upload.id)
    shelved.clear()
  }

  return { load, take, handle, destroy }
}
