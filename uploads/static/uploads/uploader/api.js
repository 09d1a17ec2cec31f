// The app's JSON API, as the uploader uses it: create an upload, have it verified (complete), read
// it back (detail), delete it; list the pending ones; ask which parts S3 holds, sign parts, renew a
// policy. URLs come from the element's data- attributes, never from here.

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

// Conflicts a retry would only repeat: a part declared with other bytes, a call for the other kind of upload.
const FINAL_CONFLICTS = new Set(["part_changed", "not_multipart", "sent_in_parts"])

/** The UploadFailure of an API reply with `status` (0: none came) and its JSON body, if any. */
export function apiFailure(status, json) {
  const code = json?.error?.code ?? (status ? `http_${status}` : "network_error")
  const retryable = isRetryable({ status, code }) && !FINAL_CONFLICTS.has(code)
  return new UploadFailure(apiErrorMessage(status, json), { code, retryable })
}

/**
 * The URL templates of the calls on one upload's parts and policy: the element's data-parts-url and
 * data-renew-url, else the detail URL's "parts/" and "renew/", as the app's URLconf names them.
 */
export function uploadUrls({ detailUrl, partsUrl, renewUrl }) {
  return { partsUrl: partsUrl || `${detailUrl}parts/`, renewUrl: renewUrl || `${detailUrl}renew/` }
}

// Pages of the list read for pending uploads: a seller rarely leaves more than a few unfinished.
const PENDING_PAGES = 3

/**
 * A client for one uploader's API URLs ({ createUrl, detailUrl, completeUrl, partsUrl?, renewUrl? });
 * `csrfToken()` is asked at each call. Every call resolves with the reply's JSON ({} for 204), or
 * rejects with an UploadFailure, or with the signal's AbortError when the call was aborted.
 */
export function createApi(urls, csrfToken, { fetch: send = (...args) => fetch(...args) } = {}) {
  const { createUrl, detailUrl, completeUrl } = urls
  const { partsUrl, renewUrl } = uploadUrls(urls)
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
    /** Kept alive, so a delete sent as the page unloads still arrives. An upload in parts is aborted. */
    delete(id) {
      return request(fillUrl(detailUrl, id), { method: "DELETE", keepalive: true })
    },
    /**
     * The user's pending uploads of `profile`, newest first, a few pages at most: the server filters
     * the list (?status=pending&profile=…) and its next links keep the filter, so every page read
     * holds only those.
     */
    async pending(profile, { signal } = {}) {
      const query = new URLSearchParams({ status: "pending", profile })
      let url = `${createUrl}${createUrl.includes("?") ? "&" : "?"}${query}`
      const found = []
      for (let page = 0; url && page < PENDING_PAGES; page += 1) {
        const body = await request(url, { method: "GET", signal })
        found.push(...(Array.isArray(body.results) ? body.results : []))
        url = body.next
      }
      return found
    },
    /** What S3 holds of an upload in parts: { part_size, part_count, parts: [{ number, size, sha256 }], missing }. */
    parts(id, { signal } = {}) {
      return request(fillUrl(partsUrl, id), { method: "GET", signal })
    },
    /** PUT URLs for `parts` ([{ number, sha256 }]): { expires_at, parts: [{ number, size, url, headers }] }. */
    signParts(id, parts, { signal } = {}) {
      return request(fillUrl(partsUrl, id), { method: "POST", json: { parts }, signal })
    },
    /** A new POST policy for a pending upload sent in one piece: { upload: { url, fields }, expires_at }. */
    renew(id, { signal } = {}) {
      return request(fillUrl(renewUrl, id), { method: "POST", signal })
    },
  }
}
