/**
 * The lab report's model. A section runs real scenarios (the protocol code in the simulator)
 * and returns its figures; each claim pairs one measured figure with the value a lecture or a
 * paper gives, a tolerance and a verdict. Nothing here may depend on the wall clock or the
 * machine: the same seed must give the same bytes.
 */

/** How a measured figure is held against the published one. */
export type Comparison =
  /** |measured - expected| <= tolerance * expected */
  | 'about'
  /** measured <= expected * (1 + tolerance): the claim is a ceiling (e.g. "at most log2 N hops") */
  | 'at-most'
  /** measured >= expected * (1 - tolerance): the claim is a floor (e.g. a lower bound) */
  | 'at-least'

export interface ClaimInput {
  readonly id: string
  /** The claim in words, as the source makes it. */
  readonly statement: string
  /** Where it is made: lecture notes with slide/page, or a paper with section/figure. */
  readonly source: string
  readonly measured: number
  /** The published or expected value (a formula evaluated at these parameters). */
  readonly expected: number
  /** How expected was obtained, e.g. "ceil(log2 8) x 8,000 s". */
  readonly expectedFrom: string
  readonly unit: string
  readonly comparison: Comparison
  /** Relative tolerance, 0.1 = 10 %. */
  readonly tolerance: number
  /** Shown only when the verdict is "off": the likely cause, from what the run measured. */
  readonly causeIfOff: string
}

export type Verdict = 'within' | 'off'

export interface Claim extends ClaimInput {
  readonly verdict: Verdict
  /** (measured - expected) / expected, rounded to 0.1 %. */
  readonly offBy: number
  /** "within 10 %" or "off by +102.3 %". */
  readonly verdictText: string
}

export interface Table {
  readonly title: string
  readonly columns: readonly string[]
  readonly rows: readonly (readonly (string | number)[])[]
}

export interface Figure {
  readonly title: string
  /** A complete <svg> element, no script, no external reference. */
  readonly svg: string
}

export interface SectionResult {
  readonly id: string
  readonly title: string
  /** One paragraph: what was run and what it shows. */
  readonly summary: string
  readonly params: Readonly<Record<string, number | string>>
  readonly claims: readonly Claim[]
  readonly tables: readonly Table[]
  readonly figures: readonly Figure[]
  /** Raw figures for report.json (numbers, strings, arrays, plain objects). */
  readonly data: unknown
}

export interface SectionContext {
  readonly seed: number
  readonly quick: boolean
  /** Progress lines for the terminal (never in the report). */
  readonly progress: (line: string) => void
}

export interface Section {
  readonly id: string
  readonly title: string
  run(context: SectionContext): Omit<SectionResult, 'id' | 'title'>
}

const round = (value: number, digits: number): number =>
  Math.round(value * 10 ** digits) / 10 ** digits

/** The verdict of one claim: within its tolerance in the direction the claim allows, or off. */
export function judge(input: ClaimInput): Claim {
  const offBy = input.expected === 0 ? 0 : (input.measured - input.expected) / input.expected
  const within =
    input.comparison === 'about'
      ? Math.abs(offBy) <= input.tolerance + 1e-12
      : input.comparison === 'at-most'
        ? offBy <= input.tolerance + 1e-12
        : offBy >= -input.tolerance - 1e-12
  const pct = `${(Math.abs(offBy) * 100).toFixed(1)} %`
  const sign = offBy >= 0 ? '+' : '-'
  const bound = `${round(input.tolerance * 100, 1)} %`
  const verdictText = within
    ? input.comparison === 'about'
      ? `within ${bound} (${sign}${pct})`
      : `holds (${sign}${pct}, ${input.comparison} with ${bound} slack)`
    : `off by ${sign}${pct}`
  return {
    ...input,
    measured: round(input.measured, 3),
    expected: round(input.expected, 3),
    verdict: within ? 'within' : 'off',
    offBy: round(offBy, 3),
    verdictText,
  }
}
