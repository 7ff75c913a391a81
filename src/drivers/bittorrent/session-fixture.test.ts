/**
 * Helpers for session tests on loopback: open a `TorrentSession` over a real folder, collect
 * its events and warnings, wait for a condition. A `.test.ts` file that declares no tests.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { address, type Address } from '../../core/address.js'
import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import type { SwarmConfig } from '../../protocols/bittorrent/swarm/index.js'
import { inlinePieceHashing } from '../../protocols/bittorrent/storage/index.js'
import { createNodeEnv } from '../node/env.js'
import { promised } from '../promises.js'
import { TorrentSession, type SessionEvent } from './session.js'

const defer = (fn: () => void): void => void setImmediate(fn)

export interface Opened {
  readonly session: TorrentSession
  readonly events: SessionEvent[]
  readonly warnings: string[]
}

export async function openSession(
  m: Metainfo,
  dataDir: string,
  extra: {
    stateDir?: string
    peers?: Address[]
    recheck?: boolean
    swarmConfig?: Partial<SwarmConfig>
  },
): Promise<Opened> {
  const events: SessionEvent[] = []
  const warnings: string[] = []
  const env = createNodeEnv({ diskRoot: dataDir, loopbackOnly: true })
  const log = env.log
  const watched = {
    ...env,
    log: {
      log: (...args: Parameters<typeof log.log>) => {
        if (args[0] === 'warn') warnings.push(args[1])
        log.log(...args)
      },
      child: log.child.bind(log),
    },
  }
  const stateDisk =
    extra.stateDir === undefined ? undefined : createNodeEnv({ diskRoot: extra.stateDir }).disk
  const session = await promised<TorrentSession>((done) =>
    TorrentSession.open(
      {
        env: watched,
        metainfo: m,
        saveDir: '',
        listen: address('127.0.0.1', 0),
        peerId: randomBytes(20),
        pieceHashing: inlinePieceHashing(env.hashing, defer),
        defer,
        ...(stateDisk === undefined ? {} : { resumeStore: { disk: stateDisk, dir: '' } }),
        ...(extra.peers === undefined ? {} : { peers: extra.peers }),
        ...(extra.recheck === true ? { recheck: true } : {}),
        ...(extra.swarmConfig === undefined ? {} : { swarmConfig: extra.swarmConfig }),
        onEvent: (event) => events.push(event),
      },
      done,
    ),
  )
  return { session, events, warnings }
}

export async function until(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export const close = (session: TorrentSession): Promise<void> =>
  promised<void>((done) => session.close(done))

export const readyPieces = (events: readonly SessionEvent[]): number | undefined => {
  const ready = events.find((event) => event.type === 'ready')
  return ready?.type === 'ready' ? ready.verifiedPieces : undefined
}

/** Writes `payload`'s real files (pads are never on disk) under `dir`. */
export function writePayload(dir: string, m: Metainfo, payload: Uint8Array): void {
  for (const file of m.files) {
    if (file.pad) continue
    const path = join(dir, ...file.path)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, payload.subarray(file.offset, file.offset + file.length))
  }
}
