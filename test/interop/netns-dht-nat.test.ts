import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'
import { createNetnsBed, requireNetnsBed, type NetnsBed } from '../support/netns-bed.js'

/**
 * The Mainline DHT between two peers behind different port-restricted NATs, through a public
 * bootstrap node (all plexus, in the real NAT bed): the peer behind the first NAT announces an
 * info-hash, the peer behind the second finds it with get_peers, under its NAT's public address.
 * Neither NAT lets the other's queries in: the public node stores and answers.
 */

const INFO_HASH = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'
const NODE_PORT = 6881
const PEER_PORT = 51413

interface JsonLine {
  readonly type?: string
  readonly [key: string]: unknown
}

const jsonLines = (stdout: string): JsonLine[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JsonLine)

function plexusArgs(stateDir: string, args: readonly string[]): string[] {
  return [
    'env',
    '-u',
    'PLEXUS_TEST', // inside the bed's namespaces nothing reaches the host's network
    `PLEXUS_STATE_DIR=${stateDir}`,
    process.execPath,
    CLI_ENTRY,
    ...args,
  ]
}

async function startBootstrap(bed: NetnsBed, host: string, stateDir: string): Promise<void> {
  const child = bed.start(
    bed.publicNamespace,
    plexusArgs(stateDir, [
      'dht',
      '--isolated',
      '--bind',
      host,
      '--port',
      String(NODE_PORT),
      '--json',
    ]),
  )
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('"listening"')) resolve()
    })
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`bootstrap node exited (${code}): ${out}`)))
  })
}

test('DHT: a peer behind one NAT finds a peer behind another through a public node', async () => {
  requireNetnsBed()
  const bed = await createNetnsBed({
    nats: ['port_restricted', 'port_restricted'],
    publicAddresses: 1,
  })
  const dir = mkdtempSync(join(tmpdir(), 'plexus-dht-nat-'))
  const state = (name: string): string => {
    const path = join(dir, name)
    mkdirSync(path, { recursive: true })
    return path
  }
  try {
    const [announcerNet, seekerNet] = bed.networks
    const publicHost = bed.publicAddresses[0]
    assert.ok(announcerNet !== undefined && seekerNet !== undefined && publicHost !== undefined)
    await startBootstrap(bed, publicHost, state('bootstrap'))
    const bootstrap = `${publicHost}:${NODE_PORT}`
    const common = ['--bootstrap', bootstrap, '--port', String(NODE_PORT), '--json']

    const announced = await bed.exec(
      announcerNet.hostNamespace,
      plexusArgs(state('announcer'), [
        'dht',
        'announce',
        INFO_HASH,
        '--peer-port',
        String(PEER_PORT),
        '--bind',
        announcerNet.hostAddress,
        ...common,
      ]),
      60_000,
    )
    const announceDone = jsonLines(announced.stdout).find((l) => l.type === 'done')
    assert.equal(announced.code, 0, `${announced.stdout}${announced.stderr}`)
    assert.ok(Number(announceDone?.['stored']) >= 1, announced.stdout)

    const found = await bed.exec(
      seekerNet.hostNamespace,
      plexusArgs(state('seeker'), [
        'dht',
        'peers',
        INFO_HASH,
        '--bind',
        seekerNet.hostAddress,
        ...common,
      ]),
      60_000,
    )
    assert.equal(found.code, 0, `${found.stdout}${found.stderr}`)
    const peers = jsonLines(found.stdout).flatMap((l) =>
      l.type === 'peers' && Array.isArray(l['peers']) ? (l['peers'] as string[]) : [],
    )
    // The announcer is seen under its NAT's public address, with the port it announced.
    assert.ok(
      peers.includes(`${announcerNet.natAddress}:${PEER_PORT}`),
      `peers found: ${peers.join(', ')}\n${found.stdout}`,
    )
  } finally {
    await bed.teardown()
    rmSync(dir, { recursive: true, force: true })
  }
})
