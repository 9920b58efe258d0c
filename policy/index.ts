// Entry point of the CrossGuard policy pack: `pulumi preview --policy-pack <dir with PulumiPolicy.yaml>`.
// Constructing PolicyPack starts the analyzer server, so tests import ./policies instead of this file.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("proving-ground-guardrails", { policies });
