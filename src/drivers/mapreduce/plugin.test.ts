import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { PeerPlugin } from '../../peer/types.js'
import { MapReduceWorkerPlugin } from './plugin.js'

test('the worker plug-in fits PeerPlugin, starts its shuffle server and reports status', async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'plexus-mr-plugin-'))
  // Nothing listens on this port: the plug-in keeps retrying, as it would for a restarting master.
  const plugin: PeerPlugin = new MapReduceWorkerPlugin({
    master: '127.0.0.1:1',
    workDir,
    bindHost: '127.0.0.1',
  })
  await new Promise<void>((resolve, reject) =>
    plugin.start((result) => (result.ok ? resolve() : reject(result.error))),
  )
  const status = plugin.status()
  assert.equal(plugin.name, 'mapreduce-worker')
  assert.match(String(status['shuffleAddress']), /^127\.0\.0\.1:[1-9]\d*$/)
  assert.equal(status['tasksRun'], 0)
  await new Promise<void>((resolve, reject) =>
    plugin.stop((result) => (result.ok ? resolve() : reject(result.error))),
  )
  rmSync(workDir, { recursive: true, force: true })
})
