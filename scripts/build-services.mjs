// Bundles each service into one file (dist/<service>.js) with its production dependencies inlined,
// so a service image holds only Node and that file: no node_modules, no dev dependencies.
import { build } from "esbuild";

const services = ["gateway", "router"];
await Promise.all(
  services.map((name) =>
    build({
      entryPoints: [`services/${name}/src/main.ts`],
      outfile: `dist/${name}.js`,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      sourcemap: true,
      minify: false,
      logLevel: "warning",
    }),
  ),
);
console.log(`built ${services.map((s) => `dist/${s}.js`).join(", ")}`);
