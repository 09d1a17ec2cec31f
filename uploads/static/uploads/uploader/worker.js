// Work that must not block the page (hashing a large file, resizing a photo) runs in a
// one-off Web Worker built from source text. A Blob URL, not a worker file beside this module: a
// worker's script must come from the page's own origin, and static files may be served from
// another (a CDN, a bucket); nor would ManifestStaticFilesStorage hash a file named in `new URL()`.

/**
 * Run `source` (a classic worker script) in a new worker, post it `message`, and resolve with the
 * data of its first reply; reject with the worker's error, or `failure` when it names none. The
 * worker is ended and its URL revoked whatever happens.
 */
export async function runInWorker(source, message, { failure, Worker: Thread = globalThis.Worker } = {}) {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }))
  const worker = new Thread(url)
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data)
      worker.onerror = (event) => reject(new Error(event.message || failure))
      worker.postMessage(message)
    })
  } finally {
    worker.terminate()
    URL.revokeObjectURL(url)
  }
}
