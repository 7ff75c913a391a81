import assert from 'node:assert/strict'
import { test } from 'node:test'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'
import type { OverlayName } from '../../src/drivers/overlay/member.js'

/**
 * One overlay of IPv4-only and IPv6-only members, bridged by a dual-stack node, all real
 * `plexus overlay <kind>` processes on loopback: A (127.0.0.1, the first), D (127.0.0.1 and
 * ::1), B (::1, joining through D's IPv6 address), A2 through A, B2 through B. A key put by a
 * client through A2 over IPv4 is read by a client through B2 over IPv6.
 */
interface Member {
  readonly process: PlexusProcess
  readonly address: string
  readonly address6?: string
}

async function member(kind: OverlayName, args: readonly string[]): Promise<Member> {
  const child = spawnPlexus(['overlay', kind, '--port', '0', '--json', ...args])
  const ready = await child.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'ready' ? event : undefined
  }, 60_000)
  return {
    process: child,
    address: ready['address'] as string,
    ...(typeof ready['address6'] === 'string' ? { address6: ready['address6'] } : {}),
  }
}

async function client(
  kind: OverlayName,
  args: readonly string[],
): Promise<Record<string, unknown> | undefined> {
  const child = spawnPlexus(['overlay', kind, ...args, '--json', '--timeout', '20'], false)
  let done: Record<string, unknown> | undefined
  await child
    .waitForLine((line) => {
      const event = jsonLine(line)
      if (event?.type === 'done') done = event
      return undefined
    }, 30_000)
    .catch(() => undefined)
  await child.exited
  return done
}

async function retry(
  what: string,
  attempt: () => Promise<Record<string, unknown> | undefined>,
  ok: (done: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 90_000
  let last: Record<string, unknown> | undefined
  while (Date.now() < deadline) {
    last = await attempt()
    if (last !== undefined && ok(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
  assert.fail(`${what}: ${JSON.stringify(last)}`)
}

for (const kind of ['chord', 'pastry', 'can'] as const satisfies readonly OverlayName[]) {
  test(`${kind}: IPv4-only and IPv6-only members in one overlay through a dual-stack node`, async () => {
    const members: Member[] = []
    try {
      const a = await member(kind, ['--bind', '127.0.0.1'])
      members.push(a)
      const d = await member(kind, [
        '--bind',
        '127.0.0.1',
        '--bind6',
        '::1',
        '--bootstrap',
        a.address,
      ])
      members.push(d)
      assert.match(d.address6 ?? '', /^\[::1\]:\d+$/)
      const b = await member(kind, ['--bind', '::1', '--bootstrap', d.address6 as string])
      members.push(b)
      const a2 = await member(kind, ['--bind', '127.0.0.1', '--bootstrap', a.address])
      members.push(a2)
      const b2 = await member(kind, ['--bind', '::1', '--bootstrap', b.address])
      members.push(b2)
      for (const m of [a, a2]) assert.match(m.address, /^127\.0\.0\.1:/)
      for (const m of [b, b2]) assert.match(m.address, /^\[::1\]:/)

      const put = await retry(
        'put through the IPv4-only member',
        () =>
          client(kind, ['put', 'colour', 'blue', '--bind', '127.0.0.1', '--bootstrap', a2.address]),
        (done) => done['ok'] === true,
      )
      // Every hop a client on IPv4 was sent to is an IPv4 address (aliases of IPv6 members).
      const hops = (put['trace'] as { perHop: { node: string }[] }).perHop
      for (const hop of hops) assert.match(hop.node, /^127\.0\.0\.1:/)
      const got = await retry(
        'get through the IPv6-only member',
        () => client(kind, ['get', 'colour', '--bind', '::1', '--bootstrap', b2.address]),
        (done) => done['value'] === 'blue',
      )
      for (const hop of (got['trace'] as { perHop: { node: string }[] }).perHop) {
        assert.match(hop.node, /^\[::1\]:/)
      }
    } finally {
      for (const m of members.reverse()) await m.process.stop()
    }
  })
}
