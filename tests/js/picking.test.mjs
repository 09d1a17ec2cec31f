import assert from "node:assert/strict"
import { afterEach, beforeEach, describe, test } from "node:test"

import {
  clipboardFiles,
  namePasted,
  pastedName,
  watchPaste,
  wireChooser,
} from "../../uploads/static/uploads/uploader/picking.js"
import { installDom } from "./fake-dom.mjs"
import { declaredTypes } from "./support.mjs"

const png = (name = "image.png") => new File(["png bytes"], name, { type: "image/png" })
const types = declaredTypes("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif")

describe("pastedName", () => {
  test("an image copied as a picture is named by its number and its type's extension on the page", () => {
    assert.equal(pastedName({ name: "image.png", type: "image/png" }, 1, types), "pasted-image-1.png")
    assert.equal(pastedName({ name: "image.jpeg", type: "image/jpeg" }, 2, types), "pasted-image-2.jpg")
    assert.equal(pastedName({ name: "Pasted Graphic 3.tiff", type: "image/webp" }, 3, types), "pasted-image-3.webp")
    assert.equal(pastedName({ name: "", type: "image/gif" }, 4, types), "pasted-image-4.gif")
  })

  test("a file copied in a file manager keeps its own name", () => {
    assert.equal(pastedName({ name: "red-shoe.jpg", type: "image/jpeg" }, 1, types), "red-shoe.jpg")
  })

  test("an image of a type the element does not take is numbered without an extension", () => {
    assert.equal(pastedName({ name: "image.bmp", type: "image/bmp" }, 1, types), "pasted-image-1")
    assert.equal(pastedName({ name: "image.png", type: "image/png" }, 2, declaredTypes("image/jpeg")), "pasted-image-2")
  })

  test("anything but an image keeps its name", () => {
    assert.equal(pastedName({ name: "image", type: "" }, 1, types), "image")
    assert.equal(pastedName({ name: "image.txt", type: "text/plain" }, 1, types), "image.txt")
  })
})

describe("clipboardFiles", () => {
  test("are the clipboard's files", () => {
    const file = png()
    assert.deepEqual(clipboardFiles({ files: [file], items: [] }), [file])
  })

  test("else its items of kind file", () => {
    const file = png()
    const items = [
      { kind: "string", getAsFile: () => null },
      { kind: "file", getAsFile: () => file },
    ]
    assert.deepEqual(clipboardFiles({ files: [], items }), [file])
  })

  test("none from a clipboard of text, or no clipboard at all", () => {
    assert.deepEqual(clipboardFiles({ files: [], items: [{ kind: "string", getAsFile: () => null }] }), [])
    assert.deepEqual(clipboardFiles(null), [])
  })
})

describe("namePasted", () => {
  test("numbers the unnamed ones on from the page's last paste, and keeps the rest as they are", () => {
    const named = png("shoe.png")
    const [first, kept, second] = namePasted([png(), named, png()], types)
    const [third] = namePasted([png()], types)

    const number = (file) => Number(/^pasted-image-(\d+)\.png$/.exec(file.name)[1])
    assert.equal(kept, named)
    assert.deepEqual([number(second) - number(first), number(third) - number(second)], [1, 1])
    assert.equal(first.type, "image/png")
    assert.equal(first.size, png().size)
  })
})

class ClipboardEvent extends Event {
  constructor(files) {
    super("paste", { bubbles: true, cancelable: true })
    this.clipboardData = { files, items: [] }
  }
}

describe("pasting", () => {
  let dom
  let listening
  beforeEach(() => {
    dom = installDom()
    listening = new AbortController()
  })
  afterEach(() => {
    listening.abort()
    dom.uninstall()
  })

  function uploader(html = '<div data-uploader data-uploader-mounted><input type="file"><ul></ul></div>') {
    const root = dom.html(html)
    dom.document.body.append(root)
    const added = []
    watchPaste({
      root,
      on: (target, type, handler) => target.addEventListener(type, handler, { signal: listening.signal }),
      addFiles: (files) => added.push(...files.map((file) => file.name)),
      types,
    })
    return { root, added }
  }

  test("into the uploader adds the pasted images, named, and nothing else happens", () => {
    const { root, added } = uploader()
    const paste = new ClipboardEvent([png()])

    root.querySelector("input").dispatchEvent(paste)

    assert.match(added[0], /^pasted-image-\d+\.png$/)
    assert.equal(paste.defaultPrevented, true)
  })

  test("anywhere in a page with one uploader adds them too", () => {
    const { added } = uploader()
    dom.document.body.dispatchEvent(new ClipboardEvent([png("shoe.png")]))
    assert.deepEqual(added, ["shoe.png"])
  })

  test("into a text box elsewhere is the text box's", () => {
    const { added } = uploader()
    const box = dom.html('<input type="text">')
    dom.document.body.append(box)
    const paste = new ClipboardEvent([png()])

    box.dispatchEvent(paste)

    assert.deepEqual(added, [])
    assert.equal(paste.defaultPrevented, false)
  })

  test("outside any of two uploaders adds nothing: which one would it be for?", () => {
    const first = uploader()
    const second = uploader()
    dom.document.body.dispatchEvent(new ClipboardEvent([png()]))
    assert.deepEqual([first.added, second.added], [[], []])

    second.root.querySelector("input").dispatchEvent(new ClipboardEvent([png("shoe.png")]))
    assert.deepEqual([first.added, second.added], [[], ["shoe.png"]])
  })

  test("text alone is left to the page", () => {
    const { added } = uploader()
    const paste = new ClipboardEvent([])
    dom.document.body.dispatchEvent(paste)
    assert.deepEqual([added, paste.defaultPrevented], [[], false])
  })
})

describe("the widget's Choose control", () => {
  let dom
  let listening
  beforeEach(() => {
    dom = installDom()
    listening = new AbortController()
  })
  afterEach(() => {
    listening.abort()
    dom.uninstall()
  })

  function widget(html) {
    const root = dom.html(html)
    dom.document.body.append(root)
    const input = root.querySelector("input")
    let opened = 0
    input.click = () => (opened += 1)
    wireChooser({
      root,
      input,
      on: (target, type, handler) => target.addEventListener(type, handler, { signal: listening.signal }),
    })
    return { root, input, opened: () => opened }
  }

  const WIDGET =
    '<div data-uploader><input id="id_images" type="file" aria-describedby="id_images_hint">' +
    '<span id="id_images_choose" data-uploader-choose aria-hidden="true">Choose images</span></div>'

  test("opens the file picker", () => {
    const { root, opened } = widget(WIDGET)
    root.querySelector("[data-uploader-choose]").dispatchEvent(new Event("click", { bubbles: true }))
    assert.equal(opened(), 1)
  })

  test("describes the input the form's label names", () => {
    const { input } = widget(WIDGET.replace('type="file"', 'type="file" aria-labelledby="id_images_label"'))
    assert.equal(input.getAttribute("aria-describedby"), "id_images_choose id_images_hint")
  })

  test("names an input the form left without a label", () => {
    const { input } = widget(WIDGET)
    assert.equal(input.getAttribute("aria-labelledby"), "id_images_choose")
    assert.equal(input.getAttribute("aria-describedby"), "id_images_hint")
  })

  test("a <label> for the input (the template tag's) is left to the browser", () => {
    const { root, input, opened } = widget(
      '<div data-uploader><input id="i" type="file"><label for="i" data-uploader-choose>Choose images</label></div>',
    )
    root.querySelector("label").dispatchEvent(new Event("click", { bubbles: true }))
    assert.deepEqual([opened(), input.hasAttribute("aria-labelledby")], [0, false])
  })
})
