import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { isFormsetTemplate, renamePrefixed } from "../../uploads/static/uploads/uploader/formset.js"

describe("isFormsetTemplate", () => {
  const element = (id, insideEmptyForm = false) => ({
    id,
    closest: (selector) => (insideEmptyForm && selector === ".empty-form" ? {} : null),
  })

  test("is true for the template form Django's admin clones on Add another", () => {
    assert.equal(isFormsetTemplate(element("id_images-__prefix__-image_uploader")), true)
    assert.equal(isFormsetTemplate(element("id_images-empty_uploader", true)), true)
  })

  test("is false for a real form, including a clone renamed from the template", () => {
    assert.equal(isFormsetTemplate(element("id_images-0-image_uploader")), false)
    assert.equal(isFormsetTemplate(element("")), false)
  })
})

describe("renamePrefixed", () => {
  test("names the cloned formset row's hint and help text by its index", () => {
    assert.equal(
      renamePrefixed("id_variants-__prefix__-image_hint id_variants-__prefix__-image_helptext", "id_variants-12-image"),
      "id_variants-12-image_hint id_variants-12-image_helptext",
    )
  })

  test("leaves other references alone", () => {
    assert.equal(renamePrefixed("shared-note id_x_hint", "id_variants-3-image"), "shared-note id_x_hint")
  })
})
