import type { DocumentKind } from '../../core/documents.js';
import type { DocumentModel, Fact, FactList, Structure } from '../../core/document-model.js';

/**
 * Which schema property names name which fact of a document, per document kind. Names are
 * compared case- and separator-insensitively (`accountHolder`, `account-holder` and
 * `Account_Holder` are `accountholder`). docs/api.md's "Structured output" section prints this
 * table; keep them together.
 */
export const FACT_NAMES: Record<DocumentKind, Record<string, string[]>> = {
  'bank-statement': {
    bank_name: ['bank', 'bank_name', 'institution', 'financial_institution', 'issuer'],
    account_holder: [
      'holder',
      'account_holder',
      'customer_name',
      'name_on_account',
      'account_name',
      'account_owner',
      'owner',
      'customer',
      'name',
    ],
    account_number: ['account_number', 'account_no', 'acct_number', 'account_num', 'account'],
    statement_period: ['statement_period', 'period'],
    period_start: ['period_start', 'start_date', 'from_date', 'statement_start'],
    period_end: ['period_end', 'end_date', 'to_date', 'statement_end', 'statement_date', 'date'],
    opening_balance: ['opening_balance', 'beginning_balance', 'starting_balance', 'previous_balance'],
    closing_balance: [
      'closing_balance',
      'ending_balance',
      'final_balance',
      'current_balance',
      'balance',
      'new_balance',
    ],
    total_deposits: ['total_deposits', 'deposits', 'total_credits', 'credits'],
    total_withdrawals: ['total_withdrawals', 'withdrawals', 'total_debits', 'debits'],
    currency: ['currency', 'currency_code'],
  },
  invoice: {
    vendor_name: [
      'vendor',
      'vendor_name',
      'supplier',
      'supplier_name',
      'seller',
      'merchant',
      'company',
      'company_name',
      'issuer',
      'from',
    ],
    vendor_address: ['vendor_address', 'supplier_address', 'address', 'seller_address'],
    invoice_number: ['invoice_number', 'invoice_no', 'invoice_id', 'invoice_num', 'number', 'invoice'],
    invoice_date: ['invoice_date', 'date', 'issue_date', 'issued_on', 'date_issued'],
    due_date: ['due_date', 'payment_due', 'payment_due_date', 'due'],
    customer_name: ['customer', 'customer_name', 'bill_to', 'billed_to', 'client', 'client_name', 'buyer', 'recipient'],
    customer_company: ['customer_company', 'client_company', 'bill_to_company', 'buyer_company'],
    subtotal: ['subtotal', 'sub_total', 'net_amount', 'net_total'],
    tax: ['tax', 'tax_amount', 'vat', 'sales_tax', 'total_tax'],
    total: [
      'total',
      'amount_due',
      'grand_total',
      'total_due',
      'total_amount',
      'balance_due',
      'invoice_total',
      'amount',
    ],
    currency: ['currency', 'currency_code'],
  },
  'research-paper': {
    title: ['title', 'paper_title', 'document_title', 'name'],
    abstract: ['abstract', 'summary'],
    publication_date: ['publication_date', 'published', 'published_on', 'date', 'publish_date'],
    doi: ['doi'],
    journal: ['journal', 'venue', 'publication', 'journal_name'],
  },
  contract: {
    title: ['title', 'agreement_title', 'contract_title', 'document_title', 'name'],
    effective_date: ['effective_date', 'start_date', 'agreement_date', 'contract_date', 'date', 'signed_on'],
    provider: ['provider', 'party_a', 'first_party', 'service_provider', 'vendor', 'supplier', 'seller'],
    client: ['client', 'party_b', 'second_party', 'customer', 'buyer'],
    term_months: ['term_months', 'term', 'duration', 'duration_months', 'term_length'],
    contract_value: ['contract_value', 'value', 'total_value', 'amount', 'fee', 'fees', 'price'],
    governing_law: ['governing_law', 'jurisdiction', 'governing_state', 'state'],
  },
  report: {
    title: ['title', 'report_title', 'document_title', 'name'],
    company: ['company', 'company_name', 'organization', 'organisation', 'organization_name'],
    author: ['author', 'prepared_by', 'writer'],
    report_date: ['report_date', 'date', 'published', 'publication_date'],
    fiscal_year: ['fiscal_year', 'year', 'financial_year'],
    revenue: ['revenue', 'total_revenue', 'sales', 'turnover'],
    net_income: ['net_income', 'profit', 'net_profit', 'earnings'],
  },
  'slide-deck': {
    title: ['title', 'presentation_title', 'deck_title', 'name'],
    presenter: ['presenter', 'speaker', 'author', 'presented_by'],
    company: ['company', 'company_name', 'organization', 'organisation'],
    presentation_date: ['presentation_date', 'date'],
  },
  spreadsheet: {
    title: ['title', 'sheet_title', 'workbook_title', 'name'],
  },
  image: {
    caption: ['caption', 'description', 'alt_text', 'title'],
  },
  // A blank form holds no facts but its title; what is filled in is a form run's.
  'intake-form': { form_title: ['form_title', 'title', 'form_name'] },
  'application-form': { form_title: ['form_title', 'title', 'form_name'] },
  'claim-form': { form_title: ['form_title', 'title', 'form_name'] },
  'tax-form': { form_title: ['form_title', 'title', 'form_name'] },
};

/** Property names for the document's tables and lists, and for their columns. */
export const STRUCTURE_NAMES: Record<string, { names: string[]; columns: Record<string, string[]> }> = {
  transactions: {
    names: [
      'transactions',
      'transaction',
      'transaction_history',
      'entries',
      'activity',
      'activities',
      'statement_lines',
    ],
    columns: {
      date: ['date', 'transaction_date', 'posted', 'posting_date', 'posted_on', 'value_date'],
      description: ['description', 'memo', 'details', 'narrative', 'payee', 'merchant', 'name'],
      amount: ['amount', 'value', 'sum', 'transaction_amount'],
      balance: ['balance', 'running_balance', 'balance_after'],
    },
  },
  line_items: {
    names: ['line_items', 'items', 'lines', 'products', 'services', 'invoice_items', 'invoice_lines'],
    columns: {
      description: ['description', 'item', 'product', 'name', 'service', 'item_description'],
      quantity: ['quantity', 'qty', 'count', 'units'],
      unit_price: ['unit_price', 'price', 'rate', 'unit_cost', 'price_per_unit'],
      amount: ['amount', 'total', 'line_total', 'subtotal', 'line_amount'],
    },
  },
  authors: { names: ['authors', 'author_names', 'writers', 'contributors', 'author'], columns: {} },
};

/** `accountHolder`, `account-holder`, `Account_Holder` -> `accountholder`. */
export const normalizeName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

const lookups = new Map<DocumentKind, Map<string, string>>();
function lookupFor(kind: DocumentKind): Map<string, string> {
  let map = lookups.get(kind);
  if (!map) {
    map = new Map();
    for (const [fact, names] of Object.entries(FACT_NAMES[kind]))
      for (const n of [fact, ...names]) if (!map.has(normalizeName(n))) map.set(normalizeName(n), fact);
    lookups.set(kind, map);
  }
  return map;
}

/** The fact a property name names in this document, if the document prints it. */
export function matchFact(model: DocumentModel, property: string): Fact | undefined {
  const fact = lookupFor(model.info.kind).get(normalizeName(property));
  return fact === undefined ? undefined : model.facts.find((f) => f.name === fact);
}

const named = (kind: string, property: string) =>
  (STRUCTURE_NAMES[kind]?.names ?? []).some((n) => normalizeName(n) === normalizeName(property));

export function matchStructure(model: DocumentModel, property: string): Structure | undefined {
  return model.structures.find((s) => named(s.name, property));
}

export function matchList(model: DocumentModel, property: string): FactList | undefined {
  return model.lists.find((l) => named(l.name, property));
}

/** The column of a structure an item property names. */
export function columnFor(structure: Structure, property: string): string | undefined {
  const columns = STRUCTURE_NAMES[structure.name]?.columns ?? {};
  const p = normalizeName(property);
  return Object.entries(columns).find(
    ([column, names]) => normalizeName(column) === p || names.some((n) => normalizeName(n) === p),
  )?.[0];
}
