import { announceUrlOf } from '../../drivers/bittorrent/announce-url.js'
import type { Env, HttpExchange } from '../../core/env.js'
import { err } from '../../core/result.js'
import { seconds } from '../../core/time.js'
import type {
  AnnounceDone,
  AnnounceRequest,
  TrackerTransport,
} from '../../drivers/bittorrent/tracker-transport.js'
import { parseAnnounceResponse } from '../../protocols/bittorrent/tracker/index.js'

const ANNOUNCE_TIMEOUT = seconds(30)
/** Tracker answers larger than this are refused unread (as the Node transport does). */
const BODY_BYTES_MAX = 2 * 1024 * 1024

/**
 * HTTP announces (BEP 3) through the Env's HTTP client port, so a Peer on a simulated host
 * announces over the simulated network to a tracker on another host, names resolved by the
 * world's table. UDP trackers are not spoken here ('unsupported'): the simulated tracker
 * serves HTTP only.
 */
export class EnvTrackerTransport implements TrackerTransport {
  private readonly inFlight = new Set<HttpExchange>()
  private closed = false

  constructor(private readonly env: Env) {}

  announce(request: AnnounceRequest, done: AnnounceDone): { cancel(): void } {
    const scheme = request.url.slice(0, request.url.indexOf(':')).toLowerCase()
    if (this.closed || (scheme !== 'http' && scheme !== 'https')) {
      const why = this.closed ? 'the transport is closed' : `scheme ${scheme}`
      const code = this.closed ? 'network' : 'unsupported'
      this.env.clock.setTimer(this.env.clock.now(), () => done(err({ code, message: why })))
      return { cancel: () => undefined }
    }
    const url = announceUrlOf(request)
    const exchange = this.env.http.request(
      { url, timeout: ANNOUNCE_TIMEOUT, bodyBytesMax: BODY_BYTES_MAX },
      (answer) => {
        this.inFlight.delete(exchange)
        if (!answer.ok) {
          const code = answer.error.code === 'timeout' ? 'timeout' : 'network'
          return done(err({ code, message: answer.error.message }))
        }
        const { status, body } = answer.value
        if (status !== 200 && body.length === 0) {
          return done(err({ code: 'network', message: `HTTP ${status}` }))
        }
        done(parseAnnounceResponse(body))
      },
    )
    this.inFlight.add(exchange)
    return {
      cancel: () => {
        if (this.inFlight.delete(exchange)) exchange.abort()
      },
    }
  }

  close(): void {
    this.closed = true
    for (const exchange of this.inFlight) exchange.abort()
    this.inFlight.clear()
  }
}
