import type { Address } from '../../core/address.js'
import type { Env } from '../../core/env.js'
import { attachStream, type AttachedStream } from '../../drivers/attach-stream.js'
import { Bitfield } from '../../protocols/bittorrent/picker/index.js'
import {
  SwarmCore,
  type SwarmConfig,
  type SwarmEvent,
} from '../../protocols/bittorrent/swarm/index.js'
import { BlockLedger, expectedBytes, type SyntheticTorrent } from './swarm-content.js'

export const SWARM_PORT = 6881

export type Role = 'seed' | 'leecher' | 'free-rider'

/** One host of the swarm: its role, capacities, arrival and what happened to it. */
export interface HostRun {
  readonly index: number
  readonly role: Role
  readonly address: string
  readonly uploadBytesPerSecond: number
  readonly downloadBytesPerSecond: number
  /** Virtual ms at which it joins (asks the tracker, starts listening). */
  readonly arrivalMs: number
  core?: SwarmCore
  attached?: AttachedStream
  completedAtMs?: number
  piecesFailed: number
}

export interface HostSetup {
  readonly torrent: SyntheticTorrent
  readonly config: SwarmConfig
  /** Random piece selection throughout (`randomFirstPieces: Infinity`). */
  readonly randomPicker: boolean
  /** Addresses the tracker hands this host when it arrives. */
  readonly announce: (run: HostRun) => readonly Address[]
}

/**
 * Runs one host: the production `SwarmCore` bound by the production `attachStream` driver, with
 * storage answered on a later event of the same instant (as an asynchronous store would), all
 * answers due at one instant batched into one event.
 */
export function startHost(env: Env, run: HostRun, setup: HostSetup): void {
  const { torrent } = setup
  const pieces = torrent.metainfo.pieceCount
  const ledger = run.role === 'seed' ? undefined : new BlockLedger(torrent)
  const peerId = Uint8Array.from(`-PX0010-${String(run.index).padStart(12, '0')}`, (c) =>
    c.charCodeAt(0),
  )
  const core = new SwarmCore({
    metainfo: torrent.metainfo,
    peerId,
    have: run.role === 'seed' ? Bitfield.full(pieces) : new Bitfield(pieces),
    config: setup.randomPicker
      ? { ...setup.config, randomFirstPieces: Number.POSITIVE_INFINITY }
      : setup.config,
    random: env.random.fork('swarm'),
    now: env.clock.now(),
    listenPort: SWARM_PORT,
    sha1: (parts) => env.hashing.sha1(parts),
  })
  const answers: (() => void)[] = []
  const answerAll = (): void => {
    // Answers may queue more answers (a verification after a write): run until empty.
    for (let i = 0; i < answers.length; i++) (answers[i] as () => void)()
    answers.length = 0
    attached.flush()
  }
  const later = (fn: () => void): void => {
    if (answers.push(fn) === 1) env.clock.setTimer(env.clock.now(), answerAll)
  }
  const onEvent = (event: SwarmEvent): void => {
    switch (event.type) {
      case 'write_block': {
        ledger?.write(event.piece, event.begin, event.bytes)
        const { piece, begin } = event
        const length = event.bytes.length
        return later(() => core.blockWritten(env.clock.now(), piece, begin, length))
      }
      case 'read_block': {
        // Only verified pieces are read, and a verified piece equals the expected content.
        const bytes = expectedBytes(torrent, event.piece, event.begin, event.length)
        const key = event.requestKey
        return later(() => core.blockRead(env.clock.now(), key, bytes))
      }
      case 'verify_piece': {
        const piece = event.piece
        const ok = ledger === undefined || ledger.verify(piece)
        return later(() => core.pieceVerified(env.clock.now(), piece, ok))
      }
      case 'piece_failed':
        run.piecesFailed++
        return
      case 'download_completed':
        run.completedAtMs ??= env.clock.now()
        return
      default:
        return
    }
  }
  const attached = attachStream(core, { clock: env.clock, net: env.net, onEvent })
  run.core = core
  run.attached = attached
  attached.listen({ host: '0.0.0.0', port: SWARM_PORT }, (result) => {
    if (!result.ok) throw new Error(`listen failed on ${run.address}: ${result.error.message}`)
    core.addPeers(env.clock.now(), setup.announce(run), 'tracker')
    attached.flush()
  })
}
