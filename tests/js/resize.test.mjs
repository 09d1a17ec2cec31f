import assert from "node:assert/strict"
import { resolveObjectURL } from "node:buffer"
import { describe, test } from "node:test"

import {
  canResize,
  clientResize,
  fitInside,
  lowerQuality,
  parseTarget,
  planResize,
  resizeImage,
  resizedName,
} from "../../uploads/static/uploads/uploader/resize.js"
import { MB, declaredTypes } from "./support.mjs"

const AVATAR = { maxWidth: 1024, maxHeight: 1024, type: "image/jpeg", quality: 0.85 }
const TYPES = declaredTypes("image/jpeg", "image/png", "image/webp")
const LIMITS = { maxSize: 2 * MB, accept: Object.keys(TYPES), types: TYPES }

describe("the target size", () => {
  test("a photo is fitted inside the box, keeping its shape", () => {
    assert.deepEqual(fitInside(4000, 3000, 1024, 1024), { width: 1024, height: 768 })
    assert.deepEqual(fitInside(3000, 4000, 1024, 1024), { width: 768, height: 1024 })
    assert.deepEqual(fitInside(4000, 3000, 2560, 2560), { width: 2560, height: 1920 })
    assert.deepEqual(fitInside(4000, 3000, 1000, 500), { width: 667, height: 500 })
  })

  test("a small image is never enlarged", () => {
    assert.deepEqual(fitInside(500, 400, 1024, 1024), { width: 500, height: 400 })
    assert.deepEqual(fitInside(1024, 1024, 1024, 1024), { width: 1024, height: 1024 })
  })

  test("rounding never leaves the box, and a thin strip keeps a pixel", () => {
    assert.deepEqual(fitInside(1001, 333, 100, 100), { width: 100, height: 33 })
    assert.deepEqual(fitInside(1999, 1000, 1000, 1000), { width: 1000, height: 500 })
    assert.deepEqual(fitInside(10_000, 1, 1024, 1024), { width: 1024, height: 1 })
  })
})

describe("when resizing applies", () => {
  const photo = (over) => ({ width: 4000, height: 3000, size: 7.2 * MB, type: "image/jpeg", ...over })

  test("a phone photo larger than the box and the limit becomes the target", () => {
    assert.deepEqual(planResize(photo(), AVATAR, LIMITS), {
      width: 1024,
      height: 768,
      type: "image/jpeg",
      quality: 0.85,
    })
  })

  test("an image larger than the box is resized though its file is small", () => {
    assert.deepEqual(planResize(photo({ size: 400_000 }), AVATAR, LIMITS)?.width, 1024)
  })

  test("an image within the box but over the limit is re-encoded at its own size", () => {
    const plan = planResize(photo({ width: 1000, height: 1000, size: 3 * MB, type: "image/png" }), AVATAR, LIMITS)
    assert.deepEqual(plan, { width: 1000, height: 1000, type: "image/jpeg", quality: 0.85 })
  })

  test("an image of a type not accepted becomes the target's type", () => {
    const plan = planResize(photo({ width: 800, height: 600, size: 90_000, type: "image/gif" }), AVATAR, LIMITS)
    assert.deepEqual(plan, { width: 800, height: 600, type: "image/jpeg", quality: 0.85 })
  })

  test("a small JPEG within the box, the limit and the types goes as picked", () => {
    assert.equal(planResize(photo({ width: 800, height: 600, size: 200_000 }), AVATAR, LIMITS), null)
    assert.equal(planResize(photo({ width: 1024, height: 1024, size: 2 * MB }), AVATAR, LIMITS), null)
  })

  test("without limits only the box counts", () => {
    assert.equal(planResize(photo({ width: 800, height: 600, type: "image/tiff" }), AVATAR), null)
    assert.equal(planResize(photo(), AVATAR).width, 1024)
  })

  test("the second try is at about 70 % of the first quality", () => {
    assert.equal(lowerQuality(0.85), 0.6)
    assert.equal(lowerQuality(0.9), 0.63)
  })
})

describe("the resized file's name", () => {
  test("takes the new type's extension, as the page declares it, in place of a picture's", () => {
    assert.equal(resizedName("IMG_0042.HEIC", "image/jpeg", TYPES), "IMG_0042.jpg")
    assert.equal(resizedName("scan.png", "image/jpeg", TYPES), "scan.jpg")
    assert.equal(resizedName("logo.gif", "image/webp", TYPES), "logo.webp")
    assert.equal(resizedName("photo.final.jpg", "image/png", TYPES), "photo.final.png")
    // A picture's ending the page does not declare is still a picture's.
    assert.equal(resizedName("scan.png", "image/jpeg", declaredTypes("image/jpeg")), "scan.jpg")
  })

  test("keeps an extension that already fits, whatever its spelling", () => {
    assert.equal(resizedName("shoe.jpeg", "image/jpeg", TYPES), "shoe.jpeg")
    assert.equal(resizedName("SHOE.JPG", "image/jpeg", TYPES), "SHOE.JPG")
    assert.equal(resizedName("shoe.jfif", "image/jpeg", TYPES), "shoe.jfif")
    assert.equal(resizedName("shoe.webp", "image/webp", TYPES), "shoe.webp")
  })

  test("gets one where it had none, or an ending that is no picture's", () => {
    assert.equal(resizedName("IMG_0042", "image/jpeg", TYPES), "IMG_0042.jpg")
    assert.equal(resizedName("Screenshot 2024-05-01 at 10.45.33", "image/png", TYPES), "Screenshot 2024-05-01 at 10.45.33.png")
  })

  test("is left as it is for a type the page does not declare", () => {
    assert.equal(resizedName("IMG_0042.HEIC", "image/webp", declaredTypes("image/jpeg")), "IMG_0042.HEIC")
  })
})

describe("the target from data-client-resize", () => {
  const BROWSER = { Worker: class {}, createImageBitmap() {}, OffscreenCanvas: class { convertToBlob() {} } }

  test("is read from the server's JSON, quality from 1-100 to 0-1", () => {
    assert.deepEqual(parseTarget('{"max_height":1024,"max_width":1024,"quality":85,"type":"image/jpeg"}'), AVATAR)
    assert.deepEqual(parseTarget('{"max_width":2560,"max_height":2000,"type":"image/webp","quality":90}'), {
      maxWidth: 2560,
      maxHeight: 2000,
      type: "image/webp",
      quality: 0.9,
    })
  })

  test("fills in JPEG at 85 where the type and quality are left out", () => {
    assert.deepEqual(parseTarget('{"max_width":1024,"max_height":1024}'), AVATAR)
  })

  test("is none without the attribute, or with one that makes no sense", () => {
    for (const value of [undefined, "", "null", "{", "[]", '{"max_width":0,"max_height":10}', '{"max_width":"9"}']) {
      assert.equal(parseTarget(value), null, value)
    }
  })

  test("is none where the browser cannot resize off the main thread", () => {
    const value = '{"max_width":1024,"max_height":1024}'
    assert.equal(canResize(BROWSER), true)
    assert.deepEqual(clientResize(value, BROWSER), AVATAR)
    for (const missing of ["Worker", "createImageBitmap", "OffscreenCanvas"]) {
      const scope = { ...BROWSER, [missing]: undefined }
      assert.equal(canResize(scope), false, missing)
      assert.equal(clientResize(value, scope), null, missing)
    }
    assert.equal(clientResize(value, { ...BROWSER, OffscreenCanvas: class {} }), null)
    assert.equal(clientResize(value), null) // node has none of them
  })
})

/**
 * Runs the real worker's source on this thread, with stand-ins for what the browser gives a
 * worker: createImageBitmap decodes `images[file.name]` (its oriented size), and each canvas
 * encodes to `encodedSize(quality)` bytes of the type asked for (or PNG where `makes` says so).
 */
function browserWorker({ images, encodedSize = () => 100_000, makes = (type) => type }) {
  const seen = { bitmaps: [], canvases: [], encodings: [], closed: 0 }
  class FakeCanvas {
    constructor(width, height) {
      this.width = width
      this.height = height
      this.calls = []
      seen.canvases.push(this)
    }

    getContext() {
      const calls = this.calls
      return new Proxy(
        {},
        {
          get: (_, name) => (...args) => calls.push([name, ...args]),
          set: (_, name, value) => (calls.push([name, value]), true),
        },
      )
    }

    async convertToBlob({ type, quality }) {
      seen.encodings.push({ type, quality })
      return new Blob([new Uint8Array(encodedSize(quality))], { type: makes(type) })
    }
  }
  async function createImageBitmap(file, options) {
    seen.bitmaps.push(options)
    if (!(file.name in images)) throw new DOMException("The source image could not be decoded.", "InvalidStateError")
    return { ...images[file.name], close: () => (seen.closed += 1) }
  }
  class BrowserWorker {
    constructor(url) {
      this.source = resolveObjectURL(url).text()
    }

    async postMessage(message) {
      const self = { postMessage: (data) => this.onmessage({ data }) }
      const run = new Function("self", "createImageBitmap", "OffscreenCanvas", await this.source)
      run(self, createImageBitmap, FakeCanvas)
      await self.onmessage({ data: message })
    }

    terminate() {}
  }
  return { BrowserWorker, seen }
}

describe("resizing in the worker", () => {
  const phone = new File([new Uint8Array(7_200_000)], "IMG_0042.jpeg", { type: "image/jpeg", lastModified: 42 })

  test("decodes upright, draws the photo inside the box on white, and makes a JPEG without the original's bytes", async () => {
    const { BrowserWorker, seen } = browserWorker({ images: { "IMG_0042.jpeg": { width: 3000, height: 4000 } } })

    const resized = await resizeImage(phone, AVATAR, LIMITS, { Worker: BrowserWorker })

    assert.deepEqual([resized.name, resized.type, resized.size, resized.lastModified], ["IMG_0042.jpeg", "image/jpeg", 100_000, 42])
    assert.deepEqual(seen.bitmaps, [{ imageOrientation: "from-image" }])
    const [canvas] = seen.canvases
    assert.deepEqual([canvas.width, canvas.height], [768, 1024])
    const drawn = canvas.calls[3][1]
    assert.deepEqual(canvas.calls, [
      ["fillStyle", "#fff"],
      ["fillRect", 0, 0, 768, 1024],
      ["imageSmoothingQuality", "high"],
      ["drawImage", drawn, 0, 0, 768, 1024],
    ])
    assert.deepEqual([drawn.width, drawn.height], [3000, 4000])
    assert.deepEqual(seen.encodings, [{ type: "image/jpeg", quality: 0.85 }])
    assert.equal(seen.closed, 1)
  })

  test("tries once more at a lower quality when the first is still over the limit, then stops", async () => {
    const { BrowserWorker, seen } = browserWorker({
      images: { "IMG_0042.jpeg": { width: 4000, height: 3000 } },
      encodedSize: (quality) => (quality > 0.7 ? 3 * MB : 2.5 * MB),
    })

    const resized = await resizeImage(phone, AVATAR, LIMITS, { Worker: BrowserWorker })

    assert.deepEqual(seen.encodings, [
      { type: "image/jpeg", quality: 0.85 },
      { type: "image/jpeg", quality: 0.6 },
    ])
    assert.equal(resized.size, 2.5 * MB) // still too large: prepareFile refuses it with the usual sentence
  })

  test("a PNG target is not tried again: its quality changes nothing", async () => {
    const { BrowserWorker, seen } = browserWorker({
      images: { "IMG_0042.jpeg": { width: 4000, height: 3000 } },
      encodedSize: () => 3 * MB,
    })

    await resizeImage(phone, { ...AVATAR, type: "image/png" }, LIMITS, { Worker: BrowserWorker })

    assert.equal(seen.encodings.length, 1)
    assert.deepEqual(seen.canvases[0].calls.map(([name]) => name), ["imageSmoothingQuality", "drawImage"])
  })

  test("an image that needs nothing is sent as picked", async () => {
    const small = new File([new Uint8Array(200_000)], "me.jpg", { type: "image/jpeg" })
    const { BrowserWorker, seen } = browserWorker({ images: { "me.jpg": { width: 800, height: 600 } } })

    assert.equal(await resizeImage(small, AVATAR, LIMITS, { Worker: BrowserWorker }), null)
    assert.deepEqual([seen.canvases.length, seen.closed], [0, 1])
  })

  test("a file the browser cannot decode, or a type its canvas cannot make, is left as picked", async (t) => {
    t.mock.method(console, "warn", () => {})
    const heic = new File([new Uint8Array(10)], "IMG_0001.HEIC", { type: "image/heic" })
    const undecodable = browserWorker({ images: {} })
    assert.equal(await resizeImage(heic, AVATAR, LIMITS, { Worker: undecodable.BrowserWorker }), null)

    // Safari's canvas makes a PNG when asked for WebP.
    const png = browserWorker({ images: { "IMG_0042.jpeg": { width: 4000, height: 3000 } }, makes: () => "image/png" })
    const webp = { ...AVATAR, type: "image/webp" }
    assert.equal(await resizeImage(phone, webp, LIMITS, { Worker: png.BrowserWorker }), null)
  })

  test("a worker that fails is no reason to fail the upload: the file is left as picked", async (t) => {
    const warnings = []
    t.mock.method(console, "warn", (...args) => warnings.push(args.slice(0, 2)))
    class Broken {
      postMessage() {
        this.onerror({ message: "" })
      }

      terminate() {}
    }

    assert.equal(await resizeImage(phone, AVATAR, LIMITS, { Worker: Broken }), null)
    assert.deepEqual(warnings, [["uploads: could not resize", "IMG_0042.jpeg"]])
  })
})
