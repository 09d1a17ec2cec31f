import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { checkFile, isAcceptedType, parseAccept, typeNames } from "../../uploads/static/uploads/uploader/files.js"
import { MB, installCatalogue } from "./support.mjs"

describe("checks before any request", () => {
  const accept = ["image/jpeg", "image/png", "image/webp"]
  const file = (name, size, type) => ({ name, size, type })

  test("the accepted types are read from data-accept, lower-cased, without blanks or repeats", () => {
    assert.deepEqual(parseAccept("image/jpeg,image/png, image/webp"), accept)
    assert.deepEqual(parseAccept(" image/JPEG ,, image/jpeg"), ["image/jpeg"])
    assert.deepEqual(parseAccept(""), [])
    assert.deepEqual(parseAccept(undefined), [])
  })

  test("types are listed by the names people know, and an unknown one as its MIME type", () => {
    assert.equal(
      typeNames(["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"]),
      "JPEG, PNG, WebP, GIF, AVIF",
    )
    assert.equal(typeNames(["image/jpeg", "image/heic"]), "JPEG, image/heic")
  })

  test("a type is accepted when it is in the list, whatever its case; an empty list accepts any", () => {
    assert.equal(isAcceptedType("image/png", accept), true)
    assert.equal(isAcceptedType("IMAGE/PNG", accept), true)
    assert.equal(isAcceptedType("image/gif", accept), false)
    assert.equal(isAcceptedType("", accept), false)
    assert.equal(isAcceptedType("", []), true)
  })

  test("a file within the limit and of an accepted type goes to the server", () => {
    assert.equal(checkFile(file("shoe.jpg", 10 * MB, "image/jpeg"), { maxSize: 10 * MB, accept }), null)
  })

  test("a file over the limit is refused with its size and the limit", () => {
    assert.deepEqual(checkFile(file("huge.jpg", 13_002_342, "image/jpeg"), { maxSize: 10 * MB, accept }), {
      code: "too_large",
      message: "huge.jpg is 12.4 MB; the limit is 10 MB.",
    })
  })

  test("a file just over the limit is counted in bytes, as rounding would show the same size twice", () => {
    assert.deepEqual(checkFile(file("edge.png", 51_201, "image/png"), { maxSize: 51_200 }), {
      code: "too_large",
      message: "edge.png is 51201 bytes; the limit is 51200 bytes.",
    })
  })

  test("a file of a type not accepted is refused with the accepted ones", () => {
    assert.deepEqual(checkFile(file("scan.tiff", 2 * MB, "image/tiff"), { maxSize: 10 * MB, accept }), {
      code: "unsupported_type",
      message: "scan.tiff is not one of the accepted types: JPEG, PNG, WebP.",
    })
  })

  test("a file whose type the browser does not know is refused when types are given", () => {
    assert.equal(checkFile(file("photo.heic", MB, ""), { accept }).code, "unsupported_type")
  })

  test("the size is checked first, like the server does", () => {
    assert.equal(checkFile(file("huge.tiff", 20 * MB, "image/tiff"), { maxSize: 10 * MB, accept }).code, "too_large")
  })

  test("without a limit or a list of types, nothing is refused", () => {
    assert.equal(checkFile(file("any.bin", 20 * MB, "application/octet-stream")), null)
    assert.equal(checkFile(file("any.bin", 20 * MB, "application/octet-stream"), { maxSize: 0, accept: [] }), null)
  })

  test("with the catalogue, the refusals are translated", () => {
    installCatalogue({
      "%(name)s is %(size)s; the limit is %(limit)s.": "%(name)s ist %(size)s groß; erlaubt sind %(limit)s.",
      "%(name)s is not one of the accepted types: %(types)s.": "%(name)s hat keinen der erlaubten Typen: %(types)s.",
    })
    try {
      assert.equal(
        checkFile(file("huge.jpg", 12 * MB, "image/jpeg"), { maxSize: 10 * MB }).message,
        "huge.jpg ist 12 MB groß; erlaubt sind 10 MB.",
      )
      assert.equal(
        checkFile(file("a.gif", 1, "image/gif"), { accept: ["image/jpeg"] }).message,
        "a.gif hat keinen der erlaubten Typen: JPEG.",
      )
    } finally {
      delete globalThis.django
    }
  })
})
