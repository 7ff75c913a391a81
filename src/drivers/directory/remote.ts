import type { IncomingMessage } from 'node:http'
import type { Address } from '../../core/address.js'

/** Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; the tracker wants plain IPv4. */
export function remoteOf(request: IncomingMessage): Address {
  const host = request.socket.remoteAddress ?? ''
  const plain = host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host
  return { host: plain, port: request.socket.remotePort ?? 0 }
}
