import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'

/** `plexus create --v1/--v2/--hybrid` and what `plexus info` says about each (BEP 52). */

const run = (...args: string[]) =>
  spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PLEXUS_TEST: '1' },
  })

function json(...args: string[]): Record<string, unknown> {
  const result = run(...args, '--json')
  assert.equal(result.status, 0, result.stderr)
  return JSON.parse(result.stdout) as Record<string, unknown>
}

test('create makes hybrids by default; info counts content without padding but lists the pads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-versions-'))
  try {
    const data = join(dir, 'share')
    mkdirSync(join(data, 'sub'), { recursive: true })
    writeFileSync(join(data, 'a.bin'), Buffer.alloc(40_000, 1))
    writeFileSync(join(data, 'sub', 'b.txt'), 'hello\n')
    const out = (mode: string) => join(dir, `${mode}.torrent`)
    const piece = ['--piece-length', '16384', '--no-date']
    json('create', data, '-o', out('hybrid'), ...piece)
    json('create', data, '-o', out('v2'), '--v2', ...piece)
    json('create', data, '-o', out('v1'), '--v1', ...piece)

    const hybrid = json('info', out('hybrid'))
    assert.equal(hybrid['version'], 'hybrid')
    assert.equal(hybrid['infoHashV1'], hybrid['infoHash'])
    assert.match(String(hybrid['infoHashV2']), /^[0-9a-f]{64}$/)
    assert.equal(hybrid['length'], 40_006)
    assert.equal(hybrid['padLength'], 16384 * 3 - 40_000 + 16384 - 6)
    assert.deepEqual(hybrid['files'], [
      { path: 'share/a.bin', length: 40_000 },
      { path: 'share/.pad/9152', length: 9152, pad: true },
      { path: 'share/sub/b.txt', length: 6 },
      { path: 'share/.pad/16378', length: 16378, pad: true },
    ])
    assert.match(
      String(hybrid['magnet']),
      new RegExp(
        `xt=urn:btih:${String(hybrid['infoHash'])}&xt=urn:btmh:1220${String(hybrid['infoHashV2'])}`,
      ),
    )

    const v2 = json('info', out('v2'))
    assert.equal(v2['version'], 'v2')
    assert.equal(v2['infoHash'], String(v2['infoHashV2']).slice(0, 40))
    assert.equal(v2['length'], 40_006)
    assert.doesNotMatch(String(v2['magnet']), /btih/)
    const magnet = json('info', String(v2['magnet']))
    assert.equal(magnet['version'], 'v2')
    assert.equal(magnet['infoHash'], v2['infoHash'])

    // v2-only transfers (with libtorrent, both ways) are tested in test/interop/v2.test.ts.

    const v1 = json('info', out('v1'))
    assert.equal(v1['version'], 'v1')
    assert.equal(v1['length'], 40_006)
    assert.equal(v1['padLength'], 0)
    assert.equal(v1['infoHashV2'], undefined)

    const text = run('info', out('hybrid')).stdout
    assert.match(text, /version: +hybrid \(v1 \+ v2\)/)
    assert.match(text, /size: +40006 bytes \(\+ 25530 bytes of padding files\)/)
    assert.match(text, /share\/\.pad\/9152 \(9152 bytes, padding\)/)

    const both = run('create', data, '--v1', '--v2', '-o', join(dir, 'x.torrent'))
    assert.notEqual(both.status, 0)
    assert.match(both.stderr, /choose one of --v1, --v2, --hybrid/)
    const odd = run('create', data, '--piece-length', '49152', '-o', join(dir, 'y.torrent'))
    assert.notEqual(odd.status, 0)
    assert.match(odd.stderr, /power of two/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
