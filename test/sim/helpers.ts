import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../src/core/address.js'
import type { DatagramSocket, Env, StreamListener, StreamSocket } from '../../src/core/env.js'
import type { Result } from '../../src/core/result.js'
import type { OperationalError } from '../../src/core/errors.js'

/** The seed a test uses: SEED from the environment, else the test's own default. */
export function testSeed(fallback: number): number {
  const fromEnv = process.env['SEED']
  return fromEnv === undefined ? fallback : Number(fromEnv)
}

/**
 * A test that runs with a seed (SEED from the environment, else `fallback`) and, when any
 * assertion fails, says which seed to rerun it with.
 */
export function seededTest(name: string, fallback: number, body: (seed: number) => void): void {
  test(name, () => {
    const seed = testSeed(fallback)
    try {
      body(seed)
    } catch (error) {
      if (!(error instanceof assert.AssertionError)) throw error
      throw new assert.AssertionError({
        message: `${error.message}\nreproduce with SEED=${seed}`,
        actual: error.actual,
        expected: error.expected,
        operator: error.operator,
      })
    }
  })
}

export const MBPS = 1_000_000

/** Unwraps a callback result, failing loudly on an error. */
export function unwrap<T>(result: Result<T, OperationalError>, what: string): T {
  if (!result.ok) throw new Error(`${what} failed: ${result.error.code} ${result.error.message}`)
  return result.value
}

/** Binds a datagram socket; the socket is ready after the world runs an instant. */
export function bind(env: Env, port: number, got: (socket: DatagramSocket) => void): void {
  env.net.bindDatagram({ host: '0.0.0.0', port }, (result) => got(unwrap(result, 'bind')))
}

export function listen(
  env: Env,
  port: number,
  onConnection: (socket: StreamSocket) => void,
  got?: (listener: StreamListener) => void,
): void {
  env.net.listen({ host: '0.0.0.0', port }, onConnection, (result) =>
    got?.(unwrap(result, 'listen')),
  )
}

export const addr = (host: string, port: number): Address => ({ host, port })

/** Deterministic test bytes: byte i is (i * 31 + salt) mod 256. */
export function pattern(length: number, salt = 0): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 31 + salt) & 0xff
  return out
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
