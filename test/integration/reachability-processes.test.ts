import assert from 'node:assert/strict'
import { test } from 'node:test'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'

/**
 * The same story as reachability-loopback.test.ts with one plexus process per peer on
 * 127.0.0.1: two plain DHT nodes, a relay (`nat reach --assume reachable --relay-ports`), a
 * peer told it is unreachable that finds the relay through the DHT and reserves with it, and a
 * caller that reaches that peer by its key alone and gets its echo through the relay.
 */
type Event = { type: string; [key: string]: unknown }

const event =
  (type: string, check: (e: Event) => boolean = () => true) =>
  (line: string): Event | undefined => {
    const parsed = jsonLine(line)
    return parsed?.type === type && check(parsed) ? parsed : undefined
  }

test('plexus nat reach: relay, reservation and a session by key, one process each', async () => {
  const processes: PlexusProcess[] = []
  const plexus = (args: string[]): PlexusProcess => {
    const child = spawnPlexus(args)
    processes.push(child)
    return child
  }
  const portFirst = 31_000 + (process.pid % 2000) * 8
  try {
    const first = plexus(['dht', '--isolated', '--bind', '127.0.0.1', '--port', '0', '--json'])
    const listening = await first.waitForLine(event('listening'))
    const bootstrap = String(listening['address'])
    const second = plexus([
      'dht',
      '--bind',
      '127.0.0.1',
      '--port',
      '0',
      '--bootstrap',
      bootstrap,
      '--json',
    ])
    await second.waitForLine(event('listening'))
    const common = ['--bind', '127.0.0.1', '--bootstrap', bootstrap, '--refresh', '1', '--json']

    const relay = plexus([
      'nat',
      'reach',
      ...common,
      '--assume',
      'reachable',
      '--relay-ports',
      `${portFirst}-${portFirst + 7}`,
    ])
    await relay.waitForLine(
      event(
        'reach_status',
        (e) => (e['relay'] as { advertised?: boolean } | undefined)?.advertised === true,
      ),
      30_000,
    )

    const nated = plexus([
      'nat',
      'reach',
      ...common,
      '--assume',
      'unreachable',
      '--reservations',
      '1',
      '--no-host-candidates',
      '--echo',
    ])
    const started = await nated.waitForLine(event('reach_started'))
    const key = String(started['key'])
    const reserved = await nated.waitForLine(
      event('reach_status', (e) => {
        const reservations = e['reservations'] as unknown[]
        return reservations.length === 1 && Number(e['recordStoredOn']) > 0
      }),
      30_000,
    )
    assert.equal(reserved['state'], 'unreachable')
    // waits registered before the lines can come (one stdout chunk may carry several)
    const session = nated.waitForLine(event('reach_session'), 60_000)

    const caller = plexus([
      'nat',
      'reach',
      ...common,
      '--assume',
      'reachable',
      '--connect',
      key,
      '--send',
      'hi there',
    ])
    const connected = caller.waitForLine(event('reach_connected'), 30_000)
    const answer = caller.waitForLine(event('reach_answer'), 30_000)
    assert.equal((await connected)['path'], 'relayed')
    assert.equal((await answer)['text'], 'hi there')
    assert.equal(await caller.exited, 0)
    assert.equal((await session)['direction'], 'incoming')
  } finally {
    for (const child of processes.reverse()) await child.stop()
  }
})
