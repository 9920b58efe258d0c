import * as pulumi from "@pulumi/pulumi";
/** Tags of every AWS object: Name `<prefix>-<name>`, the stack and, where given, the role. */
export type Tagger = (name: string, role?: string) => Record<string, string>;
export declare function tagger(prefix: string, stack: string): Tagger;
/**
 * Options of a component's child that existing stacks created at the top level, before the component
 * existed: parented to the component, with an alias to its old URN (no parent) so `pulumi up` moves it
 * instead of replacing it.
 */
export declare function childOf(parent: pulumi.Resource, opts?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions;
