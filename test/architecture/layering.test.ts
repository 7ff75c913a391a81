import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { scanSource, scanTree, stripCommentsAndStrings } from './scanner.js'

/** The project root: this file runs from dist/test/architecture/. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) dir = resolve(dir, '..')
  return dir
}

test('the tree has no layering or determinism violations', () => {
  const violations = scanTree(projectRoot())
  const report = violations.map((v) => `${v.file}:${v.line} ${v.rule}`).join('\n')
  assert.equal(violations.length, 0, `violations:\n${report}`)
})

test('the scanner catches a protocol that reads the clock', () => {
  const bad = 'export const stamp = (): number => Date.now()\n'
  const violations = scanSource('src/protocols/example/node.ts', bad)
  assert.deepEqual(
    violations.map((v) => v.rule),
    ['reads the clock (Date.now)'],
  )
})

test('the scanner catches a protocol that imports node:net', () => {
  const bad = "import { createServer } from 'node:net'\nexport const s = createServer\n"
  const violations = scanSource('src/protocols/example/node.ts', bad)
  assert.deepEqual(
    violations.map((v) => [v.line, v.rule]),
    [[1, 'imports a Node built-in (node:net)']],
  )
})

test('the scanner catches ambient randomness, timers and process in core', () => {
  const bad = [
    'export const a = Math.random()',
    'export const b = setTimeout(() => 1, 5)',
    'export const c = process.env',
    "import { randomBytes } from 'crypto'",
  ].join('\n')
  const rules = scanSource('src/core/bad.ts', bad).map((v) => v.rule)
  assert.ok(rules.includes('uses ambient randomness (Math.random)'))
  assert.ok(rules.includes('sets a timer'))
  assert.ok(rules.includes('touches process'))
  assert.ok(rules.includes('imports a Node built-in (crypto)'))
})

test('the scanner catches protocols importing drivers or sim, and core importing upward', () => {
  const bad =
    "import { attach } from '../../drivers/attach.js'\nimport { X } from '../../sim/x.js'\n"
  const rules = scanSource('src/protocols/ping/node.ts', bad).map((v) => v.rule)
  assert.deepEqual(rules, [
    'protocols imports drivers (../../drivers/attach.js)',
    'protocols imports sim (../../sim/x.js)',
  ])
  const upward = scanSource('src/core/x.ts', "import { P } from '../protocols/ping/index.js'\n")
  assert.equal(upward.length, 1)
})

test('comments and strings do not trigger the scanner; test files are exempt', () => {
  const fine = "// Date.now() is forbidden here\nexport const s = 'Math.random()'\n"
  assert.deepEqual(scanSource('src/core/fine.ts', fine), [])
  assert.deepEqual(scanSource('src/core/x.test.ts', "import test from 'node:test'\n"), [])
  assert.equal(stripCommentsAndStrings('a /* b */ c').trim(), 'a         c')
})

test('drivers may use node: modules but not the simulator', () => {
  assert.deepEqual(scanSource('src/drivers/node/udp.ts', "import dgram from 'node:dgram'\n"), [])
  assert.equal(
    scanSource('src/drivers/attach.ts', "import { W } from '../sim/world.js'\n").length,
    1,
  )
})

test('the simulator may not import a driver (or a protocol)', () => {
  const bad = [
    "import { NodeHashing } from '../drivers/node/hashing.js'",
    "import { SimDisk } from './disk/sim-disk.js'",
    "import type { X } from '../../drivers/bittorrent/x.js'",
  ].join('\n')
  const violations = scanSource('src/sim/world.ts', bad).map((v) => [v.line, v.rule])
  assert.deepEqual(violations, [[1, 'sim imports drivers (../drivers/node/hashing.js)']])
  const nested = scanSource('src/sim/http/client.ts', bad.split('\n')[2] as string)
  assert.deepEqual(
    nested.map((v) => v.rule),
    ['sim imports drivers (../../drivers/bittorrent/x.js)'],
  )
})
