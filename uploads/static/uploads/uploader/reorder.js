// Reordering a list by dragging a row's handle with a mouse, a finger or a pen: pointer events, so
// touch screens work too (HTML drag and drop does not start from a finger). The handle is a
// pointer's shortcut; keyboards and screen readers have Move up and Move down.

const EDGE = 32 // px from the list's top or bottom edge where a drag scrolls it
const SCROLL_STEP = 12

/**
 * Whether a row at `rect` ({ top, height }) should go before a pointer at `y`, for a row dragged
 * `down` (else up): it should once the pointer passed its middle.
 */
export function passed(y, rect, down) {
  const middle = rect.top + rect.height / 2
  return down ? y > middle : y < middle
}

/**
 * Let the rows of `list` (those in the `rows` Map of <li> to row) be dragged by their
 * `.uploader__handle`. `started(row)` is told when a drag begins, `ended(row)` when it ends (the row
 * may be back where it was: Escape or a cancelled touch put it back). `on` adds a listener that is
 * dropped with the uploader.
 */
export function enableReorder({ list, rows, on, started = () => {}, ended = () => {} }) {
  let drag = null

  function siblingRow(li, direction) {
    for (let at = li[direction]; at; at = at[direction]) if (rows.has(at)) return at
    return null
  }

  // The dragged row stays in the page the whole time (moving it would end the pointer capture on
  // its handle): its neighbours step over it instead, one at a time, until it sits under the pointer.
  function follow(y) {
    const { li } = drag.row
    const previous = () => siblingRow(li, "previousElementSibling")
    const next = () => siblingRow(li, "nextElementSibling")
    for (let above = previous(); above; above = previous()) {
      if (!passed(y, above.getBoundingClientRect(), false)) break
      li.after(above)
    }
    for (let below = next(); below; below = next()) {
      if (!passed(y, below.getBoundingClientRect(), true)) break
      li.before(below)
    }
  }

  // A list taller than its box scrolls when the pointer nears its edge.
  function scrollNear(y) {
    const { top, height } = list.getBoundingClientRect()
    if (!height) return
    if (y < top + EDGE) list.scrollTop -= SCROLL_STEP
    else if (y > top + height - EDGE) list.scrollTop += SCROLL_STEP
  }

  function finish({ putBack = false } = {}) {
    if (!drag) return
    const { row, next, handle, pointerId } = drag
    drag = null
    if (putBack) list.insertBefore(row.li, next?.parentNode === list ? next : null)
    row.li.classList.remove("is-dragging")
    if (handle.hasPointerCapture?.(pointerId)) handle.releasePointerCapture(pointerId)
    ended(row)
  }

  on(list, "pointerdown", (event) => {
    const handle = event.target.closest?.(".uploader__handle")
    const row = handle && rows.get(handle.closest("li"))
    if (!row || drag || (event.pointerType === "mouse" && event.button !== 0)) return
    // No text selection, no native drag of the picture, no scrolling (with touch-action: none).
    event.preventDefault()
    handle.setPointerCapture?.(event.pointerId)
    drag = { row, handle, pointerId: event.pointerId, next: row.li.nextElementSibling }
    row.li.classList.add("is-dragging")
    started(row)
  })
  on(list, "pointermove", (event) => {
    if (event.pointerId !== drag?.pointerId) return
    event.preventDefault()
    scrollNear(event.clientY)
    follow(event.clientY)
  })
  on(list, "pointerup", (event) => {
    if (event.pointerId === drag?.pointerId) finish()
  })
  // The browser took the pointer (a scroll, a system gesture): the drag did not happen.
  on(list, "pointercancel", (event) => {
    if (event.pointerId === drag?.pointerId) finish({ putBack: true })
  })
  on(list, "lostpointercapture", (event) => {
    if (event.pointerId === drag?.pointerId) finish()
  })
  on(list.ownerDocument ?? document, "keydown", (event) => {
    if (drag && event.key === "Escape") finish({ putBack: true })
  })

  return {
    /** Whether a row is being dragged now. */
    get dragging() {
      return drag !== null
    },
  }
}
