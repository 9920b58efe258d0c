// The project's config namespace, in a dependency-free module: stacks/config.ts and
// stacks/cloud-config.ts both name keys with it, and config.ts calls cloud-config.ts.
export const PROJECT = "proving-ground";
