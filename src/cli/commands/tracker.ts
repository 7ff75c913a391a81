import type { Command } from 'commander'
import { address, addressKey } from '../../core/address.js'
import { NodeClock } from '../../drivers/node/clock.js'
import { CryptoRandom } from '../../drivers/node/random.js'
import { portOption } from '../options.js'
import { printJson, printLine } from '../output.js'

/**
 * `plexus tracker`: the directory's tracker core alone, over HTTP and in memory (announce and
 * scrape). `plexus directory` adds UDP, the searchable index and the web pages.
 */
export function registerTracker(program: Command): void {
  program
    .command('tracker')
    .description('run an in-memory HTTP BitTorrent tracker (announce, scrape; no index)')
    .option('--port <n>', 'HTTP port (0 picks one)', portOption, 6969)
    .option('--bind <addr>', 'address to listen on', '127.0.0.1')
    .option('--json', 'print the announce URL as JSON')
    .action(async (options: { port: number; bind: string; json?: boolean }) => {
      // Loaded here: its HTTP server (fastify) would cost every other command's start-up.
      const { startHttpTracker } = await import('../../drivers/node/http-tracker.js')
      const tracker = await startHttpTracker({
        local: address(options.bind, options.port),
        clock: new NodeClock(),
        random: new CryptoRandom(),
      })
      if (options.json === true) {
        printJson({
          type: 'listening',
          address: addressKey(tracker.address),
          announceUrl: tracker.announceUrl,
        })
      } else printLine(`tracker: ${tracker.announceUrl}`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await tracker.close()
    })
}
