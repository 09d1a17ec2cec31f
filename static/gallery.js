// The demo's own script, listening to the uploader's events as any project's page could:
// each verified image joins "Your images" at once, without a reload.
const gallery = document.querySelector("[data-gallery]")
const empty = document.querySelector("[data-gallery-empty]")
// In the page's language: the template translates it.
const awaitingReview = gallery.dataset.awaitingReview

document.addEventListener("uploads:verified", (event) => {
  const { upload } = event.detail
  if (upload.duplicate) return // already in the gallery
  const item = document.createElement("li")
  const image = Object.assign(document.createElement("img"), { src: upload.url, alt: upload.filename, width: 160 })
  const name = Object.assign(document.createElement("span"), { textContent: upload.filename })
  const details = Object.assign(document.createElement("small"), {
    textContent: `${upload.width} × ${upload.height} · ${awaitingReview}`,
  })
  item.append(image, name, details)
  gallery.prepend(item)
  empty.hidden = true
})
