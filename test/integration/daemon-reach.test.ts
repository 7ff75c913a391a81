import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseConfigText, resolveConfig } from '../../src/daemon/config.js'
import { startDaemon } from '../../src/daemon/daemon.js'
import { startNodePeerFactory } from '../../src/daemon/start-peer.js'

/**
 * `[reach]` in a real daemon (the Node peer on 127.0.0.1): the reachability service runs as
 * the peer's `reachability` plug-in, serves as a relay (relay-lite, then TURN) when told it is
 * reachable, shows in `GET /plugins`, and keeps its record key in the data dir, so that a
 * second start has the same key.
 */
const configText = (dataDir: string, protocol: string): string =>
  [
    `data_dir = "${dataDir}"`,
    '[peer]',
    'bind = "127.0.0.1"',
    'port = 0',
    '[api]',
    'port = 0',
    '[dht]',
    'enabled = true',
    'port = 0',
    '[reach]',
    'enabled = true',
    'assume = "reachable"',
    'relay = true',
    `relay_protocol = "${protocol}"`,
    'relay_allow_peers = ["127.0.0.0/8"]',
    'relay_ports = "47000-47007"',
  ].join('\n')

interface PluginStatus {
  readonly name: string
  readonly status: {
    readonly key?: string
    readonly state?: string
    readonly relay?: { readonly protocol: string; readonly control: string }
  }
}

async function reachStatus(dataDir: string, protocol: string): Promise<PluginStatus['status']> {
  const config = resolveConfig(parseConfigText(configText(dataDir, protocol)), {
    defaultDataDir: dataDir,
    dhtByDefault: false,
  })
  const daemon = await startDaemon({ config, startPeer: startNodePeerFactory })
  try {
    for (let i = 0; i < 50; i++) {
      const answer = await fetch(`${daemon.apiUrl}/api/v1/plugins`, {
        headers: { authorization: `Bearer ${daemon.token}` },
      })
      const { plugins } = (await answer.json()) as { plugins: PluginStatus[] }
      const reach = plugins.find((p) => p.name === 'reachability')?.status
      if (reach?.relay !== undefined) return reach
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error('the reachability plug-in never showed its relay')
  } finally {
    await daemon.stop()
  }
}

test('[reach] runs the reachability service in the daemon, its key kept across restarts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-nat-reach-daemon-'))
  try {
    const first = await reachStatus(dataDir, 'relay-lite')
    assert.equal(first.state, 'reachable')
    assert.equal(first.relay?.protocol, 'relay-lite')
    assert.match(first.relay?.control ?? '', /^127\.0\.0\.1:\d+$/)
    const seedFile = join(dataDir, 'state', 'reach.seed')
    assert.match(readFileSync(seedFile, 'utf8'), /^[0-9a-f]{64}\n$/)
    assert.equal(statSync(seedFile).mode & 0o777, 0o600)
    const second = await reachStatus(dataDir, 'turn')
    assert.equal(second.relay?.protocol, 'turn')
    assert.equal(second.key, first.key, 'the same record key after a restart')
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
