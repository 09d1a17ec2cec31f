import assert from "node:assert/strict"
import { afterEach, beforeEach, describe, test } from "node:test"

import {
  createShelf,
  createStore,
  holdUpload,
  matchesFile,
  recordOf,
} from "../../uploads/static/uploads/uploader/resume.js"
import { createApi } from "../../uploads/static/uploads/uploader/api.js"
import { createRowView } from "../../uploads/static/uploads/uploader/rows.js"
import { installDom } from "./fake-dom.mjs"
import { tick } from "./support.mjs"

/** localStorage's methods over a Map; `broken` throws as a full or refused storage does. */
function memoryStorage({ broken = false } = {}) {
  const items = new Map()
  const check = () => {
    if (broken) throw new DOMException("The quota has been exceeded.", "QuotaExceededError")
  }
  return {
    items,
    getItem: (key) => (check(), items.get(key) ?? null),
    setItem: (key, value) => (check(), items.set(key, String(value))),
    removeItem: (key) => (check(), items.delete(key)),
  }
}

const poster = new File(["0123456789"], "poster.jpg", { type: "image/jpeg", lastModified: 1700000000000 })

describe("the record of an upload", () => {
  test("keeps what recognises the file again, never its bytes", () => {
    const created = { id: "u1", multipart: { part_size: 4, part_count: 3 } }
    assert.deepEqual(recordOf(poster, created, { profile: "poster", sha256: "" }), {
      id: "u1",
      profile: "poster",
      name: "poster.jpg",
      size: 10,
      type: "image/jpeg",
      lastModified: 1700000000000,
      partSize: 4,
      sha256: "",
    })
    assert.equal(recordOf(poster, { id: "u2", upload: {} }, { profile: "poster", sha256: "c2hh" }).partSize, 0)
  })

  test("is kept across pages in the storage, and forgotten on request", () => {
    const storage = memoryStorage()
    const record = recordOf(poster, { id: "u1" }, { profile: "default" })
    createStore(storage, { now: () => 1000 }).remember(record)

    const store = createStore(storage)
    assert.deepEqual(store.get("u1"), { ...record, at: 1000 })
    store.forget("u1")
    assert.equal(store.get("u1"), null)
    assert.equal(storage.items.size, 0)
  })

  test("records of uploads no longer pending, or too old, are pruned; other profiles' are kept", () => {
    const storage = memoryStorage()
    let now = 0
    const store = createStore(storage, { now: () => now })
    store.remember(recordOf(poster, { id: "gone" }, { profile: "default" }))
    store.remember(recordOf(poster, { id: "kept" }, { profile: "default" }))
    store.remember(recordOf(poster, { id: "other" }, { profile: "poster" }))
    now = 1000
    store.remember(recordOf(poster, { id: "recent" }, { profile: "poster" }))

    now = 7 * 24 * 3600 * 1000 + 500
    store.prune("default", new Set(["kept"]))

    assert.deepEqual(Object.keys(JSON.parse(storage.items.get("uploads:started"))), ["recent"])
  })

  test("a storage that refuses or holds garbage keeps nothing and breaks nothing", () => {
    const refusing = createStore(memoryStorage({ broken: true }))
    refusing.remember(recordOf(poster, { id: "u1" }, { profile: "default" }))
    assert.equal(refusing.get("u1"), null)

    const garbage = memoryStorage()
    garbage.setItem("uploads:started", "{not json")
    assert.equal(createStore(garbage).get("u1"), null)
    assert.equal(createStore(null).get("u1"), null)
  })
})

describe("matching a file chosen again", () => {
  const upload = { id: "u1", filename: "poster.jpg", size: 10, content_type: "image/jpeg" }
  const record = { name: "poster.jpg", size: 10, lastModified: 1700000000000 }

  test("with a record: the same name, size and last-modified time", () => {
    assert.equal(matchesFile(poster, { upload, record }), true)
    const touched = new File(["0123456789"], "poster.jpg", { type: "image/jpeg", lastModified: 1700000000001 })
    assert.equal(matchesFile(touched, { upload, record }), false)
    const renamed = new File(["0123456789"], "poster (1).jpg", { type: "image/jpeg", lastModified: 1700000000000 })
    assert.equal(matchesFile(renamed, { upload, record }), false)
  })

  test("without one (another browser started it): the API's name, size and type", () => {
    assert.equal(matchesFile(poster, { upload, record: null }), true)
    assert.equal(matchesFile(poster, { upload: { ...upload, size: 11 }, record: null }), false)
    assert.equal(matchesFile(poster, { upload: { ...upload, content_type: "image/png" }, record: null }), false)
  })
})

describe("holding an upload", () => {
  test("takes a Web Lock named after it, released when the page is done with it", async () => {
    const taken = []
    let released = null
    const locks = {
      request: (name, callback) => (taken.push(name), callback().then(() => (released = name))),
    }
    const release = holdUpload("u1", locks)
    await tick()
    assert.deepEqual([taken, released], [["uploads:upload:u1"], null])
    release()
    await tick()
    assert.equal(released, "uploads:upload:u1")
  })

  test("works without Web Locks", () => {
    holdUpload("u2", undefined)()
  })
})

describe("the interrupted uploads of an uploader", () => {
  let dom
  let list
  let view

  beforeEach(() => {
    dom = installDom()
    list = dom.html("<ul data-uploader-list></ul>")
    dom.document.body.append(list)
    view = createRowView({ prefix: "up", isListed: () => true })
  })
  afterEach(() => dom.uninstall())

  const pending = (id, over = {}) => ({
    id,
    status: "pending",
    profile: "default",
    filename: "poster.jpg",
    size: 10,
    content_type: "image/jpeg",
    sha256: "",
    ...over,
  })

  function fakeApi(uploads) {
    const deleted = []
    return {
      deleted,
      pending: async () => uploads,
      delete: async (id) => deleted.push(id),
    }
  }

  function shelf(api, { store = createStore(memoryStorage()), locks } = {}) {
    const controller = new AbortController()
    const made = createShelf({ api, profile: "default", view, list, store, signal: controller.signal, locks })
    return { shelf: made, controller, store }
  }

  const rows = () =>
    list.querySelectorAll("li").map((li) => [
      li.querySelector(".uploader__name").textContent,
      li.dataset.state,
      li.querySelector(".uploader__status").textContent,
      li.querySelectorAll("button").map((button) => button.dataset.action),
    ])

  test("lists the pending uploads as interrupted rows that wait for their file, Remove on each", async () => {
    const { shelf: made, controller } = shelf(fakeApi([pending("a1"), pending("a2", { filename: "flyer.png" })]))

    await made.load()

    assert.deepEqual(rows(), [
      ["poster.jpg", "interrupted", "Interrupted — choose the file again to resume.", ["Remove"]],
      ["flyer.png", "interrupted", "Interrupted — choose the file again to resume.", ["Remove"]],
    ])
    made.destroy()
    controller.abort()
  })

  test("asks the API for the pending uploads of its own profile and lists what it answers", async () => {
    const asked = []
    const send = async (url) => {
      asked.push(url)
      const results = [pending("p1", { profile: "poster" }), pending("p2", { profile: "poster", filename: "flyer.png" })]
      return { status: 200, ok: true, json: async () => ({ results, next: null }) }
    }
    const api = createApi({ createUrl: "/uploads/api/uploads/", detailUrl: "/uploads/api/uploads/{id}/", completeUrl: "" }, () => "t0k", { fetch: send })
    const controller = new AbortController()
    const made = createShelf({ api, profile: "poster", view, list, store: createStore(memoryStorage()), signal: controller.signal })

    await made.load()

    // The server filters (status and profile); the page shows every row it is given.
    assert.deepEqual(asked, ["/uploads/api/uploads/?status=pending&profile=poster"])
    assert.deepEqual(rows().map(([name, state]) => [name, state]), [["poster.jpg", "interrupted"], ["flyer.png", "interrupted"]])
    made.destroy()
    controller.abort()
  })

  test("shows the name the file had when it was picked, from the record", async () => {
    const store = createStore(memoryStorage())
    store.remember({ ...recordOf(poster, { id: "b1" }, { profile: "default" }), name: "Poster – final.jpg" })
    const { shelf: made } = shelf(fakeApi([pending("b1", { filename: "Poster_final.jpg" })]), { store })

    await made.load()

    assert.equal(rows()[0][0], "Poster – final.jpg")
    made.destroy()
  })

  test("leaves out an upload another page of this browser is sending", async () => {
    const locks = { query: async () => ({ held: [{ name: "uploads:upload:c1" }] }) }
    const { shelf: made } = shelf(fakeApi([pending("c1"), pending("c2")]), { locks })

    await made.load()

    assert.equal(rows().length, 1)
    made.destroy()
  })

  test("two uploaders of one page never list the same upload", async () => {
    const api = fakeApi([pending("d1")])
    const first = shelf(api).shelf
    const second = shelf(api).shelf

    await first.load()
    await second.load()

    assert.equal(rows().length, 1)
    first.destroy()
    second.destroy()
  })

  test("lists nothing, quietly, when the list cannot be read", async () => {
    const api = { pending: async () => Promise.reject(new Error("HTTP 500")) }
    await shelf(api).shelf.load()
    assert.deepEqual(rows(), [])
  })

  test("hands over the upload a file chosen again matches, its row taking that one's place", async () => {
    const { shelf: made } = shelf(fakeApi([pending("e1", { filename: "other.jpg" }), pending("e2"), pending("e3", { filename: "last.jpg" })]))
    await made.load()
    const li = dom.html('<li class="uploader__file" data-state="waiting"><span class="uploader__name">poster.jpg</span><p class="uploader__status"></p></li>')

    const resumed = made.take(poster, li)

    assert.equal(resumed.upload.id, "e2")
    assert.deepEqual(
      rows().map(([name, state]) => [name, state]),
      [
        ["other.jpg", "interrupted"],
        ["poster.jpg", "waiting"],
        ["last.jpg", "interrupted"],
      ],
    )
    assert.equal(made.take(poster, dom.html("<li></li>")), null) // handed over once
    made.destroy()
  })

  test("gives the row back when the file turns out to be another", async () => {
    const { shelf: made } = shelf(fakeApi([pending("f1")]))
    await made.load()
    const li = dom.html('<li class="uploader__file" data-state="checking"><span class="uploader__name">poster.jpg</span><p class="uploader__status"></p></li>')
    const resumed = made.take(poster, li)

    resumed.giveBack()

    assert.deepEqual(
      rows().map(([name, state]) => [name, state]),
      [
        ["poster.jpg", "checking"],
        ["poster.jpg", "interrupted"],
      ],
    )
    assert.equal(made.take(poster, dom.html("<li></li>")).upload.id, "f1")
    made.destroy()
  })

  test("Remove deletes the upload (aborting its parts) and forgets its record", async () => {
    const api = fakeApi([pending("g1")])
    const store = createStore(memoryStorage())
    store.remember(recordOf(poster, { id: "g1" }, { profile: "default" }))
    const { shelf: made } = shelf(api, { store })
    await made.load()
    const li = list.querySelector("li")

    assert.equal(made.handle(li, "Remove"), true)

    assert.deepEqual(rows(), [])
    assert.deepEqual(api.deleted, ["g1"])
    assert.equal(store.get("g1"), null)
    assert.equal(made.handle(dom.html("<li></li>"), "Remove"), false) // not one of its rows
  })
})
