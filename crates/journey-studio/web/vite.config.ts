import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The built files are committed and embedded in the `journey` binary, so the output must
// depend on the sources only: no source maps with absolute paths, stable names.
// Two pages share one bundle: the studio (`index.html`, served at `/` by `journey studio`)
// and the operator console (`console.html`, served at `/console/` by `journey serve`);
// relative asset paths (`base: "./"`) let each find `assets/` below where it is served.
export default defineConfig({
  plugins: [react()],
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      input: { studio: "index.html", console: "console.html" },
    },
  },
});
