// The CrossGuard rules of the proving-ground guardrails pack. Mandatory rules fail `pulumi preview/up`;
// advisory ones only warn. Each rule delegates to a pure check in rules.ts.
import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import * as rules from "./rules";

type Check = (type: string, props: rules.Props) => string[];

function policy(
  name: string,
  description: string,
  enforcementLevel: "mandatory" | "advisory",
  check: Check,
): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel,
    validateResource: (args, report: ReportViolation) => {
      for (const v of check(args.type, args.props)) report(v);
    },
  };
}

export const policies: ResourceValidationPolicy[] = [
  policy(
    "no-public-ssh",
    "Security groups must not open SSH (22/tcp) to 0.0.0.0/0 or ::/0; hosts are reached through SSM.",
    "mandatory",
    rules.publicSshViolations,
  ),
  policy(
    "world-ingress-only-http",
    "Only HTTP(S) listeners (a load balancer) should accept traffic from the whole internet.",
    "advisory",
    (t, p) => rules.worldIngressViolations(t, p),
  ),
  policy(
    "container-resource-limits",
    "Every container (Docker or Kubernetes, init containers included) declares CPU and memory limits.",
    "mandatory",
    rules.resourceLimitViolations,
  ),
  policy(
    "images-pinned",
    "Container images are pinned by a tag other than `latest` or by digest.",
    "mandatory",
    rules.unpinnedImageViolations,
  ),
  policy(
    "encrypted-volumes",
    "EBS volumes and instance disks are encrypted at rest.",
    "mandatory",
    rules.unencryptedVolumeViolations,
  ),
  policy(
    "no-privileged-containers",
    "No container runs privileged.",
    "mandatory",
    rules.privilegedViolations,
  ),
  policy("imdsv2-required", "EC2 instances require IMDSv2 tokens.", "mandatory", rules.imdsViolations),
];
