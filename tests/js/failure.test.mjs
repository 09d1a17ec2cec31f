import assert from "node:assert/strict"
import { describe, test } from "node:test"

import {
  UploadFailure,
  describeFailure,
  isPolicyExpired,
  isRetryable,
} from "../../uploads/static/uploads/uploader/failure.js"

describe("isRetryable", () => {
  test("network failures, 5xx and 409 object_missing are retryable", () => {
    assert.equal(isRetryable({ status: 0, code: "network_error" }), true)
    assert.equal(isRetryable({ status: 500, code: "server_error" }), true)
    assert.equal(isRetryable({ status: 503, code: "storage_unavailable" }), true)
    assert.equal(isRetryable({ status: 502, code: "" }), true)
    assert.equal(isRetryable({ status: 409, code: "object_missing" }), true)
  })

  test("an expired policy is retryable because a retry signs a new one", () => {
    const failure = { status: 403, code: "AccessDenied", message: "Invalid according to Policy: Policy expired." }
    assert.equal(isRetryable(failure), true)
  })

  test("S3's transient codes are retryable", () => {
    assert.equal(isRetryable({ status: 400, code: "RequestTimeout" }), true)
    assert.equal(isRetryable({ status: 503, code: "SlowDown" }), true)
    assert.equal(isRetryable({ status: 500, code: "InternalError" }), true)
    assert.equal(isRetryable({ status: 503, code: "ServiceUnavailable" }), true)
  })

  test("refusals that a retry would repeat are not retryable", () => {
    assert.equal(isRetryable({ status: 413, code: "too_large" }), false)
    assert.equal(isRetryable({ status: 415, code: "unsupported_type" }), false)
    assert.equal(isRetryable({ status: 422, code: "verification_failed" }), false)
    assert.equal(isRetryable({ status: 400, code: "invalid" }), false)
    assert.equal(isRetryable({ status: 403, code: "csrf_failed" }), false)
    assert.equal(isRetryable({ status: 404, code: "not_found" }), false)
    assert.equal(isRetryable({ status: 400, code: "EntityTooLarge" }), false)
    assert.equal(isRetryable({ status: 400, code: "EntityTooSmall" }), false)
    assert.equal(isRetryable({ status: 403, code: "SignatureDoesNotMatch" }), false)
    assert.equal(isRetryable({ status: 404, code: "NoSuchBucket" }), false)
  })

  test("AccessDenied for anything but an expired policy is not retryable", () => {
    assert.equal(isRetryable({ status: 403, code: "AccessDenied", message: "Access Denied" }), false)
    assert.equal(
      isRetryable({
        status: 403,
        code: "AccessDenied",
        message: "Invalid according to Policy: Policy Condition failed",
      }),
      false,
    )
  })
})

describe("isPolicyExpired", () => {
  test("is S3's AccessDenied naming the expired policy, in any case", () => {
    assert.equal(
      isPolicyExpired({ code: "AccessDenied", message: "Invalid according to Policy: Policy expired." }),
      true,
    )
    assert.equal(isPolicyExpired({ code: "AccessDenied", message: "POLICY EXPIRED" }), true)
  })

  test("is not another refusal, nor the words under another code", () => {
    assert.equal(isPolicyExpired({ code: "AccessDenied", message: "Access Denied" }), false)
    assert.equal(isPolicyExpired({ code: "AccessDenied" }), false)
    assert.equal(isPolicyExpired({ code: "InvalidPolicyDocument", message: "Policy expired" }), false)
  })
})

describe("describeFailure", () => {
  test("an UploadFailure is told as it is", () => {
    const failure = new UploadFailure("The storage is busy. Try again in a moment.", {
      code: "SlowDown",
      retryable: true,
    })
    assert.deepEqual(describeFailure(failure), {
      code: "SlowDown",
      message: "The storage is busy. Try again in a moment.",
      retryable: true,
    })
  })

  test("anything else is an unexpected stop the user may retry", () => {
    assert.deepEqual(describeFailure(new TypeError("row.li is undefined")), {
      code: "client_error",
      message: "The upload stopped unexpectedly: row.li is undefined",
      retryable: true,
    })
  })
})

describe("UploadFailure", () => {
  test("is an Error with its code and whether a retry could help", () => {
    const failure = new UploadFailure("Nope.", { code: "too_large", retryable: false })
    assert.ok(failure instanceof Error)
    assert.equal(failure.name, "UploadFailure")
    assert.equal(failure.message, "Nope.")
    assert.equal(failure.code, "too_large")
    assert.equal(failure.retryable, false)
  })
})
