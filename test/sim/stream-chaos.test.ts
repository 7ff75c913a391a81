import assert from 'node:assert/strict'
import type { Address } from '../../src/core/address.js'
import type { Env, StreamSocket } from '../../src/core/env.js'
import { after, minutes, ms, seconds } from '../../src/core/time.js'
import { ChurnDriver } from '../../src/sim/churn.js'
import { exponential } from '../../src/sim/distributions.js'
import { uniformLatency } from '../../src/sim/latency.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest } from './helpers.js'

/**
 * Streams under churn: hosts connect to random others and send numbered bytes while hosts
 * crash, stop and restart. Whatever happens, every byte a socket receives is the next byte its
 * peer wrote (nothing lost in the middle, duplicated or reordered), and each socket closes at
 * most once. Run twice, the trace is the same.
 */

const PORT = 80
const CONNECTIONS_PER_LIFE = 3

interface Tally {
  /** Numbers sockets across all hosts and lives, so that names are unique. */
  next: number
  problems: string[]
  bytesVerified: number
  closes: Map<string, number>
}

/** Byte i of a stream whose first byte is salt: (i + salt) mod 251. */
const byteAt = (i: number, salt: number): number => (i + salt) % 251

function program(peers: readonly Address[], tally: Tally, label: string) {
  return (env: Env): void => {
    const watchClose = new Map<StreamSocket, () => void>()
    const watch = (socket: StreamSocket, name: string): void => {
      let expected = -1
      let offset = 0
      socket.onData((bytes) => {
        for (const byte of bytes) {
          if (expected < 0) expected = byte // the first byte carries the salt
          if (byte !== byteAt(offset, expected)) {
            tally.problems.push(`${name}: byte ${offset} is ${byte}`)
            return
          }
          offset++
        }
        tally.bytesVerified += bytes.length
      })
      socket.onClose(() => {
        tally.closes.set(name, (tally.closes.get(name) ?? 0) + 1)
        watchClose.get(socket)?.()
      })
    }
    // Bulk bytes, then either FIN or a heartbeat every 2 s (so that a vanished peer is noticed).
    const send = (socket: StreamSocket, total: number, salt: number): void => {
      let offset = 0
      let closed = false
      socket.onDrain(() => pump())
      const writeUpTo = (limit: number): boolean => {
        while (offset < limit) {
          const piece = new Uint8Array(Math.min(5000, limit - offset))
          for (let i = 0; i < piece.length; i++) piece[i] = byteAt(offset + i, salt)
          offset += piece.length
          if (!socket.write(piece)) return false
        }
        return true
      }
      const heartbeat = (): void => {
        if (closed) return
        writeUpTo(offset + 10)
        env.clock.setTimer(after(env.clock.now(), seconds(2)), heartbeat)
      }
      const pump = (): void => {
        if (offset >= total || !writeUpTo(total)) return
        if (env.random.float() < 0.5) socket.end()
        else heartbeat()
      }
      watchClose.set(socket, () => (closed = true))
      pump()
    }
    env.net.listen(
      { host: '0.0.0.0', port: PORT },
      (socket) => {
        const name = `${label}<${socket.remote.host}:${socket.remote.port}#${tally.next++}`
        watch(socket, name)
        send(socket, env.random.int(200_000), env.random.int(251))
      },
      () => undefined,
    )
    for (let c = 0; c < CONNECTIONS_PER_LIFE; c++) {
      env.clock.setTimer(after(env.clock.now(), ms(env.random.int(5000))), () => {
        const to = peers[env.random.int(peers.length)] as Address
        env.net.connect(
          to,
          (result) => {
            if (!result.ok) return
            const socket = result.value
            watch(socket, `${label}>${to.host}#${tally.next++}`)
            send(socket, env.random.int(500_000), env.random.int(251))
            if (env.random.float() < 0.2) {
              env.clock.setTimer(after(env.clock.now(), ms(300)), () => socket.destroy())
            }
          },
          { timeout: seconds(3) },
        )
      })
    }
  }
}

function runChaos(seed: number): { tally: Tally; hash: string; counters: Record<string, number> } {
  const world = new SimWorld({ seed, latency: uniformLatency(5, 60), trace: true })
  const tally: Tally = { next: 0, problems: [], bytesVerified: 0, closes: new Map() }
  const hosts = Array.from({ length: 24 }, (_, i) =>
    world.addHost({
      uploadBytesPerSecond: (1 + (i % 4)) * MBPS,
      downloadBytesPerSecond: (2 + (i % 3)) * MBPS,
    }),
  )
  const peers = hosts.map((h) => ({ host: h.address, port: PORT }))
  for (const host of hosts) host.start(program(peers, tally, host.address))
  const churn = new ChurnDriver(world.scheduler, {
    hosts,
    session: exponential(20_000),
    offTime: exponential(30_000),
    random: world.random.fork('churn'),
    gracefulRatio: 0.3,
  })
  churn.start()
  world.runFor(minutes(2))
  churn.stop()
  world.runFor(minutes(1))
  return { tally, hash: world.traceHash(), counters: world.networkCounters() }
}

seededTest('streams under churn deliver exact in-order bytes and close once', 2, (seed) => {
  const { tally, hash, counters } = runChaos(seed)
  assert.deepEqual(tally.problems, [], `SEED=${seed}`)
  const twice = [...tally.closes].filter(([, count]) => count > 1).map(([name]) => name)
  assert.deepEqual(twice, [], `sockets closed twice; SEED=${seed}`)
  assert.ok(tally.bytesVerified > 5_000_000, `verified ${tally.bytesVerified}; SEED=${seed}`)
  for (const name of [
    'streamsAccepted',
    'streamConnectTimeouts',
    'streamResetsSent',
    'streamTimeouts',
  ]) {
    assert.ok((counters[name] ?? 0) > 0, `no ${name}: the scenario lost its teeth; SEED=${seed}`)
  }
  const again = runChaos(seed)
  assert.equal(again.hash, hash, `not deterministic; reproduce with SEED=${seed}`)
})
