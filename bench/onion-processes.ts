/**
 * The processes of the onion bench besides tor's: the HTTP file server (its own process, so
 * the bench process's CPU is the plexus client's alone) and three `plexus onion relay`
 * processes for plexus-only circuits.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../src/cli/spawn.js'
import { parsePublishedRelays, descriptorOfPublished } from '../src/drivers/onion/named-circuit.js'
import type { RelayDescriptor } from '../src/protocols/onion/directory/descriptor.js'

/** Serves `bytes` bytes (i mod 251) to every GET on 127.0.0.1, from a child process. */
const SERVER = `
const { createServer } = require('node:http')
const body = Buffer.alloc(Number(process.argv[1]))
for (let i = 0; i < body.length; i++) body[i] = i % 251
const server = createServer((_request, response) => response.end(body))
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
process.on('SIGTERM', () => process.exit(0))
`

export async function startFileServer(
  bytes: number,
): Promise<{ port: number; pid: number; stop(): void }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER, String(bytes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> })
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve(Number(line)))
    child.once('exit', () => reject(new Error('the file server exited')))
  })
  return {
    port,
    pid: child.pid ?? 0,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM')
    },
  }
}

export interface PlexusRelayProcesses {
  readonly descriptors: RelayDescriptor[]
  readonly pids: Record<string, number | undefined>
  stop(): Promise<void>
}

/** `count` plexus relay processes on 127.0.0.1, their records as descriptors, in order. */
export async function startPlexusRelayProcesses(count: number): Promise<PlexusRelayProcesses> {
  const state = mkdtempSync(join(tmpdir(), 'plexus-bench-relays-'))
  const relays: PlexusProcess[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(relays.map((relay) => relay.stop()))
    rmSync(state, { recursive: true, force: true })
  }
  try {
    const records: string[] = []
    for (let i = 0; i < count; i++) {
      const relay = spawnPlexus([
        'onion',
        'relay',
        '--port',
        '0',
        '--bind',
        '127.0.0.1',
        '--state',
        join(state, `prelay${i}`),
        '--nickname',
        `prelay${i}`,
        '--json',
      ])
      relays.push(relay)
      records.push(await relay.waitForLine((line) => (jsonLine(line) ? line : undefined), 30_000))
    }
    const descriptors = parsePublishedRelays(`[${records.join(',')}]`).map(descriptorOfPublished)
    const pids = Object.fromEntries(relays.map((relay, i) => [`prelay${i}`, relay.child.pid]))
    return { descriptors, pids, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
