import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { jsonLine, spawnPlexus } from '../../src/cli/spawn.js'

/**
 * `plexus gnutella` end to end on 127.0.0.1: an ultrapeer and a leaf sharing the same file,
 * then `plexus gnutella search --get 1` downloading it from both (HTTP on the Gnutella ports).
 */

const listening = (line: string): string | undefined => {
  const o = jsonLine(line)
  return o?.type === 'listening' && typeof o['address'] === 'string' ? o['address'] : undefined
}

async function run(args: string[]): Promise<{ code: number; lines: Record<string, unknown>[] }> {
  const p = spawnPlexus(args, false)
  const lines: Record<string, unknown>[] = []
  const collect = p.waitForLine((line) => {
    const o = jsonLine(line)
    if (o !== undefined) lines.push(o)
    return undefined
  }, 60_000)
  collect.catch(() => undefined)
  const code = await p.exited
  return { code, lines }
}

test('plexus gnutella: share, search, and --get from two sources, byte-exact', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-cli-'))
  const content = randomBytes(2_000_000)
  for (const d of ['a', 'b', 'out']) mkdirSync(join(root, d))
  writeFileSync(join(root, 'a', 'Blue Danube.mp3'), content)
  writeFileSync(join(root, 'b', 'Blue Danube.mp3'), content)
  writeFileSync(join(root, 'b', 'notes.txt'), 'polka')
  const up = spawnPlexus(
    [
      'gnutella',
      '--port',
      '0',
      '--bind',
      '127.0.0.1',
      '--ultrapeer',
      'yes',
      '--share',
      join(root, 'a'),
      '--json',
    ],
    false,
  )
  let leaf: ReturnType<typeof spawnPlexus> | undefined
  try {
    const upAddress = await up.waitForLine(listening, 20_000)
    leaf = spawnPlexus(
      [
        'gnutella',
        '--port',
        '0',
        '--bind',
        '127.0.0.1',
        '--hosts',
        upAddress,
        '--share',
        join(root, 'b'),
        '--json',
      ],
      false,
    )
    const leafAddress = await leaf.waitForLine(listening, 20_000)
    await leaf.waitForLine((l) => (jsonLine(l)?.type === 'connected' ? true : undefined), 20_000)
    const search = await run([
      'gnutella',
      'search',
      'blue',
      'danube',
      '--hosts',
      upAddress,
      '--wait',
      '2',
      '--json',
      '--get',
      '1',
      '-o',
      join(root, 'out'),
    ])
    assert.equal(search.code, 0, JSON.stringify(search.lines))
    const results = search.lines.find((l) => l['type'] === 'results') as
      { results: { name: string; length: number; urn: string; sources: string[] }[] } | undefined
    assert.ok(results !== undefined)
    assert.equal(results.results.length, 1)
    const [hit] = results.results
    assert.equal(hit?.name, 'Blue Danube.mp3')
    assert.equal(hit?.length, content.length)
    assert.match(hit?.urn ?? '', /^urn:sha1:[A-Z2-7]{32}$/)
    assert.deepEqual([...(hit?.sources ?? [])].sort(), [upAddress, leafAddress].sort())
    const summary = search.lines.find((l) => l['type'] === 'summary')
    assert.ok(summary !== undefined)
    assert.equal(summary['length'], content.length)
    assert.ok(readFileSync(join(root, 'out', 'Blue Danube.mp3')).equals(content))
    assert.deepEqual(readdirSync(join(root, 'out')), ['Blue Danube.mp3'])

    const none = await run([
      'gnutella',
      'search',
      'mazurka',
      '--hosts',
      upAddress,
      '--wait',
      '1',
      '--json',
    ])
    assert.equal(none.code, 1, 'no hits is a failed one-shot command')
  } finally {
    assert.equal(await leaf?.stop(), 0)
    assert.equal(await up.stop(), 0)
    rmSync(root, { recursive: true, force: true })
  }
})

test('plexus gnutella: bad arguments exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['gnutella', '--ultrapeer', 'maybe'], /Allowed choices are auto, yes, no/],
    [['gnutella', '--hosts', 'nowhere'], /expected HOST:PORT/],
    [['gnutella', '--advertise', 'example.org'], /expected an IPv4 address/],
    [['gnutella', 'search', 'polka'], /search needs --hosts/],
    [
      ['gnutella', 'search', 'polka', '--hosts', '127.0.0.1:1', '--get', '0'],
      /get must be between 1/,
    ],
  ]
  for (const [args, message] of cases) {
    const p = spawnPlexus(args, false)
    const stderr: string[] = []
    p.child.stderr?.on('data', (b: Buffer) => stderr.push(b.toString()))
    const code = await p.exited
    assert.equal(code, 2, `${args.join(' ')}: ${stderr.join('')}`)
    assert.match(stderr.join(''), message)
  }
})
