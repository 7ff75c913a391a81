import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import { dictOf, encode } from '../../core/codec/bencode.js'
import type { Id160 } from '../../core/id.js'
import { exportState } from '../../protocols/kademlia/index.js'
import { NodeDisk } from '../node/disk.js'
import { createNodeEnv } from '../node/env.js'
import { DhtService } from './dht-service.js'
import { readStateFile } from './state-file.js'

/** Issue 11, integrity 7: `--state FILE` must never overwrite a file that is not ours. */

const id = new Uint8Array(20).fill(7) as Id160
const node = { id: new Uint8Array(20).fill(9) as Id160, address: address('127.0.0.1', 6881) }

function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-dht-state-'))
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }))
}

test('state files are told apart from every other file', async () => {
  await withDir(async (dir) => {
    const disk = new NodeDisk()
    const at = (name: string, bytes?: Uint8Array | string): string => {
      const path = join(dir, name)
      if (bytes !== undefined) writeFileSync(path, bytes)
      return path
    }
    assert.equal((await readStateFile(disk, at('missing'))).kind, 'missing')
    assert.equal((await readStateFile(disk, at('empty', ''))).kind, 'empty')
    const ours = await readStateFile(disk, at('ours', exportState({ id, nodes: [node] })))
    assert.ok(ours.kind === 'state' && ours.state.nodes.length === 1)
    // Written before the format marker: exactly our keys.
    const legacy = encode(dictOf({ id, nodes: new Uint8Array(0), nodes6: new Uint8Array(0) }))
    assert.equal((await readStateFile(disk, at('legacy', legacy))).kind, 'state')
    const foreign: [string, Uint8Array | string][] = [
      ['a.torrent', encode(dictOf({ announce: 'http://t/', info: dictOf({ name: 'x' }) }))],
      ['dict-with-id', encode(dictOf({ id, comment: 'someone else' }))],
      ['other-version', encode(dictOf({ id, plexus: 'dht-state 9' }))],
      ['text', 'hello, world\n'],
      ['big', new Uint8Array((1 << 20) + 1)],
    ]
    for (const [name, bytes] of foreign) {
      assert.equal((await readStateFile(disk, at(name, bytes))).kind, 'foreign', name)
    }
    mkdirSync(join(dir, 'folder'))
    assert.equal((await readStateFile(disk, join(dir, 'folder'))).kind, 'foreign')
  })
})

test('DhtService refuses a foreign state file before binding, leaving it untouched', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'a.torrent')
    const torrent = encode(dictOf({ announce: 'http://t/', info: dictOf({ name: 'x' }) }))
    writeFileSync(path, torrent)
    await assert.rejects(
      DhtService.start({
        env: createNodeEnv({ loopbackOnly: true }),
        bind: { host: '127.0.0.1', port: 0 },
        bootstrap: [],
        statePath: path,
        stateDisk: new NodeDisk(),
      }),
      /is not a plexus DHT state file/,
    )
    assert.deepEqual(new Uint8Array(readFileSync(path)), torrent)
  })
})
