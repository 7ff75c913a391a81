import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { registerDaemon } from './commands/daemon.js'
import { registerDemo } from './commands/demo.js'
import { registerDht } from './commands/dht.js'
import { registerDirectory } from './commands/directory.js'
import { registerPing } from './commands/ping.js'
import { registerRemote } from './commands/remote.js'
import { registerSim } from './commands/sim.js'
import { registerTorrentFiles } from './commands/torrent-files.js'
import { registerTransfer } from './commands/transfer.js'
import { registerTracker } from './commands/tracker.js'
import { resolveBindHost } from './bind-host.js'
import { describeFatal } from './fatal.js'
import { addExamples } from './examples.js'
import { EXIT_USAGE, printError, useJsonErrors } from './output.js'
import { rerunSimWithBigYoungGeneration } from './sim-heap.js'

const packageJson = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string }

/** `--json` anywhere on the command line: errors are then JSON objects on stderr. */
const wantsJson = (argv: readonly string[]): boolean => argv.includes('--json')

export function buildProgram(json = false): Command {
  const program = new Command()
  // Set before the commands are added: commander copies these settings to each of them.
  // exitOverride: errors reach main's catch, which applies the one exit-code rule.
  program.exitOverride()
  program.configureOutput({
    outputError: (text, write) => {
      if (!json) return write(text)
      const message = text.trim().replace(/^error: /, '')
      write(`${JSON.stringify({ type: 'error', code: 'usage', message })}\n`)
    },
  })
  program
    .name('plexus')
    .description('Peer-to-peer systems as working software: real sockets and a simulator.')
    .version(packageJson.version, '-V, --version')
    .showHelpAfterError(json ? false : '(run `plexus --help` for the commands)')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
  registerTorrentFiles(program)
  registerTransfer(program)
  registerTracker(program)
  registerDirectory(program)
  registerDaemon(program)
  registerRemote(program)
  registerPing(program)
  registerDht(program)
  registerSim(program)
  registerDemo(program)
  addExamples(program)
  // Every command's --bind takes a host name too: resolved once, before the action runs.
  program.hook('preAction', async (_program, action) => {
    const bind: unknown = action.getOptionValue('bind')
    if (typeof bind === 'string') action.setOptionValue('bind', await resolveBindHost(bind))
  })
  return program
}

// `plexus ... | head` closes our stdout early: that ends the output, it is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

async function main(): Promise<void> {
  const json = wantsJson(process.argv)
  useJsonErrors(json)
  const program = buildProgram(json)
  try {
    await program.parseAsync(process.argv)
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander with exit code 0; usage errors were printed
      // already. Commander exits 1 on a bad argument; our rule says misuse is 2.
      const explicit = error.code === 'commander.error' || error.exitCode === 0
      process.exit(explicit ? error.exitCode : EXIT_USAGE)
    }
    // A fatal condition ends the process now, in one line: open sockets, timers or worker
    // threads left by the failed command must not keep it alive (it would hang, not exit).
    const fatal = describeFatal(error)
    printError(fatal.message, fatal.code)
    process.exit(fatal.exitCode)
  }
}

const rerun = rerunSimWithBigYoungGeneration(process.argv)
if (rerun === undefined) await main()
else process.exitCode = rerun
