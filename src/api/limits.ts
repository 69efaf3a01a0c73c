/**
 * The size of everything the mock keeps from a request, in one place: each string and list has
 * a maximum (Pulse's own where it states one, else generous), and more is refused with a 400
 * naming the field. Bodies themselves are bounded by --body-limit and --json-body-limit. The
 * docs/configuration.md's "Limits" section lists these.
 */
export const LIMITS = {
  /** A URL: `file_url`, an endpoint's `url`. */
  urlLength: 2048,
  /** Short names and options: `model`, `pages`, `chunking`, `chunk_size` as text. */
  optionLength: 200,
  /** Free text: `schema_prompt`, an endpoint's `description`. */
  textLength: 10_000,
  /** A JSON option sent as text in a multipart or form field (`structured_output`, `schema`, `extensions`, `storage`). */
  jsonOptionLength: 256 * 1024,
  /** Custom headers on one endpoint. */
  endpointHeaders: 50,
  headerNameLength: 100,
  headerValueLength: 4096,
  /** `basicAuth` username and password. */
  credentialLength: 256,
  /** Fault rules in force at once, and the lists inside one (`eventTypes`, `routes`, `nth`). */
  faultRules: 1000,
  faultListItems: 100,
  /** Document rules added while running (`POST /_mock/documents`). */
  documentRules: 1000,
  /** An id or name given by the user (`endpointId`, a fault rule's `id`). */
  idLength: 200,
  /** A multipart text field (besides JSON options), before the schema's own maximum. */
  multipartFieldBytes: 1024 * 1024,
} as const;
