/**
 * `plexus onion fetch <url>` and `plexus onion socks`: plexus's Tor-protocol client against
 * the directory authorities listed in a file of torrc `DirAuthority` lines (there is no
 * built-in list: plexus never reaches the public Tor network unless told to).
 */
import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { OnionClient, type BuildRecord } from '../../drivers/onion/client.js'
import { httpGetOverStream } from '../../drivers/onion/http-get.js'
import { startSocksServer } from '../../drivers/onion/socks.js'
import { bootstrapList } from '../dht/node-options.js'
import { portOption } from '../options.js'
import { CliError, printJson, printLine, usageError } from '../output.js'
import { fetchThroughDhtRelays } from './onion-dht.js'
import { readAuthoritiesFile } from './onion-authorities.js'
import { stderrLog } from './onion-log.js'
import { fetchThroughNamedRelays } from './onion-named-fetch.js'
import { registerOnionRelay } from './onion-relay.js'

export interface OnionCommonOptions {
  readonly authorities?: string
  readonly distinctSubnets: boolean
  readonly json?: boolean
}

interface FetchOptions extends OnionCommonOptions {
  readonly output?: string
  readonly relays?: string
  readonly dhtBootstrap: string[]
}

interface SocksOptions extends OnionCommonOptions {
  readonly port: number
  readonly bind: string
}

/** The client of the network `--authorities` names; `onBuild` hears of every circuit. */
export async function bootstrap(
  options: OnionCommonOptions,
  onBuild?: (record: BuildRecord) => void,
): Promise<OnionClient> {
  if (options.authorities === undefined)
    throw usageError('--authorities FILE is needed to use tor relays (or give --relays)')
  const authorities = readAuthoritiesFile(options.authorities)
  return OnionClient.bootstrap({
    authorities,
    distinctSubnets: options.distinctSubnets,
    log: stderrLog(options.json === true),
    ...(onBuild === undefined ? {} : { onBuild }),
  })
}

const withCommon = (command: Command): Command =>
  command
    .option('--authorities <file>', 'file of torrc DirAuthority lines (the network to use)')
    .option(
      '--no-distinct-subnets',
      'allow two relays of one /16 on a path (loopback test networks)',
    )
    .option('--json', 'print JSON lines instead of text')

export function registerOnion(program: Command): void {
  const onion = program
    .command('onion')
    .description("onion routing with Tor's circuit protocol (client and relay)")
  registerOnionRelay(onion)

  withCommon(
    onion
      .command('fetch')
      .description('fetch an http:// URL through a 3-hop circuit')
      .argument('<url>', 'http://HOST:PORT/PATH')
      .option('-o, --output <file>', 'write the body here instead of stdout')
      .option(
        '--relays <file|json>',
        'build the circuit through these relays, in order: JSON lines of `plexus onion relay --json` records, or {"tor":"FINGERPRINT|nickname"} for a tor relay of the consensus',
      )
      .option(
        '--dht-bootstrap <host:port,...>',
        'take relays from the DHT joined through these nodes (signed onion-relay records)',
        bootstrapList,
        [],
      ),
  ).action(async (rawUrl: string, options: FetchOptions) => {
    const url = URL.canParse(rawUrl) ? new URL(rawUrl) : undefined
    if (url?.protocol !== 'http:') throw usageError(`not an http:// URL: ${rawUrl}`)
    if (options.dhtBootstrap.length > 0)
      return fetchThroughDhtRelays(url, {
        dhtBootstrap: options.dhtBootstrap,
        distinctSubnets: options.distinctSubnets,
        json: options.json === true,
        log: stderrLog(options.json === true),
        ...(options.output === undefined ? {} : { output: options.output }),
      })
    if (options.relays !== undefined)
      return fetchThroughNamedRelays(url, { ...options, relays: options.relays }, () =>
        bootstrap(options),
      )
    const client = await bootstrap(options)
    try {
      const started = performance.now()
      const stream = await client.connect(
        url.hostname.replace(/^\[|\]$/g, ''),
        Number(url.port || 80),
      )
      const result = await httpGetOverStream(stream, url)
      const elapsedMs = Math.round(performance.now() - started)
      if (options.output !== undefined) writeFileSync(options.output, result.body)
      else if (options.json !== true) process.stdout.write(result.body)
      const circuit = client.builds.at(-1)
      if (options.json === true)
        printJson({
          type: 'fetched',
          url: url.href,
          status: result.status,
          bytes: result.body.length,
          elapsedMs,
          buildMs: circuit?.durationMs,
          path: circuit?.path,
        })
      else if (options.output !== undefined)
        printLine(
          `${result.status} ${result.body.length} bytes in ${elapsedMs} ms -> ${options.output}`,
        )
      if (result.status >= 400) throw new CliError(`HTTP ${result.status}`, 'http', 1)
    } finally {
      client.close()
    }
  })

  withCommon(
    onion
      .command('socks')
      .description('a SOCKS5 listener (CONNECT) whose connections leave through circuits')
      .option('--port <n>', 'local TCP port (0 picks a free one)', portOption, 9050)
      .option('--bind <addr>', 'local address to listen on', '127.0.0.1'),
  ).action(async (options: SocksOptions) => {
    const client = await bootstrap(options)
    const server = await startSocksServer(
      client,
      stderrLog(options.json === true),
      options.port,
      options.bind,
    )
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : options.port
    if (options.json === true)
      printJson({ type: 'listening', port, bind: options.bind, relays: client.relays.length })
    else printLine(`SOCKS5 on ${options.bind}:${port} (${client.relays.length} relays)`)
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        server.close()
        client.close()
        resolve()
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
  })
}
