// A mounted uploader getting over what used to lose files: a failed verification (the file was sent
// again), a reload mid-upload (the upload sat pending, unsaid), a lost connection (the retries were
// spent in seconds). The units are tested on their own in transfer, multipart, network and resume.

import assert from "node:assert/strict"
import { afterEach, beforeEach, describe, test } from "node:test"

import { mount, mounted } from "../../uploads/static/uploads/uploader/controller.js"
import { installDom } from "./fake-dom.mjs"
import { tick } from "./support.mjs"

const URLS =
  'data-create-url="/api/uploads/" data-detail-url="/api/uploads/{id}/" data-complete-url="/api/uploads/{id}/complete/"'

const jpeg = new File(["x".repeat(10)], "shoe.jpg", { type: "image/jpeg", lastModified: 1700000000000 })
const SHOE_SHA256 = "/BHW8o5Z08wzwLFM62RL8JAuvWPWEhjf/p59rHwlRUI=" // of ten "x"

const verified = (id) => ({ id, status: "uploaded", url: `https://s3.example/${id}`, size: 10, width: 64, height: 48 })
const reply = (status, json) => ({ status, ok: status < 300, json: async () => json })
const failure = (status, code) => reply(status, { error: { code, message: `It failed: ${code}.` } })

/**
 * Plays the API and S3: `answers[request]` (e.g. "POST /api/uploads/u1/complete/") gives a list of
 * replies, used in turn, the last one for good; S3 takes every POST unless `storage.offline`.
 */
function fakeServer(answers = {}, storage = { offline: false }) {
  const requests = []
  const turns = {}
  globalThis.fetch = async (url, init) => {
    const key = `${init.method} ${url}`
    requests.push(key)
    if (storage.offline) throw new TypeError("Failed to fetch")
    const list = answers[key] ?? defaults(key)
    turns[key] = (turns[key] ?? -1) + 1
    return list[Math.min(turns[key], list.length - 1)]
  }
  globalThis.XMLHttpRequest = class extends EventTarget {
    upload = new EventTarget()
    open(method, url) {
      requests.push(`${method} ${url}`)
    }
    send() {
      setImmediate(() => {
        if (storage.offline) return this.dispatchEvent(new Event("error"))
        Object.assign(this, { status: 204, responseText: "" })
        this.dispatchEvent(new Event("load"))
      })
    }
    abort() {}
  }
  return requests
}

function defaults(key) {
  if (key === "POST /api/uploads/") {
    return [reply(201, { id: "u1", upload: { url: "https://s3.example/bucket", fields: { key: "k" } } })]
  }
  if (key.startsWith("GET /api/uploads/?status=pending")) return [reply(200, { results: [], next: null })]
  if (key.endsWith("/complete/")) return [reply(200, verified(key.split("/")[3]))]
  if (key.endsWith("/renew/")) return [reply(200, { upload: { url: "https://s3.example/bucket", fields: { key: "k" } } })]
  if (key.startsWith("DELETE")) return [reply(200, {})]
  return [failure(404, "not_found")]
}

async function until(condition, milliseconds = 3000) {
  const ends = Date.now() + milliseconds
  while (!condition() && Date.now() < ends) await new Promise((resolve) => setTimeout(resolve, 2))
  assert.ok(condition(), "never happened")
}

describe("a mounted uploader getting over failures", () => {
  let dom

  beforeEach(() => {
    dom = installDom()
  })
  afterEach(async () => {
    for (const root of dom.document.querySelectorAll("[data-uploader]")) mounted(root)?.destroy()
    for (let turn = 0; turn < 20; turn += 1) await tick()
    dom.uninstall()
    delete globalThis.fetch
    delete globalThis.XMLHttpRequest
    delete globalThis.navigator
  })

  function page() {
    const root = dom.html(
      `<div id="up" data-uploader ${URLS}><input type="file" multiple><ul data-uploader-list></ul></div>`,
    )
    dom.document.body.append(root)
    return root
  }

  const rows = (root) =>
    root.querySelectorAll("li").map((li) => [li.dataset.state, li.querySelector(".uploader__status").textContent])
  const click = (root, action) =>
    root.querySelector(`button[data-action="${action}"]`).dispatchEvent(new Event("click", { bubbles: true }))

  test("a verification that failed once is asked again: the file is sent once", async () => {
    const requests = fakeServer({
      "POST /api/uploads/u1/complete/": [failure(503, "storage_unavailable"), reply(200, verified("u1"))],
    })
    const root = page()

    mount(root).addFiles([jpeg])
    await until(() => rows(root)[0]?.[0] === "retrying")
    assert.match(rows(root)[0][1], /^It failed: storage_unavailable\. Retrying in 1 s…$/)
    await until(() => rows(root)[0]?.[0] === "done")

    assert.deepEqual(requests.slice(1), [
      "POST /api/uploads/",
      "POST https://s3.example/bucket",
      "POST /api/uploads/u1/complete/",
      "POST /api/uploads/u1/complete/",
    ])
  })

  test("a pending upload of the profile shows as interrupted; its file chosen again is only verified", async () => {
    // `multipart: null`: sent in one piece (without it, the parts call would say so).
    const pending = { id: "old", status: "pending", profile: "default", filename: "shoe.jpg", size: 10, content_type: "image/jpeg", sha256: SHOE_SHA256, multipart: null }
    const requests = fakeServer({
      "GET /api/uploads/?status=pending&profile=default": [reply(200, { results: [pending], next: null })],
    })
    const root = page()
    const uploader = mount(root)
    await until(() => rows(root).length === 1)

    assert.deepEqual(rows(root), [["interrupted", "Interrupted — choose the file again to resume."]])
    assert.equal(uploader.busy, 0) // nothing holds back the form or the page's unload

    uploader.addFiles([jpeg])
    await until(() => rows(root)[0]?.[0] === "done")

    assert.deepEqual(rows(root), [["done", "Uploaded"]])
    assert.deepEqual(requests.slice(1), ["POST /api/uploads/old/complete/"])
  })

  test("Remove on an interrupted row deletes its upload", async () => {
    const pending = { id: "old", status: "pending", profile: "default", filename: "shoe.jpg", size: 10, content_type: "image/jpeg", sha256: "" }
    const requests = fakeServer({
      "GET /api/uploads/?status=pending&profile=default": [reply(200, { results: [pending], next: null })],
    })
    const root = page()
    mount(root)
    await until(() => rows(root).length === 1)

    click(root, "Remove")
    await tick()

    assert.deepEqual(rows(root), [])
    assert.equal(requests.at(-1), "DELETE /api/uploads/old/")
  })

  test("offline, the file waits for the connection, spending no retry, then goes on", async () => {
    Object.defineProperty(globalThis, "navigator", { value: { onLine: true }, configurable: true, writable: true })
    const storage = { offline: false }
    const requests = fakeServer({}, storage)
    const root = page()
    await tick()
    storage.offline = true
    globalThis.navigator.onLine = false

    mount(root).addFiles([jpeg])
    await until(() => rows(root)[0]?.[0] === "offline")
    const tries = requests.length
    for (let turn = 0; turn < 50; turn += 1) await tick()

    assert.deepEqual(rows(root), [["offline", "Waiting for the connection…"]])
    assert.equal(requests.length, tries)
    storage.offline = false
    globalThis.navigator.onLine = true
    dom.window.dispatchEvent(new Event("online"))
    await until(() => rows(root)[0]?.[0] === "done")
  })
})
