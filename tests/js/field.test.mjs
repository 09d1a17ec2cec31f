import assert from "node:assert/strict"
import { afterEach, beforeEach, describe, test } from "node:test"

import {
  maxCountMessage,
  mountField,
  oneFileMessage,
  parseIds,
  retryRefusedMessage,
  serializeIds,
  waitMessage,
} from "../../uploads/static/uploads/uploader/field.js"
import { createRowView } from "../../uploads/static/uploads/uploader/rows.js"
import { installDom } from "./fake-dom.mjs"
import { installCatalogue, serveOwnCatalogue } from "./support.mjs"

describe("the field's value", () => {
  test("is read as ids in order, without blanks, spaces or repeats", () => {
    assert.deepEqual(parseIds("b, a,,b , c"), ["b", "a", "c"])
  })

  test("is empty for an empty or missing value", () => {
    assert.deepEqual(parseIds(""), [])
    assert.deepEqual(parseIds(" , "), [])
    assert.deepEqual(parseIds(undefined), [])
  })

  test("is written comma-separated, in order, each id once", () => {
    assert.equal(serializeIds(["uuid1", "uuid2", "uuid1"]), "uuid1,uuid2")
    assert.equal(serializeIds([]), "")
  })

  test("round-trips", () => {
    const ids = ["6f1c2b0e-3a4d-4e5f-8a9b-0c1d2e3f4a5b", "0b4f3c47-2f3e-4f8e-9b1e-7d8c9a0b1c2d"]
    assert.deepEqual(parseIds(serializeIds(ids)), ids)
  })
})

describe("field messages", () => {
  afterEach(() => {
    delete globalThis.django
    delete globalThis.document
  })

  test("a capped field says how many files it refused", () => {
    assert.equal(maxCountMessage(10, 2), "This field takes at most 10 images; 2 were not added.")
    assert.equal(maxCountMessage(10, 1), "This field takes at most 10 images; 1 was not added.")
    assert.equal(maxCountMessage(1, 3), "This field takes at most 1 image; 3 were not added.")
  })

  test("a full capped field says why Retry did nothing", () => {
    assert.equal(retryRefusedMessage(10), "This field takes at most 10 images; remove one before retrying this file.")
  })

  test("a single-upload field names the file it kept", () => {
    assert.equal(oneFileMessage("shoe.jpg", 1), "This field takes one image: shoe.jpg was added, 1 other file was not.")
    assert.equal(
      oneFileMessage("shoe.jpg", 2),
      "This field takes one image: shoe.jpg was added, 2 other files were not.",
    )
  })

  test("the submit guard counts the files still uploading", () => {
    assert.equal(waitMessage(2), "Wait for 2 images to finish uploading, then save.")
    assert.equal(waitMessage(1), "Wait for 1 image to finish uploading, then save.")
  })

  test("a django object without the catalogue's functions is ignored", () => {
    globalThis.django = {}
    assert.equal(waitMessage(2), "Wait for 2 images to finish uploading, then save.")
  })

  test("with Django's catalogue, plurals follow the count", () => {
    installCatalogue({
      "Wait for %(count)s image to finish uploading, then save.": [
        "Attendez que %(count)s image finisse d’être envoyée, puis enregistrez.",
        "Attendez que %(count)s images finissent d’être envoyées, puis enregistrez.",
      ],
    })
    assert.equal(waitMessage(1), "Attendez que 1 image finisse d’être envoyée, puis enregistrez.")
    assert.equal(waitMessage(3), "Attendez que 3 images finissent d’être envoyées, puis enregistrez.")
  })

  test("with the uploader's own catalogue, plurals follow its rule", () => {
    serveOwnCatalogue({
      "Wait for %(count)s image to finish uploading, then save.": [
        "Warten Sie, bis %(count)s Bild fertig hochgeladen ist, und speichern Sie dann.",
        "Warten Sie, bis %(count)s Bilder fertig hochgeladen sind, und speichern Sie dann.",
      ],
    })
    assert.equal(waitMessage(1), "Warten Sie, bis 1 Bild fertig hochgeladen ist, und speichern Sie dann.")
    assert.equal(waitMessage(0), "Warten Sie, bis 0 Bilder fertig hochgeladen sind, und speichern Sie dann.")
  })
})

const DONE_ROW = (id, name) =>
  `<li class="uploader__file" data-state="done" data-upload-id="${id}"><div class="uploader__body"><span class="uploader__name">${name}</span></div></li>`

describe("a form field", () => {
  let dom
  beforeEach(() => {
    dom = installDom()
  })
  afterEach(() => dom.uninstall())

  /**
   * A field mounted on `markup` with what the controller would share, and a record of what it
   * asked the controller to do (`calls`) and the events it sent (`events`).
   */
  function field(markup, config = {}) {
    const form = dom.html(`<form>${markup}</form>`)
    dom.document.body.append(form)
    const root = form.querySelector("[data-uploader]")
    const list = root.querySelector("ul")
    const input = root.querySelector("input[type=file]")
    const rows = new Map()
    const listening = new AbortController()
    const calls = []
    const events = []
    const view = createRowView({ prefix: "f", ordered: config.multiple, input, isListed: (row) => rows.has(row.li) })
    const removeRow = (row) => {
      calls.push(["remove", row.name])
      view.remove(row)
      rows.delete(row.li)
    }
    const mounted = mountField({
      root,
      list,
      input,
      config: {
        multiple: false,
        maxCount: 0,
        firstBadge: "",
        valueInput: root.querySelector("[data-uploader-value]"),
        ...config,
      },
      rows,
      view,
      on: (target, type, handler) => target?.addEventListener(type, handler, { signal: listening.signal }),
      emit: (type, detail) => events.push([type, detail]),
      signal: listening.signal,
      cancel: (row) => (calls.push(["cancel", row.name]), removeRow(row)),
      release: (row) => (calls.push(["release", row.name]), removeRow(row)),
      removeRow,
    })
    const add = (name, state = "uploading") => {
      const row = view.create(new File(["bytes"], name, { type: "image/jpeg" }))
      rows.set(row.li, row)
      list.append(row.li)
      view.setStatus(row, state, "")
      return row
    }
    return {
      form,
      root,
      list,
      input,
      rows,
      view,
      calls,
      events,
      field: mounted,
      add,
      value: () => root.querySelector("[data-uploader-value]").value,
    }
  }

  const ORDERED = `<div data-uploader data-field data-multiple><input type="file" multiple><input data-uploader-value value="u1,gone,u2"><ul>${DONE_ROW("u1", "a.jpg")}${DONE_ROW("u2", "b.jpg")}</ul></div>`
  const SINGLE = `<div data-uploader data-field><input type="file" multiple><input data-uploader-value value="u1"><ul>${DONE_ROW("u1", "a.jpg")}</ul></div>`

  test("adopts the rows the server rendered; the value is what the list shows", () => {
    const { rows, value, field: mounted } = field(ORDERED, { multiple: true })
    assert.equal(rows.size, 2)
    assert.equal(value(), "u1,u2")
    assert.deepEqual(mounted.ids, ["u1", "u2"])
  })

  test("adds a hidden message area before the list, and a polite live region for an ordered field", () => {
    const { root, list } = field(ORDERED, { multiple: true })
    const message = root.querySelector("[data-uploader-message]")
    assert.equal(message.nextElementSibling, list)
    assert.deepEqual(
      [message.getAttribute("class"), message.getAttribute("role"), message.hidden],
      ["uploader__message", "alert", true],
    )
    const live = root.querySelector(".uploader__live")
    assert.deepEqual([live.getAttribute("aria-live"), live.getAttribute("aria-atomic")], ["polite", "true"])
  })

  test("a single-upload field takes one file per pick", () => {
    const { input, root } = field(SINGLE)
    assert.equal(input.multiple, false)
    assert.equal(root.querySelector(".uploader__live"), null)
  })

  test("an ordered field marks its first done image with the cover badge", () => {
    const { list, add, field: mounted } = field(ORDERED, { multiple: true, firstBadge: "Cover" })
    const badges = () => list.querySelectorAll(".uploader__badge").map((badge) => badge.closest("li").dataset.uploadId)
    assert.deepEqual(badges(), ["u1"])

    const row = add("c.jpg")
    list.prepend(row.li)
    mounted.changed()
    assert.deepEqual(badges(), ["u1"], "a row on its way is not the cover")
  })

  test("a verified file joins the value, and the page hears of it", () => {
    const { add, field: mounted, value, events } = field(ORDERED, { multiple: true })
    const row = add("c.jpg", "done")

    mounted.join(row, { id: "u3", status: "uploaded" })

    assert.equal(value(), "u1,u2,u3")
    assert.deepEqual(events, [["change", { ids: ["u1", "u2", "u3"] }]])
    assert.deepEqual([row.uploadId, row.owned, row.li.dataset.uploadId], ["u3", true, "u3"])
    assert.deepEqual(
      row.actions.children.map((button) => button.dataset.action),
      ["Move up", "Move down", "Remove"],
    )
  })

  test("a duplicate of an image the field holds is not added twice", () => {
    const { add, field: mounted, value, events, calls, root } = field(ORDERED, { multiple: true })
    const row = add("again.jpg", "done")

    mounted.join(row, { id: "u2", status: "uploaded", duplicate: true })

    assert.deepEqual(calls, [["remove", "again.jpg"]])
    assert.equal(value(), "u1,u2")
    assert.deepEqual(events, [])
    assert.equal(root.querySelector("[data-uploader-message]").textContent, "again.jpg is already in this field.")
  })

  test("a duplicate made elsewhere joins, but is never ours to delete", () => {
    const { add, field: mounted } = field(ORDERED, { multiple: true })
    const row = add("c.jpg", "done")
    mounted.join(row, { id: "u9", status: "uploaded", duplicate: true })
    assert.equal(row.owned, false)
  })

  test("in a single-upload field the new image replaces the old one", () => {
    const { add, field: mounted, value, calls } = field(SINGLE)
    const row = add("new.jpg", "done")

    mounted.join(row, { id: "u5", status: "uploaded" })

    assert.deepEqual(calls, [
      ["release", "a.jpg"],
      ["remove", "a.jpg"],
    ])
    assert.equal(value(), "u5")
  })

  test("a single-upload field keeps the first of several files, and the newest pick wins", () => {
    const { add, field: mounted, calls, root } = field(SINGLE)
    add("earlier.jpg", "uploading")
    const files = ["x.jpg", "y.jpg", "z.jpg"].map((name) => new File([""], name))

    assert.deepEqual(mounted.pick(files), [files[0]])
    assert.deepEqual(
      calls.filter(([call]) => call === "cancel"),
      [["cancel", "earlier.jpg"]],
    )
    assert.equal(
      root.querySelector("[data-uploader-message]").textContent,
      "This field takes one image: x.jpg was added, 2 other files were not.",
    )
  })

  test("Move down swaps the row with the next, changes the value and says where it went", () => {
    const { rows, list, field: mounted, value, root, events } = field(ORDERED, { multiple: true })
    const first = rows.get(list.children[0])

    mounted.move(first, "Move down")

    assert.equal(value(), "u2,u1")
    assert.deepEqual(events, [["change", { ids: ["u2", "u1"] }]])
    assert.equal(root.querySelector(".uploader__live").textContent, "a.jpg is now 2 of 2.")
    // The keyboard stays on the row that moved: Move down is off at the end, so the first enabled button.
    assert.equal(dom.document.activeElement.dataset.action, "Move up")
  })

  test("the order is the images': a failed row above the first one leaves its Move up off", () => {
    const { add, list, rows, field: mounted, value, root } = field(ORDERED, { multiple: true })
    const failed = add("broken.jpg", "failed")
    list.prepend(failed.li)
    const uploading = add("coming.jpg", "uploading")
    list.children[1].after(uploading.li) // broken, a, coming, b
    mounted.changed()
    const [first, second] = [rows.get(list.children[1]), rows.get(list.children[3])]
    const enabled = (row, action) => !row.actions.querySelector(`button[data-action="${action}"]`).disabled

    assert.deepEqual([enabled(first, "Move up"), enabled(first, "Move down")], [false, true])
    assert.deepEqual([enabled(second, "Move up"), enabled(second, "Move down")], [true, false])

    mounted.move(second, "Move up")

    assert.deepEqual(
      list.children.map((li) => rows.get(li).name),
      ["broken.jpg", "b.jpg", "a.jpg", "coming.jpg"],
    )
    assert.equal(value(), "u2,u1")
    assert.equal(root.querySelector(".uploader__live").textContent, "b.jpg is now 1 of 2.")
  })

  test("dragging a done row's handle reorders the field and says where the row went", () => {
    const { list, rows, value, root, events } = field(ORDERED, { multiple: true })
    for (const [index, li] of list.children.entries()) {
      li.getBoundingClientRect = () => ({ top: index * 50, height: 50 })
    }
    const handle = list.children[0].querySelector(".uploader__handle")
    const pointer = (type, clientY) => {
      const event = Object.assign(new Event(type, { bubbles: true }), { pointerId: 7, pointerType: "touch", clientY })
      handle.dispatchEvent(event)
    }

    pointer("pointerdown", 25)
    pointer("pointermove", 90)
    pointer("pointerup", 90)

    assert.deepEqual(
      list.children.map((li) => rows.get(li).name),
      ["b.jpg", "a.jpg"],
    )
    assert.equal(value(), "u2,u1")
    assert.deepEqual(events, [["change", { ids: ["u2", "u1"] }]])
    assert.equal(root.querySelector(".uploader__live").textContent, "a.jpg is now 2 of 2.")
  })

  test("a single-upload field has nothing to drag", () => {
    const { list } = field(SINGLE)
    assert.equal(list.querySelector(".uploader__handle"), null)
  })

  test("a capped field counts every row but the failed ones", () => {
    const { add, field: mounted, root } = field(ORDERED, { multiple: true, maxCount: 3 })
    assert.deepEqual([mounted.room(), mounted.hasRoom()], [1, true])
    const failed = add("c.jpg", "failed")
    assert.deepEqual([mounted.room(), mounted.hasRoom(), mounted.allowsRetry()], [1, true, true])

    add("d.jpg", "uploading")
    assert.deepEqual([mounted.room(), mounted.hasRoom()], [0, false])
    assert.equal(mounted.allowsRetry(failed), false)
    assert.equal(
      root.querySelector("[data-uploader-message]").textContent,
      "This field takes at most 3 images; remove one before retrying this file.",
    )
    mounted.refused(2)
    assert.equal(
      root.querySelector("[data-uploader-message]").textContent,
      "This field takes at most 3 images; 2 were not added.",
    )
  })

  test("without a cap there is always room", () => {
    const { field: mounted } = field(ORDERED, { multiple: true })
    assert.equal(mounted.room(), Infinity)
  })

  test("the form is not saved while a file is on its way, and says when it can be", () => {
    const { form, add, field: mounted, root, view } = field(ORDERED, { multiple: true })
    const row = add("c.jpg", "uploading")
    const message = root.querySelector("[data-uploader-message]")

    const submit = new Event("submit", { cancelable: true })
    form.dispatchEvent(submit)
    assert.equal(submit.defaultPrevented, true)
    assert.equal(message.textContent, "Wait for 1 image to finish uploading, then save.")
    assert.equal(dom.document.activeElement, message)

    view.setStatus(row, "done", "Uploaded")
    mounted.changed()
    assert.equal(message.textContent, "All images are uploaded. You can save now.")

    const again = new Event("submit", { cancelable: true })
    form.dispatchEvent(again)
    assert.equal(again.defaultPrevented, false)
  })

  test("once the wait ends in a failure, the row's own alert says it, not the field", () => {
    const { form, add, field: mounted, root, view } = field(ORDERED, { multiple: true })
    const row = add("c.jpg", "uploading")
    form.dispatchEvent(new Event("submit", { cancelable: true }))

    view.showFailure(row, { message: "Nope.", retryable: true })
    mounted.changed()

    assert.equal(root.querySelector("[data-uploader-message]").hidden, true)
  })

  test("quiet hides the message until there is something new to say", () => {
    const { field: mounted, root } = field(ORDERED, { multiple: true })
    const message = root.querySelector("[data-uploader-message]")
    mounted.say("Something.")
    assert.deepEqual([message.hidden, message.textContent], [false, "Something."])
    mounted.quiet()
    assert.deepEqual([message.hidden, message.textContent], [true, ""])
  })
})
