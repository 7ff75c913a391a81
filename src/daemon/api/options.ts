import type { Log } from '../../core/env.js'
import type { GnutellaPlugin } from '../../drivers/gnutella/gnutella-plugin.js'
import type { OverlayPlugin } from '../../peer/overlay-plugin.js'
import type { PeerApi, PeerDhtConfig } from '../../peer/types.js'
import type { DirectoryFetch } from '../directory-fetch.js'
import type { MapReduceJobs } from '../mapreduce-jobs.js'
import type { DaemonMetrics } from '../metrics.js'
import type { Torrents } from '../torrents.js'

/** JSON request bodies above this are refused with 413 (uploads have their own limit). */
export const JSON_BYTES_MAX = 64 * 1024
export const API_PREFIX = '/api/v1'
export const API_VERSION = '1.0.0'

export interface ApiOptions {
  readonly peer: PeerApi
  readonly torrents: Torrents
  readonly token: string
  readonly metrics: DaemonMetrics
  readonly log: Log
  readonly fetchFromDirectory: DirectoryFetch
  /** How often the event stream sends a `stats` event. */
  readonly statsIntervalMs: number
  /** How PUT /settings `dhtEnabled: true` starts the DHT (the config file's [dht] settings). */
  readonly dht: PeerDhtConfig
  /** The Gnutella servent, when `[gnutella] enabled = true`. */
  readonly gnutella?: GnutellaPlugin | undefined
  /** Streaming jobs run here, when `[mapreduce] enabled = true`. */
  readonly mapreduce?: MapReduceJobs | undefined
  /** This node as a worker of a remote master, when `[mapreduce] master` is set. */
  readonly mapreduceWorker?: { status(): Readonly<Record<string, unknown>> } | undefined
  /** The Chord, Pastry or CAN node, when `[overlay] enabled = true`. */
  readonly overlay?: OverlayPlugin | undefined
}
