// What several test files share: stand-ins for the two catalogues the uploader can read its texts
// from, the types an element declares as the page writes them, and small promise helpers.

import { readFileSync } from "node:fs"

import { parseTypes } from "../../uploads/static/uploads/uploader/files.js"

export const MB = 2 ** 20

// The data-types of an element whose profile allows every type the server takes, as the server
// renders it (filetypes.for_page); tests/test_page_data.py keeps this file equal to that.
const EVERY_TYPE = JSON.parse(readFileSync(new URL("./page-types.json", import.meta.url), "utf8"))

/** The data-types value a page has for a profile allowing `mimeTypes`, in that order. */
export function dataTypes(...mimeTypes) {
  return JSON.stringify(
    Object.fromEntries(mimeTypes.map((type) => [type, EVERY_TYPE[type] ?? { name: type, extensions: [] }])),
  )
}

/** The same as the element's attribute in the page's HTML, escaped as Django escapes it. */
export function typesAttribute(...mimeTypes) {
  const escaped = dataTypes(...mimeTypes)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#x27;")
  return `data-types="${escaped}"`
}

/** What the script makes of that value (controller.js's readConfig gives it as `types`). */
export function declaredTypes(...mimeTypes) {
  return parseTypes(dataTypes(...mimeTypes))
}

// Stands in for what Django's JavaScriptCatalog view defines: a catalogue of msgid → translation
// (a [singular, plural] pair for plurals), with the same gettext/ngettext/interpolate signatures.
export function installCatalogue(catalogue) {
  const calls = []
  globalThis.django = {
    gettext(msgid) {
      const value = catalogue[msgid]
      return typeof value === "string" ? value : msgid
    },
    ngettext(singular, plural, count) {
      const value = catalogue[singular]
      if (Array.isArray(value)) return value[count === 1 ? 0 : 1]
      return count === 1 ? singular : plural
    },
    interpolate(format, values, named) {
      calls.push({ format, values, named })
      if (named) return format.replace(/%\(\s*([^)]*)\s*\)s/g, (match) => String(values[match.slice(2, -2)]))
      return format.replace(/%s/g, () => String(values.shift()))
    },
  }
  return calls
}

// Stands in for the app's catalogue script (uploads/jsi18n/): it keeps its catalogue to itself and
// answers the uploader's "uploads:catalogue" event on the document.
export function serveOwnCatalogue(catalog, { decimalSeparator = "." } = {}) {
  globalThis.document = new EventTarget()
  const formats = { DECIMAL_SEPARATOR: decimalSeparator }
  globalThis.document.addEventListener("uploads:catalogue", (event) =>
    event.detail.receive({ catalog, formats, pluralidx: (n) => (n != 1 ? 1 : 0) }),
  )
}

export function deferred() {
  let resolve
  let reject
  const promise = new Promise((yes, no) => {
    resolve = yes
    reject = no
  })
  return { promise, resolve, reject }
}

export const tick = () => new Promise((resolve) => setImmediate(resolve))
