import { Type } from '../api/json-schema.js';
import { LIMITS } from '../api/limits.js';
import { AsyncSubmissionResponse } from '../api/schemas.js';
import type { DocumentModel } from '../core/document-model.js';
import { errors } from '../core/errors.js';
import type { JobRecord } from '../core/job-store.js';
import type { JobKind, PulseCore } from '../core/pulse-core.js';
import { route } from '../api/contract.js';
import { BatchIds, batchCapability, batchChild, defineOperation, PLACEHOLDER_ID, presetOf } from './operation.js';
import { modelOf, runOrSubmit, storedExtraction, usage, type ExtractionRef } from './stored.js';

/** A topic of a split, as the request names it. */
export interface Topic {
  name: string;
  description?: string;
}

export interface SplitJobData extends ExtractionRef {
  topics: Topic[];
}

const STOP = new Set([
  'the',
  'and',
  'for',
  'with',
  'from',
  'that',
  'this',
  'into',
  'page',
  'pages',
  'section',
  'other',
  'about',
]);

/** Words of a text, lower case, singular-ish (`balances` is `balance`), without short and common ones. */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? [])
    .filter((w) => w.length >= 3 && !STOP.has(w))
    .map((w) => (w.length > 4 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

/**
 * Which pages are about each topic: a page is, when a word of the topic's name, or two words of
 * its description, are words of the page's headings, text, table headers, or the names of the
 * facts and tables it prints (`account holder`, `transactions`). Deterministic; a page may belong
 * to several topics, and a topic that matches no page gets `[]` (and a warning).
 */
export function splitPages(
  model: DocumentModel,
  topics: Topic[],
): { splits: Record<string, number[]>; unmatched: string[] } {
  const pageWords = new Map<number, Set<string>>();
  const add = (page: number, text: string) => {
    const set = pageWords.get(page) ?? new Set<string>();
    for (const w of words(text)) set.add(w);
    pageWords.set(page, set);
  };
  const pageOf = new Map(model.blocks.map((b) => [b.id, b.page]));
  for (const b of model.blocks) if (b.type !== 'footer') add(b.page, b.table ? b.table.headers.join(' ') : b.text);
  for (const named of [...model.facts, ...model.structures])
    for (const id of named.blocks) add(pageOf.get(id) ?? 0, named.name.replace(/_/g, ' '));
  const splits: Record<string, number[]> = {};
  const unmatched: string[] = [];
  for (const t of topics) {
    // A word of the name counts twice, a word of the description once; a page needs 2.
    const name = new Set(words(t.name));
    const description = words(t.description ?? '').filter((w) => !name.has(w));
    const score = (p: number) => {
      const have = pageWords.get(p);
      return [...name].filter((w) => have?.has(w)).length * 2 + description.filter((w) => have?.has(w)).length;
    };
    const pages = model.info.pages.filter((p) => score(p) >= 2);
    splits[t.name] = pages;
    if (pages.length === 0) unmatched.push(t.name);
  }
  return { splits, unmatched };
}

/** `POST /split`: the pages of a stored extraction by topic; the run is kept under `split_id`. */
export class SplitOperation implements JobKind<SplitJobData> {
  readonly kind = 'split';
  constructor(readonly core: PulseCore) {}

  async result(job: JobRecord<SplitJobData>) {
    const { splits, unmatched } = splitPages(await modelOf(job.data), job.data.topics);
    return {
      split_id: job.id,
      split_output: { splits },
      ...usage(2 * job.data.document.pages.length, job.data.document.pages.length),
      ...(unmatched.length ? { warnings: unmatched.map((t) => `Topic "${t}" matched no page of the document.`) } : {}),
    };
  }

  /** The topics and pages of a split, for schema's split mode (404 naming the id). */
  async split(splitId: string): Promise<{ data: SplitJobData; splits: Record<string, number[]> }> {
    const job = this.core.jobs.get(splitId) as JobRecord<SplitJobData> | undefined;
    if (!job || job.kind !== this.kind) throw errors.notFoundById('split_id', splitId);
    if (job.status !== 'completed') throw errors.runNotReady('split_id', splitId, job.status);
    return { data: job.data, splits: splitPages(await modelOf(job.data), job.data.topics).splits };
  }
}

const TopicSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: LIMITS.optionLength }),
    description: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
  },
  { additionalProperties: false },
);

/** `split_config_id`: saved topics (presets of kind `split`). */
const splitPresets = {
  kind: 'split',
  field: 'split_config_id',
  schema: Type.Object(
    { split_input: Type.Array(TopicSchema, { minItems: 1, maxItems: 100 }) },
    { additionalProperties: false },
  ),
};

export const splitOperation = defineOperation({
  kind: 'split',
  create: (core) => new SplitOperation(core),
  routes: [
    route({
      method: 'POST',
      path: '/split',
      route: 'split',
      readsBody: true,
      schema: {
        summary: 'Split the pages of a stored extraction into topics (sync, or async with async=true)',
        tags: ['split'],
        body: {
          content: {
            'application/json': {
              schema: Type.Object(
                {
                  extraction_id: Type.String({ minLength: 1, maxLength: LIMITS.idLength }),
                  split_config: Type.Optional(
                    Type.Object(
                      { split_input: Type.Array(TopicSchema, { minItems: 1, maxItems: 100 }) },
                      { additionalProperties: false },
                    ),
                  ),
                  split_config_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
                  async: Type.Optional(Type.Boolean()),
                },
                { additionalProperties: false },
              ),
            },
          },
        },
        response: {
          200: Type.Union([
            AsyncSubmissionResponse,
            Type.Object({ split_id: Type.String() }, { additionalProperties: true }),
          ]),
        },
      },
      handle: async (call, op: SplitOperation) => {
        const f = call.fields;
        if ((f.split_config === undefined) === (f.split_config_id === undefined))
          throw errors.invalidParameter('split_config', 'Give exactly one of split_config and split_config_id.');
        const topics =
          f.split_config_id !== undefined
            ? presetOf(op.core, splitPresets, f.split_config_id).split_input
            : (f.split_config?.split_input ?? []);
        const names = new Set<string>();
        for (const t of topics) {
          if (names.has(t.name))
            throw errors.invalidParameter(
              'split_config.split_input',
              `Topic "${t.name}" is given twice; topic names are the keys of the output.`,
            );
          names.add(t.name);
        }
        const ref = storedExtraction(call, f.extraction_id);
        return runOrSubmit<SplitJobData>(op.core, op.kind, call, {
          candidates: [ref.document.name],
          data: { ...ref, topics },
          pages: ref.document.pages.length,
        });
      },
    }),
  ],
  batch: batchCapability({
    total: 'total_extractions',
    properties: {
      batch_extract_id: Type.Optional(Type.String({ maxLength: LIMITS.idLength })),
      extraction_ids: Type.Optional(BatchIds),
      split_config: Type.Object(
        {
          split_input: Type.Array(
            Type.Object(
              {
                name: Type.String({ minLength: 1, maxLength: LIMITS.optionLength }),
                description: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
              },
              { additionalProperties: false },
            ),
            { minItems: 1, maxItems: 100 },
          ),
        },
        { additionalProperties: false },
      ),
    },
    items: (call, op: SplitOperation, batch) => {
      const refs = batch.extractions(call);
      const topics = call.fields.split_config.split_input;
      return {
        children: refs.map((r) =>
          batchChild<SplitJobData>(op.kind, r.document.name, { ...r, topics }, r.document.pages.length),
        ),
        inputs: refs.map((r) => r.extractionId),
      };
    },
    resultId: (child) => ({ split_id: child.id }),
  }),
  pipelineSteps: [
    {
      name: 'split',
      follows: ['extract'],
      plans: (config) => ({
        splitId: PLACEHOLDER_ID,
        topics: ((config.split_input ?? []) as { name?: unknown }[]).map((t, i) =>
          typeof t?.name === 'string' ? t.name : `topic ${i + 1}`,
        ),
      }),
      requests: (config, _fileUrl, made) => [
        { path: '/split', fields: { extraction_id: made.extractionId, split_config: config } },
      ],
      collect: ([body], config, made) => {
        made.splitId = body?.split_id as string;
        made.topics = Object.keys((body?.split_output as { splits: Record<string, unknown> }).splits);
        return { name: 'split', jobId: made.splitId, extra: { split_input: config.split_input } };
      },
      result: (run, step, latency) => ({ ...run, split_input: step.extra?.split_input, latency }),
    },
  ],
  presets: splitPresets,
});
