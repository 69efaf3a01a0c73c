/**
 * The kinds of document the mock pretends a submission is: one list for the config's JSON
 * Schema, the document rules added while running and the type. A leaf, so reading the config
 * loads nothing else.
 */
export const FORM_KINDS = ['intake-form', 'application-form', 'claim-form', 'tax-form'] as const;
/** Fillable forms, each with its own labelled fields (`FORM_FIELDS` in document-model.ts). */
export type FormKind = (typeof FORM_KINDS)[number];

export const DOCUMENT_KINDS = [
  'invoice',
  'bank-statement',
  'research-paper',
  'contract',
  'report',
  'slide-deck',
  'spreadsheet',
  'image',
  ...FORM_KINDS,
] as const;
/** What the mock pretends a submitted document is: how many pages, and what kind of text. */
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];
