/**
 * A scenario is a seeded experiment in the simulator: typed parameters with defaults (numbers
 * with bounds, or words from a fixed list), a `run` that returns a JSON-able report, and a text
 * formatter. The same seed and parameters must give the same report, byte for byte: wall-clock
 * figures never go in a report.
 */
export interface NumberParamSpec {
  readonly kind: 'integer' | 'number'
  readonly min: number
  readonly max: number
  readonly default: number
  readonly describe: string
}

/** A word from `choices` (e.g. `--mode flat|ultrapeer|both`). */
export interface ChoiceParamSpec {
  readonly kind: 'choice'
  readonly choices: readonly string[]
  readonly default: string
  readonly describe: string
}

export type ParamSpec = NumberParamSpec | ChoiceParamSpec

export type ParamValue = number | string

export type Params = Readonly<Record<string, ParamValue>>

/** How a run may talk while it works; nothing here changes the report. */
export interface RunOptions {
  /** Progress lines (they may carry wall-clock figures: they never enter the report). */
  readonly progress?: (line: string) => void
}

export interface Scenario<Report extends object = object> {
  readonly name: string
  readonly describe: string
  readonly params: Readonly<Record<string, ParamSpec>>
  defaults(): Record<string, ParamValue>
  /** Problems that span parameters (bounds are checked per spec): a message, or undefined. */
  problem?(params: Params): string | undefined
  run(params: Params, seed: number, options?: RunOptions): Report
  format(report: Report): string[]
  /**
   * The scenario's comparison run (`plexus sim <name> --compare --out DIR`), when it has one:
   * `given` holds only the parameters the user set; files go to `outDir`; returns the lines
   * to print (a table), at once or when the comparison's child processes are done.
   */
  compare?(
    given: Params,
    seed: number,
    outDir: string,
    options?: RunOptions,
  ): string[] | Promise<string[]>
}

export function defaultsOf(
  params: Readonly<Record<string, ParamSpec>>,
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {}
  for (const [name, spec] of Object.entries(params)) out[name] = spec.default
  return out
}

/** Checks a parameter value against its spec; returns a message for the user, or undefined. */
export function paramProblem(name: string, spec: ParamSpec, value: unknown): string | undefined {
  if (spec.kind === 'choice') {
    return typeof value === 'string' && spec.choices.includes(value)
      ? undefined
      : `${name} must be one of ${spec.choices.join(', ')}, got ${String(value)}`
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${name} must be a number`
  if (spec.kind === 'integer' && !Number.isInteger(value)) return `${name} must be an integer`
  if (value < spec.min || value > spec.max) {
    return `${name} must be between ${spec.min} and ${spec.max}, got ${value}`
  }
  return undefined
}
