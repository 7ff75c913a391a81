/**
 * BEP 52 test vectors made by libtorrent 2.0 (test/interop/python/lt_v2_vectors.py, which
 * regenerates them): its torrents for a small tree in each mode, creation date left out, and
 * the info-hashes libtorrent reported for them. The content is `patternBytes(length)`, so the
 * tests can rebuild every merkle tree from scratch. A `.test.ts` file without tests of its own
 * (it is imported by several).
 */
import { Buffer } from 'node:buffer'

/** A file of `length` bytes: xorshift32 seeded with length + 1, the low byte of each step. */
export function patternBytes(length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = length + 1
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    out[i] = x & 0xff
  }
  return out
}

/** The tree under the torrent's root, in tree order. */
export const VECTOR_FILES: readonly (readonly [path: readonly string[], length: number])[] = [
  [['a.bin'], 40000],
  [['empty'], 0],
  [['sub', 'b.txt'], 100],
  [['sub', 'c.bin'], 70000],
]
export const VECTOR_NAME = 'tree'
export const SINGLE_NAME = 'one.bin'
export const SINGLE_LENGTH = 40000
export const VECTOR_PIECE_LENGTH = 16384

const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))

export interface Vector {
  readonly torrent: Uint8Array
  /** As libtorrent's `info_hashes()` reported them; absent where the mode has none. */
  readonly v1?: string
  readonly v2?: string
}

export const VECTORS = {
  hybrid: {
    torrent: fromBase64(
      'ZDQ6aW5mb2Q5OmZpbGUgdHJlZWQ1OmEuYmluZDA6ZDY6bGVuZ3RoaTQwMDAwZTExOnBpZWNlcyByb290MzI6IFIBGp' +
        'z5u/boh3tVfL2899PBcfSQBmwAfp2mMHYWybFlZTU6ZW1wdHlkMDpkNjpsZW5ndGhpMGVlZTM6c3ViZDU6Yi50eHRk' +
        'MDpkNjpsZW5ndGhpMTAwZTExOnBpZWNlcyByb290MzI6ex07Q+vm3q6Q8M7ABVj3jdu+h6yuyYETyRpVHk9nH3JlZT' +
        'U6Yy5iaW5kMDpkNjpsZW5ndGhpNzAwMDBlMTE6cGllY2VzIHJvb3QzMjoPVizWuPbVvgXsKNNebbBNjSWX9gMeKYHW' +
        '7p3t917yrGVlZWU1OmZpbGVzbGQ2Omxlbmd0aGk0MDAwMGU0OnBhdGhsNTphLmJpbmVlZDQ6YXR0cjE6cDY6bGVuZ3' +
        'RoaTkxNTJlNDpwYXRobDQ6LnBhZDQ6OTE1MmVlZDY6bGVuZ3RoaTBlNDpwYXRobDU6ZW1wdHllZWQ2Omxlbmd0aGkx' +
        'MDBlNDpwYXRobDM6c3ViNTpiLnR4dGVlZDQ6YXR0cjE6cDY6bGVuZ3RoaTE2Mjg0ZTQ6cGF0aGw0Oi5wYWQ1OjE2Mj' +
        'g0ZWVkNjpsZW5ndGhpNzAwMDBlNDpwYXRobDM6c3ViNTpjLmJpbmVlZDQ6YXR0cjE6cDY6bGVuZ3RoaTExOTIwZTQ6' +
        'cGF0aGw0Oi5wYWQ1OjExOTIwZWVlMTI6bWV0YSB2ZXJzaW9uaTJlNDpuYW1lNDp0cmVlMTI6cGllY2UgbGVuZ3RoaT' +
        'E2Mzg0ZTY6cGllY2VzMTgwOmrlnw1Nlm5e3+S9dVRHqz3e/GL1SuOV4RST9aSGsNn89JdyYND61EIXTJPr1qsGLzcC' +
        'JvKncOx25nND2JxdwYQ/5MMudUgtOToXoZUcEOjFIJlMP10zmb7szX9sBQXhDdwTBDnVAKpW8yLD6yTQUXnKTcexYm' +
        'UE5HswIf3cMd5bm63NgGfH6bzj+YwrIZ6KrCLkm+WJNxeKn5LK9HHjW/s1LJP2kaQUHoBfMpyUC7YXff1KtGUxMjpw' +
        'aWVjZSBsYXllcnNkMzI6D1Ys1rj21b4F7CjTXm2wTY0ll/YDHimB1u6d7fde8qwxNjA6A3ZkyLquiLISsbHAaDwogM' +
        'RkdXi5pR88dVL/W+Qdur9gpd3mxzBXUe8LdR3+2lsAccFs5x9bfHKT4fhwJvjYQAvdlRwup8pfgsPZblDQvjpRIrsc' +
        '4sOaCFxfD8rttkWyZGExLzfOUySURL+xuyfRAzi2fS1GhX04I77ydhUdxQ/Jp/odwQ2Vh8eJ1ewqKzy3Vpff13ZFZB' +
        '3FPxvVDJmbCzMyOiBSARqc+bv26Id7VXy9vPfTwXH0kAZsAH6dpjB2FsmxOTY6DaLX3hTNHnSZ+EzeQXpfbseF5Ce1' +
        '73bfTiVPVdIHwXwjQ6nuCu98yLmsb/4raFszea3DXHatbd4D6Lr4Wo90VDbe1iK02P48rGd8whKbQfPr0RXl1+Ix2/' +
        'osCw1K/y+tZWU=',
    ),
    v1: '6225cebc1bd0957c8ca3e306e4ea97ad101afbe3',
    v2: '1ba6c5232a72bf9f2cb9705595e349cdebd4a9c872fdd8af9ff4ddaacc46fb2b',
  },
  v2: {
    torrent: fromBase64(
      'ZDQ6aW5mb2Q5OmZpbGUgdHJlZWQ1OmEuYmluZDA6ZDY6bGVuZ3RoaTQwMDAwZTExOnBpZWNlcyByb290MzI6IFIBGp' +
        'z5u/boh3tVfL2899PBcfSQBmwAfp2mMHYWybFlZTU6ZW1wdHlkMDpkNjpsZW5ndGhpMGVlZTM6c3ViZDU6Yi50eHRk' +
        'MDpkNjpsZW5ndGhpMTAwZTExOnBpZWNlcyByb290MzI6ex07Q+vm3q6Q8M7ABVj3jdu+h6yuyYETyRpVHk9nH3JlZT' +
        'U6Yy5iaW5kMDpkNjpsZW5ndGhpNzAwMDBlMTE6cGllY2VzIHJvb3QzMjoPVizWuPbVvgXsKNNebbBNjSWX9gMeKYHW' +
        '7p3t917yrGVlZWUxMjptZXRhIHZlcnNpb25pMmU0Om5hbWU0OnRyZWUxMjpwaWVjZSBsZW5ndGhpMTYzODRlZTEyOn' +
        'BpZWNlIGxheWVyc2QzMjoPVizWuPbVvgXsKNNebbBNjSWX9gMeKYHW7p3t917yrDE2MDoDdmTIuq6IshKxscBoPCiA' +
        'xGR1eLmlHzx1Uv9b5B26v2Cl3ebHMFdR7wt1Hf7aWwBxwWznH1t8cpPh+HAm+NhAC92VHC6nyl+Cw9luUNC+OlEiux' +
        'ziw5oIXF8Pyu22RbJkYTEvN85TJJREv7G7J9EDOLZ9LUaFfTgjvvJ2FR3FD8mn+h3BDZWHx4nV7CorPLdWl9/XdkVk' +
        'HcU/G9UMmZsLMzI6IFIBGpz5u/boh3tVfL2899PBcfSQBmwAfp2mMHYWybE5NjoNotfeFM0edJn4TN5Bel9ux4XkJ7' +
        'Xvdt9OJU9V0gfBfCNDqe4K73zIuaxv/itoWzN5rcNcdq1t3gPouvhaj3RUNt7WIrTY/jysZ3zCEptB8+vRFeXX4jHb' +
        '+iwLDUr/L61lZQ==',
    ),
    v2: '26d4797433cee5f0df0c59347a1dd9189ddd078235df9af29d7e61395726328a',
  },
  v1: {
    torrent: fromBase64(
      'ZDQ6aW5mb2Q1OmZpbGVzbGQ2Omxlbmd0aGk0MDAwMGU0OnBhdGhsNTphLmJpbmVlZDY6bGVuZ3RoaTBlNDpwYXRobD' +
        'U6ZW1wdHllZWQ2Omxlbmd0aGkxMDBlNDpwYXRobDM6c3ViNTpiLnR4dGVlZDY6bGVuZ3RoaTcwMDAwZTQ6cGF0aGwz' +
        'OnN1YjU6Yy5iaW5lZWU0Om5hbWU0OnRyZWUxMjpwaWVjZSBsZW5ndGhpMTYzODRlNjpwaWVjZXMxNDA6auWfDU2Wbl' +
        '7f5L11VEerPd78YvVK45XhFJP1pIaw2fz0l3Jg0PrUQhLIAf5Rbsa8VO1GjxXNJ45+HY9u5ZHYp539ISN4cA1rmz14' +
        'uUVoDpwQwt7c0oehUOzR2gPqOEi9znuCTPSojCFAe+djnTaW4OXWCM693d9RpxmXZFILK8MeZ/B58UH115YVsfRlZQ' +
        '==',
    ),
    v1: '07e11dbf6f3ae8df5f18d7f78ebb3f9ae922ea57',
  },
  singleHybrid: {
    torrent: fromBase64(
      'ZDQ6aW5mb2Q5OmZpbGUgdHJlZWQ3Om9uZS5iaW5kMDpkNjpsZW5ndGhpNDAwMDBlMTE6cGllY2VzIHJvb3QzMjogUg' +
        'EanPm79uiHe1V8vbz308Fx9JAGbAB+naYwdhbJsWVlZTY6bGVuZ3RoaTQwMDAwZTEyOm1ldGEgdmVyc2lvbmkyZTQ6' +
        'bmFtZTc6b25lLmJpbjEyOnBpZWNlIGxlbmd0aGkxNjM4NGU2OnBpZWNlczYwOmrlnw1Nlm5e3+S9dVRHqz3e/GL1Su' +
        'OV4RST9aSGsNn89JdyYND61EL4xUe6CX26MpSRecXKdiyhyxugeWUxMjpwaWVjZSBsYXllcnNkMzI6IFIBGpz5u/bo' +
        'h3tVfL2899PBcfSQBmwAfp2mMHYWybE5NjoNotfeFM0edJn4TN5Bel9ux4XkJ7Xvdt9OJU9V0gfBfCNDqe4K73zIua' +
        'xv/itoWzN5rcNcdq1t3gPouvhaj3RUNt7WIrTY/jysZ3zCEptB8+vRFeXX4jHb+iwLDUr/L61lZQ==',
    ),
    v1: '88e2579339846eb783e0df63532278eb60e6c1a8',
    v2: 'b99f389ab5dd6b94fca9ed2b59867fbcc3aa9ff8a31959233af85367cc403b60',
  },
  singleV2: {
    torrent: fromBase64(
      'ZDQ6aW5mb2Q5OmZpbGUgdHJlZWQ3Om9uZS5iaW5kMDpkNjpsZW5ndGhpNDAwMDBlMTE6cGllY2VzIHJvb3QzMjogUg' +
        'EanPm79uiHe1V8vbz308Fx9JAGbAB+naYwdhbJsWVlZTEyOm1ldGEgdmVyc2lvbmkyZTQ6bmFtZTc6b25lLmJpbjEy' +
        'OnBpZWNlIGxlbmd0aGkxNjM4NGVlMTI6cGllY2UgbGF5ZXJzZDMyOiBSARqc+bv26Id7VXy9vPfTwXH0kAZsAH6dpj' +
        'B2FsmxOTY6DaLX3hTNHnSZ+EzeQXpfbseF5Ce173bfTiVPVdIHwXwjQ6nuCu98yLmsb/4raFszea3DXHatbd4D6Lr4' +
        'Wo90VDbe1iK02P48rGd8whKbQfPr0RXl1+Ix2/osCw1K/y+tZWU=',
    ),
    v2: '1b81086e7003b6ad13665294a40b5db6f803f201809e7c6ffc8c9c9982a07c29',
  },
} satisfies Readonly<Record<string, Vector>>
