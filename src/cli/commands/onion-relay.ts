/**
 * `plexus onion relay`: a plexus relay speaking Tor's link and circuit protocol on a TCP
 * port (TLS). It prints one `listening` line with what a client needs to use it
 * (fingerprint, Ed25519 identity, ntor onion key); `plexus onion fetch --relays FILE` takes
 * such lines. Keys persist in --state, so the relay keeps its identity across restarts.
 * With --authorities it gets listed by those directory authorities: it uploads its server
 * descriptor at start and every 18 hours, prints each round's answers, and authenticates the
 * links it opens (a tor exit serves streams from a listed relay only over such links).
 */
import type { Command } from 'commander'
import type { UploadAnswer } from '../../drivers/onion/relay-descriptor.js'
import { PlexusRelay, type RelayOptions } from '../../drivers/onion/relay-server.js'
import {
  DEFAULT_EXIT_POLICY,
  parseExitPolicy,
} from '../../protocols/onion/directory/exit-policy.js'
import { bootstrapList } from '../dht/node-options.js'
import { integerOption, portOption } from '../options.js'
import { printJson, printLine, usageError } from '../output.js'
import { readAuthoritiesFile } from './onion-authorities.js'
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
  readonly authorities?: string
  readonly bandwidth: number
  readonly directory?: boolean
}

/** tor's nickname rule (dir-spec §2.1.1): 1 to 19 letters and digits. */
const NICKNAME = /^[A-Za-z0-9]{1,19}$/

/** The relay's `publish` option from --authorities, or none without it. */
function publishOption(options: RelayCommandOptions): RelayOptions['publish'] | undefined {
  if (options.authorities === undefined) return undefined
  if (options.nickname !== undefined && !NICKNAME.test(options.nickname))
    throw usageError(
      `--nickname must be 1 to 19 letters and digits to be listed, got '${options.nickname}'`,
    )
  const authorities = readAuthoritiesFile(options.authorities).map((authority) => ({
    host: authority.host,
    dirPort: authority.dirPort,
  }))
  const json = options.json === true
  return {
    authorities,
    bandwidth: options.bandwidth,
    directory: options.directory === true,
    onUpload: (answers: readonly UploadAnswer[]) => {
      const accepted = answers.filter((answer) => answer.status === 200).length
      if (json) printJson({ type: 'published', accepted, uploads: answers })
      else
        printLine(
          `descriptor uploaded: ${accepted} of ${answers.length} authorities accepted it` +
            answers
              .filter((answer) => answer.status !== 200)
              .map((answer) => `; DirPort ${answer.dirPort}: ${answer.status} ${answer.reason}`)
              .join(''),
        )
    },
  }
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
    .option(
      '--authorities <file>',
      'get listed by the directory authorities in this file of torrc DirAuthority lines',
    )
    .option(
      '--bandwidth <bytes/s>',
      'with --authorities: the bandwidth the descriptor advertises',
      integerOption('bandwidth', 1, 2 ** 31 - 1),
      10 * 1024 * 1024,
    )
    .option(
      '--directory',
      'with --authorities: answer tunnelled directory requests (BEGIN_DIR), as a guard must',
    )
    .option('--json', 'print JSON lines instead of text')
    .action(async (options: RelayCommandOptions) => {
      const policy = parseExitPolicy(options.exitPolicy)
      if (!policy.ok) throw usageError(policy.error)
      const publish = publishOption(options)
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
          ...(publish === undefined ? {} : { publish }),
        })
      const relay = await PlexusRelay.start({
        stateDir: options.state,
        port: options.port,
        bind: options.bind,
        exitPolicy: policy.value,
        log: stderrLog(options.json === true),
        ...(options.nickname === undefined ? {} : { nickname: options.nickname }),
        ...(publish === undefined ? {} : { publish }),
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
