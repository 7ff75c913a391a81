import { compareUtf8 } from './key-order.js'

/**
 * Records grouped by key as they arrive, the engine's one in-memory form of map output, combiner
 * input and reducer input: `key -> values`, in a hash map. Map output repeats keys a lot (a word
 * count's millions of records have thousands of distinct keys), so grouping first and sorting
 * only the distinct keys costs far less than sorting records, and no object is made per record.
 */
export type KeyGroups = Map<string, string[]>

/** One key and its values; sorted groups are the input of a combiner or a reducer. */
export type Group = readonly [key: string, values: string[]]

/** Adds one record. */
export function addRecord(groups: KeyGroups, key: string, value: string): void {
  const values = groups.get(key)
  if (values === undefined) groups.set(key, [value])
  else values.push(value)
}

/**
 * Sorts groups in place by key, and each group's values, in UTF-8 byte order: the order a
 * reducer sees (Hadoop's byte-wise key order; values sorted too so that outputs are reproducible).
 */
export function sortGroups<G extends Group>(groups: G[]): G[] {
  sortKeys(groups)
  for (const [, values] of groups) if (values.length > 1) values.sort(compareUtf8)
  return groups
}

/**
 * Sorts groups in place by key only: a combiner's input. Hadoop leaves the order of a key's
 * values unspecified for a combiner (which must be associative and commutative); their order
 * here is the map's emission order, the same on every attempt. The combiner's output is then
 * sorted in full.
 */
export function sortKeys<G extends Group>(groups: G[]): G[] {
  return groups.sort((a, b) => compareUtf8(a[0], b[0]))
}

/** The records in groups. */
export function countRecords(groups: Iterable<Group>): number {
  let count = 0
  for (const [, values] of groups) count += values.length
  return count
}

/**
 * Sorted groups as `key<TAB>value\n` lines. Equal values of a key are adjacent once sorted:
 * a run of them is one repeated line, written at once (a word count without a combiner is
 * mostly such runs).
 */
export function formatGroups(groups: Iterable<Group>): string {
  const parts: string[] = []
  for (const [key, values] of groups) {
    let index = 0
    while (index < values.length) {
      const value = values[index] as string
      let end = index + 1
      while (end < values.length && values[end] === value) end++
      const line = `${key}\t${value}\n`
      parts.push(end - index === 1 ? line : line.repeat(end - index))
      index = end
    }
  }
  return parts.join('')
}

/**
 * Adds the `key<TAB>value` lines of `text` (the last may lack its `\n`; a line without a TAB is
 * all key, with an empty value) to `groups`; returns how many records it added. A line equal to
 * the one before it (sorted input is mostly such runs) reuses that line's strings.
 */
export function parseLinesInto(text: string, groups: KeyGroups): number {
  let count = 0
  let start = 0
  let previousLine = ''
  let previousValue = ''
  let previousValues: string[] = []
  while (start < text.length) {
    if (previousLine !== '' && text.startsWith(previousLine, start)) {
      previousValues.push(previousValue)
      start += previousLine.length
      count++
      continue
    }
    const newline = text.indexOf('\n', start)
    const end = newline < 0 ? text.length : newline
    const tab = text.indexOf('\t', start)
    const hasTab = tab >= 0 && tab < end
    const key = text.slice(start, hasTab ? tab : end)
    const value = hasTab ? text.slice(tab + 1, end) : ''
    let values = groups.get(key)
    if (values === undefined) {
      values = []
      groups.set(key, values)
    }
    values.push(value)
    count++
    previousLine = newline < 0 ? '' : text.slice(start, newline + 1)
    previousValue = value
    previousValues = values
    start = end + 1
  }
  return count
}
