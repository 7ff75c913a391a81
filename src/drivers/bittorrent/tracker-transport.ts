import { announceUrlOf } from './announce-url.js'
import { lookup } from 'node:dns/promises'
import { address, type Address } from '../../core/address.js'
import type { Env } from '../../core/env.js'
import { err, ok, type Result } from '../../core/result.js'
import {
  parseAnnounceResponse,
  udpAnnounceResponse,
  UdpTrackerClient,
  udpTrackerCodec,
  udpTrackerError,
  type AnnounceEvent,
  type AnnounceResponse,
  type TrackerError,
  type UdpRequestId,
  type UdpTrackerEvent,
} from '../../protocols/bittorrent/tracker/index.js'
import { attach, type Attached } from '../attach.js'

/** What one announce needs beyond the URL: the torrent's own numbers at this moment. */
export interface AnnounceRequest {
  readonly url: string
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  readonly port: number
  readonly uploaded: number
  readonly downloaded: number
  readonly left: number
  readonly event: AnnounceEvent
  readonly numwant: number
  readonly key: number
  readonly trackerId?: Uint8Array
}

export type AnnounceDone = (result: Result<AnnounceResponse, TrackerError>) => void

/** Performs announces by URL scheme. `cancel` aborts one the announcer gave up on. */
export interface TrackerTransport {
  announce(request: AnnounceRequest, done: AnnounceDone): { cancel(): void }
  close(): void
}

const HTTP_TIMEOUT_MS = 30_000
/** Tracker answers larger than this are refused unread (parseAnnounceResponse's bound too). */
const HTTP_BODY_BYTES_MAX = 2 * 1024 * 1024

/**
 * The real tracker transport: HTTP(S) with fetch, UDP (BEP 15) with the sans-IO client on one
 * datagram socket per address family. Host names are resolved with the system resolver.
 */
export class NodeTrackerTransport implements TrackerTransport {
  private udp: { client: UdpTrackerClient; attached: Attached; close(): void } | undefined
  private readonly udpWaiting = new Map<UdpRequestId, AnnounceDone>()
  private closed = false

  constructor(private readonly env: Env) {}

  announce(request: AnnounceRequest, done: AnnounceDone): { cancel(): void } {
    const scheme = request.url.slice(0, request.url.indexOf(':')).toLowerCase()
    if (scheme === 'http' || scheme === 'https') return this.announceHttp(request, done)
    if (scheme === 'udp') return this.announceUdp(request, done)
    queueMicrotask(() => done(err({ code: 'unsupported', message: `scheme ${scheme}` })))
    return { cancel: () => undefined }
  }

  close(): void {
    this.closed = true
    this.udp?.close()
    this.udp = undefined
  }

  private announceHttp(request: AnnounceRequest, done: AnnounceDone): { cancel(): void } {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), HTTP_TIMEOUT_MS)
    const url = announceUrlOf(request)
    let settled = false
    const finish = (result: Result<AnnounceResponse, TrackerError>): void => {
      clearTimeout(timer)
      if (settled) return
      settled = true
      done(result)
    }
    fetch(url, { signal: controller.signal, redirect: 'follow' })
      .then(async (response) => {
        const length = Number(response.headers.get('content-length') ?? 0)
        if (length > HTTP_BODY_BYTES_MAX) throw new Error(`answer of ${length} bytes`)
        const body = new Uint8Array(await response.arrayBuffer())
        if (!response.ok && body.length === 0) throw new Error(`HTTP ${response.status}`)
        finish(parseAnnounceResponse(body))
      })
      .catch((error: unknown) => {
        const aborted = controller.signal.aborted
        finish(err({ code: aborted ? 'timeout' : 'network', message: String(error) }))
      })
    return {
      cancel: () => {
        settled = true
        clearTimeout(timer)
        controller.abort()
      },
    }
  }

  private announceUdp(request: AnnounceRequest, done: AnnounceDone): { cancel(): void } {
    let cancelled = false
    let requestId: UdpRequestId | undefined
    const parsed = new URL(request.url)
    const port = Number(parsed.port)
    const host = parsed.hostname.replace(/^\[|\]$/g, '')
    resolveIPv4(host)
      .then((ip) => {
        if (cancelled || this.closed) return
        const udp = this.udpClient()
        const tracker: Address = address(ip, port)
        requestId = udp.client.announce(this.env.clock.now(), tracker, {
          infoHash: request.infoHash,
          peerId: request.peerId,
          downloaded: request.downloaded,
          left: request.left,
          uploaded: request.uploaded,
          event: request.event,
          key: request.key,
          numWant: request.numwant,
          port: request.port,
        })
        this.udpWaiting.set(requestId, done)
        udp.attached.flush()
      })
      .catch((error: unknown) => {
        if (!cancelled) done(err({ code: 'network', message: `resolve ${host}: ${String(error)}` }))
      })
    return {
      cancel: () => {
        cancelled = true
        if (requestId === undefined) return
        this.udpWaiting.delete(requestId)
        this.udp?.client.cancel(requestId)
      },
    }
  }

  private udpClient(): { client: UdpTrackerClient; attached: Attached; close(): void } {
    if (this.udp !== undefined) return this.udp
    const client = new UdpTrackerClient(this.env.random.fork('udp-tracker'))
    let socketClose = (): void => undefined
    let attached: Attached | undefined
    // Announces queued before the socket is bound leave on the first flush after binding.
    const stub: Attached = { flush: () => attached?.flush(), detach: () => attached?.detach() }
    this.env.net.bindDatagram(address('0.0.0.0', 0), (bound) => {
      if (!bound.ok) {
        for (const [, done] of this.udpWaiting)
          done(err({ code: 'network', message: bound.error.message }))
        this.udpWaiting.clear()
        return
      }
      socketClose = () => bound.value.close()
      attached = attach(client, udpTrackerCodec('ipv4'), {
        clock: this.env.clock,
        socket: bound.value,
        onEvent: (event) => this.onUdpEvent(event),
      })
      attached.flush()
    })
    this.udp = { client, attached: stub, close: () => socketClose() }
    return this.udp
  }

  private onUdpEvent(event: UdpTrackerEvent): void {
    if (event.type !== 'announce_succeeded' && event.type !== 'announce_failed') return
    const done = this.udpWaiting.get(event.requestId)
    if (done === undefined) return
    this.udpWaiting.delete(event.requestId)
    if (event.type === 'announce_succeeded') done(ok(udpAnnounceResponse(event)))
    else done(err(udpTrackerError(event.reason, event.message)))
  }
}

async function resolveIPv4(host: string): Promise<string> {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return host
  const found = await lookup(host, { family: 4 })
  return found.address
}
