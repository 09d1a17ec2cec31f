// The app's JSON API, as the uploader uses it: create an upload, have it verified (complete), read
// it back (detail) and delete it. URLs come from the element's data- attributes, never from here.

import { UploadFailure, isRetryable } from "./failure.js"
import { gettext, interpolate } from "./i18n.js"

/** Put an upload id into a URL template such as "/uploads/api/uploads/{id}/". */
export function fillUrl(template, id) {
  return template.replaceAll("{id}", encodeURIComponent(id))
}

/** An API call's headers: JSON on every call that changes something, with a body or without (the API takes nothing else). */
export function apiHeaders(method, csrfToken) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken }
  if (method !== "GET" && method !== "HEAD") headers["Content-Type"] = "application/json"
  return headers
}

/** The value of cookie `name` in a `document.cookie` string, or "" when it is not set. */
export function readCookie(cookies, name = "csrftoken") {
  for (const pair of String(cookies ?? "").split(";")) {
    const at = pair.indexOf("=")
    if (at < 0 || pair.slice(0, at).trim() !== name) continue
    const value = pair.slice(at + 1).trim()
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  }
  return ""
}

/**
 * The CSRF token for an uploader's calls. The widget is rendered without one (it cannot know it),
 * so look at request time: the element, its form's csrfmiddlewaretoken, the page's, the cookie.
 */
export function csrfTokenFor(root, page = document) {
  const named = "input[name=csrfmiddlewaretoken]"
  return (
    root.dataset.csrfToken ||
    root.closest("form")?.querySelector(named)?.value ||
    page.querySelector(named)?.value ||
    readCookie(page.cookie)
  )
}

/** A sentence for the user about a failed API call: the server's own message when it sent one. */
export function apiErrorMessage(status, json) {
  const message = json?.error?.message
  if (typeof message === "string" && message.trim()) return message
  if (!status) return gettext("Could not reach the server. Check your connection and try again.")
  if (status >= 500) {
    return interpolate(gettext("The server had a problem (HTTP %(status)s). Try again in a moment."), { status })
  }
  return interpolate(gettext("Unexpected reply from the server (HTTP %(status)s)."), { status })
}

/** The UploadFailure of an API reply with `status` (0: none came) and its JSON body, if any. */
export function apiFailure(status, json) {
  const code = json?.error?.code ?? (status ? `http_${status}` : "network_error")
  return new UploadFailure(apiErrorMessage(status, json), { code, retryable: isRetryable({ status, code }) })
}

/**
 * A client for one uploader's API URLs ({ createUrl, detailUrl, completeUrl }); `csrfToken()` is
 * asked at each call. Every call resolves with the reply's JSON ({} for 204), or rejects with an
 * UploadFailure, or with the signal's AbortError when the call was aborted.
 */
export function createApi(
  { createUrl, detailUrl, completeUrl },
  csrfToken,
  { fetch: send = (...args) => fetch(...args) } = {},
) {
  async function request(url, { method, json, signal, keepalive }) {
    const headers = apiHeaders(method, csrfToken())
    let response
    try {
      response = await send(url, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        credentials: "same-origin",
        signal,
        keepalive,
      })
    } catch (error) {
      if (error.name === "AbortError") throw error
      throw apiFailure(0, null)
    }
    const body = response.status === 204 ? {} : await response.json().catch(() => null)
    signal?.throwIfAborted()
    if (!response.ok || body === null) throw apiFailure(response.status, body)
    return body
  }

  return {
    /** A new pending upload for the file `declared` ({ filename, content_type, size, profile, sha256? }). */
    create(declared, { signal } = {}) {
      return request(createUrl, { method: "POST", json: declared, signal })
    },
    /** Ask the server to verify what arrived in storage; resolves with the upload. */
    complete(id, { signal } = {}) {
      return request(fillUrl(completeUrl, id), { method: "POST", signal })
    },
    detail(id, { signal } = {}) {
      return request(fillUrl(detailUrl, id), { method: "GET", signal })
    },
    /** Kept alive, so a delete sent as the page unloads still arrives. */
    delete(id) {
      return request(fillUrl(detailUrl, id), { method: "DELETE", keepalive: true })
    },
  }
}
