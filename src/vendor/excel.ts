// Workbooks written by /schema (GET /schema/{id}/excel). Templates are read by
// src/operations/xlsx-template.ts, with bounds a general reader does not have.
export { default as writeXlsxFile } from 'write-excel-file/node';
