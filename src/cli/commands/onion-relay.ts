/**
 * `plexus onion relay`: a plexus relay speaking Tor's link and circuit protocol on a TCP
 * port (TLS). It prints one `listening` line with what a client needs to use it
 * (fingerprint, Ed25519 identity, ntor onion key); `plexus onion fetch --relays FILE` takes
 * such lines. Keys persist in --state, so the relay keeps its identity across restarts.
 */
import type { Command } from 'commander'
import { PlexusRelay } from '../../drivers/onion/relay-server.js'
import { DEFAULT_EXIT_POLICY, parseExitPolicy } from '../../protocols/onion/relay-circuit.js'
import { bootstrapList } from '../dht/node-options.js'
import { integerOption, portOption } from '../options.js'
import { printJson, printLine, usageError } from '../output.js'
import { runAdvertisedRelay } from './onion-dht.js'
import { stderrLog } from './onion-log.js'

interface RelayCommandOptions {
  readonly port: number
  readonly bind: string
  readonly state: string
  readonly exitPolicy: string
  readonly nickname?: string
  readonly json?: boolean
  readonly dhtBootstrap: string[]
  readonly dhtPort: number
  readonly refresh: number
}

export function registerOnionRelay(onion: Command): void {
  onion
    .command('relay')
    .description(
      "run an onion relay (Tor's link and circuit protocol; exit to loopback by default)",
    )
    .option('--port <n>', 'TCP port for the TLS link (0 picks a free one)', portOption, 9001)
    .option('--bind <addr>', 'IPv4 address to listen on and advertise', '127.0.0.1')
    .requiredOption('--state <dir>', 'directory for the relay keys (its identity persists here)')
    .option(
      '--exit-policy <rules>',
      'exit policy in descriptor syntax, comma-separated; the first match decides',
      DEFAULT_EXIT_POLICY,
    )
    .option('--nickname <name>', 'a name for the relay in printed records')
    .option(
      '--dht-bootstrap <host:port,...>',
      'advertise the relay (a signed onion-relay record) in the DHT joined through these nodes',
      bootstrapList,
      [],
    )
    .option('--dht-port <n>', 'with --dht-bootstrap: DHT UDP port (0 picks one)', portOption, 0)
    .option(
      '--refresh <s>',
      'with --dht-bootstrap: republish the record this often',
      integerOption('refresh', 1, 3600),
      600,
    )
    .option('--json', 'print JSON lines instead of text')
    .action(async (options: RelayCommandOptions) => {
      const policy = parseExitPolicy(options.exitPolicy)
      if (!policy.ok) throw usageError(policy.error)
      if (options.dhtBootstrap.length > 0)
        return runAdvertisedRelay({
          stateDir: options.state,
          port: options.port,
          bind: options.bind,
          exitPolicy: policy.value,
          exitPolicyText: options.exitPolicy,
          dhtPort: options.dhtPort,
          dhtBootstrap: options.dhtBootstrap,
          refreshSec: options.refresh,
          json: options.json === true,
          log: stderrLog(options.json === true),
          ...(options.nickname === undefined ? {} : { nickname: options.nickname }),
        })
      const relay = await PlexusRelay.start({
        stateDir: options.state,
        port: options.port,
        bind: options.bind,
        exitPolicy: policy.value,
        log: stderrLog(options.json === true),
        ...(options.nickname === undefined ? {} : { nickname: options.nickname }),
      })
      const record = relay.published
      if (options.json === true)
        printJson({ type: 'listening', ...record, exitPolicy: options.exitPolicy })
      else {
        printLine(`onion relay ${record.nickname} on ${record.address}:${record.orPort}`)
        printLine(`fingerprint ${record.fingerprint}`)
        printLine(`ed25519 ${record.ed25519Id}  ntor ${record.ntorOnionKey}`)
        printLine(`relay record: ${JSON.stringify(record)}`)
      }
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          relay.close()
          resolve()
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    })
}
