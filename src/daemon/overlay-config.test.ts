import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, formatConfig, parseConfigText, resolveConfig } from './config.js'

const defaults = { defaultDataDir: '/var/lib/plexus', dhtByDefault: true }

test('[overlay]: off by default (chord on 7400); a section sets kind, port and bootstrap', () => {
  const off = resolveConfig(parseConfigText(''), defaults).overlay
  assert.deepEqual(off, { enabled: false, kind: 'chord', port: 7400, bootstrap: [] })
  // The port follows the kind unless set.
  const can = resolveConfig(parseConfigText('[overlay]\nkind = "can"'), defaults).overlay
  assert.equal(can.port, 7402)
  const text = [
    '[overlay]',
    'enabled = true',
    'kind = "pastry"',
    'port = 9000',
    'bootstrap = ["127.0.0.1:7401", "seed.example:7401"]',
  ].join('\n')
  const config = resolveConfig(parseConfigText(text), defaults)
  assert.deepEqual(config.overlay, {
    enabled: true,
    kind: 'pastry',
    port: 9000,
    bootstrap: ['127.0.0.1:7401', 'seed.example:7401'],
  })
  const printed = formatConfig(config)
  assert.match(printed, /\[overlay\]/)
  assert.deepEqual(resolveConfig(parseConfigText(printed), defaults).overlay, config.overlay)
})

test('[overlay] refusals name the key', () => {
  const refused = (text: string, message: RegExp) =>
    assert.throws(
      () => parseConfigText(text),
      (e: Error) => e instanceof ConfigError && message.test(e.message),
    )
  refused('[overlay]\nkind = "kademlia"', /overlay\.kind must be one of "chord", "pastry", "can"/)
  refused('[overlay]\nenabled = "yes"', /overlay\.enabled must be true or false/)
  refused('[overlay]\nport = 65536', /overlay\.port must be an integer from 0 to 65535/)
  refused('[overlay]\nbootstrap = ["nope"]', /overlay\.bootstrap entries must be "host:port"/)
  refused('[overlay]\nbits = 4', /unknown key overlay\.bits/)
})
