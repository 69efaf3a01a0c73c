/**
 * The one place a value is taken as a type the compiler cannot see it has; every other module is
 * checked as written (no `as unknown as`, no `as never`: a test greps for them). Its callers:
 * a CommonJS module's default export as NodeNext types it (`defaultExport`), the standalone
 * validator ajv generated, and an operation's instance from the registry (`operationOf`). Each
 * says why the type holds.
 */
export function unchecked<T>(value: unknown): T {
  return value as T;
}

/** A CommonJS module's default export, whether the importer wrapped it (`{ default }`) or not. */
export function defaultExport<T>(module: unknown): T {
  return (module as { default?: T }).default ?? unchecked<T>(module);
}
