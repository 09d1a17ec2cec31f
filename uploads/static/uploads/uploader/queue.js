// How many files travel at once (data-parallel): the rest wait their turn, in the order picked.

/**
 * Runs async tasks at most `limit` at a time, in the order given.
 * `run(task, { signal })` resolves or rejects with the task; aborting the signal
 * while the task waits drops it unstarted and rejects with the signal's reason.
 */
export function createQueue(limit) {
  const waiting = []
  let running = 0

  function next() {
    while (running < limit && waiting.length > 0) {
      const job = waiting.shift()
      job.started()
      running += 1
      Promise.resolve()
        .then(job.task)
        .then(job.resolve, job.reject)
        .finally(() => {
          running -= 1
          next()
        })
    }
  }

  function run(task, { signal } = {}) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const onAbort = () => {
        waiting.splice(waiting.indexOf(job), 1)
        reject(signal.reason)
      }
      const job = { task, resolve, reject, started: () => signal?.removeEventListener("abort", onAbort) }
      signal?.addEventListener("abort", onAbort, { once: true })
      waiting.push(job)
      next()
    })
  }

  return {
    run,
    get running() {
      return running
    },
    get waiting() {
      return waiting.length
    },
  }
}
