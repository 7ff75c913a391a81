import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { utf8 } from '../../core/bytes.js'
import { SeededRandom } from '../../core/random.js'
import { createNodeEnv } from '../node/env.js'
import { bindDatagram } from '../promises.js'
import { OVERLAY_NAMES } from './member.js'
import { OverlayService, type OverlayTuning } from './overlay-service.js'

const LOCAL = { host: '127.0.0.1', port: 0 }
const FAST: OverlayTuning = {
  chord: { stabilizeMs: 100, fixFingersMs: 20, rpcTimeoutMs: 300 },
  pastry: { requestTimeoutMs: 300 },
  can: { heartbeatMs: 300, requestTimeoutMs: 300 },
}

test('a member keeps its id across a restart through --state; a foreign file is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-overlay-state-'))
  const env = createNodeEnv({ loopbackOnly: true })
  try {
    for (const overlay of OVERLAY_NAMES) {
      const statePath = join(dir, `${overlay}.state`)
      const first = await OverlayService.start({
        env,
        overlay,
        bind: LOCAL,
        role: 'member',
        statePath,
      })
      const id = first.id
      await first.close()
      const again = await OverlayService.start({
        env,
        overlay,
        bind: LOCAL,
        role: 'member',
        statePath,
      })
      assert.equal(again.id, id, `${overlay} keeps its id`)
      await again.close()
    }
    // Another overlay's state, and a file that is not a state file, are refused untouched.
    await assert.rejects(
      OverlayService.start({
        env,
        overlay: 'chord',
        bind: LOCAL,
        role: 'member',
        statePath: join(dir, 'can.state'),
      }),
      /a can node's state, not chord/,
    )
    const notOurs = join(dir, 'notes.txt')
    writeFileSync(notOurs, 'shopping list\n')
    await assert.rejects(
      OverlayService.start({
        env,
        overlay: 'pastry',
        bind: LOCAL,
        role: 'member',
        statePath: notOurs,
      }),
      /refusing the state file .*not JSON/,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('hostile datagrams are counted and dropped; the overlay keeps serving', async () => {
  const random = new SeededRandom(14)
  for (const overlay of OVERLAY_NAMES) {
    const env = createNodeEnv({ loopbackOnly: true })
    const a = await OverlayService.start({
      env,
      overlay,
      bind: LOCAL,
      role: 'member',
      tuning: FAST,
    })
    const b = await OverlayService.start({
      env,
      overlay,
      bind: LOCAL,
      role: 'member',
      bootstrap: [a.address],
      tuning: FAST,
    })
    await b.joined
    const attacker = await bindDatagram(env.net, LOCAL)
    try {
      for (let i = 0; i < 300; i++) {
        const bytes = random.bytes(random.int(1600))
        // Half of them start with a plausible type byte, to reach deeper into the decoders.
        if (i % 2 === 0 && bytes.length > 0) bytes[0] = random.int(16)
        attacker.send(a.address, bytes)
      }
      // Let the burst drain: a full receive buffer drops datagrams, as UDP may.
      await new Promise((resolve) => setTimeout(resolve, 300))
      const client = await OverlayService.start({
        env,
        overlay,
        bind: LOCAL,
        role: 'client',
        bootstrap: [a.address],
        tuning: FAST,
      })
      const put = await client.put(utf8('k'), utf8('v'))
      const got = await client.get(utf8('k'))
      await client.close()
      assert.ok(put.ok, `${overlay}: ${JSON.stringify(put)}`)
      assert.equal(Buffer.from(got.value ?? []).toString(), 'v')
      assert.ok(env.metrics.counter('rx.malformed') > 0, `${overlay} counted malformed datagrams`)
    } finally {
      attacker.close()
      await b.close({ crash: true })
      await a.close({ crash: true })
    }
  }
})

test('a client needs a gateway', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  await assert.rejects(
    OverlayService.start({ env, overlay: 'can', bind: LOCAL, role: 'client' }),
    /needs a bootstrap node/,
  )
})
