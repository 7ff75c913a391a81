/**
 * The CLI end to end with real processes on loopback: three `plexus onion relay --json`
 * processes print their records; `plexus onion fetch --relays FILE --json` builds a circuit
 * through them and fetches a file byte-exact; a relay restarted on its --state directory prints
 * the same identity.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'

const dir = mkdtempSync(join(tmpdir(), 'plexus-onion-relay-cli-'))
const file = new Uint8Array(300_000).map((_, i) => (i * 17) % 256)
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
let server: Server
let port: number
const processes: PlexusProcess[] = []

const listening = (process: PlexusProcess) =>
  process.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? event : undefined
  }, 30_000)

const startRelay = (name: string): PlexusProcess => {
  const relay = spawnPlexus(
    ['onion', 'relay', '--port', '0', '--state', join(dir, name), '--nickname', name, '--json'],
    false,
  )
  processes.push(relay)
  return relay
}

before(async () => {
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-length': file.length })
    response.end(file)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

after(async () => {
  await Promise.all(processes.map((process) => process.stop()))
  server?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('plexus onion fetch --relays goes through three plexus onion relay processes', async () => {
  const relays = ['r1', 'r2', 'r3'].map(startRelay)
  const records = await Promise.all(relays.map(listening))
  for (const record of records) {
    assert.match(String(record['fingerprint']), /^[0-9A-F]{40}$/)
    assert.equal(Buffer.from(String(record['ntorOnionKey']), 'base64').length, 32)
  }
  const relaysFile = join(dir, 'relays.jsonl')
  writeFileSync(relaysFile, records.map((record) => JSON.stringify(record)).join('\n') + '\n')
  const output = join(dir, 'body')
  const fetch = spawnPlexus(
    [
      'onion',
      'fetch',
      `http://127.0.0.1:${port}/file`,
      '--relays',
      relaysFile,
      '-o',
      output,
      '--json',
    ],
    false,
  )
  processes.push(fetch)
  const fetched = await fetch.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'fetched' ? event : undefined
  }, 30_000)
  assert.equal(await fetch.exited, 0)
  assert.equal(fetched['status'], 200)
  assert.deepEqual(
    fetched['path'],
    records.map((record) => record['fingerprint']),
  )
  assert.equal(sha256(readFileSync(output)), sha256(file))

  // Restarted on the same state, a relay keeps its identity.
  const first = relays[0] as PlexusProcess
  await first.stop()
  const again = await listening(startRelay('r1'))
  assert.equal(again['fingerprint'], records[0]?.['fingerprint'])
  assert.equal(again['ed25519Id'], records[0]?.['ed25519Id'])
})

test('a bad exit policy is a usage error', async () => {
  const relay = spawnPlexus(
    ['onion', 'relay', '--port', '0', '--state', join(dir, 'bad'), '--exit-policy', 'allow all'],
    false,
  )
  processes.push(relay)
  assert.equal(await relay.exited, 2)
})

test('relays advertised in the DHT (--dht-bootstrap) serve plexus onion fetch --dht-bootstrap', async () => {
  const dhtNode = spawnPlexus(['dht', '--isolated', '--bind', '127.0.0.1', '--port', '0', '--json'])
  processes.push(dhtNode)
  const node = await dhtNode.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? event : undefined
  }, 30_000)
  const bootstrap = String(node['address'])
  const relays = ['d1', 'd2', 'd3'].map((name) => {
    const relay = spawnPlexus(
      [
        'onion',
        'relay',
        '--port',
        '0',
        '--state',
        join(dir, name),
        '--dht-bootstrap',
        bootstrap,
        '--refresh',
        '2',
        '--json',
      ],
      false,
    )
    processes.push(relay)
    return relay
  })
  const advertised = await Promise.all(
    relays.map((relay) =>
      relay.waitForLine((line) => {
        const event = jsonLine(line)
        return event?.type === 'advertised' ? event : undefined
      }, 30_000),
    ),
  )
  for (const record of advertised) assert.ok(Number(record['recordStoredOn']) > 0)
  const fetch = spawnPlexus(
    [
      'onion',
      'fetch',
      `http://127.0.0.1:${port}/file`,
      '--dht-bootstrap',
      bootstrap,
      '--no-distinct-subnets',
      '-o',
      join(dir, 'dht-body'),
      '--json',
    ],
    false,
  )
  processes.push(fetch)
  const found = await fetch.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'relays' ? event : undefined
  }, 30_000)
  assert.equal((found['found'] as unknown[]).length, 3)
  const fetched = await fetch.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'fetched' ? event : undefined
  }, 30_000)
  assert.equal(await fetch.exited, 0)
  assert.equal(fetched['status'], 200)
  assert.deepEqual(
    [...(fetched['path'] as string[])].sort(),
    advertised.map((record) => String(record['fingerprint'])).sort(),
  )
  assert.equal(sha256(readFileSync(join(dir, 'dht-body'))), sha256(file))
})
