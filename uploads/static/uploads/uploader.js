// Direct-to-S3 image uploads for every [data-uploader] element.
// Each file: create a row (JSON API) → POST the file to S3 with the signed
// fields → ask the API to verify it. URLs and limits come from data- attributes.
// A file above the server's MULTIPART_THRESHOLD (data-multipart-threshold) goes in parts instead:
// each part hashed, its PUT URL signed for that digest, four parts at a time, each retried alone.
//
// Public API
//
//   mount(element) → instance        Bind one [data-uploader] element; mounting it again returns
//                                    the same instance. Throws if a required data- attribute is missing.
//     instance.element               the [data-uploader] element
//     instance.addFiles(files)       upload a FileList or array of File, as if picked; a file over
//                                    data-max-size or of a type not in data-types fails at once
//     instance.destroy()             cancel uploads in flight and drop every listener
//     instance.ids                   the field's value, in order ([] outside field mode)
//     instance.busy                  how many files are still on their way (neither done nor failed)
//   mountAll(scope = document) → [instance]
//                                    mount scope and every [data-uploader] in it, except formset
//                                    templates (inside .empty-form, or an id with __prefix__)
//
// A file whose name tells no type (IMG_0042) is judged by its first bytes, as the server does. With
// data-client-resize (a profile's CLIENT_RESIZE), a photo larger than its box, over data-max-size or
// of a type not accepted is re-encoded in a worker (resize.js) before it is hashed, and only those
// bytes are declared and sent; without the means to resize, the file is sent as picked if it passes.
//
// On load every uploader in the page is mounted, and a MutationObserver mounts uploaders added
// later (admin "Add another", a project's own script) and destroys those taken out of the page.
// While a file is on its way, leaving the page asks the browser to warn first; when the browser
// comes back online, files that failed with a retryable error start again by themselves.
//
// Nothing is lost on the way. A retry goes on from where the last attempt stopped: a file S3 took is
// never sent again (only its verification is asked again), an upload in parts sends only the parts
// S3 lacks. Offline (navigator.onLine false), a file waits for the connection ("Waiting for the
// connection…") without spending its retries. An expired policy or part URL is signed anew by
// itself. After a reload or a crash, the profile's pending uploads are listed as interrupted rows
// (Remove deletes one, aborting its parts); choosing the same file again (name, size and date, then
// its digest) resumes it. The browser keeps only what recognises a file (localStorage), never its bytes.
//
// Events, dispatched on the [data-uploader] element, bubbling:
//   uploads:added     { file }
//   uploads:progress  { file, loaded, total }           bytes sent to S3
//   uploads:verified  { file, upload }                  the API's upload; upload.duplicate when the
//                                                       same bytes were already uploaded
//   uploads:error     { file, code, message, retryable }  also before any request: code "too_large"
//                                                       or "unsupported_type" when the browser can tell
//   uploads:change    { ids }                           field mode: the value changed (files joined,
//                                                       moved or removed); fires before uploads:verified
//
// Field mode (data-field): the uploader feeds a form field through its input[data-uploader-value]:
// the ids of the done rows, comma-separated, in list order. data-multiple keeps several, in an order
// the user chooses (data-max-count caps them), marks the first as the cover, and announces each move
// in a polite live region (.uploader__live); without it a new upload replaces the previous one.
// The order is the done rows': Move up/Move down step over rows on their way or failed, and a done
// row's handle drags it by mouse, finger or pen (pointer events).
//
// A batch (files picked while others are on their way): above the list, once two or more travel,
// "7 of 20 files", "12.4 MB of 48 MB · 3.1 MB/s · about 12 s left" and an overall bar; buttons
// Clear finished (in a field: Clear failed; done rows are its value), Retry all and Cancel all when
// they have rows to act on; what they did, and how a batch ended, said in the live region. Each row's
// bar shows its percentage. Images pasted with the uploader focused (or anywhere, in a page with one
// uploader and outside a text box) are added as "pasted-image-1.png" and so on.
//
// Thumbnails: a row shows the chosen file itself (an object URL, revoked when the row goes) from the
// moment it is picked, and the smallest variant once the server's reply names one; a row the server
// rendered keeps the variant or placeholder it came with. Never the original's URL (upload.url): it
// is full size. A file the browser cannot decode shows the placeholder.
//
// Texts come from the app's catalogue script (uploads/jsi18n/, loaded beside this module), which
// answers an "uploads:catalogue" event with its catalogue. Not from window.django: other scripts
// replace that object (the admin's jquery.init.js does), and the uploader's texts went with it.
// Without that script, Django's own catalogue (django.gettext …) is used if the page loads one.
//
// Modules (uploader/, imported with relative paths, no build step). Each line lists what a module
// imports; nothing imports upwards, so there are no cycles:
//
//   uploader.js ─── controller, formset (and re-exports the helpers below)
//     controller ── api, batch, failure, field, files, formset, i18n, picking, queue, resize, resume, rows,
//                   transfer
//       batch ───── i18n, rows, speed     the bar above the list: overall progress, bulk buttons
//         speed ─── (nothing)             bytes per second over a few seconds, time left
//       picking ─── (nothing)             paste from the clipboard; the widget's Choose control
//       field ───── i18n, reorder, rows   form-field mode: value, order, cover, save guard
//         reorder ─ (nothing)             dragging a row's handle with pointer events
//       rows ────── i18n                  a row's DOM and its states
//       transfer ── hashing, i18n, multipart, network, resume, storage
//                                         hash → create → send to S3 → complete; goes on after a failure
//         multipart  failure, hashing, i18n, network, queue, storage
//                                         parts: planned, hashed and signed ahead, sent several at once
//         storage ─ failure, i18n         POST a file, PUT a part; S3's errors in words
//         network ─ failure               retries with backoff; waiting for the connection
//         resume ── i18n                  interrupted uploads: the record, the rows, matching a file
//         hashing ─ i18n, worker          SHA-256 off the main thread
//         worker ── (nothing)             one-off Web Worker from source text
//       api ─────── failure, i18n         the JSON API client
//       files ───── failure, i18n, resize   size and type checks before any request; the type
//                                         from the first bytes; the File that is sent
//         resize ── worker                a profile's CLIENT_RESIZE, re-encoded in a worker
//       failure ─── i18n                  UploadFailure, what is worth retrying
//       queue, formset, i18n ── (nothing)

import { mount, mounted } from "./uploader/controller.js"
import { isFormsetTemplate } from "./uploader/formset.js"

export { mount }
export { apiErrorMessage, apiHeaders, fillUrl, readCookie } from "./uploader/api.js"
export { isRetryable } from "./uploader/failure.js"
export {
  maxCountMessage,
  oneFileMessage,
  parseIds,
  retryRefusedMessage,
  serializeIds,
  waitMessage,
} from "./uploader/field.js"
export { checkFile, isAcceptedType, parseTypes, typeNames } from "./uploader/files.js"
export { isFormsetTemplate, renamePrefixed } from "./uploader/formset.js"
export { sha256Base64, toBase64 } from "./uploader/hashing.js"
export { formatSize, gettext, interpolate, ngettext } from "./uploader/i18n.js"
export { createQueue } from "./uploader/queue.js"
export { reviewNote, thumbnailSource } from "./uploader/rows.js"
export { AUTO_RETRIES, backoffDelay, parseS3Error, s3ErrorMessage } from "./uploader/transfer.js"

/**
 * Mount `scope` (when it is an uploader) and every [data-uploader] inside it, skipping formset
 * templates. Returns the instances; an element that cannot be mounted is reported on the console.
 */
export function mountAll(scope = document) {
  const elements = Array.from(scope.querySelectorAll?.("[data-uploader]") ?? [])
  if (scope.matches?.("[data-uploader]")) elements.unshift(scope)
  const instances = []
  for (const element of elements) {
    if (isFormsetTemplate(element)) continue
    try {
      instances.push(mount(element))
    } catch (error) {
      console.error(error)
    }
  }
  return instances
}

function destroyDetached(node) {
  const elements = [node, ...node.querySelectorAll("[data-uploader]")]
  for (const element of elements) {
    // A node moved within the page is removed and added again; it is still connected by now.
    if (!element.isConnected) mounted(element)?.destroy()
  }
}

// Admin inlines and a project's own scripts add uploaders after load (cloning a template form
// renamed from __prefix__), and take them out again: mount and destroy them as they come and go.
function watch() {
  mountAll(document)
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.removedNodes) if (node.nodeType === Node.ELEMENT_NODE) destroyDetached(node)
      for (const node of record.addedNodes) if (node.nodeType === Node.ELEMENT_NODE && node.isConnected) mountAll(node)
    }
  })
  observer.observe(document.documentElement, { childList: true, subtree: true })
}

if (typeof document !== "undefined") {
  // A module imported early could otherwise mount an uploader whose children the parser has not read yet.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch, { once: true })
  else watch()
}
