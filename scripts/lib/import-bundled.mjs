// Shared by the build scripts that run TypeScript from src/ under Node (the OpenAPI document, the
// compiled validators): bundle it for Node in memory with esbuild and import it from a data: URL.
// `source`: { entryPoints: [...] } or { stdin: {...} }, as esbuild takes them.
export async function importBundled(esbuild, source) {
  const result = await esbuild.build({
    ...source,
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "error",
  });
  const [output] = result.outputFiles;
  return import(`data:text/javascript;base64,${Buffer.from(output.contents).toString("base64")}`);
}
