// Stand-ins for S3 and the API that several test files share.

/** An S3 XML error body. */
export function s3Error(code, message, extra = "") {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>4442587FB7D0A2F9</RequestId><HostId>eW91IGZvdW5kIGl0</HostId></Error>`
}

/** An XMLHttpRequest stand-in: records what was sent and lets the test play S3's part. */
export class FakeRequest extends EventTarget {
  static last = null

  constructor() {
    super()
    this.upload = new EventTarget()
    this.aborted = false
    this.headers = {}
    this.responseHeaders = {}
    FakeRequest.last = this
  }

  open(method, url) {
    Object.assign(this, { method, url })
  }

  setRequestHeader(name, value) {
    this.headers[name] = value
  }

  getResponseHeader(name) {
    return this.responseHeaders[name] ?? null
  }

  send(body) {
    this.body = body
  }

  abort() {
    this.aborted = true
  }

  answer(status, responseText = "", responseHeaders = {}) {
    Object.assign(this, { status, responseText, responseHeaders })
    this.dispatchEvent(new Event("load"))
  }

  progress(loaded, total) {
    this.upload.dispatchEvent(Object.assign(new Event("progress"), { lengthComputable: true, loaded, total }))
  }
}
