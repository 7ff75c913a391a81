import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveConfig, type DaemonConfig } from '../../src/daemon/config.js'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import type { DirectoryFetch } from '../../src/daemon/directory-fetch.js'
import { MemoryPeer } from './memory-peer.js'

export interface TestDaemon {
  readonly daemon: RunningDaemon
  readonly peer: MemoryPeer
  readonly config: DaemonConfig
  /** fetch on the API with the token (override `authorization` to test refusals). */
  request(path: string, init?: RequestInit): Promise<Response>
}

/** A daemon config on loopback port 0 with its data dir in `dataDir`, the DHT off. */
export function testConfig(dataDir: string): DaemonConfig {
  return resolveConfig(
    new Map<string, number>([
      ['api.port', 0],
      ['peer.port', 0],
    ]),
    { defaultDataDir: dataDir, dhtByDefault: false },
  )
}

export async function startTestDaemon(
  dataDir: string,
  options: { readonly statsIntervalMs?: number; readonly fetchFromDirectory?: DirectoryFetch } = {},
): Promise<TestDaemon> {
  const peer = new MemoryPeer()
  const config = testConfig(dataDir)
  const daemon = await startDaemon({
    config,
    startPeer: () => Promise.resolve(peer),
    ...options,
  })
  const request = (path: string, init: RequestInit = {}) =>
    fetch(`${daemon.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${daemon.token}`, ...(init.headers ?? {}) },
    })
  return { daemon, peer, config, request }
}

/** Runs `body` with a fresh temp data dir, removed afterwards. */
export async function withDataDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-daemon-'))
  try {
    await body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `body` against a daemon on a fresh data dir, stopped afterwards. */
export async function withDaemon(
  body: (t: TestDaemon, dataDir: string) => Promise<void>,
  options: { readonly statsIntervalMs?: number; readonly fetchFromDirectory?: DirectoryFetch } = {},
): Promise<void> {
  await withDataDir(async (dir) => {
    const t = await startTestDaemon(dir, options)
    try {
      await body(t, dir)
    } finally {
      await t.daemon.stop()
    }
  })
}

export const torrentUpload = (bytes: Uint8Array, query = ''): [string, RequestInit] => [
  `/api/v1/torrents${query}`,
  { method: 'POST', headers: { 'content-type': 'application/x-bittorrent' }, body: bytes },
]

export const jsonBody = (method: string, value: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
})
