/**
 * A whole servent as a program runs it: the shared folder scanned (SHA-1 URNs), the HTTP
 * transfer server on loopback, and the Gnutella servent whose port also answers downloads.
 */
import type { Address } from '../../core/address.js'
import type { Clock, Net } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  formatHostCache,
  parseHostCache,
  SharedLibrary,
  type KnownHost,
  type ServentConfig,
} from '../../protocols/gnutella/index.js'
import { answerPush, PushBroker } from './push-transfer.js'
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
  /**
   * The host cache file: read at start (its ultrapeers become candidates; with no `hosts`, a
   * few of them are dialled) and written at close, atomically.
   */
  readonly hostCacheFile?: string
}

/** Cached ultrapeers dialled at start when no host was given. */
const CACHED_DIALS = 3

export interface GnutellaHost {
  readonly node: ServentNode
  readonly folder: SharedFolder | undefined
  readonly http: TransferServer
  /** Our Pushes waiting for their GIV (downloads from firewalled servents). */
  readonly pushes: PushBroker
  close(): Promise<void>
}

async function readHostCache(path: string, log: (line: string) => void): Promise<KnownHost[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') log(`host cache ${path}: ${error.message}`)
    return ''
  })
  const { hosts, skipped } = parseHostCache(text)
  if (skipped > 0) log(`host cache ${path}: ${skipped} bad lines skipped`)
  return hosts
}

async function writeHostCache(
  path: string,
  hosts: readonly KnownHost[],
  log: (line: string) => void,
): Promise<void> {
  const temporary = `${path}.tmp`
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(temporary, formatHostCache(hosts), { mode: 0o600 })
    await rename(temporary, path)
  } catch (error) {
    log(`host cache ${path}: not saved: ${(error as Error).message}`)
  }
}

export async function startGnutellaHost(o: GnutellaHostOptions): Promise<GnutellaHost> {
  const log = o.log ?? (() => undefined)
  const folder =
    o.shareDir === undefined
      ? undefined
      : await scanShare(o.shareDir, {
          onSkip: (path, why) => log(`share: skipped ${path}: ${why}`),
        })
  // Shared files or not, the HTTP side runs: as an ultrapeer we are our leaves' push proxy.
  let proxyFor: ServentNode['pushForLeaf'] = () => false
  const http = await startTransferServer({
    folder,
    bind: { host: '127.0.0.1', port: 0 },
    log,
    pushProxy: (r) => proxyFor(r.serventId, r.fileIndex, r.downloader),
  })
  const pushes = new PushBroker(log)
  const node = await startServentNode({
    onGiv: (socket) => pushes.accept(socket),
    clock: o.clock,
    net: o.net,
    random: o.random,
    bind: o.bind,
    library: folder?.library ?? new SharedLibrary(),
    ...(o.advertisedHost === undefined ? {} : { advertisedHost: o.advertisedHost }),
    ...(o.config === undefined ? {} : { config: o.config }),
    http: http.address,
  })
  proxyFor = (serventId, fileIndex, to) => node.pushForLeaf(serventId, fileIndex, to)
  // Firewalled or not, a Push for one of our files is answered by connecting back (GIV).
  node.onEvent((event) => {
    if (event.type !== 'push_requested') return
    const entry = folder?.byIndex.get(event.fileIndex)
    if (entry === undefined) return log(`push for file ${event.fileIndex}: not shared here`)
    const giv = {
      fileIndex: entry.fileIndex,
      serventId: node.servent.serventId,
      fileName: entry.fileName,
    }
    answerPush(o.net, event.to, giv, http.address, log)
  })
  let closing: Promise<void> | undefined
  const cached = o.hostCacheFile === undefined ? [] : await readHostCache(o.hostCacheFile, log)
  const cachedUltrapeers = cached.filter((h) => h.ultrapeer).map((h) => h.address)
  node.servent.addCandidates([...cachedUltrapeers, ...(o.hosts ?? [])])
  const dial =
    (o.hosts ?? []).length > 0 ? (o.hosts ?? []) : cachedUltrapeers.slice(0, CACHED_DIALS)
  for (const host of dial) node.connect(host)
  return {
    node,
    folder,
    http,
    pushes,
    close: () =>
      (closing ??= (async () => {
        if (o.hostCacheFile !== undefined)
          await writeHostCache(o.hostCacheFile, node.servent.knownHosts(o.clock.now()), log)
        node.close()
        await http?.close()
      })()),
  }
}
