import assert from "node:assert/strict"
import { afterEach, beforeEach, describe, test } from "node:test"

import { enableReorder, passed } from "../../uploads/static/uploads/uploader/reorder.js"
import { installDom } from "./fake-dom.mjs"

describe("passed", () => {
  const rect = { top: 100, height: 50 }

  test("a row is passed going down once the pointer is below its middle", () => {
    assert.equal(passed(124, rect, true), false)
    assert.equal(passed(126, rect, true), true)
  })

  test("and going up once the pointer is above its middle", () => {
    assert.equal(passed(126, rect, false), false)
    assert.equal(passed(124, rect, false), true)
  })
})

describe("dragging a row by its handle", () => {
  let dom
  let listening
  let list
  let rows
  let told

  const HEIGHT = 50

  beforeEach(() => {
    dom = installDom()
    listening = new AbortController()
    list = dom.html("<ul></ul>")
    dom.document.body.append(list)
    rows = new Map()
    told = []
    for (const name of ["a", "b", "c", "d"]) {
      const li = dom.html(`<li><span class="uploader__handle"></span><span>${name}</span></li>`)
      // Laid out one under the other, 50 px each, wherever the list puts them now.
      li.getBoundingClientRect = () => ({ top: list.children.indexOf(li) * HEIGHT, height: HEIGHT })
      list.append(li)
      rows.set(li, { name, li })
    }
    enableReorder({
      list,
      rows,
      on: (target, type, handler) => target.addEventListener(type, handler, { signal: listening.signal }),
      started: (row) => told.push(["started", row.name]),
      ended: (row) => told.push(["ended", row.name]),
    })
  })
  afterEach(() => {
    listening.abort()
    dom.uninstall()
  })

  const order = () => list.children.map((li) => rows.get(li)?.name)
  const handleOf = (name) => list.children.find((li) => rows.get(li).name === name).querySelector(".uploader__handle")

  function pointer(target, type, { y = 0, id = 1, pointerType = "touch", button = 0 } = {}) {
    const event = new Event(type, { bubbles: true, cancelable: true })
    Object.assign(event, { clientY: y, pointerId: id, pointerType, button })
    target.dispatchEvent(event)
    return event
  }

  test("with a finger: the row follows it, and the list is in the new order when it lifts", () => {
    const handle = handleOf("a")
    const down = pointer(handle, "pointerdown", { y: 25 })
    assert.equal(down.defaultPrevented, true, "no scrolling, no text selection")
    assert.equal(handle.closest("li").classList.contains("is-dragging"), true)

    pointer(handle, "pointermove", { y: 90 })
    assert.deepEqual(order(), ["b", "a", "c", "d"])
    pointer(handle, "pointermove", { y: 180 })
    assert.deepEqual(order(), ["b", "c", "d", "a"])
    pointer(handle, "pointermove", { y: 60 })
    assert.deepEqual(order(), ["b", "a", "c", "d"])
    pointer(handle, "pointerup", { y: 60 })

    assert.deepEqual(order(), ["b", "a", "c", "d"])
    assert.equal(handle.closest("li").classList.contains("is-dragging"), false)
    assert.deepEqual(told, [
      ["started", "a"],
      ["ended", "a"],
    ])
  })

  test("with a mouse, by the main button only", () => {
    pointer(handleOf("d"), "pointerdown", { y: 175, pointerType: "mouse", button: 2 })
    assert.deepEqual(told, [])
    pointer(handleOf("d"), "pointerdown", { y: 175, pointerType: "mouse" })
    pointer(handleOf("d"), "pointermove", { y: 10, pointerType: "mouse" })
    pointer(handleOf("d"), "pointerup", { y: 10, pointerType: "mouse" })
    assert.deepEqual(order(), ["d", "a", "b", "c"])
  })

  test("only by the handle: the rest of the row scrolls the page", () => {
    const li = handleOf("a").closest("li")
    const down = pointer(li.children[1], "pointerdown", { y: 25 })
    pointer(li, "pointermove", { y: 180 })
    assert.equal(down.defaultPrevented, false)
    assert.deepEqual(order(), ["a", "b", "c", "d"])
  })

  test("a second finger moves nothing", () => {
    pointer(handleOf("a"), "pointerdown", { y: 25, id: 1 })
    pointer(handleOf("a"), "pointermove", { y: 180, id: 2 })
    assert.deepEqual(order(), ["a", "b", "c", "d"])
  })

  test("a cancelled touch or Escape puts the row back where it was", () => {
    pointer(handleOf("b"), "pointerdown", { y: 75 })
    pointer(handleOf("b"), "pointermove", { y: 180 })
    assert.deepEqual(order(), ["a", "c", "d", "b"])
    pointer(handleOf("b"), "pointercancel")
    assert.deepEqual(order(), ["a", "b", "c", "d"])

    pointer(handleOf("c"), "pointerdown", { y: 125 })
    pointer(handleOf("c"), "pointermove", { y: 10 })
    dom.document.dispatchEvent(Object.assign(new Event("keydown"), { key: "Escape" }))
    assert.deepEqual(order(), ["a", "b", "c", "d"])
    assert.deepEqual(told.at(-1), ["ended", "c"])
  })

  test("items that are not the list's rows (an interrupted upload's) are no place to drop", () => {
    const stranger = dom.html("<li>not a row</li>")
    stranger.getBoundingClientRect = () => ({ top: list.children.indexOf(stranger) * HEIGHT, height: HEIGHT })
    list.children[0].after(stranger) // a, stranger, b, c, d
    pointer(handleOf("a"), "pointerdown", { y: 25 })
    pointer(handleOf("a"), "pointermove", { y: 140 })
    pointer(handleOf("a"), "pointerup", { y: 140 })
    assert.deepEqual(order().filter(Boolean), ["b", "a", "c", "d"])
  })
})
