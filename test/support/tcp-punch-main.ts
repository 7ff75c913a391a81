import { tcpSimultaneousOpen } from '../../src/drivers/holepunch/tcp-simultaneous.js'

/**
 * One side of a TCP simultaneous open in the NAT bed: connects from LOCAL_IP:PORT to
 * REMOTE_IP:REMOTE_PORT, then sends a line and waits for the other side's line. Prints one JSON
 * line. Usage: node tcp-punch-main.js LOCAL_IP PORT REMOTE_IP REMOTE_PORT NAME
 */
const [localAddress = '', portText = '', host = '', remotePortText = '', name = ''] =
  process.argv.slice(2)
const started = Date.now()
tcpSimultaneousOpen({
  localAddress,
  localPort: Number(portText),
  remote: { host, port: Number(remotePortText) },
  timeoutMs: 8000,
}).then(
  (socket) => {
    const connectedMs = Date.now() - started
    socket.write(`hello from ${name}\n`)
    let got = ''
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString()
      if (got.includes('\n')) {
        console.log(JSON.stringify({ ok: true, connectedMs, got: got.trim() }))
        socket.end()
        setTimeout(() => process.exit(0), 200)
      }
    })
  },
  (error: unknown) => {
    console.log(JSON.stringify({ ok: false, reason: String(error) }))
    process.exit(1)
  },
)
