/**
 * Pieces every route schema file shares: the scalar shapes, `$ref`, and the refusals a route
 * may answer with besides its own (docs/openapi.json lists them per route).
 */

export const integer = { type: 'integer', minimum: 0 } as const
export const string = { type: 'string' } as const
export const ref = (id: string) => ({ $ref: `${id}#` }) as const

/** What every route of the API may refuse with. */
export const COMMON_REFUSALS = {
  400: { description: 'malformed request', ...ref('Error') },
  401: { description: 'missing or wrong token', ...ref('Error') },
} as const

/**
 * The refusals of a plug-in's routes: the common ones, 409 while its config section is off
 * (`[section] enabled = true` turns it on) and, for a plug-in that can be between states, 503
 * with `busy` saying when.
 */
export function pluginRefusals(section: string, busy?: string) {
  return {
    ...COMMON_REFUSALS,
    409: {
      description: `${section} is not enabled ([${section}] enabled = true)`,
      ...ref('Error'),
    },
    ...(busy === undefined ? {} : { 503: { description: busy, ...ref('Error') } }),
  } as const
}

/** A response map: the route's own answers over the refusals given. */
export const answersOver =
  <R extends object>(refusals: R) =>
  <T extends object>(answers: T): R & T => ({ ...refusals, ...answers })
