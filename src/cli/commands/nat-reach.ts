import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { addressKey } from '../../core/address.js'
import { fromHex, fromUtf8, toHex, utf8 } from '../../core/bytes.js'
import { createNodeEnv } from '../../drivers/node/env.js'
import { promised } from '../../drivers/promises.js'
import { Peer } from '../../peer/peer.js'
import type { Reachability } from '../../peer/reachability.js'
import type { ReachabilityConfig, ReachSession } from '../../peer/reachability-types.js'
import type { PeerApi } from '../../peer/types.js'
import { PeerPolicy } from '../../protocols/turn/index.js'
import { resolveBindHost } from '../bind-host.js'
import { bootstrapList, resolveDhtBootstrap } from '../dht/node-options.js'
import { addressArgument, integerOption, portOption } from '../options.js'
import {
  CliError,
  EXIT_FAILURE,
  printJson,
  printLine,
  printWarning,
  usageError,
} from '../output.js'

/**
 * `plexus nat reach`: a peer with its reachability service (issue 15) and nothing else. It
 * probes (or is told) whether it can be reached; if so and `--relay-ports` is given it serves
 * as a relay and advertises it in the DHT; if not it reserves with relays found there and
 * publishes its record. It prints its key and every change of its status; `--connect KEY`
 * reaches another peer by key, sends `--send` and prints the answer; `--echo` answers
 * incoming sessions with what they sent. The service lives in the Peer: this only prints.
 */
interface ReachFlags {
  readonly bind: string
  readonly dhtPort: number
  readonly bootstrap: string[]
  readonly isolated?: boolean
  readonly stun?: { host: string; port: number }
  readonly assume?: 'reachable' | 'unreachable'
  readonly relayPort: number
  readonly relayPorts?: { first: number; count: number }
  readonly relayProtocol: 'relay-lite' | 'turn'
  readonly relayAllowPeer: string[]
  readonly reservations: number
  readonly hostCandidates: boolean
  readonly seed?: Uint8Array
  readonly connect?: Uint8Array
  readonly send: string
  readonly echo?: boolean
  readonly refresh: number
  readonly json?: boolean
}

const hexBytes = (length: number) => (text: string) => {
  const bytes = fromHex(text)
  if (bytes?.length !== length) throw new InvalidArgumentError(`expected ${length * 2} hex digits`)
  return bytes
}

const portRange = (text: string): { first: number; count: number } => {
  const match = /^(\d+)-(\d+)$/.exec(text)
  const first = Number(match?.[1])
  const last = Number(match?.[2])
  if (match === null || first < 1024 || last > 65535 || last < first) {
    throw new InvalidArgumentError(`expected FIRST-LAST (ports 1024-65535), got '${text}'`)
  }
  return { first, count: last - first + 1 }
}

const relayProtocol = (text: string): 'relay-lite' | 'turn' => {
  if (text === 'relay-lite' || text === 'turn') return text
  throw new InvalidArgumentError(`expected relay-lite or turn, got '${text}'`)
}

const cidr = (text: string, previous: string[]): string[] => {
  try {
    new PeerPolicy([text])
  } catch {
    throw new InvalidArgumentError(`expected a CIDR prefix such as 192.0.2.0/24, got '${text}'`)
  }
  return [...previous, text]
}

const assumption = (text: string): 'reachable' | 'unreachable' => {
  if (text === 'reachable' || text === 'unreachable') return text
  throw new InvalidArgumentError(`expected reachable or unreachable, got '${text}'`)
}

export function registerNatReach(nat: Command): void {
  nat
    .command('reach')
    .description(
      'be reachable: serve as a relay when public, else keep relay reservations found in the DHT',
    )
    .option('--bind <addr>', 'address of every socket', '127.0.0.1')
    .option('--dht-port <n>', 'DHT UDP port (0 picks one)', portOption, 0)
    .option('--bootstrap <host:port,...>', 'DHT nodes to join through', bootstrapList, [])
    .option('--isolated', 'start the DHT with no bootstrap nodes (a private network)')
    .option(
      '--stun <host:port>',
      'STUN server (RFC 5780) for the reachability probe',
      addressArgument,
    )
    .option('--assume <what>', 'skip the probe: reachable or unreachable', assumption)
    .option('--relay-port <n>', 'relay control port when serving (0 picks one)', portOption, 0)
    .option('--relay-ports <first-last>', 'serve as a relay with these allocation ports', portRange)
    .option(
      '--relay-protocol <p>',
      'relay-lite, or turn (TURN with credentials published in the record)',
      relayProtocol,
      'relay-lite',
    )
    .option(
      '--relay-allow-peer <cidr>',
      'TURN: peers it may relay to (repeat; default every public IPv4 address)',
      cidr,
      [],
    )
    .option('--reservations <n>', 'relays to reserve with', integerOption('reservations', 1, 8), 2)
    .option('--no-host-candidates', 'do not offer our host addresses (private ones)')
    .option(
      '--seed <hex>',
      'ed25519 seed of our records (64 hex digits; default random)',
      hexBytes(32),
    )
    .option(
      '--connect <key>',
      'reach the peer with this key (64 hex digits), then exit',
      hexBytes(32),
    )
    .option('--send <text>', 'with --connect: what to send', 'hello')
    .option('--echo', 'answer incoming sessions with what they sent')
    .option(
      '--refresh <s>',
      'republish records this often',
      integerOption('refresh', 1, 86_400),
      600,
    )
    .option('--json', 'print JSON lines')
    .action(async (flags: ReachFlags) => {
      await reach(flags)
    })
}

async function reach(flags: ReachFlags): Promise<void> {
  const host = await resolveBindHost(flags.bind)
  const bootstrap = await resolveDhtBootstrap(
    { bootstrap: flags.bootstrap, ...(flags.isolated === true ? { isolated: true } : {}) },
    (node, error) => printWarning(`DHT bootstrap node ${node} not resolved: ${error.message}`),
  )
  const env = createNodeEnv()
  const config: ReachabilityConfig = {
    host,
    unixNow: () => Math.floor(Date.now() / 1000),
    reservations: flags.reservations,
    advertiseHost: flags.hostCandidates,
    refreshSec: flags.refresh,
    findRelaysEverySec: Math.min(30, flags.refresh),
    ...(flags.stun === undefined ? {} : { stun: flags.stun }),
    ...(flags.assume === undefined ? {} : { assume: flags.assume }),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.relayPorts === undefined
      ? {}
      : {
          relay: {
            port: flags.relayPort,
            ports: flags.relayPorts,
            protocol: flags.relayProtocol,
            ...(flags.relayAllowPeer.length === 0 ? {} : { allowPeers: flags.relayAllowPeer }),
          },
        }),
  }
  if (flags.stun === undefined && flags.assume === undefined) {
    throw usageError('give --stun HOST:PORT to probe, or --assume reachable|unreachable')
  }
  const peer = await promised<PeerApi>((done) =>
    Peer.start(
      env,
      {
        listen: { host, port: 0 },
        uploadRateLimit: 0,
        downloadRateLimit: 0,
        connectionsMax: 16,
        dht: { port: flags.dhtPort, bootstrap },
        trackers: false,
        stateDisk: env.disk,
        reachability: config,
      },
      done,
    ),
  )
  const service = peer.reachability?.()
  if (service === undefined) throw new CliError('the reachability service did not start')
  const print = (type: string, fields: Record<string, unknown>, line: string): void => {
    if (flags.json === true) printJson({ type, ...fields })
    else printLine(line)
  }
  const dht = peer.dhtStatus()
  print(
    'reach_started',
    { key: toHex(service.key), dhtAddress: dht?.address },
    `plexus nat reach: key ${toHex(service.key)}, DHT on ${dht?.address ?? '-'}`,
  )
  const watcher = watchStatus(service, print)
  if (flags.echo === true) service.onSession((incoming) => echo(incoming, print))
  try {
    if (flags.connect !== undefined) await connectAndSend(service, flags.connect, flags.send, print)
    else {
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
    }
  } finally {
    clearInterval(watcher)
    await promised<void>((done) => peer.stop(done))
  }
}

type Print = (type: string, fields: Record<string, unknown>, line: string) => void

/** Prints the status whenever a part worth telling changes. */
function watchStatus(service: Reachability, print: Print): NodeJS.Timeout {
  let last = ''
  return setInterval(() => {
    const status = service.status()
    const shown = {
      state: status.state,
      probe: status.probe,
      relay:
        status.relay === undefined
          ? undefined
          : {
              control: status.relay.control,
              advertised: status.relay.advertised,
              reservations: status.relay.reservations,
            },
      reservations: status.reservations,
      recorded: status.recordStoredOn > 0,
    }
    const text = JSON.stringify(shown)
    if (text === last) return
    last = text
    const relay =
      status.relay === undefined
        ? ''
        : `, relay ${status.relay.control}${status.relay.advertised ? ' (advertised)' : ''}`
    const via = status.reservations.map((r) => `${r.relay} (mailbox ${r.mailbox})`).join(', ')
    print(
      'reach_status',
      { ...status },
      `${status.state}${relay}${via === '' ? '' : `, reserved with ${via}`}${shown.recorded ? ', record published' : ''}`,
    )
  }, 250)
}

function echo(incoming: ReachSession, print: Print): void {
  const report = incoming.session.report()
  print(
    'reach_session',
    {
      direction: incoming.direction,
      path: report?.path,
      ...(report === undefined ? {} : { remote: addressKey(report.remote) }),
    },
    `session from ${incoming.via.host}:${incoming.via.port} (${report?.path ?? '?'})`,
  )
  incoming.session.onData((bytes) => incoming.session.send(bytes))
}

async function connectAndSend(
  service: Reachability,
  key: Uint8Array,
  text: string,
  print: Print,
): Promise<void> {
  const reached = await promised<ReachSession>((done) => service.connect(key, done))
  const report = reached.session.report()
  print(
    'reach_connected',
    report === undefined ? {} : { ...report, remote: addressKey(report.remote) },
    `connected to ${toHex(key).slice(0, 16)}…: ${report?.path ?? '?'} (${report?.localType} -> ${report?.remoteType})`,
  )
  // datagrams: the other side may select a moment after us, so send again until it answers
  const answer = await new Promise<string | undefined>((resolve) => {
    const deadline = Date.now() + 10_000
    let timer: NodeJS.Timeout | undefined
    reached.session.onData((bytes) => {
      clearTimeout(timer)
      resolve(fromUtf8(bytes))
    })
    const again = (): void => {
      if (Date.now() > deadline) return resolve(undefined)
      reached.session.send(utf8(text))
      timer = setTimeout(again, 200)
    }
    again()
  })
  reached.session.close()
  if (answer === undefined) {
    process.exitCode = EXIT_FAILURE
    throw new CliError('no answer from the peer')
  }
  print('reach_answer', { text: answer, path: reached.session.report()?.path }, `answer: ${answer}`)
}
