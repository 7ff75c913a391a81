/**
 * `plexus onion fetch --relays ...`: one circuit through relays the user names, in order:
 * plexus relays by the record `plexus onion relay --json` printed, tor relays by
 * fingerprint or nickname looked up in the verified consensus (which needs --authorities).
 * A mixed list gives a mixed circuit.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { OnionClient } from '../../drivers/onion/client.js'
import { httpGetOverStream } from '../../drivers/onion/http-get.js'
import {
  buildCircuitThrough,
  descriptorOfPublished,
  parsePublishedRelays,
} from '../../drivers/onion/named-circuit.js'
import { NodeOnionCrypto } from '../../drivers/onion/node-crypto.js'
import { CryptoRandom } from '../../drivers/node/random.js'
import type { RelayDescriptor } from '../../protocols/onion/directory/descriptor.js'
import type { PublishedRelay } from '../../drivers/onion/relay-server.js'
import { CliError, printJson, printLine, usageError } from '../output.js'
import { stderrLog } from './onion-log.js'

export interface NamedFetchOptions {
  readonly relays: string
  readonly output?: string
  readonly json?: boolean
}

type NamedHop = { readonly tor: string } | PublishedRelay

function readHops(spec: string): NamedHop[] {
  const text =
    spec.trim().startsWith('{') || spec.trim().startsWith('[') ? spec : readSpecFile(spec)
  const trimmed = text.trim()
  const items: unknown[] = trimmed.startsWith('[')
    ? (JSON.parse(trimmed) as unknown[])
    : trimmed
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown)
  return items.map((item) => {
    const tor = (item as { tor?: unknown }).tor
    if (typeof tor === 'string') return { tor }
    const [relay] = parsePublishedRelays(JSON.stringify([item]))
    if (relay === undefined) throw usageError('empty relay record')
    return relay
  })
}

function readSpecFile(path: string): string {
  if (!existsSync(path)) throw usageError(`--relays ${path}: no such file (nor inline JSON)`)
  return readFileSync(path, 'utf8')
}

/**
 * The relays `--relays` names, in order, as descriptors: plexus relays from their records, tor
 * relays found in the consensus `bootstrap` fetches (only called when one is named). The
 * caller closes the returned client, if any.
 */
export async function namedRelays(
  spec: string,
  bootstrap: () => Promise<OnionClient>,
): Promise<{ descriptors: RelayDescriptor[]; client: OnionClient | undefined }> {
  let hops: NamedHop[]
  try {
    hops = readHops(spec)
  } catch (error) {
    if (error instanceof CliError) throw error
    throw usageError(`--relays: ${(error as Error).message}`)
  }
  if (hops.length === 0) throw usageError('--relays names no relay')
  const needsConsensus = hops.some((hop) => 'tor' in hop)
  const client = needsConsensus ? await bootstrap() : undefined
  const descriptors: RelayDescriptor[] = hops.map((hop) => {
    if (!('tor' in hop)) return descriptorOfPublished(hop)
    const wanted = hop.tor.replace(/^\$/, '').toUpperCase()
    const found = client?.relays.find(
      (relay) => relay.fingerprint === wanted || relay.nickname.toUpperCase() === wanted,
    )
    if (found === undefined) throw usageError(`tor relay ${hop.tor} is not in the consensus`)
    return found
  })
  return { descriptors, client }
}

export async function fetchThroughNamedRelays(
  url: URL,
  options: NamedFetchOptions,
  bootstrap: () => Promise<OnionClient>,
): Promise<void> {
  const { descriptors, client } = await namedRelays(options.relays, bootstrap)
  const log = stderrLog(options.json === true)
  const started = performance.now()
  const { circuit, buildMs } = await buildCircuitThrough(
    new NodeOnionCrypto(),
    new CryptoRandom(),
    log,
    descriptors,
  )
  try {
    const stream = await circuit.connect(url.hostname, Number(url.port || 80))
    const result = await httpGetOverStream(stream, url)
    const elapsedMs = Math.round(performance.now() - started)
    if (options.output !== undefined) writeFileSync(options.output, result.body)
    else if (options.json !== true) process.stdout.write(result.body)
    if (options.json === true)
      printJson({
        type: 'fetched',
        url: url.href,
        status: result.status,
        bytes: result.body.length,
        elapsedMs,
        buildMs,
        path: descriptors.map((relay) => relay.fingerprint),
      })
    else if (options.output !== undefined)
      printLine(
        `${result.status} ${result.body.length} bytes in ${elapsedMs} ms -> ${options.output}`,
      )
    if (result.status >= 400) throw new CliError(`HTTP ${result.status}`, 'http', 1)
  } finally {
    circuit.destroy()
    client?.close()
  }
}
