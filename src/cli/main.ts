import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { registerDemo } from './commands/demo.js'
import { registerDht } from './commands/dht.js'
import { registerDirectory } from './commands/directory.js'
import { registerPing } from './commands/ping.js'
import { registerSim } from './commands/sim.js'
import { registerTorrentFiles } from './commands/torrent-files.js'
import { registerTransfer } from './commands/transfer.js'
import { registerTracker } from './commands/tracker.js'
import { EXIT_FAILURE, printError } from './output.js'
import { rerunSimWithBigYoungGeneration } from './sim-heap.js'

const packageJson = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string }

export function buildProgram(): Command {
  const program = new Command()
  program
    .name('plexus')
    .description('Peer-to-peer systems as working software: real sockets and a simulator.')
    .version(packageJson.version, '-V, --version')
    .showHelpAfterError('(run `plexus --help` for the commands)')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
  registerTorrentFiles(program)
  registerTransfer(program)
  registerTracker(program)
  registerDirectory(program)
  registerPing(program)
  registerDht(program)
  registerSim(program)
  registerDemo(program)
  return program
}

// `plexus ... | head` closes our stdout early: that ends the output, it is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

async function main(): Promise<void> {
  const program = buildProgram()
  program.exitOverride()
  try {
    await program.parseAsync(process.argv)
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander with exit code 0.
      process.exitCode = error.exitCode
      return
    }
    printError(error instanceof Error ? error.message : String(error))
    process.exitCode = EXIT_FAILURE
  }
}

const rerun = rerunSimWithBigYoungGeneration(process.argv)
if (rerun === undefined) await main()
else process.exitCode = rerun
