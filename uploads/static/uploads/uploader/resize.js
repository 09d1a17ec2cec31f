// A profile's CLIENT_RESIZE (data-client-resize): a photo too large for the profile is re-encoded in
// the browser into one it accepts, before it is hashed and declared, so the size, type and SHA-256
// the policy pins are those of the bytes sent. The server checks them like any other upload.
//
// When it applies: the image (after its EXIF orientation) is larger than the target box, or the
// file is over data-max-size, or its type is not in data-types. Then it is fitted inside the box
// (never enlarged) and encoded as the target type, which drops its metadata (EXIF, GPS); when that
// is still over the limit, once more at a lower quality. Otherwise the file goes as picked: a small
// JPEG is not re-encoded. Where the browser cannot resize (no OffscreenCanvas or createImageBitmap,
// a format it cannot decode), the file goes as picked too, if the page's own checks let it.

import { runInWorker } from "./worker.js"

/** Whether this browser can decode and re-encode images off the main thread. */
export function canResize(scope = globalThis) {
  return (
    typeof scope.Worker === "function" &&
    typeof scope.createImageBitmap === "function" &&
    typeof scope.OffscreenCanvas?.prototype?.convertToBlob === "function"
  )
}

/**
 * A data-client-resize value (the server's JSON: max_width, max_height, type, quality 1-100) as
 * `{ maxWidth, maxHeight, type, quality }` with quality from 0 to 1, as canvases take it; null when
 * there is none or it makes no sense.
 */
export function parseTarget(value) {
  let spec
  try {
    spec = JSON.parse(value || "null")
  } catch {
    return null
  }
  const { max_width: maxWidth, max_height: maxHeight, type = "image/jpeg", quality = 85 } = spec ?? {}
  if (!(Number.isInteger(maxWidth) && maxWidth > 0 && Number.isInteger(maxHeight) && maxHeight > 0)) return null
  return { maxWidth, maxHeight, type, quality: Math.min(Math.max(quality, 1), 100) / 100 }
}

/** The target of data-client-resize where this browser can resize; null where not, or when none is set. */
export function clientResize(value, scope = globalThis) {
  return canResize(scope) ? parseTarget(value) : null
}

// The functions below also run inside the worker, which gets their source text (see RESIZE_WORKER):
// each uses only its arguments and the functions listed there.

/** The size of a `width` × `height` image fitted inside `maxWidth` × `maxHeight`, keeping its shape; never larger. */
export function fitInside(width, height, maxWidth, maxHeight) {
  const scale = Math.min(1, maxWidth / width, maxHeight / height)
  return {
    width: Math.min(maxWidth, Math.max(1, Math.round(width * scale))),
    height: Math.min(maxHeight, Math.max(1, Math.round(height * scale))),
  }
}

/**
 * What to make of an image `{ width, height, size, type }` (its width and height as shown, EXIF
 * orientation applied) for `target` and the profile's `{ maxSize, accept }`: `{ width, height,
 * type, quality }` to re-encode it to, or null to send it as it is.
 */
export function planResize(image, target, { maxSize = 0, accept = [] } = {}) {
  const larger = image.width > target.maxWidth || image.height > target.maxHeight
  const heavier = maxSize > 0 && image.size > maxSize
  const refused = accept.length > 0 && !accept.includes(image.type)
  if (!larger && !heavier && !refused) return null
  const { width, height } = fitInside(image.width, image.height, target.maxWidth, target.maxHeight)
  return { width, height, type: target.type, quality: target.quality }
}

/** The quality of the second and last try when the first encoding is still over the limit. */
export function lowerQuality(quality) {
  return Math.round(quality * 70) / 100
}

// Extensions a picture's name may end with, whatever types the page takes; another ending
// ("at 10.45.33") is part of the name.
const IMAGE_EXTENSION = /\.(jpe?g|jpe|jfif|png|webp|gif|avif|heic|heif|bmp|tiff?)$/i

/**
 * `name` with an extension of `type`, as the element's `types` (parseTypes) list them: "IMG_0042.HEIC"
 * and "IMG_0042" → "IMG_0042.jpg"; one of the type's own ("IMG_0042.jpeg") stays, and so does
 * `name` for a type the element does not declare.
 */
export function resizedName(name, type, types = {}) {
  const extensions = types[type]?.extensions ?? []
  if (extensions.length === 0) return name
  const found = IMAGE_EXTENSION.exec(name)
  if (found && extensions.includes(found[0].toLowerCase())) return name
  const stem = found && found.index > 0 ? name.slice(0, found.index) : name
  return stem + extensions[0]
}

// Decodes with the EXIF orientation applied, so a phone's portrait photo stays upright once its
// metadata is gone; white under JPEG, which has no transparency (it would turn black).
const RESIZE_WORKER = `${fitInside}
${planResize}
${lowerQuality}
self.onmessage = async (event) => {
  const { id, message: { file, target, limits } } = event.data
  let bitmap
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" })
  } catch (error) {
    self.postMessage({ id, undecodable: String(error) })
    return
  }
  try {
    const image = { width: bitmap.width, height: bitmap.height, size: file.size, type: file.type }
    const plan = planResize(image, target, limits)
    if (!plan) {
      self.postMessage({ id, plan })
      return
    }
    const canvas = new OffscreenCanvas(plan.width, plan.height)
    const context = canvas.getContext("2d")
    if (plan.type === "image/jpeg") {
      context.fillStyle = "#fff"
      context.fillRect(0, 0, plan.width, plan.height)
    }
    context.imageSmoothingQuality = "high"
    context.drawImage(bitmap, 0, 0, plan.width, plan.height)
    let blob = await canvas.convertToBlob({ type: plan.type, quality: plan.quality })
    if (limits.maxSize && blob.size > limits.maxSize && plan.type !== "image/png") {
      blob = await canvas.convertToBlob({ type: plan.type, quality: lowerQuality(plan.quality) })
    }
    self.postMessage({ id, plan, blob })
  } catch (error) {
    self.postMessage({ id, error: String(error) })
  } finally {
    bitmap.close()
  }
}`

/**
 * `file` re-encoded for `target` (from clientResize) and the profile's `{ maxSize, accept, types }`,
 * as a File of the new type named to match (resizedName); null when it is to go as picked: resizing
 * does not apply, or this browser could not do it. Whether the result passes is the caller's to check.
 */
export async function resizeImage(
  file,
  target,
  { maxSize = 0, accept = [], types = {} } = {},
  { Worker: Thread = globalThis.Worker } = {},
) {
  let reply
  try {
    const failure = "the resizing worker failed" // only ever logged: the file then goes as picked
    const limits = { maxSize, accept }
    reply = await runInWorker(RESIZE_WORKER, { file, target, limits }, { failure, Worker: Thread })
  } catch (error) {
    console.warn("uploads: could not resize", file.name, error)
    return null
  }
  if (reply.error) console.warn("uploads: could not resize", file.name, reply.error)
  // A browser asked for a type its canvas cannot make answers with PNG instead: not what was planned.
  if (!reply.blob || reply.blob.type !== reply.plan.type) return null
  const { type } = reply.blob
  return new File([reply.blob], resizedName(file.name, type, types), { type, lastModified: file.lastModified })
}
