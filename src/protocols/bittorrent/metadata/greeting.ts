/**
 * What we say when a connection opens. We advertise BEP 6 and BEP 10 in the reserved bits and
 * only ut_metadata in `m`: a fetcher holds no pieces and relays no peers, so offering more
 * would invite traffic it can only ignore.
 */
import type { Id160 } from '../../../core/id.js'
import type { Instant } from '../../../core/time.js'
import {
  encodeExtension,
  EXTENSION_PROTOCOL_BIT,
  FAST_EXTENSION_BIT,
  reservedWith,
  UT_METADATA,
  type ExtendedHandshake,
  type Handshake,
} from '../wire/index.js'
import type { MetadataConfig } from './config.js'
import type { MetadataPeer } from './peer.js'

/** The extended id we receive ut_metadata as (our handshake's `m`). */
export const LOCAL_UT_METADATA_ID = 3
export const LOCAL_EXTENSIONS: ReadonlyMap<string, number> = new Map([
  [UT_METADATA, LOCAL_UT_METADATA_ID],
])
const RESERVED = reservedWith([FAST_EXTENSION_BIT, EXTENSION_PROTOCOL_BIT])
const NO_EXTENSIONS: ReadonlyMap<string, number> = new Map()

export const ourHandshake = (infoHash: Id160, peerId: Uint8Array): Handshake => ({
  type: 'handshake',
  reserved: RESERVED,
  infoHash,
  peerId,
})

/** Queues what follows the peer's BEP 3 handshake on a connection that speaks BEP 10. */
export function greet(peer: MetadataPeer, now: Instant, config: MetadataConfig): void {
  // BEP 6 wants an availability message first; without BEP 6 an empty bitfield is invalid
  // (a peer that cannot know our piece count may drop us for it), so we then say nothing.
  if (peer.fast) peer.send(now, { type: 'have_none' })
  const handshake: ExtendedHandshake = {
    extensions: LOCAL_EXTENSIONS,
    client: config.clientName,
    ...(config.listenPort !== undefined ? { port: config.listenPort } : {}),
  }
  const message = encodeExtension({ type: 'extended_handshake', handshake }, NO_EXTENSIONS)
  if (message !== undefined) peer.send(now, message)
}
