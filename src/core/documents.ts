import fixtureDocuments from '../../fixtures/documents.json' with { type: 'json' };
import { BoundedMemo } from './bounded-memo.js';
import { compilePattern } from './patterns.js';
import { seedFrom } from './random.js';
import type { ExtractRequest } from '../operations/extract/request.js';
import { errors } from './errors.js';
import { canonicalPins, type Pins } from './pins.js';
import { DOCUMENT_KINDS, type DocumentKind, type FormKind } from './document-kinds.js';

/** Pulse's own cap on a document's pages: what an upload, a file name or a selection may claim. */
export const MAX_PAGES = 5000;

export { FORM_KINDS, type DocumentKind, type FormKind } from './document-kinds.js';

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
  /** Facts a test fixed (a document rule's `facts`, `x-pulse-mock-facts`), canonical names. */
  pins?: Pins;
}

export interface DocumentRule {
  match: string;
  pages?: number;
  kind?: DocumentKind;
  title?: string;
  /** Facts to fix in the document, by the synonym table's names (`total`, `customer_name`, `line_items`, ...). */
  facts?: Record<string, unknown>;
}

interface CompiledRule extends DocumentRule {
  test: (c: readonly string[]) => boolean;
}

function loadFixtureRules(): DocumentRule[] {
  return fixtureDocuments.documents as DocumentRule[];
}
const FIXTURE_RULES = new Set(loadFixtureRules().map((r) => r.match));

function compiled(rule: DocumentRule): CompiledRule {
  try {
    return { ...rule, test: compilePattern(rule.match) };
  } catch (e) {
    throw errors.invalidParameter('match', `match "${rule.match}" is not a pattern: ${(e as Error).message}`);
  }
}

const RULE_KINDS = new Set<string>(DOCUMENT_KINDS);

export class DocumentCatalog {
  #rules: CompiledRule[];
  /** Rules added while running (`POST /_mock/documents`, `documents.add`), newest first: they win. */
  #added: CompiledRule[] = [];
  readonly #configured: CompiledRule[];
  /** What a (name, URL, type) resolves to; clients resubmit the same few documents many times. */
  readonly #seen = new BoundedMemo<{
    rule: CompiledRule | undefined;
    kind: DocumentKind;
    pages: number;
    known: boolean;
  }>();

  /** `rules` from the user's config come first, then the shipped fixtures. */
  constructor(rules: readonly DocumentRule[] = [], withFixtures = true) {
    this.#configured = [...rules, ...(withFixtures ? loadFixtureRules() : [])].map(compiled);
    this.#rules = this.#configured;
  }

  /** The rules a user gave (added ones first, then the config's), without the shipped fixtures. */
  list(): DocumentRule[] {
    return [...this.#added, ...this.#configured.filter((r) => !FIXTURE_RULES.has(r.match))].map(
      ({ test: _test, ...rule }) => rule,
    );
  }

  /** Adds a rule in front of every other; its facts are checked now when it names its kind. */
  add(rule: DocumentRule, where = 'rule'): DocumentRule {
    if (typeof rule?.match !== 'string' || rule.match === '')
      throw errors.invalidParameter(`${where}.match`, `${where}.match must be a file name or URL pattern.`);
    if (rule.kind !== undefined && !RULE_KINDS.has(rule.kind))
      throw errors.invalidParameter(
        `${where}.kind`,
        `${where}.kind must be one of ${[...RULE_KINDS].join(', ')}.`,
        rule.kind,
      );
    if (rule.kind && rule.facts) canonicalPins(rule.kind, rule.facts, `${where}.facts`);
    this.#added = [compiled(rule), ...this.#added];
    this.#changed();
    return rule;
  }

  /** Removes the rules added while running; the config's stay. */
  clear(): void {
    this.#added = [];
    this.#changed();
  }

  #changed() {
    this.#rules = [...this.#added, ...this.#configured];
    this.#seen.clear();
  }

  /** `kindHint`: the kind to take when no document rule names one (a form run's), instead of the name's. */
  describe(
    req: ExtractRequest,
    seed: number,
    pagesOverride?: number,
    kindHint?: DocumentKind,
    facts?: Record<string, unknown>,
  ): DocumentInfo {
    const { rule, kind, pages: seeded, known: stated } = this.#lookup(req, seed, kindHint);
    // A page count among the facts is the document's length, as a rule's `pages` is.
    const pinnedPages = pageCount(facts) ?? pageCount(rule?.facts);
    const pages = pinnedPages ?? seeded;
    const known = stated || pinnedPages !== undefined;
    const pins = pinsOf(kind, rule, facts);
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
      return {
        name: req.fileName,
        kind,
        ...(rule?.title ? { title: rule.title } : {}),
        totalPages,
        pages: req.pages,
        ...(pins ? { pins } : {}),
      };
    }
    return {
      name: req.fileName,
      kind,
      ...(rule?.title ? { title: rule.title } : {}),
      totalPages,
      pages: Array.from({ length: totalPages }, (_, i) => i + 1),
      ...(pins ? { pins } : {}),
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

const PAGE_NAMES = ['pages', 'page_count', 'total_pages', 'num_pages'];

/** The page count a set of facts states (`pages`, `page_count`), if any. */
function pageCount(facts: Record<string, unknown> | undefined): number | undefined {
  const key = facts && Object.keys(facts).find((k) => PAGE_NAMES.includes(k.toLowerCase()));
  if (key === undefined) return undefined;
  const n = facts![key];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PAGES)
    throw errors.invalidParameter(
      'facts',
      `facts: "${key}" must be a whole number of pages from 1 to ${MAX_PAGES}.`,
      n,
    );
  return n;
}

/** A rule's facts, then the request's over them, each made canonical for the kind; none when neither pins any. */
function pinsOf(
  kind: DocumentKind,
  rule: DocumentRule | undefined,
  facts: Record<string, unknown> | undefined,
): Pins | undefined {
  const withoutPages = (f: Record<string, unknown> | undefined) =>
    f && Object.fromEntries(Object.entries(f).filter(([k]) => !PAGE_NAMES.includes(k.toLowerCase())));
  const fromRule = withoutPages(rule?.facts);
  const fromRequest = withoutPages(facts);
  if (!fromRule && !fromRequest) return undefined;
  const ruleField = `the documents rule "${rule?.match}" facts`;
  const pins = {
    ...(fromRule ? canonicalPins(kind, fromRule, ruleField) : {}),
    ...(fromRequest ? canonicalPins(kind, fromRequest, 'x-pulse-mock-facts') : {}),
  };
  if (!Object.keys(pins).length) return undefined;
  // The request's pins over the rule's must still agree with each other.
  return fromRule && fromRequest ? canonicalPins(kind, pins, `x-pulse-mock-facts with ${ruleField}`) : pins;
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
