// Excel templates read and workbooks written by /schema.
export { default as writeXlsxFile } from 'write-excel-file/node';
export { readSheet } from 'read-excel-file/node';
