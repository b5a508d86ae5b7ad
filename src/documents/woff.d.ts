/** Font files, bound as Data modules by the `[[rules]]` of wrangler.toml (ArrayBuffer; a Uint8Array where esbuild bundles them). */
declare module "*.woff" {
  const data: ArrayBuffer;
  export default data;
}
