import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'

const plexus = (...args: string[]) =>
  spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8', timeout: 60_000 })

const TINY = ['--peers', '4', '--file-size', '262144', '--piece-size', '32768']

test('sim swarm --json prints one report with the required keys', () => {
  const result = plexus('sim', 'swarm', ...TINY, '--free-riders', '0.25', '--picker', '1', '--json')
  assert.equal(result.status, 0, result.stderr)
  const report = JSON.parse(result.stdout) as Record<string, unknown>
  for (const key of [
    'distributionSeconds',
    'lowerBoundSeconds',
    'ratio',
    'peers',
    'fileBytes',
    'completionSeconds',
    'bytes',
    'policy',
  ]) {
    assert.ok(key in report, `missing ${key}`)
  }
  assert.equal(report['peers'], 4)
  assert.equal(report['fileBytes'], 262144)
  assert.deepEqual(report['policy'], { picker: 'random', optimisticUnchoke: true, freeRiders: 1 })
  const completion = report['completionSeconds'] as Record<string, number>
  for (const key of ['p50', 'p90', 'max']) assert.equal(typeof completion[key], 'number')
})

test('sim swarm --block-size: requests of that size, and everyone completes', () => {
  const result = plexus('sim', 'swarm', ...TINY, '--block-size', '32768', '--json')
  assert.equal(result.status, 0, result.stderr)
  const report = JSON.parse(result.stdout) as Record<string, unknown>
  assert.equal(report['blockBytes'], 32768)
  assert.equal(report['completed'], report['leechers'])
  assert.deepEqual(report['problems'], [])
})

test('sim swarm: bad values exit 2 with a clear message', () => {
  const cases: [string[], RegExp][] = [
    [['--peers', '0'], /peers must be between 1 and 5000, got 0/],
    [['--peers', 'lots'], /peers must be a number/],
    [['--picker', '3'], /picker must be between 0 and 2/],
    [['--free-riders', '0.95'], /freeRiders must be between 0 and 0.9/],
    [['--piece-size', '20000'], /pieceSize must be a multiple of blockSize/],
    [['--block-size', '512'], /blockSize must be between 1024 and 1048576/],
    [['--block-size', '20000'], /blockSize must be a power of two, got 20000/],
    [['--arrivals', '1', '--arrival-window', '0'], /arrivalWindow must be > 0 with arrivals/],
    [['--hosts', '5'], /scenario swarm has no parameter 'hosts'/],
    [['--compare'], /--compare needs --out/],
  ]
  for (const [args, message] of cases) {
    const result = plexus('sim', 'swarm', ...args)
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, message, args.join(' '))
  }
  const mesh = plexus('sim', 'ping-mesh', '--compare', '--out', '/tmp/x')
  assert.equal(mesh.status, 2)
  assert.match(mesh.stderr, /scenario ping-mesh has no --compare/)
  const meshOut = plexus('sim', 'ping-mesh', '--out', '/tmp/x')
  assert.equal(meshOut.status, 2)
  assert.match(meshOut.stderr, /scenario ping-mesh has no comparison to write to --out/)
})

test('sim swarm text output names the bound and the ratio', () => {
  const result = plexus('sim', 'swarm', ...TINY, '--optimistic', '0', '--arrivals', '2')
  assert.equal(result.status, 0, result.stderr)
  assert.match(result.stdout, /distribution [\d.]+ s, lower bound [\d.]+ s, ratio [\d.]+/)
  assert.match(result.stdout, /optimistic unchoke off, arrivals flash-crowd/)
})
