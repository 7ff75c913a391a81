import { SeededRandom } from '../../src/core/random.js'
import { tcpSimultaneousOpen } from '../../src/drivers/holepunch/tcp-simultaneous.js'
import { TcpCheckLink } from '../../src/protocols/holepunch/tcp-check.js'

/**
 * One side of an ICE-TCP S-O pair in the NAT bed (RFC 6544, `so` candidates): a TCP
 * simultaneous open from LOCAL_IP:PORT to REMOTE_IP:REMOTE_PORT, then the connectivity checks
 * both ways on that connection (STUN Binding, RFC 4571-framed; side `a` controls and
 * nominates), then a line as one framed datagram each way. Prints one JSON line.
 * Usage: node tcp-punch-main.js LOCAL_IP PORT REMOTE_IP REMOTE_PORT NAME
 */
const [localAddress = '', portText = '', host = '', remotePortText = '', name = ''] =
  process.argv.slice(2)
const started = Date.now()
const A = { ufrag: 'aaaa', pwd: 'a'.repeat(22) }
const B = { ufrag: 'bbbb', pwd: 'b'.repeat(22) }
const controlling = name === 'a'
const remote = { host, port: Number(remotePortText) }
const done = (report: Record<string, unknown>, code: number): void => {
  console.log(JSON.stringify(report))
  setTimeout(() => process.exit(code), 200)
}
tcpSimultaneousOpen({
  localAddress,
  localPort: Number(portText),
  remote,
  timeoutMs: 8000,
}).then(
  (socket) => {
    const connectedMs = Date.now() - started
    const link = new TcpCheckLink(
      new SeededRandom(controlling ? 1 : 2),
      { local: controlling ? A : B, remote: controlling ? B : A, controlling, tieBreaker: 1n },
      remote,
    )
    const flush = (): void => {
      for (const bytes of link.takeWrites()) socket.write(bytes)
    }
    let checkRttMs: number | undefined
    let sentHello = false
    const timer = setTimeout(() => done({ ok: false, reason: 'checks timed out' }, 1), 8000)
    socket.on('data', (chunk: Buffer) => {
      link.receive(Date.now(), chunk)
      for (const event of link.takeEvents()) {
        if (event.type === 'succeeded') checkRttMs = event.rttMs
        if (event.type === 'refused') done({ ok: false, reason: event.reason }, 1)
        if (event.type === 'data') {
          clearTimeout(timer)
          const got = Buffer.from(event.bytes).toString()
          done({ ok: true, valid: link.valid, connectedMs, checkRttMs, got }, 0)
        }
      }
      if (link.valid && !sentHello) {
        sentHello = true
        link.send(Buffer.from(`hello from ${name}`))
      }
      flush()
    })
    // S-O: both ends check at once (neither is the "active" one)
    link.check(Date.now(), controlling)
    flush()
  },
  (error: unknown) => done({ ok: false, reason: String(error) }, 1),
)
