/**
 * A tor client builds through a plexus relay. The plexus relay publishes a server descriptor
 * (src/drivers/onion/relay-descriptor.ts) to the three authorities of a private tor network;
 * they test its ORPort (a tor link handshake with the plexus relay as responder, AUTHENTICATE
 * from the authority included) and vote it Running and Valid. The tor client (full
 * descriptors) reads the consensus and the plexus relay's descriptor, checks its signatures,
 * and fetches a file from a local HTTP server through SOCKS:
 *   - told `MiddleNodes <plexus middle>` (StrictNodes): tor guard -> plexus middle -> tor exit.
 *     The tor exit accepts the stream because the plexus relay authenticates its link to it
 *     (AUTH0003) and is now listed (RefuseUnknownExits no longer applies);
 *   - told `ExitNodes <plexus exit>`: tor hops, then the plexus exit (loopback policy), which
 *     connects to the server;
 *   - told `EntryNodes <plexus guard>`: the plexus relay is the client's guard. That relay is a
 *     `plexus onion relay --authorities FILE` process: the CLI's own publishing gets it listed.
 * The in-process relays publish through `RelayOptions.publish` too, and authenticate their
 * links because they publish (the default follows being listed).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, get, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'
import type { UploadAnswer } from '../../src/drivers/onion/relay-descriptor.js'
import { PlexusRelay } from '../../src/drivers/onion/relay-server.js'
import {
  DEFAULT_EXIT_POLICY,
  parseExitPolicy,
} from '../../src/protocols/onion/directory/exit-policy.js'
import { TorControl } from '../support/tor-control.js'
import { startTorNetwork, torInstalled, type TorNetwork } from '../support/tor-net.js'
import { warningLog } from '../support/onion-relays.js'

const { log } = warningLog()
const NICKNAME = 'plexusmiddle'
const EXIT_NICKNAME = 'plexusexit'
const GUARD_NICKNAME = 'plexusguard'
/**
 * The plexus exit and the server it serves share 127.0.0.3: a tor client sends a stream to a
 * loopback destination only through the relay at that very address (an "enclave" exit; no
 * exit at 127.0.0.1 was taken for 127.0.0.2), and every tor relay is at 127.0.0.1.
 */
const EXIT_ADDRESS = '127.0.0.3'
const file = new Uint8Array(600_000).map((_, i) => (i * 31 + (i >>> 11)) % 256)
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

let network: TorNetwork
let relay: PlexusRelay
let exitRelay: PlexusRelay
let guard: PlexusProcess
let guardFingerprint: string
let guardUploads: Promise<unknown>
let server: Server
let serverPort: number
let exitServer: Server
let exitServerPort: number
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
  exitServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-length': file.length })
    response.end(file)
  })
  await new Promise<void>((resolve) => exitServer.listen(0, EXIT_ADDRESS, resolve))
  exitServerPort = (exitServer.address() as AddressInfo).port
  stateRoot = mkdtempSync(join(tmpdir(), 'plexus-tor-client-plexus-'))
  network = await startTorNetwork({ relays: 2, client: true })
  const publish = {
    authorities: network.authorities.map((authority) => ({
      host: '127.0.0.1',
      dirPort: authority.dirPort,
    })),
    bandwidth: 10 * 1024 * 1024,
  }
  // A middle relay: it exits nowhere (the descriptor's policy is `reject *:*`).
  relay = await PlexusRelay.start({
    stateDir: join(stateRoot, 'middle'),
    port: 0,
    bind: '127.0.0.1',
    exitPolicy: [],
    nickname: NICKNAME,
    publish,
    log,
  })
  const policy = parseExitPolicy(DEFAULT_EXIT_POLICY)
  assert.ok(policy.ok)
  exitRelay = await PlexusRelay.start({
    stateDir: join(stateRoot, 'exit'),
    port: 0,
    bind: EXIT_ADDRESS,
    exitPolicy: policy.value,
    nickname: EXIT_NICKNAME,
    publish,
    log,
  })
  // The guard: the CLI, publishing on its own from the DirAuthority file.
  guard = spawnPlexus(
    [
      'onion',
      'relay',
      '--port',
      '0',
      '--state',
      join(stateRoot, 'guard'),
      '--exit-policy',
      'reject *:*',
      '--nickname',
      GUARD_NICKNAME,
      '--authorities',
      network.authoritiesFile,
      '--directory',
      '--json',
    ],
    false,
  )
  guardFingerprint = await guard.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? String(event['fingerprint']) : undefined
  })
  guardUploads = guard.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'published' ? event['uploads'] : undefined
  }, 30_000)
  const controlPort = network.clientControlPort
  assert.ok(controlPort !== undefined)
  control = await TorControl.open(controlPort)
})

after(async () => {
  await guard?.stop()
  control?.close()
  relay?.close()
  exitRelay?.close()
  network?.stop()
  server?.close()
  exitServer?.close()
  if (stateRoot !== undefined) rmSync(stateRoot, { recursive: true, force: true })
})

/** Every authority took the upload. */
function assertAllAccepted(answers: unknown): void {
  assert.deepEqual(
    (answers as UploadAnswer[]).map((answer) => answer.status),
    [200, 200, 200],
    JSON.stringify(answers),
  )
}

async function listedEverywhere(nickname: string): Promise<boolean> {
  for (const authority of network.authorities) {
    const flags = await listedFlags(authority.dirPort, nickname)
    if (flags === undefined || !flags.includes('Running') || !flags.includes('Valid')) return false
  }
  return true
}

/** The tor client's directory holds the relay's full descriptor (tor checked its signatures). */
async function clientKnows(fingerprint: string): Promise<void> {
  await waitFor(
    "the tor client's directory to hold the plexus relay's descriptor",
    async () =>
      (await control.command(`GETINFO desc/id/${fingerprint}`))[0]?.startsWith('250') === true,
    120_000,
  )
}

/** Fetches through the tor client; the path of the circuit that carried the stream. */
async function fetchThroughTor(address: string, port: number): Promise<string[]> {
  const from = control.events.length
  const body = await curl(network.clientSocksPort ?? 0, `http://${address}:${port}/file`).catch(
    async (error: unknown) => {
      // What tor tried: its circuit events say which hop failed and why, the consensus which
      // flags each relay had.
      const circuits = control.events.slice(from).filter((event) => event.startsWith('CIRC '))
      const consensus = await fetchText(
        network.authorities[0]?.dirPort ?? 0,
        '/tor/status-vote/current/consensus',
      )
      const flags = consensus.split('\n').filter((line) => /^[rs] /.test(line))
      throw new Error(`${String(error)}\n${circuits.slice(-12).join('\n')}\n${flags.join('\n')}`)
    },
  )
  assert.equal(body.length, file.length)
  assert.equal(sha256(body), sha256(file))
  // tor names the stream's circuit in the SUCCEEDED event (after REMAP the target reads
  // `ADDRESS.<exit fingerprint>.exit:PORT`).
  const succeeded = control.events
    .slice(from)
    .find(
      (event) =>
        event.startsWith('STREAM ') &&
        event.includes(' SUCCEEDED ') &&
        new RegExp(
          `^STREAM \\d+ SUCCEEDED \\d+ ${address.replaceAll('.', '\\.')}[.\\w]*:${port} `,
        ).test(event),
    )
  assert.ok(succeeded !== undefined, control.events.join('\n'))
  const circuitId = succeeded.split(' ')[3]
  // Its path, from the CIRC event that reported it built (it may have closed since).
  const built = control.events.find((event) => event.startsWith(`CIRC ${circuitId} BUILT `))
  assert.ok(built !== undefined, control.events.join('\n'))
  return (built.split(' ')[3] ?? '').split(',')
}

test('the authorities list the three plexus relays Running and Valid after their uploads', async () => {
  assertAllAccepted(await relay.firstUpload)
  assertAllAccepted(await exitRelay.firstUpload)
  assertAllAccepted(await guardUploads)
  assert.equal(relay.authenticatesLinks, true)
  // Conflux (two linked legs with distinct guards and middles) cannot be built with a single
  // allowed middle: tor retries forever ("Restricted middle not available").
  assert.equal((await control.command('SETCONF ConfluxEnabled=0'))[0], '250 OK')
  // Each authority tests the ORPort and votes; the next consensus lists the relay.
  await waitFor(
    'every authority to list the plexus relays Running and Valid',
    async () =>
      (await listedEverywhere(NICKNAME)) &&
      (await listedEverywhere(EXIT_NICKNAME)) &&
      (await listedEverywhere(GUARD_NICKNAME)),
    120_000,
  )
  await control.command('SETEVENTS STREAM CIRC')
})

test('a tor client fetches byte-exact through a circuit whose middle is a plexus relay', async () => {
  const fingerprint = relay.keys.fingerprint
  await clientKnows(fingerprint)
  // Exits: the tor relays only (the plexus exit, listed too, is the next test's).
  const torExits = network.relays.map((node) =>
    readFileSync(join(node.dataDir, 'fingerprint'), 'utf8').split(' ')[1]?.trim(),
  )
  const set = await control.command(
    `SETCONF MiddleNodes=${fingerprint} ExitNodes=${torExits.join(',')} StrictNodes=1`,
  )
  assert.equal(set[0], '250 OK')
  await control.command('SIGNAL NEWNYM')

  const path = await fetchThroughTor('127.0.0.1', serverPort)
  assert.equal(path.length, 3, path.join(','))
  assert.equal(path[1], `$${fingerprint}~${NICKNAME}`, path.join(','))
  const exitNickname = path[2]?.split('~')[1] ?? ''
  const exit = [...network.relays, ...network.authorities].find(
    (node) => node.nickname === exitNickname,
  )
  assert.ok(exit !== undefined, path.join(','))
  // The plexus relay's own view: a circuit extended to that tor exit's OR port.
  assert.ok(
    relay.view.some(
      (entry) => entry.kind === 'next' && entry.address === `127.0.0.1:${exit.orPort}`,
    ),
    JSON.stringify(relay.view),
  )
  assert.deepEqual(relay.refusals, [])
})

test('a tor client fetches byte-exact through a circuit whose exit is a plexus relay', async () => {
  const fingerprint = exitRelay.keys.fingerprint
  await clientKnows(fingerprint)
  const set = await control.command(`SETCONF MiddleNodes= ExitNodes=${fingerprint} StrictNodes=1`)
  assert.equal(set[0], '250 OK')
  // NEWNYM is rate limited to one per 10 s; the previous test's must not swallow this one.
  await sleep(11_000)
  await control.command('SIGNAL NEWNYM')

  const path = await fetchThroughTor(EXIT_ADDRESS, exitServerPort)
  // An exit tor was told to use (here the enclave one) gets a fourth hop before it, so that
  // it does not learn the guard: tor guard -> middle -> middle -> plexus exit.
  assert.ok(path.length === 3 || path.length === 4, path.join(','))
  assert.equal(path.at(-1), `$${fingerprint}~${EXIT_NICKNAME}`, path.join(','))
  assert.ok(
    exitRelay.view.some(
      (entry) =>
        entry.kind === 'destination' && entry.address === `${EXIT_ADDRESS}:${exitServerPort}`,
    ),
    JSON.stringify(exitRelay.view),
  )
  assert.deepEqual(exitRelay.refusals, [])
})

test("a tor client fetches byte-exact with a plexus relay (the CLI's) as its guard", async () => {
  await clientKnows(guardFingerprint)
  // A guard needs the Guard flag from the authorities, as for any tor relay.
  for (const authority of network.authorities)
    assert.match((await listedFlags(authority.dirPort, GUARD_NICKNAME)) ?? '', /\bGuard\b/)
  const torExits = network.relays.map((node) =>
    readFileSync(join(node.dataDir, 'fingerprint'), 'utf8').split(' ')[1]?.trim(),
  )
  const set = await control.command(
    `SETCONF EntryNodes=${guardFingerprint} MiddleNodes= ExitNodes=${torExits.join(',')} StrictNodes=1`,
  )
  assert.equal(set[0], '250 OK')
  await sleep(11_000)
  await control.command('SIGNAL NEWNYM')

  const path = await fetchThroughTor('127.0.0.1', serverPort)
  assert.equal(path[0], `$${guardFingerprint}~${GUARD_NICKNAME}`, path.join(','))
  // With ExitNodes set tor may add a fourth hop (see the exit test).
  assert.ok(path.length === 3 || path.length === 4, path.join(','))
})
