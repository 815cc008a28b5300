// node:module resolve hook for the mutation run (see register.mjs).
const REPLACEMENT = new URL('./controls.ts', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (/\/src\/core\/controls\.(ts|js)$/.test(resolved.url)) return { ...resolved, url: REPLACEMENT, format: resolved.format };
  return resolved;
}
