import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, formatConfig, parseConfigText, resolveConfig } from './config.js'

const defaults = { defaultDataDir: '/var/lib/plexus', dhtByDefault: true }

test('no file: every default, paths inside the data dir', () => {
  const config = resolveConfig(parseConfigText(''), defaults)
  assert.deepEqual(config, {
    dataDir: '/var/lib/plexus',
    peer: {
      bind: '0.0.0.0',
      port: 6881,
      downloadDir: '/var/lib/plexus/downloads',
      connectionsMax: 200,
      uploadLimit: 0,
      downloadLimit: 0,
      trackers: true,
      encryption: 'prefer',
      transport: 'both',
    },
    api: { bind: '127.0.0.1', port: 6890 },
    dht: { enabled: true, port: 6881, bootstrap: [] },
    gnutella: { enabled: false, port: 6346, ultrapeer: 'auto', hosts: [] },
    mapreduce: { enabled: false, workers: 2 },
    overlay: { enabled: false, kind: 'chord', port: 7400, bootstrap: [] },
    reach: {
      enabled: false,
      assume: 'probe',
      stun: [],
      relay: false,
      relayProtocol: 'relay-lite',
      relayAllowPeers: [],
      relayPort: 0,
      relayPorts: '40000-40063',
      relayAllocationsPerIp: 8,
      relayLifetimeSec: 600,
      relayMinUptimeSec: 0,
      reservations: 2,
      relays: [],
      hostCandidates: true,
      refreshSec: 600,
      sessionsMax: 32,
    },
    log: { file: '/var/lib/plexus/daemon.log', level: 'info' },
  })
  assert.equal(resolveConfig(new Map(), { ...defaults, dhtByDefault: false }).dht.enabled, false)
})

test('a file sets keys; --data-dir wins over data_dir; relative data_dir is beside the file', () => {
  const text = [
    'data_dir = "state"',
    '[peer]',
    'port = 7000',
    'download_dir = "/srv/dl"',
    'upload_limit = 512',
    '[api]',
    'bind = "::1"',
    '[dht]',
    'bootstrap = ["127.0.0.1:6881", "[::1]:6882"]',
    '[log]',
    'level = "debug"',
    'file = "logs/d.log"',
  ].join('\n')
  const settings = parseConfigText(text)
  const config = resolveConfig(settings, { ...defaults, configDir: '/etc/plexus' })
  assert.equal(config.dataDir, '/etc/plexus/state')
  assert.equal(config.peer.port, 7000)
  assert.equal(config.dht.port, 7000, 'the DHT port follows the peer port unless set')
  assert.equal(config.peer.downloadDir, '/srv/dl')
  assert.equal(config.peer.uploadLimit, 512)
  assert.equal(config.api.bind, '::1')
  assert.deepEqual(config.dht.bootstrap, ['127.0.0.1:6881', '[::1]:6882'])
  assert.equal(config.log.file, '/etc/plexus/state/logs/d.log')
  assert.equal(config.log.level, 'debug')
  const flagged = resolveConfig(settings, { ...defaults, dataDir: '/tmp/x', configDir: '/etc' })
  assert.equal(flagged.dataDir, '/tmp/x')
})

test('the printed config parses back to the same config', () => {
  const config = resolveConfig(parseConfigText('[peer]\nport = 1234\n'), defaults)
  const printed = formatConfig(config)
  assert.match(printed, /connections_max = 200/)
  assert.deepEqual(resolveConfig(parseConfigText(printed), defaults), config)
})

test('unknown keys and wrong types are refused with the key named', () => {
  const cases: [string, RegExp][] = [
    ['colour = "blue"', /^unknown key colour$/],
    ['[peer]\nprot = 1', /^unknown key peer\.prot$/],
    ['[peers]\nport = 1', /^unknown key peers$/],
    ['peer = 5', /^\[peer\] must be a table$/],
    ['[peer]\nport = "6881"', /^peer\.port must be an integer \(got "6881"\)$/],
    ['[peer]\nport = 70000', /^peer\.port must be an integer from 0 to 65535 \(got 70000\)$/],
    ['[peer]\nport = 1.5', /^peer\.port must be an integer/],
    ['[peer]\nconnections_max = 0', /^peer\.connections_max must be an integer from 1/],
    ['[peer]\nupload_limit = -1', /^peer\.upload_limit must be/],
    ['[peer]\ntrackers = "yes"', /^peer\.trackers must be true or false/],
    ['[peer]\nbind = "localhost"', /^peer\.bind must be an IP address/],
    ['[api]\nbind = 127', /^api\.bind must be an IP address/],
    ['[dht]\nbootstrap = "a:1"', /^dht\.bootstrap must be an array/],
    ['[dht]\nbootstrap = ["nope"]', /^dht\.bootstrap entries must be "host:port" \(got "nope"\)$/],
    ['[log]\nlevel = "loud"', /^log\.level must be one of "debug", "info", "warn", "error"/],
    ['[peer]\nencryption = "always"', /^peer\.encryption must be one of "prefer", "require"/],
    ['[peer]\ntransport = "quic"', /^peer\.transport must be one of "both", "tcp", "utp"/],
    ['data_dir = ""', /^data_dir must be a non-empty path string/],
    ['[peer\nport = 1', /^not valid TOML at line 1, column \d+$/],
  ]
  for (const [text, message] of cases) {
    assert.throws(
      () => parseConfigText(text),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error))
        assert.match(error.message, message, text)
        return true
      },
    )
  }
})

test('[gnutella]: off by default; a section sets the servent, share_dir inside the data dir', () => {
  const text = [
    '[gnutella]',
    'enabled = true',
    'port = 6347',
    'ultrapeer = "yes"',
    'share_dir = "shared"',
    'hosts = ["127.0.0.1:6346"]',
  ].join('\n')
  const config = resolveConfig(parseConfigText(text), defaults)
  assert.deepEqual(config.gnutella, {
    enabled: true,
    port: 6347,
    ultrapeer: 'yes',
    shareDir: '/var/lib/plexus/shared',
    hosts: ['127.0.0.1:6346'],
  })
  const printed = formatConfig(config)
  assert.match(printed, /\[gnutella\]/)
  assert.deepEqual(resolveConfig(parseConfigText(printed), defaults).gnutella, config.gnutella)
  const absolute = resolveConfig(parseConfigText('[gnutella]\nshare_dir = "/srv/music"'), defaults)
  assert.equal(absolute.gnutella.shareDir, '/srv/music')
})

test('[gnutella] refusals name the key', () => {
  const refused = (text: string, message: RegExp) =>
    assert.throws(
      () => parseConfigText(text),
      (e: Error) => e instanceof ConfigError && message.test(e.message),
    )
  refused(
    '[gnutella]\nultrapeer = "maybe"',
    /gnutella\.ultrapeer must be one of "auto", "yes", "no"/,
  )
  refused('[gnutella]\nultrapeer = true', /gnutella\.ultrapeer must be one of/)
  refused('[gnutella]\nport = 70000', /gnutella\.port must be an integer from 0 to 65535/)
  refused('[gnutella]\nhosts = ["nope"]', /gnutella\.hosts entries must be "host:port"/)
  refused('[gnutella]\nshare_dir = ""', /gnutella\.share_dir must be a non-empty path/)
  refused('[gnutella]\nleaves = 3', /unknown key gnutella\.leaves/)
  refused('gnutella = 1', /\[gnutella\] must be a table/)
})

test('[mapreduce]: off by default; jobs, worker threads and a master to serve', () => {
  const text = ['[mapreduce]', 'enabled = true', 'workers = 4', 'master = "127.0.0.1:7070"'].join(
    '\n',
  )
  const config = resolveConfig(parseConfigText(text), defaults)
  assert.deepEqual(config.mapreduce, { enabled: true, workers: 4, master: '127.0.0.1:7070' })
  const printed = formatConfig(config)
  assert.deepEqual(resolveConfig(parseConfigText(printed), defaults).mapreduce, config.mapreduce)
  for (const [bad, message] of [
    ['workers = 0', /mapreduce.workers must be an integer from 1 to 64/],
    ['master = "nowhere"', /mapreduce.master must be "host:port"/],
    ['master = 7070', /mapreduce.master must be "host:port"/],
  ] as const) {
    assert.throws(
      () => parseConfigText(`[mapreduce]\n${bad}`),
      (e: Error) => e instanceof ConfigError && message.test(e.message),
    )
  }
})

test('[dht] bind6: unset by default (IPv4 only); set, it is kept and printed', () => {
  assert.equal(resolveConfig(parseConfigText(''), defaults).dht.bind6, undefined)
  const config = resolveConfig(parseConfigText('[dht]\nenabled = true\nbind6 = "::"'), defaults)
  assert.equal(config.dht.bind6, '::')
  assert.deepEqual(resolveConfig(parseConfigText(formatConfig(config)), defaults).dht, config.dht)
  assert.throws(
    () => parseConfigText('[dht]\nbind6 = "localhost"'),
    (e: Error) => e instanceof ConfigError && /dht\.bind6 must be an IP address/.test(e.message),
  )
})
