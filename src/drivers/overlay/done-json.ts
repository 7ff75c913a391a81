import { addressKey } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import type { OverlayDone } from './overlay-service.js'

/**
 * An overlay operation's outcome as JSON, the one shape `plexus overlay ... --json` prints and
 * the daemon's /api/v1/overlay routes answer: the owner, the value, the replicas, and the trace
 * hop by hop (each hop's round trip in ms and its start relative to the first hop).
 */
export interface OverlayHopJson {
  readonly node: string
  readonly id?: string
  readonly outcome: 'next' | 'owner' | 'timeout' | 'error'
  readonly ms?: number
  readonly at?: number
}

export interface OverlayDoneJson {
  readonly kind: OverlayDone['kind']
  readonly ok: boolean
  readonly error?: string
  readonly owner?: { readonly id: string; readonly address: string }
  readonly stored?: number
  readonly value?: string
  readonly trace: {
    readonly hops: number
    readonly messages: number
    readonly perHop: readonly OverlayHopJson[]
  }
}

/** Bytes as text when they are printable UTF-8, else `hex:` and the hex digits. */
export function showBytes(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8')
  const printable =
    Buffer.from(text, 'utf8').equals(Buffer.from(bytes)) &&
    ![...text].some((c) => c.charCodeAt(0) < 0x20)
  return printable ? text : `hex:${toHex(bytes)}`
}

export function overlayDoneJson(done: OverlayDone): OverlayDoneJson {
  const first = done.trace.hops[0]?.sentAt
  return {
    kind: done.kind,
    ok: done.ok,
    ...(done.error === undefined ? {} : { error: done.error }),
    ...(done.owner === undefined
      ? {}
      : { owner: { id: done.owner.id, address: addressKey(done.owner.address) } }),
    // get and lookup report no replica count: `stored` means writes acknowledged.
    ...(done.stored === undefined || done.kind === 'get' || done.kind === 'lookup'
      ? {}
      : { stored: done.stored }),
    ...(done.value === undefined ? {} : { value: showBytes(done.value) }),
    trace: {
      hops: done.trace.hops.length,
      messages: done.trace.messages,
      perHop: done.trace.hops.map((h) => ({
        node: addressKey(h.node),
        ...(h.id === undefined ? {} : { id: h.id }),
        outcome: h.outcome,
        ...(h.answeredAt === undefined ? {} : { ms: Math.round(h.answeredAt - h.sentAt) }),
        ...(first === undefined ? {} : { at: Math.round(h.sentAt - first) }),
      })),
    },
  }
}
