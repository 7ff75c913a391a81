import type { Command } from 'commander'
import { addressKey, type Address } from '../../core/address.js'
import { ms } from '../../core/time.js'
import { localAddressesOf } from '../../drivers/nat/interfaces.js'
import { probeNat } from '../../drivers/nat/probe.js'
import { startStunServer, type RunningStunServer } from '../../drivers/nat/stun-server.js'
import { createNodeEnv } from '../../drivers/node/env.js'
import { bindDatagram, promised } from '../../drivers/promises.js'
import type { NatReport } from '../../protocols/stun/index.js'
import { addressArgument, integerOption, portOption } from '../options.js'
import { EXIT_FAILURE, printJson, printLine } from '../output.js'

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
      if (flags.json === true) printJson({ type: 'nat_report', ...report })
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
      if (flags.json === true) printJson({ type: 'listening', protocol: 'stun', sockets })
      else printLine(`plexus nat server: STUN on ${sockets.join(', ')} (udp)`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      server.close()
    })
}

async function probe(flags: ProbeFlags): Promise<NatReport> {
  const env = createNodeEnv()
  const socket = await bindDatagram(env.net, { host: flags.bind, port: flags.port })
  try {
    return await new Promise<NatReport>((resolve) => {
      probeNat(
        env,
        socket,
        {
          server: flags.stun,
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

function serve(flags: ServerFlags): Promise<RunningStunServer> {
  const env = createNodeEnv()
  return promised((done) =>
    startStunServer(
      env.net,
      {
        primary: { host: flags.bind, port: flags.port },
        ...(flags.altBind === undefined
          ? {}
          : { alternate: { host: flags.altBind, port: flags.altPort } }),
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
