/**
 * A Gnutella servent on a real (or any) `Net`: listens first so that the port the OS picked
 * (port 0) is the one advertised in Pongs and QueryHits, then binds the sans-IO `Servent` to
 * the clock and the net with `attachStream`. Events go to every subscriber.
 */
import type { Address } from '../../core/address.js'
import type { Clock, Net, StreamListener, StreamSocket } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import {
  Servent,
  serventConfig,
  type GnutellaEvent,
  type ServentConfig,
  type SharedLibrary,
} from '../../protocols/gnutella/index.js'
import { attachStream, type AttachedStream } from '../attach-stream.js'
import { shareGnutellaPort } from './port-sharing.js'
import { zlibCompression } from './zlib-compression.js'

export interface ServentNodeOptions {
  readonly clock: Clock
  readonly net: Net
  readonly random: Random
  /** Where to listen; port 0 picks a free port. */
  readonly bind: Address
  /** The host others should use; defaults to the bound host. */
  readonly advertisedHost?: string
  readonly library: SharedLibrary
  readonly config?: Partial<Omit<ServentConfig, 'advertised'>>
  /**
   * The transfer server: HTTP requests arriving on the Gnutella port are relayed there (the
   * port a QueryHit advertises is the one downloads go to).
   */
  readonly http?: Address
  /** Connections that start with `GIV ` (answers to our Pushes). */
  readonly onGiv?: (socket: StreamSocket) => void
}

export interface ServentNode {
  readonly servent: Servent
  /** The address we listen on and advertise. */
  readonly address: Address
  connect(to: Address): void
  /** Starts a search; hits arrive as `query_hit` events with the returned id. */
  search(criteria: string, urns?: readonly string[]): string
  /** Sends a Push to a firewalled servent (see `Servent.push`); false without a route back. */
  push(serventId: Uint8Array, fileIndex: number): boolean
  /** As push proxy: a Push straight to our leaf `serventId`; false when not its proxy. */
  pushForLeaf(serventId: Uint8Array, fileIndex: number, to: Address): boolean
  /** Subscribes to the servent's events; returns the unsubscribe function. */
  onEvent(listener: (event: GnutellaEvent) => void): () => void
  /** Drops every connection and stops listening (no Bye: an abrupt stop). */
  close(): void
}

export function startServentNode(options: ServentNodeOptions): Promise<ServentNode> {
  const { clock, net } = options
  const listeners = new Set<(event: GnutellaEvent) => void>()
  let attached: AttachedStream | undefined
  // Until the servent exists (it needs the port), an early connection is refused.
  const toServent = (socket: StreamSocket): void => {
    if (attached === undefined) socket.destroy()
    else attached.adopt(socket)
  }
  const http = options.http
  const onGiv = options.onGiv
  const onConnection =
    http === undefined && onGiv === undefined
      ? toServent
      : (socket: StreamSocket) => shareGnutellaPort(net, socket, http, toServent, onGiv)
  return new Promise((resolve, reject) => {
    net.listen(options.bind, onConnection, (result) => {
      if (!result.ok) return reject(new Error(`gnutella listen: ${result.error.message}`))
      const listener: StreamListener = result.value
      const address = {
        host: options.advertisedHost ?? listener.local.host,
        port: listener.local.port,
      }
      const servent = new Servent(
        serventConfig({ ...options.config, advertised: address }),
        { random: options.random, library: options.library, compression: zlibCompression },
        clock.now(),
      )
      const stream = attachStream(servent, {
        clock,
        net,
        onEvent: (event) => {
          for (const l of [...listeners]) l(event)
        },
      })
      attached = stream
      stream.flush()
      resolve({
        servent,
        address,
        connect(to) {
          servent.connect(clock.now(), to)
          stream.flush()
        },
        push(serventId, fileIndex) {
          const sent = servent.push(serventId, fileIndex)
          stream.flush()
          return sent
        },
        pushForLeaf(serventId, fileIndex, to) {
          const sent = servent.vendor.pushForLeaf(serventId, fileIndex, to)
          stream.flush()
          return sent
        },
        search(criteria, urns = []) {
          const id = servent.search(clock.now(), criteria, urns)
          stream.flush()
          return id
        },
        onEvent(l) {
          listeners.add(l)
          return () => listeners.delete(l)
        },
        close() {
          listener.close()
          stream.close()
        },
      })
    })
  })
}
