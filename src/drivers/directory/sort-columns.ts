/** The columns a directory search sorts by: its own module, so the CLI need not load SQLite. */
export const SORT_COLUMNS = ['name', 'added', 'length', 'seeders', 'leechers', 'completed'] as const
export type SortColumn = (typeof SORT_COLUMNS)[number]
