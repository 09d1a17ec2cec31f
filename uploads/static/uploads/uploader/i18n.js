// The uploader's texts in the page's language, and sizes in its number format.
//
// Texts come from the app's catalogue script (uploads/jsi18n/, loaded beside the uploader), which
// answers an "uploads:catalogue" event with its catalogue. Not from window.django: other scripts
// replace that object (the admin's jquery.init.js does), and the uploader's texts went with it.
// Without that script, Django's own catalogue (django.gettext …) is used if the page loads one.

/**
 * The uploader's catalogue ({ catalog, formats, pluralidx }) when its script is in the page, else null.
 * Asked at each call, not at import: the catalogue script may load after this module.
 */
function ownCatalogue() {
  if (typeof document === "undefined") return null
  let found = null
  const receive = (catalogue) => {
    found ??= catalogue
  }
  document.dispatchEvent(new CustomEvent("uploads:catalogue", { detail: { receive } }))
  return found
}

/** The uploader's catalogue's translation, else Django's `gettext` when the page has it, else the English msgid. */
export function gettext(msgid) {
  const own = ownCatalogue()
  if (own) {
    const value = own.catalog[msgid]
    if (value === undefined) return msgid
    return typeof value === "string" ? value : value[0]
  }
  const translate = globalThis.django?.gettext
  return typeof translate === "function" ? translate(msgid) : msgid
}

/** Like `gettext`, with the catalogue's plural rule; English's one/other rule without a catalogue. */
export function ngettext(singular, plural, count) {
  const own = ownCatalogue()
  if (own) {
    const value = own.catalog[singular]
    if (value === undefined) return count === 1 ? singular : plural
    return Array.isArray(value) ? value[own.pluralidx(count)] : value
  }
  const translate = globalThis.django?.ngettext
  if (typeof translate === "function") return translate(singular, plural, count)
  return count === 1 ? singular : plural
}

/** The active language's decimal separator: "," in German. */
function decimalSeparator() {
  const separator = ownCatalogue()?.formats?.DECIMAL_SEPARATOR ?? globalThis.django?.formats?.DECIMAL_SEPARATOR
  return typeof separator === "string" ? separator : "."
}

/** Fill `%(name)s` placeholders from `values`, with Django's `interpolate` when it is there. */
export function interpolate(format, values) {
  const own = globalThis.django?.interpolate
  if (typeof own === "function") return own(format, values, true)
  return format.replace(/%\(([^)]+)\)s/g, (placeholder, name) => (name in values ? String(values[name]) : placeholder))
}

const UNITS = [
  [2 ** 30, (size) => interpolate(gettext("%(size)s GB"), { size })],
  [2 ** 20, (size) => interpolate(gettext("%(size)s MB"), { size })],
  [2 ** 10, (size) => interpolate(gettext("%(size)s KB"), { size })],
]

/** "12.4 MB", "10 MB", "532 KB", "17 bytes" ("12,4 MB" in German); 1 MB is 1,048,576 bytes. */
export function formatSize(bytes) {
  for (const [factor, unit] of UNITS) {
    if (bytes >= factor) {
      const scaled = (bytes * 10) / factor
      let tenths = Math.round(scaled)
      // Round half to even like the server's Python, so both print the same size.
      if (scaled % 1 === 0.5 && tenths % 2 === 1) tenths -= 1
      return unit(String(tenths / 10).replace(".", decimalSeparator()))
    }
  }
  return countBytes(bytes)
}

/** "17 bytes", "1 byte": a size to the byte, where `formatSize` would round two sizes to the same text. */
export function countBytes(bytes) {
  return interpolate(ngettext("%(count)s byte", "%(count)s bytes", bytes), { count: bytes })
}
