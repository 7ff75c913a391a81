import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { withDaemon } from './harness.js'

/** docs/openapi.json, from the project root (this file runs from dist/test/daemon/). */
export const OPENAPI_FILE = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url))

/** The OpenAPI document the daemon serves, as committed: 2-space JSON and a final newline. */
export async function generatedOpenApi(): Promise<string> {
  let text = ''
  await withDaemon(async ({ request }) => {
    const document = (await (await request('/api/v1/openapi.json')).json()) as unknown
    text = `${JSON.stringify(document, null, 2)}\n`
  })
  return text
}

// `node dist/test/daemon/openapi.js` rewrites docs/openapi.json after the API changed.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OPENAPI_FILE, await generatedOpenApi())
  console.log(`wrote ${OPENAPI_FILE}`)
}
