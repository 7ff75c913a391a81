import type { Address } from '../../src/core/address.js'
import type { DatagramSocket, Env, StreamListener, StreamSocket } from '../../src/core/env.js'
import type { Result } from '../../src/core/result.js'
import type { OperationalError } from '../../src/core/errors.js'
import { SimWorld, type SimWorldOptions } from '../../src/sim/world.js'

/** The seed a test uses: SEED from the environment, else the test's own default. */
export function testSeed(fallback: number): number {
  const fromEnv = process.env['SEED']
  return fromEnv === undefined ? fallback : Number(fromEnv)
}

/** A world with fast symmetric hosts unless told otherwise. */
export function makeWorld(options: Partial<SimWorldOptions> & { seed: number }): SimWorld {
  return new SimWorld(options)
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
