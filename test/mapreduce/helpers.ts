import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { SeededRandom } from '../../src/core/random.js'
import { compareUtf8, hashPartition } from '../../src/protocols/mapreduce/index.js'
import type { PlexusProcess } from '../../src/cli/spawn.js'

/** test/fixtures/mapreduce, from dist/test/mapreduce. */
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/mapreduce/', import.meta.url))
export const PY_MAPPER = `/usr/bin/python3 ${join(FIXTURES, 'wc_mapper.py')}`
export const PY_REDUCER = `/usr/bin/python3 ${join(FIXTURES, 'wc_reducer.py')}`
export const JS_WORDCOUNT = join(FIXTURES, 'wordcount.mjs')

const WORDS = [
  'apple',
  'banana',
  'cherry',
  'date',
  'elder',
  'fig',
  'grape',
  'kiwi',
  'lemon',
  'mango',
  'nut',
  'olive',
]

/** Input files of lowercase words and spaces (the JS and Python jobs split them alike). */
export function makeInput(
  files: number,
  lines: number,
  seed = 1,
): { dir: string; paths: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-mr-in-'))
  const random = new SeededRandom(seed)
  const paths: string[] = []
  for (let f = 0; f < files; f++) {
    let text = ''
    for (let l = 0; l < lines; l++) {
      const count = 1 + random.int(9)
      const words: string[] = []
      // A skewed choice, so that some keys are far more frequent than others.
      for (let w = 0; w < count; w++)
        words.push(WORDS[Math.min(random.int(WORDS.length), random.int(WORDS.length))] as string)
      text += `${words.join(' ')}\n`
    }
    const path = join(dir, `in${f}.txt`)
    writeFileSync(path, text)
    paths.push(path)
  }
  return { dir, paths }
}

/** The sequential oracle: word counts of the input files. */
export function oracleWordCount(paths: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const path of paths) {
    for (const word of readFileSync(path, 'utf8').split(/\s+/)) {
      if (word !== '') counts.set(word, (counts.get(word) ?? 0) + 1)
    }
  }
  return counts
}

/**
 * Reads a job's output and checks it as Hadoop would have written it: `_SUCCESS`, `reduces`
 * part files, each sorted by key, each key in the part its hash partition names.
 */
export function readWordCounts(output: string, reduces: number): Map<string, number> {
  assert.ok(existsSync(join(output, '_SUCCESS')), '_SUCCESS is written')
  assert.equal(existsSync(join(output, '_temporary')), false, '_temporary is cleaned up')
  const parts = readdirSync(output)
    .filter((name) => name.startsWith('part-'))
    .sort()
  assert.deepEqual(
    parts,
    Array.from({ length: reduces }, (_, i) => `part-${String(i).padStart(5, '0')}`),
  )
  const counts = new Map<string, number>()
  parts.forEach((part, index) => {
    const lines = readFileSync(join(output, part), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
    const keys = lines.map((line) => line.split('\t')[0] as string)
    assert.deepEqual([...keys].sort(compareUtf8), keys, `${part} is sorted by key`)
    for (const line of lines) {
      const [word, count] = line.split('\t') as [string, string]
      assert.equal(
        hashPartition(Buffer.from(word), reduces),
        index,
        `${word} is in its hash partition`,
      )
      assert.equal(counts.has(word), false, `${word} appears once`)
      counts.set(word, Number(count))
    }
  })
  return counts
}

export function assertNoOutput(output: string): void {
  assert.equal(existsSync(join(output, '_SUCCESS')), false, 'no _SUCCESS after a failed job')
  const parts = existsSync(output)
    ? readdirSync(output).filter((name) => name.startsWith('part-'))
    : []
  assert.deepEqual(parts, [], 'no part files after a failed job')
}

export type JsonLine = { type: string; [key: string]: unknown }

/** Every JSON line a process prints, kept, with a way to wait for one that matches. */
export class JsonLog {
  readonly lines: JsonLine[] = []
  private waiters: { match: (line: JsonLine) => boolean; resolve: (line: JsonLine) => void }[] = []

  constructor(process: PlexusProcess) {
    const reader = createInterface({
      input: process.child.stdout as NonNullable<typeof process.child.stdout>,
    })
    reader.on('line', (text) => {
      let line: JsonLine
      try {
        line = JSON.parse(text) as JsonLine
      } catch {
        return
      }
      this.lines.push(line)
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(line)) return true
        waiter.resolve(line)
        return false
      })
    })
  }

  next(match: (line: JsonLine) => boolean, timeoutMs = 20_000): Promise<JsonLine> {
    const found = this.lines.find(match)
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching line in ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer)
          resolve(line)
        },
      })
    })
  }
}
