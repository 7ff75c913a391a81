/**
 * Message ids of the peer wire (BEP 3, BEP 5 `port`, BEP 6 fast extension, BEP 10 `extended`).
 * Ids not listed here decode as `unknown` messages.
 */
export const MESSAGE_ID = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  not_interested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest_piece: 13,
  have_all: 14,
  have_none: 15,
  reject_request: 16,
  allowed_fast: 17,
  extended: 20,
} as const

const KNOWN_IDS: ReadonlySet<number> = new Set(Object.values(MESSAGE_ID))
export const isKnownMessageId = (id: number): boolean => KNOWN_IDS.has(id)
