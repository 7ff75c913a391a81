/**
 * The pieces of a client circuit that are plain data: the events it emits, a stream's state
 * (its windows and the bytes waiting for them), and the circuit id a client picks.
 */
import type { RemoteFault } from '../../core/errors.js'
import type { Random } from '../../core/random.js'
import { CellCommand, type Cell } from './cell.js'
import { DeliverWindow, PackageWindow, STREAM_WINDOW } from './flow-control.js'
import type { ResolvedAnswer } from './relay-messages.js'

export type CircuitEvent =
  | { readonly type: 'send'; readonly cell: Cell }
  | { readonly type: 'hop-added'; readonly hops: number }
  | { readonly type: 'stream-connected'; readonly streamId: number }
  | { readonly type: 'stream-data'; readonly streamId: number; readonly data: Uint8Array }
  | { readonly type: 'stream-ended'; readonly streamId: number; readonly reason: number }
  | { readonly type: 'resolved'; readonly streamId: number; readonly answers: ResolvedAnswer[] }
  /** Something odd but harmless (a cell for a stream we already closed): dropped and logged. */
  | { readonly type: 'ignored'; readonly detail: string }
  | { readonly type: 'closed'; readonly reason: string; readonly fault?: RemoteFault }

export interface ClientStream {
  readonly kind: 'connect' | 'resolve'
  connected: boolean
  readonly deliver: DeliverWindow
  readonly package: PackageWindow
  readonly queued: Uint8Array[]
  endAfterQueue: boolean
  /** While paused (the reader is not taking data), stream SENDMEs wait. */
  paused: boolean
}

export const isRelay = (cell: Cell): boolean =>
  cell.command === CellCommand.RELAY || cell.command === CellCommand.RELAY_EARLY

/** Circuit ids chosen by the connection's initiator have the high bit set (link proto 4+). */
export const randomInitiatorCircId = (random: Random): number =>
  (0x80000000 | (random.int(0x7fffffff) + 1)) >>> 0

export const newClientStream = (kind: ClientStream['kind']): ClientStream => ({
  kind,
  connected: false,
  deliver: new DeliverWindow(STREAM_WINDOW),
  package: new PackageWindow(STREAM_WINDOW),
  queued: [],
  endAfterQueue: false,
  paused: false,
})
