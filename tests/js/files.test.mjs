import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { UploadFailure } from "../../uploads/static/uploads/uploader/failure.js"
import {
  checkFile,
  isAcceptedType,
  isGenericType,
  parseTypes,
  prepareFile,
  sniffType,
  typeNames,
  withSniffedType,
} from "../../uploads/static/uploads/uploader/files.js"
import { image } from "./images.mjs"
import { MB, dataTypes, declaredTypes, installCatalogue } from "./support.mjs"

const EVERY_TYPE = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"]

describe("the types an element declares (data-types)", () => {
  test("are read in the page's order, with their names and extensions", () => {
    const types = parseTypes(dataTypes("image/webp", "image/jpeg"))

    assert.deepEqual(Object.keys(types), ["image/webp", "image/jpeg"])
    assert.deepEqual(types["image/jpeg"], { name: "JPEG", extensions: [".jpg", ".jpeg", ".jpe", ".jfif"] })
    assert.deepEqual(types["image/webp"], { name: "WebP", extensions: [".webp"] })
  })

  test("a type the server has no row for keeps its MIME type as its name and has no extension", () => {
    assert.deepEqual(parseTypes(dataTypes("image/heic")), { "image/heic": { name: "image/heic", extensions: [] } })
  })

  test("none, or a value that is no such object, declares nothing", () => {
    for (const value of [undefined, "", "not json", "[]", "null", '"image/jpeg"']) assert.deepEqual(parseTypes(value), {})
  })
})

describe("checks before any request", () => {
  const types = declaredTypes("image/jpeg", "image/png", "image/webp")
  const accept = Object.keys(types)
  const file = (name, size, type) => ({ name, size, type })

  test("types are listed by the names the element gives them, and an unknown one as its MIME type", () => {
    assert.equal(typeNames(EVERY_TYPE, declaredTypes(...EVERY_TYPE)), "JPEG, PNG, WebP, GIF, AVIF")
    assert.equal(typeNames(["image/jpeg", "image/heic"], types), "JPEG, image/heic")
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
    assert.deepEqual(checkFile(file("scan.tiff", 2 * MB, "image/tiff"), { maxSize: 10 * MB, accept, types }), {
      code: "unsupported_type",
      message: "scan.tiff is not one of the accepted types: JPEG, PNG, WebP.",
    })
  })

  test("a file whose type the browser does not know waits for its first bytes to tell", () => {
    assert.equal(checkFile(file("IMG_0042", MB, ""), { accept }), null)
    assert.equal(checkFile(file("IMG_0042", MB, "application/octet-stream"), { accept }), null)
    assert.equal(checkFile(file("IMG_0042", 20 * MB, ""), { maxSize: 10 * MB, accept }).code, "too_large")
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
        checkFile(file("a.gif", 1, "image/gif"), { accept: ["image/jpeg"], types: declaredTypes("image/jpeg") }).message,
        "a.gif hat keinen der erlaubten Typen: JPEG.",
      )
    } finally {
      delete globalThis.django
    }
  })
})

describe("the type a file's first bytes announce", () => {
  const sniff = (bytes) => sniffType(bytes, EVERY_TYPE)

  test("is read for the five types the server verifies, by the server's rules", () => {
    assert.equal(sniff(image.jpeg), "image/jpeg")
    assert.equal(sniff(image.png), "image/png")
    assert.equal(sniff(image.gif87), "image/gif")
    assert.equal(sniff(image.gif89), "image/gif")
    assert.equal(sniff(image.webp), "image/webp")
    assert.equal(sniff(image.avif), "image/avif")
  })

  test("is only ever one of the types the element declares", () => {
    assert.equal(sniffType(image.png, ["image/jpeg", "image/png"]), "image/png")
    assert.equal(sniffType(image.png, ["image/jpeg"]), null)
    assert.equal(sniffType(image.jpeg, []), null)
    // A declared type whose bytes the page cannot tell is for the server to judge.
    assert.equal(sniffType(image.jpeg, ["image/heic"]), null)
  })

  test("AVIF is told by its ftyp box's brands, the major one or a compatible one", () => {
    assert.equal(sniff(image.ftyp("mif1", ["mif1", "miaf", "avif"])), "image/avif")
    assert.equal(sniff(image.ftyp("avis", ["msf1"])), "image/avif")
    assert.equal(sniff(image.ftyp("heic", ["mif1", "heic"])), null)
    // A brand after the box's end belongs to the next box.
    assert.equal(sniff(image.ftyp("mif1", ["miaf"], "avif")), null)
  })

  test("anything else, and too few bytes, announce nothing", () => {
    assert.equal(sniff(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>")), null)
    assert.equal(sniff(new Uint8Array([0xff, 0xd8])), null)
    assert.equal(sniff(new Uint8Array(0)), null)
  })

  test("only an empty or generic type is no type at all", () => {
    assert.deepEqual(["", " ", "application/octet-stream", undefined].map(isGenericType), [true, true, true, true])
    assert.deepEqual(["image/jpeg", "image/heic", "text/plain"].map(isGenericType), [false, false, false])
  })

  test("a JPEG named IMG_0042 is that JPEG, declared as one, with its name", async () => {
    const picked = new File([image.jpeg], "IMG_0042", { type: "", lastModified: 7 })

    const known = await withSniffedType(picked, ["image/png", "image/jpeg"])

    assert.deepEqual([known.name, known.type, known.size, known.lastModified], ["IMG_0042", "image/jpeg", picked.size, 7])
    assert.deepEqual(new Uint8Array(await known.arrayBuffer()), image.jpeg)
  })

  test("a file with a type, whose bytes are no image, or an image the element does not take, is left as it is", async () => {
    const typed = new File([image.png], "IMG_0042.jpg", { type: "image/jpeg" })
    const text = new File(["just text"], "notes", { type: "" })
    const gif = new File([image.gif89], "IMG_0043", { type: "" })
    assert.equal(await withSniffedType(typed, EVERY_TYPE), typed)
    assert.equal(await withSniffedType(text, EVERY_TYPE), text)
    assert.equal(await withSniffedType(gif, ["image/jpeg", "image/png"]), gif)
  })
})

describe("the file that is sent", () => {
  const file = (name, size, type) => ({ name, size, type })
  const types = declaredTypes("image/jpeg", "image/png", "image/webp")
  const limits = { maxSize: 2 * MB, accept: Object.keys(types), types }
  const photo = new File([new Uint8Array(7 * MB)], "IMG_1234.HEIC", { type: "image/heic" })
  const resize = { maxWidth: 1024, maxHeight: 1024, type: "image/jpeg", quality: 0.85 }

  test("is the picked file itself when it needs nothing", async () => {
    const picked = new File([image.jpeg], "shoe.jpg", { type: "image/jpeg" })
    assert.equal(await prepareFile(picked, limits), picked)
  })

  test("is declared with the type its bytes announce when it had none", async () => {
    const sent = await prepareFile(new File([image.jpeg], "IMG_0042"), limits)
    assert.deepEqual([sent.name, sent.type], ["IMG_0042", "image/jpeg"])
  })

  test("is refused as of no accepted type when its bytes are no image it accepts", async () => {
    await assert.rejects(prepareFile(new File(["just text"], "notes"), limits), {
      name: "UploadFailure",
      code: "unsupported_type",
      retryable: false,
      message: "notes is not one of the accepted types: JPEG, PNG, WebP.",
    })
    await assert.rejects(prepareFile(new File([image.gif89], "IMG_0043"), limits), { code: "unsupported_type" })
  })

  test("is the resized file where the profile resizes, and the original is not looked at again", async () => {
    const resized = new File([new Uint8Array(300_000)], "IMG_1234.jpg", { type: "image/jpeg" })
    const calls = []
    const shrink = async (...args) => (calls.push(args), resized)

    assert.equal(await prepareFile(photo, { ...limits, resize }, { shrink }), resized)
    assert.deepEqual(calls, [[photo, resize, limits]])
  })

  test("is resized from the type its bytes announce", async () => {
    const calls = []
    const shrink = async (file) => (calls.push(file.type), null)
    await prepareFile(new File([image.png], "IMG_0042"), { ...limits, resize }, { shrink })
    assert.deepEqual(calls, ["image/png"])
  })

  test("still too large once resized, it is refused with its own size and name", async () => {
    const heavy = new File([new Uint8Array(2.5 * MB)], "IMG_1234.jpg", { type: "image/jpeg" })
    const failure = await prepareFile(photo, { ...limits, resize }, { shrink: async () => heavy }).catch((error) => error)
    assert.ok(failure instanceof UploadFailure)
    assert.deepEqual([failure.code, failure.message], ["too_large", "IMG_1234.jpg is 2.5 MB; the limit is 2 MB."])
  })

  test("as picked where the browser could not resize it, and refused if that cannot pass", async () => {
    const small = new File([image.jpeg], "me.jpg", { type: "image/jpeg" })
    assert.equal(await prepareFile(small, { ...limits, resize }, { shrink: async () => null }), small)
    await assert.rejects(prepareFile(photo, { ...limits, resize }, { shrink: async () => null }), {
      code: "too_large",
      message: "IMG_1234.HEIC is 7 MB; the limit is 2 MB.",
    })
  })

  test("with a resize target, an image too large or of another type is let through to be resized", () => {
    assert.equal(checkFile(photo, { ...limits, resize }), null)
    assert.equal(checkFile(file("logo.gif", MB, "image/gif"), { ...limits, resize }), null)
    assert.equal(checkFile(file("IMG_0042", 9 * MB, ""), { ...limits, resize }), null)
    assert.equal(checkFile(file("manual.pdf", MB, "application/pdf"), { ...limits, resize }).code, "unsupported_type")
    assert.equal(checkFile(file("film.mp4", 9 * MB, "video/mp4"), { ...limits, resize }).code, "too_large")
  })
})
