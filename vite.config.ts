import { defineConfig } from 'vite';

const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

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
  // Cross-origin isolation lets ONNX Runtime use SharedArrayBuffer, i.e. several WASM threads.
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: ISOLATION_HEADERS },
  server: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
