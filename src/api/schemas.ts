import { Type } from './json-schema.js';
import { LIMITS } from './limits.js';
import { JOB_STATUSES } from '../core/events.js';

/**
 * Route schemas: they validate input, shape output and feed `/openapi.json`. Input schemas
 * are deliberately loose on types Pulse accepts in several spellings (booleans as strings,
 * options as JSON strings); the core turns those into precise Pulse errors.
 */
const Flag = Type.Union([Type.Boolean(), Type.String()], { description: 'A boolean, or "true"/"false" in multipart.' });
const JsonOption = (description: string) =>
  Type.Union([Type.Object({}, { additionalProperties: true }), Type.String({ maxLength: LIMITS.jsonOptionLength })], {
    description,
  });
const Url = (description: string) => Type.String({ maxLength: LIMITS.urlLength, description });
const Option = (o: Record<string, unknown> = {}) => Type.String({ maxLength: LIMITS.optionLength, ...o });

const extractFields = {
  file_url: Type.Optional(Url('URL of the document. Also accepted: fileUrl, file-url.')),
  fileUrl: Type.Optional(Url('SDK spelling of file_url.')),
  'file-url': Type.Optional(Url('Older spelling of file_url (deprecated).')),
  async: Type.Optional(Flag),
  pages: Type.Optional(
    Type.Union([Option(), Type.Integer()], { description: '1-indexed page selection, e.g. "1-2,5".' }),
  ),
  model: Type.Optional(Option({ description: '"default" or "pulse-ultra-2".' })),
  structured_output: Type.Optional(JsonOption('{ schema, schema_prompt } (deprecated, still supported).')),
  structuredOutput: Type.Optional(JsonOption('SDK spelling of structured_output.')),
  schema: Type.Optional(JsonOption('Legacy JSON schema for structured output.')),
  schema_prompt: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
  schemaPrompt: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
  extensions: Type.Optional(
    JsonOption('{ chunking: { chunk_types, chunk_size }, alt_outputs: { return_html, wlbb } }.'),
  ),
  chunking: Type.Optional(Option({ description: 'Legacy comma-separated chunk types.' })),
  chunk_size: Type.Optional(Type.Union([Type.Integer(), Option()])),
  chunkSize: Type.Optional(Type.Union([Type.Integer(), Option()])),
  return_html: Type.Optional(Flag),
  returnHtml: Type.Optional(Flag),
  storage: Type.Optional(JsonOption('{ enabled, folder_name }.')),
  figureProcessing: Type.Optional(JsonOption('{ showImages, description }: image URLs and descriptions of figures.')),
  showImages: Type.Optional(Flag),
};

export const ExtractJsonBody = Type.Object(extractFields, { additionalProperties: true });
export const ExtractMultipartBody = Type.Object(
  {
    ...extractFields,
    file: Type.Optional(
      Type.String({
        description: 'The document to upload (a file part).',
        contentMediaType: 'application/octet-stream',
      }),
    ),
  },
  { additionalProperties: true },
);

export const extractBody = {
  content: {
    'application/json': { schema: ExtractJsonBody },
    'multipart/form-data': { schema: ExtractMultipartBody },
    'application/x-www-form-urlencoded': { schema: ExtractJsonBody },
  },
};

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ examples: ['AUTH_001'] }),
      message: Type.String(),
      details: Type.Object({}, { additionalProperties: true }),
    }),
  },
  { $id: 'PulseError' },
);

const AnyObject = Type.Object({}, { additionalProperties: true });

export const ExtractResponse = Type.Object(
  {
    markdown: Type.Optional(Type.String()),
    content: Type.Optional(Type.String({ description: 'Deprecated alias of markdown.' })),
    page_count: Type.Optional(Type.Integer()),
    extraction_id: Type.Optional(Type.String()),
    extraction_url: Type.Optional(Type.String()),
    warnings: Type.Optional(Type.Array(Type.String())),
    credits_used: Type.Optional(Type.Number()),
    plan_info: Type.Optional(AnyObject),
    'plan-info': Type.Optional(AnyObject),
    bounding_boxes: Type.Optional(AnyObject),
    extensions: Type.Optional(AnyObject),
    structured_output: Type.Optional(AnyObject),
    schema_error: Type.Optional(Type.String()),
    is_url: Type.Optional(Type.Boolean({ description: 'Large documents (>= 70 pages): the body is a one-time URL.' })),
    url: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'ExtractResponse, or { is_url, url } for large documents.' },
);

export const AsyncSubmissionResponse = Type.Object({
  job_id: Type.String(),
  status: Type.Literal('pending'),
  message: Type.String(),
  queuedAt: Type.String(),
  credits_used: Type.Number(),
});

export const JobStatusResponse = Type.Object({
  job_id: Type.String(),
  status: Type.Union(JOB_STATUSES.map((s) => Type.Literal(s))),
  created_at: Type.String(),
  updated_at: Type.String(),
  result: Type.Optional(ExtractResponse),
  error: Type.Optional(Type.String()),
});

export const JobIdParams = Type.Object({ jobId: Type.String({ minLength: 1, maxLength: 200 }) });

export const CancelResponse = Type.Object({ job_id: Type.String(), message: Type.String() });
export const WebhookLinkResponse = Type.Object({ link: Type.String() });

/** Responses every key-protected route can give. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
};
