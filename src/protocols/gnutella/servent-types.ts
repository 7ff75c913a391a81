import type { Random } from '../../core/random.js'
import type { RoutingRecord } from './config.js'
import type { SharedLibrary } from './library.js'
import type { QrpCompression } from './qrp/compression.js'

export type TimerName = 'ping' | 'maintain' | 'dq' | 'qrp' | 'demote'

export interface ServentDeps {
  readonly random: Random
  readonly library: SharedLibrary
  /** zlib for QRP patches; without it patches go uncompressed (see qrp/compression.ts). */
  readonly compression?: QrpCompression | undefined
  /** For simulator checkers only. */
  readonly trace?: ((record: RoutingRecord) => void) | undefined
}

export interface ServentStats {
  readonly sent: Record<string, number>
  readonly received: Record<string, number>
  readonly faults: number
  readonly pongCacheSize: number
  readonly connections: number
}

/**
 * The election's measurements so far: bytes through our connections, incoming connections
 * accepted (reachability), and whether an ultrapeer said `X-Ultrapeer-Needed: True`.
 */
export interface ElectionMeasurements {
  readonly bytesSent: number
  readonly bytesReceived: number
  readonly accepted: number
  readonly ultrapeerNeeded: boolean
  readonly ultrapeersKnown: number
}
