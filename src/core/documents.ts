import fixtureDocuments from '../../fixtures/documents.json' with { type: 'json' };
import { BoundedMemo } from './bounded-memo.js';
import { compilePattern } from './patterns.js';
import { seedFrom } from './random.js';
import type { ExtractRequest } from '../operations/extract/request.js';
import { errors } from './errors.js';

/** Pulse's own cap on a document's pages: what an upload, a file name or a selection may claim. */
export const MAX_PAGES = 5000;

/** What the mock pretends a submitted document is: how many pages, and what kind of text. */
export type DocumentKind =
  | 'invoice'
  | 'bank-statement'
  | 'research-paper'
  | 'contract'
  | 'report'
  | 'slide-deck'
  | 'spreadsheet'
  | 'image'
  | FormKind;

/** Fillable forms, each with its own labelled fields (`FORM_FIELDS` in document-model.ts). */
export type FormKind = 'intake-form' | 'application-form' | 'claim-form' | 'tax-form';
export const FORM_KINDS: readonly FormKind[] = ['intake-form', 'application-form', 'claim-form', 'tax-form'];

/** The form kind a file's name says (`intake`, `application`, `claim`, `w-9` ...), if any. */
export function formKindFromName(name: string): FormKind | undefined {
  const n = name.toLowerCase();
  if (/intake|patient|medical/.test(n)) return 'intake-form';
  if (/applica|apply|job/.test(n)) return 'application-form';
  if (/claim/.test(n)) return 'claim-form';
  if (/tax|w-?9|1040/.test(n)) return 'tax-form';
  return undefined;
}

export interface DocumentInfo {
  name: string;
  kind: DocumentKind;
  title?: string;
  /** Pages in the whole document. */
  totalPages: number;
  /** Pages processed: the `pages` selection, or every page. */
  pages: number[];
}

export interface DocumentRule {
  match: string;
  pages?: number;
  kind?: DocumentKind;
  title?: string;
}

interface CompiledRule extends DocumentRule {
  test: (c: readonly string[]) => boolean;
}

function loadFixtureRules(): DocumentRule[] {
  return fixtureDocuments.documents as DocumentRule[];
}

export class DocumentCatalog {
  readonly #rules: CompiledRule[];
  /** What a (name, URL, type) resolves to; clients resubmit the same few documents many times. */
  readonly #seen = new BoundedMemo<{
    rule: CompiledRule | undefined;
    kind: DocumentKind;
    pages: number;
    known: boolean;
  }>();

  /** `rules` from the user's config come first, then the shipped fixtures. */
  constructor(rules: readonly DocumentRule[] = [], withFixtures = true) {
    this.#rules = [...rules, ...(withFixtures ? loadFixtureRules() : [])].map((r) => ({
      ...r,
      test: compilePattern(r.match),
    }));
  }

  /** `kindHint`: the kind to take when no document rule names one (a form run's), instead of the name's. */
  describe(req: ExtractRequest, seed: number, pagesOverride?: number, kindHint?: DocumentKind): DocumentInfo {
    const { rule, kind, pages, known } = this.#lookup(req, seed, kindHint);
    let totalPages = Math.max(1, pagesOverride ?? pages);
    if (req.pages) {
      const last = req.pages[req.pages.length - 1] as number;
      // Pulse refuses pages past the end (400 REQ_006). Only a count the mock knows (the upload's,
      // a document rule's, the header's, the file name's) can say so: a seeded one grows instead.
      if ((known || pagesOverride !== undefined) && last > totalPages)
        throw errors.badPageRange(
          req.pagesSpec ?? String(last),
          `page ${last} is past the end of the document, which has ${totalPages} page${totalPages === 1 ? '' : 's'}`,
        );
      totalPages = Math.max(totalPages, last);
      return { name: req.fileName, kind, ...(rule?.title ? { title: rule.title } : {}), totalPages, pages: req.pages };
    }
    return {
      name: req.fileName,
      kind,
      ...(rule?.title ? { title: rule.title } : {}),
      totalPages,
      pages: Array.from({ length: totalPages }, (_, i) => i + 1),
    };
  }

  #lookup(req: ExtractRequest, seed: number, kindHint?: DocumentKind) {
    const url = req.source.kind === 'url' ? req.source.url : req.fileName;
    // An uploaded PDF says how many pages it has.
    const ownPages = req.source.kind === 'upload' ? req.source.file.pdfPages : undefined;
    return this.#seen.get(
      `${seed}\u0000${req.fileName}\u0000${url}\u0000${req.fileType}\u0000${ownPages ?? ''}\u0000${kindHint ?? ''}`,
      () => {
        const rule = this.#rules.find((r) => r.test([req.fileName, url]));
        const kind = rule?.kind ?? kindHint ?? kindFromName(req.fileName, req.fileType);
        const fromName = /[-_.](\d{1,6})-?p(?:ages?)?\.[a-z0-9]+$/i.exec(req.fileName)?.[1];
        // Checked before anything is built for the document: a claim past the cap is refused.
        const field = req.source.kind === 'url' ? 'file_url' : 'file';
        if (ownPages !== undefined && ownPages > MAX_PAGES)
          throw errors.tooManyPages(field, `The uploaded PDF ${req.fileName}`, ownPages, MAX_PAGES);
        if (!rule?.pages && ownPages === undefined && fromName && Number(fromName) > MAX_PAGES)
          throw errors.tooManyPages(field, `The file name ${req.fileName}`, Number(fromName), MAX_PAGES);
        const stated = rule?.pages ?? ownPages ?? (fromName ? Number(fromName) : undefined);
        const pages = stated ?? defaultPages(kind, seedFrom(seed, 'pages', req.fileName));
        return { rule, kind, pages, known: stated !== undefined };
      },
    );
  }
}

function kindFromName(name: string, type: string): DocumentKind {
  const n = name.toLowerCase();
  if (type === 'png' || type === 'jpg') return /invoice|receipt/.test(n) ? 'invoice' : 'image';
  if (type === 'pptx') return 'slide-deck';
  if (type === 'xlsx' || type === 'xls' || type === 'xlsm') return 'spreadsheet';
  if (/invoice|receipt|bill/.test(n)) return 'invoice';
  if (/statement|bank/.test(n)) return 'bank-statement';
  if (/paper|arxiv|thesis|study/.test(n)) return 'research-paper';
  if (/contract|agreement|lease|nda|filing|legal/.test(n)) return 'contract';
  // A form says so in its name: an intake form, a claim form, a W-9.
  if (/form|w-?9\b|1040/.test(n)) return formKindFromName(n) ?? 'report';
  return 'report';
}

function defaultPages(kind: DocumentKind, seed: number): number {
  const span: Record<DocumentKind, [number, number]> = {
    invoice: [1, 2],
    'bank-statement': [2, 4],
    'research-paper': [8, 16],
    contract: [4, 12],
    report: [2, 10],
    'slide-deck': [8, 20],
    spreadsheet: [1, 3],
    image: [1, 1],
    'intake-form': [1, 2],
    'application-form': [1, 2],
    'claim-form': [1, 2],
    'tax-form': [1, 2],
  };
  const [min, max] = span[kind];
  return min + (seed % (max - min + 1));
}
