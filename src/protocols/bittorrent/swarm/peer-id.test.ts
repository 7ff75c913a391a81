import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { PEER_ID_PREFIX, PLEXUS_VERSION } from './config.js'
import { azureusPeerIdPrefix, decodeAzureusVersion } from './peer-id.js'

test('our peer id prefix decodes to our version, as other clients read it (issue 19)', () => {
  assert.equal(PEER_ID_PREFIX, '-PX0100-')
  assert.equal(decodeAzureusVersion(`${PEER_ID_PREFIX}000000000000`), '0.1.0')
})

test('PLEXUS_VERSION is package.json version', () => {
  const url = new URL('../../../../../package.json', import.meta.url)
  const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version: string }
  assert.equal(PLEXUS_VERSION, pkg.version)
})

test('major, minor, patch, build in order; components above 9 as libtorrent decodes them', () => {
  assert.equal(azureusPeerIdPrefix('LT', '1.2.0'), '-LT1200-')
  assert.equal(azureusPeerIdPrefix('qB', '4.2.5'), '-qB4250-')
  assert.equal(azureusPeerIdPrefix('PX', '2.10.3.1'), '-PX2A31-')
  assert.equal(azureusPeerIdPrefix('PX', '1.0.0-beta'), '-PX1000-')
  assert.equal(decodeAzureusVersion('-PX2A31-abc'), '2.10.3.1')
  assert.equal(decodeAzureusVersion('M7-4-0--'), undefined)
  assert.throws(() => azureusPeerIdPrefix('PX', '1.62.0'))
  assert.throws(() => azureusPeerIdPrefix('P1', '1.0.0'))
})
