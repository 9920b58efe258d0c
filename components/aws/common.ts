// Shared by the aws components: the tags every object carries, and the options that keep a child's URN
// when it moved under a component.
import * as pulumi from "@pulumi/pulumi";

/** Tags of every AWS object: Name `<prefix>-<name>`, the stack and, where given, the role. */
export type Tagger = (name: string, role?: string) => Record<string, string>;

export function tagger(prefix: string, stack: string): Tagger {
  return (name, role) => ({
    Name: `${prefix}-${name}`,
    "proving-ground:stack": stack,
    ...(role ? { "proving-ground:role": role } : {}),
  });
}

/**
 * Options of a component's child that existing stacks created at the top level, before the component
 * existed: parented to the component, with an alias to its old URN (no parent) so `pulumi up` moves it
 * instead of replacing it.
 */
export function childOf(
  parent: pulumi.Resource,
  opts: pulumi.CustomResourceOptions = {},
): pulumi.CustomResourceOptions {
  return { ...opts, parent, aliases: [{ parent: pulumi.rootStackResource }] };
}
