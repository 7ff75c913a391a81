import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { sortGroups, type Group, type KeyGroups } from '../../protocols/mapreduce/index.js'
import { PARTIAL_COMBINE_AT, loadModuleProgram } from './module-program.js'
import type { TaskContext } from './program.js'

const dir = mkdtempSync(join(tmpdir(), 'plexus-mr-module-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

function jobModule(name: string, source: string): string {
  const path = join(dir, name)
  writeFileSync(path, source)
  return path
}

const context = (): TaskContext => ({
  signal: new AbortController().signal,
  counters: {},
  progress: 0,
  status: '',
  environment: {},
})

// A word count whose combiner records the size of every value list it gets.
const COUNTING = `
export const combineSizes = []
export function map(line, emit) { for (const word of line.split(' ')) if (word) emit(word, '1') }
export function reduce(key, values, emit) {
  let total = 0
  for (const value of values) total += Number(value)
  emit(key, String(total))
}
export function combine(key, values, emit) { combineSizes.push(values.length); reduce(key, values, emit) }
`

test('with a combiner, a key with many values is combined while the map runs', async () => {
  const path = jobModule('counting.mjs', COUNTING)
  const program = await loadModuleProgram(path, true)
  const lines = 'the cat the\n'.repeat(PARTIAL_COMBINE_AT * 2)
  const groups: KeyGroups = new Map()
  const emitted = await program.map(Buffer.from(lines), groups, context())
  assert.equal(emitted, PARTIAL_COMBINE_AT * 6)
  const sizes = ((await import(path)) as { combineSizes: number[] }).combineSizes
  assert.ok(sizes.length > 0, 'the combiner ran during the map')
  assert.ok(Math.max(...sizes) <= PARTIAL_COMBINE_AT, 'no key held more than the threshold')
  // What stays in memory is a handful of partial sums per key, not one value per word.
  assert.ok((groups.get('the')?.length ?? 0) < 10)
  // Combined once more, then reduced: the totals are exact.
  const combine = program.combine
  assert.ok(combine !== undefined)
  const combined = await combine(sortGroups<Group>([...groups]), context())
  const output = await program.reduce(sortGroups<Group>([...combined]), context())
  assert.equal(
    output.toString(),
    `cat\t${PARTIAL_COMBINE_AT * 2}\nthe\t${PARTIAL_COMBINE_AT * 4}\n`,
  )
})

test('without a combiner every value is kept', async () => {
  const program = await loadModuleProgram(jobModule('plain.mjs', COUNTING), false)
  const groups: KeyGroups = new Map()
  await program.map(Buffer.from('a a b\n'.repeat(PARTIAL_COMBINE_AT)), groups, context())
  assert.equal(groups.get('a')?.length, PARTIAL_COMBINE_AT * 2)
  assert.equal(groups.get('b')?.length, PARTIAL_COMBINE_AT)
})

test('a combiner that drops a key or emits another one keeps the map output consistent', async () => {
  const path = jobModule(
    'odd-combiner.mjs',
    `
export function map(line, emit) { emit(line, 'x') }
export function reduce(key, values, emit) { emit(key, String(values.length)) }
export function combine(key, values, emit) { if (key === 'keep') emit('moved', String(values.length)) }
`,
  )
  const program = await loadModuleProgram(path, true)
  const groups: KeyGroups = new Map()
  await program.map(Buffer.from('keep\n'.repeat(PARTIAL_COMBINE_AT)), groups, context())
  assert.equal(groups.has('keep'), false, 'a key the combiner dropped leaves no empty group')
  assert.deepEqual(groups.get('moved'), [String(PARTIAL_COMBINE_AT)])
})

test('a malformed record or a throwing map fails with the role in the message', async () => {
  const bad = await loadModuleProgram(
    jobModule(
      'bad.mjs',
      `export function map(line, emit) { emit(line === 'tab' ? 'a\\tb' : line, line === 'num' ? 1 : 'v') }
export function reduce() {}`,
    ),
    false,
  )
  await assert.rejects(
    bad.map(Buffer.from('ok\ntab\n'), new Map(), context()),
    /map emitted a malformed record: TAB or newline in key "a\tb"/,
  )
  await assert.rejects(
    bad.map(Buffer.from('num\n'), new Map(), context()),
    /map emitted a non-string key or value \(string, number\)/,
  )
  const throws = await loadModuleProgram(
    jobModule(
      'throws.mjs',
      `export function map() { throw new Error('nope') }
export function reduce() {}`,
    ),
    false,
  )
  await assert.rejects(throws.map(Buffer.from('x\n'), new Map(), context()), /map\(\) threw: nope/)
})
