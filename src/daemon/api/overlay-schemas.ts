/**
 * JSON schemas of the overlay routes (/api/v1/overlay...), in the pattern of schemas.ts:
 * Fastify validates requests and serialises answers with them, and docs/openapi.json is built
 * from them. `overlaySchemas` are registered by the routes themselves.
 */
import { answersOver, integer, pluginRefusals, ref, string } from './schema-parts.js'
import { OVERLAY_NAMES } from '../../drivers/overlay/member.js'

const withRefusals = answersOver(pluginRefusals('overlay', 'the overlay node is stopping'))

/** Values travel in one datagram (VALUE_BYTES_MAX of the codecs). */
const KEY_CHARS_MAX = 256
const VALUE_CHARS_MAX = 1024

export const overlayOpSchema = {
  $id: 'OverlayOperation',
  type: 'object',
  description:
    'What an operation found, with its trace. An operation that ran and failed (a timeout, ' +
    'a key not found) answers 200 with `ok: false` and `error`, so its trace is kept.',
  required: ['kind', 'ok', 'trace'],
  properties: {
    kind: { type: 'string', enum: ['lookup', 'put', 'get', 'remove'] },
    ok: { type: 'boolean' },
    error: { ...string, description: 'not_found, timeout, no_route, ...' },
    owner: {
      type: 'object',
      required: ['id', 'address'],
      properties: { id: string, address: string },
    },
    stored: { ...integer, description: 'put / remove: copies acknowledged (owner + replicas)' },
    value: { ...string, description: 'get: the value (text, or `hex:` and hex digits)' },
    trace: {
      type: 'object',
      required: ['hops', 'messages', 'perHop'],
      properties: {
        hops: integer,
        messages: integer,
        perHop: {
          type: 'array',
          items: {
            type: 'object',
            required: ['node', 'outcome'],
            properties: {
              node: { ...string, description: 'host:port' },
              id: { ...string, description: 'the node overlay id (hex)' },
              outcome: { type: 'string', enum: ['next', 'owner', 'timeout', 'error'] },
              ms: { ...integer, description: 'round trip' },
              at: { ...integer, description: 'ms after the first hop was sent' },
            },
          },
        },
      },
    },
  },
} as const

export const overlaySchemas = [overlayOpSchema] as const

export const overlayStatusSchema = {
  tags: ['overlay'],
  summary: "The structured overlay node's status (Chord, Pastry or CAN)",
  response: withRefusals({
    200: {
      type: 'object',
      required: ['enabled'],
      properties: {
        enabled: { type: 'boolean' },
        state: { type: 'string', enum: ['joining', 'running', 'stopped'] },
        kind: { type: 'string', enum: OVERLAY_NAMES },
        id: { ...string, description: 'the node id (hex)' },
        address: { ...string, description: 'the UDP address (host:port)' },
        neighbours: {
          type: 'array',
          items: string,
          description:
            'Chord: predecessor, successors, fingers; Pastry: leaf set, table; CAN: zone neighbours',
        },
        storedKeys: {
          ...integer,
          description: 'keys this node stores (Pastry: replicas included)',
        },
        summary: {
          type: 'object',
          additionalProperties: { anyOf: [string, { type: 'number' }] },
          description: 'the ring pointers, leaf set and table sizes, or the zones, and counters',
        },
      },
    },
  }),
} as const

const keyText = { type: 'string', minLength: 1, maxLength: KEY_CHARS_MAX } as const
const answer = withRefusals({ 200: ref('OverlayOperation') })

export const overlayPutSchema = {
  tags: ['overlay'],
  summary: 'Store a value under a key (text) at its owner and replicas',
  body: {
    type: 'object',
    required: ['key', 'value'],
    properties: { key: keyText, value: { type: 'string', maxLength: VALUE_CHARS_MAX } },
    additionalProperties: false,
  },
  response: answer,
} as const

export const overlayRemoveSchema = {
  tags: ['overlay'],
  summary: 'Delete a key at its owner and replicas',
  body: {
    type: 'object',
    required: ['key'],
    properties: { key: keyText },
    additionalProperties: false,
  },
  response: answer,
} as const

export const overlayGetSchema = {
  tags: ['overlay'],
  summary: 'Read the value stored under a key',
  querystring: {
    type: 'object',
    required: ['key'],
    properties: { key: keyText },
    additionalProperties: false,
  },
  response: answer,
} as const

export const overlayLookupSchema = {
  tags: ['overlay'],
  summary: 'Find the node responsible for an id, hop by hop',
  querystring: {
    type: 'object',
    required: ['id'],
    properties: {
      id: {
        type: 'string',
        pattern: '^([0-9a-fA-F]{2}){1,64}$',
        description: 'hex: 40 digits (Chord), 32 (Pastry), 2 to 128 (CAN, hashed to a point)',
      },
    },
    additionalProperties: false,
  },
  response: answer,
} as const
