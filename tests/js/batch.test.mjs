import assert from "node:assert/strict"
import { afterEach, beforeEach, describe, test } from "node:test"

import {
  PROGRESS_INTERVAL,
  batchTotals,
  bulkDoneText,
  bulkTargets,
  filesText,
  finishedText,
  mountBatch,
  paceParts,
  timeLeftText,
} from "../../uploads/static/uploads/uploader/batch.js"
import { createRowView } from "../../uploads/static/uploads/uploader/rows.js"
import { installDom } from "./fake-dom.mjs"
import { MB, installCatalogue, tick } from "./support.mjs"

/** A row as the batch reads it: its state, its file's size, and what its attempt has sent. */
const row = (state, { size = MB, sent = null, retryable = false, file = true } = {}) => ({
  li: { dataset: { state } },
  file: file ? { size } : null,
  sent,
  retryable,
})

describe("batchTotals", () => {
  test("adds up files and bytes: done ones whole, those on their way as far as they got", () => {
    const totals = batchTotals([
      row("done", { size: 2 * MB }),
      row("uploading", { size: 4 * MB, sent: { loaded: MB, total: 4 * MB } }),
      row("waiting", { size: 3 * MB }),
    ])
    assert.deepEqual(totals, { files: 3, done: 1, failed: 0, busy: 2, loaded: 3 * MB, total: 9 * MB })
  })

  test("a failed file counts among the files, but its bytes will not come", () => {
    const totals = batchTotals([row("done"), row("failed", { size: 5 * MB })])
    assert.deepEqual(totals, { files: 2, done: 1, failed: 1, busy: 0, loaded: MB, total: MB })
  })

  test("the size sent counts (a resized file is smaller than the one picked); verifying is all there", () => {
    const totals = batchTotals([row("verifying", { size: 8 * MB, sent: { loaded: 2 * MB, total: 2 * MB } })])
    assert.deepEqual([totals.loaded, totals.total], [2 * MB, 2 * MB])
  })
})

describe("bulkTargets", () => {
  const rows = {
    waiting: row("waiting"),
    uploading: row("uploading"),
    retrying: row("retrying"),
    done: row("done"),
    retryable: row("failed", { retryable: true }),
    refused: row("failed", { retryable: false }),
  }
  const all = Object.values(rows)

  test("Cancel all takes every file still on its way, waiting ones too", () => {
    assert.deepEqual(bulkTargets(all).cancel, [rows.waiting, rows.uploading, rows.retrying])
  })

  test("Retry all takes the failed files a retry could help", () => {
    assert.deepEqual(bulkTargets(all).retry, [rows.retryable])
  })

  test("Clear finished takes the done and failed files", () => {
    assert.deepEqual(bulkTargets(all).clear, [rows.done, rows.retryable, rows.refused])
  })

  test("in a form field the done files are its value: only failed ones are cleared", () => {
    assert.deepEqual(bulkTargets(all, { field: true }).clear, [rows.retryable, rows.refused])
  })

  test("nothing to do on an empty list", () => {
    assert.deepEqual(bulkTargets([]), { clear: [], retry: [], cancel: [] })
  })
})

describe("the batch's texts", () => {
  afterEach(() => delete globalThis.django)

  test("how many files are done", () => {
    assert.equal(filesText(7, 20), "7 of 20 files")
    assert.equal(filesText(0, 1), "0 of 1 file")
  })

  test("the time left, in seconds, then minutes, then hours", () => {
    assert.equal(timeLeftText(11.2), "about 12 s left")
    assert.equal(timeLeftText(0.2), "about 1 s left")
    assert.equal(timeLeftText(59.4), "about 60 s left")
    assert.equal(timeLeftText(100), "about 2 min left")
    assert.equal(timeLeftText(3000), "about 50 min left")
    assert.equal(timeLeftText(2.4 * 3600), "about 2 h left")
  })

  test("bytes, speed and time left, each once it is known", () => {
    const bytes = { loaded: 12.4 * MB, total: 48 * MB }
    assert.deepEqual(paceParts({ ...bytes, speed: 3.1 * MB, seconds: 11.5 }), [
      "12.4 MB of 48 MB",
      "3.1 MB/s",
      "about 12 s left",
    ])
    assert.deepEqual(paceParts({ ...bytes, speed: null, seconds: null }), ["12.4 MB of 48 MB"])
    assert.deepEqual(paceParts({ ...bytes, speed: 0, seconds: null }), ["12.4 MB of 48 MB"], "stalled")
  })

  test("what is said when a batch ends", () => {
    assert.equal(finishedText({ done: 20, failed: 0 }), "20 files uploaded.")
    assert.equal(finishedText({ done: 18, failed: 2 }), "18 files uploaded. 2 files failed.")
    assert.equal(finishedText({ done: 0, failed: 1 }), "1 file failed.")
  })

  test("what is said when a bulk button acted", () => {
    assert.equal(bulkDoneText("cancel", 3), "3 uploads cancelled.")
    assert.equal(bulkDoneText("retry", 1), "Retrying 1 file.")
    assert.equal(bulkDoneText("clear", 5), "5 files cleared from the list.")
  })

  test("with the catalogue, the texts are translated", () => {
    installCatalogue({
      "%(done)s of %(count)s file": ["%(done)s von %(count)s Datei", "%(done)s von %(count)s Dateien"],
      "about %(seconds)s s left": "noch etwa %(seconds)s s",
    })
    assert.equal(filesText(7, 20), "7 von 20 Dateien")
    assert.equal(timeLeftText(12), "noch etwa 12 s")
  })
})

describe("the batch bar", () => {
  let dom
  let listening
  let calls

  beforeEach(() => {
    dom = installDom()
    dom.document.documentElement.lang = "en"
    listening = new AbortController()
    calls = []
  })
  afterEach(() => {
    listening.abort() // stops the bar's clock
    dom.uninstall()
  })

  /** A mounted bar over a list of rows in `states`; `rows` is the controller's Map. */
  function bar(states, { field = false, hasRoom = () => true } = {}) {
    const root = dom.html('<div data-uploader><input type="file"><ul data-uploader-list></ul></div>')
    dom.document.body.append(root)
    const list = root.querySelector("ul")
    const input = root.querySelector("input")
    const rows = new Map()
    const view = createRowView({ prefix: "b", input, isListed: (row) => rows.has(row.li) })
    const add = (state, { size = MB, retryable = false } = {}) => {
      const made = view.create(new File(["x".repeat(size)], `${state}-${rows.size + 1}.jpg`, { type: "image/jpeg" }))
      if (state === "failed") view.showFailure(made, { message: "Nope.", retryable })
      else view.setStatus(made, state)
      rows.set(made.li, made)
      list.append(made.li)
      return made
    }
    for (const state of states) add(...[state].flat())
    const removeRow = (gone) => {
      view.remove(gone)
      rows.delete(gone.li)
    }
    const batch = mountBatch({
      root,
      list,
      rows,
      input,
      field,
      hasRoom,
      on: (target, type, handler) => target?.addEventListener(type, handler, { signal: listening.signal }),
      signal: listening.signal,
      cancel: (gone) => (calls.push(["cancel", gone.name]), removeRow(gone)),
      retry: (again) => (calls.push(["retry", again.name]), view.setStatus(again, "waiting")),
      remove: (gone) => (calls.push(["remove", gone.name]), removeRow(gone)),
    })
    const button = (name) => root.querySelectorAll("button[data-bulk]").find((found) => found.textContent === name)
    const shown = () =>
      root
        .querySelectorAll("button[data-bulk]")
        .filter((found) => !found.hidden)
        .map((found) => found.textContent)
    return { root, list, rows, view, batch, add, button, shown, live: () => root.querySelector(".uploader__live") }
  }

  const click = (element) => element.dispatchEvent(new Event("click", { bubbles: true }))

  test("sits above the list, with nothing to show while nothing happens", () => {
    const { root, list } = bar([])
    const element = root.querySelector(".uploader__batch")
    assert.equal(element.nextElementSibling, list)
    assert.equal(root.querySelector(".uploader__summary").hidden, true)
    assert.equal(root.querySelector(".uploader__bulk").hidden, true)
    const overall = root.querySelector(".uploader__overall")
    assert.deepEqual([overall.localName, overall.getAttribute("aria-label")], ["progress", "Overall progress"])
  })

  test("shows how far two or more files have got, and ends with what happened", () => {
    const { root, rows, view, batch, live } = bar(["uploading", "waiting", "waiting"])
    const [first, second, third] = rows.values()
    view.setProgress(first, MB / 2, MB)
    batch.render()

    const summary = root.querySelector(".uploader__summary")
    assert.equal(summary.hidden, false)
    assert.equal(root.querySelector(".uploader__counts").textContent, "0 of 3 files")
    assert.match(root.querySelector(".uploader__pace").textContent, /^512 KB of 3 MB/)
    const overall = root.querySelector(".uploader__overall")
    assert.equal(overall.value, 16)
    assert.match(overall.getAttribute("aria-valuetext"), /^16%, 0 of 3 files, 512 KB of 3 MB/)

    for (const done of [first, second]) view.setStatus(done, "done")
    view.showFailure(third, { message: "Nope.", retryable: true })
    batch.render()

    assert.equal(summary.hidden, true)
    assert.equal(live().textContent, "2 files uploaded. 1 file failed.")
  })

  test("a single file needs no summary: its row says it all", () => {
    const { root, batch } = bar(["uploading"])
    batch.render()
    assert.equal(root.querySelector(".uploader__summary").hidden, true)
    assert.deepEqual(root.querySelectorAll("button[data-bulk]").filter((found) => !found.hidden), [])
  })

  test("each bulk button shows only when it has rows to act on", () => {
    assert.deepEqual(bar(["uploading", "waiting"]).shown(), ["Cancel all"])
    assert.deepEqual(bar(["done", "done"]).shown(), ["Clear finished"])
    assert.deepEqual(bar(["done", ["failed", { retryable: true }], "uploading"]).shown(), [
      "Clear finished",
      "Retry all",
      "Cancel all",
    ])
    assert.deepEqual(bar(["done", ["failed", { retryable: false }]]).shown(), ["Clear finished"])
  })

  test("in a form field it clears failed files only, and says so", () => {
    assert.deepEqual(bar(["done", "done"], { field: true }).shown(), [])
    const { button, shown, rows } = bar(["done", "failed"], { field: true })
    assert.deepEqual(shown(), ["Clear failed"])
    click(button("Clear failed"))
    assert.deepEqual(calls, [["remove", "failed-2.jpg"]])
    assert.equal(rows.size, 1)
  })

  test("Cancel all cancels every file on its way, says how many, and hides", () => {
    const { button, shown, live, root } = bar(["done", "uploading", "waiting"])
    const summary = root.querySelector(".uploader__summary")
    assert.equal(summary.hidden, false)
    button("Cancel all").focus()

    click(button("Cancel all"))

    assert.deepEqual(calls, [
      ["cancel", "uploading-2.jpg"],
      ["cancel", "waiting-3.jpg"],
    ])
    assert.equal(live().textContent, "2 uploads cancelled.")
    assert.deepEqual(shown(), [])
    assert.equal(summary.hidden, true)
    assert.equal(root.querySelector(".uploader__batch").hidden, true)
    // The button went: the keyboard goes to the file input rather than to the page's start.
    assert.equal(dom.document.activeElement, root.querySelector("input"))
  })

  test("Retry all starts the failed files over; the keyboard stays on the bar", () => {
    const { button, live } = bar([
      ["failed", { retryable: true }],
      ["failed", { retryable: true }],
      ["failed", { retryable: false }],
    ])
    button("Retry all").focus()

    click(button("Retry all"))

    assert.deepEqual(calls, [
      ["retry", "failed-1.jpg"],
      ["retry", "failed-2.jpg"],
    ])
    assert.equal(live().textContent, "Retrying 2 files.")
    assert.equal(dom.document.activeElement, button("Clear finished"))
  })

  test("Retry all in a full field tries once, so the field says why, and stops", () => {
    const { button, live } = bar(
      [
        ["failed", { retryable: true }],
        ["failed", { retryable: true }],
      ],
      { hasRoom: () => false },
    )
    click(button("Retry all"))
    assert.deepEqual(calls, [["retry", "failed-1.jpg"]])
    assert.equal(live().textContent, "")
  })

  test("Clear finished takes done and failed rows out of the list", () => {
    const { button, rows } = bar(["done", "failed", "uploading"])
    click(button("Clear finished"))
    assert.deepEqual(calls, [
      ["remove", "done-1.jpg"],
      ["remove", "failed-2.jpg"],
    ])
    assert.deepEqual(
      Array.from(rows.values(), (left) => left.name),
      ["uploading-3.jpg"],
    )
  })

  test("follows the page's progress events by itself, a few times a second", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] })
    const { root, rows, view } = bar(["uploading", "uploading"])
    const [first] = rows.values()
    view.setProgress(first, MB, MB)
    root.dispatchEvent(new CustomEvent("uploads:progress", { bubbles: true }))
    await tick()
    assert.equal(root.querySelector(".uploader__overall").value, 0, "not at every progress event")

    t.mock.timers.tick(PROGRESS_INTERVAL)
    await tick()
    assert.equal(root.querySelector(".uploader__overall").value, 50)
  })

  test("goes with the uploader", () => {
    const { root } = bar(["uploading", "uploading"])
    listening.abort()
    assert.equal(root.querySelector(".uploader__batch"), null)
  })
})
