// PDF drawing for forms (GET /results/{id}/pdf). Bundled with its standard fonts: see
// tsup.config.ts (pdfkitStandardFonts).
export { default } from 'pdfkit';
