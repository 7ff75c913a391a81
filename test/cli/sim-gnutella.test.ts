import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'

const plexus = (...args: string[]) =>
  spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8', timeout: 60_000 })

test('sim gnutella takes --mode and --graph as words', () => {
  const result = plexus(
    'sim',
    'gnutella',
    '--nodes',
    '200',
    '--queries',
    '3',
    '--ttl',
    '3',
    '--mode',
    'flat',
    '--graph',
    'power-law',
    '--json',
  )
  assert.equal(result.status, 0, result.stderr)
  const report = JSON.parse(result.stdout) as { graph: string; modes: { mode: string }[] }
  assert.equal(report.graph, 'power-law')
  assert.deepEqual(
    report.modes.map((m) => m.mode),
    ['flat'],
  )
})

test('sim gnutella refuses words outside the list and numbers for words', () => {
  const cases: [string[], RegExp][] = [
    [['--mode', 'mesh'], /mode must be one of flat, ultrapeer, both, got mesh/],
    [['--mode', '2'], /mode must be one of flat, ultrapeer, both/],
    [['--graph', '1'], /graph must be one of random, power-law/],
    [['--nodes', 'many'], /nodes must be a number/],
  ]
  for (const [args, message] of cases) {
    const result = plexus('sim', 'gnutella', ...args)
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, message)
  }
})

test('sim --help shows the words a choice takes', () => {
  const result = plexus('sim', '--help')
  assert.equal(result.status, 0)
  assert.match(result.stdout, /flat\|ultrapeer\|both/)
  assert.match(result.stdout, /random\|power-law/)
})
