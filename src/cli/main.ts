import { CommanderError } from 'commander'
import { describeFatal } from './fatal.js'
import { buildProgram } from './main-program.js'
import { EXIT_USAGE, printError, useJsonErrors } from './output.js'
import { rerunSimWithBigYoungGeneration } from './sim-heap.js'

/** `--json` anywhere on the command line: errors are then JSON objects on stderr. */
const wantsJson = (argv: readonly string[]): boolean => argv.includes('--json')

// `plexus ... | head` closes our stdout early: that ends the output, it is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

async function main(): Promise<void> {
  const json = wantsJson(process.argv)
  useJsonErrors(json)
  const program = await buildProgram(json, process.argv.slice(2))
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
