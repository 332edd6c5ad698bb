// Vite config: serves the UI to `tauri dev` on a fixed port and builds ui/dist for `tauri build`.
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  // Tauri prints its own output; keep Vite from wiping the terminal.
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    host: "localhost",
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Vite 8 minifies with its bundled tooling; esbuild is not installed.
    minify: true,
    sourcemap: false,
  },
});
