// Serves the production build (dist/, built by `npm test` before vitest runs) for the browser tests.
import { existsSync } from 'node:fs';
import type { PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';
import { serveBuild } from './chromium.ts';

let server: PreviewServer | undefined;

export async function setup(project: TestProject) {
  if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `npx vite build` first (npm test does).');
  const served = await serveBuild();
  server = served.server;
  project.provide('appUrl', served.url);
}

export async function teardown() {
  await server?.close();
}

declare module 'vitest' {
  export interface ProvidedContext { appUrl: string }
}
