import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { COMMAND_MODULES, modulesFor, type CommandModule } from './command-table.js'
import { resolveBindHost } from './bind-host.js'
import { addExamples } from './examples.js'

const packageJson = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string }

/**
 * The command tree, without running it: main.ts parses the command line with it, and tests
 * inspect it (every command has examples). `args` (the words after `plexus`) limits the tree to
 * the command they name, so only its modules load (command-table.ts); without them, every
 * command is there.
 */
export async function buildProgram(
  json = false,
  args: readonly string[] | undefined = undefined,
): Promise<Command> {
  const modules: readonly CommandModule[] = args === undefined ? COMMAND_MODULES : modulesFor(args)
  // Loaded together, registered in the table's order: help lists the commands as before.
  const registers = await Promise.all(modules.map((module) => module.load()))
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
  for (const register of registers) register(program)
  addExamples(program)
  // Every command's --bind takes a host name too: resolved once, before the action runs.
  program.hook('preAction', async (_program, action) => {
    const bind: unknown = action.getOptionValue('bind')
    if (typeof bind === 'string') action.setOptionValue('bind', await resolveBindHost(bind))
  })
  return program
}
