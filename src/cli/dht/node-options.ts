/**
 * Starting a DHT node from command-line options, shared by `plexus dht ...` and by `seed` /
 * `get --dht`. Bootstrap nodes: `--dht-bootstrap` (or `--bootstrap` for `plexus dht`), else
 * the nodes saved in the state file, else the public routers below — which are refused under
 * the test runner (PLEXUS_TEST=1), so tests can never reach them by accident.
 */
import { lookup } from 'node:dns/promises'
import { dirname, resolve } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { InvalidArgumentError } from 'commander'
import type { Address } from '../../core/address.js'
import { parseAddress } from '../../core/address.js'
import type { Env } from '../../core/env.js'
import { DhtService } from '../../drivers/kademlia/dht-service.js'
import { NodeDisk } from '../../drivers/node/disk.js'

/** The well-known Mainline routers, as the product's default bootstrap (never in tests). */
export const PUBLIC_BOOTSTRAP = [
  'router.bittorrent.com:6881',
  'dht.transmissionbt.com:6881',
  'router.utorrent.com:6881',
] as const

/** `host:port,host:port` (IPv6 as `[::1]:6881`); host names are resolved at start. */
export function bootstrapList(text: string, previous: string[] = []): string[] {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
  for (const item of items) {
    const at = item.lastIndexOf(':')
    const port = Number(item.slice(at + 1))
    if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidArgumentError(`expected HOST:PORT[,HOST:PORT...], got '${item}'`)
    }
  }
  return [...previous, ...items]
}

async function resolveNode(text: string): Promise<Address> {
  const literal = parseAddress(text)
  if (literal !== undefined) return literal
  const at = text.lastIndexOf(':')
  const host = text.slice(0, at)
  const found = await lookup(host)
  return { host: found.address, port: Number(text.slice(at + 1)) }
}

export interface DhtNodeOptions {
  readonly bind: string
  readonly port: number
  readonly bootstrap: readonly string[]
  readonly state?: string
  /** Start with no bootstrap at all: the first node of a private network. */
  readonly isolated?: boolean
  /** BEP 43 read-only node (one-shot commands). */
  readonly readOnly?: boolean
  /** BEP 42: keep only nodes whose id matches their IP. */
  readonly enforceBep42?: boolean
}

export async function startDhtNode(env: Env, options: DhtNodeOptions): Promise<DhtService> {
  const statePath = options.state === undefined ? undefined : resolve(options.state)
  let given = options.bootstrap
  if (given.length === 0 && statePath === undefined && options.isolated !== true) {
    if (process.env['PLEXUS_TEST'] === '1') {
      throw new Error('no DHT bootstrap nodes given (public routers are off under PLEXUS_TEST)')
    }
    given = [...PUBLIC_BOOTSTRAP]
  }
  const bootstrap: Address[] = []
  for (const item of given) {
    try {
      bootstrap.push(await resolveNode(item))
    } catch (error) {
      // One unresolvable router must not stop the others.
      env.log.log('warn', 'DHT bootstrap node not resolved', {
        node: item,
        error: (error as Error).message,
      })
    }
  }
  if (statePath !== undefined) await mkdir(dirname(statePath), { recursive: true })
  return DhtService.start({
    env,
    bind: { host: options.bind, port: options.port },
    bootstrap,
    readOnly: options.readOnly ?? false,
    enforceBep42: options.enforceBep42 ?? false,
    ...(statePath === undefined ? {} : { statePath, stateDisk: new NodeDisk() }),
  })
}
