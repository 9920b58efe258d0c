// The NATS password of every target, in one place so its Pulumi resource (name and args, and with them
// the state of existing stacks) is the same whichever target generates it.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * The configured `natsPassword` (a secret Output), or a generated one: `random.RandomPassword`
 * "nats-password", 32 letters and digits, kept in the stack's state. A secret either way.
 */
export function natsPassword(configured?: pulumi.Output<string>): pulumi.Output<string> {
  return pulumi.secret(
    configured ?? new random.RandomPassword("nats-password", { length: 32, special: false }).result,
  );
}
