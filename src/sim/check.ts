/**
 * Turns a checker's problems into a failure that says how to replay the run. Checkers are pure
 * functions returning `string[]` (empty when all is well); the scenario calls `check` with them.
 */

/** Problems listed in a failure message; the rest are counted. */
const PROBLEMS_SHOWN_MAX = 20

export class SimFailure extends Error {
  override readonly name = 'SimFailure'

  constructor(
    readonly check: string,
    readonly problems: readonly string[],
    readonly seed: number,
  ) {
    super(failureMessage(check, problems, seed))
  }
}

function failureMessage(check: string, problems: readonly string[], seed: number): string {
  const shown = problems.slice(0, PROBLEMS_SHOWN_MAX).map((problem) => `  - ${problem}`)
  const hidden = problems.length - shown.length
  if (hidden > 0) shown.push(`  ... and ${hidden} more`)
  return [`${check}: ${problems.length} problem(s)`, ...shown, `reproduce with SEED=${seed}`].join(
    '\n',
  )
}

/** Throws a `SimFailure` when `problems` is not empty. */
export function check(name: string, problems: readonly string[], seed: number): void {
  if (problems.length > 0) throw new SimFailure(name, problems, seed)
}
