import assert from "node:assert/strict"
import { afterEach, beforeEach, describe, test } from "node:test"

import {
  PREVIEW_LIMIT,
  STATES,
  actionsFor,
  countBusy,
  createRowView,
  detailsText,
  doneNeighbour,
  formatPercent,
  isSettled,
  reviewNote,
  statusText,
  thumbnailSource,
} from "../../uploads/static/uploads/uploader/rows.js"
import { installDom } from "./fake-dom.mjs"
import { MB, installCatalogue } from "./support.mjs"

describe("a row's states", () => {
  test("a file goes waiting, checking, uploading, verifying, and ends done or failed", () => {
    assert.deepEqual(STATES, ["waiting", "checking", "uploading", "retrying", "verifying", "done", "failed"])
    assert.deepEqual(STATES.filter(isSettled), ["done", "failed"])
  })

  test("every state on the way can be cancelled", () => {
    for (const state of ["waiting", "checking", "uploading", "retrying", "verifying"]) {
      assert.deepEqual(actionsFor(state, { field: true, multiple: true }), ["Cancel"], state)
    }
  })

  test("a failed file can be retried only when a retry could succeed, and always removed", () => {
    assert.deepEqual(actionsFor("failed", { retryable: true }), ["Retry", "Remove"])
    assert.deepEqual(actionsFor("failed", { retryable: false }), ["Remove"])
  })

  test("a done file has no buttons outside a form; in a field it can be removed, and moved when ordered", () => {
    assert.deepEqual(actionsFor("done"), [])
    assert.deepEqual(actionsFor("done", { field: true }), ["Remove"])
    assert.deepEqual(actionsFor("done", { field: true, multiple: true }), ["Move up", "Move down", "Remove"])
  })

  test("the states with a fixed status line say what is happening", () => {
    assert.deepEqual(["waiting", "checking", "uploading", "verifying", "retrying", "done"].map(statusText), [
      "Waiting…",
      "Checking file…",
      "Uploading…",
      "Verifying…",
      "",
      "",
    ])
  })

  test("busy rows are those neither done nor failed", () => {
    const rows = ["waiting", "uploading", "done", "failed", "retrying"].map((state) => ({ li: { dataset: { state } } }))
    assert.equal(countBusy(rows), 3)
    assert.equal(countBusy([]), 0)
  })
})

describe("thumbnailSource", () => {
  const original = "https://s3.example/bucket/uploads/ab/photo.jpg?X-Amz-Signature=original"
  const preview = "blob:https://shop.example/4f1c2a"
  const thumb = { url: "https://s3.example/bucket/variants/ab/thumb.webp?sig=t", width: 320, height: 240, size: 9000 }
  const card = { url: "https://s3.example/bucket/variants/ab/card.webp?sig=c", width: 800, height: 600, size: 41000 }

  test("the smallest variant the server made, whatever its name or place in the reply", () => {
    assert.equal(thumbnailSource({ url: original, variants: { card, thumb } }, preview), thumb.url)
    assert.equal(thumbnailSource({ url: original, variants: { small: thumb, large: card } }, preview), thumb.url)
  })

  test("a larger variant while the smallest is still being made", () => {
    assert.equal(thumbnailSource({ url: original, variants: { card } }, preview), card.url)
  })

  test("before any variant is made, the local preview of the chosen file", () => {
    assert.equal(thumbnailSource({ url: original, variants: {} }, preview), preview)
    assert.equal(thumbnailSource({ url: original }, preview), preview)
  })

  test("neither a variant nor a preview: null, for the placeholder, never the original", () => {
    assert.equal(thumbnailSource({ url: original, variants: {} }, null), null)
    assert.equal(thumbnailSource({ url: original }), null)
    assert.equal(thumbnailSource(null), null)
  })

  test("a variant without a URL is passed over; one without dimensions is a last resort", () => {
    const unsized = { url: "https://s3.example/bucket/variants/ab/odd.webp" }
    assert.equal(thumbnailSource({ variants: { thumb: { ...thumb, url: "" }, card } }, preview), card.url)
    assert.equal(thumbnailSource({ variants: { odd: unsized, card } }), card.url)
    assert.equal(thumbnailSource({ variants: { odd: unsized } }), unsized.url)
  })
})

describe("reviewNote", () => {
  afterEach(() => {
    delete globalThis.django
  })

  test("a rejected upload says so with the reviewer's reason", () => {
    const upload = {
      state: "rejected",
      review: "rejected",
      review_reason: "The image seems to belong to someone else.",
    }
    assert.equal(reviewNote(upload), "Rejected: The image seems to belong to someone else.")
  })

  test("a rejected upload without a reason still says it is rejected", () => {
    assert.equal(reviewNote({ state: "rejected", review: "rejected", review_reason: " " }), "Rejected")
  })

  test("an upload awaiting review says so; an approved one says that", () => {
    assert.equal(reviewNote({ state: "awaiting_review", review: "unreviewed", review_reason: "" }), "Awaiting review")
    assert.equal(reviewNote({ state: "published", review: "approved", review_reason: "" }), "Approved")
  })

  test("an upload nobody reviews says nothing", () => {
    assert.equal(reviewNote({ state: "published", review: "unreviewed", review_reason: "" }), "")
    assert.equal(reviewNote({}), "")
  })

  test("with the catalogue, the note is translated", () => {
    installCatalogue({ "Rejected: %(reason)s": "Abgelehnt: %(reason)s" })
    assert.equal(reviewNote({ state: "rejected", review_reason: "Zu dunkel." }), "Abgelehnt: Zu dunkel.")
  })
})

describe("detailsText", () => {
  test("the verified dimensions and size", () => {
    assert.equal(detailsText({ width: 1200, height: 800, size: 1.2 * MB }, null), "1200 × 800 · 1.2 MB")
  })

  test("the size alone without dimensions, the chosen file's when the server names none", () => {
    assert.equal(detailsText({}, { size: 532 * 1024 }), "532 KB")
  })
})

describe("formatPercent", () => {
  afterEach(() => delete globalThis.document)

  test("a whole percentage in the page's language", () => {
    globalThis.document = { documentElement: { lang: "en" } }
    assert.equal(formatPercent(0.42), "42%")
    assert.equal(formatPercent(1), "100%")
    globalThis.document = { documentElement: { lang: "de" } }
    assert.equal(formatPercent(0.42), "42\u00a0%")
  })

  test("a lang attribute that is no language tag falls back to the browser's", () => {
    globalThis.document = { documentElement: { lang: "not a tag!" } }
    assert.match(formatPercent(0.5), /50/)
  })
})

describe("a row on the page", () => {
  let dom
  let list
  let input
  const listed = new Set()
  const jpeg = () => new File(["jpeg bytes"], "shoe.jpg", { type: "image/jpeg" })

  beforeEach(() => {
    dom = installDom()
    dom.document.documentElement.lang = "en"
    list = dom.html("<ul></ul>")
    input = dom.html('<input type="file">')
    dom.document.body.append(input, list)
  })
  afterEach(() => dom.uninstall())

  const view = (options = {}) =>
    createRowView({ prefix: "id_images_uploader", input, isListed: (row) => listed.has(row), ...options })
  const buttons = (row) => row.actions.children.map((button) => [button.textContent, button.disabled])

  test("a picked file shows its own preview, its name, an empty bar and a status line", () => {
    const row = view().create(jpeg())
    list.append(row.li)

    assert.equal(row.li.className, "uploader__file")
    const [thumb, body, actions] = row.li.children
    assert.equal(thumb.localName, "img")
    assert.equal(thumb.getAttribute("class"), "uploader__thumb")
    assert.match(thumb.getAttribute("src"), /^blob:/)
    assert.equal(thumb.getAttribute("alt"), "shoe.jpg")
    assert.equal(row.preview, thumb.getAttribute("src"))
    assert.deepEqual(
      body.children.map((child) => child.getAttribute("class")),
      ["uploader__name", "uploader__progress", "uploader__percent", "uploader__status"],
    )
    assert.match(row.nameId, /^id_images_uploader-file-\d+$/)
    assert.equal(body.querySelector(".uploader__name").id, row.nameId)
    assert.equal(row.progress.getAttribute("aria-label"), "Upload progress for shoe.jpg")
    assert.equal(row.progress.value, 0)
    assert.equal(row.progress.getAttribute("aria-valuetext"), "0%")
    assert.deepEqual([row.percent.textContent, row.percent.getAttribute("aria-hidden")], ["0%", "true"])
    assert.equal(row.status.getAttribute("role"), "status")
    assert.equal(actions.getAttribute("class"), "uploader__actions")
  })

  test("each row gets a name id of its own, even in two uploaders with the same id", () => {
    const ids = [view().create(jpeg()).nameId, view().create(jpeg()).nameId]
    assert.notEqual(ids[0], ids[1])
  })

  test("a file too big to show cheaply has the placeholder, not a preview", () => {
    const rows = view()
    const huge = jpeg()
    Object.defineProperty(huge, "size", { value: PREVIEW_LIMIT + 1 })

    const row = rows.create(huge)

    assert.equal(row.preview, null)
    assert.equal(row.li.querySelector(".uploader__thumb").className, "uploader__thumb uploader__placeholder")
    assert.notEqual(rows.create(jpeg()).preview, null, "a photo's size has its preview")
  })

  test("a file whose name has no extension (no type) is previewed from its bytes", () => {
    const rows = view()
    const row = rows.create(new File(["jpeg bytes"], "IMG_0042"))
    assert.notEqual(row.preview, null)
    assert.equal(rows.create(new File(["%PDF"], "contract.pdf", { type: "application/pdf" })).preview, null)
  })

  test("a refused file shows the placeholder, never a preview", () => {
    const row = view().create(jpeg(), { withPreview: false })
    assert.equal(row.preview, null)
    assert.equal(
      row.li.querySelector(".uploader__thumb").getAttribute("class"),
      "uploader__thumb uploader__placeholder",
    )
    assert.equal(row.li.querySelector(".uploader__thumb").getAttribute("aria-hidden"), "true")
  })

  test("starting shows the waiting state with Cancel, described by the file's name", () => {
    const rows = view()
    const row = rows.create(jpeg())
    list.append(row.li)
    row.li.classList.add("is-error")

    rows.showWaiting(row)

    assert.equal(row.li.dataset.state, "waiting")
    assert.equal(row.status.textContent, "Waiting…")
    assert.equal(row.li.classList.contains("is-error"), false)
    const [cancel] = row.actions.children
    assert.deepEqual(
      [cancel.textContent, cancel.dataset.action, cancel.getAttribute("type"), cancel.getAttribute("aria-describedby")],
      ["Cancel upload", "Cancel", "button", row.nameId],
    )
  })

  test("a failure is an alert in the row, with Retry only when it could help", () => {
    const rows = view()
    const row = rows.create(jpeg())
    list.append(row.li)
    row.progress.value = 40

    rows.showFailure(row, { message: "The storage is busy. Try again in a moment.", retryable: true })

    assert.equal(row.li.dataset.state, "failed")
    assert.equal(row.li.classList.contains("is-error"), true)
    assert.equal(row.progress.value, 0)
    assert.equal(row.status.querySelector("[role=alert]").textContent, "The storage is busy. Try again in a moment.")
    assert.deepEqual(buttons(row), [
      ["Retry", false],
      ["Remove", false],
    ])
    rows.showFailure(row, { message: "Too large.", retryable: false })
    assert.deepEqual(buttons(row), [["Remove", false]])
  })

  test("a verified file shows its details and the reviewer's note", () => {
    const rows = view()
    const row = rows.create(jpeg())
    list.append(row.li)

    rows.showDone(row, {
      id: "u1",
      width: 1200,
      height: 800,
      size: 1.2 * MB,
      state: "rejected",
      review_reason: "Too dark.",
    })

    assert.equal(row.li.dataset.state, "done")
    assert.equal(row.status.textContent, "Uploaded")
    assert.equal(row.progress.value, 100)
    assert.equal(row.li.querySelector(".uploader__details").textContent, "1200 × 800 · 1.2 MB")
    assert.equal(row.li.querySelector(".uploader__review").textContent, "Rejected: Too dark.")
    assert.equal(row.li.dataset.reviewState, "rejected")
  })

  test("a duplicate says it was already uploaded", () => {
    const rows = view()
    const row = rows.create(jpeg())
    list.append(row.li)
    rows.showDone(row, { id: "u1", size: 10, duplicate: true })
    assert.equal(row.status.textContent, "Already uploaded")
  })

  test("the variant replaces the preview once it has loaded, and the preview is let go", () => {
    const rows = view()
    const row = rows.create(jpeg())
    list.append(row.li)
    listed.add(row)
    const made = recordCreated(dom.document)
    const variant = "https://s3.example/bucket/variants/ab/thumb.webp"

    rows.showDone(row, { id: "u1", size: 10, variants: { thumb: { url: variant, width: 64, height: 64 } } })
    assert.equal(row.li.querySelector(".uploader__thumb").getAttribute("src"), row.preview)

    const img = made.find((element) => element.getAttribute("src") === variant)
    img.dispatchEvent(new Event("load"))
    assert.equal(row.li.querySelector(".uploader__thumb"), img)
    assert.equal(row.preview, null)
  })

  test("a variant that loads after its row was removed changes nothing", () => {
    const rows = view()
    const row = rows.create(jpeg())
    list.append(row.li)
    const made = recordCreated(dom.document)
    const variant = "https://s3.example/bucket/variants/ab/thumb.webp"

    rows.showDone(row, { id: "u1", size: 10, variants: { thumb: { url: variant, width: 64, height: 64 } } })
    rows.remove(row)
    made.find((element) => element.getAttribute("src") === variant).dispatchEvent(new Event("load"))

    assert.notEqual(row.li.querySelector(".uploader__thumb").getAttribute("src"), variant)
  })

  test("a preview the browser cannot decode gives way to the placeholder", () => {
    const row = view().create(jpeg())
    list.append(row.li)

    row.li.querySelector("img").dispatchEvent(new Event("error"))

    assert.equal(
      row.li.querySelector(".uploader__thumb").getAttribute("class"),
      "uploader__thumb uploader__placeholder",
    )
    assert.equal(row.preview, null)
  })

  test("moves are off at the ends of the list", () => {
    const rows = view({ ordered: true })
    const [first, second] = [rows.create(jpeg()), rows.create(jpeg())]
    list.append(first.li, second.li)
    for (const row of [first, second]) rows.setStatus(row, "done")
    for (const row of [first, second]) rows.setActions(row, actionsFor("done", { field: true, multiple: true }))

    assert.deepEqual(buttons(first), [
      ["Move up", true],
      ["Move down", false],
      ["Remove", false],
    ])
    assert.deepEqual(buttons(second), [
      ["Move up", false],
      ["Move down", true],
      ["Remove", false],
    ])
    // A done row of an ordered field has a handle to drag it by, for pointers only.
    const handle = first.li.firstElementChild
    assert.deepEqual(
      [handle.getAttribute("class"), handle.getAttribute("aria-hidden"), handle.getAttribute("title")],
      ["uploader__handle", "true", "Drag to reorder"],
    )
  })

  test("a row on its way has no handle, and loses it when it starts over", () => {
    const rows = view({ ordered: true })
    const row = rows.create(jpeg())
    list.append(row.li)
    rows.showWaiting(row)
    assert.equal(row.li.querySelector(".uploader__handle"), null)

    rows.setActions(row, actionsFor("done", { field: true, multiple: true }))
    assert.notEqual(row.li.querySelector(".uploader__handle"), null)
    rows.showWaiting(row)
    assert.equal(row.li.querySelector(".uploader__handle"), null)
  })

  test("the order is the done rows': Move up and Move down step over rows on their way or failed", () => {
    const rows = view({ ordered: true })
    const [failed, top, uploading, bottom] = [1, 2, 3, 4].map(() => rows.create(jpeg()))
    list.append(failed.li, top.li, uploading.li, bottom.li)
    rows.showFailure(failed, { message: "Nope.", retryable: true })
    rows.setStatus(uploading, "uploading")
    for (const row of [top, bottom]) rows.setStatus(row, "done")
    for (const row of [top, bottom]) rows.setActions(row, actionsFor("done", { field: true, multiple: true }))

    assert.deepEqual(buttons(top).slice(0, 2), [
      ["Move up", true],
      ["Move down", false],
    ])
    assert.deepEqual(buttons(bottom).slice(0, 2), [
      ["Move up", false],
      ["Move down", true],
    ])
    assert.equal(doneNeighbour(bottom.li, "previous"), top.li)
    assert.equal(doneNeighbour(top.li, "next"), bottom.li)
    assert.equal(doneNeighbour(top.li, "previous"), null)
  })

  test("progress shows as a percentage beside the bar and in the bar's aria-valuetext", () => {
    const rows = view()
    const row = rows.create(jpeg())
    list.append(row.li)

    rows.setProgress(row, 421, 1000)
    assert.deepEqual(
      [row.progress.value, row.progress.getAttribute("aria-valuetext"), row.percent.textContent],
      [42, "42%", "42%"],
    )
    assert.deepEqual(row.sent, { loaded: 421, total: 1000 })

    rows.setStatus(row, "verifying")
    assert.deepEqual([row.progress.value, row.percent.textContent], [100, "100%"])

    rows.showFailure(row, { message: "Nope.", retryable: true })
    assert.deepEqual([row.progress.value, row.percent.textContent, row.sent], [0, "0%", null])
  })

  test("new buttons keep the keyboard in the row", () => {
    const rows = view()
    const row = rows.create(jpeg())
    list.append(row.li)
    rows.showWaiting(row)
    row.actions.querySelector("button").focus()

    rows.showFailure(row, { message: "Nope.", retryable: true })

    assert.equal(dom.document.activeElement.dataset.action, "Retry")
  })

  test("removing a focused row hands the keyboard to the next row, else to the file input", () => {
    const rows = view()
    const [first, second] = [rows.create(jpeg()), rows.create(jpeg())]
    list.append(first.li, second.li)
    for (const row of [first, second]) rows.showFailure(row, { message: "Nope.", retryable: false })
    first.actions.querySelector("button").focus()

    rows.remove(first)
    assert.equal(first.li.isConnected, false)
    assert.equal(first.preview, null)
    assert.equal(dom.document.activeElement, second.actions.querySelector("button"))

    rows.remove(second)
    assert.equal(dom.document.activeElement, input)
  })

  test("a row the server rendered is adopted as done, with an actions box and a name id", () => {
    const li = dom.html(
      '<li class="uploader__file" data-upload-id="u7"><img class="uploader__thumb" src="/v.webp"><div class="uploader__body"><span class="uploader__name"> shoe.jpg </span></div></li>',
    )
    list.append(li)

    const row = view().adopt(li)

    assert.deepEqual([row.name, row.uploadId, row.file, row.owned], ["shoe.jpg", "u7", null, false])
    assert.equal(li.dataset.state, "done")
    assert.match(li.querySelector(".uploader__name").id, /^id_images_uploader-file-\d+$/)
    assert.equal(row.actions, li.querySelector(".uploader__actions"))
  })

  test("a rendered row that was still on its way is dropped: nothing could finish it", () => {
    const li = dom.html('<li class="uploader__file" data-state="uploading"></li>')
    list.append(li)
    assert.equal(view().adopt(li), null)
    assert.equal(li.isConnected, false)
  })
})

// showThumbnail keeps its <img> out of the page until it loads: note every element made, to find it.
function recordCreated(document) {
  const made = []
  const create = document.createElement.bind(document)
  document.createElement = (tag) => {
    const element = create(tag)
    made.push(element)
    return element
  }
  return made
}
