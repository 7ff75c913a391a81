import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { registerDaemon } from './commands/daemon.js'
import { registerDemo } from './commands/demo.js'
import { registerDht } from './commands/dht.js'
import { registerDirectory } from './commands/directory.js'
import { registerGnutella } from './commands/gnutella.js'
import { registerLab } from './commands/lab.js'
import { registerNat } from './commands/nat.js'
import { registerMr } from './commands/mr.js'
import { registerOnion } from './commands/onion.js'
import { registerOverlay } from './commands/overlay.js'
import { registerPing } from './commands/ping.js'
import { registerRemote } from './commands/remote.js'
import { registerSim } from './commands/sim.js'
import { registerTorrentFiles } from './commands/torrent-files.js'
import { registerTransfer } from './commands/transfer.js'
import { registerTracker } from './commands/tracker.js'
import { registerUi } from './commands/ui.js'
import { resolveBindHost } from './bind-host.js'
import { addExamples } from './examples.js'

const packageJson = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string }

/**
 * The command tree, without running it: main.ts parses the command line with it, and tests
 * inspect it (every command has examples).
 */
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
  registerUi(program)
  registerPing(program)
  registerDht(program)
  registerGnutella(program)
  registerNat(program)
  registerMr(program)
  registerOnion(program)
  registerOverlay(program)
  registerSim(program)
  registerLab(program)
  registerDemo(program)
  addExamples(program)
  // Every command's --bind takes a host name too: resolved once, before the action runs.
  program.hook('preAction', async (_program, action) => {
    const bind: unknown = action.getOptionValue('bind')
    if (typeof bind === 'string') action.setOptionValue('bind', await resolveBindHost(bind))
  })
  return program
}
