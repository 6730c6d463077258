import { defineConfig } from 'vite';

export default defineConfig({
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // Never inline assets as data: URLs: the CSP allows only same-origin fetches, and the model files must be fetchable.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
  // Pre-bundling these makes the dev server reload the page mid-run (measured; see PLATFORM.md).
  optimizeDeps: { exclude: ['onnxruntime-web', '@huggingface/transformers'] },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  server: { host: '127.0.0.1' },
});
