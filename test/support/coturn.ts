import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NetnsBed } from './netns-bed.js'

/** How long coturn may take to open its listeners and relay ports. */
const COTURN_READY_MS = 10_000

/**
 * Starts coturn as a plain STUN server (RFC 5780: two addresses, two ports) in the bed's public
 * namespace and resolves once its relay ports are initialised. No TLS, no CLI, no
 * authentication; its pid file goes to a fresh temporary folder instead of /var/run.
 */
export interface TurnUser {
  readonly username: string
  readonly password: string
}

/** With `user`, coturn also relays (TURN, long-term credentials, realm `plexus.test`). */
export async function startCoturn(
  bed: NetnsBed,
  port = 3478,
  user?: TurnUser,
): Promise<ChildProcess> {
  const [first, second] = bed.publicAddresses
  if (first === undefined || second === undefined) {
    throw new Error('coturn as an RFC 5780 server needs two public addresses in the bed')
  }
  const dir = mkdtempSync(join(tmpdir(), 'plexus-coturn-'))
  const child = bed.start(bed.publicNamespace, [
    'turnserver',
    '-n',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '-L',
    first,
    '-L',
    second,
    '-p',
    String(port),
    '--pidfile',
    join(dir, 'turnserver.pid'),
    '--log-file',
    'stdout',
    '--simple-log',
    ...(user === undefined
      ? []
      : [
          '--lt-cred-mech',
          '--user',
          `${user.username}:${user.password}`,
          '--realm',
          'plexus.test',
        ]),
  ])
  let log = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`coturn did not start within ${COTURN_READY_MS} ms:\n${log}`))
    }, COTURN_READY_MS)
    const onData = (chunk: Buffer): void => {
      log += chunk.toString()
      if (log.includes('Relay ports initialization done')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`coturn exited (${code}) before it was ready:\n${log}`))
    })
  })
  return child
}
