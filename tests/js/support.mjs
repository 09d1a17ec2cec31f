// What several test files share: stand-ins for the two catalogues the uploader can read its texts
// from, and small promise helpers.

export const MB = 2 ** 20

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
