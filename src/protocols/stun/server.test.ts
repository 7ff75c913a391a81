import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeStun, encodeStun, findAttribute, type DecodedStun } from './codec.js'
import { StunMethod } from './constants.js'
import { answerStunDatagram, serverSockets } from './server.js'

const PRIMARY = { host: '192.0.2.1', port: 3478 }
const ALTERNATE = { host: '192.0.2.2', port: 3479 }
const CLIENT = { host: '198.51.100.7', port: 6000 }
const TID = new Uint8Array(12).fill(7)

const decode = (bytes: Uint8Array): DecodedStun => {
  const decoded = decodeStun(bytes)
  assert.ok(decoded.ok)
  return decoded.value
}

test('Binding success: XOR-MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS, FINGERPRINT', () => {
  const request = encodeStun({
    method: StunMethod.Binding,
    messageClass: 'request',
    transactionId: TID,
    attributes: [],
  })
  const reply = answerStunDatagram(
    { primary: PRIMARY, alternate: ALTERNATE, software: 'plexus' },
    PRIMARY,
    CLIENT,
    request,
  )
  assert.ok(reply)
  assert.deepEqual(reply.from, PRIMARY)
  assert.deepEqual(reply.to, CLIENT)
  const response = decode(reply.bytes)
  assert.equal(response.messageClass, 'success')
  assert.deepEqual(response.transactionId, TID)
  assert.deepEqual(findAttribute(response, 'xor-mapped-address')?.address, CLIENT)
  assert.deepEqual(findAttribute(response, 'response-origin')?.address, PRIMARY)
  assert.deepEqual(findAttribute(response, 'other-address')?.address, ALTERNATE)
  assert.equal(response.fingerprint, true)
  assert.equal(serverSockets({ primary: PRIMARY, alternate: ALTERNATE }).length, 4)
})

test('CHANGE-REQUEST picks the answering socket; RESPONSE-PORT the destination port', () => {
  const config = { primary: PRIMARY, alternate: ALTERNATE }
  const ask = (changeIp: boolean, changePort: boolean) =>
    answerStunDatagram(
      config,
      PRIMARY,
      CLIENT,
      encodeStun({
        method: StunMethod.Binding,
        messageClass: 'request',
        transactionId: TID,
        attributes: [
          { type: 'change-request', changeIp, changePort },
          { type: 'response-port', port: 7000 },
        ],
      }),
    )
  assert.deepEqual(ask(true, true)?.from, ALTERNATE)
  assert.deepEqual(ask(false, true)?.from, { host: PRIMARY.host, port: ALTERNATE.port })
  assert.deepEqual(ask(true, false)?.from, { host: ALTERNATE.host, port: PRIMARY.port })
  assert.deepEqual(ask(true, false)?.to, { host: CLIENT.host, port: 7000 })
  const origin = findAttribute(decode(ask(true, true)?.bytes as Uint8Array), 'response-origin')
  assert.deepEqual(origin?.address, ALTERNATE)
})

test('errors: 420 for unknown required attributes and CHANGE-REQUEST without alternate, 400 for bad ones', () => {
  const errorOf = (bytes: Uint8Array | undefined) => {
    assert.ok(bytes)
    const response = decode(bytes)
    assert.equal(response.messageClass, 'error')
    return {
      code: findAttribute(response, 'error-code')?.code,
      unknown: findAttribute(response, 'unknown-attributes')?.types,
    }
  }
  const unknown = encodeStun({
    method: StunMethod.Binding,
    messageClass: 'request',
    transactionId: TID,
    attributes: [{ type: 'unknown', code: 0x0042, value: new Uint8Array(2) }],
  })
  assert.deepEqual(
    errorOf(answerStunDatagram({ primary: PRIMARY }, PRIMARY, CLIENT, unknown)?.bytes),
    {
      code: 420,
      unknown: [0x0042],
    },
  )
  const change = encodeStun({
    method: StunMethod.Binding,
    messageClass: 'request',
    transactionId: TID,
    attributes: [{ type: 'change-request', changeIp: true, changePort: false }],
  })
  assert.deepEqual(
    errorOf(answerStunDatagram({ primary: PRIMARY }, PRIMARY, CLIENT, change)?.bytes),
    {
      code: 420,
      unknown: [0x0003],
    },
  )
  const malformed = encodeStun({
    method: StunMethod.Binding,
    messageClass: 'request',
    transactionId: TID,
    attributes: [{ type: 'unknown', code: 0x0020, value: new Uint8Array(3) }],
  })
  assert.equal(
    errorOf(answerStunDatagram({ primary: PRIMARY }, PRIMARY, CLIENT, malformed)?.bytes).code,
    400,
  )
  // Responses, indications and noise get nothing back: no reflection to forged sources.
  const indication = encodeStun({
    method: StunMethod.Binding,
    messageClass: 'indication',
    transactionId: TID,
    attributes: [],
  })
  assert.equal(answerStunDatagram({ primary: PRIMARY }, PRIMARY, CLIENT, indication), undefined)
  assert.equal(
    answerStunDatagram({ primary: PRIMARY }, PRIMARY, CLIENT, new Uint8Array(30)),
    undefined,
  )
})
