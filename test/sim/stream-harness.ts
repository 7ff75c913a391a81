import assert from 'node:assert/strict'
import type { StreamSocket } from '../../src/core/env.js'
import type { SimHost } from '../../src/sim/host.js'
import type { SimWorld } from '../../src/sim/world.js'
import { addr, listen, unwrap } from './helpers.js'

/** Both ends of one connection, with what each received and how each closed. */
export interface Connection {
  readonly client: StreamSocket
  readonly server: StreamSocket
  readonly clientGot: Uint8Array[]
  readonly serverGot: Uint8Array[]
  readonly closes: string[]
}

/**
 * Listens on `port` of `to` (one listener per call: use a new port for each connection to the
 * same host), connects from `from`, and runs until both ends exist.
 */
export function connectPair(world: SimWorld, from: SimHost, to: SimHost, port = 80): Connection {
  const state: { client?: StreamSocket; server?: StreamSocket } = {}
  const clientGot: Uint8Array[] = []
  const serverGot: Uint8Array[] = []
  const closes: string[] = []
  listen(to.env, port, (socket) => {
    state.server = socket
    socket.onData((bytes) => serverGot.push(bytes))
    socket.onClose((reason) => closes.push(`server:${reason}@${world.now()}`))
  })
  world.run({ until: world.now() })
  from.env.net.connect(addr(to.publicAddress, port), (result) => {
    const socket = unwrap(result, 'connect')
    state.client = socket
    socket.onData((bytes) => clientGot.push(bytes))
    socket.onClose((reason) => closes.push(`client:${reason}@${world.now()}`))
  })
  for (let i = 0; i < STEPS_TO_CONNECT_MAX && state.server === undefined; i++) {
    world.run({ stepsMax: 1 })
  }
  const { client, server } = state
  assert.ok(client !== undefined && server !== undefined, 'connection established')
  return { client, server, clientGot, serverGot, closes }
}

const STEPS_TO_CONNECT_MAX = 10_000

/** Writes `bytes` in `pieces`, respecting backpressure; calls `done` after the last write. */
export function writeAll(
  socket: StreamSocket,
  bytes: Uint8Array,
  pieceBytes: number,
  done?: () => void,
): void {
  let offset = 0
  const pump = (): void => {
    while (offset < bytes.length) {
      const piece = bytes.subarray(offset, offset + pieceBytes)
      offset += piece.length
      if (!socket.write(piece)) return
    }
    done?.()
  }
  socket.onDrain(pump)
  pump()
}

export function totalBytes(parts: readonly Uint8Array[]): number {
  let sum = 0
  for (const part of parts) sum += part.length
  return sum
}
