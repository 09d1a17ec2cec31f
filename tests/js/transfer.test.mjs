import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { UploadFailure } from "../../uploads/static/uploads/uploader/failure.js"
import { transferFile, transferStatusText } from "../../uploads/static/uploads/uploader/transfer.js"
import { FakeRequest, s3Error } from "./fakes.mjs"
import { MB } from "./support.mjs"

const file = new File(["jpeg bytes"], "shoe.jpg", { type: "image/jpeg", lastModified: 1700000000000 })
const presigned = { url: "https://bucket.s3.example/", fields: { key: "k" } }

const failure = (code, retryable = true) => new UploadFailure(`It failed: ${code}.`, { code, retryable })

/** The API as transfer.js calls it: each method answers with the next of its replies (an Error is thrown), and every call is recorded. */
function fakeApi(replies = {}) {
  const calls = []
  const defaults = {
    create: { id: "u1", upload: presigned, expires_at: "2999-01-01T00:00:00+00:00" },
    complete: { id: "u1", status: "uploaded" },
    renew: { id: "u1", upload: { url: presigned.url, fields: { key: "k", policy: "bmV3" } }, expires_at: "2999-01-01T00:00:00+00:00" },
    parts: { part_size: 4, part_count: 3, parts: [], missing: [1, 2, 3] },
  }
  const api = { calls }
  for (const method of Object.keys(defaults)) {
    const queue = [...(replies[method] ?? [])]
    api[method] = async (...args) => {
      calls.push([method, ...args.filter((arg) => !(arg && typeof arg === "object" && "signal" in arg))])
      const reply = queue.length ? queue.shift() : defaults[method]
      if (reply instanceof Error) throw reply
      return reply
    }
  }
  return api
}

/** A store (resume.js) that records what it is told. */
function fakeStore() {
  const said = []
  return { said, remember: (record) => said.push(["remember", record]), forget: (id) => said.push(["forget", id]) }
}

function run(job, api, overrides = {}) {
  const states = []
  const promise = transferFile(job, {
    api,
    profile: "product_image",
    maxSize: 10 * MB,
    signal: new AbortController().signal,
    onState: (state) => states.push(state),
    onProgress: () => {},
    hash: async () => "c2hhMjU2",
    send: async () => {},
    hold: () => () => {},
    ...overrides,
  })
  return { promise, states }
}

const methods = (api) => api.calls.map(([method]) => method)

describe("transferFile", () => {
  test("hashes, creates, sends and completes, naming each step", async () => {
    const api = fakeApi()
    const sent = []
    const job = { file }
    const { promise, states } = run(job, api, { send: async (...args) => sent.push(args) })

    assert.deepEqual(await promise, { id: "u1", status: "uploaded" })
    assert.deepEqual(states, ["checking", "uploading", "uploading", "verifying"])
    assert.deepEqual(api.calls, [
      [
        "create",
        {
          filename: "shoe.jpg",
          content_type: "image/jpeg",
          size: file.size,
          profile: "product_image",
          sha256: "c2hhMjU2",
        },
      ],
      ["complete", "u1"],
    ])
    const [target, sentFile, options] = sent[0]
    assert.deepEqual([target.upload, sentFile], [presigned, file])
    assert.deepEqual(options.limits, { maxSize: 10 * MB, size: file.size })
    assert.deepEqual([job.sha256, job.id, job.stored], ["c2hhMjU2", "u1", true])
  })

  test("hashes a file once, however many attempts it takes", async () => {
    let hashed = 0
    const job = { file, sha256: "ZWFybGllcg==" }
    await run(job, fakeApi(), { hash: async () => ((hashed += 1), "bmV3") }).promise
    assert.equal(hashed, 0)
    assert.equal(job.sha256, "ZWFybGllcg==")
  })

  test("declares, hashes and sends what prepare makes of the file, made once for every attempt", async () => {
    const resized = new File(["smaller"], "IMG_0042.jpg", { type: "image/jpeg" })
    const prepared = []
    const hashed = []
    const sent = []
    const job = { file: new File(["a 7 MB photo"], "IMG_0042", { type: "" }) }
    const options = {
      prepare: async (picked) => (prepared.push(picked), resized),
      hash: async (blob) => (hashed.push(blob), "c2hhMjU2"),
      send: async (target, blob) => {
        sent.push(blob)
        if (sent.length === 1) throw failure("SlowDown")
      },
    }
    const api = fakeApi()

    await assert.rejects(run(job, api, options).promise, { code: "SlowDown" })
    await run(job, api, options).promise

    assert.deepEqual(prepared, [job.file])
    assert.deepEqual(hashed, [resized])
    assert.deepEqual(sent, [resized, resized])
    assert.deepEqual(api.calls[0][1], {
      filename: "IMG_0042.jpg",
      content_type: "image/jpeg",
      size: resized.size,
      profile: "product_image",
      sha256: "c2hhMjU2",
    })
  })

  test("declares no digest where the browser could not compute one", async () => {
    const api = fakeApi()
    await run({ file }, api, { hash: async () => "" }).promise
    assert.equal("sha256" in api.calls[0][1], false)
  })

  test("does not hash whole a file the server takes in parts: its parts are hashed one by one", async () => {
    const api = fakeApi()
    await run({ file }, api, { multipartThreshold: 4, hash: async () => assert.fail("not hashed whole") }).promise
    assert.equal("sha256" in api.calls[0][1], false)
  })

  test("sends nothing for bytes the server already has", async () => {
    const duplicate = { id: "old", status: "uploaded", duplicate: true }
    const api = fakeApi({ create: [duplicate] })
    const job = { file }
    const { promise, states } = run(job, api, { send: async () => assert.fail("nothing to send") })
    assert.deepEqual(await promise, duplicate)
    assert.deepEqual(states, ["checking", "uploading"])
    assert.equal(job.id, undefined)
  })

  test("a failed send leaves the created upload's id for the caller to delete", async () => {
    const job = { file }
    const refusal = failure("SlowDown")
    const { promise } = run(job, fakeApi(), {
      send: async () => {
        throw refusal
      },
    })
    await assert.rejects(promise, refusal)
    assert.equal(job.id, "u1")
  })

  test("an attempt aborted while hashing creates nothing", async () => {
    const controller = new AbortController()
    const api = fakeApi()
    const { promise } = run({ file }, api, { signal: controller.signal, hash: async () => (controller.abort(), "") })
    await assert.rejects(promise, { name: "AbortError" })
    assert.deepEqual(api.calls, [])
  })

  test("remembers what recognises the file after a reload, until it is verified", async () => {
    const store = fakeStore()
    await run({ file }, fakeApi(), { store }).promise
    assert.deepEqual(store.said, [
      [
        "remember",
        {
          id: "u1",
          profile: "product_image",
          name: "shoe.jpg",
          size: file.size,
          type: "image/jpeg",
          lastModified: 1700000000000,
          partSize: 0,
          sha256: "c2hhMjU2",
        },
      ],
      ["forget", "u1"],
    ])
  })

  test("names the offline state's line; rows.js words the others", () => {
    assert.equal(transferStatusText("offline"), "Waiting for the connection…")
    assert.equal(transferStatusText("uploading"), undefined)
  })
})

describe("a file S3 took is never sent twice", () => {
  test("a verification that failed is asked again, and only that", async () => {
    const api = fakeApi({ complete: [failure("storage_unavailable")] })
    let sends = 0
    const job = { file }
    const send = async () => {
      sends += 1
    }

    await assert.rejects(run(job, api, { send }).promise, { code: "storage_unavailable" })
    const { promise, states } = run(job, api, { send })

    assert.deepEqual(await promise, { id: "u1", status: "uploaded" })
    assert.equal(sends, 1)
    assert.deepEqual(methods(api), ["create", "complete", "complete"])
    assert.deepEqual(states, ["verifying"])
  })

  test("a POST that got no reply may have arrived: the next attempt asks first, and S3 had it", async () => {
    const api = fakeApi()
    let sends = 0
    const job = { file }
    const send = async () => {
      sends += 1
      throw failure("network_error")
    }

    await assert.rejects(run(job, api, { send }).promise, { code: "network_error" })
    assert.deepEqual(await run(job, api, { send }).promise, { id: "u1", status: "uploaded" })
    assert.equal(sends, 1)
    assert.deepEqual(methods(api), ["create", "complete"])
  })

  test("…and when S3 did not have it, the file is sent again", async () => {
    const api = fakeApi({ complete: [failure("object_missing")] })
    let sends = 0
    const job = { file }
    const send = async () => {
      sends += 1
      if (sends === 1) throw failure("network_error")
    }

    await assert.rejects(run(job, api, { send }).promise, { code: "network_error" })
    await run(job, api, { send }).promise
    assert.equal(sends, 2)
    assert.deepEqual(methods(api), ["create", "complete", "complete"])
  })

  test("parts S3 turns out to lack at completion are sent by the next attempt", async () => {
    const api = fakeApi({ complete: [failure("parts_missing")] })
    let sends = 0
    const job = { file }
    const send = async () => {
      sends += 1
    }

    await assert.rejects(run(job, api, { send }).promise, { code: "parts_missing" })
    await run(job, api, { send }).promise
    assert.equal(sends, 2)
  })

  test("an upload finished meanwhile (the clean-up completed it) is only asked for its verdict", async () => {
    const api = fakeApi()
    let sends = 0
    const send = async () => {
      sends += 1
      throw failure("not_pending")
    }
    await run({ file }, api, { send }).promise
    assert.equal(sends, 1)
    assert.deepEqual(methods(api), ["create", "complete"])
  })

  test("an upload the clean-up expired before its file arrived starts over as a new one, once", async () => {
    const api = fakeApi({ create: [{ id: "u1", upload: presigned }, { id: "u2", upload: presigned }] })
    const store = fakeStore()
    const sent = []
    const send = async (target) => {
      sent.push(target.id)
      throw failure("upload_expired", false)
    }
    const job = { file }

    await assert.rejects(run(job, api, { send, store }).promise, { code: "upload_expired" })
    assert.deepEqual(sent, ["u1", "u2"])
    assert.deepEqual(methods(api), ["create", "create"])
    assert.deepEqual(store.said[1], ["forget", "u1"])
  })
})

describe("an expired policy", () => {
  const created = { id: "u1", upload: presigned, expires_at: "2026-01-01T10:00:00Z" }
  const options = (overrides) => ({ send: undefined, XMLHttpRequest: FakeRequest, ...overrides })

  // Plays S3 for each POST in turn: answers it with the next of `statuses` ([status, body]).
  function storage(...answers) {
    const posts = []
    class Storage extends FakeRequest {
      send(body) {
        posts.push(body.get("policy") ?? "")
        const [status, text] = answers.shift()
        setImmediate(() => this.answer(status, text))
      }
    }
    return { posts, Storage }
  }

  test("is renewed before the file is sent when it is known to have passed", async () => {
    const api = fakeApi({ create: [created] })
    const { posts, Storage } = storage([204])

    const now = () => Date.parse("2026-01-01T10:00:01Z")
    await run({ file }, api, options({ now, XMLHttpRequest: Storage })).promise

    assert.deepEqual(methods(api), ["create", "renew", "complete"])
    assert.deepEqual(posts, ["bmV3"])
  })

  test("is renewed when S3 says so, and the file sent again within the same attempt", async () => {
    const api = fakeApi({ create: [created] })
    const expired = s3Error("AccessDenied", "Invalid according to Policy: Policy expired")
    const { posts, Storage } = storage([403, expired], [204])

    const now = () => Date.parse("2026-01-01T09:59:00Z")
    await run({ file }, api, options({ now, XMLHttpRequest: Storage })).promise

    assert.deepEqual(methods(api), ["create", "renew", "complete"])
    assert.deepEqual(posts, ["", "bmV3"])
  })

  test("a second refusal after renewing is the attempt's failure", async () => {
    const api = fakeApi({ create: [created] })
    const expired = s3Error("AccessDenied", "Invalid according to Policy: Policy expired")
    const { Storage } = storage([403, expired], [403, expired])

    const now = () => Date.parse("2026-01-01T09:59:00Z")
    await assert.rejects(run({ file }, api, options({ now, XMLHttpRequest: Storage })).promise, {
      code: "AccessDenied",
    })
  })
})

describe("resuming an interrupted upload", () => {
  const record = { id: "old", name: "shoe.jpg", size: file.size, lastModified: file.lastModified, partSize: 0, sha256: "c2hhMjU2" }
  const single = { id: "old", status: "pending", filename: "shoe.jpg", size: file.size, sha256: "c2hhMjU2", multipart: null }

  function interrupted(upload, { withRecord = record } = {}) {
    const given = []
    return { given, resumeFrom: { upload, record: withRecord, giveBack: () => given.push(upload.id) } }
  }

  test("a single POST S3 took before the reload is only verified", async () => {
    const api = fakeApi({ complete: [{ id: "old", status: "uploaded" }] })
    const { resumeFrom } = interrupted(single)
    const job = { file, resumeFrom }

    const { promise } = run(job, api, { send: async () => assert.fail("S3 has it") })

    assert.deepEqual(await promise, { id: "old", status: "uploaded" })
    assert.deepEqual(api.calls, [["complete", "old"]])
    assert.equal(job.resumeFrom, null)
  })

  test("a single POST S3 never got is sent with a new policy", async () => {
    const api = fakeApi({ complete: [failure("object_missing"), { id: "old", status: "uploaded" }] })
    const { resumeFrom } = interrupted(single)
    const sent = []

    await run({ file, resumeFrom }, api, { send: undefined, XMLHttpRequest: sentBy(sent) }).promise

    assert.deepEqual(methods(api), ["complete", "renew", "complete"])
    assert.deepEqual(sent, ["bmV3"])
  })

  test("a file with other bytes gives the interrupted row back and starts an upload of its own", async () => {
    const api = fakeApi()
    const { resumeFrom, given } = interrupted({ ...single, sha256: "b3RoZXI=" })
    const job = { file, resumeFrom }

    await run(job, api).promise

    assert.deepEqual(given, ["old"])
    assert.deepEqual(methods(api), ["create", "complete"])
    assert.equal(job.id, "u1")
  })

  test("an upload in parts goes on with the parts S3 holds, once the first is found to be this file's", async () => {
    const held = [{ number: 2, size: 4, etag: "e2", sha256: "cGFydCAy" }]
    const api = fakeApi({ parts: [{ part_size: 4, part_count: 3, parts: held, missing: [1, 3] }] })
    const { resumeFrom, given } = interrupted(
      { ...single, multipart: undefined, sha256: "" },
      { withRecord: { ...record, partSize: 4 } },
    )
    const hashed = []
    const targets = []

    await run({ file, resumeFrom }, api, {
      hashPart: async (blob) => (hashed.push(await blob.text()), "cGFydCAy"),
      send: async (target) => targets.push(target),
    }).promise

    assert.deepEqual(given, [])
    assert.deepEqual(hashed, [" byt"])
    assert.deepEqual(methods(api), ["parts", "complete"])
    assert.deepEqual([targets[0].id, targets[0].multipart, targets[0].listed.parts], ["old", { part_size: 4 }, held])
    assert.deepEqual([...targets[0].digests], [[2, "cGFydCAy"]])
  })

  test("an upload in parts whose first held part is other bytes is given back", async () => {
    const held = [{ number: 1, size: 4, etag: "e1", sha256: "cGFydCAx" }]
    const api = fakeApi({ parts: [{ part_size: 4, part_count: 3, parts: held, missing: [2, 3] }] })
    const { resumeFrom, given } = interrupted({ ...single, multipart: { part_size: 4 } }, { withRecord: null })

    await run({ file, resumeFrom }, api, { hashPart: async () => "b3RoZXI=" }).promise

    assert.deepEqual(given, ["old"])
    assert.deepEqual(methods(api), ["parts", "create", "complete"])
  })

  test("without a record, the API says whether the upload went in parts", async () => {
    const api = fakeApi({ parts: [failure("not_multipart", false)], complete: [{ id: "old", status: "uploaded" }] })
    const { resumeFrom } = interrupted({ ...single, multipart: undefined }, { withRecord: null })

    await run({ file, resumeFrom }, api).promise

    assert.deepEqual(methods(api), ["parts", "complete"])
  })
})

/** An XMLHttpRequest that takes every POST (204) and records each one's policy field in `sent`. */
function sentBy(sent) {
  return class extends FakeRequest {
    send(body) {
      sent.push(body.get("policy"))
      setImmediate(() => this.answer(204))
    }
  }
}
