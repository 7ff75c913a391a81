import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ConfigError, formatConfig, parseConfigText, resolveConfig } from './config.js'
import { parsePortRange, reachabilityConfig, RELAY_PORTS_MAX } from './reach-config.js'

const defaults = { defaultDataDir: '/var/lib/plexus', dhtByDefault: true }
const resolve = (text: string) => resolveConfig(parseConfigText(text), defaults)

/** A config the daemon refuses, with a message matching `message` (exit 2 in the CLI). */
const refused = (text: string, message: RegExp): void =>
  assert.throws(
    () => resolve(text),
    (e: Error) => e instanceof ConfigError && message.test(e.message),
    `expected ${message} for:\n${text}`,
  )

const SERVING = [
  '[peer]',
  'bind = "192.0.2.7"',
  '[reach]',
  'enabled = true',
  'assume = "reachable"',
  'stun = ["192.0.2.10:3478", "192.0.2.11:3478"]',
  'relay = true',
  'relay_protocol = "turn"',
  'relay_allow_peers = ["192.0.2.0/24"]',
  'relay_port = 3479',
  'relay_ports = "41000-41099"',
  'relay_allocations_per_ip = 4',
  'relay_lifetime_sec = 300',
  'relay_min_uptime_sec = 60',
  'relay_public_host = "198.51.100.1"',
  'reservations = 3',
  'relays = ["203.0.113.5:3479"]',
  'host_candidates = false',
  'refresh_sec = 120',
  'sessions_max = 8',
].join('\n')

test('[reach]: off by default; a section sets every key, and --print-config gives it back', () => {
  const off = resolve('').reach
  assert.equal(off.enabled, false)
  assert.equal(off.assume, 'probe')
  assert.equal(off.relayPorts, '40000-40063')
  const config = resolve(SERVING)
  assert.deepEqual(config.reach, {
    enabled: true,
    assume: 'reachable',
    stun: ['192.0.2.10:3478', '192.0.2.11:3478'],
    relay: true,
    relayProtocol: 'turn',
    relayAllowPeers: ['192.0.2.0/24'],
    relayPort: 3479,
    relayPorts: '41000-41099',
    relayAllocationsPerIp: 4,
    relayLifetimeSec: 300,
    relayMinUptimeSec: 60,
    relayPublicHost: '198.51.100.1',
    reservations: 3,
    relays: ['203.0.113.5:3479'],
    hostCandidates: false,
    refreshSec: 120,
    sessionsMax: 8,
  })
  const printed = formatConfig(config)
  assert.match(printed, /\[reach\]/)
  assert.deepEqual(resolve(printed).reach, config.reach)
})

test('[reach] becomes the Peer service config: probe server, relay offer, named relays, key', () => {
  const seed = new Uint8Array(32).fill(7)
  const service = reachabilityConfig(resolve(SERVING).reach, '192.0.2.7', seed)
  assert.ok(service !== undefined)
  assert.equal(service.host, '192.0.2.7')
  assert.equal(service.seed, seed)
  assert.equal(service.assume, 'reachable')
  assert.deepEqual(service.stun, { host: '192.0.2.10', port: 3478 })
  assert.equal(service.stunServers?.length, 2)
  assert.deepEqual(service.relay, {
    protocol: 'turn',
    port: 3479,
    allowPeers: ['192.0.2.0/24'],
    ports: { first: 41000, count: 100 },
    allocationsPerIpMax: 4,
    lifetimeSec: 300,
    minUptimeSec: 60,
    publicHost: '198.51.100.1',
  })
  assert.deepEqual(service.relays, [{ host: '203.0.113.5', port: 3479 }])
  assert.equal(service.advertiseHost, false)
  assert.equal(service.reservations, 3)
  // a probe: no `assume`, the first STUN server decides
  const probing = resolve(SERVING.replace('assume = "reachable"', 'assume = "probe"')).reach
  assert.equal(reachabilityConfig(probing, '192.0.2.7', seed)?.assume, undefined)
  // off: no service at all
  assert.equal(reachabilityConfig(resolve('').reach, '192.0.2.7', seed), undefined)
})

test('[reach] refusals name the key and say what is wanted', () => {
  const on = '[peer]\nbind = "192.0.2.7"\n[reach]\nenabled = true\nassume = "unreachable"\n'
  refused('[reach]\nassume = "maybe"', /reach\.assume must be one of "probe", "reachable"/)
  refused(`${on}stun = ["stun.example:3478"]`, /reach\.stun entries must be an IPv4 "host:port"/)
  refused(`${on}stun = "192.0.2.10:3478"`, /reach\.stun must be an array of strings/)
  refused(`${on}relays = ["[::1]:3478"]`, /reach\.relays entries must be an IPv4/)
  refused(`${on}relay_ports = "100-200"`, /reach\.relay_ports must be "FIRST-LAST"/)
  refused(`${on}relay_ports = "40000-50000"`, /reach\.relay_ports must be "FIRST-LAST"/)
  refused(`${on}reservations = 0`, /reach\.reservations must be an integer from 1 to 8/)
  refused(`${on}relay_public_host = "::1"`, /reach\.relay_public_host must be an IPv4 address/)
  refused(`${on}relay = "yes"`, /reach\.relay must be true or false/)
  refused(
    `${on}relay_protocol = "socks"`,
    /reach\.relay_protocol must be one of "relay-lite", "turn"/,
  )
  refused(
    `${on}relay_allow_peers = ["10.0.0.0/33"]`,
    /reach\.relay_allow_peers entries must be a CIDR/,
  )
  refused(`${on}relay_ttl = 5`, /unknown key reach\.relay_ttl/)
  // the checks that span keys
  refused(
    '[peer]\nbind = "192.0.2.7"\n[reach]\nenabled = true',
    /reach\.stun must name a STUN server when reach\.assume is "probe"/,
  )
  refused(
    `${on}relay = true\nrelay_port = 40010\nrelay_ports = "40000-40063"`,
    /reach\.relay_port 40010 is inside reach\.relay_ports 40000-40063/,
  )
  refused(`${on}[dht]\nenabled = false`, /reach\.enabled needs the DHT/)
  refused(
    '[reach]\nenabled = true\nassume = "reachable"',
    /needs peer\.bind to be this host's IPv4/,
  )
  refused(
    '[peer]\nbind = "::1"\n[reach]\nenabled = true\nassume = "reachable"',
    /needs peer\.bind to be this host's IPv4/,
  )
  // the same keys are fine while the service is off
  assert.equal(resolve('[reach]\nenabled = false').reach.enabled, false)
})

test('relay_ports: FIRST-LAST within 1024..65535 and at most RELAY_PORTS_MAX ports, never a throw', () => {
  fc.assert(
    fc.property(fc.string(), (text) => {
      const range = parsePortRange(text)
      if (range === undefined) return
      assert.ok(range.first >= 1024 && range.count >= 1 && range.count <= RELAY_PORTS_MAX)
      assert.ok(range.first + range.count - 1 <= 65535)
    }),
  )
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 70_000 }),
      fc.integer({ min: 0, max: 70_000 }),
      (a, b) => {
        const range = parsePortRange(`${a}-${b}`)
        const valid = a >= 1024 && b <= 65535 && b >= a && b - a + 1 <= RELAY_PORTS_MAX
        assert.equal(range !== undefined, valid)
        if (range !== undefined) assert.deepEqual(range, { first: a, count: b - a + 1 })
      },
    ),
  )
})
