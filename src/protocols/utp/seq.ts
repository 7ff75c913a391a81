/**
 * Sequence and acknowledgement numbers are 16 bits and wrap. Two numbers compare by their
 * distance modulo 2^16: `a` is before `b` when going forward from `a` reaches `b` in fewer
 * than 2^15 steps.
 */

export const SEQ_MODULUS = 0x10000

export const seqAdd = (seq: number, delta: number): number =>
  (((seq + delta) % SEQ_MODULUS) + SEQ_MODULUS) % SEQ_MODULUS

/** Steps forward from `from` to `to`, in [0, 2^16). */
export const seqDistance = (from: number, to: number): number => seqAdd(to, -from)

/** True when `a` comes strictly before `b`. */
export const seqBefore = (a: number, b: number): boolean => {
  const forward = seqDistance(a, b)
  return forward !== 0 && forward < SEQ_MODULUS / 2
}

/** Microsecond timestamps are 32 bits and wrap likewise. */
export const micros32 = (milliseconds: number): number => Math.floor(milliseconds * 1000) >>> 0
