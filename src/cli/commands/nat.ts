import type { Command } from 'commander'
import { addressKey, type Address } from '../../core/address.js'
import { ms } from '../../core/time.js'
import { localAddressesOf } from '../../drivers/nat/interfaces.js'
import { probeNat } from '../../drivers/nat/probe.js'
import { startStunServer, type RunningStunServer } from '../../drivers/nat/stun-server.js'
import { createNodeEnv } from '../../drivers/node/env.js'
import { bindDatagram, promised } from '../../drivers/promises.js'
import { startTurnServer, type RunningTurnServer } from '../../drivers/nat/turn-server.js'
import { longTermKey, type NatReport } from '../../protocols/stun/index.js'
import { PeerPolicy, turnServerConfig, type TurnServerEvent } from '../../protocols/turn/index.js'
import { addressArgument, integerOption, portOption } from '../options.js'
import { resolveBindHost, resolveHostName } from '../bind-host.js'
import { CliError, EXIT_FAILURE, printJson, printLine, usageError } from '../output.js'
import { registerNatReach } from './nat-reach.js'

/**
 * `plexus nat`: NAT traversal tools. `probe` asks a STUN server (RFC 5780 for the behaviour
 * tests) what our mapping and filtering are; `server` runs a STUN server, with an alternate
 * address for RFC 5780.
 */

interface ProbeFlags {
  readonly stun: Address
  readonly bind: string
  readonly port: number
  readonly rto: number
  readonly json?: boolean
}

interface ServerFlags {
  readonly bind: string
  readonly altBind?: string
  readonly port: number
  readonly altPort: number
  readonly json?: boolean
}

export const SOFTWARE = 'plexus'

interface RelayFlags {
  readonly bind: string
  readonly port: number
  readonly relayHost?: string
  readonly realm: string
  readonly user: string[]
  readonly allowPeer: string[]
  readonly maxAllocations: number
  readonly allocationsPerUser: number
  readonly allocationsPerIp: number
  readonly bytesPerAllocation: number
  readonly rate: number
  readonly json?: boolean
}

const collect = (value: string, previous: string[]): string[] => [...previous, value]

export function registerNat(program: Command): void {
  const nat = program.command('nat').description('NAT traversal: STUN probe, STUN and TURN servers')
  nat
    .command('probe')
    .description('find our public address and NAT mapping/filtering behaviour (RFC 5780)')
    .requiredOption(
      '--stun <host:port>',
      'STUN server (RFC 5780 for the behaviour tests)',
      addressArgument,
    )
    .option('--bind <addr>', 'local address to send from', '0.0.0.0')
    .option('--port <n>', 'local UDP port (0 picks a free one)', portOption, 0)
    .option(
      '--rto <ms>',
      'first retransmission timeout of each test',
      integerOption('rto', 10, 10_000),
      500,
    )
    .option('--json', 'print one JSON object')
    .action(async (flags: ProbeFlags) => {
      const report = await probe(flags)
      if (flags.json === true) printJson({ type: 'nat_report', ...reportJson(report) })
      else printReport(report)
      if (report.mapped === undefined) process.exitCode = EXIT_FAILURE
    })
  nat
    .command('server')
    .description('run a STUN server; with --alt-bind an RFC 5780 behaviour-discovery server')
    .option('--bind <addr>', 'primary address', '127.0.0.1')
    .option('--alt-bind <addr>', 'alternate address (RFC 5780; e.g. 127.0.0.2)')
    .option('--port <n>', 'primary port (0 picks a free one)', portOption, 3478)
    .option('--alt-port <n>', 'alternate port (0: the primary port plus one)', portOption, 0)
    .option('--json', 'print JSON lines')
    .action(async (flags: ServerFlags) => {
      const server = await serve(flags)
      const sockets = server.sockets.map((socket) => addressKey(socket.local))
      if (flags.json === true) {
        printJson({ type: 'listening', protocol: 'stun', address: sockets[0], sockets })
      } else printLine(`plexus nat server: STUN on ${sockets.join(', ')} (udp)`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      server.close()
    })
  registerRelay(nat)
  registerNatReach(nat)
}

function registerRelay(nat: Command): void {
  nat
    .command('relay')
    .description('run a TURN relay (RFC 8656, UDP) with long-term credentials')
    .option('--bind <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', portOption, 3478)
    .option('--relay-host <addr>', 'address relayed sockets bind (default: --bind)')
    .option('--realm <realm>', 'authentication realm', 'plexus')
    .option('--user <name:password>', 'a user (repeat for more)', collect, [])
    .option(
      '--allow-peer <cidr>',
      'peers that may be relayed to (repeat; default loopback only)',
      collect,
      [],
    )
    .option(
      '--max-allocations <n>',
      'allocations in all',
      integerOption('max-allocations', 0, 1e6),
      1000,
    )
    .option(
      '--allocations-per-user <n>',
      'allocations per user',
      integerOption('allocations-per-user', 0, 1e6),
      10,
    )
    .option(
      '--allocations-per-ip <n>',
      'allocations per client IP',
      integerOption('allocations-per-ip', 0, 1e6),
      10,
    )
    .option(
      '--bytes-per-allocation <n>',
      'bytes relayed per allocation',
      integerOption('bytes-per-allocation', 0, 2 ** 52),
      2 ** 30,
    )
    .option(
      '--rate <bytes/s>',
      'relayed bytes per second per allocation',
      integerOption('rate', 1, 2 ** 40),
      10 * 2 ** 20,
    )
    .option('--json', 'print JSON lines')
    .action(async (flags: RelayFlags) => {
      const users = new Map<string, string>()
      for (const entry of flags.user) {
        const at = entry.indexOf(':')
        if (at <= 0) throw usageError(`--user takes name:password, got '${entry}'`)
        users.set(entry.slice(0, at), entry.slice(at + 1))
      }
      if (users.size === 0) throw usageError('give at least one --user name:password')
      let policy: PeerPolicy
      try {
        policy =
          flags.allowPeer.length === 0 ? PeerPolicy.loopbackOnly() : new PeerPolicy(flags.allowPeer)
      } catch (error) {
        throw usageError(`--allow-peer: ${(error as Error).message}`)
      }
      const env = createNodeEnv()
      const bind = await resolveBindHost(flags.bind)
      const config = turnServerConfig({
        realm: flags.realm,
        relayHost: flags.relayHost === undefined ? bind : await resolveBindHost(flags.relayHost),
        keyOf: (name) => {
          const password = users.get(name)
          return password === undefined ? undefined : longTermKey(name, flags.realm, password)
        },
        peerPolicy: policy,
        software: SOFTWARE,
        allocationsMax: flags.maxAllocations,
        allocationsPerUser: flags.allocationsPerUser,
        allocationsPerIp: flags.allocationsPerIp,
        bytesPerAllocation: flags.bytesPerAllocation,
        bytesPerSecond: flags.rate,
      })
      const server = await promised<RunningTurnServer>((done) =>
        startTurnServer(
          // defer: send after each pass of reads (turn-server.ts), the relay's main cost
          { ...env, defer: (fn) => setImmediate(fn) },
          { host: bind, port: flags.port },
          config,
          (event) => printRelayEvent(event, flags.json === true),
          done,
        ),
      )
      const local = addressKey(server.local)
      if (flags.json === true)
        printJson({ type: 'listening', protocol: 'turn', address: local, allowPeers: policy.allow })
      else
        printLine(
          `plexus nat relay: TURN on ${local} (udp), realm ${flags.realm}, peers ${policy.allow.join(' ')}`,
        )
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      server.close()
    })
}

/** The report with its addresses as `host:port` (docs/cli.md, JSON vocabulary). */
function reportJson(report: NatReport): Record<string, unknown> {
  return {
    ...report,
    server: addressKey(report.server),
    ...(report.mapped === undefined ? {} : { mapped: addressKey(report.mapped) }),
    ...(report.otherAddress === undefined ? {} : { otherAddress: addressKey(report.otherAddress) }),
  }
}

function printRelayEvent(event: TurnServerEvent, json: boolean): void {
  if (event.type === 'dropped' && !json) return
  if (json) {
    printJson({
      ...event,
      ...('client' in event ? { client: addressKey(event.client) } : {}),
      ...('relay' in event ? { relay: addressKey(event.relay) } : {}),
      ...('from' in event ? { from: addressKey(event.from) } : {}),
    })
    return
  }
  if (event.type === 'allocated')
    printLine(
      `allocated ${addressKey(event.relay)} for ${event.username} at ${addressKey(event.client)}`,
    )
  else if (event.type === 'allocation_closed')
    printLine(
      `closed ${addressKey(event.relay)} (${event.reason}, ${event.relayedBytes} bytes relayed)`,
    )
  else if (event.type === 'refused')
    printLine(`refused ${addressKey(event.client)}: error ${event.code}`)
}

/** `--stun` may name the server; the drivers send to IP literals only. */
async function resolveServer(server: Address): Promise<Address> {
  try {
    return { host: await resolveBindHost(server.host, resolveHostName), port: server.port }
  } catch {
    throw new CliError(`--stun ${server.host}: cannot resolve this host name`, 'bad_address')
  }
}

async function probe(flags: ProbeFlags): Promise<NatReport> {
  const env = createNodeEnv()
  const server = await resolveServer(flags.stun)
  const bind = await resolveBindHost(flags.bind)
  const socket = await bindDatagram(env.net, { host: bind, port: flags.port })
  try {
    return await new Promise<NatReport>((resolve) => {
      probeNat(
        env,
        socket,
        {
          server,
          local: localAddressesOf(socket.local),
          retransmit: { rto: ms(flags.rto), rc: 3, rm: 4 },
          software: SOFTWARE,
        },
        resolve,
      )
    })
  } finally {
    socket.close()
  }
}

async function serve(flags: ServerFlags): Promise<RunningStunServer> {
  const env = createNodeEnv()
  const bind = await resolveBindHost(flags.bind)
  const altBind = flags.altBind === undefined ? undefined : await resolveBindHost(flags.altBind)
  return promised((done) =>
    startStunServer(
      env.net,
      {
        primary: { host: bind, port: flags.port },
        ...(altBind === undefined ? {} : { alternate: { host: altBind, port: flags.altPort } }),
        software: SOFTWARE,
        metrics: env.metrics,
      },
      done,
    ),
  )
}

const MAPPING_TEXT: Readonly<Record<NatReport['mapping'], string>> = {
  'no-nat': 'no NAT (our own address)',
  'endpoint-independent': 'endpoint-independent',
  'address-dependent': 'address-dependent',
  'address-and-port-dependent': 'address-and-port-dependent (symmetric)',
  unknown: 'unknown',
}

function printReport(report: NatReport): void {
  printLine(`server:     ${addressKey(report.server)}${report.rfc5780 ? ' (RFC 5780)' : ''}`)
  printLine(`mapped:     ${report.mapped === undefined ? 'none' : addressKey(report.mapped)}`)
  printLine(`mapping:    ${MAPPING_TEXT[report.mapping]}`)
  printLine(`filtering:  ${report.filtering}`)
  printLine(
    `reachable:  ${report.reachable ? 'yes, directly at the mapped address' : 'no: needs hole punching or a relay'}`,
  )
  if (report.error !== undefined) printLine(`note:       ${report.error}`)
}
