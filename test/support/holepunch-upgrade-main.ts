import { parseAddress } from '../../src/core/address.js'
import { readUint32BE, writeUint32BE } from '../../src/core/bytes.js'
import { attachAgent } from '../../src/drivers/holepunch/attach-agent.js'
import { connectSignal } from '../../src/drivers/holepunch/signal-tcp.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { IceAgent, type ConnectionReport } from '../../src/protocols/holepunch/index.js'

/**
 * One peer of the NAT bed's upgrade test (inside a host namespace behind a NAT box): like
 * holepunch-peer-main.ts, but the session is expected to start on the relay (the test holds
 * the direct path shut for a few seconds) and move to the direct pair while it runs. The
 * controlling side streams numbered datagrams every 10 ms from the selection until 2 s after
 * its upgrade, then an END carrying the count until the other side acknowledges; the
 * controlled side records what arrives and reports whether every number came, in order.
 * With MODE `fallback` the test shuts the direct path again after the upgrade: the session
 * must fall back to the relay, and the controlling side streams until 3 s after that; the
 * controlled side then reports whether what it got is in order (each number once, ascending)
 * and whether the last 100 numbers (sent through the relay after the fallback) all came.
 * Prints one JSON line. Usage: node holepunch-upgrade-main.js ROLE SESSION LOCAL_IP STUN RELAY
 * SIGNAL [MODE]
 */
const DATA = 0xff
const END = 0xfe
const ACK = 0xfd

const [
  role,
  session = '',
  localIp = '',
  stunText = '',
  relayText = '',
  signalText = '',
  mode = 'upgrade',
] = process.argv.slice(2)
const TAIL = 100
const stun = parseAddress(stunText)
const relay = parseAddress(relayText)
const signal = parseAddress(signalText)
const roleOk = role === 'controlling' || role === 'controlled'
if (!roleOk || !stun || !relay || !signal || (mode !== 'upgrade' && mode !== 'fallback')) {
  console.error('usage: ROLE SESSION LOCAL_IP STUN RELAY SIGNAL [upgrade|fallback]')
  process.exit(2)
}
const env = createNodeEnv({ loopbackOnly: false })
const finish = (result: Record<string, unknown>): never => {
  console.log(JSON.stringify({ type: 'result', ...result }))
  process.exit(result['ok'] === true ? 0 : 1)
}
setTimeout(() => finish({ ok: false, reason: 'deadline' }), 40_000)

const frame = (tag: number, value: number): Uint8Array => {
  const bytes = new Uint8Array(5)
  bytes[0] = tag
  writeUint32BE(bytes, 1, value)
  return bytes
}

env.net.bindDatagram({ host: localIp, port: 0 }, (bound) => {
  if (!bound.ok) throw new Error(bound.error.message)
  const socket = bound.value
  void connectSignal(signal.host, signal.port).then(async (channel) => {
    const agent = new IceAgent(role, env.random, [socket.local], {
      stunServers: [stun],
      relay,
      upgradeRetryMs: 1000,
    })
    let upgraded: ConnectionReport | undefined
    let upgradedAt = 0
    let fellBack: ConnectionReport | undefined
    let fellBackAt = 0
    const peer = attachAgent(agent, socket, env.clock, channel, session, (event) => {
      if (event.type === 'upgraded') {
        upgraded ??= event.report
        upgradedAt = Date.now()
      } else if (event.type === 'fell_back') {
        fellBack ??= event.report
        fellBackAt = Date.now()
      }
    })
    const received: number[] = []
    let acked = false
    peer.onData((bytes) => {
      const tag = bytes[0]
      const value = bytes.length === 5 ? readUint32BE(bytes, 1) : -1
      if (tag === DATA) received.push(value)
      else if (tag === ACK) acked = true
      else if (tag === END && role === 'controlled') {
        for (let i = 0; i < 3; i++) peer.send(frame(ACK, 0))
        const inOrder = received.every((seq, i) => seq === i)
        const ascending = received.every((seq, i) => i === 0 || seq > (received[i - 1] ?? -1))
        const got = new Set(received)
        let tailWhole = true
        for (let seq = Math.max(0, value - TAIL); seq < value; seq++) tailWhole &&= got.has(seq)
        // linger so that repeated ENDs are acknowledged too
        peer.onData((again) => {
          if (again[0] === END) peer.send(frame(ACK, 0))
        })
        setTimeout(() => {
          finish({
            ok: true,
            selected,
            upgraded,
            fellBack,
            sent: value,
            received: received.length,
            inOrder,
            ascending,
            tailWhole,
          })
        }, 500)
      }
    })
    let selected: ConnectionReport | undefined
    try {
      selected = await peer.connected
    } catch (error) {
      finish({ ok: false, reason: String(error) })
    }
    if (role === 'controlled') return
    let seq = 0
    const started = Date.now()
    await new Promise<void>((resolve) => {
      const streamer = setInterval(() => {
        peer.send(frame(DATA, seq++))
        const settled =
          mode === 'upgrade'
            ? upgraded !== undefined && Date.now() - upgradedAt > 2000
            : fellBack !== undefined && Date.now() - fellBackAt > 3000
        if (settled || Date.now() - started > 30_000) {
          clearInterval(streamer)
          resolve()
        }
      }, 10)
    })
    const ends = setInterval(() => {
      if (acked) {
        clearInterval(ends)
        finish({ ok: true, selected, upgraded, fellBack, sent: seq })
      }
      peer.send(frame(END, seq))
    }, 100)
  })
})
