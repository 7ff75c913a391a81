import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { directPossible, type ConnectionReport } from '../../src/protocols/holepunch/index.js'
import { startCoturn } from '../support/coturn.js'
import {
  BED_NATS,
  createNetnsBed,
  requireNetnsBed,
  type BedNat,
  type NetnsBed,
} from '../support/netns-bed.js'

/**
 * Hole punching across the real NAT bed, for every pair of NAT behaviours (symmetric
 * included): two peers in different private networks gather candidates (host; server-reflexive
 * from coturn's STUN; relayed from coturn's TURN, or plexus's relay-lite with
 * PLEXUS_NAT_RELAY=lite), swap them through a rendezvous in the public namespace, run ICE checks and must connect: directly wherever the pair's
 * behaviours allow it, through the relay otherwise, and say which. Each side then proves the
 * selected pair carries data. With PLEXUS_NAT_MATRIX_OUT set, the matrix is written there.
 */

const HERE = dirname(fileURLToPath(import.meta.url))
const SUPPORT = join(HERE, '..', 'support')
const RELAY_PORT = 3480
const TURN_USER = { username: 'plexus', password: 'punch-through' }
/** PLEXUS_NAT_RELAY=lite uses plexus's relay-lite; the default is TURN (coturn). */
const RELAY_KIND = process.env['PLEXUS_NAT_RELAY'] === 'lite' ? 'lite' : 'turn'
const relayArg = (server: string): string =>
  RELAY_KIND === 'lite'
    ? `${server}:${RELAY_PORT}`
    : `turn:${TURN_USER.username}:${TURN_USER.password}@${server}:3478`

interface Outcome {
  readonly a: BedNat
  readonly b: BedNat
  readonly controlling: ConnectionReport
  readonly controlled: ConnectionReport
}

interface PeerResult {
  readonly ok: boolean
  readonly reason?: string
  readonly report?: ConnectionReport
}

function lastJson(stdout: string): PeerResult {
  const lines = stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
  const last = lines[lines.length - 1]
  if (last === undefined) return { ok: false, reason: `no output: ${stdout}` }
  return JSON.parse(last) as PeerResult
}

async function startRelay(bed: NetnsBed, host: string): Promise<void> {
  const child = bed.start(bed.publicNamespace, [
    'env',
    '-u',
    'PLEXUS_TEST', // inside the bed's namespace: sends to 203.0.113.x never leave the bed
    process.execPath,
    join(SUPPORT, 'holepunch-relay-main.js'),
    host,
    String(RELAY_PORT),
  ])
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('"ready"')) resolve()
    })
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`relay exited (${code}): ${out}`)))
  })
}

async function punch(bed: NetnsBed, a: number, b: number, session: string): Promise<Outcome> {
  const server = bed.publicAddresses[0] ?? ''
  const netA = bed.networks[a]
  const netB = bed.networks[b]
  assert.ok(netA !== undefined && netB !== undefined)
  const peer = (role: string, hostNamespace: string, hostAddress: string) =>
    bed.exec(
      hostNamespace,
      [
        'env',
        '-u',
        'PLEXUS_TEST',
        process.execPath,
        join(SUPPORT, 'holepunch-peer-main.js'),
        role,
        session,
        hostAddress,
        `${server}:3478`,
        relayArg(server),
        `${server}:${RELAY_PORT + 1}`,
      ],
      40_000,
    )
  const [first, second] = await Promise.all([
    peer('controlling', netA.hostNamespace, netA.hostAddress),
    peer('controlled', netB.hostNamespace, netB.hostAddress),
  ])
  const controlling = lastJson(first.stdout)
  const controlled = lastJson(second.stdout)
  const what = `${netA.nat} x ${netB.nat}: ${first.stdout}${first.stderr} | ${second.stdout}${second.stderr}`
  assert.ok(controlling.ok && controlling.report !== undefined, what)
  assert.ok(controlled.ok && controlled.report !== undefined, what)
  return {
    a: netA.nat,
    b: netB.nat,
    controlling: controlling.report,
    controlled: controlled.report,
  }
}

function matrixMarkdown(outcomes: readonly Outcome[]): string {
  const rows = outcomes.map((o) => {
    const c = o.controlling
    return `| ${o.a} | ${o.b} | ${c.path} | ${c.localType} -> ${c.remoteType} | ${c.checksSent} | ${c.pairTransmissions} | ${Math.round(c.elapsedMs)} | ${directPossible(o.a, o.b) ? 'direct' : 'relayed'} |`
  })
  return [
    '| NAT A (controlling) | NAT B (controlled) | path | selected pair (A side) | checks sent by A | requests on the selected pair | ms from checks start to selection (A) | expected |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n')
}

test('every pair of NAT behaviours connects: directly where they allow it, else relayed', async (t) => {
  requireNetnsBed()
  // two private networks of each behaviour, so that like can meet like
  const bed = await createNetnsBed({ nats: [...BED_NATS, ...BED_NATS] })
  const outcomes: Outcome[] = []
  try {
    await startCoturn(bed, 3478, TURN_USER)
    await startRelay(bed, bed.publicAddresses[0] ?? '')
    for (let i = 0; i < BED_NATS.length; i++) {
      for (let j = i; j < BED_NATS.length; j++) {
        outcomes.push(await punch(bed, i, BED_NATS.length + j, `s${i}${j}`))
      }
    }
  } finally {
    await bed.teardown()
  }
  const table = matrixMarkdown(outcomes)
  t.diagnostic(`\n${table}`)
  const out = process.env['PLEXUS_NAT_MATRIX_OUT']
  if (out !== undefined) writeFileSync(out, `${table}\n`)
  for (const outcome of outcomes) {
    const expected = directPossible(outcome.a, outcome.b) ? 'direct' : 'relayed'
    const label = `${outcome.a} x ${outcome.b}`
    assert.equal(outcome.controlling.path, expected, label)
    assert.equal(outcome.controlled.path, expected, label)
  }
})
