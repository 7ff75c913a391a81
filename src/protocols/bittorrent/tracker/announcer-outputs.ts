/**
 * What the announcer asks of its driver, and what it tells the swarm. The driver performs each
 * `announce` by the URL's scheme (HTTP GET with `buildAnnounceUrl`, or `UdpTrackerClient`),
 * filling in the torrent's own numbers (info-hash, peer id, port, byte counts, key), and
 * reports back with `succeeded` or `failed` under the same `requestKey`.
 */
import type { PeersDiscovered } from './peer-source.js'
import type { AnnounceEvent, TrackerError } from './types.js'

/** Names one announce the announcer asked for. */
export type AnnounceRequestKey = number & { readonly __brand: 'AnnounceRequestKey' }

export type AnnouncerEvent =
  | PeersDiscovered
  /** The tracker answered, with a `warning message` for the user. */
  | { readonly type: 'tracker_warning'; readonly url: string; readonly message: string }
  /** One tracker failed; the announcer has already moved on (next tracker or backoff). */
  | { readonly type: 'tracker_failed'; readonly url: string; readonly error: TrackerError }
  /** After `stop`: every `stopped` was answered, or the deadline passed. Safe to shut down. */
  | { readonly type: 'announcer_stopped' }

export type AnnouncerOutput =
  | {
      readonly type: 'announce'
      readonly url: string
      readonly event: AnnounceEvent
      readonly requestKey: AnnounceRequestKey
      readonly numwant: number
      /** The tracker's own `tracker id`, to send back (`trackerid`). */
      readonly trackerId?: Uint8Array
    }
  /** The announcer gave up on a request (timeout, shutdown): abort it, its answer is moot. */
  | { readonly type: 'cancel'; readonly requestKey: AnnounceRequestKey }
  | { readonly type: 'event'; readonly event: AnnouncerEvent }
