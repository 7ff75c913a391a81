import { buildAnnounceUrl } from '../../protocols/bittorrent/tracker/index.js'
import type { AnnounceRequest } from './tracker-transport.js'

/** The HTTP announce URL for a request: one mapping for every transport (node, onion, lab). */
export const announceUrlOf = (request: AnnounceRequest): string =>
  buildAnnounceUrl(request.url, {
    infoHash: request.infoHash,
    peerId: request.peerId,
    port: request.port,
    uploaded: request.uploaded,
    downloaded: request.downloaded,
    left: request.left,
    event: request.event,
    numwant: request.numwant,
    key: request.key,
    ...(request.trackerId === undefined ? {} : { trackerId: request.trackerId }),
  })
