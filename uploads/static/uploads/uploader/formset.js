// Django formsets clone a hidden template form for "Add another". The template is never an
// uploader of its own, and a clone needs the references Django does not rename.

/** Whether an element is a formset's hidden template form, which is cloned, never used itself. */
export function isFormsetTemplate(element) {
  return (element.id ?? "").includes("__prefix__") || element.closest(".empty-form") !== null
}

/**
 * Django's "Add another" renames `__prefix__` in the id, name and for attributes of a cloned
 * formset row, but not in aria-describedby. Rename those references the same way, taking the
 * form's index from the element's own (already renamed) id: "id_variants-__prefix__-image_hint"
 * next to the id "id_variants-2-image" becomes "id_variants-2-image_hint".
 */
export function renamePrefixed(references, ownId) {
  return references
    .split(/\s+/)
    .filter(Boolean)
    .map((reference) => {
      const [before, after] = reference.split("__prefix__")
      if (after === undefined || !ownId.startsWith(before)) return reference
      const index = /^[^-]+/.exec(ownId.slice(before.length))
      return index ? `${before}${index[0]}${after}` : reference
    })
    .join(" ")
}
