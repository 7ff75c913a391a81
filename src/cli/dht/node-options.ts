/**
 * Starting a DHT node from command-line options, shared by `plexus dht ...` and by `seed` /
 * `get --dht`. Bootstrap nodes: `--dht-bootstrap` (or `--bootstrap` for `plexus dht`), else
 * the nodes saved in the state file, else (no state file, or one whose table is empty) the
 * public routers below — which are refused under the test runner (PLEXUS_TEST=1), so tests can
 * never reach them by accident. A state file that exists and is not ours is refused.
 */
import { dirname, join, resolve } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { InvalidArgumentError } from 'commander'
import type { Address } from '../../core/address.js'
import { parseAddress } from '../../core/address.js'
import { resolveHostName } from '../bind-host.js'
import { defaultStateDir } from '../state-dir.js'
import type { DhtService } from '../../drivers/kademlia/dht-service.js'
import { startNodeDht } from '../../drivers/kademlia/node-dht.js'
import { printWarning } from '../output.js'
import { foreignStateMessage, readStateFile } from '../../drivers/kademlia/state-file.js'
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
  return { host: await resolveHostName(host), port: Number(text.slice(at + 1)) }
}

export interface DhtNodeOptions {
  readonly bind: string
  /** BEP 32: an IPv6 address to bind too, on the same port (a dual-stack node). */
  readonly bind6?: string
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

/**
 * Where `get` and `seed` keep their DHT routing table by default: `$PLEXUS_STATE_DIR/dht.state`,
 * else `$XDG_STATE_HOME/plexus/dht.state`, else `~/.local/state/plexus/dht.state` (the XDG
 * base directory default). Empty variables count as unset, as XDG says.
 */
export function defaultDhtStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultStateDir(env), 'dht.state')
}

/**
 * How many nodes the state file at `statePath` holds (0 when it is missing or empty).
 * Throws, with one line for the user, when a file is there and is not a plexus state file.
 */
export async function savedNodeCount(statePath: string): Promise<number> {
  const file = await readStateFile(new NodeDisk(), statePath)
  if (file.kind === 'foreign') throw new Error(foreignStateMessage(statePath, file.reason))
  return file.kind === 'state' ? file.state.nodes.length : 0
}

/**
 * The bootstrap nodes to resolve: the given ones; else none when the state file has nodes (the
 * node rejoins from them) or the node is isolated; else the public routers. A state file with
 * an empty table (new, or saved before the node ever joined) must not turn the routers off:
 * the node would never find anyone. Under the test runner the routers are refused instead.
 */
export function chooseBootstrap(
  given: readonly string[],
  savedNodes: number,
  isolated: boolean,
  underTest: boolean,
): readonly string[] {
  if (given.length > 0 || savedNodes > 0 || isolated) return given
  if (underTest) {
    throw new Error('no DHT bootstrap nodes given (public routers are off under PLEXUS_TEST)')
  }
  return PUBLIC_BOOTSTRAP
}

/**
 * The bootstrap nodes for a DHT node, resolved: `bootstrap`, else none when the state file has
 * nodes (or the node is isolated), else the public routers (refused under the test runner).
 * Throws one line when the state file is there and is not ours, before anything is bound.
 */
export async function resolveDhtBootstrap(
  options: Pick<DhtNodeOptions, 'bootstrap' | 'state' | 'isolated'>,
  onUnresolved: (node: string, error: Error) => void,
): Promise<Address[]> {
  const statePath = options.state === undefined ? undefined : resolve(options.state)
  // Checked before anything else: a foreign file is refused untouched.
  const saved = statePath === undefined ? 0 : await savedNodeCount(statePath)
  const given = chooseBootstrap(
    options.bootstrap,
    saved,
    options.isolated === true,
    process.env['PLEXUS_TEST'] === '1',
  )
  const bootstrap: Address[] = []
  for (const item of given) {
    try {
      bootstrap.push(await resolveNode(item))
    } catch (error) {
      // One unresolvable router must not stop the others.
      onUnresolved(item, error as Error)
    }
  }
  return bootstrap
}

export async function startDhtNode(options: DhtNodeOptions): Promise<DhtService> {
  const statePath = options.state === undefined ? undefined : resolve(options.state)
  const bootstrap = await resolveDhtBootstrap(options, (node, error) =>
    printWarning(`DHT bootstrap node ${node} not resolved: ${error.message}`),
  )
  if (statePath !== undefined) await mkdir(dirname(statePath), { recursive: true })
  return startNodeDht({
    bind: { host: options.bind, port: options.port },
    ...(options.bind6 === undefined ? {} : { bind6: { host: options.bind6, port: 0 } }),
    bootstrap,
    readOnly: options.readOnly ?? false,
    enforceBep42: options.enforceBep42 ?? false,
    ...(statePath === undefined ? {} : { statePath, stateDisk: new NodeDisk() }),
  })
}
