/**
 * Tracker announces through onion circuits, for `plexus get --anonymous`: each HTTP(S)
 * announce is one circuit stream to the tracker (TLS inside the stream for https), so the
 * tracker sees the exit's address, never ours, and the peers it answers with are dialled
 * through circuits too (onion-net.ts). UDP trackers (BEP 15) cannot cross a circuit and are
 * refused as unsupported, as the announcer expects of a scheme the driver cannot speak.
 */
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import { err, type Result } from '../../core/result.js'
import {
  parseAnnounceResponse,
  type AnnounceResponse,
  type TrackerError,
} from '../../protocols/bittorrent/tracker/index.js'
import type {
  AnnounceDone,
  AnnounceRequest,
  TrackerTransport,
} from '../bittorrent/tracker-transport.js'
import { announceUrlOf } from '../bittorrent/announce-url.js'
import { httpGetOverStream } from './http-get.js'
import type { StreamOpener } from './socks.js'

/** As the direct transport: a circuit stream plus the tracker's answer within 30 s. */
const ANNOUNCE_TIMEOUT_MS = 30_000
/** Tracker answers larger than this are cut off (the direct transport's bound too). */
const ANSWER_BYTES_MAX = 2 * 1024 * 1024

export class OnionTrackerTransport implements TrackerTransport {
  private readonly open = new Set<Duplex>()

  constructor(
    private readonly opener: StreamOpener,
    private readonly timeoutMs = ANNOUNCE_TIMEOUT_MS,
  ) {}

  announce(request: AnnounceRequest, done: AnnounceDone): { cancel(): void } {
    const scheme = request.url.slice(0, request.url.indexOf(':')).toLowerCase()
    if (scheme !== 'http' && scheme !== 'https') {
      const why = scheme === 'udp' ? 'UDP cannot cross an onion circuit' : `scheme ${scheme}`
      queueMicrotask(() => done(err({ code: 'unsupported', message: why })))
      return { cancel: () => undefined }
    }
    let settled = false
    let stream: Duplex | undefined
    const finish = (result: Result<AnnounceResponse, TrackerError>): void => {
      clearTimeout(timer)
      if (stream !== undefined) {
        this.open.delete(stream)
        stream.destroy()
      }
      if (settled) return
      settled = true
      done(result)
    }
    const timer = setTimeout(
      () => finish(err({ code: 'timeout', message: `no answer in ${this.timeoutMs} ms` })),
      this.timeoutMs,
    )
    const url = new URL(announceUrlOf(request))
    this.get(url, (opened) => {
      if (settled) return void opened.destroy()
      stream = opened
      this.open.add(opened)
    }).then(
      (answer) => {
        if (answer.status !== 200 && answer.body.length === 0)
          finish(err({ code: 'network', message: `HTTP ${answer.status}` }))
        else finish(parseAnnounceResponse(answer.body))
      },
      (error: Error) => finish(err({ code: 'network', message: error.message })),
    )
    return {
      cancel: () => {
        settled = true
        finish(err({ code: 'network', message: 'cancelled' }))
      },
    }
  }

  close(): void {
    for (const stream of this.open) stream.destroy()
    this.open.clear()
  }

  private async get(url: URL, opened: (stream: Duplex) => void) {
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const https = url.protocol === 'https:'
    const port = Number(url.port || (https ? 443 : 80))
    const circuitStream = await this.opener.connect(host, port)
    // SNI carries names only (RFC 6066): a tracker given by address gets none.
    const sni = isIP(host) === 0 ? { servername: host } : {}
    const stream = https ? tlsConnect({ socket: circuitStream, ...sni }) : circuitStream
    opened(stream)
    return httpGetOverStream(stream, url, ANSWER_BYTES_MAX)
  }
}
