import assert from 'node:assert/strict'
import type { Address } from '../../src/core/address.js'
import type { Disk, Env } from '../../src/core/env.js'
import type { OperationalError } from '../../src/core/errors.js'
import type { Result } from '../../src/core/result.js'
import { seconds } from '../../src/core/time.js'
import { Peer } from '../../src/peer/peer.js'
import type { PeerApi, PeerConfig, PeerEvent } from '../../src/peer/types.js'
import {
  buildInfoDict,
  buildTorrent,
  PieceHasher,
} from '../../src/protocols/bittorrent/metainfo/index.js'
import { SimDisk } from '../../src/sim/disk/sim-disk.js'
import type { SimHost } from '../../src/sim/host.js'
import type { SimWorld } from '../../src/sim/world.js'
import { pattern, unwrap } from './helpers.js'

export const LISTEN_PORT = 6881
/**
 * Running torrents keep timers armed (ticks, rechokes), so the world is never idle once a
 * peer runs one: calls run the world for this long instead, enough for any answer here.
 */
export const SETTLE = seconds(2)

export interface TestTorrent {
  readonly name: string
  readonly content: Uint8Array
  readonly bytes: Uint8Array
  readonly infoHash: string
}

/** A single-file torrent of deterministic content. */
export function makeTorrent(env: Env, name: string, length: number, salt: number): TestTorrent {
  const content = pattern(length, salt)
  const pieceLength = 16 * 1024
  const hasher = new PieceHasher(pieceLength, env.hashing)
  hasher.update(content)
  const info = buildInfoDict({
    name,
    files: [{ path: [], length }],
    pieceLength,
    pieces: hasher.finish(),
  })
  const { toHex } = hexTools
  return { name, content, bytes: buildTorrent({ info }), infoHash: toHex(env.hashing.sha1([info])) }
}

const hexTools = {
  toHex: (bytes: Uint8Array): string =>
    [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(''),
}

/** Writes `bytes` to `path` on `disk` (runs in the world; check `written` after running). */
export function writeFile(disk: Disk, path: string, bytes: Uint8Array, written: () => void): void {
  disk.open(path, 'create', (opened) => {
    const file = unwrap(opened, 'open')
    file.write(0, bytes, (wrote) => {
      unwrap(wrote, 'write')
      file.close((closed) => {
        unwrap(closed, 'close')
        written()
      })
    })
  })
}

export function readFile(world: SimWorld, disk: Disk, path: string, length: number): Uint8Array {
  let out: Uint8Array | undefined
  disk.open(path, 'read', (opened) => {
    const file = unwrap(opened, `open ${path}`)
    file.read(0, length, (read) => {
      out = unwrap(read, 'read')
      file.close(() => undefined)
    })
  })
  world.runFor(SETTLE)
  assert.ok(out !== undefined, `${path} was not read`)
  return out
}

export interface RunningPeer {
  readonly host: SimHost
  readonly peer: PeerApi
  readonly stateDisk: SimDisk
  readonly events: PeerEvent[]
}

/** Starts a Peer on `host` (listening on LISTEN_PORT, no DHT, no trackers). */
export function startPeer(
  world: SimWorld,
  host: SimHost,
  config: Partial<PeerConfig> = {},
  stateDisk?: SimDisk,
): RunningPeer {
  const env = host.env
  const disk = stateDisk ?? new SimDisk({ defer: (fn) => env.clock.setTimer(env.clock.now(), fn) })
  let started: Result<PeerApi, OperationalError> | undefined
  Peer.start(
    env,
    {
      listen: { host: '0.0.0.0', port: LISTEN_PORT },
      uploadRateLimit: 0,
      downloadRateLimit: 0,
      connectionsMax: 100,
      dht: false,
      trackers: false,
      stateDisk: disk,
      ...config,
    },
    (result) => (started = result),
  )
  world.runUntilIdle()
  assert.ok(started !== undefined, 'Peer.start did not answer')
  const peer = unwrap(started, 'Peer.start')
  const events: PeerEvent[] = []
  peer.onEvent((event) => events.push(event))
  return { host, peer, stateDisk: disk, events }
}

export const addressOf = (host: SimHost): Address => ({ host: host.address, port: LISTEN_PORT })

/** Runs a PeerApi call to its answer. */
export function call<T>(
  world: SimWorld,
  start: (done: (result: Result<T, OperationalError>) => void) => void,
): Result<T, OperationalError> {
  let answer: Result<T, OperationalError> | undefined
  start((result) => (answer = result))
  world.runFor(SETTLE)
  assert.ok(answer !== undefined, 'no answer')
  return answer
}
