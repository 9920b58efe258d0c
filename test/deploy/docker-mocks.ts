// A pulumi.runtime.Mocks whose newResource creates the docker provider's resources for real on dockerd,
// so the project's own index.ts can be deployed without the Pulumi CLI or provider plugins.
import * as pulumi from "@pulumi/pulumi";
import Docker from "dockerode";
import { createContainer, ContainerInputs } from "./container";
import { buildImage, BuildImageInputs, resolveRemoteImage, RemoteImageInputs } from "./images";
import { createNetwork, createVolume, NetworkInputs, VolumeInputs } from "./network-volume";
import { randomPassword, RandomPasswordInputs } from "./random-password";
import { unwrapSecrets } from "./values";

export interface ResourceEvent {
  type: string;
  name: string;
  seconds: number;
  error?: string;
}

type Result = { id: string | undefined; state: Record<string, unknown> };
type Handler = (name: string, inputs: never) => Promise<Result> | Result;

export class DockerMocks implements pulumi.runtime.Mocks {
  readonly events: ResourceEvent[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly handlers: Record<string, Handler>;
  private failed!: (e: ResourceEvent) => void;
  /** Resolves with the first failed resource creation (the deploy is failed from that moment on). */
  readonly firstFailure = new Promise<ResourceEvent>((resolve) => (this.failed = resolve));

  constructor(
    readonly stack: string,
    readonly docker: Docker = new Docker(),
    private readonly onEvent: (e: ResourceEvent) => void = () => {},
  ) {
    this.handlers = {
      "docker:index/network:Network": (n, i: NetworkInputs) => createNetwork(this.docker, n, i, stack),
      "docker:index/volume:Volume": (n, i: VolumeInputs) => createVolume(this.docker, n, i, stack),
      "docker:index/container:Container": (n, i: ContainerInputs) =>
        createContainer(this.docker, n, i, stack),
      "docker:index/remoteImage:RemoteImage": (_n, i: RemoteImageInputs) =>
        resolveRemoteImage(this.docker, i),
      "docker-build:index:Image": (n, i: BuildImageInputs) => buildImage(this.docker, n, i, stack),
      "random:index/randomPassword:RandomPassword": (_n, i: RandomPasswordInputs) => {
        const result = randomPassword(i);
        // The real provider marks result secret (additionalSecretOutputs); keep that here.
        return { id: "none", state: { ...i, result: pulumi.secret(result) } };
      },
    };
  }

  /** Strict: the program may not call any provider function the harness does not implement. */
  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    throw new Error(`deploy harness: unmocked function ${args.token} (only resources are supported)`);
  }

  newResource(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
    const p = this.create(args);
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => {});
    return p;
  }

  private async create(args: pulumi.runtime.MockResourceArgs): Promise<Result> {
    // Provider resources and components have nothing to create; echo their inputs as state.
    if (args.type.startsWith("pulumi:providers:")) {
      return { id: `${args.name}-provider`, state: args.inputs };
    }
    if (!args.custom) return { id: undefined, state: {} };
    const handler = this.handlers[args.type];
    if (!handler) {
      throw new Error(
        `deploy harness: unsupported resource type ${args.type} (${args.name}); supported: ` +
          Object.keys(this.handlers).join(", "),
      );
    }
    if (args.id)
      throw new Error(
        `deploy harness: ${args.type} ${args.name}: import/get (id ${args.id}) is not supported`,
      );
    const started = Date.now();
    const event = (error?: string) => {
      const e = { type: args.type, name: args.name, seconds: (Date.now() - started) / 1000, error };
      this.events.push(e);
      this.onEvent(e);
      if (error) this.failed(e);
    };
    try {
      const res = await handler(args.name, unwrapSecrets(args.inputs) as never);
      event();
      return res;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      event(err.message);
      throw err;
    }
  }

  /** Resolves once no resource creation is in flight (new ones started meanwhile are waited for too). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  get failures(): ResourceEvent[] {
    return this.events.filter((e) => e.error);
  }
}
