/**
 * A whole servent as a program runs it: the shared folder scanned (SHA-1 URNs), the HTTP
 * transfer server on loopback, and the Gnutella servent whose port also answers downloads.
 */
import type { Address } from '../../core/address.js'
import type { Clock, Net } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { SharedLibrary, type ServentConfig } from '../../protocols/gnutella/index.js'
import { startServentNode, type ServentNode } from './servent-node.js'
import { scanShare, type SharedFolder } from './share.js'
import { startTransferServer, type TransferServer } from './transfer-server.js'

export interface GnutellaHostOptions {
  readonly clock: Clock
  readonly net: Net
  readonly random: Random
  readonly bind: Address
  readonly advertisedHost?: string
  readonly shareDir?: string
  readonly hosts?: readonly Address[]
  readonly config?: Partial<Omit<ServentConfig, 'advertised'>>
  readonly log?: (line: string) => void
}

export interface GnutellaHost {
  readonly node: ServentNode
  readonly folder: SharedFolder | undefined
  readonly http: TransferServer | undefined
  close(): Promise<void>
}

export async function startGnutellaHost(o: GnutellaHostOptions): Promise<GnutellaHost> {
  const log = o.log ?? (() => undefined)
  const folder =
    o.shareDir === undefined
      ? undefined
      : await scanShare(o.shareDir, {
          onSkip: (path, why) => log(`share: skipped ${path}: ${why}`),
        })
  const http =
    folder === undefined
      ? undefined
      : await startTransferServer({ folder, bind: { host: '127.0.0.1', port: 0 }, log })
  const node = await startServentNode({
    clock: o.clock,
    net: o.net,
    random: o.random,
    bind: o.bind,
    library: folder?.library ?? new SharedLibrary(),
    ...(o.advertisedHost === undefined ? {} : { advertisedHost: o.advertisedHost }),
    ...(o.config === undefined ? {} : { config: o.config }),
    ...(http === undefined ? {} : { http: http.address }),
  })
  let closing: Promise<void> | undefined
  node.servent.addCandidates(o.hosts ?? [])
  for (const host of o.hosts ?? []) node.connect(host)
  return {
    node,
    folder,
    http,
    close: () =>
      (closing ??= (async () => {
        node.close()
        await http?.close()
      })()),
  }
}
