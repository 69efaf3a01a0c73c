/**
 * A request field or fact value as text. Fields arrive as strings (multipart, query) or as JSON
 * values; an object or array is shown as its JSON rather than as `[object Object]`.
 */
export function textOf(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}
