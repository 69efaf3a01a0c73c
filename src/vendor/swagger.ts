// The OpenAPI document (GET /openapi.json).
export { default } from '@fastify/swagger';
