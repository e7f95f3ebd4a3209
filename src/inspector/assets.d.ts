/**
 * build/inspector/assets.json, written by scripts/build-inspector.mjs (git-ignored). Declared here
 * so the Worker type-checks in a fresh clone before the page is built.
 */
declare module "*/build/inspector/assets.json" {
  const assets: {
    html: string;
    css: string;
    js: string;
    /** The page's icon (SVG). */
    favicon: string;
    /** Strong ETags (quoted), one per body. */
    etags: { html: string; css: string; js: string; favicon: string };
  };
  export default assets;
}
