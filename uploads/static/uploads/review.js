// Keys on an upload's review page in the admin. Each key names an element of the page by its
// data-review-key: a link or a button is clicked, a field is focused. The page writes every URL,
// so nothing here knows a path.

/** Which data-review-key each key stands for. */
export const KEYS = Object.freeze({
  j: "next",
  ArrowRight: "next",
  k: "previous",
  ArrowLeft: "previous",
  a: "approve",
  r: "reject",
})

// Where a key is text being typed, not a command.
const TYPING = "input, textarea, select, [contenteditable]:not([contenteditable='false'])"

/** The data-review-key a keydown stands for, or null: none while typing, with a modifier (the
 * browser's own shortcuts), when held down, or for any other key. */
export function keyFor(event) {
  if (event.defaultPrevented || event.repeat) return null
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return null
  if (event.target?.closest?.(TYPING)) return null
  return Object.hasOwn(KEYS, event.key) ? KEYS[event.key] : null
}

/** Listen for the keys on `root`'s document; returns a function that stops listening. */
export function bindKeys(root) {
  const doc = root.ownerDocument
  const onKeydown = (event) => {
    const name = keyFor(event)
    const target = name && root.querySelector(`[data-review-key="${name}"]`)
    if (!target) return
    event.preventDefault()
    if (target.matches("a[href], button")) {
      // The page is leaving (a link, a form sent): a second key must not send the form twice.
      unbind()
      target.click()
    } else {
      target.focus()
    }
  }
  const unbind = () => doc.removeEventListener("keydown", onKeydown)
  doc.addEventListener("keydown", onKeydown)
  return unbind
}

if (typeof document !== "undefined") {
  for (const root of document.querySelectorAll("[data-review-keys]")) bindKeys(root)
}
