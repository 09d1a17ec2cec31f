// How fast a batch travels, smoothed over the last few seconds, and how long the rest will take.
// Progress comes in bursts (one event per chunk a browser hands to the network), so a speed from
// two events in a row jumps about; a few seconds' worth of them does not.

/**
 * A speedometer: `add(bytes, now)` counts bytes sent at `now` (milliseconds), `speed(now)` is the
 * bytes per second over about the last `span` milliseconds: null until `settle` milliseconds have
 * been measured since `start(now)`, 0 once nothing came for a whole span.
 */
export function createSpeedometer({ span = 5000, settle = 1000 } = {}) {
  // [time, bytes sent since start], oldest first; the first one is the baseline.
  let samples = []
  let sent = 0
  let startedAt = null

  return {
    start(now) {
      samples = [[now, 0]]
      sent = 0
      startedAt = now
    },
    add(bytes, now) {
      if (startedAt === null) this.start(now)
      sent += bytes
      samples.push([now, sent])
    },
    speed(now) {
      if (startedAt === null || now - startedAt < settle) return null
      // The newest sample at least a span old is the baseline; older ones say nothing more.
      while (samples.length > 1 && samples[1][0] <= now - span) samples.shift()
      const [since, before] = samples[0]
      return now > since ? ((sent - before) * 1000) / (now - since) : null
    },
  }
}

/** Seconds until `remaining` bytes are sent at `speed` bytes per second; null at no known speed. */
export function secondsLeft(remaining, speed) {
  if (!speed || speed <= 0) return null
  return Math.max(0, remaining) / speed
}
