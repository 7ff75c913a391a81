/**
 * A tor client builds through a plexus relay. The plexus relay publishes a server descriptor
 * (src/drivers/onion/relay-descriptor.ts) to the three authorities of a private tor network;
 * they test its ORPort (a tor link handshake with the plexus relay as responder, AUTHENTICATE
 * from the authority included) and vote it Running and Valid. The tor client (full
 * descriptors) reads the consensus and the plexus relay's descriptor, checks its signatures,
 * and, told `MiddleNodes <plexus fingerprint>` with StrictNodes, fetches a file from a local
 * HTTP server through SOCKS: tor guard -> plexus middle -> tor exit. The tor exit accepts the
 * stream because the plexus relay authenticates its link to it (AUTH0003) and is now listed.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, get, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { publishDescriptor } from '../../src/drivers/onion/relay-descriptor.js'
import { PlexusRelay } from '../../src/drivers/onion/relay-server.js'
import { TorControl } from '../support/tor-control.js'
import { startTorNetwork, torInstalled, type TorNetwork } from '../support/tor-net.js'
import { warningLog } from '../support/onion-relays.js'

const { log } = warningLog()
const NICKNAME = 'plexusmiddle'
const file = new Uint8Array(600_000).map((_, i) => (i * 31 + (i >>> 11)) % 256)
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

let network: TorNetwork
let relay: PlexusRelay
let server: Server
let serverPort: number
let stateRoot: string
let control: TorControl

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function fetchText(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path, timeout: 3000 }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      response.on('error', () => resolve(''))
    })
    request.on('error', () => resolve(''))
    request.on('timeout', () => request.destroy())
  })
}

/** The consensus entry's flags for `nickname` at one authority, or undefined when unlisted. */
async function listedFlags(dirPort: number, nickname: string): Promise<string | undefined> {
  const consensus = await fetchText(dirPort, '/tor/status-vote/current/consensus')
  const entry = new RegExp(`^r ${nickname} [^\\n]*\\ns ([^\\n]*)`, 'm').exec(consensus)
  return entry?.[1]
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(1000)
  }
}

function curl(socksPort: number, url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      ['-s', '-f', '-m', '60', '--socks5-hostname', `127.0.0.1:${socksPort}`, url],
      { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => (error === null ? resolve(stdout) : reject(error)),
    )
  })
}

before(async () => {
  assert.ok(torInstalled(), 'tor and tor-gencert are needed (.ci/run installs them)')
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-length': file.length })
    response.end(file)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  serverPort = (server.address() as AddressInfo).port
  stateRoot = mkdtempSync(join(tmpdir(), 'plexus-tor-client-plexus-'))
  network = await startTorNetwork({ relays: 2, client: true })
  // A middle relay: it exits nowhere (the descriptor's policy is `reject *:*`).
  relay = await PlexusRelay.start({
    stateDir: stateRoot,
    port: 0,
    bind: '127.0.0.1',
    exitPolicy: [],
    nickname: NICKNAME,
    authenticateLinks: true,
    log,
  })
  const controlPort = network.clientControlPort
  assert.ok(controlPort !== undefined)
  control = await TorControl.open(controlPort)
})

after(() => {
  control?.close()
  relay?.close()
  network?.stop()
  server?.close()
  if (stateRoot !== undefined) rmSync(stateRoot, { recursive: true, force: true })
})

test('a tor client fetches byte-exact through a circuit whose middle is a plexus relay', async () => {
  const { answers } = await publishDescriptor(
    relay.keys,
    {
      nickname: NICKNAME,
      address: '127.0.0.1',
      orPort: relay.published.orPort,
      exitPolicy: [],
      bandwidth: 10 * 1024 * 1024,
    },
    network.authorities.map((authority) => ({ host: '127.0.0.1', dirPort: authority.dirPort })),
  )
  assert.deepEqual(
    answers.map((answer) => answer.status),
    [200, 200, 200],
    JSON.stringify(answers),
  )
  // Each authority tests the ORPort and votes; the next consensus lists the relay.
  await waitFor(
    'every authority to list the plexus relay Running and Valid',
    async () => {
      for (const authority of network.authorities) {
        const flags = await listedFlags(authority.dirPort, NICKNAME)
        if (flags === undefined || !flags.includes('Running') || !flags.includes('Valid'))
          return false
      }
      return true
    },
    120_000,
  )
  const fingerprint = relay.keys.fingerprint
  // The client has the consensus entry and the full descriptor (checked by tor itself).
  await waitFor(
    "the tor client's directory to hold the plexus relay's descriptor",
    async () =>
      (await control.command(`GETINFO desc/id/${fingerprint}`))[0]?.startsWith('250') === true,
    120_000,
  )

  await control.command('SETEVENTS STREAM')
  const set = await control.command(`SETCONF MiddleNodes=${fingerprint} StrictNodes=1`)
  assert.equal(set[0], '250 OK')
  await control.command('SIGNAL NEWNYM')

  const body = await curl(network.clientSocksPort ?? 0, `http://127.0.0.1:${serverPort}/file`)
  assert.equal(body.length, file.length)
  assert.equal(sha256(body), sha256(file))

  // The stream's circuit: tor names it in the SUCCEEDED event; its path has the plexus relay
  // in the middle (a guard before it, a tor exit after it).
  const succeeded = control.events.find((event) =>
    // After REMAP tor names the target `127.0.0.1.<exit fingerprint>.exit:PORT`.
    new RegExp(`^STREAM \\d+ SUCCEEDED \\d+ 127\\.0\\.0\\.1[.\\w]*:${serverPort} `).test(event),
  )
  assert.ok(succeeded !== undefined, control.events.join('\n'))
  const circuitId = succeeded.split(' ')[3]
  const status = await control.command('GETINFO circuit-status')
  const line = status.find((entry) => entry.startsWith(`${circuitId} BUILT `))
  assert.ok(line !== undefined, status.join('\n'))
  const path = (line.split(' ')[2] ?? '').split(',')
  assert.equal(path.length, 3, line)
  assert.equal(path[1], `$${fingerprint}~${NICKNAME}`, line)
  const exitNickname = path[2]?.split('~')[1] ?? ''
  const exit = [...network.relays, ...network.authorities].find(
    (node) => node.nickname === exitNickname,
  )
  assert.ok(exit !== undefined, line)
  // The plexus relay's own view: a circuit extended to that exit's OR port.
  assert.ok(
    relay.view.some(
      (entry) => entry.kind === 'next' && entry.address === `127.0.0.1:${exit.orPort}`,
    ),
    JSON.stringify(relay.view),
  )
  assert.deepEqual(relay.refusals, [])
})
