import assert from "node:assert/strict"
import { afterEach, beforeEach, describe, test } from "node:test"

import { mount, mounted, readConfig } from "../../uploads/static/uploads/uploader/controller.js"
import { installDom } from "./fake-dom.mjs"
import { MB, dataTypes, declaredTypes, tick, typesAttribute } from "./support.mjs"

const URLS =
  'data-create-url="/api/uploads/" data-detail-url="/api/uploads/{id}/" data-complete-url="/api/uploads/{id}/complete/"'

describe("readConfig", () => {
  const element = (dataset, { valueInput = null } = {}) => ({ dataset, querySelector: () => valueInput })
  const urls = { createUrl: "/c/", detailUrl: "/d/{id}/", completeUrl: "/d/{id}/complete/" }

  test("reads the URLs, limits and profile from data- attributes", () => {
    const config = readConfig(
      element({
        ...urls,
        maxSize: "10485760",
        types: dataTypes("image/jpeg", "image/png"),
        parallel: "3",
        profile: "product_image",
      }),
    )
    assert.deepEqual(config, {
      ...urls,
      profile: "product_image",
      field: false,
      multiple: false,
      valueInput: null,
      maxSize: 10 * MB,
      types: declaredTypes("image/jpeg", "image/png"),
      accept: ["image/jpeg", "image/png"],
      resize: null,
      partsUrl: "",
      renewUrl: "",
      multipartThreshold: 0,
      maxCount: 0,
      firstBadge: "",
      parallel: 3,
    })
  })

  test("without limits: no size limit, any type, one file at a time, the default profile", () => {
    const config = readConfig(element({ ...urls, parallel: "0" }))
    assert.deepEqual([config.maxSize, config.accept, config.parallel, config.profile], [0, [], 1, "default"])
  })

  test("a cap and a cover badge belong to an ordered field only", () => {
    const valueInput = {}
    const single = readConfig(element({ ...urls, field: "", maxCount: "3", firstBadge: "Cover" }, { valueInput }))
    assert.deepEqual([single.field, single.multiple, single.maxCount, single.firstBadge], [true, false, 0, ""])
    const ordered = readConfig(
      element({ ...urls, field: "", multiple: "", maxCount: "3", firstBadge: "Cover" }, { valueInput }),
    )
    assert.deepEqual(
      [ordered.multiple, ordered.maxCount, ordered.firstBadge, ordered.valueInput],
      [true, 3, "Cover", valueInput],
    )
  })

  test("a missing URL is an error in the page, said at once", () => {
    assert.throws(() => readConfig(element({ createUrl: "/c/" })), {
      message: "[data-uploader] needs data-create-url, data-detail-url and data-complete-url.",
    })
  })

  test("a field without its value input is an error in the page", () => {
    assert.throws(() => readConfig(element({ ...urls, field: "" })), {
      message: "[data-uploader][data-field] needs an input[data-uploader-value].",
    })
  })
})

/** Plays the API and S3 for one test: answers by URL, records every request, and sends S3's progress. */
function fakeServer({ upload = {}, storage = { status: 204 } } = {}) {
  const requests = []
  globalThis.fetch = async (url, init) => {
    const reply = (status, json) => ({ status, ok: status < 300, json: async () => json })
    // Each mount asks for the interrupted uploads it could resume (resume.test.mjs): none here.
    if (url.startsWith("/api/uploads/?status=pending")) return reply(200, { results: [], next: null })
    requests.push(`${init.method} ${url}`)
    if (url === "/api/uploads/")
      return reply(201, { id: "u1", upload: { url: "https://s3.example/bucket", fields: { key: "k" } } })
    if (url === "/api/uploads/u1/complete/") {
      return reply(200, {
        id: "u1",
        status: "uploaded",
        url: "https://s3.example/bucket/k",
        size: 10,
        width: 64,
        height: 48,
        ...upload,
      })
    }
    if (init.method === "DELETE") return reply(204)
    return reply(404, { error: { code: "not_found", message: "No such upload." } })
  }
  globalThis.XMLHttpRequest = class extends EventTarget {
    upload = new EventTarget()
    open(method, url) {
      requests.push(`${method} ${url}`)
    }
    send() {
      setImmediate(() => {
        this.upload.dispatchEvent(
          Object.assign(new Event("progress"), { lengthComputable: true, loaded: 10, total: 10 }),
        )
        Object.assign(this, { status: storage.status, responseText: storage.body ?? "" })
        this.dispatchEvent(new Event("load"))
      })
    }
    abort() {}
  }
  return requests
}

class BeforeUnloadEvent extends Event {
  returnValue = "unset"

  constructor() {
    super("beforeunload", { cancelable: true })
  }
}

// By the clock, not by turns: a loaded machine (CI, two cores) can take many turns to hash.
async function until(condition, milliseconds = 10_000) {
  const ends = Date.now() + milliseconds
  while (!condition() && Date.now() < ends) await tick()
  assert.ok(condition(), "never happened")
}

describe("a mounted uploader", () => {
  let dom
  let requests
  let events

  beforeEach(() => {
    dom = installDom()
    requests = fakeServer()
    events = []
  })
  afterEach(async () => {
    // Cancel what is still on its way, and let it wind down while the page is still there.
    for (const root of dom.document.querySelectorAll("[data-uploader]")) mounted(root)?.destroy()
    for (let turn = 0; turn < 20; turn += 1) await tick()
    dom.uninstall()
    delete globalThis.fetch
    delete globalThis.XMLHttpRequest
  })

  function page(attributes = "", inside = "") {
    const root = dom.html(
      `<div id="up" data-uploader ${URLS} ${attributes}><div data-uploader-drop><input type="file" multiple></div>${inside}<ul data-uploader-list></ul></div>`,
    )
    dom.document.body.append(root)
    for (const type of ["added", "progress", "verified", "error", "change"]) {
      dom.document.addEventListener(`uploads:${type}`, (event) => events.push([type, event.detail]))
    }
    return root
  }

  const jpeg = (name = "shoe.jpg", size = 10) => new File(["x".repeat(size)], name, { type: "image/jpeg" })
  const rowStates = (root) => root.querySelectorAll("li").map((li) => li.dataset.state)

  test("is mounted once: mounting again returns the same instance", () => {
    const root = page()
    const instance = mount(root)
    assert.equal(mount(root), instance)
    assert.equal(mounted(root), instance)
    assert.equal(instance.element, root)
    assert.equal(root.dataset.uploaderMounted, "")
  })

  test("a file goes to the API, then S3, then is verified, and the page hears each step", async () => {
    const root = page()
    const uploader = mount(root)
    const file = jpeg()

    uploader.addFiles([file])
    assert.equal(uploader.busy, 1)
    await until(() => rowStates(root)[0] === "done")

    assert.deepEqual(requests, [
      "POST /api/uploads/",
      "POST https://s3.example/bucket",
      "POST /api/uploads/u1/complete/",
    ])
    assert.deepEqual(
      events.map(([type]) => type),
      ["added", "progress", "verified"],
    )
    assert.deepEqual(events[1][1], { file, loaded: 10, total: 10 })
    assert.equal(events[2][1].upload.id, "u1")
    assert.equal(uploader.busy, 0)
    assert.deepEqual(uploader.ids, [])
    const li = root.querySelector("li")
    assert.equal(li.querySelector(".uploader__status").textContent, "Uploaded")
    assert.equal(li.querySelector(".uploader__details").textContent, "64 × 48 · 10 bytes")
    assert.equal(li.querySelector("button"), null)
  })

  test("a file the server would refuse fails at once, without a request", () => {
    const root = page(`data-max-size="5" ${typesAttribute("image/jpeg")}`)
    const file = jpeg("big.jpg", 6)

    mount(root).addFiles([file])

    assert.deepEqual(requests, [])
    assert.deepEqual(events, [
      ["added", { file }],
      ["error", { file, code: "too_large", message: "big.jpg is 6 bytes; the limit is 5 bytes.", retryable: false }],
    ])
    assert.equal(root.querySelector(".uploader__thumb").getAttribute("class"), "uploader__thumb uploader__placeholder")
  })

  test("a file without a type is judged by its first bytes, still before any request", async () => {
    const root = page(typesAttribute("image/jpeg"))
    const file = new File(["just text"], "notes")

    mount(root).addFiles([file])
    await until(() => rowStates(root)[0] === "failed")

    assert.deepEqual(requests, [])
    assert.deepEqual(events.at(-1), [
      "error",
      { file, code: "unsupported_type", message: "notes is not one of the accepted types: JPEG.", retryable: false },
    ])
  })

  test("a storage refusal fails the row; Remove deletes the upload it created", async () => {
    requests = fakeServer({ storage: { status: 403, body: "<Error><Code>SignatureDoesNotMatch</Code></Error>" } })
    const root = page()
    const uploader = mount(root)

    uploader.addFiles([jpeg()])
    await until(() => rowStates(root)[0] === "failed")

    assert.deepEqual(events.at(-1)[1].code, "SignatureDoesNotMatch")
    const remove = root.querySelector("button[data-action=Remove]")
    remove.dispatchEvent(new Event("click", { bubbles: true }))
    assert.deepEqual(rowStates(root), [])
    assert.equal(requests.at(-1), "DELETE /api/uploads/u1/")
  })

  test("a server that does not confirm the file leaves it to Retry", async () => {
    requests = fakeServer({ upload: { status: "pending", url: null } })
    const root = page()

    mount(root).addFiles([jpeg()])
    await until(() => rowStates(root)[0] === "failed")

    assert.deepEqual(events.at(-1)[1].code, "not_verified")
    assert.equal(root.querySelector("[role=alert]").textContent, "The server did not confirm the file; try again.")
    assert.deepEqual(
      root.querySelectorAll("button[data-action]").map((button) => button.dataset.action),
      ["Retry", "Remove"],
    )
  })

  test("Cancel takes the row out and stops everything for it", async () => {
    const root = page()
    const uploader = mount(root)

    uploader.addFiles([jpeg()])
    root.querySelector("button[data-action=Cancel]").dispatchEvent(new Event("click", { bubbles: true }))
    await tick()

    assert.deepEqual(rowStates(root), [])
    assert.equal(uploader.busy, 0)
    assert.deepEqual(
      events.map(([type]) => type),
      ["added"],
    )
  })

  test("in a field, the verified file's id is the value, and the change is heard before the verification", async () => {
    const root = page("data-field data-multiple", '<input data-uploader-value value="">')
    const uploader = mount(root)

    uploader.addFiles([jpeg()])
    await until(() => rowStates(root)[0] === "done")

    assert.deepEqual(uploader.ids, ["u1"])
    assert.deepEqual(
      events.map(([type]) => type),
      ["added", "progress", "change", "verified"],
    )
    assert.deepEqual(events[2][1], { ids: ["u1"] })
  })

  test("a capped field turns away the files beyond its cap", () => {
    const root = page('data-field data-multiple data-max-count="1"', '<input data-uploader-value value="">')

    mount(root).addFiles([jpeg("a.jpg"), jpeg("b.jpg"), jpeg("c.jpg")])

    assert.equal(root.querySelectorAll("li").length, 1)
    assert.equal(
      root.querySelector("[data-uploader-message]").textContent,
      "This field takes at most 1 image; 2 were not added.",
    )
  })

  test("leaving the page mid-upload asks the browser to warn first", () => {
    const root = page()
    mount(root).addFiles([jpeg()])

    const leaving = new BeforeUnloadEvent()
    dom.window.dispatchEvent(leaving)

    assert.equal(leaving.defaultPrevented, true)
    assert.equal(leaving.returnValue, "")
  })

  test("files picked before the module loaded are taken at mount", () => {
    const root = page()
    const input = root.querySelector("input[type=file]")
    input.files = [jpeg()]

    mount(root)

    assert.equal(root.querySelectorAll("li").length, 1)
    assert.equal(input.value, "")
  })

  test("destroy cancels what is on its way and lets go of the element", async () => {
    const root = page()
    const uploader = mount(root)
    uploader.addFiles([jpeg()])

    uploader.destroy()
    await tick()

    assert.deepEqual(rowStates(root), [])
    assert.equal(mounted(root), undefined)
    assert.equal("uploaderMounted" in root.dataset, false)
    assert.notEqual(mount(root), uploader)
  })
})
