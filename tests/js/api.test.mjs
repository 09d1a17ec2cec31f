import assert from "node:assert/strict"
import { afterEach, describe, test } from "node:test"

import {
  apiErrorMessage,
  apiFailure,
  apiHeaders,
  createApi,
  csrfTokenFor,
  fillUrl,
  readCookie,
  uploadUrls,
} from "../../uploads/static/uploads/uploader/api.js"
import { UploadFailure } from "../../uploads/static/uploads/uploader/failure.js"
import { installDom } from "./fake-dom.mjs"
import { installCatalogue } from "./support.mjs"

const URLS = {
  createUrl: "/uploads/api/uploads/",
  detailUrl: "/uploads/api/uploads/{id}/",
  completeUrl: "/uploads/api/uploads/{id}/complete/",
}

/** A fetch that answers each call with the next of `replies` ({ status, json } or an Error to throw) and records the calls. */
function fakeFetch(...replies) {
  const calls = []
  const send = async (url, init) => {
    calls.push({ url, ...init })
    const reply = replies.shift()
    if (reply instanceof Error) throw reply
    const { status, json } = reply
    return {
      status,
      ok: status >= 200 && status < 300,
      json: async () => (json === undefined ? JSON.parse("not json") : json),
    }
  }
  return { send, calls }
}

describe("fillUrl", () => {
  test("puts the id where {id} is", () => {
    const id = "6f1c2b0e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"
    assert.equal(fillUrl("/uploads/api/uploads/{id}/", id), `/uploads/api/uploads/${id}/`)
    assert.equal(fillUrl("/uploads/api/uploads/{id}/complete/", id), `/uploads/api/uploads/${id}/complete/`)
  })

  test("escapes an id that is not URL-safe", () => {
    assert.equal(fillUrl("/u/{id}/", "a/b?c"), "/u/a%2Fb%3Fc/")
  })
})

describe("apiHeaders", () => {
  test("every call that changes something says it sends JSON, even without a body", () => {
    const json = { Accept: "application/json", "X-CSRFToken": "t0k", "Content-Type": "application/json" }
    assert.deepEqual(apiHeaders("POST", "t0k"), json)
    assert.deepEqual(apiHeaders("DELETE", "t0k"), json)
  })

  test("a read sends no content type", () => {
    assert.deepEqual(apiHeaders("GET", "t0k"), { Accept: "application/json", "X-CSRFToken": "t0k" })
  })
})

describe("readCookie", () => {
  test("finds Django's csrftoken among other cookies", () => {
    assert.equal(readCookie("sessionid=abc; csrftoken=T0k3n; theme=dark"), "T0k3n")
    assert.equal(readCookie("csrftoken=first"), "first")
  })

  test("ignores a cookie whose name only ends or starts with csrftoken", () => {
    assert.equal(readCookie("xcsrftoken=wrong; csrftoken2=wrong; csrftoken=right"), "right")
  })

  test("decodes a percent-encoded value, and keeps one that is not valid encoding", () => {
    assert.equal(readCookie("csrftoken=a%2Bb%3D"), "a+b=")
    assert.equal(readCookie("csrftoken=100%"), "100%")
  })

  test("keeps an = inside the value", () => {
    assert.equal(readCookie("csrftoken=a=b"), "a=b")
  })

  test("is empty when the cookie is missing", () => {
    assert.equal(readCookie(""), "")
    assert.equal(readCookie("sessionid=abc"), "")
    assert.equal(readCookie(undefined), "")
  })

  test("reads another name when asked", () => {
    assert.equal(readCookie("csrftoken=a; my_csrf=b", "my_csrf"), "b")
  })
})

describe("csrfTokenFor", () => {
  let dom
  afterEach(() => dom?.uninstall())

  test("prefers the element's own token, then its form's, then the page's, then the cookie", () => {
    dom = installDom()
    const { document, html } = dom
    const page = html('<main><input name="csrfmiddlewaretoken" value="page"></main>')
    const form = html(
      '<form><input name="csrfmiddlewaretoken" value="form"><div data-uploader data-csrf-token="own"></div></form>',
    )
    document.body.append(page, form)
    document.cookie = "csrftoken=cookie"
    const root = form.querySelector("[data-uploader]")
    // The fake DOM keeps attributes as written; an input's value is a property in a browser.
    for (const input of document.querySelectorAll("input")) input.value = input.getAttribute("value")

    assert.equal(csrfTokenFor(root), "own")
    root.removeAttribute("data-csrf-token")
    assert.equal(csrfTokenFor(root), "form")
    form.querySelector("input").remove()
    assert.equal(csrfTokenFor(root), "page")
    page.remove()
    assert.equal(csrfTokenFor(root), "cookie")
  })
})

describe("apiErrorMessage", () => {
  afterEach(() => {
    delete globalThis.django
  })

  test("shows the server's message verbatim", () => {
    const json = { error: { code: "too_large", message: "File is 12.4 MB; the limit is 10 MB.", field: "size" } }
    assert.equal(apiErrorMessage(413, json), "File is 12.4 MB; the limit is 10 MB.")
  })

  test("shows a verification failure verbatim", () => {
    const json = {
      error: {
        code: "verification_failed",
        message: "The file is not a PNG image: its contents show it is a JPEG image.",
        field: null,
      },
    }
    assert.equal(apiErrorMessage(422, json), "The file is not a PNG image: its contents show it is a JPEG image.")
  })

  test("status 0 without JSON is an unreachable server", () => {
    assert.equal(apiErrorMessage(0, null), "Could not reach the server. Check your connection and try again.")
  })

  test("a 5xx without JSON asks to try again", () => {
    assert.equal(apiErrorMessage(502, null), "The server had a problem (HTTP 502). Try again in a moment.")
  })

  test("a 4xx without a usable message names the status", () => {
    assert.equal(apiErrorMessage(403, null), "Unexpected reply from the server (HTTP 403).")
    assert.equal(apiErrorMessage(400, { detail: "not our shape" }), "Unexpected reply from the server (HTTP 400).")
    assert.equal(
      apiErrorMessage(400, { error: { code: "invalid", message: "  " } }),
      "Unexpected reply from the server (HTTP 400).",
    )
  })

  test("with the catalogue, the client's own sentences are translated", () => {
    installCatalogue({ "Could not reach the server. Check your connection and try again.": "Serveur injoignable." })
    assert.equal(apiErrorMessage(0, null), "Serveur injoignable.")
  })
})

describe("apiFailure", () => {
  test("carries the server's error code, retryable when the server may do better next time", () => {
    const failure = apiFailure(409, { error: { code: "object_missing", message: "The file has not arrived yet." } })
    assert.ok(failure instanceof UploadFailure)
    assert.deepEqual(
      [failure.code, failure.message, failure.retryable],
      ["object_missing", "The file has not arrived yet.", true],
    )
  })

  test("names the HTTP status, or the network, when the reply has no code", () => {
    assert.deepEqual([apiFailure(502, null).code, apiFailure(502, null).retryable], ["http_502", true])
    assert.deepEqual([apiFailure(0, null).code, apiFailure(0, null).retryable], ["network_error", true])
    assert.deepEqual([apiFailure(403, null).code, apiFailure(403, null).retryable], ["http_403", false])
  })
})

describe("the API client", () => {
  test("creates an upload by POSTing the declared file as JSON, with the token asked at call time", async () => {
    const { send, calls } = fakeFetch({ status: 201, json: { id: "u1", upload: {} } })
    let token = "first"
    const api = createApi(URLS, () => token, { fetch: send })
    token = "t0k"

    const created = await api.create({ filename: "shoe.jpg", content_type: "image/jpeg", size: 3, profile: "default" })

    assert.deepEqual(created, { id: "u1", upload: {} })
    assert.deepEqual(calls, [
      {
        url: "/uploads/api/uploads/",
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": "t0k", "Content-Type": "application/json" },
        body: '{"filename":"shoe.jpg","content_type":"image/jpeg","size":3,"profile":"default"}',
        credentials: "same-origin",
        signal: undefined,
        keepalive: undefined,
      },
    ])
  })

  test("completes, reads and deletes an upload at its own URL", async () => {
    const { send, calls } = fakeFetch(
      { status: 200, json: { status: "uploaded" } },
      { status: 200, json: {} },
      { status: 204 },
    )
    const api = createApi(URLS, () => "t0k", { fetch: send })
    const { signal } = new AbortController()

    assert.deepEqual(await api.complete("u1", { signal }), { status: "uploaded" })
    await api.detail("u1")
    assert.deepEqual(await api.delete("u1"), {})

    assert.deepEqual(
      calls.map(({ url, method, body, signal, keepalive }) => ({ url, method, body, signal, keepalive })),
      [
        { url: "/uploads/api/uploads/u1/complete/", method: "POST", body: undefined, signal, keepalive: undefined },
        { url: "/uploads/api/uploads/u1/", method: "GET", body: undefined, signal: undefined, keepalive: undefined },
        // Kept alive: a delete sent as the page unloads must still arrive.
        { url: "/uploads/api/uploads/u1/", method: "DELETE", body: undefined, signal: undefined, keepalive: true },
      ],
    )
    assert.equal(calls[1].headers["Content-Type"], undefined)
  })

  test("an error reply rejects with the server's code and message", async () => {
    const json = { error: { code: "too_large", message: "File is 12.4 MB; the limit is 10 MB.", field: "size" } }
    const api = createApi(URLS, () => "", { fetch: fakeFetch({ status: 413, json }).send })

    await assert.rejects(api.create({}), {
      name: "UploadFailure",
      code: "too_large",
      retryable: false,
      message: json.error.message,
    })
  })

  test("a reply that is not JSON is a failure with its status", async () => {
    const api = createApi(URLS, () => "", { fetch: fakeFetch({ status: 200 }).send })

    await assert.rejects(api.complete("u1"), {
      code: "http_200",
      message: "Unexpected reply from the server (HTTP 200).",
    })
  })

  test("no reply at all is a network failure worth retrying", async () => {
    const api = createApi(URLS, () => "", { fetch: fakeFetch(new TypeError("Failed to fetch")).send })

    await assert.rejects(api.create({}), { code: "network_error", retryable: true })
  })

  test("an aborted call rejects with the AbortError, not a failure to show", async () => {
    const aborted = new DOMException("The user aborted a request.", "AbortError")
    const api = createApi(URLS, () => "", { fetch: fakeFetch(aborted).send })

    await assert.rejects(api.complete("u1", { signal: AbortSignal.abort() }), { name: "AbortError" })
  })

  test("a reply that arrives after the call was aborted is dropped", async () => {
    const controller = new AbortController()
    const send = async () => {
      controller.abort()
      return { status: 200, ok: true, json: async () => ({ status: "uploaded" }) }
    }
    const api = createApi(URLS, () => "", { fetch: send })

    await assert.rejects(api.complete("u1", { signal: controller.signal }), { name: "AbortError" })
  })
})

describe("apiFailure of uploads in parts", () => {
  test("a part declared with other bytes, or a call for the other kind of upload, is not worth retrying", () => {
    for (const code of ["part_changed", "not_multipart", "sent_in_parts"]) {
      assert.equal(apiFailure(409, { error: { code, message: "No." } }).retryable, false, code)
    }
  })

  test("parts missing at completion are worth another attempt: it sends them", () => {
    assert.equal(apiFailure(409, { error: { code: "parts_missing", message: "2 parts…" } }).retryable, true)
  })
})

describe("uploadUrls", () => {
  test("takes the element's parts and renew URLs", () => {
    assert.deepEqual(uploadUrls({ ...URLS, partsUrl: "/p/{id}/", renewUrl: "/r/{id}/" }), {
      partsUrl: "/p/{id}/",
      renewUrl: "/r/{id}/",
    })
  })

  test("without them, puts them under the detail URL as the app's URLconf does", () => {
    assert.deepEqual(uploadUrls(URLS), {
      partsUrl: "/uploads/api/uploads/{id}/parts/",
      renewUrl: "/uploads/api/uploads/{id}/renew/",
    })
  })
})

describe("the API client, for uploads that outlast one request", () => {
  const summary = (calls) => calls.map(({ url, method, body }) => [method, url, body])

  test("asks which parts S3 holds, and signs parts by number and digest", async () => {
    const { send, calls } = fakeFetch({ status: 200, json: { parts: [] } }, { status: 200, json: { parts: [] } })
    const api = createApi(URLS, () => "t0k", { fetch: send })

    await api.parts("u1")
    await api.signParts("u1", [{ number: 2, sha256: "c2hh" }])

    assert.deepEqual(summary(calls), [
      ["GET", "/uploads/api/uploads/u1/parts/", undefined],
      ["POST", "/uploads/api/uploads/u1/parts/", '{"parts":[{"number":2,"sha256":"c2hh"}]}'],
    ])
  })

  test("renews a policy with a POST of nothing", async () => {
    const { send, calls } = fakeFetch({ status: 200, json: { upload: {} } })
    await createApi(URLS, () => "t0k", { fetch: send }).renew("u1")
    assert.deepEqual(summary(calls), [["POST", "/uploads/api/uploads/u1/renew/", undefined]])
  })

  test("lists the pending uploads of a profile as the server filters them, following its next links", async () => {
    const { send, calls } = fakeFetch(
      {
        status: 200,
        json: {
          results: [{ id: "a", status: "pending", profile: "poster" }, { id: "b", status: "pending", profile: "poster" }],
          next: "http://testserver/uploads/api/uploads/?status=pending&profile=poster&page=2",
        },
      },
      { status: 200, json: { results: [{ id: "c", status: "pending", profile: "poster" }], next: null } },
    )

    const found = await createApi(URLS, () => "t0k", { fetch: send }).pending("poster")

    // The page filters nothing itself: what the server lists for the query is what it shows.
    assert.deepEqual(found.map((upload) => upload.id), ["a", "b", "c"])
    assert.deepEqual(
      calls.map(({ url, method }) => [method, url]),
      [
        ["GET", "/uploads/api/uploads/?status=pending&profile=poster"],
        ["GET", "http://testserver/uploads/api/uploads/?status=pending&profile=poster&page=2"],
      ],
    )
  })

  test("names the profile in the query as a URL value, beside a query the list URL already has", async () => {
    const { send, calls } = fakeFetch({ status: 200, json: { results: [], next: null } })
    const urls = { ...URLS, createUrl: "/uploads/api/uploads/?lang=de" }

    await createApi(urls, () => "t0k", { fetch: send }).pending("a&b c")

    assert.deepEqual(calls.map(({ url }) => url), ["/uploads/api/uploads/?lang=de&status=pending&profile=a%26b+c"])
  })

  test("reads a few pages of pending uploads at most", async () => {
    const page = { status: 200, json: { results: [], next: "/uploads/api/uploads/?page=2" } }
    const { send, calls } = fakeFetch(page, page, page, page)
    await createApi(URLS, () => "t0k", { fetch: send }).pending("default")
    assert.equal(calls.length, 3)
  })
})
