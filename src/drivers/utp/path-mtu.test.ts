import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_UTP_CONFIG } from '../../protocols/utp/config.js'
import { cachedMtu, LinuxPathMtu, longestPrefixRoute } from './linux-path-mtu.js'
import { configFor, type PathMtuSource } from './path-mtu.js'

const ROUTES = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
  'wg0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0',
  'tun0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t1300\t0\t0',
].join('\n')

test('/proc/net/route: the longest prefix wins, and its MTU column is kept', () => {
  assert.deepEqual(longestPrefixRoute(ROUTES, '8.8.8.8'), { iface: 'eth0', mtu: 0 })
  assert.deepEqual(longestPrefixRoute(ROUTES, '10.1.2.3'), { iface: 'wg0', mtu: 0 })
  assert.deepEqual(longestPrefixRoute(ROUTES, '10.0.2.9'), { iface: 'tun0', mtu: 1300 })
  assert.equal(longestPrefixRoute(ROUTES, 'example'), undefined)
})

test('the ceiling is the route interface MTU less 28 bytes, or the route MTU when smaller', () => {
  const mtus: Record<string, string> = { eth0: '9000\n', wg0: '1420\n', tun0: '1400\n' }
  const files = (path: string): string => {
    if (path === '/proc/net/route') return ROUTES
    const name = /\/sys\/class\/net\/(\w+)\/mtu/.exec(path)?.[1]
    const mtu = name === undefined ? undefined : mtus[name]
    if (mtu === undefined) throw new Error(`no ${path}`)
    return mtu
  }
  const source = new LinuxPathMtu(files, () => undefined)
  assert.equal(source.ceiling({ host: '8.8.8.8', port: 1 }), 1472) // jumbo: capped at 1500
  assert.equal(source.ceiling({ host: '10.1.2.3', port: 1 }), 1392)
  assert.equal(source.ceiling({ host: '10.0.2.9', port: 1 }), 1272)
  assert.equal(source.ceiling({ host: '::1', port: 1 }), undefined)
})

test('`ip route get`: the cached path MTU, learned once for several lost probes', () => {
  assert.equal(
    cachedMtu(
      '10.9.2.2 via 10.9.1.1 dev eth0 src 10.9.1.2 uid 0 \\    cache expires 598sec mtu 1280',
    ),
    1280,
  )
  assert.equal(
    cachedMtu('10.9.2.2 via 10.9.1.1 dev eth0 src 10.9.1.2 uid 0 \\    cache'),
    undefined,
  )
  let asked = 0
  let now = 0
  const pending: ((output: string | undefined) => void)[] = []
  const source = new LinuxPathMtu(
    () => '',
    (_host, done) => {
      asked++
      pending.push(done)
    },
    () => now,
  )
  const answers: (number | undefined)[] = []
  source.learned({ host: '10.9.2.2', port: 1 }, (bytes) => answers.push(bytes))
  source.learned({ host: '10.9.2.2', port: 1 }, (bytes) => answers.push(bytes))
  pending.shift()?.('x dev eth0 \\    cache expires 600sec mtu 1280')
  source.learned({ host: '10.9.2.2', port: 1 }, (bytes) => answers.push(bytes))
  assert.deepEqual(answers, [1252, 1252, 1252])
  assert.equal(asked, 1)
  now = 10_000
  source.learned({ host: '10.9.2.2', port: 1 }, () => undefined)
  assert.equal(asked, 2)
})

test('a connection config: loopback capped at Ethernet, the interface MTU, IPv6 floor', () => {
  const never: PathMtuSource = {
    ceiling: () => assert.fail('loopback needs no lookup'),
    learned: () => undefined,
  }
  const loop = configFor(DEFAULT_UTP_CONFIG, { host: '127.0.0.1', port: 1 }, never)
  assert.equal(loop.packetBytesCeiling, 1472)
  const loop6 = configFor(DEFAULT_UTP_CONFIG, { host: '::1', port: 1 }, never)
  assert.deepEqual([loop6.packetBytesFloor, loop6.packetBytesCeiling], [1232, 1452])
  const wg: PathMtuSource = { ceiling: () => 1392, learned: () => undefined }
  assert.equal(
    configFor(DEFAULT_UTP_CONFIG, { host: '10.1.2.3', port: 1 }, wg).packetBytesCeiling,
    1392,
  )
  assert.equal(
    configFor(DEFAULT_UTP_CONFIG, { host: '10.1.2.3', port: 1 }, undefined).packetBytesCeiling,
    1472,
  )
})
