import type { Command } from 'commander'
import { availableParallelism } from 'node:os'
import { runLab, SECTION_IDS, unknownSections } from '../../lab/report/lab.js'
import { integerOption, seedOption } from '../options.js'
import { EXIT_USAGE, printJson, printLine } from '../output.js'

/** `--only a --only b` and `--only a,b` both collect section ids. */
const collect = (value: string, previous: string[]): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== ''),
]

/**
 * `plexus lab`: every claim of the lectures and papers, measured in the simulator, written to
 * DIR/report.html and DIR/report.json. The command parses and prints; src/lab/report runs it.
 */
export function registerLab(program: Command): void {
  program
    .command('lab')
    .description("measure the lectures' and papers' claims; write DIR/report.html and report.json")
    .requiredOption('--out <dir>', 'directory for report.html and report.json')
    .option('--quick', 'scaled-down parameters (about 2 minutes)')
    .option('--only <section>', `run only these sections: ${SECTION_IDS.join(', ')}`, collect, [])
    .option('--seed <n>', 'root seed (same seed, same bytes)', seedOption)
    .option(
      '--jobs <n>',
      'sections run at once, each on a thread of its own (default: the CPU count); the report is the same',
      integerOption('jobs', 1, 64),
    )
    .option('--json', 'print the claims as one JSON object')
    .action(async (options: Record<string, unknown>, cmd: Command) => {
      const only = options['only'] as string[]
      const unknown = unknownSections(only)
      if (unknown.length > 0) {
        return cmd.error(
          `error: unknown section ${unknown.join(', ')} (known: ${SECTION_IDS.join(', ')})`,
          { exitCode: EXIT_USAGE },
        )
      }
      const json = options['json'] === true
      const result = await runLab({
        seed: (options['seed'] as number | undefined) ?? 1,
        quick: options['quick'] === true,
        only,
        outDir: options['out'] as string,
        jobs: (options['jobs'] as number | undefined) ?? availableParallelism(),
        progress: (line) => void process.stderr.write(`${line}\n`),
      })
      const claims = result.sections.flatMap((s) =>
        s.claims.map((c) => ({
          section: s.id,
          claim: c.id,
          measured: c.measured,
          expected: c.expected,
          verdict: c.verdictText,
        })),
      )
      if (json) return printJson({ type: 'lab', files: result.files, claims })
      for (const c of claims) {
        printLine(
          `${c.section} / ${c.claim}: measured ${c.measured}, expected ${c.expected}: ${c.verdict}`,
        )
      }
      printLine(`wrote ${result.files.join(', ')}`)
      return undefined
    })
}
