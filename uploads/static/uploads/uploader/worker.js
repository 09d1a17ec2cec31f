// Work that must not block the page (hashing a large file, resizing a photo) runs in a Web Worker
// built from source text. A Blob URL, not a worker file beside this module: a worker's script must
// come from the page's own origin, and static files may be served from another (a CDN, a bucket);
// nor would ManifestStaticFilesStorage hash a file named in `new URL()`.

/**
 * A worker kept for many questions, running `source` (a classic worker script that answers each
 * `{ id, message }` it is posted with one `{ id, ...reply }`). `ask(message)` resolves with that
 * reply's data (without the id); a worker that breaks rejects every open question, and every later
 * one, with its error or `failure` when it names none. `end()` terminates it, revokes its URL and
 * rejects what is still open.
 */
export function openWorker(source, { failure, Worker: Thread = globalThis.Worker } = {}) {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }))
  const worker = new Thread(url)
  const open = new Map()
  let asked = 0
  let broken = null

  function fail(error) {
    broken ??= error
    for (const { reject } of open.values()) reject(error)
    open.clear()
  }

  worker.onmessage = (event) => {
    const { id, ...reply } = event.data ?? {}
    const question = open.get(id)
    if (!question) return
    open.delete(id)
    question.resolve(reply)
  }
  worker.onerror = (event) => fail(new Error(event.message || failure))

  return {
    /** Questions not yet answered. */
    get busy() {
      return open.size
    },
    ask(message) {
      if (broken) return Promise.reject(broken)
      asked += 1
      const id = asked
      return new Promise((resolve, reject) => {
        open.set(id, { resolve, reject })
        worker.postMessage({ id, message })
      })
    },
    end() {
      worker.terminate()
      URL.revokeObjectURL(url)
      fail(new Error(failure || "the worker was ended"))
    },
  }
}

/**
 * Run `source` in a new worker for one question: post it `message` and resolve with the data of its
 * reply; reject with the worker's error, or `failure` when it names none. The worker is ended and
 * its URL revoked whatever happens.
 */
export async function runInWorker(source, message, options = {}) {
  const worker = openWorker(source, options)
  try {
    return await worker.ask(message)
  } finally {
    worker.end()
  }
}
