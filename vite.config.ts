import { defineConfig, type Plugin } from 'vite';

const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/**
 * Writes precache.json, every file the build emitted, so the service worker can keep the whole app
 * (both ONNX Runtime builds and the models included) for offline use after one visit, whichever
 * device that visit happened to load.
 */
function precacheManifest(): Plugin {
  return {
    name: 'precache-manifest',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((f) => f !== 'index.html' && !f.endsWith('.map')).sort().map((f) => `/${f}`);
      this.emitFile({ type: 'asset', fileName: 'precache.json', source: JSON.stringify(files) });
    },
  };
}

export default defineConfig({
  plugins: [precacheManifest()],
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
