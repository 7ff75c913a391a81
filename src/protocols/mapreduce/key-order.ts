/**
 * Records between map and reduce are `key<TAB>value` lines, as in Hadoop Streaming: the key is
 * what precedes the first TAB (the whole line when there is none, with an empty value).
 *
 * Reducer input is sorted by key in unsigned byte order of the UTF-8 key, which is Hadoop's
 * default comparator for Text keys (`Text.Comparator`, a byte-wise compare). Hadoop leaves the
 * order of values under one key unspecified; plexus sorts them by value bytes as well, so that
 * an output never depends on which worker finished first and two engines agree byte for byte.
 */

export interface KeyValue {
  readonly key: string
  readonly value: string
}

export function splitRecord(line: string): KeyValue {
  const tab = line.indexOf('\t')
  return tab < 0
    ? { key: line, value: '' }
    : { key: line.slice(0, tab), value: line.slice(tab + 1) }
}

/** Streaming writes every record as key, TAB, value (a trailing TAB when the value is empty). */
export const joinRecord = (record: KeyValue): string => `${record.key}\t${record.value}`

/**
 * Compares two strings by the unsigned bytes of their UTF-8 encoding without encoding them:
 * UTF-16 code unit order equals UTF-8 byte order except for surrogates (U+D800..DFFF) against
 * U+E000..FFFF, which this corrects.
 */
export function compareUtf8(a: string, b: string): number {
  // Sorted map output is mostly equal values (a word count's "1"s): the same string, at once.
  if (a === b) return 0
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates encode code points above U+FFFF: they sort after U+E000..U+FFFF in UTF-8.
      const xs = x <= 0xdfff ? x + 0x2000 : x - 0x800
      const ys = y <= 0xdfff ? y + 0x2000 : y - 0x800
      return xs - ys
    }
    return x - y
  }
  return a.length - b.length
}

export const compareRecords = (a: KeyValue, b: KeyValue): number =>
  compareUtf8(a.key, b.key) || compareUtf8(a.value, b.value)

/**
 * Sorts in place by key, then value, in UTF-8 byte order. Records are grouped by key in a hash
 * map first, so that only the distinct keys are sorted: map output repeats keys a lot (a word
 * count's millions of records have thousands of keys), and the result is the same.
 */
export function sortRecords(records: KeyValue[]): KeyValue[] {
  const groups = new Map<string, string[]>()
  for (const record of records) {
    const values = groups.get(record.key)
    if (values === undefined) groups.set(record.key, [record.value])
    else values.push(record.value)
  }
  const keys = [...groups.keys()].sort(compareUtf8)
  let index = 0
  for (const key of keys) {
    const values = groups.get(key) as string[]
    if (values.length > 1) values.sort(compareUtf8)
    for (const value of values) records[index++] = { key, value }
  }
  return records
}

/** Runs of equal keys of sorted records: `[key, values]` in order. */
export function* groupByKey(sorted: readonly KeyValue[]): Generator<[string, string[]]> {
  let index = 0
  while (index < sorted.length) {
    const key = (sorted[index] as KeyValue).key
    const values: string[] = []
    while (index < sorted.length && (sorted[index] as KeyValue).key === key) {
      values.push((sorted[index] as KeyValue).value)
      index++
    }
    yield [key, values]
  }
}
