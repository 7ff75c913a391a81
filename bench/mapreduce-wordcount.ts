/**
 * The benchmark's word count as a plexus job module: words are runs of ASCII letters, exactly
 * what `tr -cs A-Za-z '\n'` cuts, so that the two counts agree.
 */
type Emit = (key: string, value: string) => void

const WORD = /[A-Za-z]+/g

export function map(line: string, emit: Emit): void {
  // match() with /g returns the words as strings: matchAll builds a match object (with its
  // index and groups) per word, which cost about 15 % of the job's time.
  const words = line.match(WORD)
  if (words !== null) for (const word of words) emit(word, '1')
}

export function reduce(key: string, values: string[], emit: Emit): void {
  let total = 0
  for (const value of values) total += Number(value)
  emit(key, String(total))
}

export const combine = reduce
