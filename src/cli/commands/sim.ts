import { existsSync, readFileSync } from 'node:fs'
import { Option, type Command } from 'commander'
import { findScenario, SCENARIOS } from '../../lab/scenarios/index.js'
import { paramProblem, type ParamSpec, type ParamValue, type Scenario } from '../../lab/scenario.js'
import { seedOption } from '../options.js'
import { EXIT_USAGE, printError, printJson, printLine } from '../output.js'

/** Options of the command itself, not scenario parameters. */
const COMMAND_FLAGS = new Set(['seed', 'json', 'progress', 'compare', 'out'])

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

interface ScenarioFile {
  readonly scenario: string
  readonly seed?: number
  readonly params: Record<string, unknown>
}

/** Reads `{ "scenario": "...", "seed": 7, "params": {...} }` (params may also sit at the top). */
function readScenarioFile(path: string): ScenarioFile | string {
  let value: unknown
  try {
    value = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    return `cannot read scenario file ${path}: ${(error as Error).message}`
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `scenario file ${path} must hold a JSON object`
  }
  const { scenario, seed, params, ...rest } = value as Record<string, unknown>
  if (typeof scenario !== 'string') return `scenario file ${path} needs a "scenario" name`
  if (seed !== undefined && typeof seed !== 'number') return `"seed" must be a number`
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    return `"params" must be an object`
  }
  return {
    scenario,
    ...(seed === undefined ? {} : { seed }),
    params: { ...rest, ...(params as Record<string, unknown> | undefined) },
  }
}

/** A flag's text as its parameter's type: words stay words, the rest must read as a number. */
function flagValue(kind: ParamSpec['kind'] | undefined, text: string): ParamValue {
  if (kind === 'choice') return text.trim()
  return text.trim() === '' ? Number.NaN : Number(text)
}

function resolveParams(
  scenario: Scenario<object>,
  given: Record<string, unknown>,
): Record<string, ParamValue> | string {
  const params = scenario.defaults()
  for (const [name, value] of Object.entries(given)) {
    const spec = scenario.params[name]
    if (spec === undefined) return `scenario ${scenario.name} has no parameter '${name}'`
    const problem = paramProblem(name, spec, value)
    if (problem !== undefined) return problem
    params[name] = value as ParamValue
  }
  return scenario.problem?.(params) ?? params
}

export function registerSim(program: Command): void {
  const command = program
    .command('sim')
    .description('run a seeded simulator scenario (built-in name or JSON file)')
    .argument('<scenario>', `one of: ${SCENARIOS.map((s) => s.name).join(', ')}; or a .json file`)
    .option('--seed <n>', 'root seed (same seed, same output)', seedOption)
    .option('--json', 'print the report as one JSON object')
    .option('--progress', 'print progress lines to stderr while the run works')
    .option('--compare', "run the scenario's comparison matrix (needs --out)")
    .option('--out <dir>', 'directory for the comparison files (implies --compare)')
  const seen = new Set<string>()
  for (const scenario of SCENARIOS) {
    for (const [name, spec] of Object.entries(scenario.params)) {
      if (seen.has(name)) continue
      seen.add(name)
      const words = spec.kind === 'choice' ? ` (${spec.choices.join('|')})` : ''
      command.addOption(
        new Option(`--${kebab(name)} <value>`, `${spec.describe}${words} [${scenario.name}]`),
      )
    }
  }
  command.action((target: string, options: Record<string, unknown>, cmd: Command) => {
    let name = target
    let seed = options['seed'] as number | undefined
    let given: Record<string, unknown> = {}
    if (findScenario(target) === undefined && (target.endsWith('.json') || existsSync(target))) {
      const file = readScenarioFile(target)
      if (typeof file === 'string') return cmd.error(`error: ${file}`, { exitCode: EXIT_USAGE })
      name = file.scenario
      seed ??= file.seed
      given = file.params
    }
    const scenario = findScenario(name)
    if (scenario === undefined) {
      const known = SCENARIOS.map((s) => s.name).join(', ')
      return cmd.error(`error: unknown scenario '${name}' (known: ${known})`, {
        exitCode: EXIT_USAGE,
      })
    }
    for (const [key, value] of Object.entries(options)) {
      if (COMMAND_FLAGS.has(key)) continue
      given[key] = flagValue(scenario.params[key]?.kind, String(value))
    }
    const params = resolveParams(scenario, given)
    if (typeof params === 'string') return cmd.error(`error: ${params}`, { exitCode: EXIT_USAGE })
    const runOptions =
      options['progress'] === true
        ? { progress: (line: string) => void process.stderr.write(`${line}\n`) }
        : {}
    const out = options['out'] as string | undefined
    // --out names where the comparison's files go, so it asks for the comparison by itself
    // (`plexus sim compare --out DIR`, as the issue and the docs write it).
    if (options['compare'] === true || (out !== undefined && scenario.compare !== undefined)) {
      if (scenario.compare === undefined) {
        return cmd.error(`error: scenario ${scenario.name} has no --compare`, {
          exitCode: EXIT_USAGE,
        })
      }
      if (out === undefined)
        return cmd.error('error: --compare needs --out <dir>', { exitCode: EXIT_USAGE })
      // Only what the user set: the comparison has its own defaults for the rest.
      const set = Object.fromEntries(Object.keys(given).map((k) => [k, params[k] as ParamValue]))
      const lines = scenario.compare(set, seed ?? 1, out, runOptions)
      if (Array.isArray(lines)) for (const line of lines) printLine(line)
      else return lines.then((all) => all.forEach((line) => printLine(line)))
      return undefined
    }
    if (out !== undefined)
      return cmd.error(`error: scenario ${scenario.name} has no comparison to write to --out`, {
        exitCode: EXIT_USAGE,
      })
    const report = scenario.run(params, seed ?? 1, runOptions)
    if (options['json'] === true) printJson(report)
    else for (const line of scenario.format(report)) printLine(line)
    return undefined
  })
}

export { printError }
