// The bar above the list that sees to all files at once: how far the files picked together have got
// ("7 of 20 files", "12.4 MB of 48 MB · 3.1 MB/s · about 12 s left", and an overall bar), and the
// buttons that act on every row that qualifies: Clear finished (Clear failed in a field), Retry all,
// Cancel all. It follows the list by itself (a MutationObserver, the progress events and a clock),
// so the controller only mounts it. What a button did is said in the polite live region.
//
// A batch is every file picked while others were still on their way: it starts when a file sets off
// with nothing else travelling and ends when none is left on its way. Failed files leave its bytes
// (they will not arrive) but still count among its files.

import { formatSize, gettext, interpolate, ngettext } from "./i18n.js"
import { formatPercent, h, isSettled } from "./rows.js"
import { createSpeedometer, secondsLeft } from "./speed.js"

/**
 * What `rows` add up to: how many `files`, `done`, `failed` and `busy` (neither), and the bytes
 * `loaded` of `total`, leaving failed files out. A row's bytes are those of its upload as sent
 * (`row.sent`, which a resized file makes smaller) or else its file's size.
 */
export function batchTotals(rows) {
  const totals = { files: 0, done: 0, failed: 0, busy: 0, loaded: 0, total: 0 }
  for (const row of rows) {
    const state = row.li.dataset.state
    totals.files += 1
    if (state === "failed") {
      totals.failed += 1
      continue
    }
    const size = row.sent?.total || row.file?.size || 0
    totals.total += size
    if (state === "done") {
      totals.done += 1
      totals.loaded += size
    } else {
      totals.busy += 1
      if (state === "verifying") totals.loaded += size
      else totals.loaded += Math.min(size, row.sent?.loaded ?? 0)
    }
  }
  return totals
}

/**
 * The rows each bulk button acts on: `cancel` those on their way (waiting included), `retry` the
 * failed ones a retry could help, `clear` the finished ones. In a `field`, done rows are the field's
 * value, not clutter: there only failed rows are cleared (a cancelled one is gone already).
 */
export function bulkTargets(rows, { field = false } = {}) {
  const targets = { clear: [], retry: [], cancel: [] }
  for (const row of rows) {
    const state = row.li.dataset.state
    if (state === "failed") {
      targets.clear.push(row)
      if (row.retryable) targets.retry.push(row)
    } else if (state === "done") {
      if (!field) targets.clear.push(row)
    } else {
      targets.cancel.push(row)
    }
  }
  return targets
}

/** "7 of 20 files". */
export function filesText(done, count) {
  return interpolate(ngettext("%(done)s of %(count)s file", "%(done)s of %(count)s files", count), { done, count })
}

/** "about 12 s left", "about 3 min left", "about 2 h left". */
export function timeLeftText(seconds) {
  if (seconds < 59.5) {
    return interpolate(gettext("about %(seconds)s s left"), { seconds: Math.max(1, Math.ceil(seconds)) })
  }
  if (seconds < 3570) {
    return interpolate(gettext("about %(minutes)s min left"), { minutes: Math.max(1, Math.round(seconds / 60)) })
  }
  return interpolate(gettext("about %(hours)s h left"), { hours: Math.round(seconds / 3600) })
}

/**
 * ["12.4 MB of 48 MB", "3.1 MB/s", "about 12 s left"]: the bytes, the speed (bytes per second) once
 * it is known and not 0, and the time left when `seconds` is not null.
 */
export function paceParts({ loaded, total, speed = null, seconds = null }) {
  const bytes = { loaded: formatSize(loaded), total: formatSize(total) }
  const parts = [interpolate(gettext("%(loaded)s of %(total)s"), bytes)]
  if (speed > 0) parts.push(interpolate(gettext("%(size)s/s"), { size: formatSize(Math.round(speed)) }))
  if (seconds !== null) parts.push(timeLeftText(seconds))
  return parts
}

/** What is said when a batch ends: "18 files uploaded. 2 files failed." */
export function finishedText({ done, failed }) {
  const parts = []
  if (done > 0) {
    parts.push(interpolate(ngettext("%(count)s file uploaded.", "%(count)s files uploaded.", done), { count: done }))
  }
  if (failed > 0) {
    parts.push(interpolate(ngettext("%(count)s file failed.", "%(count)s files failed.", failed), { count: failed }))
  }
  return parts.join(" ")
}

/** What is said once a bulk button (`kind`: clear, retry or cancel) acted on `count` rows. */
export function bulkDoneText(kind, count) {
  const texts = {
    clear: () => ngettext("%(count)s file cleared from the list.", "%(count)s files cleared from the list.", count),
    retry: () => ngettext("Retrying %(count)s file.", "Retrying %(count)s files.", count),
    cancel: () => ngettext("%(count)s upload cancelled.", "%(count)s uploads cancelled.", count),
  }
  return interpolate(texts[kind](), { count })
}

// A single file needs no summary and no "all": its row says it all.
const MANY = 2
// Milliseconds between drawings of the bar for progress alone.
export const PROGRESS_INTERVAL = 250

/**
 * The batch bar of one mounted uploader, inserted before its `list`. `rows` is the controller's Map
 * of <li> to row; `field` says whether done rows are a form's value; `cancel`, `retry` and `remove`
 * are the rows' own actions (Remove never deletes a done upload outside a field: none is owned
 * there); `hasRoom()` says whether a capped field takes one more. `on` and `signal` drop listeners
 * and the clock with the uploader. `input` gets the keyboard when a focused button goes.
 */
export function mountBatch({
  root,
  list,
  rows,
  on,
  signal,
  input = null,
  field = false,
  cancel,
  retry,
  remove,
  hasRoom = () => true,
}) {
  const live = root.querySelector(".uploader__live") ?? addLiveRegion()
  const counts = h("span", { class: "uploader__counts" })
  const pace = h("span", { class: "uploader__pace" })
  const overall = h("progress", { class: "uploader__overall", max: "100", "aria-label": gettext("Overall progress") })
  const text = h("p", { class: "uploader__summary-text" })
  text.append(counts, pace)
  const summary = h("div", { class: "uploader__summary" })
  summary.append(text, overall)
  const labels = {
    clear: field ? gettext("Clear failed") : gettext("Clear finished"),
    retry: gettext("Retry all"),
    cancel: gettext("Cancel all"),
  }
  const buttons = {}
  const tools = h("div", { class: "uploader__bulk" })
  for (const kind of ["clear", "retry", "cancel"]) {
    buttons[kind] = h("button", { type: "button", class: "uploader__button", "data-bulk": kind }, labels[kind])
    buttons[kind].hidden = true
    tools.append(buttons[kind])
  }
  const bar = h("div", { class: "uploader__batch" })
  bar.append(summary, tools)
  summary.hidden = true
  tools.hidden = true
  // A copy of a live uploader's markup (a cloned form) brings its bar along; this one replaces it.
  root.querySelector(".uploader__batch")?.remove()
  list.before(bar)

  const meter = createSpeedometer()
  const members = new Set()
  let sentBefore = 0
  let clock = null
  let scheduled = false
  let progressTimer = null

  function addLiveRegion() {
    const region = h("div", { class: "uploader__live", "aria-live": "polite", "aria-atomic": "true" })
    root.append(region)
    return region
  }

  function listedRows() {
    return Array.from(list.children, (li) => rows.get(li)).filter(Boolean)
  }

  // Progress events come many times a second: the bar follows them a few times a second, which
  // is what a reader can take in (and each drawing costs the page a layout).
  function scheduleProgress() {
    if (progressTimer || signal.aborted) return
    progressTimer = setTimeout(() => {
      progressTimer = null
      schedule()
    }, PROGRESS_INTERVAL)
  }

  // A change of the rows themselves is drawn at the next frame.
  function schedule() {
    if (scheduled || signal.aborted) return
    scheduled = true
    const draw = () => {
      scheduled = false
      render()
    }
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(draw)
    else queueMicrotask(draw)
  }

  function follow(now) {
    for (const row of members) if (!rows.has(row.li)) members.delete(row)
    for (const row of rows.values()) {
      // Only files picked on this page travel; a row the server rendered was done before.
      if (!row.file || members.has(row) || isSettled(row.li.dataset.state)) continue
      if (members.size === 0) {
        meter.start(now)
        sentBefore = 0
      }
      members.add(row)
    }
  }

  function showSummary(totals, now) {
    // Bytes that really went out (not a duplicate's, which needed none) drive the speed.
    let sent = 0
    for (const row of members) if (row.li.dataset.state !== "failed") sent += row.sent?.loaded ?? 0
    if (sent > sentBefore) meter.add(sent - sentBefore, now)
    sentBefore = sent
    const speed = meter.speed(now)
    const seconds = secondsLeft(totals.total - totals.loaded, speed)
    const percent = totals.total > 0 ? Math.min(100, Math.floor((totals.loaded / totals.total) * 100)) : 0
    const files = filesText(totals.done, totals.files)
    const parts = paceParts({ ...totals, speed, seconds })
    counts.textContent = files
    pace.textContent = parts.join(" · ")
    overall.value = percent
    // Read out as a sentence, without the dots that only separate the parts on screen.
    overall.setAttribute("aria-valuetext", [formatPercent(percent / 100), files, ...parts].join(", "))
    summary.hidden = false
    clock ??= setInterval(schedule, 1000)
  }

  function endBatch(totals) {
    if (members.size >= MANY) live.textContent = finishedText(totals)
    members.clear()
    hideSummary()
  }

  function hideSummary() {
    summary.hidden = true
    clearInterval(clock)
    clock = null
  }

  function showButtons() {
    const focused = tools.contains(document.activeElement) ? document.activeElement : null
    const listed = listedRows()
    const targets = bulkTargets(listed, { field })
    for (const [kind, button] of Object.entries(buttons)) {
      button.hidden = listed.length < MANY || targets[kind].length === 0
    }
    tools.hidden = Object.values(buttons).every((button) => button.hidden)
    if (focused?.hidden || (focused && tools.hidden)) {
      ;(Object.values(buttons).find((button) => !button.hidden) ?? input)?.focus()
    }
  }

  // A list taller than its box scrolls; with nothing focusable in it (finished rows outside a
  // field have no buttons) the keyboard needs the list itself to scroll it.
  function keepScrollable() {
    if (list.scrollHeight > list.clientHeight + 1) list.tabIndex = 0
    else list.removeAttribute("tabindex")
  }

  function render() {
    if (signal.aborted) return
    const now = performance.now()
    follow(now)
    const totals = batchTotals(members)
    if (totals.busy === 0) endBatch(totals)
    else if (members.size >= MANY) showSummary(totals, now)
    else hideSummary()
    showButtons()
    bar.hidden = summary.hidden && tools.hidden
    keepScrollable()
  }

  function act(kind) {
    const targets = bulkTargets(listedRows(), { field })[kind]
    let count = 0
    for (const row of targets) {
      if (kind === "retry") {
        // A full field takes no more: Retry says why, once.
        const full = !hasRoom()
        retry(row)
        if (full) break
      } else if (kind === "cancel") cancel(row)
      else remove(row)
      count += 1
    }
    if (count > 0) live.textContent = bulkDoneText(kind, count)
    render()
  }

  on(tools, "click", (event) => {
    const button = event.target.closest("button[data-bulk]")
    if (button && !button.hidden) act(button.dataset.bulk)
  })
  on(root, "uploads:progress", scheduleProgress)
  if (typeof MutationObserver === "function") {
    const observer = new MutationObserver(schedule)
    observer.observe(list, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-state"] })
    signal.addEventListener("abort", () => observer.disconnect(), { once: true })
  }
  if (typeof ResizeObserver === "function") {
    const observer = new ResizeObserver(schedule)
    observer.observe(list)
    signal.addEventListener("abort", () => observer.disconnect(), { once: true })
  }
  signal.addEventListener("abort", () => {
    clearInterval(clock)
    clearTimeout(progressTimer)
    bar.remove()
  }, { once: true })
  render()

  return {
    /** Draw the bar from the rows as they are now (it also follows the list by itself). */
    render,
    element: bar,
  }
}
