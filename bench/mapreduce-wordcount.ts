/**
 * The benchmark's word count as a plexus job module: words are runs of ASCII letters, exactly
 * what `tr -cs A-Za-z '\n'` cuts, so that the two counts agree.
 */
type Emit = (key: string, value: string) => void

const WORD = /[A-Za-z]+/g

export function map(line: string, emit: Emit): void {
  for (const match of line.matchAll(WORD)) emit(match[0], '1')
}

export function reduce(key: string, values: string[], emit: Emit): void {
  let total = 0
  for (const value of values) total += Number(value)
  emit(key, String(total))
}

export const combine = reduce
