import assert from 'node:assert/strict'
import { networkInterfaces } from 'node:os'
import { test } from 'node:test'
import { NodeClock } from '../../src/drivers/node/clock.js'
import { NodeNet } from '../../src/drivers/node/net.js'
import { netConformance, type NetHarness } from './net-suite.js'

/**
 * The Net conformance suite against real sockets: 127.0.0.1 always, and ::1 with a smaller
 * echo when this machine has IPv6 loopback (when it does not, that fact is asserted instead).
 * Real time is only used here, in the harness: a deadline per settle and a quiet period.
 */

/** Generous: loopback I/O takes milliseconds, but CI machines stall. */
const SETTLE_DEADLINE_MS = 10_000
/** Long enough for loopback I/O in flight to land; short enough to keep the suite quick. */
const QUIET_MS = 50
const IPV6_ECHO_BYTES = 64 * 1024

function nodeHarness(host: string): () => NetHarness {
  return () => ({
    net: new NodeNet({ loopbackOnly: true }),
    clock: new NodeClock(),
    host,
    settle: (pending, what) => withDeadline(pending, SETTLE_DEADLINE_MS, what),
    idle: () => new Promise((resolve) => setTimeout(resolve, QUIET_MS)),
    cleanup: () => {},
  })
}

function withDeadline<T>(pending: Promise<T>, deadlineMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${deadlineMs} ms`)), deadlineMs)
  })
  return Promise.race([pending, expired]).finally(() => clearTimeout(timer))
}

const hasIpv6Loopback = Object.values(networkInterfaces()).some((addresses) =>
  (addresses ?? []).some((a) => a.family === 'IPv6' && a.address === '::1'),
)

netConformance('NodeNet on 127.0.0.1', nodeHarness('127.0.0.1'))

if (hasIpv6Loopback) {
  netConformance('NodeNet on ::1', nodeHarness('::1'), { echoBytes: IPV6_ECHO_BYTES })
} else {
  test('::1 is unavailable on this machine, so the IPv6 suite cannot run', async () => {
    const result = await new Promise<boolean>((resolve) => {
      new NodeNet().bindDatagram({ host: '::1', port: 0 }, (r) => {
        if (r.ok) r.value.close()
        resolve(r.ok)
      })
    })
    assert.equal(result, false, 'networkInterfaces() lacks ::1, yet binding ::1 worked')
  })
}
