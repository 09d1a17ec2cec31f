import assert from "node:assert/strict"
import { afterEach, describe, test } from "node:test"

import { countBytes, formatSize, gettext, interpolate, ngettext } from "../../uploads/static/uploads/uploader/i18n.js"
import { MB, installCatalogue, serveOwnCatalogue } from "./support.mjs"

const WAIT = [
  "Wait for %(count)s image to finish uploading, then save.",
  "Wait for %(count)s images to finish uploading, then save.",
]

describe("formatSize", () => {
  test("uses 1 MB = 1,048,576 bytes with one decimal", () => {
    assert.equal(formatSize(13_002_342), "12.4 MB")
    assert.equal(formatSize(1.2 * MB), "1.2 MB")
  })

  test("drops a trailing .0", () => {
    assert.equal(formatSize(10 * MB), "10 MB")
    assert.equal(formatSize(532 * 1024), "532 KB")
    assert.equal(formatSize(2 ** 30), "1 GB")
  })

  test("counts small files in bytes", () => {
    assert.equal(formatSize(17), "17 bytes")
    assert.equal(formatSize(1), "1 byte")
    assert.equal(formatSize(0), "0 bytes")
    assert.equal(formatSize(1023), "1023 bytes")
  })

  test("rounds an exact half to even, like the server", () => {
    assert.equal(formatSize(1.25 * MB), "1.2 MB")
    assert.equal(formatSize(1.75 * MB), "1.8 MB")
  })
})

describe("countBytes", () => {
  test("counts to the byte whatever the size", () => {
    assert.equal(countBytes(51_201), "51201 bytes")
    assert.equal(countBytes(1), "1 byte")
  })
})

describe("translation", () => {
  afterEach(() => {
    delete globalThis.django
  })

  test("without Django's catalogue, texts stay English", () => {
    assert.equal(gettext("Move up"), "Move up")
    assert.equal(ngettext("%(count)s byte", "%(count)s bytes", 1), "%(count)s byte")
    assert.equal(ngettext("%(count)s byte", "%(count)s bytes", 0), "%(count)s bytes")
    assert.equal(interpolate("%(name)s is %(size)s", { name: "a.jpg", size: "1 MB" }), "a.jpg is 1 MB")
  })

  test("without the catalogue, a placeholder with no value is left for someone to notice", () => {
    assert.equal(interpolate("%(name)s, %(missing)s", { name: "a.jpg" }), "a.jpg, %(missing)s")
  })

  test("a django object without the catalogue's functions is ignored", () => {
    globalThis.django = {}
    assert.equal(interpolate(ngettext(...WAIT, 2), { count: 2 }), "Wait for 2 images to finish uploading, then save.")
  })

  test("with the catalogue, placeholders are filled by Django's interpolate, by name", () => {
    const calls = installCatalogue({ "%(size)s MB": "%(size)s Mo" })
    assert.equal(formatSize(1.2 * MB), "1.2 Mo")
    assert.deepEqual(calls, [{ format: "%(size)s Mo", values: { size: "1.2" }, named: true }])
  })

  test("with the catalogue, plurals follow the count", () => {
    installCatalogue({ "%(count)s byte": ["%(count)s octet", "%(count)s octets"] })
    assert.equal(formatSize(17), "17 octets")
    assert.equal(formatSize(1), "1 octet")
  })

  test("a msgid the catalogue lacks stays English", () => {
    installCatalogue({})
    assert.equal(gettext("The storage is busy. Try again in a moment."), "The storage is busy. Try again in a moment.")
  })
})

describe("translation from the uploader's own catalogue script", () => {
  afterEach(() => {
    delete globalThis.document
    delete globalThis.django
  })

  test("texts come from the script's catalogue, not from window.django", () => {
    serveOwnCatalogue({ "Move up": "Nach oben", "%(count)s byte": ["%(count)s Byte", "%(count)s Bytes"] })
    // What the admin's jquery.init.js leaves behind: a django object without the catalogue's functions.
    globalThis.django = { jQuery: {} }
    assert.equal(gettext("Move up"), "Nach oben")
    assert.equal(formatSize(1), "1 Byte")
    assert.equal(formatSize(17), "17 Bytes")
  })

  test("the script's catalogue wins over another catalogue in window.django", () => {
    serveOwnCatalogue({ Remove: "Entfernen" })
    installCatalogue({ Remove: "Löschen" })
    assert.equal(gettext("Remove"), "Entfernen")
  })

  test("plurals follow the catalogue's own rule", () => {
    serveOwnCatalogue({
      [WAIT[0]]: [
        "Warten Sie, bis %(count)s Bild fertig hochgeladen ist, und speichern Sie dann.",
        "Warten Sie, bis %(count)s Bilder fertig hochgeladen sind, und speichern Sie dann.",
      ],
    })
    assert.equal(ngettext(...WAIT, 1), "Warten Sie, bis %(count)s Bild fertig hochgeladen ist, und speichern Sie dann.")
    assert.equal(
      ngettext(...WAIT, 0),
      "Warten Sie, bis %(count)s Bilder fertig hochgeladen sind, und speichern Sie dann.",
    )
  })

  test("sizes take the language's decimal separator", () => {
    serveOwnCatalogue({}, { decimalSeparator: "," })
    assert.equal(formatSize(13_002_342), "12,4 MB")
    assert.equal(formatSize(10 * MB), "10 MB")
  })

  test("a msgid the catalogue lacks stays English", () => {
    serveOwnCatalogue({})
    assert.equal(gettext("Move down"), "Move down")
    assert.equal(ngettext("%(count)s byte", "%(count)s bytes", 2), "%(count)s bytes")
  })
})
