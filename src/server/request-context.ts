import type { FastifyRequest } from 'fastify';
import { errors } from '../core/errors.js';
import type { UploadedFile } from '../core/extract-request.js';
import type { ExtractInput } from '../core/pulse-core.js';

/** Files seen by the multipart parser, by request (the body keeps only the file name). */
export const uploads = new WeakMap<FastifyRequest, Map<string, UploadedFile>>();

/** The URL the caller used to reach us, for links we put in bodies. */
export function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function headerValue(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `x-pulse-mock-*` request headers: per-request control of the job's outcome. */
export function overridesFrom(request: FastifyRequest): ExtractInput['overrides'] {
  const out: NonNullable<ExtractInput['overrides']> = {};
  const outcome = headerValue(request, 'x-pulse-mock-outcome');
  if (outcome !== undefined) {
    if (outcome !== 'completed' && outcome !== 'failed')
      throw errors.invalidParameter('x-pulse-mock-outcome', 'x-pulse-mock-outcome must be "completed" or "failed".', outcome);
    out.outcome = outcome;
  }
  const ms = headerValue(request, 'x-pulse-mock-processing-ms');
  if (ms !== undefined) out.processingMs = intHeader('x-pulse-mock-processing-ms', ms, 0, 86_400_000);
  const pages = headerValue(request, 'x-pulse-mock-pages');
  if (pages !== undefined) out.pages = intHeader('x-pulse-mock-pages', pages, 1, 5000);
  const error = headerValue(request, 'x-pulse-mock-error');
  if (error !== undefined && error !== '') out.error = error;
  return out;
}

function intHeader(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max)
    throw errors.invalidParameter(name, `${name} must be an integer from ${min} to ${max}.`, value);
  return n;
}
