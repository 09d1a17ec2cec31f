// Ways to pick files besides the file input and a drop: pasting images from the clipboard, and the
// form widget's "Choose images" control, which is no second <label> for the input (the form's own
// label names it) and so has to open the picker itself.

// What browsers call an image that was copied as a picture rather than as a file: Chrome and Firefox
// "image.png", Safari "Pasted Graphic.png" (numbered from the second one on).
const UNNAMED = /^(?:image|pasted graphic(?: \d+)?)?(?:\.[a-z0-9]+)?$/i

// Page-wide, so two pastes never bring two files of the same name.
let pasteSerial = 0

/**
 * The name a pasted image `file` ({ name, type }) is listed and uploaded under: its own when it has
 * one worth keeping (a file copied in a file manager), else "pasted-image-<serial>" and the first
 * extension `types` (the element's parseTypes) gives its type; none for a type the element does
 * not take (a resize target adds its own). Anything but an image keeps its name.
 */
export function pastedName(file, serial, types = {}) {
  const type = String(file.type).toLowerCase()
  if (!type.startsWith("image/") || !UNNAMED.test(String(file.name ?? "").trim())) return file.name
  return `pasted-image-${serial}${types[type]?.extensions[0] ?? ""}`
}

/** The files of a clipboard's `DataTransfer` (its files, else its items of kind "file"), as a list. */
export function clipboardFiles(data) {
  const files = Array.from(data?.files ?? [])
  if (files.length > 0) return files
  return Array.from(data?.items ?? [])
    .filter((item) => item.kind === "file")
    .map((item) => item.getAsFile())
    .filter(Boolean)
}

/** `files` renamed as pastedName says, each unnamed one numbered on from the page's last paste. */
export function namePasted(files, types = {}) {
  return files.map((file) => {
    const name = pastedName(file, pasteSerial + 1, types)
    if (name === file.name) return file
    pasteSerial += 1
    return new File([file], name, { type: file.type, lastModified: file.lastModified })
  })
}

// Pasting into a text box or an editor elsewhere in the page is for that box.
function isEditable(target) {
  return Boolean(target?.closest?.("input, textarea, select") || target?.isContentEditable)
}

/**
 * Files pasted with the uploader (`root`) focused, or anywhere outside a text box in a page with no
 * other uploader, go to `addFiles`, named by the element's `types`. `on` adds a listener that is
 * dropped with the uploader.
 */
export function watchPaste({ root, on, addFiles, types = {} }) {
  const document = root.ownerDocument
  on(document, "paste", (event) => {
    if (event.defaultPrevented) return
    const alone = document.querySelectorAll("[data-uploader-mounted]").length === 1
    if (!root.contains(event.target) && (!alone || isEditable(event.target))) return
    const files = clipboardFiles(event.clipboardData)
    if (files.length === 0) return
    event.preventDefault()
    addFiles(namePasted(files, types))
  })
}

/**
 * The widget's [data-uploader-choose] control opens the file picker. The input keeps the form's
 * <label> as its name and is described by the control's text; with no label of its own (a form
 * that renders the field bare) the control's text names it.
 */
export function wireChooser({ root, input, on }) {
  const choose = root.querySelector("[data-uploader-choose]")
  if (!choose || !input || choose.localName === "label") return
  on(choose, "click", () => input.click())
  if (!choose.id) return
  const named = input.labels?.length || input.hasAttribute("aria-label") || input.hasAttribute("aria-labelledby")
  if (!named) input.setAttribute("aria-labelledby", choose.id)
  const described = (input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean)
  if (named && !described.includes(choose.id)) {
    input.setAttribute("aria-describedby", [choose.id, ...described].join(" "))
  }
}
