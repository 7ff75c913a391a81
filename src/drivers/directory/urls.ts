import { isIP } from 'node:net'
import type { DatagramSocket } from '../../core/env.js'
import { promised } from '../promises.js'
import { bindUdp } from '../node/udp.js'

/** How the directory names itself in URLs, and its UDP sockets. */

/** A host for URLs from a bind address: wildcards become loopback, IPv6 gets brackets. */
export function hostForUrl(bind: string): string {
  if (bind === '0.0.0.0') return '127.0.0.1'
  if (bind === '::') return '[::1]'
  return isIP(bind) === 6 ? `[${bind}]` : bind
}

/** A Host header worth echoing into links: a name or IP literal and an optional port. */
const HOST_HEADER = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

/**
 * Our HTTP and UDP announce URLs. Without a configured public URL, they follow the Host the
 * client used (so a LAN or loopback client gets links it can reach); a missing or odd Host
 * falls back to the bound address.
 */
export function trackerUrls(
  hostHeader: string | undefined,
  baseUrl: string,
  udpPort: number,
  fixed: boolean,
): string[] {
  const base =
    !fixed && hostHeader !== undefined && HOST_HEADER.test(hostHeader)
      ? `http://${hostHeader}`
      : baseUrl
  let host: string
  try {
    host = new URL(base).hostname
  } catch {
    return [`${base}/announce`]
  }
  return [`${base}/announce`, `udp://${host}:${udpPort}/announce`]
}

/** UDP on `bind`:`port`; for '::' also on 0.0.0.0 (our UDP sockets are single-stack). */
export async function bindUdpPair(bind: string, port: number): Promise<DatagramSocket[]> {
  const first = await promised<DatagramSocket>((done) => bindUdp({ host: bind, port }, done))
  if (bind !== '::') return [first]
  try {
    const second = await promised<DatagramSocket>((done) =>
      bindUdp({ host: '0.0.0.0', port }, done),
    )
    return [first, second]
  } catch (error) {
    first.close()
    throw error
  }
}
