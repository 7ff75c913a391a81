/**
 * A private Tor network on 127.0.0.1, built and torn down by the tests: three directory
 * authorities (keys from tor-gencert, every torrc listing all three as DirAuthority), relays
 * whose exit policy accepts only 127.0.0.0/8, and optionally a tor client (SOCKS) reading full
 * descriptors. `TestingTorNetwork 1` is accepted by tor only with custom authorities, so
 * nothing here can reach the public network. Every tor runs in its own DataDirectory under a
 * temporary folder and is ended by its PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs'
import { get } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TorAuthority {
  readonly nickname: string
  readonly orPort: number
  readonly dirPort: number
  /** The v3 identity (authority certificate fingerprint) and the relay identity fingerprint. */
  readonly v3ident: string
  readonly fingerprint: string
}

export interface TorRelay {
  readonly nickname: string
  readonly orPort: number
  readonly dirPort: number
  readonly dataDir: string
}

export interface TorNetwork {
  readonly dir: string
  readonly authorities: readonly TorAuthority[]
  readonly relays: readonly TorRelay[]
  /** The DirAuthority lines every torrc lists (also a plexus `--authorities` file). */
  readonly authorityLines: readonly string[]
  readonly authoritiesFile: string
  /** The tor client's SOCKS port, when one was asked for. */
  readonly clientSocksPort: number | undefined
  readonly clientControlPort: number | undefined
  /** Ends one relay by PID (a relay dying mid-stream). */
  killRelay(nickname: string): void
  /** The PID of a tor process by nickname (auth0, relay1, client), for CPU figures. */
  pidOf(nickname: string): number | undefined
  stop(): void
}

export interface TorNetworkOptions {
  readonly relays?: number
  readonly client?: boolean
  /** Bootstrap deadline; about 25 s on this machine. */
  readonly timeoutMs?: number
  /**
   * The authorities' `ConsensusParams`: by default the public network's scheduler settings
   * (PUBLIC_NETWORK_PARAMS); '' leaves every relay on tor's built-in fallbacks.
   */
  readonly consensusParams?: string
}

/**
 * What the public network's consensus tells every relay about scheduling (its `params` line,
 * e.g. the 2021-05-18 consensus: KISTSchedRunInterval=2 CircuitPriorityHalflifeMsec=30000).
 * Without it a private network's relays fall back to tor's built-in 10 ms KIST tick, so a
 * cell waits up to 10 ms at each relay, where a public relay waits up to 2 ms
 * (docs/protocols/onion.md, "Throughput": what that does to a circuit on loopback).
 */
export const PUBLIC_NETWORK_PARAMS = 'KISTSchedRunInterval=2 CircuitPriorityHalflifeMsec=30000'

export const torInstalled = (): boolean =>
  spawnSync('tor', ['--version'], { encoding: 'utf8' }).status === 0 &&
  spawnSync('sh', ['-c', 'command -v tor-gencert'], { encoding: 'utf8' }).status === 0

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Settings of tor's own test networks: fast votes, every relay a guard and an exit. */
const COMMON = [
  'TestingTorNetwork 1',
  'AssumeReachable 1',
  'PathsNeededToBuildCircuits 0.25',
  'TestingDirAuthVoteExit *',
  'TestingDirAuthVoteGuard *',
  'TestingMinExitFlagThreshold 0',
  'V3AuthNIntervalsValid 2',
  'RunAsDaemon 0',
  'ShutdownWaitLength 0',
  'SafeLogging 0',
  'Address 127.0.0.1',
]

const AUTHORITY = [
  'AuthoritativeDirectory 1',
  'V3AuthoritativeDirectory 1',
  'TestingV3AuthInitialVotingInterval 5',
  'V3AuthVotingInterval 10',
  'TestingV3AuthInitialVoteDelay 2',
  'V3AuthVoteDelay 2',
  'TestingV3AuthInitialDistDelay 2',
  'V3AuthDistDelay 2',
  'ExitRelay 0',
  // Stable is voted from uptime and MTBF against the network's median; in a network minutes
  // old a relay that joined last is below it. tor clients take a guard only if it is Stable
  // (node_is_possible_guard), so every relay counts as Stable here.
  'AuthDirVoteStableGuaranteeMinUptime 0',
  'AuthDirVoteStableGuaranteeMTBF 0',
]

const EXIT = [
  'ExitRelay 1',
  'ExitPolicyRejectPrivate 0',
  'ExitPolicy accept 127.0.0.0/8:*',
  'ExitPolicy reject *:*',
]

function makeDir(path: string): string {
  mkdirSync(path, { recursive: true })
  chmodSync(path, 0o700)
  return path
}

function authorityKeys(dataDir: string, dirPort: number): { v3ident: string; fingerprint: string } {
  const keys = makeDir(join(dataDir, 'keys'))
  const gencert = spawnSync(
    'tor-gencert',
    [
      '--create-identity-key',
      '--passphrase-fd',
      '0',
      '-m',
      '12',
      '-a',
      `127.0.0.1:${dirPort}`,
      '-i',
      'authority_identity_key',
      '-s',
      'authority_signing_key',
      '-c',
      'authority_certificate',
    ],
    { cwd: keys, input: '\n', encoding: 'utf8' },
  )
  if (gencert.status !== 0) throw new Error(`tor-gencert failed: ${gencert.stderr}`)
  const listed = spawnSync(
    'tor',
    [
      '--ignore-missing-torrc',
      '-f',
      '/dev/null',
      '--quiet',
      '--list-fingerprint',
      '--orport',
      '1',
      '--dirserver',
      'x 127.0.0.1:1 ffffffffffffffffffffffffffffffffffffffff',
      '--datadirectory',
      dataDir,
    ],
    { encoding: 'utf8' },
  )
  if (listed.status !== 0) throw new Error(`tor --list-fingerprint failed: ${listed.stderr}`)
  const fingerprint = listed.stdout.trim().split(/\s+/).slice(1).join('')
  const certificate = readFileSync(join(keys, 'authority_certificate'), 'utf8')
  const v3ident = /^fingerprint (\w+)$/m.exec(certificate)?.[1]
  if (v3ident === undefined || fingerprint.length !== 40)
    throw new Error('authority keys unreadable')
  return { v3ident, fingerprint }
}

function fetchText(port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path, timeout: 2000 }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve(response.statusCode === 200 ? Buffer.concat(chunks).toString('utf8') : undefined),
      )
      response.on('error', () => resolve(undefined))
    })
    request.on('error', () => resolve(undefined))
    request.on('timeout', () => request.destroy())
  })
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Whether every authority serves a consensus listing every relay as a running exit: the
 * moment a client can build circuits to 127.0.0.1 through any of them.
 */
async function consensusReady(
  authorities: readonly TorAuthority[],
  relayCount: number,
): Promise<boolean> {
  for (const authority of authorities) {
    const consensus = await fetchText(authority.dirPort, '/tor/status-vote/current/consensus')
    if (consensus === undefined) return false
    const exits = consensus
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('s ') &&
          line.includes(' Exit') &&
          line.includes(' Running') &&
          line.includes(' Valid'),
      )
    if (exits.length < relayCount + authorities.length) return false
    // Every descriptor the consensus vouches for must be served (a fresh network republishes
    // descriptors for a while, and a client then finds the listed ones missing).
    const digests = [...consensus.matchAll(/^r \S+ \S+ (\S+) /gm)].map((match) =>
      Buffer.from(match[1] ?? '', 'base64')
        .toString('hex')
        .toUpperCase(),
    )
    const descriptors = await fetchText(authority.dirPort, `/tor/server/d/${digests.join('+')}`)
    if (
      descriptors === undefined ||
      [...descriptors.matchAll(/^router /gm)].length !== digests.length
    )
      return false
  }
  return true
}

async function relaysKnowEveryone(relays: readonly TorRelay[], routers: number): Promise<boolean> {
  for (const relay of relays) {
    const consensus = await fetchText(relay.dirPort, '/tor/status-vote/current/consensus')
    if (consensus === undefined || [...consensus.matchAll(/^r /gm)].length < routers) return false
  }
  return true
}

export async function startTorNetwork(options: TorNetworkOptions = {}): Promise<TorNetwork> {
  const relayCount = options.relays ?? 3
  const consensusParams = options.consensusParams ?? PUBLIC_NETWORK_PARAMS
  const dir = mkdtempSync(join(tmpdir(), 'plexus-tor-'))
  const processes = new Map<string, ChildProcess>()
  const authorities: TorAuthority[] = []
  for (let i = 0; i < 3; i++) {
    const nickname = `auth${i}`
    const orPort = await freePort()
    const dirPort = await freePort()
    const keys = authorityKeys(makeDir(join(dir, nickname)), dirPort)
    authorities.push({ nickname, orPort, dirPort, ...keys })
  }
  const authorityLines = authorities.map(
    (a) =>
      `DirAuthority ${a.nickname} orport=${a.orPort} no-v2 v3ident=${a.v3ident} 127.0.0.1:${a.dirPort} ${a.fingerprint}`,
  )
  const authoritiesFile = join(dir, 'authorities')
  writeFileSync(authoritiesFile, authorityLines.join('\n') + '\n')

  const writeTorrc = (nickname: string, lines: readonly string[]): string => {
    const dataDir = makeDir(join(dir, nickname))
    const torrc = join(dataDir, 'torrc')
    writeFileSync(
      torrc,
      [
        ...COMMON,
        ...authorityLines,
        `DataDirectory ${dataDir}`,
        `Log notice file ${join(dataDir, 'notice.log')}`,
        // PLEXUS_TOR_KEEP=1 keeps the folder and adds info-level logs, to see why tor acted.
        ...(process.env['PLEXUS_TOR_KEEP'] === '1'
          ? [`Log info file ${join(dataDir, 'info.log')}`]
          : []),
        ...lines,
      ].join('\n') + '\n',
    )
    return torrc
  }
  const start = (nickname: string, torrc: string): void => {
    const child = spawn('tor', ['-f', torrc], { stdio: 'ignore' })
    processes.set(nickname, child)
  }
  const stop = (): void => {
    for (const child of processes.values())
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM')
    processes.clear()
  }

  try {
    for (const a of authorities)
      start(
        a.nickname,
        writeTorrc(a.nickname, [
          `Nickname ${a.nickname}`,
          `OrPort 127.0.0.1:${a.orPort}`,
          `DirPort 127.0.0.1:${a.dirPort}`,
          `ContactInfo ${a.nickname}@test.invalid`,
          'SocksPort 0',
          ...AUTHORITY,
          ...(consensusParams === '' ? [] : [`ConsensusParams ${consensusParams}`]),
        ]),
      )
    const relays: TorRelay[] = []
    for (let i = 0; i < relayCount; i++) {
      const nickname = `relay${i}`
      const orPort = await freePort()
      const dirPort = await freePort()
      const torrc = writeTorrc(nickname, [
        `Nickname ${nickname}`,
        `OrPort 127.0.0.1:${orPort}`,
        `DirPort 127.0.0.1:${dirPort}`,
        `ContactInfo ${nickname}@test.invalid`,
        'SocksPort 0',
        ...EXIT,
      ])
      relays.push({ nickname, orPort, dirPort, dataDir: join(dir, nickname) })
      start(nickname, torrc)
    }
    let clientSocksPort: number | undefined
    let clientControlPort: number | undefined
    if (options.client === true) {
      clientSocksPort = await freePort()
      clientControlPort = await freePort()
      start(
        'client',
        writeTorrc('client', [
          `SocksPort 127.0.0.1:${clientSocksPort}`,
          `ControlPort 127.0.0.1:${clientControlPort}`,
          'CookieAuthentication 0',
          'UseMicrodescriptors 0',
        ]),
      )
    }
    const deadline = Date.now() + (options.timeoutMs ?? 90_000)
    // Relays refuse streams from a previous hop missing from their own consensus ("open a
    // stream from unknown relay"), so wait until every relay caches a consensus listing all.
    while (
      !(await consensusReady(authorities, relayCount)) ||
      !(await relaysKnowEveryone(relays, relayCount + authorities.length))
    ) {
      if (Date.now() > deadline)
        throw new Error(`the tor network in ${dir} did not publish a consensus in time`)
      await sleep(1000)
    }
    if (options.client === true) {
      const log = join(dir, 'client', 'notice.log')
      while (!(existsSync(log) && readFileSync(log, 'utf8').includes('Bootstrapped 100%'))) {
        if (Date.now() > deadline) throw new Error('the tor client did not bootstrap in time')
        await sleep(500)
      }
    }
    return {
      dir,
      authorities,
      relays,
      authorityLines,
      authoritiesFile,
      clientSocksPort,
      clientControlPort,
      pidOf: (nickname) => processes.get(nickname)?.pid,
      killRelay: (nickname) => {
        const child = processes.get(nickname)
        if (child?.pid !== undefined) process.kill(child.pid, 'SIGKILL')
        processes.delete(nickname)
      },
      stop: () => {
        stop()
        if (process.env['PLEXUS_TOR_KEEP'] !== '1')
          rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
      },
    }
  } catch (error) {
    stop()
    throw error
  }
}
