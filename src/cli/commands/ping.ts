import type { Command } from 'commander'
import { address, addressKey, type Address } from '../../core/address.js'
import { answerPings, pingSeries } from '../../drivers/ping/node-ping.js'
import { PING_PADDING_BYTES_MAX } from '../../protocols/ping/codec.js'
import type { PingEvent } from '../../protocols/ping/index.js'
import { summarize } from '../../core/stats.js'
import { addressArgument, integerOption, portOption } from '../options.js'
import { EXIT_FAILURE, formatMs, printJson, printLine } from '../output.js'

interface PingOptions {
  readonly listen?: boolean
  readonly port: number
  readonly bind: string
  readonly count: number
  readonly interval: number
  readonly size: number
  readonly exitAfter?: number
  readonly json?: boolean
}

export function registerPing(program: Command): void {
  program
    .command('ping')
    .description('measure round-trip time to a plexus node over UDP, or answer pings (--listen)')
    .argument('[target]', 'HOST:PORT of a node that answers pings', addressArgument)
    .option('--listen', 'answer pings instead of sending them')
    .option('--port <n>', 'local UDP port (0 picks a free one)', portOption, 0)
    .option('--bind <addr>', 'local address to bind', '127.0.0.1')
    .option('-c, --count <n>', 'pings to send', integerOption('count', 1, 1_000_000), 5)
    .option(
      '-i, --interval <ms>',
      'milliseconds between pings',
      integerOption('interval', 1, 3_600_000),
      200,
    )
    .option(
      '-s, --size <bytes>',
      'padding bytes per ping',
      integerOption('size', 0, PING_PADDING_BYTES_MAX),
      0,
    )
    .option(
      '--exit-after <n>',
      'with --listen: exit after answering n pings',
      integerOption('exit-after', 1, 1e9),
    )
    .option('--json', 'print JSON lines instead of text')
    .action(async (target: Address | undefined, options: PingOptions, command: Command) => {
      if (options.listen === true && target !== undefined) {
        command.error('error: give either --listen or a target, not both', { exitCode: 2 })
      }
      if (options.listen !== true && target === undefined) {
        command.error('error: missing target HOST:PORT (or use --listen)', { exitCode: 2 })
      }
      if (options.listen === true) await listen(options)
      else await pingTarget(target as Address, options)
    })
}

async function listen(options: PingOptions): Promise<void> {
  const responder = await answerPings({
    bind: address(options.bind, options.port),
    ...(options.exitAfter === undefined ? {} : { exitAfter: options.exitAfter }),
    onEvent: (event) => {
      if (options.json === true) printJson(event)
    },
  })
  process.once('SIGINT', responder.stop)
  process.once('SIGTERM', responder.stop)
  const local = addressKey(responder.local)
  if (options.json === true) printJson({ type: 'listening', address: local })
  else printLine(`plexus ping: answering on ${local} (udp)`)
  const answered = await responder.finished
  if (options.json !== true) printLine(`answered ${answered} pings`)
}

async function pingTarget(target: Address, options: PingOptions): Promise<void> {
  const rtts: number[] = []
  const stats = await pingSeries({
    bind: address(options.bind, options.port),
    target,
    count: options.count,
    intervalMs: options.interval,
    paddingBytes: options.size,
    onEvent: (event: PingEvent) => {
      if (event.type === 'pong_received') rtts.push(event.rttMs)
      if (options.json === true) printJson(event)
      else if (event.type === 'pong_received') {
        printLine(`reply from ${event.from}: tid=${event.tid} time=${formatMs(event.rttMs)} ms`)
      } else if (event.type === 'ping_timed_out') printLine(`timeout: ${event.to} tid=${event.tid}`)
    },
  })
  const rtt = summarize(rtts)
  const summary = {
    type: 'summary',
    target: addressKey(target),
    sent: stats.pingsSent,
    received: stats.pongsReceived,
    lossRatio: stats.pingsSent === 0 ? 0 : 1 - stats.pongsReceived / stats.pingsSent,
    rttMs: rtt,
  }
  if (options.json === true) printJson(summary)
  else {
    printLine(
      `${summary.sent} sent, ${summary.received} received, ` +
        `${(summary.lossRatio * 100).toFixed(1)}% loss; rtt min/p50/max ` +
        `${formatMs(rtt.min)}/${formatMs(rtt.p50)}/${formatMs(rtt.max)} ms`,
    )
  }
  if (stats.pongsReceived === 0) process.exitCode = EXIT_FAILURE
}
