/**
 * The downloader's side of push proxies: ask a firewalled servent's proxy (named in its
 * QueryHit's GGEP "PUSH") over HTTP to push it, then wait for its GIV as after a routed Push.
 * A proxy that refuses, fails or does not answer in time leaves the next one to try; when
 * none accepts, the caller falls back to routing a Push along the QueryHit's path.
 */
import { request } from 'node:http'
import { addressKey, type Address } from '../../core/address.js'
import { pushProxyPath } from '../../protocols/gnutella/transfer/push-proxy-request.js'
import type { PushBroker, PushConnection } from './push-transfer.js'
import type { ServentNode } from './servent-node.js'

const PROXY_ANSWER_MS = 5_000

/** True when the proxy answered 202 Accepted (it sent the Push). */
export function askPushProxy(
  proxy: Address,
  serventId: Uint8Array,
  fileIndex: number,
  us: Address,
  log: (line: string) => void,
  timeoutMs = PROXY_ANSWER_MS,
): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: proxy.host,
        port: proxy.port,
        path: pushProxyPath(serventId, fileIndex),
        headers: { 'x-node': addressKey(us), connection: 'close' },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume()
        if (res.statusCode !== 202) log(`push proxy ${addressKey(proxy)}: ${res.statusCode ?? '?'}`)
        resolve(res.statusCode === 202)
      },
    )
    req.on('timeout', () => req.destroy(new Error('no answer')))
    req.on('error', (error) => {
      log(`push proxy ${addressKey(proxy)}: ${error.message}`)
      resolve(false)
    })
    req.end()
  })
}

/** The proxies in order until one accepts; false when none did. */
export async function pushThroughProxies(
  proxies: readonly Address[],
  serventId: Uint8Array,
  fileIndex: number,
  us: Address,
  log: (line: string) => void,
): Promise<boolean> {
  for (const proxy of proxies)
    if (await askPushProxy(proxy, serventId, fileIndex, us, log)) return true
  return false
}

/** What `openFirewalled` needs of the running servent. */
export interface PushingHost {
  readonly pushes: PushBroker
  readonly node: Pick<ServentNode, 'push' | 'servent'>
}

export interface FirewalledSource {
  readonly serventId: Uint8Array
  readonly fileIndex: number
  readonly proxies: readonly Address[]
}

/**
 * A connection from a firewalled source: a Push through one of its push proxies, or else
 * along its QueryHit's reverse path; then the GIV connection it opens to us.
 */
export async function openFirewalled(
  host: PushingHost,
  source: FirewalledSource,
  waitMs: number,
  log: (line: string) => void,
): Promise<PushConnection> {
  // Registered before the Push: its GIV cannot arrive first.
  const arriving = host.pushes.expectConnection(source.serventId, source.fileIndex, waitMs)
  const us = host.node.servent.advertised()
  if (
    us !== undefined &&
    (await pushThroughProxies(source.proxies, source.serventId, source.fileIndex, us, log))
  )
    return arriving
  if (!host.node.push(source.serventId, source.fileIndex)) {
    arriving.catch(() => undefined)
    throw new Error('no push proxy accepted and no route back for a Push')
  }
  return arriving
}
