/**
 * `plexus get --anonymous` through tor 0.4.x relays of a private network on loopback
 * (test/support/tor-net.ts): a real `plexus seed` process announcing to a plexus HTTP tracker,
 * and a real `plexus get` process that
 *   - with a magnet and `--authorities` only: reads the network's consensus (verified against
 *     the authorities), announces to the magnet's tracker through a circuit whose exit is a tor
 *     relay, finds the seed there (no --peer), and fetches the metadata (BEP 9) and every piece
 *     through circuits of tor relays, byte-exact;
 *   - with a .torrent, `--peer` and `--relays` naming tor relays by nickname: one circuit through
 *     those three, in order, and the pieces through it, byte-exact.
 * Every path the getter prints is made of relays of the tor network (their nicknames and
 * fingerprints in its consensus), never a direct connection.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'
import { NodeClock } from '../../src/drivers/node/clock.js'
import { startHttpTracker, type HttpTracker } from '../../src/drivers/node/http-tracker.js'
import { CryptoRandom } from '../../src/drivers/node/random.js'
import { startTorNetwork, torInstalled, type TorNetwork } from '../support/tor-net.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

let dir: string
let network: TorNetwork
let tracker: HttpTracker
let seed: PlexusProcess
let seedAddress: string
let torrent: string
let magnet: string
let infoHash: string
const data = randomBytes(2 * 1024 * 1024 + 333)
const processes: PlexusProcess[] = []

const event = (p: PlexusProcess, type: string, timeoutMs = 60_000) =>
  p.waitForLine((line) => {
    const e = jsonLine(line)
    return e?.type === type ? e : undefined
  }, timeoutMs)

/** Whether the tracker lists a seeder of the torrent (its scrape's `complete`). */
async function trackerKnowsSeed(): Promise<boolean> {
  const hash = infoHash.replace(/../g, '%$&')
  const scrapeUrl = tracker.announceUrl.replace('/announce', `/scrape?info_hash=${hash}`)
  const body = Buffer.from(await (await fetch(scrapeUrl)).arrayBuffer()).toString('latin1')
  return /8:completei[1-9]/.test(body)
}

before(async () => {
  assert.ok(torInstalled(), 'tor and tor-gencert are needed (.ci/run installs them)')
  dir = mkdtempSync(join(tmpdir(), 'plexus-anonymous-tor-'))
  tracker = await startHttpTracker({
    local: { host: '127.0.0.1', port: 0 },
    clock: new NodeClock(),
    random: new CryptoRandom(),
  })
  const content = join(dir, 'seed')
  mkdirSync(content)
  writeFileSync(join(content, 'hidden.bin'), data)
  torrent = join(dir, 'hidden.torrent')
  const create = spawnPlexus([
    'create',
    join(content, 'hidden.bin'),
    '-o',
    torrent,
    '--tracker',
    tracker.announceUrl,
    '--json',
  ])
  // `create --json` prints one object without a `type`.
  const created = await create.waitForLine(
    (line) => JSON.parse(line) as { magnet: string; infoHash: string },
  )
  assert.equal(await create.exited, 0)
  magnet = created.magnet
  infoHash = created.infoHash
  assert.match(magnet, /&tr=/)
  seed = spawnPlexus(['seed', torrent, '--data', content, '--bind', '127.0.0.1', '--json'], false)
  processes.push(seed)
  seedAddress = String((await event(seed, 'ready'))['listen'])
  network = await startTorNetwork({ relays: 3 })
  while (!(await trackerKnowsSeed())) await new Promise((resolve) => setTimeout(resolve, 200))
})

after(async () => {
  await Promise.all(processes.map((p) => p.stop()))
  network?.stop()
  await tracker?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** The tor network's relays by nickname (authorities relay too), with their fingerprints. */
function torNicknames(): Set<string> {
  return new Set([
    ...network.relays.map((relay) => relay.nickname),
    ...network.authorities.map((authority) => authority.nickname),
  ])
}

/** The circuits the getter printed until its summary; `note` hears when each event came. */
async function circuitsUntilDone(
  get: PlexusProcess,
  note: (line: string) => void,
): Promise<Record<string, unknown>[]> {
  const started = performance.now()
  const circuits: Record<string, unknown>[] = []
  const summary = await get.waitForLine((line) => {
    const e = jsonLine(line)
    if (e !== undefined && !['progress', 'piece_verified', 'checkpointed'].includes(e.type))
      note(`${((performance.now() - started) / 1000).toFixed(1)} s: ${e.type}`)
    if (e?.type === 'circuit') circuits.push(e)
    return e?.type === 'summary' ? e : undefined
  }, 120_000)
  assert.equal(summary['complete'], true, JSON.stringify(summary))
  return circuits
}

test('magnet + tracker, paths from the consensus: metadata and pieces through tor relays', async (t) => {
  const out = join(dir, 'out-consensus')
  const get = spawnPlexus(
    [
      'get',
      magnet,
      '-o',
      out,
      '--anonymous',
      '--authorities',
      network.authoritiesFile,
      '--no-distinct-subnets',
      '--json',
    ],
    false,
  )
  processes.push(get)
  const directory = await event(get, 'onion_directory', 60_000)
  assert.ok(Number(directory['relays']) >= network.relays.length)
  const circuits = await circuitsUntilDone(get, (line) => t.diagnostic(line))
  assert.equal(await get.exited, 0)
  assert.equal(sha256(readFileSync(join(out, 'hidden.bin'))), sha256(data))
  assert.ok(circuits.length >= 1)
  const tor = torNicknames()
  for (const circuit of circuits) {
    const nicknames = circuit['nicknames'] as string[]
    assert.equal(nicknames.length, 3)
    assert.ok(
      nicknames.every((nickname) => tor.has(nickname)),
      `a path of tor relays: ${nicknames.join(' ')}`,
    )
    // Exits accept 127.0.0.0/8; the authorities refuse every exit (ExitRelay 0).
    assert.match(nicknames[2] as string, /^relay\d$/)
  }
})

test('.torrent + --peer through tor relays named with --relays, in order', async (t) => {
  const out = join(dir, 'out-named')
  const hops = join(dir, 'tor-hops.jsonl')
  writeFileSync(
    hops,
    ['relay0', 'relay1', 'relay2'].map((tor) => JSON.stringify({ tor })).join('\n'),
  )
  const get = spawnPlexus(
    [
      'get',
      torrent,
      '-o',
      out,
      '--anonymous',
      '--relays',
      hops,
      '--authorities',
      network.authoritiesFile,
      '--peer',
      seedAddress,
      '--no-trackers',
      '--json',
    ],
    false,
  )
  processes.push(get)
  const circuits = await circuitsUntilDone(get, (line) => t.diagnostic(line))
  assert.equal(await get.exited, 0)
  assert.equal(sha256(readFileSync(join(out, 'hidden.bin'))), sha256(data))
  assert.deepEqual(
    circuits.map((circuit) => circuit['nicknames']),
    [['relay0', 'relay1', 'relay2']],
  )
})
