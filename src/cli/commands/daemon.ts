import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import {
  ConfigError,
  formatConfig,
  parseConfigText,
  resolveConfig,
  type DaemonConfig,
} from '../../daemon/config.js'
import { CliError, EXIT_INTERRUPTED, printJson, printLine, usageError } from '../output.js'
import { defaultDaemonDataDir } from '../remote/client.js'
import { underTestRunner } from '../state-dir.js'

interface DaemonOptions {
  readonly config?: string
  readonly dataDir?: string
  readonly printConfig?: boolean
  readonly json?: boolean
}

/**
 * The effective config: --config FILE, else `<data dir>/config.toml` when it exists, over the
 * defaults. A file the daemon refuses is misuse (exit 2), named with its bad key.
 */
async function loadConfig(options: DaemonOptions): Promise<DaemonConfig> {
  const fallbackDir = options.dataDir ?? defaultDaemonDataDir()
  const path = resolve(options.config ?? join(fallbackDir, 'config.toml'))
  let text = ''
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    // No default file (or no data dir yet, or one under a file: the start will say so).
    const code = (error as NodeJS.ErrnoException).code
    const missing = code === 'ENOENT' || code === 'ENOTDIR'
    if (!missing || options.config !== undefined) {
      throw usageError(`--config ${path}: ${(error as Error).message}`)
    }
  }
  try {
    return resolveConfig(parseConfigText(text), {
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      defaultDataDir: defaultDaemonDataDir(),
      configDir: dirname(path),
      // Tests and benchmarks send traffic to loopback only: no DHT unless the file asks.
      dhtByDefault: !underTestRunner(),
    })
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(`config ${path}: ${error.message}`)
    throw error
  }
}

/** Resolves at SIGINT or SIGTERM; a second one during the shutdown exits 130 at once. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const first = (signal: string): void => {
      process.removeListener('SIGINT', first)
      process.removeListener('SIGTERM', first)
      process.once('SIGINT', () => process.exit(EXIT_INTERRUPTED))
      process.once('SIGTERM', () => process.exit(EXIT_INTERRUPTED))
      resolve(signal)
    }
    process.on('SIGINT', first)
    process.on('SIGTERM', first)
  })
}

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description(
      'run one long-lived node with many torrents, driven by its HTTP API and the remote commands',
    )
    .option('--config <file>', 'TOML config file (default: <data dir>/config.toml if present)')
    .option(
      '--data-dir <dir>',
      'torrent list, resume data, API token, log (default: <state>/daemon)',
    )
    .option('--print-config', 'print the effective config, every default included, and exit')
    .option('--json', 'print the ready line as JSON')
    .action(async (options: DaemonOptions) => {
      const config = await loadConfig(options)
      if (options.printConfig === true) {
        process.stdout.write(formatConfig(config))
        return
      }
      const stopped = stopSignal()
      // Loaded here, not at the top: fastify and the peer stack cost every other command
      // about 0.3 s of start-up otherwise.
      const { startDaemon } = await import('../../daemon/daemon.js')
      const { startNodePeerFactory } = await import('../../daemon/start-peer.js')
      const daemon = await startDaemon({ config, startPeer: startNodePeerFactory })
      if (options.json === true) {
        printJson({
          type: 'listening',
          api: daemon.apiUrl,
          dataDir: config.dataDir,
          restored: daemon.restored,
        })
      } else {
        printLine(
          `daemon: API ${daemon.apiUrl}, data dir ${config.dataDir}, ${daemon.restored} torrents restored`,
        )
      }
      const fatal = await Promise.race([stopped.then(() => undefined), daemon.fatal])
      await daemon.stop()
      if (fatal !== undefined) throw new CliError(fatal.message, fatal.code)
    })
}
