import assert from "node:assert/strict"
import { describe, test } from "node:test"

import { createSpeedometer, secondsLeft } from "../../uploads/static/uploads/uploader/speed.js"
import { MB } from "./support.mjs"

describe("the speedometer", () => {
  test("says nothing until a second has been measured", () => {
    const meter = createSpeedometer()
    assert.equal(meter.speed(0), null)
    meter.start(0)
    meter.add(MB, 500)
    assert.equal(meter.speed(900), null)
    assert.equal(meter.speed(1000), MB)
  })

  test("a steady 1 MB a second reads 1 MB/s, whatever the size of the bursts", () => {
    const meter = createSpeedometer()
    meter.start(0)
    for (let at = 250; at <= 10_000; at += 250) meter.add(MB / 4, at)
    assert.equal(meter.speed(10_000), MB)
  })

  test("is smoothed over the last five seconds: a burst moves it, it does not set it", () => {
    const meter = createSpeedometer()
    meter.start(0)
    for (let at = 1000; at <= 10_000; at += 1000) meter.add(MB, at)
    meter.add(4 * MB, 10_100) // one chunk the network took at once
    const speed = meter.speed(10_100)
    assert.ok(speed > MB && speed < 2.5 * MB, `${speed / MB} MB/s`)
  })

  test("follows a change of pace within the span", () => {
    const meter = createSpeedometer()
    meter.start(0)
    for (let at = 1000; at <= 10_000; at += 1000) meter.add(MB, at)
    for (let at = 11_000; at <= 20_000; at += 1000) meter.add(MB / 2, at)
    assert.equal(meter.speed(20_000), MB / 2)
  })

  test("falls to 0 once nothing came for a whole span", () => {
    const meter = createSpeedometer()
    meter.start(0)
    for (let at = 1000; at <= 5000; at += 1000) meter.add(MB, at)
    assert.ok(meter.speed(7000) > 0)
    assert.equal(meter.speed(10_000), 0)
  })

  test("starts over with a new batch", () => {
    const meter = createSpeedometer()
    meter.start(0)
    meter.add(10 * MB, 2000)
    meter.start(60_000)
    meter.add(MB, 61_000)
    assert.equal(meter.speed(62_000), MB / 2)
  })
})

describe("secondsLeft", () => {
  test("is what remains at the current speed", () => {
    assert.equal(secondsLeft(30 * MB, 3 * MB), 10)
    assert.equal(secondsLeft(0, MB), 0)
  })

  test("is unknown while the speed is unknown or nothing moves", () => {
    assert.equal(secondsLeft(MB, null), null)
    assert.equal(secondsLeft(MB, 0), null)
  })
})
