import assert from "node:assert/strict"
import { afterEach, describe, test } from "node:test"

import * as entry from "../../uploads/static/uploads/uploader.js"
import * as api from "../../uploads/static/uploads/uploader/api.js"
import * as controller from "../../uploads/static/uploads/uploader/controller.js"
import * as failure from "../../uploads/static/uploads/uploader/failure.js"
import * as field from "../../uploads/static/uploads/uploader/field.js"
import * as files from "../../uploads/static/uploads/uploader/files.js"
import * as formset from "../../uploads/static/uploads/uploader/formset.js"
import * as hashing from "../../uploads/static/uploads/uploader/hashing.js"
import * as i18n from "../../uploads/static/uploads/uploader/i18n.js"
import * as queue from "../../uploads/static/uploads/uploader/queue.js"
import * as rows from "../../uploads/static/uploads/uploader/rows.js"
import * as transfer from "../../uploads/static/uploads/uploader/transfer.js"
import { installDom } from "./fake-dom.mjs"

const MODULES = { api, controller, failure, field, files, formset, hashing, i18n, queue, rows, transfer }

// What pages, the README and projects' scripts import from uploads/uploader.js. Removing a name breaks them.
const PUBLIC = [
  "AUTO_RETRIES",
  "apiErrorMessage",
  "apiHeaders",
  "backoffDelay",
  "checkFile",
  "createQueue",
  "fillUrl",
  "formatSize",
  "gettext",
  "interpolate",
  "isAcceptedType",
  "isFormsetTemplate",
  "isRetryable",
  "maxCountMessage",
  "mount",
  "mountAll",
  "ngettext",
  "oneFileMessage",
  "parseIds",
  "parseS3Error",
  "parseTypes",
  "readCookie",
  "renamePrefixed",
  "retryRefusedMessage",
  "reviewNote",
  "s3ErrorMessage",
  "serializeIds",
  "sha256Base64",
  "thumbnailSource",
  "toBase64",
  "typeNames",
  "waitMessage",
]

describe("the script's public API", () => {
  test("is mount, mountAll and the pure helpers, as before the split", () => {
    assert.deepEqual(Object.keys(entry).sort(), PUBLIC)
  })

  test("each helper is the module's own, not a copy", () => {
    for (const name of PUBLIC.filter((name) => name !== "mountAll")) {
      const homes = Object.entries(MODULES).filter(([, module]) => module[name] === entry[name])
      assert.equal(homes.length, 1, `${name} should come from exactly one module`)
    }
  })
})

describe("mountAll", () => {
  let dom
  afterEach(() => {
    for (const root of dom.document.querySelectorAll("[data-uploader]")) controller.mounted(root)?.destroy()
    dom.uninstall()
  })

  const URLS = 'data-create-url="/c/" data-detail-url="/d/{id}/" data-complete-url="/d/{id}/complete/"'
  const uploader = (id) => `<div id="${id}" data-uploader ${URLS}><input type="file"><ul></ul></div>`

  test("mounts every uploader in the scope, and the scope itself, but never a formset's template", () => {
    dom = installDom()
    const section = dom.html(
      `<section id="scope" data-uploader ${URLS}><ul></ul>${uploader("id_images-0-image")}<div class="empty-form">${uploader("id_images-empty")}</div>${uploader("id_images-__prefix__-image")}</section>`,
    )
    dom.document.body.append(section)

    const instances = entry.mountAll(section)

    assert.deepEqual(
      instances.map((instance) => instance.element.id),
      ["scope", "id_images-0-image"],
    )
  })

  test("an uploader that cannot be mounted is reported, and the others still are", (t) => {
    dom = installDom()
    const errors = []
    t.mock.method(console, "error", (error) => errors.push(error.message))
    dom.document.body.append(dom.html(`<div><div id="broken" data-uploader></div>${uploader("fine")}</div>`))

    const instances = entry.mountAll(dom.document)

    assert.deepEqual(
      instances.map((instance) => instance.element.id),
      ["fine"],
    )
    assert.deepEqual(errors, ["[data-uploader] needs data-create-url, data-detail-url and data-complete-url."])
  })
})
