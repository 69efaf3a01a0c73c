import { createRequire } from 'node:module';

// msw is an optional peer: say what to install instead of Node's bare "Cannot find module 'msw'".
// (A CommonJS require() runs this before msw is loaded; an ESM import links msw first, and Node
// names the missing package itself.)
try {
  createRequire(import.meta.url).resolve('msw');
} catch {
  throw new Error('[pulse-mock] pulse-mock/msw needs msw 2 (an optional peer dependency): npm i -D msw@2');
}
