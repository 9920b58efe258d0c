// The durable intake stream, created idempotently by whichever service starts first (gateway or router),
// so start order does not matter. Only the router knows the replica count (ROUTER_JETSTREAM_REPLICAS); the
// gateway asks for 1. A stream that has fewer replicas than asked for is scaled up (JetStream moves it
// online): when the gateway won the race on a 3-node cluster, as pods starting together on Kubernetes do,
// the router's R3 consumer was otherwise refused with "consumer config replica count exceeds parent stream".
import { JetStreamManager, RetentionPolicy, StorageType, DiscardPolicy, nanos } from "nats";
import { INTAKE_DUPLICATE_WINDOW_MS, INTAKE_STREAM, INTAKE_SUBJECTS } from "./contract";

export async function ensureIntakeStream(jsm: JetStreamManager, replicas = 1): Promise<void> {
  const config = {
    name: INTAKE_STREAM,
    subjects: [INTAKE_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: replicas,
    duplicate_window: nanos(INTAKE_DUPLICATE_WINDOW_MS),
    max_age: nanos(24 * 60 * 60 * 1000),
    // One message per subject (= per message id) is enough for pending lookups.
    max_msgs_per_subject: 1,
  };
  let existing;
  try {
    existing = await jsm.streams.info(INTAKE_STREAM);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (e) {
      // Lost a creation race with the other service: fine if it exists now.
      existing = await jsm.streams.info(INTAKE_STREAM).catch(() => {
        throw e;
      });
    }
  }
  if (existing && existing.config.num_replicas < replicas) {
    await jsm.streams.update(INTAKE_STREAM, { ...existing.config, num_replicas: replicas });
  }
}
