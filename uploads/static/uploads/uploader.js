// Direct-to-S3 image uploads for every [data-uploader] element.
// Each file: create a row (JSON API) → POST the file to S3 with the signed
// fields → ask the API to verify it. URLs and limits come from data- attributes.
//
// Public API
//
//   mount(element) → instance        Bind one [data-uploader] element; mounting it again returns
//                                    the same instance. Throws if a required data- attribute is missing.
//     instance.element               the [data-uploader] element
//     instance.addFiles(files)       upload a FileList or array of File, as if picked; a file over
//                                    data-max-size or of a type not in data-accept fails at once
//     instance.destroy()             cancel uploads in flight and drop every listener
//     instance.ids                   the field's value, in order ([] outside field mode)
//     instance.busy                  how many files are still on their way (neither done nor failed)
//   mountAll(scope = document) → [instance]
//                                    mount scope and every [data-uploader] in it, except formset
//                                    templates (inside .empty-form, or an id with __prefix__)
//
// On load every uploader in the page is mounted, and a MutationObserver mounts uploaders added
// later (admin "Add another", a project's own script) and destroys those taken out of the page.
// While a file is on its way, leaving the page asks the browser to warn first; when the browser
// comes back online, files that failed with a retryable error start again by themselves.
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
//     controller ── api, failure, field, files, formset, i18n, queue, rows, transfer
//       field ───── i18n, rows            form-field mode: value, order, cover, save guard
//       rows ────── i18n                  a row's DOM and its states
//       transfer ── failure, hashing, i18n   hash → create → POST to S3 → complete; retries
//         hashing ─ i18n, worker          SHA-256 off the main thread
//         worker ── (nothing)             one-off Web Worker from source text
//       api ─────── failure, i18n         the JSON API client
//       files ───── i18n                  size and type checks before any request
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
export { checkFile, isAcceptedType, parseAccept, typeNames } from "./uploader/files.js"
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
