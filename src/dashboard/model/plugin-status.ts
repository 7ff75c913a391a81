/**
 * A plug-in's status() laid out for the generic view: plain values as key/value rows (nested
 * objects flattened to `a.b` keys), and each array of objects as a table whose columns are
 * every key its rows have. Pure, so it is tested without a browser.
 */

export interface StatusTable {
  readonly key: string
  readonly columns: readonly string[]
  readonly rows: readonly Readonly<Record<string, string>>[]
}

export interface StatusLayout {
  readonly values: readonly { readonly key: string; readonly value: string }[]
  readonly tables: readonly StatusTable[]
}

export function layoutStatus(status: Readonly<Record<string, unknown>>): StatusLayout {
  const values: { key: string; value: string }[] = []
  const tables: StatusTable[] = []
  const walk = (prefix: string, object: Readonly<Record<string, unknown>>): void => {
    for (const [name, value] of Object.entries(object)) {
      const key = prefix === '' ? name : `${prefix}.${name}`
      if (Array.isArray(value)) {
        if (value.length > 0 && value.every(isRecord)) tables.push(table(key, value))
        else values.push({ key, value: value.length === 0 ? '—' : value.map(text).join(', ') })
      } else if (isRecord(value)) walk(key, value)
      else values.push({ key, value: text(value) })
    }
  }
  walk('', status)
  return { values, tables }
}

function table(key: string, rows: readonly Readonly<Record<string, unknown>>[]): StatusTable {
  const columns: string[] = []
  for (const row of rows)
    for (const name of Object.keys(row)) {
      if (!columns.includes(name)) columns.push(name)
    }
  return {
    key,
    columns,
    rows: rows.map((row) => Object.fromEntries(columns.map((c) => [c, text(row[c])]))),
  }
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '—'
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}
