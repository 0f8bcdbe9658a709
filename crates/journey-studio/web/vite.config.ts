import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The built files are committed and embedded in the `journey` binary, so the output must
// depend on the sources only: no source maps with absolute paths, stable names.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
});
