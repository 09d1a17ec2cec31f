// The demo's own script, listening to the uploader's events as any project's page could:
// each verified image joins "Your images" at once, without a reload. It shows the image's
// smallest variant when one is already made, else a preview of the chosen file; never the
// upload's own URL, which would download the full-size original for a thumbnail.
const gallery = document.querySelector("[data-gallery]")
const empty = document.querySelector("[data-gallery-empty]")
const deleteForm = document.querySelector("template[data-delete-form]")
// The states' names in the page's language: the template translates them.
const stateNames = JSON.parse(document.getElementById("gallery-states").textContent)

/** The smallest of an upload's made variants ({ url, width, height }), or undefined. */
function smallestVariant(variants) {
  return Object.values(variants ?? {}).sort((a, b) => a.width * a.height - b.width * b.height)[0]
}

/** Whether this page of the library lists a new upload in `state`: its first page, unfiltered or filtered to it. */
function listsNew(dataset, state) {
  return "live" in dataset && (!dataset.filter || dataset.filter === state)
}

function thumbnail(file, upload) {
  const image = Object.assign(document.createElement("img"), { alt: upload.filename, width: 160 })
  const variant = smallestVariant(upload.variants)
  if (variant) {
    image.src = variant.url
  } else {
    image.src = URL.createObjectURL(file)
    const release = () => URL.revokeObjectURL(image.src)
    image.addEventListener("load", release, { once: true })
    image.addEventListener("error", release, { once: true })
  }
  return image
}

function item(file, upload) {
  const element = document.createElement("li")
  element.dataset.state = upload.state
  const name = Object.assign(document.createElement("span"), {
    className: "name",
    id: `image-${upload.id}`,
    textContent: upload.filename,
  })
  const size = Object.assign(document.createElement("small"), { textContent: `${upload.width} × ${upload.height}` })
  const state = Object.assign(document.createElement("small"), {
    className: `state state--${upload.state}`,
    textContent: stateNames[upload.state] ?? upload.state,
  })
  const form = deleteForm.content.firstElementChild.cloneNode(true)
  form.elements.upload.value = upload.id
  form.querySelector("button").setAttribute("aria-describedby", name.id)
  element.append(thumbnail(file, upload), name, size, state, form)
  return element
}

document.addEventListener("uploads:verified", (event) => {
  const { file, upload } = event.detail
  if (upload.duplicate) return // already in the library
  if (!listsNew(gallery.dataset, upload.state)) return
  gallery.prepend(item(file, upload))
  empty.hidden = true
})
